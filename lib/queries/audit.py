"""The change log: who changed what, when, old → new and why (read side of the audit trail)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lib.core.models import AuditEntry
from lib.queries.common import bounded_search, frames_in_chunks

CHANGE_COLUMNS = [
    "at",
    "username",
    "action",
    "table_name",
    "record_key",
    "old_values",
    "new_values",
    "reason",
]


def change_log(
    session: Session,
    *,
    search: str | None = None,
    table: str | None = None,
    username: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """The newest changes first, filtered: `search` matches the record key, values or reason.

    `search` is trimmed and cut to `common.SEARCH_MAX` characters (the box stops there too)."""
    stmt = select(*(getattr(AuditEntry, column) for column in CHANGE_COLUMNS)).order_by(
        AuditEntry.at.desc(), AuditEntry.id.desc()
    )
    search = bounded_search(search)
    if search:
        pattern = f"%{search}%"
        stmt = stmt.where(
            or_(
                AuditEntry.record_key.like(pattern),
                AuditEntry.new_values.like(pattern),
                AuditEntry.old_values.like(pattern),
                AuditEntry.reason.like(pattern),
            )
        )
    if table:
        stmt = stmt.where(AuditEntry.table_name == table)
    if username:
        stmt = stmt.where(AuditEntry.username == username)
    if since:
        stmt = stmt.where(AuditEntry.at >= dt.datetime.combine(since, dt.time.min))
    if until:
        stmt = stmt.where(AuditEntry.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    rows = session.execute(stmt.limit(max(1, min(limit, 5000)))).all()
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def change_log_chunks(session: Session, *, limit: int = 5000) -> Iterator[pd.DataFrame]:
    """`change_log`'s newest `limit` changes (at most 5,000), unfiltered, in one query, a chunk at
    a time (for the download of the change log)."""
    stmt = (
        select(*(getattr(AuditEntry, column) for column in CHANGE_COLUMNS))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(max(1, min(limit, 5000)))
    )
    yield from frames_in_chunks(session, stmt, CHANGE_COLUMNS)


def record_history(session: Session, *, table: str, key: str) -> pd.DataFrame:
    """Every change to one record, oldest first."""
    stmt = (
        select(*(getattr(AuditEntry, column) for column in CHANGE_COLUMNS))
        .where(AuditEntry.table_name == table, AuditEntry.record_key == key)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return pd.DataFrame(session.execute(stmt).all(), columns=CHANGE_COLUMNS)


def audited_tables(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.table_name).distinct().order_by(AuditEntry.table_name)))
