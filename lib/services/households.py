"""Household writes: verification visits, and a household's status, exit checks and exit steps.

Each service runs: permission (the household's town / village) → stale-edit check → validation
(every bad field at once) → write → audit row → bump the data version → commit; on any error the
transaction is rolled back and nothing is written.

Lost updates are caught twice: the form's `expected_version` is compared with the row's before
validating, and the ORM's `version_id_col` makes the UPDATE itself conditional on that version,
so a writer who committed in between still turns into a `StaleEdit` (never a silent overwrite).

Both services are split for Excel imports (`VISIT_IMPORT`, `STATUS_IMPORT`: see
`lib.services.common.RowImporter`): the checks (`check_visit`, `check_status_change`) read nothing
themselves, and the writes (`add_visits`, `apply_status_changes`) take many records at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lib.core.domain import (
    EXIT_STEPS,
    FREE_TEXT_MAX,
    HOUSEHOLD_FLAGS,
    STATUS_FIELDS,
    VISITOR_NAME_MAX,
    HouseholdStatus,
    poverty_line,
)
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.models import AuditEntry, Household, HouseholdIncome, Town, VerificationVisit, Village
from lib.rules.permissions import HOUSEHOLD_UPDATE, VISIT_RECORD, Actor, can
from lib.rules.text_rules import text_problem
from lib.services.auth import require, require_role
from lib.services.common import audit_values, bump_data_version, insert_many, is_row_id, transactional

EARLIEST_DATE = dt.date(2014, 1, 1)  # the national register of poor households began in 2014

AUDITED = (*STATUS_FIELDS, "exit_year")
LOOKUP_CHUNK = 500  # ids per IN (…) when an import reads many households at once


class _Errors:
    """Collects field → label key (+ params); the first problem found for a field wins."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}
        self.params: dict[str, dict[str, Any]] = {}

    def fail(self, field: str, key: str, **params: Any) -> None:
        if field in self.errors:
            return
        self.errors[field] = key
        if params:
            self.params[field] = params

    def __contains__(self, field: str) -> bool:
        return field in self.errors

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors, self.params)


def field_messages(error: ValidationError, translate: Callable[..., str]) -> dict[str, str]:
    """Each field's message via `translate` (e.g. `lib.core.i18n.t`), naming missing fields in its language.

    Exit refusals carry the missing field names in `fields`; this swaps `missing` for their labels.
    """
    messages: dict[str, str] = {}
    for field, key in error.errors.items():
        params = dict(error.params_for(field))
        names = params.pop("fields", None)
        if names:
            params["missing"] = ", ".join(translate(f"updates.field.{name}") for name in names)
        messages[field] = translate(key, **params)
    return messages


# --- shared checks ------------------------------------------------------------------------------


def _load_household(session: Session, household_id: object) -> tuple[Household, str, str] | None:
    """The household with its village's and town's codes, read fresh from the database."""
    if not is_row_id(household_id):
        return None
    row = session.execute(
        select(Household, Village.code, Town.code)
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id)
        .where(Household.id == household_id)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        return None
    return row[0], row[1], row[2]


HouseholdPlace = tuple[Household, str, str]  # a household, its village's code and its town's code


def load_households(
    session: Session, ids: Iterable[object], *, lock: bool = False
) -> dict[int, HouseholdPlace]:
    """Many households by id with their village's and town's codes, read fresh, 500 to a query.

    `lock`: on PostgreSQL the rows are locked FOR UPDATE until the transaction ends, so an import
    that will change them writes what it checked (SQLite's BEGIN IMMEDIATE keeps every writer out).
    """
    wanted = sorted({value for value in ids if is_row_id(value)})  # type: ignore[type-var]
    found: dict[int, HouseholdPlace] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        stmt = (
            select(Household, Village.code, Town.code)
            .join(Village, Village.id == Household.village_id)
            .join(Town, Town.id == Village.town_id)
            .where(Household.id.in_(wanted[start : start + LOOKUP_CHUNK]))
            .execution_options(populate_existing=True)
        )
        if lock and session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(of=Household)
        for household, village_code, town_code in session.execute(stmt):
            found[household.id] = (household, village_code, town_code)
    return found


