"""Send back for correction on /updates under AppTest: a town editor sends a village's visit back,
the village editor sees the banner and the comment and marks it corrected."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.core.db import make_engine
from lib.core.models import CorrectionRequest
from lib.rules import permissions
from lib.services import auth
from lib.services.accounts import create_user_service
from lib.services.households import record_visit
from tests.support.apptest import AppFactory

PAGE = "pages/updates.py"
A2 = "349901100202"
TOWN_A = "349901100"


@pytest.fixture
def url(hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        for username, role, town, village in (
            ("vera", "village_editor", None, A2),
            ("tom", "town_editor", TOWN_A, None),
        ):
            create_user_service(
                session,
                actor=permissions.COMMAND_LINE,
                username=username,
                password=f"{username}-password",
                display_name=username.title(),
                role=role,
                town_code=town,
                village_code=village,
            )
        vera = auth.authenticate(session, "vera", "vera-password")
        record_visit(
            session,
            actor=vera,
            household_id=5,
            visited_on=dt.date(2020, 10, 20),
            visitor_name="Vera",
            ledger_verified=True,
            problems=None,
            satisfied=True,
            as_of=dt.date(2020, 10, 31),
        )
    engine.dispose()
    return hand_sqlite_url


def _sign_in(at: AppTest, username: str):
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(f"{username}-password")
    return next(b for b in at.sidebar.button if b.label == "Sign in").click().run()


def _requests(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.execute(select(CorrectionRequest.status, CorrectionRequest.comment)).all()
    engine.dispose()
    return [(status, comment) for status, comment in rows]


def test_town_editor_sends_back_and_the_village_corrects(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "tom")
    assert not at.exception
    send = next(b for b in at.button if b.label == "Send back for correction")
    send.click().run()  # no comment yet: refused beside the field
    assert any("Say what needs correcting" in e.value for e in at.error)
    assert _requests(url) == []

    at.text_area(key="review_comment").input("The visit date is not in the ledger.")
    next(b for b in at.button if b.label == "Send back for correction").click().run()
    assert not at.exception
    assert any(s.value.startswith("Sent back to") for s in at.success)
    assert _requests(url) == [("open", "The visit date is not in the ledger.")]

    at = _sign_in(open_app(url, PAGE, lang="en"), "vera")
    assert any("sent back by the town" in w.value for w in at.warning)
    assert any("The visit date is not in the ledger." in m.value for m in at.markdown)
    note = next(a for a in at.text_area if a.key.startswith("resolve_note_"))
    note.input("Date corrected to 2020-10-19.")
    next(b for b in at.button if b.label == "Mark corrected").click().run()
    assert not at.exception
    assert any(s.value == "Marked corrected." for s in at.success)
    assert _requests(url) == [("resolved", "The visit date is not in the ledger.")]
    assert not any("sent back by the town" in w.value for w in at.warning)


def test_leaders_see_a_notice_only(open_app: AppFactory, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        create_user_service(
            session,
            actor=permissions.COMMAND_LINE,
            username="lee",
            password="lee-password",
            display_name="Lee",
            role="leader",
        )
        assert session.scalar(select(func.count()).select_from(CorrectionRequest)) == 0
    engine.dispose()
    at = _sign_in(open_app(url, PAGE, lang="en"), "lee")
    assert any(i.value.startswith("Town editors send changes back") for i in at.info)
    assert not [b for b in at.button if b.label == "Send back for correction"]
