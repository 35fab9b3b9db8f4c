"""Industry plans: create and update, validation, permission, stale edits, history, audit, data version.

The hand county (tests/hand_county.py) has plans 1–7, all planned on 2018-03-01 and at their stage
since 2019-05-01, none with a start date: h1 (A1) 1 stable + 2 started, h2 (A1, no labour) 3
producing, h3 (A1) 4 planned, h5 (A2) 5 started, h7 (B1) 6 producing, h9 (B2) 7 stable. This module
adds a migrant-work industry and two cooperatives, one in town A and one in town B.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.domain import INCOME_MAX, Role
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.i18n import get_language, set_language, t
from lib.core.models import AuditEntry, Industry, IndustryPlan, Organisation, PlanStageChange
from lib.core.schema import upgrade
from lib.queries import industry as industry_queries
from lib.queries import overview, plan_forms
from lib.queries.common import data_version
from lib.rules.permissions import Actor
from lib.services.households import field_messages
from lib.services.industry import STAGES, create_plan, plan_key, update_plan
from tests.hand_county import load_hand_county
from tests.support.accounts import module_actors, store_accounts
from tests.support.concurrency import write_before_first_flush

D = dt.date
AS_OF = D(2020, 10, 31)
TOWN_A, TOWN_B = "349901100", "349901101"
A1, A2 = "349901100201", "349901100202"
H1, H2, H3, H4, H5, H9 = 1, 2, 3, 4, 5, 9
PLAN_H3, PLAN_H5, PLAN_H9 = 4, 5, 7  # planned, started, stable
PLANS_IN_HAND_COUNTY = 7

EDITOR_A = Actor(user_id=None, username="ed-a", display_name="Ed A", role=Role.TOWN_EDITOR, town_code=TOWN_A)
EDITOR_B = Actor(user_id=None, username="ed-b", display_name="Ed B", role=Role.TOWN_EDITOR, town_code=TOWN_B)
VILLAGER_A1 = Actor(
    user_id=None,
    username="vil-a1",
    display_name="Vil",
    role=Role.VILLAGE_EDITOR,
    town_code=TOWN_A,
    village_code=A1,
)
LEADER = Actor(user_id=None, username="lead", display_name="Lead", role=Role.LEADER)
ADMIN = Actor(user_id=None, username="admin", display_name="Admin", role=Role.ADMIN)


def _add_partners_and_migrant_work(session: Session) -> tuple[int, int]:
    """A migrant-work industry and a cooperative in towns A and B; returns the cooperatives' ids."""
    session.add(Industry(code="migrant", category="migrant_work", name_zh="外出务工", name_en="Migrant work"))
    coop_a = Organisation(
        kind="cooperative", name_zh="甲镇蔬菜合作社", name_en="Jia Vegetables Co-op", town_id=1
    )
    coop_b = Organisation(kind="enterprise", name_zh="乙镇食品公司", name_en="Yi Foods", town_id=2)
    session.add_all([coop_a, coop_b])
    session.commit()
    return coop_a.id, coop_b.id


@pytest.fixture
def session(hand_engine: Engine) -> Iterator[Session]:
    with Session(hand_engine) as session:
        _add_partners_and_migrant_work(session)
        store_accounts(session, *module_actors(globals()))
        yield session


def _org_id(session: Session, town_id: int) -> int:
    found = session.scalar(select(Organisation.id).where(Organisation.town_id == town_id))
    assert found is not None
    return found


def _counts(session: Session) -> tuple[int, int, int, str]:
    """Plans, stage-history rows, audit rows and the data version: what a refused write leaves alone."""
    session.rollback()
    plans = session.scalar(select(func.count()).select_from(IndustryPlan)) or 0
    history = session.scalar(select(func.count()).select_from(PlanStageChange)) or 0
    audits = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return int(plans), int(history), int(audits), data_version(session)


def _plan(session: Session, plan_id: int) -> IndustryPlan:
    found = session.get(IndustryPlan, plan_id, populate_existing=True)
    assert found is not None
    return found