def _in_scope(
    found: Mapping[int, HouseholdPlace], actor: Actor, action: str, household_id: object
) -> Household:
    """The household of an import's row, refused as the services refuse it: unknown
    (ValidationError) or outside `actor`'s town or village (PermissionDenied)."""
    place = found.get(household_id) if is_row_id(household_id) else None  # type: ignore[call-overload]
    if place is None:
        raise ValidationError({"household_id": "updates.error.household_unknown"})
    household, village_code, town_code = place
    if not can(actor, action, town_code=town_code, village_code=village_code):
        raise PermissionDenied(action, username=actor.username)
    return household


def _check_date(errors: _Errors, field: str, value: object, *, as_of: dt.date) -> dt.date | None:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        errors.fail(field, "updates.error.date_invalid")
        return None
    if value > as_of:
        errors.fail(field, "updates.error.date_in_future", as_of=as_of.isoformat())
    elif value < EARLIEST_DATE:
        errors.fail(field, "updates.error.date_too_early", earliest=EARLIEST_DATE.isoformat())
    return value


def _check_bool(errors: _Errors, field: str, value: object, *, optional: bool = False) -> bool | None:
    if value is None and optional:
        return None
    if not isinstance(value, bool):
        errors.fail(field, "updates.error.not_boolean")
        return None
    return value


def _check_text(errors: _Errors, field: str, value: object) -> str | None:
    """Optional multi-line text: None or blank → None; trimmed, at most FREE_TEXT_MAX characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        errors.fail(field, "updates.error.text_invalid")
        return None
    text = value.strip()
    if len(text) > FREE_TEXT_MAX:
        errors.fail(field, "updates.error.text_long", max=FREE_TEXT_MAX)
    elif problem := text_problem(text, multiline=True, control_key="updates.error.text_chars"):
        errors.fail(field, problem[0], **problem[1])
    return text or None


def _check_visitor_name(errors: _Errors, value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        errors.fail("visitor_name", "updates.error.visitor_name_required")
    elif len(text) > VISITOR_NAME_MAX:
        errors.fail("visitor_name", "updates.error.visitor_name_long", max=VISITOR_NAME_MAX)
    elif problem := text_problem(text, control_key="updates.error.visitor_name_chars"):
        errors.fail("visitor_name", problem[0], **problem[1])
    return text


# --- verification visits ------------------------------------------------------------------------


@transactional
def record_visit(
    session: Session,
    *,
    actor: Actor | None,
    household_id: int,
    visited_on: dt.date,
    visitor_name: str,
    ledger_verified: bool,
    problems: str | None,
    satisfied: bool | None,
    found_unregistered_need: bool = False,
    as_of: dt.date,
) -> int:
    """Record one verification visit to a household; returns the new visit's id.

    Refuses (PermissionDenied) anyone but a town editor of the household's town or a village
    editor of its village, and (ValidationError) an unknown household, a visit date after `as_of`
    or before 2014, a visitor name blank, longer than 40 characters or with control characters,
    and an unverified ledger without the problems found (at most 2,000 characters). Text is
    stored trimmed; blank problems are stored as NULL.
    """
    require_role(session, actor, VISIT_RECORD)
    found = _load_household(session, household_id)
    if found is None:
        raise ValidationError({"household_id": "updates.error.household_unknown"})
    household, village_code, town_code = found
    actor = require(session, actor, VISIT_RECORD, town_code=town_code, village_code=village_code)
    visit = check_visit(
        household,
        visited_on=visited_on,
        visitor_name=visitor_name,
        ledger_verified=ledger_verified,
        problems=problems,
        satisfied=satisfied,
        found_unregistered_need=found_unregistered_need,
        as_of=as_of,
    )
    (visit_id,) = add_visits(session, actor=actor, visits=[visit])
    bump_data_version(session, households=[household.id])
    return visit_id


@dataclass(frozen=True)
class NewVisit:
    """A visit that passed `check_visit`, as it is stored (and audited)."""

    household_id: int
    archive_no: str
    visited_on: dt.date
    visitor_name: str
    ledger_verified: bool
    problems: str | None
    satisfied: bool | None
    found_unregistered_need: bool


def check_visit(
    household: Household,
    *,
    visited_on: object,
    visitor_name: object,
    ledger_verified: object,
    problems: object,
    satisfied: object,
    found_unregistered_need: object = False,
    as_of: dt.date,
) -> NewVisit:
    """`record_visit`'s validation of a visit to `household` (ValidationError); reads nothing."""
    errors = _Errors()
    day = _check_date(errors, "visited_on", visited_on, as_of=as_of)
    name = _check_visitor_name(errors, visitor_name)
    verified = _check_bool(errors, "ledger_verified", ledger_verified)
    happy = _check_bool(errors, "satisfied", satisfied, optional=True)
    need = _check_bool(errors, "found_unregistered_need", found_unregistered_need)
    text = _check_text(errors, "problems", problems)
    if verified is False and text is None and "problems" not in errors:
        errors.fail("problems", "updates.error.problems_required")
    errors.raise_if_any()
    assert day is not None and verified is not None and need is not None
    return NewVisit(household.id, household.archive_no, day, name, verified, text, happy, need)


