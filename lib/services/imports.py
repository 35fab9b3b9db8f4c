"""Excel imports, all or nothing: every row through its real service's checks, then one short write.

`check_import` is the dry run, in a read transaction: it never takes the write lock, so everyone
else's saves go on while a file is checked. It reads the acting account, resolves the file's
archive numbers and loads what every row needs in a few queries (`RowImporter.load`), then checks
each row with the service's own checks (`RowImporter.prepare`: permission, stale edit,
validation), which read nothing more; every refusal becomes a line of the report (row, column,
label key + parameters). Rows are checked each against the database, not against each other:
rows that would change one record twice are refused by the type's `unique` columns.

`run_import`, when the user confirms, does the same inside one write transaction (BEGIN IMMEDIATE
on SQLite; on PostgreSQL the records it changes are locked), so what it checked is what it
writes: a row that someone else made wrong since the check is reported, by row, and nothing is
stored. When every row passes it stores them all (`RowImporter.write`: a few statements, not a
savepoint and a service call a row) with their audit rows and one for the import, bumps the data
version once and works the rollups out once for every household it touched, then commits.
(bench/uploads.py, 5,000 visits of the demo county on SQLite, a shared 2-CPU machine: checked in
0.5 s holding no lock, imported holding the write lock 0.8 s; the check through the services in
savepoints held it 712 s.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lib.core.db import begin_write
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.models import Household, Industry, LoadedFile
from lib.files.imports import (
    ImportReport,
    Problem,
    RecordType,
    Row,
    Upload,
    duplicate_problems,
    normalize,
    rows_hash,
)
from lib.files.imports import record_type as find_type
from lib.rules.permissions import Actor
from lib.services import households, industry
from lib.services.auth import require_role
from lib.services.common import RowImporter, bump_data_version, insert_many, record_audit

IMPORT_ACTION = "data.import"
LOOKUP_CHUNK = 500  # values per IN (…) when resolving archive numbers to ids

# record type code (lib.files.imports.REGISTRY) → the service that stores its rows, split so a whole
# file is checked in a read transaction (nothing read row by row) and written at once
IMPORTERS: dict[str, RowImporter[Any, Any]] = {
    "visits": households.VISIT_IMPORT,
    "household_status": households.STATUS_IMPORT,
    "industry_plans": industry.PLAN_IMPORT,
}


def _households(session: Session, values: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(values), LOOKUP_CHUNK):
        chunk = values[start : start + LOOKUP_CHUNK]
        rows = session.execute(
            select(Household.archive_no, Household.id).where(Household.archive_no.in_(chunk))
        )
        found.update({str(archive): int(key) for archive, key in rows})
    return found


def _industries(session: Session, values: Sequence[str]) -> dict[str, str]:
    """Industries named by code or by name in either language (any case) → their code."""
    names: dict[str, str] = {}
    for code, name_zh, name_en in session.execute(select(Industry.code, Industry.name_zh, Industry.name_en)):
        for name in (name_en, name_zh, code):  # a code wins over a name that looks like it
            names[normalize(name)] = code
    return {value: names[normalize(value)] for value in values if normalize(value) in names}


# lookup name → (session, the distinct values in the file) → {value: what the service takes}
LOOKUPS: dict[str, Callable[[Session, Sequence[str]], Mapping[str, Any]]] = {
    "household": _households,
    "industry": _industries,
}


def _resolve(
    session: Session, kind: RecordType, rows: Iterable[Row]
) -> tuple[dict[int, dict[str, Any]], list[Problem]]:
    """Each row's looked-up ids (row number → column code → id), and a problem per unknown value."""
    rows = list(rows)
    ids: dict[int, dict[str, Any]] = {row.number: {} for row in rows}
    problems: list[Problem] = []
    for code, lookup in kind.lookups.items():
        wanted = sorted({str(row.values[code]) for row in rows if row.values.get(code) is not None})
        known = LOOKUPS[lookup](session, wanted)
        for row in rows:
            value = row.values.get(code)
            if value is None:
                continue
            if str(value) in known:
                ids[row.number][code] = known[str(value)]
            else:
                problems.append(
                    Problem(row.number, code, f"data.error.unknown_{lookup}", {"value": str(value)})
                )
    return ids, problems


def _refusal(kind: RecordType, row: Row, error: Exception) -> list[Problem]:
    """A service's refusal of one row as report lines."""
    lookup_column = next(iter(kind.lookups), None)
    if isinstance(error, ValidationError):
        return [
            Problem(row.number, kind.column_for(name), key, error.params_for(name))
            for name, key in error.errors.items()
        ]
    if isinstance(error, PermissionDenied):
        return [Problem(row.number, lookup_column, "data.error.not_allowed")]
    version = (error.current or {}).get("version", "?") if isinstance(error, StaleEdit) else "?"
    record = error.record_key if isinstance(error, StaleEdit) else "?"
    column = "version" if "version" in kind.codes else None
    return [Problem(row.number, column, "data.error.stale", {"archive": record, "version": version})]


def _with_letters(problems: Iterable[Problem], letters: Mapping[str, str]) -> list[Problem]:
    return [
        Problem(p.row, p.column, p.key, p.params, p.letter or (letters.get(p.column) if p.column else None))
        for p in problems
    ]