def _history(session: Session, plan_id: int) -> list[tuple[str | None, str, dt.date, str | None]]:
    rows = session.execute(
        select(
            PlanStageChange.from_stage,
            PlanStageChange.to_stage,
            PlanStageChange.changed_on,
            PlanStageChange.reason,
        )
        .where(PlanStageChange.plan_id == plan_id)
        .order_by(PlanStageChange.id)
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _last_audit(session: Session) -> AuditEntry:
    return session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()


def _create(session: Session, **overrides: Any) -> int:
    values: dict[str, Any] = {
        "actor": EDITOR_A,
        "household_id": H4,
        "industry_code": "vegetables",
        "stage": "planned",
        "planned_on": D(2020, 3, 1),
        "started_on": None,
        "partner_org_id": None,
        "expected_income": 3000,
        "actual_income": None,
        "reason": None,
        "as_of": AS_OF,
    }
    values.update(overrides)
    return create_plan(session, **values)


def _update(session: Session, **overrides: Any) -> int:
    """Change h3's plan (4, planned since 2019-05-01); by default to "started" on 2020-10-01."""
    values: dict[str, Any] = {
        "actor": EDITOR_A,
        "plan_id": PLAN_H3,
        "expected_version": 1,
        "industry_code": "vegetables",
        "stage": "started",
        "planned_on": D(2018, 3, 1),
        "started_on": D(2020, 10, 1),
        "partner_org_id": None,
        "expected_income": None,
        "actual_income": None,
        "reason": None,
        "as_of": AS_OF,
    }
    values.update(overrides)
    return update_plan(session, **values)


# --- creating a plan ----------------------------------------------------------------------------


def test_a_new_plan_is_stored_with_its_first_history_row_an_audit_row_and_a_new_data_version(
    session: Session,
) -> None:
    partner = _org_id(session, 1)
    plan_id = _create(session, partner_org_id=partner, reason=" 村里统一规划 ")
    plan = _plan(session, plan_id)
    assert (plan.household_id, plan.stage, plan.planned_on, plan.started_on, plan.stage_since) == (
        H4,
        "planned",
        D(2020, 3, 1),
        None,
        D(2020, 3, 1),
    )
    assert (plan.partner_org_id, plan.expected_income, plan.actual_income, plan.version) == (
        partner,
        3000,
        None,
        1,
    )
    assert _history(session, plan_id) == [(None, "planned", D(2020, 3, 1), "村里统一规划")]
    audit = _last_audit(session)
    assert (audit.username, audit.action, audit.table_name, audit.record_key, audit.reason) == (
        "ed-a",
        "plan.create",
        "industry_plans",
        plan_key("HAND0004", plan_id),
        "村里统一规划",
    )
    assert audit.old_values is None
    assert json.loads(audit.new_values or "") == {
        "household_id": H4,
        "archive_no": "HAND0004",
        "industry": "vegetables",
        "stage": "planned",
        "planned_on": "2020-03-01",
        "started_on": None,
        "stage_since": "2020-03-01",
        "partner_org_id": partner,
        "expected_income": 3000,
        "actual_income": None,
    }
    assert data_version(session) == "2"


@pytest.mark.parametrize(
    ("stage", "started_on", "changed_on", "since"),
    [
        ("started", D(2020, 5, 10), None, D(2020, 5, 10)),  # a started plan: since its start
        ("producing", D(2020, 5, 10), None, AS_OF),  # later stages: the as-of date, unless given
        ("stable", D(2020, 4, 10), D(2020, 9, 1), D(2020, 9, 1)),
    ],
)
def test_a_new_plan_at_a_later_stage_dates_its_stage(
    session: Session, stage: str, started_on: dt.date, changed_on: dt.date | None, since: dt.date
) -> None:
    plan_id = _create(
        session, stage=stage, started_on=started_on, actual_income=2500, stage_changed_on=changed_on
    )
    assert _plan(session, plan_id).stage_since == since
    assert _history(session, plan_id) == [(None, stage, since, None)]


def test_whole_yuan_given_as_a_float_is_stored_as_an_integer(session: Session) -> None:
    plan_id = _create(session, expected_income=1200.0, actual_income=0)
    assert (_plan(session, plan_id).expected_income, _plan(session, plan_id).actual_income) == (1200, 0)
    plan_id = _create(session, expected_income=INCOME_MAX)
    assert _plan(session, plan_id).expected_income == INCOME_MAX


def test_migrant_work_needs_labour_and_shares_suit_a_household_without_it(session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        _create(session, household_id=H2, industry_code="migrant")
    assert caught.value.errors == {"industry": "plans.error.migrant_needs_labour"}
    assert _create(session, household_id=H2, industry_code="pv_shares") > PLANS_IN_HAND_COUNTY
    assert _create(session, household_id=H3, industry_code="migrant") > PLANS_IN_HAND_COUNTY


# --- changing a plan ----------------------------------------------------------------------------


def test_moving_h3_from_planned_to_started_moves_the_industry_page_figures_as_worked_by_hand(
    session: Session,
) -> None:
    progress = overview.town_progress(session)
    assert list(overview.stage_counts(overview.totals(progress))["households"]) == [1, 1, 2, 2]
    stuck_before = industry_queries.stuck_plans(session, as_of=AS_OF)
    assert PLAN_H3 in set(stuck_before["plan_id"])

    assert _update(session) == 2

    plan = _plan(session, PLAN_H3)
    assert (plan.stage, plan.started_on, plan.stage_since, plan.version) == (
        "started",
        D(2020, 10, 1),
        D(2020, 10, 1),
        2,
    )
    assert _history(session, PLAN_H3) == [("planned", "started", D(2020, 10, 1), None)]
    progress = overview.town_progress(session)
    assert list(overview.stage_counts(overview.totals(progress))["households"]) == [0, 2, 2, 2]
    funnel = industry_queries.stage_funnel(session, town_codes=[TOWN_A])
    assert list(funnel.stages["households"]) == [0, 2, 1, 1]  # town A was 1/1/1/1
    stuck_after = industry_queries.stuck_plans(session, as_of=AS_OF)
    assert set(stuck_after["plan_id"]) == set(stuck_before["plan_id"]) - {PLAN_H3}
    trend = industry_queries.stage_trend(session, as_of=AS_OF)
    october = trend[trend["month"] == D(2020, 10, 1)]
    assert list(october["stage"]) == ["started"] and list(october["moves"]) == [1]
    assert list(october["new"]) == [0] and list(october["backward"]) == [0]

    audit = _last_audit(session)
    assert (audit.action, audit.table_name, audit.record_key, audit.reason) == (
        "plan.update",
        "industry_plans",
        "HAND0003/4",
        None,
    )
    assert json.loads(audit.old_values or "") == {
        "stage": "planned",
        "started_on": None,
        "stage_since": "2019-05-01",
    }
    assert json.loads(audit.new_values or "") == {
        "stage": "started",
        "started_on": "2020-10-01",
        "stage_since": "2020-10-01",
    }
    assert data_version(session) == "2"


def test_a_change_without_a_stage_move_keeps_stage_since_and_adds_no_history(session: Session) -> None:
    before = _counts(session)
    partner = _org_id(session, 2)  # a partner from another town is allowed
    version = _update(session, stage="planned", started_on=None, expected_income=4000, partner_org_id=partner)
    plan = _plan(session, PLAN_H3)
    assert (version, plan.stage_since, plan.expected_income, plan.partner_org_id) == (
        2,
        D(2019, 5, 1),
        4000,
        partner,
    )
    assert _counts(session)[1] == before[1]
    audit = _last_audit(session)
    assert json.loads(audit.old_values or "") == {"expected_income": None, "partner_org_id": None}
    assert json.loads(audit.new_values or "") == {"expected_income": 4000, "partner_org_id": partner}


def test_stage_changed_on_is_ignored_when_the_stage_stays(session: Session) -> None:
    _update(session, stage="planned", started_on=None, expected_income=1, stage_changed_on=D(2020, 1, 1))
    assert _plan(session, PLAN_H3).stage_since == D(2019, 5, 1)


def test_no_change_writes_nothing_and_keeps_the_version(session: Session) -> None:
    before = _counts(session)
    assert _update(session, stage="planned", started_on=None, reason="没有变化") == 1
    assert _counts(session) == before


def test_skipping_a_stage_or_moving_back_needs_a_reason_which_the_history_keeps(session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        _update(session, stage="producing")
    assert caught.value.errors == {"reason": "plans.error.reason_skip"}
    assert _update(session, stage="producing", reason="合作社统一建棚，当年投产") == 2
    assert _history(session, PLAN_H3)[-1] == ("planned", "producing", AS_OF, "合作社统一建棚，当年投产")

    with pytest.raises(ValidationError) as caught:
        _update(session, expected_version=2, stage="started")
    assert caught.value.errors == {"reason": "plans.error.reason_backward"}
    with pytest.raises(ValidationError) as caught:
        _update(session, expected_version=2, stage="planned", started_on=None, reason="   ")
    assert caught.value.errors == {"reason": "plans.error.reason_backward"}
    assert _update(session, expected_version=2, stage="started", reason="大棚受灾") == 3
    assert _history(session, PLAN_H3)[-1] == ("producing", "started", AS_OF, "大棚受灾")
    assert _last_audit(session).reason == "大棚受灾"
    trend = industry_queries.stage_trend(session, as_of=AS_OF)
    assert int(trend["backward"].sum()) == 1

    # one step forward again, and on to stable: no reason needed
    assert _update(session, expected_version=3, stage="producing") == 4
    assert _update(session, expected_version=4, stage="stable", actual_income=5200) == 5
    assert [row[1] for row in _history(session, PLAN_H3)] == ["producing", "started", "producing", "stable"]


def test_the_start_date_is_the_default_date_of_a_move_to_started_unless_before_the_last_change(
    session: Session,
) -> None:
    _update(session, started_on=D(2019, 3, 1))  # started before the plan's last change (2019-05-01)
    assert _plan(session, PLAN_H3).stage_since == AS_OF


# --- refusals -----------------------------------------------------------------------------------

CREATE_REFUSALS: list[tuple[dict[str, Any], str, str]] = [
    ({"household_id": 999}, "household_id", "updates.error.household_unknown"),
    ({"household_id": "3"}, "household_id", "updates.error.household_unknown"),
    ({"household_id": 2**70}, "household_id", "updates.error.household_unknown"),
    ({"industry_code": ""}, "industry", "plans.error.industry_required"),
    ({"industry_code": None}, "industry", "plans.error.industry_required"),
    ({"industry_code": "tea"}, "industry", "plans.error.industry_unknown"),
    ({"industry_code": "'; DROP TABLE industry_plans; --"}, "industry", "plans.error.industry_unknown"),
    ({"industry_code": "veg\x00"}, "industry", "plans.error.industry_unknown"),
    ({"household_id": H2, "industry_code": "migrant"}, "industry", "plans.error.migrant_needs_labour"),
    ({"stage": "harvest"}, "stage", "plans.error.stage_unknown"),
    ({"stage": 2}, "stage", "plans.error.stage_unknown"),
    ({"planned_on": None}, "planned_on", "plans.error.planned_required"),
    ({"planned_on": "2020-03-01"}, "planned_on", "updates.error.date_invalid"),
    ({"planned_on": dt.datetime(2020, 3, 1, 8, 0)}, "planned_on", "updates.error.date_invalid"),
    ({"planned_on": D(2020, 11, 1)}, "planned_on", "updates.error.date_in_future"),
    ({"planned_on": D(2013, 12, 31)}, "planned_on", "updates.error.date_too_early"),
    ({"started_on": D(2020, 4, 1)}, "started_on", "plans.error.start_when_planned"),
    ({"stage": "started"}, "started_on", "plans.error.start_required"),
    ({"stage": "started", "started_on": D(2020, 2, 1)}, "started_on", "plans.error.start_before_planned"),
    ({"stage": "started", "started_on": D(2021, 1, 1)}, "started_on", "updates.error.date_in_future"),
    ({"partner_org_id": 999}, "partner_org_id", "plans.error.partner_unknown"),
    ({"partner_org_id": True}, "partner_org_id", "plans.error.partner_unknown"),
    ({"partner_org_id": "1"}, "partner_org_id", "plans.error.partner_unknown"),
    ({"partner_org_id": 2**70}, "partner_org_id", "plans.error.partner_unknown"),
    ({"expected_income": -1}, "expected_income", "plans.error.income_negative"),
    ({"expected_income": INCOME_MAX + 1}, "expected_income", "plans.error.income_too_high"),
    ({"expected_income": 10**30}, "expected_income", "plans.error.income_too_high"),
    ({"expected_income": 12.5}, "expected_income", "plans.error.income_whole"),
    ({"expected_income": "3000"}, "expected_income", "plans.error.income_invalid"),
    ({"expected_income": math.nan}, "expected_income", "plans.error.income_invalid"),
    ({"expected_income": math.inf}, "expected_income", "plans.error.income_invalid"),
    ({"expected_income": True}, "expected_income", "plans.error.income_invalid"),
    ({"actual_income": -0.5}, "actual_income", "plans.error.income_whole"),
    (
        {"stage": "stable", "started_on": D(2020, 4, 1)},
        "actual_income",
        "plans.error.actual_required",
    ),
    ({"reason": "问" * 2001}, "reason", "updates.error.text_long"),
    ({"reason": "缺\x00字"}, "reason", "updates.error.text_chars"),
    ({"reason": 42}, "reason", "updates.error.text_invalid"),
    ({"stage_changed_on": D(2020, 2, 1)}, "stage_changed_on", "plans.error.change_before_planned"),
    ({"stage_changed_on": D(2021, 2, 1)}, "stage_changed_on", "updates.error.date_in_future"),
    ({"stage_changed_on": "today"}, "stage_changed_on", "updates.error.date_invalid"),
    (
        {"stage": "producing", "started_on": D(2020, 6, 1), "stage_changed_on": D(2020, 5, 1)},
        "stage_changed_on",
        "plans.error.change_before_start",
    ),
]


@pytest.mark.parametrize(("overrides", "field", "key"), CREATE_REFUSALS)
def test_create_refusals_name_the_field_and_write_nothing(
    session: Session, overrides: dict[str, Any], field: str, key: str
) -> None:
    before = _counts(session)
    with pytest.raises(ValidationError) as caught:
        _create(session, **overrides)
    assert caught.value.errors == {field: key}
    assert _counts(session) == before


UPDATE_REFUSALS: list[tuple[dict[str, Any], str, str]] = [
    ({"plan_id": 999}, "plan_id", "plans.error.plan_unknown"),
    ({"plan_id": None}, "plan_id", "plans.error.plan_unknown"),
    ({"stage": "stable", "actual_income": 100}, "reason", "plans.error.reason_skip"),
    ({"stage_changed_on": D(2020, 9, 1)}, "stage_changed_on", "plans.error.change_before_start"),
    (
        {"started_on": D(2019, 1, 1), "stage_changed_on": D(2019, 4, 30)},
        "stage_changed_on",
        "plans.error.change_before_last",
    ),
    ({"started_on": None}, "started_on", "plans.error.start_required"),
    ({"industry_code": "migrant", "plan_id": 3}, "industry", "plans.error.migrant_needs_labour"),
]


@pytest.mark.parametrize(("overrides", "field", "key"), UPDATE_REFUSALS)
def test_update_refusals_name_the_field_and_write_nothing(
    session: Session, overrides: dict[str, Any], field: str, key: str
) -> None:
    before = _counts(session)
    with pytest.raises(ValidationError) as caught:
        _update(session, **overrides)
    assert set(caught.value.errors) >= {field} and caught.value.errors[field] == key
    assert _counts(session) == before
    assert _plan(session, PLAN_H3).version == 1


def test_every_bad_field_is_reported_at_once_and_read_in_the_readers_language(session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        _create(
            session,
            industry_code="tea",
            stage="stable",
            planned_on=D(2020, 11, 1),
            expected_income=-5,
            reason="\x07",
        )
    assert caught.value.errors == {
        "industry": "plans.error.industry_unknown",
        "planned_on": "updates.error.date_in_future",
        "started_on": "plans.error.start_required",
        "expected_income": "plans.error.income_negative",
        "actual_income": "plans.error.actual_required",
        "reason": "updates.error.text_chars",
    }
    assert "industry: No industry has the code “tea”" in str(caught.value)
    language = get_language()
    set_language("zh")
    try:
        messages = field_messages(caught.value, t)
    finally:
        set_language(language)
    assert messages["actual_income"] == "稳定增收的计划要填写实际年增收。"
    assert messages["planned_on"] == "日期不能晚于 2020-10-31。"


# --- stale edits --------------------------------------------------------------------------------


def test_a_wrong_expected_version_is_a_stale_edit_with_the_current_values(session: Session) -> None:
    _update(session)  # someone saved first: version 2
    before = _counts(session)
    with pytest.raises(StaleEdit) as caught:
        _update(session, expected_version=1, stage="planned", started_on=None, expected_income=9000)
    stale = caught.value
    assert (stale.table, stale.record_key) == ("industry_plans", "HAND0003/4")
    assert stale.current is not None
    assert (stale.current["version"], stale.current["stage"], stale.current["started_on"]) == (
        2,
        "started",
        D(2020, 10, 1),
    )
    assert stale.current["industry"] == "vegetables" and stale.current["household_id"] == H3
    assert _counts(session) == before
    assert _plan(session, PLAN_H3).expected_income is None


def test_a_writer_committing_between_read_and_write_is_caught_by_the_version_column(
    hand_engine: Engine, session: Session
) -> None:
    """Another connection bumps the plan after the service read it: on PostgreSQL the UPDATE misses →
    StaleEdit; on SQLite the other writer cannot get in at all and the service's save stands."""
    refused = write_before_first_flush(
        session,
        hand_engine,
        update(IndustryPlan)
        .where(IndustryPlan.id == PLAN_H3)
        .values(expected_income=7777, version=IndustryPlan.version + 1),
    )
    before = _counts(session)
    if hand_engine.dialect.name == "sqlite":
        _update(session)
        assert refused == ["database is locked"]
        assert _plan(session, PLAN_H3).expected_income != 7777
        return
    with pytest.raises(StaleEdit) as caught:
        _update(session)
    assert caught.value.current is not None
    assert (caught.value.current["version"], caught.value.current["expected_income"]) == (2, 7777)
    assert _counts(session) == before  # no history row, no audit row, no new data version
    plan = _plan(session, PLAN_H3)
    assert (plan.stage, plan.stage_since, plan.version) == ("planned", D(2019, 5, 1), 2)


# --- permissions --------------------------------------------------------------------------------

PLAN_OF = {H3: PLAN_H3, H5: PLAN_H5, H9: PLAN_H9}


def _write(session: Session, action: str, actor: Actor | None, household_id: int) -> None:
    if action == "create":
        _create(session, actor=actor, household_id=household_id)
        return
    plan_id = PLAN_OF[household_id]
    stage = _plan(session, plan_id).stage
    _update(
        session,
        actor=actor,
        plan_id=plan_id,
        stage=stage,
        started_on=None if stage == "planned" else D(2019, 5, 1),
        actual_income=6000 if stage == "stable" else None,
        expected_income=5000,
    )


@pytest.mark.parametrize("action", ["create", "update"])
@pytest.mark.parametrize(
    ("actor", "household_id", "allowed"),
    [
        (EDITOR_A, H3, True),  # town A editor, household in town A
        (EDITOR_A, H5, True),
        (EDITOR_A, H9, False),  # town B household
        (EDITOR_B, H9, True),
        (EDITOR_B, H3, False),
        (VILLAGER_A1, H3, True),  # A1's own household
        (VILLAGER_A1, H5, False),  # same town, village A2
        (VILLAGER_A1, H9, False),
        (LEADER, H3, False),  # leaders read everything and write nothing
        (ADMIN, H3, False),  # admins manage accounts only
        (None, H3, False),  # anonymous
    ],
)
def test_permission_matrix(
    session: Session, action: str, actor: Actor | None, household_id: int, allowed: bool
) -> None:
    before = _counts(session)
    if allowed:
        _write(session, action, actor, household_id)
        plans, history, audits, version = _counts(session)
        assert (plans, history) == (before[0] + (action == "create"), before[1] + (action == "create"))
        assert (audits, version) == (before[2] + 1, str(int(before[3]) + 1))
    else:
        with pytest.raises(PermissionDenied) as caught:
            _write(session, action, actor, household_id)
        assert caught.value.action == "plan.update"
        assert _counts(session) == before
        assert _plan(session, PLAN_OF[household_id]).version == 1


def test_roles_without_the_right_are_refused_before_anything_is_looked_up(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        _create(session, actor=LEADER, household_id=999)
    with pytest.raises(PermissionDenied):
        _update(session, actor=None, plan_id=999)


def test_each_accepted_write_bumps_the_data_version_by_exactly_one(session: Session) -> None:
    assert data_version(session) == "1"
    plan_id = _create(session)
    assert data_version(session) == "2"
    _update(session)
    assert data_version(session) == "3"
    with pytest.raises(ValidationError):
        _update(session, expected_version=2, stage="planned", started_on=None)  # back without reason
    assert data_version(session) == "3"
    _update(session, plan_id=plan_id, stage="started", planned_on=D(2020, 3, 1), started_on=D(2020, 6, 1))
    assert data_version(session) == "4"


# --- the form's reads ---------------------------------------------------------------------------


def test_the_form_reads_plans_industries_and_partners_home_town_first(session: Session) -> None:
    partner_b = _org_id(session, 2)
    _update(session, stage="planned", started_on=None, expected_income=4000, partner_org_id=partner_b)
    plans = plan_forms.household_plans(session, household_id=H1)
    assert list(plans["plan_id"]) == [1, 2] and list(plans["stage"]) == ["stable", "started"]
    [row] = plan_forms.household_plans(session, household_id=H3).to_dict("records")
    assert (row["industry_code"], row["industry_name_en"], row["partner_name_en"], row["version"]) == (
        "vegetables",
        "Vegetables",
        "Yi Foods",
        2,
    )
    assert (row["expected_income"], row["planned_on"], row["stage_since"]) == (
        4000,
        D(2018, 3, 1),
        D(2019, 5, 1),
    )
    assert plan_forms.household_plans(session, household_id=H4).empty
    assert list(plan_forms.industry_choices(session)["code"]) == ["vegetables", "migrant", "pv_shares"]
    partners = plan_forms.partner_choices(session, household_id=H9)  # town B
    assert list(partners["name_en"]) == ["Yi Foods", "Jia Vegetables Co-op"]
    assert list(partners["same_town"]) == [True, False]
    assert plan_forms.partner_choices(session, household_id=H3)["name_en"].iloc[0] == "Jia Vegetables Co-op"
    assert plan_forms.plan_household(session, household_id=H2) == {
        "household_id": H2,
        "archive_no": "HAND0002",
        "labour_count": 0,
        "village_code": A1,
        "town_code": TOWN_A,
    }
    assert plan_forms.plan_household(session, household_id=999) is None


# --- hostile input ------------------------------------------------------------------------------

HOSTILE = [
    "'; DROP TABLE industry_plans; --",
    '" OR 1=1 --',
    "%s%s",
    "{0}{stage}",
    "",
    "   ",
    "\x00",
    "\ud800",
    "\u202e反转",
    "问" * 2001,
    "👩‍🌾" * 10,
]
hostile = st.one_of(
    st.text(max_size=40),
    st.sampled_from(HOSTILE),
    st.none(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.binary(max_size=6),
    st.lists(st.integers(), max_size=2),
    st.dates(),
    st.datetimes(),
)


good_dates = st.dates(min_value=D(2014, 1, 1), max_value=AS_OF)


@st.composite
def plan_values(draw: st.DrawFn) -> dict[str, Any]:
    """A consistent plan, then up to three of its fields swapped for hostile values."""
    stage = draw(st.sampled_from(STAGES))
    planned = draw(good_dates)
    incomes = st.one_of(st.none(), st.integers(0, INCOME_MAX))
    values: dict[str, Any] = {
        "industry_code": draw(st.sampled_from(["vegetables", "pv_shares", "migrant"])),
        "stage": stage,
        "planned_on": planned,
        "started_on": None if stage == "planned" else draw(st.dates(min_value=planned, max_value=AS_OF)),
        "stage_changed_on": draw(st.one_of(st.none(), good_dates)),
        "partner_org_id": draw(st.sampled_from([None, 1, 2])),
        "expected_income": draw(incomes),
        "actual_income": draw(st.integers(0, INCOME_MAX) if stage == "stable" else incomes),
        "reason": draw(st.one_of(st.none(), st.text(min_size=1, max_size=30))),
    }
    for name in draw(st.lists(st.sampled_from(sorted(values)), max_size=3, unique=True)):
        values[name] = draw(hostile)
    return values


@pytest.fixture(scope="module")
def hostile_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('plans') / 'hostile.db'}")
    upgrade(engine)
    with Session(engine) as session:
        load_hand_county(session)
        _add_partners_and_migrant_work(session)
        store_accounts(session, *module_actors(globals()))
    yield engine
    engine.dispose()


def _assert_plans_sound(session: Session, plan_ids: set[int]) -> None:
    """Every rule the service enforces holds for the plans it wrote, and the history agrees."""
    for plan_id in plan_ids:
        plan = _plan(session, plan_id)
        assert plan.stage in STAGES
        assert D(2014, 1, 1) <= plan.planned_on <= AS_OF
        assert (plan.started_on is None) == (plan.stage == "planned")
        assert plan.started_on is None or plan.planned_on <= plan.started_on <= AS_OF
        for income in (plan.expected_income, plan.actual_income):
            assert income is None or (type(income) is int and 0 <= income <= INCOME_MAX)
        assert plan.stage != "stable" or plan.actual_income is not None
        history = _history(session, plan_id)
        if history:
            assert history[-1][1] == plan.stage and history[-1][2] == plan.stage_since
            assert all(a[2] <= b[2] for a, b in itertools.pairwise(history))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=plan_values(), household_id=st.one_of(st.just(H3), st.just(H2), hostile))
def test_create_plan_stores_a_sound_plan_or_refuses(
    hostile_engine: Engine, values: dict[str, Any], household_id: object
) -> None:
    with Session(hostile_engine) as session:
        before = _counts(session)
        try:
            plan_id = create_plan(session, actor=EDITOR_A, household_id=household_id, as_of=AS_OF, **values)  # type: ignore[arg-type]
        except ValidationError as refused:
            event(f"refused: {sorted(refused.errors)}")
            assert _counts(session) == before
            return
        except PermissionDenied:  # a household id of town B
            event("not allowed")
            assert _counts(session) == before
            return
        event("accepted")
        assert _counts(session) == (before[0] + 1, before[1] + 1, before[2] + 1, str(int(before[3]) + 1))
        _assert_plans_sound(session, {plan_id})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=plan_values())
def test_update_plan_changes_a_plan_soundly_or_refuses(
    hostile_engine: Engine, values: dict[str, Any]
) -> None:
    with Session(hostile_engine) as session:
        before = _counts(session)
        version = _plan(session, PLAN_H3).version
        try:
            new_version = update_plan(
                session, actor=EDITOR_A, plan_id=PLAN_H3, expected_version=version, as_of=AS_OF, **values
            )
        except ValidationError as refused:
            event(f"refused: {sorted(refused.errors)}")
            assert _counts(session) == before
            assert _plan(session, PLAN_H3).version == version
            return
        changed = new_version != version
        event("accepted, changed" if changed else "accepted, unchanged")
        assert new_version == version + changed
        plans, history, audits, data = _counts(session)
        assert (plans, audits, data) == (before[0], before[2] + changed, str(int(before[3]) + changed))
        assert history - before[1] in (0, 1)
        _assert_plans_sound(session, {PLAN_H3})
