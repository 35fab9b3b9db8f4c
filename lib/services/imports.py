"""Excel imports, all or nothing: every row through its real service, in one transaction.

`check_import` is the dry run: each row runs through its service's undecorated function inside a
SAVEPOINT, so later rows see earlier ones (two status changes of one household would conflict as
they would one after the other), and every refusal becomes a line of the report (row, column,
label key + parameters). Then everything is rolled back. `run_import` does the same and commits
once — with the audit rows the services write, their data-version bumps and one audit row for the
import itself — only when every row passed; otherwise it too rolls back and stores nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lib.auth import Actor, require_role
from lib.db import begin_write
from lib.imports import ImportReport, Problem, RecordType, Row, Upload, duplicate_problems, normalize
from lib.imports import record_type as find_type
from lib.models import Household, Industry
from lib.services.common import (
    PermissionDenied,
    StaleEdit,
    ValidationError,
    record_audit,
)

IMPORT_ACTION = "data.import"
LOOKUP_CHUNK = 500  # values per IN (…) when resolving archive numbers to ids


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
    if isinstance(error, StaleEdit):
        version = (error.current or {}).get("version", "?")
        column = "version" if "version" in kind.codes else None
        return [
            Problem(row.number, column, "data.error.stale", {"archive": error.record_key, "version": version})
        ]
    return [Problem(row.number, None, "data.error.refused")]


def _with_letters(problems: Iterable[Problem], letters: Mapping[str, str]) -> list[Problem]:
    return [
        Problem(p.row, p.column, p.key, p.params, p.letter or (letters.get(p.column) if p.column else None))
        for p in problems
    ]


def _apply(
    session: Session,
    *,
    actor: Actor | None,
    kind: RecordType,
    rows: Upload | Sequence[Row],
    as_of: dt.date,
    commit: bool,
    file_name: str | None,
) -> ImportReport:
    if isinstance(rows, Upload):
        problems, data, count, letters = list(rows.problems), list(rows.rows), rows.row_count, rows.letters
    else:
        problems, data, count, letters = [], list(rows), len(rows), {}
    report = ImportReport(kind, count, problems)
    if report.file_refused:
        return report
    begin_write(session)
    try:
        actor = require_role(session, actor, kind.action)
    except PermissionDenied:
        session.rollback()
        report.problems.append(Problem(None, None, "data.error.may_not_import"))
        return report
    if count == 0:
        report.problems.append(Problem(None, None, "data.error.no_rows"))
        return report

    duplicates = duplicate_problems(kind, data)
    repeated = {problem.row for problem in duplicates}
    try:
        ids, unknown = _resolve(session, kind, data)
        missing = {problem.row for problem in unknown}
        found: list[Problem] = [*duplicates, *unknown]
        imported = 0
        for row in data:
            if row.number in repeated or row.number in missing:
                continue
            arguments = kind.build(row.values, ids[row.number]) | {"actor": actor, "as_of": as_of}
            savepoint = session.begin_nested()
            try:
                kind.service.__wrapped__(session, **arguments)  # type: ignore[attr-defined]
            except (ValidationError, PermissionDenied, StaleEdit, SQLAlchemyError) as error:
                found.extend(_refusal(kind, row, error))
                if not savepoint.is_active:
                    break  # the service rolled the whole transaction back: the rows after see nothing
                savepoint.rollback()
            else:
                savepoint.commit()
                imported += 1
        report.problems.extend(_with_letters(found, letters))
        if report.problems or not commit:
            session.rollback()
            return report
        record_audit(
            session,
            actor=actor,
            action=IMPORT_ACTION,
            table="imports",
            key=kind.code,
            old=None,
            new={"rows": imported, "file": file_name},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    report.imported = imported
    report.committed = True
    return report


def check_import(
    session: Session,
    *,
    actor: Actor | None,
    record_type: RecordType | str,
    rows: Upload | Sequence[Row],
    as_of: dt.date,
) -> ImportReport:
    """Dry run: every row through its service, every refusal reported; always rolled back.

    `rows` is what `lib.imports.parse_upload` read (its problems are part of the report) or
    clean rows. The session must have no pending work of its own: it is rolled back.
    """
    return _apply(
        session, actor=actor, kind=_kind(record_type), rows=rows, as_of=as_of, commit=False, file_name=None
    )


def run_import(
    session: Session,
    *,
    actor: Actor | None,
    record_type: RecordType | str,
    rows: Upload | Sequence[Row],
    as_of: dt.date,
    file_name: str | None = None,
) -> ImportReport:
    """Import every row or none: commits once when every row passed, otherwise rolls back.

    The report's `committed` says which; its problems are the same lines `check_import` gives.
    """
    return _apply(
        session,
        actor=actor,
        kind=_kind(record_type),
        rows=rows,
        as_of=as_of,
        commit=True,
        file_name=file_name,
    )


def _kind(value: RecordType | str) -> RecordType:
    return find_type(value)
