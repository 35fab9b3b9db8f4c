"""Industry-plan writes ("one household, one industry"): add a plan to a household, or change one.

Each service runs like the household services: permission (the household's town / village) →
stale-edit check → validation (every bad field at once) → write → audit row → bump the data
version → commit; on any error the transaction is rolled back and nothing is written.

The industry page reads a plan's stage from `stage`, how long it has been there from
`stage_since`, and its history from `PlanStageChange`; so every stage change here sets
`stage_since` and adds a history row, and a new plan gets a first row from no stage.

`create_plan` is split for Excel imports (`PLAN_IMPORT`, see `lib.services.common.RowImporter`):
`check_new_plan` validates against lookups read once per file, `add_plans` stores many at once.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.domain import INCOME_MAX, IndustryCategory, PlanStage
from lib.core.errors import StaleEdit, ValidationError
from lib.core.models import (
    AuditEntry,
    Household,
    Industry,
    IndustryPlan,
    Organisation,
    PlanStageChange,
    Town,
    Village,
)
from lib.rules.permissions import PLAN_UPDATE, Actor
from lib.services.auth import require, require_role
from lib.services.common import audit_values, bump_data_version, insert_many, save_versioned, transactional
from lib.services.households import (
    LOOKUP_CHUNK,
    HouseholdPlace,
    _check_date,
    _check_text,
    _Errors,
    _in_scope,
    _load_household,
    load_households,
)

PLAN_TABLE = "industry_plans"
PLAN_CREATE = "plan.create"  # the audit action of a new plan (permission: PLAN_UPDATE, as for changes)
ID_MAX = 2**63 - 1
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,30}")  # Industry.code is String(30)
STAGES = tuple(stage.value for stage in PlanStage)
AUDITED = (
    "industry",
    "stage",
    "planned_on",
    "started_on",
    "stage_since",
    "partner_org_id",
    "expected_income",
    "actual_income",
)


def plan_key(archive_no: str, plan_id: int) -> str:
    """The audit record key of a plan: its household's archive number (searchable) and its id."""
    return f"{archive_no}/{plan_id}"


def plan_values(plan: IndustryPlan, industry_code: str) -> dict[str, Any]:
    """The values the plan form edits (and a StaleEdit reports), with the household and version."""
    values: dict[str, Any] = {name: getattr(plan, name) for name in AUDITED if name != "industry"}
    values["industry"] = industry_code
    values["household_id"] = plan.household_id
    values["version"] = plan.version
    return values