def add_visits(session: Session, *, actor: Actor, visits: Sequence[NewVisit]) -> list[int]:
    """Store checked visits with an audit row each (two flushes, however many); their new ids."""
    values = [dict(vars(visit)) for visit in visits]
    ids = insert_many(
        session, VerificationVisit, [{k: v for k, v in row.items() if k != "archive_no"} for row in values]
    )
    insert_many(
        session,
        AuditEntry,
        [
            audit_values(
                actor=actor, action=VISIT_RECORD, table="verification_visits", key=str(key), old=None, new=row
            )
            for key, row in zip(ids, values, strict=True)
        ],
    )
    return ids


class _VisitImport:
    """`record_visit` for a whole file (lib.services.common.RowImporter)."""

    action = VISIT_RECORD

    def load(
        self, session: Session, requests: Sequence[Mapping[str, Any]], *, as_of: dt.date, lock: bool
    ) -> dict[int, HouseholdPlace]:
        return load_households(session, (request["household_id"] for request in requests))

    def prepare(
        self,
        loaded: Mapping[int, HouseholdPlace],
        actor: Actor,
        request: Mapping[str, Any],
        *,
        as_of: dt.date,
    ) -> NewVisit:
        household = _in_scope(loaded, actor, self.action, request["household_id"])
        fields = {name: value for name, value in request.items() if name != "household_id"}
        return check_visit(household, **fields, as_of=as_of)

    def write(self, session: Session, actor: Actor, prepared: Sequence[NewVisit]) -> list[int]:
        add_visits(session, actor=actor, visits=prepared)
        return [visit.household_id for visit in prepared]


VISIT_IMPORT = _VisitImport()


# --- household status ---------------------------------------------------------------------------


def household_values(household: Household) -> dict[str, Any]:
    """The values the status form edits (and a StaleEdit reports), with the row's version."""
    values: dict[str, Any] = {name: getattr(household, name) for name in AUDITED}
    values["version"] = household.version
    return values


@transactional
def update_household_status(
    session: Session,
    *,
    actor: Actor | None,
    household_id: int,
    expected_version: int,
    status: HouseholdStatus | str,
    flags: Mapping[str, bool],
    exit_steps: Mapping[str, dt.date | None],
    reason: str | None,
    as_of: dt.date,
) -> int:
    """Change a household's status, its six exit checks and its exit-step dates; returns the new version.

    `flags` and `exit_steps` may hold any of HOUSEHOLD_FLAGS / EXIT_STEPS; a name left out keeps its value.
    Refuses (PermissionDenied) anyone but an editor in scope; (StaleEdit, with the current values)
    when the row's version is not `expected_version`; (ValidationError) an unknown status, dates
    after `as_of`, before 2014 or out of order, a later step dated while an earlier one is not,
    a move to "exited" without all five steps, all six checks and the latest year's per-capita
    income above that year's poverty line, and a move from "exited" back to "poor" without a
    reason. When nothing changes, nothing is written and the current version is returned.
    """
    require_role(session, actor, HOUSEHOLD_UPDATE)
    found = _load_household(session, household_id)
    if found is None:
        raise ValidationError({"household_id": "updates.error.household_unknown"})
    household, village_code, town_code = found
    actor = require(session, actor, HOUSEHOLD_UPDATE, town_code=town_code, village_code=village_code)
    change = check_status_change(
        household,
        expected_version=expected_version,
        status=status,
        flags=flags,
        exit_steps=exit_steps,
        reason=reason,
        as_of=as_of,
        latest_income=lambda: _latest_income(session, household.id, as_of),
    )
    if not change.changed:
        return household.version
    archive_no = household.archive_no
    try:
        apply_status_changes(session, actor=actor, changes=[change])
    except StaleDataError:
        session.rollback()
        current = _load_household(session, household_id)
        raise StaleEdit(
            "households", archive_no, current=household_values(current[0]) if current else None
        ) from None
    bump_data_version(session, households=[household.id])
    return household.version


