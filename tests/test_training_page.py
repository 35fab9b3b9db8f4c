"""The training page under AppTest on the hand county (figures in tests/hand_county.py):
serving first secretaries c1–c5, of whom c1, c4 and c5 are trained → 60.0%; c3 went on the tour."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.core.db import make_engine
from lib.core.models import Attendance, TrainingSession
from lib.services import auth
from lib.services.accounts import create_user_service
from tests.support.apptest import AppFactory, open_tab

PAGE = "pages/training.py"


def _metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_training_page_in_english(open_app: AppFactory, hand_sqlite_url: str) -> None:
    at = open_app(hand_sqlite_url, PAGE, lang="en")
    assert not at.exception
    assert at.title[0].value == "First-secretary training"
    assert _metrics(at) == {
        "Coverage": "60.0%",
        "Secretaries trained": "4",  # c1, c4, c5 and c6 (who left) in the rotation; c3's tour does not count
        "In selected classes": "1",
        "Waiting": "2",
    }
    captions = [c.value for c in at.caption]
    assert ":red-badge[Behind] 3 of 5 serving first secretaries · target 90.0%" in captions
    open_tab(at, "training_tab", "Waiting list")
    waiting = next(frame.value for frame in at.dataframe if "Months in post" in frame.value.columns)
    assert sorted(waiting["Name"]) == ["书记2", "书记3"]
    open_tab(at, "training_tab", "Next phase")
    assert "No upcoming required session has free seats." in [i.value for i in at.info]


def test_training_page_in_chinese(open_app: AppFactory, hand_sqlite_url: str) -> None:
    at = open_app(hand_sqlite_url, PAGE, lang="zh")
    assert not at.exception
    assert at.title[0].value == "第一书记轮训"
    assert _metrics(at)["培训覆盖率"] == "60.0%"


@pytest.fixture
def with_next_phase_and_admin(hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The hand county with an upcoming required session (capacity 5) and an admin account."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        session.add(
            TrainingSession(
                id=10,
                programme_id=1,
                phase=3,
                place_zh="党校",
                place_en="Party School",
                start_date=dt.date(2020, 11, 16),
                end_date=dt.date(2020, 11, 20),
                days=5,
                capacity=5,
            )
        )
        session.commit()
        create_user_service(
            session,
            actor=None,
            username="boss",
            password="a-long-password",
            display_name="Boss",
            role="admin",
        )
    engine.dispose()
    return hand_sqlite_url


def test_an_admin_confirms_the_proposal(open_app: AppFactory, with_next_phase_and_admin: str) -> None:
    at = open_app(with_next_phase_and_admin, PAGE, lang="en")
    open_tab(at, "training_tab", "Next phase")
    assert "Sign in: an administrator, or a town editor for their town, can confirm this proposal." in [
        i.value for i in at.info
    ]
    at.sidebar.text_input(key="sign_in_username").input("boss")
    at.sidebar.text_input(key="sign_in_password").input("a-long-password")
    next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
    assert not at.exception
    confirm = next(b for b in at.button if b.label.startswith("Confirm the enrolments"))
    assert confirm.label == "Confirm the enrolments (2)"
    confirm.click().run()
    assert not at.exception
    assert "Enrolled 2 first secretaries." in [s.value for s in at.success]
    engine = make_engine(with_next_phase_and_admin)
    with Session(engine) as session:
        assert sorted(session.scalars(select(Attendance.cadre_id).where(Attendance.session_id == 10))) == [
            2,
            3,
        ]
    assert "2 enrolled in the next phase" in " ".join(c.value for c in at.caption)