def _load_plan(session: Session, plan_id: object) -> tuple[IndustryPlan, str, Household, str, str] | None:
    """The plan, its industry's code, its household and the household's village and town codes."""
    if not _is_id(plan_id):
        return None
    row = session.execute(
        select(IndustryPlan, Industry.code, Household, Village.code, Town.code)
        .join(Industry, Industry.id == IndustryPlan.industry_id)
        .join(Household, Household.id == IndustryPlan.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id)
        .where(IndustryPlan.id == plan_id)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        return None
    return row[0], row[1], row[2], row[3], row[4]


# --- checks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookups:
    """How a plan's checks find an industry by code (its id and category) and whether a partner
    organisation exists: a query each for a form, dictionaries read once for an import."""

    industry: Callable[[str], tuple[int, str] | None]
    partner: Callable[[int], bool]


def _session_lookups(session: Session) -> Lookups:
    def industry(code: str) -> tuple[int, str] | None:
        found = session.execute(select(Industry.id, Industry.category).where(Industry.code == code)).first()
        return None if found is None else (int(found[0]), str(found[1]))

    def partner(org_id: int) -> bool:
        return session.scalar(select(Organisation.id).where(Organisation.id == org_id)) is not None

    return Lookups(industry, partner)


def _check_income(errors: _Errors, field: str, value: object) -> int | None:
    """Optional whole yuan a year: 0 … INCOME_MAX; an integral float (1200.0) counts as whole."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.fail(field, "plans.error.income_invalid")
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            errors.fail(field, "plans.error.income_invalid")
            return None
        if not value.is_integer():
            errors.fail(field, "plans.error.income_whole")
            return None
    amount = int(value)
    if amount < 0:
        errors.fail(field, "plans.error.income_negative")
    elif amount > INCOME_MAX:
        errors.fail(field, "plans.error.income_too_high", max=INCOME_MAX)
    return amount


def _check_stage(errors: _Errors, value: object) -> PlanStage | None:
    if isinstance(value, str) and value in STAGES:
        return PlanStage(value)
    errors.fail("stage", "plans.error.stage_unknown", stage=str(value)[:40], stages=", ".join(STAGES))
    return None


def _check_industry(
    lookups: Lookups, errors: _Errors, value: object, household: Household
) -> tuple[int, str] | None:
    """The industry's id and code; migrant work only for a household with someone to send."""
    if not isinstance(value, str) or not value.strip():
        errors.fail("industry", "plans.error.industry_required")
        return None
    code = value.strip()
    if not _CODE.fullmatch(code):  # cannot be a code: not worth a query (nor a NUL sent to PostgreSQL)
        errors.fail("industry", "plans.error.industry_unknown", code=code[:40])
        return None
    found = lookups.industry(code)
    if found is None:
        errors.fail("industry", "plans.error.industry_unknown", code=code[:40])
        return None
    if found[1] == IndustryCategory.MIGRANT_WORK.value and household.labour_count < 1:
        errors.fail("industry", "plans.error.migrant_needs_labour")
    return int(found[0]), code


def _is_id(value: object) -> bool:
    """A possible row id: an int (not a bool) that fits a 64-bit column (SQLite refuses bigger ones)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= ID_MAX


def _check_partner(lookups: Lookups, errors: _Errors, value: object) -> int | None:
    if value is None:
        return None
    if not _is_id(value) or not lookups.partner(value):  # type: ignore[arg-type]
        errors.fail("partner_org_id", "plans.error.partner_unknown")
        return None
    assert isinstance(value, int)
    return value


def _validated(
    lookups: Lookups,
    household: Household,
    old: Mapping[str, Any] | None,
    *,
    industry_code: object,
    stage: object,
    planned_on: object,
    started_on: object,
    stage_changed_on: object,
    partner_org_id: object,
    expected_income: object,
    actual_income: object,
    reason: object,
    as_of: dt.date,
) -> tuple[dict[str, Any], int, str | None]:
    """The plan's values after the change (`old` None for a new plan), its industry id and the reason."""
    errors = _Errors()
    industry = _check_industry(lookups, errors, industry_code, household)
    new_stage = _check_stage(errors, stage)

    planned = None
    if planned_on is None:
        errors.fail("planned_on", "plans.error.planned_required")
    else:
        planned = _check_date(errors, "planned_on", planned_on, as_of=as_of)
    started = None if started_on is None else _check_date(errors, "started_on", started_on, as_of=as_of)
    if new_stage is not None and "started_on" not in errors:
        if new_stage is PlanStage.PLANNED and started is not None:
            errors.fail("started_on", "plans.error.start_when_planned")
        elif new_stage is not PlanStage.PLANNED and started is None:
            errors.fail("started_on", "plans.error.start_required")
    if (
        planned is not None
        and started is not None
        and "planned_on" not in errors
        and "started_on" not in errors
        and started < planned
    ):
        errors.fail("started_on", "plans.error.start_before_planned", planned=planned.isoformat())

    partner = _check_partner(lookups, errors, partner_org_id)
    expected = _check_income(errors, "expected_income", expected_income)
    actual = _check_income(errors, "actual_income", actual_income)
    if new_stage is PlanStage.STABLE and actual is None and "actual_income" not in errors:
        errors.fail("actual_income", "plans.error.actual_required")
    why = _check_text(errors, "reason", reason)

    old_stage = PlanStage(old["stage"]) if old is not None and old["stage"] in STAGES else None
    moved = old is None or (new_stage is not None and new_stage is not old_stage)
    if old_stage is not None and new_stage is not None and moved and why is None and "reason" not in errors:
        step = new_stage.rank - old_stage.rank
        if step < 0:
            errors.fail("reason", "plans.error.reason_backward")
        elif step > 1:
            errors.fail("reason", "plans.error.reason_skip")

    since = old["stage_since"] if old is not None else None
    if moved and new_stage is not None:
        since = _stage_date(
            errors,
            stage_changed_on,
            new_stage,
            old,
            planned=None if "planned_on" in errors else planned,
            started=None if "started_on" in errors else started,
            as_of=as_of,
        )
    errors.raise_if_any()
    assert industry is not None and new_stage is not None and planned is not None and since is not None
    new = {
        "industry": industry[1],
        "stage": new_stage.value,
        "planned_on": planned,
        "started_on": started,
        "stage_since": since,
        "partner_org_id": partner,
        "expected_income": expected,
        "actual_income": actual,
    }
    return new, industry[0], why


def _stage_date(
    errors: _Errors,
    value: object,
    stage: PlanStage,
    old: Mapping[str, Any] | None,
    *,
    planned: dt.date | None,
    started: dt.date | None,
    as_of: dt.date,
) -> dt.date | None:
    """The date the plan reached `stage`: as given, else planned_on / started_on where they say, else as_of.

    Not before the plan was planned, a later stage not before its start, and not before the plan's
    previous stage change (the history stays in order).
    """
    previous = old["stage_since"] if old is not None else None
    if value is not None:
        day = _check_date(errors, "stage_changed_on", value, as_of=as_of)
        if day is None or "stage_changed_on" in errors:
            return None
    elif stage is PlanStage.PLANNED and old is None and planned is not None:
        day = planned
    elif stage is PlanStage.STARTED and started is not None and (previous is None or started >= previous):
        day = started
    else:
        day = as_of
    if planned is not None and day < planned:
        errors.fail("stage_changed_on", "plans.error.change_before_planned", planned=planned.isoformat())
    elif stage is not PlanStage.PLANNED and started is not None and day < started:
        errors.fail("stage_changed_on", "plans.error.change_before_start", started=started.isoformat())
    elif isinstance(previous, dt.date) and day < previous:
        errors.fail("stage_changed_on", "plans.error.change_before_last", since=previous.isoformat())
    return day


# --- the services ---------------------------------------------------------------------------------


@transactional
def create_plan(
    session: Session,
    *,
    actor: Actor | None,
    household_id: int,
    industry_code: str,
    stage: PlanStage | str,
    planned_on: dt.date,
    started_on: dt.date | None,
    partner_org_id: int | None,
    expected_income: int | None,
    actual_income: int | None,
    reason: str | None = None,
    stage_changed_on: dt.date | None = None,
    as_of: dt.date,
) -> int:
    """Add an industry plan to a household; returns the new plan's id.

    Refuses (PermissionDenied) anyone but a town editor of the household's town or a village
    editor of its village, and (ValidationError) an unknown household, industry or partner
    organisation; migrant work for a household without labour; an unknown stage; dates that are
    not dates, after `as_of`, before 2014, or a start before the plan; a start date on a plan
    still "planned" and none on a later stage; incomes that are not whole yuan from 0 to
    1,000,000; "stable" without an actual income; a reason over 2,000 characters.

    `stage_changed_on` is the day the plan reached its stage (default: planned_on for a planned
    plan, started_on for a started one, else `as_of`); it becomes `stage_since` and the date of
    the plan's first history row.
    """
    require_role(session, actor, PLAN_UPDATE)
    found = _load_household(session, household_id) if _is_id(household_id) else None
    if found is None:
        raise ValidationError({"household_id": "updates.error.household_unknown"})
    household, village_code, town_code = found
    actor = require(session, actor, PLAN_UPDATE, town_code=town_code, village_code=village_code)
    plan = check_new_plan(
        household,
        industry_code=industry_code,
        stage=stage,
        planned_on=planned_on,
        started_on=started_on,
        stage_changed_on=stage_changed_on,
        partner_org_id=partner_org_id,
        expected_income=expected_income,
        actual_income=actual_income,
        reason=reason,
        as_of=as_of,
        lookups=_session_lookups(session),
    )
    (plan_id,) = add_plans(session, actor=actor, plans=[plan])
    bump_data_version(session, households=[household.id])
    return plan_id


@dataclass(frozen=True)
class NewPlan:
    """A plan that passed `check_new_plan`: its household, industry, values and reason."""

    household_id: int
    archive_no: str
    industry_id: int
    values: Mapping[str, Any]  # AUDITED's values, the industry by code
    reason: str | None


def check_new_plan(
    household: Household,
    *,
    industry_code: object,
    stage: object,
    planned_on: object,
    started_on: object,
    partner_org_id: object,
    expected_income: object,
    actual_income: object,
    reason: object = None,
    stage_changed_on: object = None,
    as_of: dt.date,
    lookups: Lookups,
) -> NewPlan:
    """`create_plan`'s validation of a new plan for `household` (ValidationError); reads only
    through `lookups`."""
    new, industry_id, why = _validated(
        lookups,
        household,
        None,
        industry_code=industry_code,
        stage=stage,
        planned_on=planned_on,
        started_on=started_on,
        stage_changed_on=stage_changed_on,
        partner_org_id=partner_org_id,
        expected_income=expected_income,
        actual_income=actual_income,
        reason=reason,
        as_of=as_of,
    )
    return NewPlan(household.id, household.archive_no, industry_id, new, why)


def add_plans(session: Session, *, actor: Actor, plans: Sequence[NewPlan]) -> list[int]:
    """Store checked new plans, each with its first stage-history row and an audit row; their ids."""
    ids = insert_many(
        session,
        IndustryPlan,
        [
            {
                "household_id": plan.household_id,
                "industry_id": plan.industry_id,
                **{name: value for name, value in plan.values.items() if name != "industry"},
            }
            for plan in plans
        ],
    )
    pairs = list(zip(ids, plans, strict=True))
    insert_many(
        session,
        PlanStageChange,
        [
            {
                "plan_id": key,
                "from_stage": None,
                "to_stage": plan.values["stage"],
                "changed_on": plan.values["stage_since"],
                "reason": plan.reason,
            }
            for key, plan in pairs
        ],
    )
    insert_many(
        session,
        AuditEntry,
        [
            audit_values(
                actor=actor,
                action=PLAN_CREATE,
                table=PLAN_TABLE,
                key=plan_key(plan.archive_no, key),
                old=None,
                new={"household_id": plan.household_id, "archive_no": plan.archive_no, **plan.values},
                reason=plan.reason,
            )
            for key, plan in pairs
        ],
    )
    return ids


class _PlanImport:
    """`create_plan` for a whole file (lib.services.common.RowImporter)."""

    action = PLAN_UPDATE

    def load(
        self, session: Session, requests: Sequence[Mapping[str, Any]], *, as_of: dt.date, lock: bool
    ) -> tuple[dict[int, HouseholdPlace], Lookups]:
        found = load_households(session, (request["household_id"] for request in requests))
        industries = {
            str(code): (int(key), str(category))
            for code, key, category in session.execute(select(Industry.code, Industry.id, Industry.category))
        }
        partners = _existing_organisations(session, (request.get("partner_org_id") for request in requests))
        return found, Lookups(industries.get, partners.__contains__)

    def prepare(
        self,
        loaded: tuple[Mapping[int, HouseholdPlace], Lookups],
        actor: Actor,
        request: Mapping[str, Any],
        *,
        as_of: dt.date,
    ) -> NewPlan:
        found, lookups = loaded
        household = _in_scope(found, actor, self.action, request["household_id"])
        fields = {name: value for name, value in request.items() if name != "household_id"}
        return check_new_plan(household, **fields, as_of=as_of, lookups=lookups)

    def write(self, session: Session, actor: Actor, prepared: Sequence[NewPlan]) -> list[int]:
        add_plans(session, actor=actor, plans=prepared)
        return [plan.household_id for plan in prepared]


def _existing_organisations(session: Session, ids: Iterable[object]) -> set[int]:
    wanted = sorted({value for value in ids if _is_id(value)})  # type: ignore[type-var]
    found: set[int] = set()
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        found.update(
            int(key) for key in session.scalars(select(Organisation.id).where(Organisation.id.in_(chunk)))
        )
    return found


PLAN_IMPORT = _PlanImport()


@transactional
def update_plan(
    session: Session,
    *,
    actor: Actor | None,
    plan_id: int,
    expected_version: int,
    industry_code: str,
    stage: PlanStage | str,
    planned_on: dt.date,
    started_on: dt.date | None,
    partner_org_id: int | None,
    expected_income: int | None,
    actual_income: int | None,
    reason: str | None = None,
    stage_changed_on: dt.date | None = None,
    as_of: dt.date,
) -> int:
    """Change an industry plan; returns its new version (the same one when nothing changed).

    Refuses what `create_plan` refuses, an unknown plan, and (StaleEdit, with the current values)
    a plan whose version is not `expected_version`, also when another writer commits between the
    check and the write. Staying at a stage or moving one step forward needs no reason; skipping
    a stage or moving back does. A stage change sets `stage_since` to `stage_changed_on` (default:
    started_on for a move to "started" when not before the previous change, else `as_of`) and
    adds a history row; `stage_changed_on` is ignored when the stage stays.
    """
    require_role(session, actor, PLAN_UPDATE)
    found = _load_plan(session, plan_id)
    if found is None:
        raise ValidationError({"plan_id": "plans.error.plan_unknown"})
    plan, industry_code_now, household, village_code, town_code = found
    actor = require(session, actor, PLAN_UPDATE, town_code=town_code, village_code=village_code)
    key = plan_key(household.archive_no, plan.id)
    if isinstance(expected_version, bool) or plan.version != expected_version:
        raise StaleEdit(PLAN_TABLE, key, current=plan_values(plan, industry_code_now))

    old = plan_values(plan, industry_code_now)
    new, industry_id, why = _validated(
        _session_lookups(session),
        household,
        old,
        industry_code=industry_code,
        stage=stage,
        planned_on=planned_on,
        started_on=started_on,
        stage_changed_on=stage_changed_on,
        partner_org_id=partner_org_id,
        expected_income=expected_income,
        actual_income=actual_income,
        reason=reason,
        as_of=as_of,
    )
    changed = [name for name in AUDITED if new[name] != old[name]]
    if not changed:
        return plan.version
    for name in changed:
        if name == "industry":
            plan.industry_id = industry_id
        else:
            setattr(plan, name, new[name])
    if new["stage"] != old["stage"]:
        session.add(
            PlanStageChange(
                plan_id=plan.id,
                from_stage=old["stage"],
                to_stage=new["stage"],
                changed_on=new["stage_since"],
                reason=why,
            )
        )

    def as_it_is() -> dict[str, Any] | None:
        current = _load_plan(session, plan_id)
        return plan_values(current[0], current[1]) if current else None

    save_versioned(
        session,
        actor=actor,
        action=PLAN_UPDATE,
        table=PLAN_TABLE,
        key=key,
        old=old,
        new=new,
        changed=changed,
        current=as_it_is,
        reason=why,
        households=[plan.household_id],
    )
    return plan.version
