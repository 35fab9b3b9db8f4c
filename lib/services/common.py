"""Pieces every write-side service shares: the transaction, the audit row and the data version.

A service runs: check permission (`lib.services.auth.require`) → validate (raise `ValidationError` with
every bad field) → change rows → `record_audit` → `bump_data_version` → commit, all in one
transaction, so either everything is stored or nothing is.

The refusals (`ValidationError`, `PermissionDenied`, `StaleEdit`) live in lib.core.errors.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy import Integer, String, Table, cast, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lib.core.db import begin_write, holds_write_lock
from lib.core.errors import StaleEdit
from lib.core.models import AuditEntry, Base, Meta
from lib.queries.common import DATA_VERSION_KEY
from lib.services import rollups

if TYPE_CHECKING:
    from lib.rules.permissions import Actor

P = ParamSpec("P")
R = TypeVar("R")
Loaded = TypeVar("Loaded")
Prepared = TypeVar("Prepared")

SYSTEM_USERNAME = "system"  # the audit row's username when no signed-in user made the change
AUDIT_ACTION_MAX = 20  # AuditEntry.action is String(20)
AUDIT_KEY_MAX = 60  # AuditEntry.record_key is String(60)


ROW_ID_MAX = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; larger ones cannot name a row


def is_row_id(value: object) -> bool:
    """Whether `value` could be a row's id (an int, not a bool, in range): anything else names no row."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= ROW_ID_MAX


# --- the audit trail ----------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")


def audit_json(values: Mapping[str, Any] | None) -> str | None:
    """Values as JSON text: sorted keys, dates as ISO strings, Chinese kept readable."""
    if values is None:
        return None
    return json.dumps(dict(values), sort_keys=True, ensure_ascii=False, default=_json_value)


def record_audit(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    table: str,
    key: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    reason: str | None = None,
) -> AuditEntry:
    """Add (and flush) one audit row in the caller's transaction: who, when, what, old → new, why.

    `old` is None for a new record, `new` None for a deleted one. Never pass secrets
    (passwords, hashes): the log is for reading.
    """
    entry = AuditEntry(
        **audit_values(actor=actor, action=action, table=table, key=key, old=old, new=new, reason=reason)
    )
    session.add(entry)
    session.flush()
    return entry


def audit_values(
    *,
    actor: Actor | None,
    action: str,
    table: str,
    key: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The columns of the audit row `record_audit` stores: `insert_many` stores thousands at once."""
    if not action or len(action) > AUDIT_ACTION_MAX:
        raise ValueError(f"audit action must be 1–{AUDIT_ACTION_MAX} characters: {action!r}")
    if len(key) > AUDIT_KEY_MAX:
        raise ValueError(f"audit record key longer than {AUDIT_KEY_MAX} characters: {key!r}")
    return {
        "user_id": actor.user_id if actor is not None else None,
        "username": actor.username if actor is not None else SYSTEM_USERNAME,
        "action": action,
        "table_name": table,
        "record_key": key,
        "old_values": audit_json(old),
        "new_values": audit_json(new),
        "reason": reason or None,
    }


def insert_many(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert new rows of `model` (column → value; column defaults apply), however many, in a few
    statements; their new ids, in order.

    ORM objects cost ~0.3 ms each to build and flush, and where the database does not say which id
    went to which row of a many-row INSERT … RETURNING (SQLite) the ORM sends one statement a row:
    an import's 5,000 visits and audit rows were 10,000 statements. Under SQLite's write lock
    (`begin_write`) no one else inserts, so the ids after the largest one are ours to give and the
    rows go in as one executemany; PostgreSQL numbers them with its sequence, in order, in a few
    many-row statements.
    """
    table: Table = model.__table__  # type: ignore[assignment]
    if not rows:
        return []
    if len(rows) == 1:
        return [int(session.execute(insert(table).returning(table.c.id), dict(rows[0])).scalar_one())]
    if holds_write_lock(session):
        first = (session.scalar(select(func.max(table.c.id))) or 0) + 1
        ids = list(range(first, first + len(rows)))
        session.execute(insert(table), [{**row, "id": key} for row, key in zip(rows, ids, strict=True)])
        return ids
    result = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), list(rows))
    return [int(key) for key in result.scalars()]