Income = tuple[int, int]  # (year, per-capita income): a household's latest income on record


@dataclass(frozen=True)
class StatusChange:
    """A household's checked new values (`check_status_change`), not yet applied."""

    household: Household
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    reason: str | None

    @property
    def changed(self) -> list[str]:
        return [name for name in AUDITED if self.new[name] != self.old[name]]


def check_status_change(
    household: Household,
    *,
    expected_version: object,
    status: object,
    flags: Mapping[str, bool],
    exit_steps: Mapping[str, dt.date | None],
    reason: object,
    as_of: dt.date,
    latest_income: Callable[[], Income | None],
) -> StatusChange:
    """`update_household_status`'s stale-edit check (StaleEdit) and validation (ValidationError)
    of a change to `household`; `latest_income` is asked only for a move to "exited". Changes
    nothing: `apply_status_changes` does."""
    if household.version != expected_version:
        raise StaleEdit("households", household.archive_no, current=household_values(household))
    old = household_values(household)
    new, why = _validated(old, status, flags, exit_steps, reason, as_of, latest_income)
    return StatusChange(household, old, new, why)


def apply_status_changes(session: Session, *, actor: Actor, changes: Sequence[StatusChange]) -> list[int]:
    """Apply checked changes (those that change something) with an audit row each; the ids of
    the households changed. Each UPDATE is conditional on the version checked: StaleDataError
    when another writer got there first (the caller rolls back)."""
    changes = [change for change in changes if change.changed]
    for change in changes:
        for name in change.changed:
            setattr(change.household, name, change.new[name])
    session.flush()  # UPDATE … WHERE id = ? AND version = ?: a writer in between makes it miss
    insert_many(
        session,
        AuditEntry,
        [
            audit_values(
                actor=actor,
                action=HOUSEHOLD_UPDATE,
                table="households",
                key=change.household.archive_no,
                old={name: change.old[name] for name in change.changed},
                new={name: change.new[name] for name in change.changed},
                reason=change.reason,
            )
            for change in changes
        ],
    )
    return [change.household.id for change in changes]


def _latest_income(session: Session, household_id: int, as_of: dt.date) -> Income | None:
    latest = session.execute(
        select(HouseholdIncome.year, HouseholdIncome.per_capita_income)
        .where(HouseholdIncome.household_id == household_id, HouseholdIncome.year <= as_of.year)
        .order_by(HouseholdIncome.year.desc())
        .limit(1)
    ).first()
    return None if latest is None else (int(latest[0]), int(latest[1]))


def latest_incomes(session: Session, household_ids: Iterable[int], *, as_of: dt.date) -> dict[int, Income]:
    """`_latest_income` of many households, 500 to a query."""
    wanted = sorted(set(household_ids))
    found: dict[int, Income] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        rows = session.execute(
            select(
                HouseholdIncome.household_id, HouseholdIncome.year, HouseholdIncome.per_capita_income
            ).where(
                HouseholdIncome.household_id.in_(wanted[start : start + LOOKUP_CHUNK]),
                HouseholdIncome.year <= as_of.year,
            )
        )
        for household_id, year, income in rows:
            if household_id not in found or year > found[household_id][0]:
                found[household_id] = (int(year), int(income))
    return found


class _StatusImport:
    """`update_household_status` for a whole file (lib.services.common.RowImporter)."""

    action = HOUSEHOLD_UPDATE

    def load(
        self, session: Session, requests: Sequence[Mapping[str, Any]], *, as_of: dt.date, lock: bool
    ) -> tuple[dict[int, HouseholdPlace], dict[int, Income]]:
        found = load_households(session, (request["household_id"] for request in requests), lock=lock)
        exiting = [
            request["household_id"]
            for request in requests
            if request.get("status") == HouseholdStatus.EXITED.value and request["household_id"] in found
        ]
        return found, latest_incomes(session, exiting, as_of=as_of)

    def prepare(
        self,
        loaded: tuple[Mapping[int, HouseholdPlace], Mapping[int, Income]],
        actor: Actor,
        request: Mapping[str, Any],
        *,
        as_of: dt.date,
    ) -> StatusChange:
        found, incomes = loaded
        household = _in_scope(found, actor, self.action, request["household_id"])
        return check_status_change(
            household,
            expected_version=request["expected_version"],
            status=request["status"],
            flags=request["flags"],
            exit_steps=request["exit_steps"],
            reason=request.get("reason"),
            as_of=as_of,
            latest_income=lambda: incomes.get(household.id),
        )

    def write(self, session: Session, actor: Actor, prepared: Sequence[StatusChange]) -> list[int]:
        return apply_status_changes(session, actor=actor, changes=prepared)