def _unpack(
    kind: RecordType, rows: Upload | Sequence[Row]
) -> tuple[ImportReport, list[Row], Mapping[str, str]]:
    if isinstance(rows, Upload):
        return ImportReport(kind, rows.row_count, list(rows.problems)), list(rows.rows), rows.letters
    return ImportReport(kind, len(rows), []), list(rows), {}


def _prepare(
    session: Session,
    *,
    actor: Actor | None,
    kind: RecordType,
    report: ImportReport,
    data: Sequence[Row],
    letters: Mapping[str, str],
    as_of: dt.date,
    lock: bool,
) -> tuple[Actor, list[Any]] | None:
    """Check every row in `session`'s transaction, adding each refusal to `report`; the acting
    account as read again and the prepared rows, or None when the file is refused as a whole.

    A few queries for the whole file (the account, the lookups in chunks of 500, what the rows
    need), then the services' checks row by row without the database."""
    try:
        fresh = require_role(session, actor, kind.action)
    except PermissionDenied:
        report.problems.append(Problem(None, None, "data.error.may_not_import"))
        return None
    if report.row_count == 0:
        report.problems.append(Problem(None, None, "data.error.no_rows"))
        return None
    earlier = session.execute(
        select(LoadedFile.file_name, LoadedFile.loaded_at, LoadedFile.username)
        .where(LoadedFile.kind == _file_kind(kind), LoadedFile.content_hash == rows_hash(kind, data))
        .order_by(LoadedFile.id)
        .limit(1)
    ).first()
    if earlier is not None:
        params = {"file": earlier.file_name or "", "at": earlier.loaded_at.strftime("%Y-%m-%d %H:%M")}
        report.problems.append(Problem(None, None, "data.error.already_imported", params))
        return None
    duplicates = duplicate_problems(kind, data)
    ids, unknown = _resolve(session, kind, data)
    skipped = {problem.row for problem in [*duplicates, *unknown]}
    requests = {
        row.number: kind.build(row.values, ids[row.number]) for row in data if row.number not in skipped
    }
    loaded = IMPORTERS[kind.code].load(session, list(requests.values()), as_of=as_of, lock=lock)
    found: list[Problem] = [*duplicates, *unknown]
    prepared: list[Any] = []
    for row in data:
        request = requests.get(row.number)
        if request is None:
            continue
        try:
            prepared.append(IMPORTERS[kind.code].prepare(loaded, fresh, request, as_of=as_of))
        except (ValidationError, PermissionDenied, StaleEdit) as error:
            found.extend(_refusal(kind, row, error))
    report.problems.extend(_with_letters(found, letters))
    return fresh, prepared


def check_import(
    session: Session,
    *,
    actor: Actor | None,
    record_type: RecordType | str,
    rows: Upload | Sequence[Row],
    as_of: dt.date,
) -> ImportReport:
    """Dry run in a read transaction: every row through its service's checks, every refusal
    reported, nothing written and no write lock taken.

    `rows` is what `lib.files.imports.parse_upload` read (its problems are part of the report) or
    clean rows. The session must have no pending work of its own: its transaction is ended.
    """
    kind = _kind(record_type)
    report, data, letters = _unpack(kind, rows)
    if report.file_refused:
        return report
    try:
        _prepare(
            session,
            actor=actor,
            kind=kind,
            report=report,
            data=data,
            letters=letters,
            as_of=as_of,
            lock=False,
        )
    finally:
        session.rollback()
    return report


def run_import(
    session: Session,
    *,
    actor: Actor | None,
    record_type: RecordType | str,
    rows: Upload | Sequence[Row],
    as_of: dt.date,
    file_name: str | None = None,
) -> ImportReport:
    """Import every row or none, in one write transaction: the rows are checked again under the
    write lock and stored only when every one passes; otherwise nothing is.

    The report's `committed` says which; its problems are the lines `check_import` gives, as the
    data stands now (a row someone else made wrong since the check is named with its reason).
    """
    kind = _kind(record_type)
    report, data, letters = _unpack(kind, rows)
    if report.file_refused:
        return report
    begin_write(session)
    try:
        checked = _prepare(
            session, actor=actor, kind=kind, report=report, data=data, letters=letters, as_of=as_of, lock=True
        )
        if checked is None or report.problems:
            session.rollback()
            return report
        fresh, prepared = checked
        try:
            changed = IMPORTERS[kind.code].write(session, fresh, prepared)
        except (StaleDataError, IntegrityError):
            # Only a writer the locks do not keep out gets here (none is known): nothing is kept.
            session.rollback()
            report.problems.append(Problem(None, None, "data.error.changed_meanwhile"))
            return report
        record_audit(
            session,
            actor=fresh,
            action=IMPORT_ACTION,
            table="imports",
            key=kind.code,
            old=None,
            new={"rows": len(prepared), "file": file_name},
        )
        insert_many(
            session,
            LoadedFile,
            [
                {
                    "kind": _file_kind(kind),
                    "content_hash": rows_hash(kind, data),
                    "file_name": (file_name or "")[:200] or None,
                    "rows": len(prepared),
                    "added": len(prepared),
                    "user_id": fresh.user_id,
                    "username": fresh.username,
                }
            ],
        )
        if changed:
            bump_data_version(session, households=changed)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    report.imported = len(prepared)
    report.committed = True
    return report


def _file_kind(kind: RecordType) -> str:
    """How loaded_files names an import of `kind` (python -m lib.load's kinds go by their code)."""
    return f"import.{kind.code}"


def _kind(value: RecordType | str) -> RecordType:
    return find_type(value)