# --- the data version ---------------------------------------------------------------------------


def _increment(session: Session) -> int:
    result = session.execute(
        update(Meta)
        .where(Meta.key == DATA_VERSION_KEY)
        .values(value=cast(cast(Meta.value, Integer) + 1, String))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def bump_data_version(
    session: Session, *, households: Sequence[int] = (), villages: Sequence[int] = ()
) -> str:
    """Add one to app_meta's data version in the caller's transaction; return the new value.

    One UPDATE … SET value = value + 1 in the database, so concurrent writers never lose a bump:
    the row stays locked (PostgreSQL) or the file write-locked (SQLite) until the caller commits.
    A missing version starts at "1".

    `households`: the households whose status, members, plans or visits the write changed, and
    `villages`: villages whose own rollup inputs changed (the signature product); their rollup rows
    are worked out again (lib/services/rollups.py). A write that changes such things must name
    them, or the rollups would serve old figures.
    """
    if _increment(session) == 0:
        try:
            with session.begin_nested():
                session.execute(insert(Meta).values(key=DATA_VERSION_KEY, value="1"))
        except IntegrityError:  # another writer created it first: count ours on top
            _increment(session)
    value = session.scalar(select(Meta.value).where(Meta.key == DATA_VERSION_KEY))
    assert value is not None
    rollups.carry_forward(session, value, households, villages)
    return value


def save_versioned(
    session: Session,
    *,
    actor: Actor,
    action: str,
    table: str,
    key: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    changed: Sequence[str],
    current: Callable[[], Mapping[str, Any] | None],
    reason: str | None = None,
    households: Sequence[int] = (),
    villages: Sequence[int] = (),
) -> None:
    """The end of an edit to a versioned row whose attributes the caller has set: flush the UPDATE
    (… WHERE id = ? AND version = ?, so a writer in between makes it miss), and then audit the
    `changed` fields old → new and bump the data version (`households`, `villages` as for
    `bump_data_version`). When the row changed first: roll back and raise StaleEdit with the row
    as it is now (`current()`, read after the rollback)."""
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleEdit(table, key, current=current()) from None
    record_audit(
        session,
        actor=actor,
        action=action,
        table=table,
        key=key,
        old={name: old[name] for name in changed},
        new={name: new[name] for name in changed},
        reason=reason,
    )
    bump_data_version(session, households=households, villages=villages)


def transactional(work: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[Session, P], R]:
    """Run a service in one write transaction (`lib.core.db.begin_write`: BEGIN IMMEDIATE on SQLite):
    commit when it returns, roll back whatever it raises."""

    @functools.wraps(work)
    def run(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        begin_write(session)
        try:
            result = work(session, *args, **kwargs)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise

    return run


class RowImporter(Protocol[Loaded, Prepared]):
    """A service that Excel imports (lib/services/imports.py) run for a whole file, split so a file
    is checked without writing and stored in one short write.

    `load` reads in a few queries what every row needs (with `lock`, inside the import's write
    transaction: locking what `write` will change, on PostgreSQL); `prepare` checks one row
    (`request`: the service's keyword arguments less `actor` and `as_of`) against that and the
    acting account as read again for this file, raising what the form's service raises
    (PermissionDenied, StaleEdit, ValidationError) and touching no database; `write` stores the
    prepared rows with an audit row each and returns the households whose rollups change (the
    caller bumps the data version once for them all).
    """

    action: str

    def load(
        self, session: Session, requests: Sequence[Mapping[str, Any]], *, as_of: dt.date, lock: bool
    ) -> Loaded: ...

    def prepare(
        self, loaded: Loaded, actor: Actor, request: Mapping[str, Any], *, as_of: dt.date
    ) -> Prepared: ...

    def write(self, session: Session, actor: Actor, prepared: Sequence[Prepared]) -> list[int]: ...
