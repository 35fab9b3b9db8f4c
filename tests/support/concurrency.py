"""Another connection writing in the middle of a service's transaction."""

from __future__ import annotations

import contextlib
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


def race(url: str, *works: Any, meet_for: float = 1.0, meet_after_reads: int | None = None) -> list[Any]:
    """Run each `work(session)` in its own thread and session at once; return each one's result or
    the exception it raised, in order.

    Each session waits before its first flush (after its reads, before its writes) until every
    other has got that far too, at most `meet_for` seconds: where nothing keeps two writers apart,
    both have read before either writes, the race a busy county runs into now and then, here every
    time. Where a lock keeps them apart, the second is still waiting for it and the first goes on
    alone after `meet_for`.

    `meet_after_reads=n` makes them meet before each session's statement n + 1 instead: after the
    first n, whatever they lock, so a later lock that two sessions take in opposite orders
    deadlocks here every time.
    """
    import threading

    from lib.core.db import make_engine

    meeting = threading.Barrier(len(works), timeout=meet_for)
    results: list[Any] = [None] * len(works)

    def wait_for_the_others(*_: object) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            meeting.wait()

    def run(index: int, work: Any) -> None:
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                if meet_after_reads is None:
                    event.listen(session, "before_flush", wait_for_the_others, once=True)
                else:
                    statements = iter(range(meet_after_reads + 1))

                    def count(*_: object) -> None:
                        if next(statements, None) == meet_after_reads:
                            wait_for_the_others()

                    event.listen(session, "do_orm_execute", count)
                try:
                    results[index] = work(session)
                except Exception as exc:  # the refusals are what the caller checks
                    results[index] = exc
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(index, work)) for index, work in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
