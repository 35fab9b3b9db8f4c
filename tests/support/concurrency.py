"""Another connection writing in the middle of a service's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session


def write_before_first_flush(session: Session, engine: Engine, statement: Any) -> list[str]:
    """Run `statement` on its own connection (committed) just before `session` first flushes, that
    is after the service read its rows and before it writes them. Returns the database's refusals:
    on SQLite the service holds the write lock from its first read (BEGIN IMMEDIATE), so the other
    writer gets "database is locked" (after 50 ms, not the app's 10 s); on PostgreSQL it commits."""
    refused: list[str] = []
    done: list[bool] = []

    def other_writer(*_: object) -> None:
        if done:
            return
        done.append(True)
        try:
            with engine.begin() as other:
                if engine.dialect.name == "sqlite":
                    other.exec_driver_sql("PRAGMA busy_timeout = 50")
                other.execute(statement)
        except OperationalError as exc:
            refused.append(str(exc.orig))

    event.listen(session, "before_flush", other_writer)
    return refused
