"""The updates page under AppTest: sign in, a refused visit shows its field error and writes
nothing, an accepted one is saved, audited and visible in the change log."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.core.db import make_engine
from lib.core.models import AuditEntry, VerificationVisit
from lib.rules import permissions
from lib.services import auth
from lib.services.accounts import create_user_service
from tests.support.accounts import store_accounts
from tests.support.apptest import AppFactory

PAGE = "pages/updates.py"
A2 = "349901100202"


@pytest.fixture
def url(hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        for username, role, village in (("vera", "village_editor", A2), ("lee", "leader", None)):
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


def _visits(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(VerificationVisit)) or 0
    engine.dispose()
    return count


def test_signed_out_and_leaders_see_no_form(open_app: AppFactory, url: str) -> None:
    at = open_app(url, PAGE, lang="en")
    assert not at.exception
    assert at.info[0].value.startswith("Sign in first")
    at = _sign_in(at, "lee", "lee-password")
    assert "Your account reads the data" in at.info[0].value
    assert not [b for b in at.button if b.label == "Save the visit"]


def test_a_visit_with_a_wrong_ledger_needs_problems_then_saves(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "vera", "vera-password")
    assert at.selectbox(key="visit_village").value == A2
    before = _visits(url)
    at.checkbox(key="visit_verified").uncheck()
    next(b for b in at.button if b.label == "Save the visit").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert "Not saved: correct the fields marked below." in errors
    assert len(errors) == 2  # the summary and the problems field
    assert _visits(url) == before

    at.text_area(key="visit_problems").input("收入台账缺少 2020 年务工收入")
    next(b for b in at.button if b.label == "Save the visit").click().run()
    assert [s.value for s in at.success] == ["Saved the visit to HAND0004."]
    assert _visits(url) == before + 1
    engine = make_engine(url)
    with Session(engine) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and (entry.username, entry.table_name) == ("vera", "verification_visits")
    engine.dispose()

    at.text_input(key="log_search").input("务工收入").run()
    log = at.dataframe[0].value
    assert list(log["username"]) == ["vera"]


def _status_form_button(at: AppTest):
    return next(b for b in at.button if b.label == "Save the status")


def test_status_form_refuses_an_exit_without_its_steps(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "vera", "vera-password")
    at.selectbox(key="status_household").set_value(5).run()  # h5, poor, no exit steps dated
    status = next(s for s in at.selectbox if s.key and s.key.startswith("st_status_5_"))
    status.set_value("exited")
    _status_form_button(at).click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert errors.startswith("Not saved: correct the fields marked below.")
    assert "No per-capita income is recorded: cannot exit." in errors
    assert (
        "All five exit steps must be dated before exit; missing: Democratic appraisal in the village"
        in errors
    )
    assert "not yet: No worry about food" in errors


def test_status_form_reports_a_stale_edit_and_shows_the_new_values(open_app: AppFactory, url: str) -> None:
    import datetime as dt

    from lib.services.households import update_household_status

    at = _sign_in(open_app(url, PAGE, lang="en"), "vera", "vera-password")
    at.selectbox(key="status_household").set_value(4).run()  # h4, monitored, version 1
    assert any(s.key == "st_status_4_1" for s in at.selectbox)
    # someone else saves h4 first
    engine = make_engine(url)
    with Session(engine) as session:
        editor = permissions.Actor(
            user_id=None, username="other", display_name="Other", role=auth.Role.VILLAGE_EDITOR,
            town_code="349901100", village_code=A2,
        )  # fmt: skip
        store_accounts(session, editor)
        update_household_status(
            session,
            actor=editor,
            household_id=4,
            expected_version=1,
            status="monitored",
            flags={"safe_water": True},
            exit_steps={},
            reason="水源改造完成",
            as_of=dt.date(2020, 10, 31),
        )
    engine.dispose()
    next(c for c in at.checkbox if c.key == "st_no_worry_food_4_1").check()
    _status_form_button(at).click().run()
    assert not at.exception
    assert any("Someone else changed HAND0004" in w.value for w in at.warning)
    assert any(s.key == "st_status_4_2" for s in at.selectbox)  # the form now holds version 2
    assert next(c for c in at.checkbox if c.key == "st_safe_water_4_2").value is True
    assert "This household's history (1 change)" in [e.label for e in at.expander]
    history = at.expander[0].dataframe[0].value
    assert list(history["username"]) == ["other"] and list(history["reason"]) == ["水源改造完成"]
