"""The industry-plan form on /updates under AppTest: a village editor adds and changes plans, a refused
submission shows its field errors and writes nothing, a stale edit warns and shows the new values."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.core.db import make_engine
from lib.core.models import IndustryPlan, Organisation, PlanStageChange
from lib.rules import permissions
from lib.services import auth
from lib.services.accounts import create_user_service
from lib.services.industry import update_plan
from tests.support.accounts import store_accounts
from tests.support.apptest import AppFactory

PAGE = "pages/updates.py"
TOWN_A, A1 = "349901100", "349901100201"
H3, PLAN_H3 = 3, 4  # h3 (A1) has one plan, planned since 2019-05-01
AS_OF = dt.date(2020, 10, 31)


@pytest.fixture
def url(hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        session.add(
            Organisation(kind="cooperative", name_zh="甲镇蔬菜合作社", name_en="Jia Veg Co-op", town_id=1)
        )
        session.commit()
        for username, role, village in (("vera", "village_editor", A1), ("lee", "leader", None)):
            create_user_service(
                session,
                actor=permissions.COMMAND_LINE,
                username=username,
                password=f"{username}-password",
                display_name="Vera Li" if username == "vera" else "Lee",
                role=role,
                village_code=village,
            )
    engine.dispose()
    return hand_sqlite_url


def _sign_in(at: AppTest, username: str, password: str):
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(password)
    return next(b for b in at.sidebar.button if b.label == "Sign in").click().run()


def _as_vera_on_h3(open_app: AppFactory, url: str):
    at = _sign_in(open_app(url, PAGE, lang="en"), "vera", "vera-password")
    assert at.selectbox(key="plan_village").value == A1
    return at.selectbox(key="plan_household").set_value(H3).run()


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _plans(url: str) -> list[tuple[int, str, dt.date | None, int | None, int]]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.execute(
            select(
                IndustryPlan.id,
                IndustryPlan.stage,
                IndustryPlan.started_on,
                IndustryPlan.expected_income,
                IndustryPlan.version,
            )
            .where(IndustryPlan.household_id == H3)
            .order_by(IndustryPlan.id)
        ).all()
        history = session.scalar(select(func.count()).select_from(PlanStageChange)) or 0
    engine.dispose()
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows] + [(history, "history", None, None, 0)]


def test_signed_out_and_leaders_see_no_plan_form(open_app: AppFactory, url: str) -> None:
    at = open_app(url, PAGE, lang="en")
    assert not at.exception
    assert any(i.value.startswith("Sign in first (sidebar). Town and village editors keep") for i in at.info)
    at = _sign_in(at, "lee", "lee-password")
    assert any("town and village editors keep the industry plans" in i.value for i in at.info)
    assert not [b for b in at.button if b.label in ("Add the plan", "Save the plan")]


def test_a_village_editor_adds_a_plan_then_sees_it_with_its_history(open_app: AppFactory, url: str) -> None:
    at = _as_vera_on_h3(open_app, url)
    assert not at.exception
    assert "This household has 2 people able to work." in [c.value for c in at.caption]
    assert at.selectbox(key=f"plan_choice_{H3}").value == 0  # "add a new plan" comes first
    before = _plans(url)
    suffix = f"{H3}_0_0"
    at.selectbox(key=f"pl_industry_{suffix}").set_value("pv_shares")
    at.selectbox(key=f"pl_stage_{suffix}").set_value("started")
    at.date_input(key=f"pl_planned_on_{suffix}").set_value(dt.date(2020, 4, 1))
    at.date_input(key=f"pl_started_on_{suffix}").set_value(dt.date(2020, 6, 1))
    at.selectbox(key=f"pl_partner_org_id_{suffix}").set_value(1)
    at.number_input(key=f"pl_expected_income_{suffix}").set_value(1500)
    _button(at, "Add the plan").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Added an industry plan to HAND0003; the form now shows it."]
    after = _plans(url)
    assert after[:-1] == [*before[:-1], (8, "started", dt.date(2020, 6, 1), 1500, 1)]
    assert after[-1][0] == before[-1][0] + 1  # its first stage-history row
    assert at.selectbox(key=f"plan_choice_{H3}").value == 8  # the form now edits the new plan
    assert at.selectbox(key=f"pl_industry_{H3}_8_1").value == "pv_shares"
    assert at.selectbox(key=f"pl_partner_org_id_{H3}_8_1").value == 1
    assert "This plan's history (1 change)" in [e.label for e in at.expander]
    table = at.dataframe[0].value
    assert list(table["stage"]) == ["Planned", "Started"] and list(table["partner"]) == ["", "Jia Veg Co-op"]
    at.selectbox(key=f"plan_choice_{H3}").set_value(0).run()  # another new plan starts blank
    assert at.selectbox(key=f"pl_industry_{suffix}").value is None
    assert at.number_input(key=f"pl_expected_income_{suffix}").value is None


def test_a_village_editor_moves_a_plan_on_a_stage(open_app: AppFactory, url: str) -> None:
    at = _as_vera_on_h3(open_app, url)
    at.selectbox(key=f"plan_choice_{H3}").set_value(PLAN_H3).run()
    suffix = f"{H3}_{PLAN_H3}_1"
    assert at.selectbox(key=f"pl_stage_{suffix}").value == "planned"
    assert at.date_input(key=f"pl_planned_on_{suffix}").value == dt.date(2018, 3, 1)
    at.selectbox(key=f"pl_stage_{suffix}").set_value("started")
    at.date_input(key=f"pl_started_on_{suffix}").set_value(dt.date(2020, 10, 1))
    _button(at, "Save the plan").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Saved the industry plan of HAND0003."]
    assert _plans(url)[0] == (PLAN_H3, "started", dt.date(2020, 10, 1), None, 2)
    assert at.selectbox(key=f"pl_stage_{H3}_{PLAN_H3}_2").value == "started"
    history = next(e for e in at.expander if e.label == "This plan's history (1 change)")
    assert list(history.dataframe[0].value["username"]) == ["vera"]


def test_a_refused_plan_shows_the_field_errors_and_writes_nothing(open_app: AppFactory, url: str) -> None:
    at = _as_vera_on_h3(open_app, url)
    at.selectbox(key=f"plan_choice_{H3}").set_value(PLAN_H3).run()
    before = _plans(url)
    at.selectbox(key=f"pl_stage_{H3}_{PLAN_H3}_1").set_value("stable")
    _button(at, "Save the plan").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors == [
        "Not saved: correct the fields marked below.",
        "A plan that has started, is producing or gives stable income needs its start date.",
        "A plan with stable income needs its actual income.",
        "The plan skips a stage (e.g. from planned to producing): give the reason.",
    ]
    assert not at.success
    assert _plans(url) == before
    # the errors belong to that plan's form: another household's form shows none
    at.selectbox(key="plan_household").set_value(1).run()
    assert not [e for e in at.error if e.value.startswith("Not saved")]


def test_a_stale_edit_warns_and_shows_the_new_values(open_app: AppFactory, url: str) -> None:
    at = _as_vera_on_h3(open_app, url)
    at.selectbox(key=f"plan_choice_{H3}").set_value(PLAN_H3).run()
    engine = make_engine(url)  # someone else saves the plan first
    with Session(engine) as session:
        other = permissions.Actor(
            user_id=None, username="other", display_name="Other", role=auth.Role.TOWN_EDITOR, town_code=TOWN_A
        )
        store_accounts(session, other)
        update_plan(
            session,
            actor=other,
            plan_id=PLAN_H3,
            expected_version=1,
            industry_code="vegetables",
            stage="planned",
            planned_on=dt.date(2018, 3, 1),
            started_on=None,
            partner_org_id=None,
            expected_income=7700,
            actual_income=None,
            reason="按合作社测算调整",
            as_of=AS_OF,
        )
    engine.dispose()
    at.selectbox(key=f"pl_stage_{H3}_{PLAN_H3}_1").set_value("started")
    at.date_input(key=f"pl_started_on_{H3}_{PLAN_H3}_1").set_value(dt.date(2020, 10, 1))
    _button(at, "Save the plan").click().run()
    assert not at.exception
    assert any("Someone else changed this industry plan of HAND0003" in w.value for w in at.warning)
    assert _plans(url)[0] == (PLAN_H3, "planned", None, 7700, 2)
    suffix = f"{H3}_{PLAN_H3}_2"  # the form now holds version 2
    assert at.number_input(key=f"pl_expected_income_{suffix}").value == 7700
    assert at.selectbox(key=f"pl_stage_{suffix}").value == "planned"
    history = next(e for e in at.expander if e.label == "This plan's history (1 change)")
    assert list(history.dataframe[0].value["reason"]) == ["按合作社测算调整"]