STATUS_IMPORT = _StatusImport()


def _validated(
    old: Mapping[str, Any],
    status: object,
    flags: Mapping[str, bool],
    exit_steps: Mapping[str, dt.date | None],
    reason: object,
    as_of: dt.date,
    latest_income: Callable[[], Income | None],
) -> tuple[dict[str, Any], str | None]:
    """The household's values after the change, and the trimmed reason; or a ValidationError."""
    errors = _Errors()
    new: dict[str, Any] = {name: old[name] for name in AUDITED}

    try:
        if not isinstance(status, str):
            raise ValueError(status)
        new["status"] = HouseholdStatus(status).value
    except ValueError:
        errors.fail(
            "status",
            "updates.error.status_unknown",
            status=str(status),
            statuses=", ".join(member.value for member in HouseholdStatus),
        )

    for group, allowed, given in (("flags", HOUSEHOLD_FLAGS, flags), ("exit_steps", EXIT_STEPS, exit_steps)):
        if not isinstance(given, Mapping):
            errors.fail(group, "updates.error.unknown_fields", names=str(given))
            continue
        unknown = sorted(str(name) for name in given if name not in allowed)
        if unknown:
            errors.fail(group, "updates.error.unknown_fields", names=", ".join(unknown))
    if isinstance(flags, Mapping):
        for name in HOUSEHOLD_FLAGS:
            if name in flags:
                value = _check_bool(errors, name, flags[name])
                if value is not None:
                    new[name] = value
    if isinstance(exit_steps, Mapping):
        for name in EXIT_STEPS:
            if name in exit_steps:
                day = exit_steps[name]
                new[name] = None if day is None else _check_date(errors, name, day, as_of=as_of)

    # Steps in order: each on or after the previous dated one; none undated before a dated one.
    previous: dt.date | None = None
    for index, name in enumerate(EXIT_STEPS):
        day = new[name]
        if name in errors:
            continue
        if day is None:
            if any(new[later] is not None for later in EXIT_STEPS[index + 1 :]):
                errors.fail(name, "updates.error.step_missing")
            continue
        if day > as_of:  # a stored date may be checked against a new as_of too
            errors.fail(name, "updates.error.date_in_future", as_of=as_of.isoformat())
        elif previous is not None and day < previous:
            errors.fail(name, "updates.error.step_out_of_order", previous=previous.isoformat())
        previous = day if previous is None or day > previous else previous

    why = _check_text(errors, "reason", reason)

    if "status" not in errors and new["status"] != old["status"]:
        if new["status"] == HouseholdStatus.EXITED.value:
            _check_exit(errors, new, latest_income())
            removed = new["exit_removed_on"]
            new["exit_year"] = removed.year if isinstance(removed, dt.date) else old["exit_year"]
        elif old["status"] == HouseholdStatus.EXITED.value and new["status"] == HouseholdStatus.POOR.value:
            new["exit_year"] = None  # back on the register (a monitored household keeps its exit year)
            if why is None and "reason" not in errors:
                errors.fail("reason", "updates.error.reason_required")
    errors.raise_if_any()
    return new, why


def _check_exit(errors: _Errors, new: Mapping[str, Any], latest: Income | None) -> None:
    """A household exits only with all five steps dated, all six checks met and income above the line."""
    missing_steps = [name for name in EXIT_STEPS if new[name] is None]
    if missing_steps:
        errors.fail(
            "exit_steps",
            "updates.error.exit_needs_steps",
            missing=", ".join(missing_steps),
            fields=tuple(missing_steps),
        )
    missing_flags = [name for name in HOUSEHOLD_FLAGS if new[name] is not True]
    if missing_flags:
        errors.fail(
            "flags",
            "updates.error.exit_needs_guarantees",
            missing=", ".join(missing_flags),
            fields=tuple(missing_flags),
        )
    if latest is None:
        errors.fail("status", "updates.error.exit_no_income")
    else:
        year, income = latest
        line = poverty_line(year)
        if income <= line:
            errors.fail("status", "updates.error.exit_income_below_line", year=year, income=income, line=line)
