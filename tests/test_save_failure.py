"""A database error during a save shows the app's own message and logs no row values (issue 15, item 7).

The database itself refuses the write (a trigger on verification_visits, a real error from a
real database, as a full disk or a broken constraint would give). Before the fix the visit form's
callback let the error through: Streamlit's crash box with its outside-help buttons, and the
server log had the statement's parameters with the typed text.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from lib.core.db import error_summary
from lib.core.models import VerificationVisit
from lib.rules import permissions
from lib.services import auth
from lib.services.accounts import create_user_service

PAGE = "pages/updates.py"
A2 = "349901100202"
TYPED = "台账缺页·秘密值 7319"  # what the editor typed: it must not reach the log

REFUSE = {
    "sqlite": [
        "CREATE TRIGGER refuse_visits BEFORE INSERT ON verification_visits "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_visits() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'refused by the test: %', NEW.problems; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_visits BEFORE INSERT ON verification_visits "
        "FOR EACH ROW EXECUTE FUNCTION refuse_visits()",
    ],
}


@pytest.fixture
def url(hand_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with Session(hand_engine) as session:
        create_user_service(
            session,
            actor=permissions.COMMAND_LINE,
            username="vera",
            password="vera-password",
            display_name="Vera Li",
            role="village_editor",
            village_code=A2,
        )
    with hand_engine.begin() as conn:
        for statement in REFUSE[hand_engine.dialect.name]:
            conn.execute(text(statement))
    return hand_engine.url.render_as_string(hide_password=False)


def _visits(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(VerificationVisit)) or 0)


def test_a_refused_save_shows_the_apps_message_and_logs_no_values(
    open_app: Any, url: str, hand_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    at = open_app(url, PAGE, lang="en")
    at.sidebar.text_input(key="sign_in_username").input("vera")
    at.sidebar.text_input(key="sign_in_password").input("vera-password")
    at = next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
    at.checkbox(key="visit_verified").uncheck()
    at.text_area(key="visit_problems").input(TYPED)
    before = _visits(hand_engine)

    with caplog.at_level(logging.ERROR):
        next(b for b in at.button if b.label == "Save the visit").click().run()

    assert not at.exception  # no crash box
    assert any(e.value.startswith("**Not saved**") and "nothing was saved" in e.value for e in at.error)
    assert not at.success
    assert _visits(hand_engine) == before
    logged = [record for record in caplog.records if record.name == "dashboard.saves"]
    assert len(logged) == 1
    line = logged[0].getMessage()
    assert "A save failed" in line and "verification_visits" in line
    assert TYPED not in caplog.text and "7319" not in caplog.text


def test_the_log_line_names_the_rule_not_the_values(hand_engine: Engine) -> None:
    """PostgreSQL repeats a refused row's values in its DETAIL line; SQLite names only the rule."""
    from sqlalchemy.exc import IntegrityError

    from lib.core.models import Posting

    with Session(hand_engine) as session:
        with pytest.raises(IntegrityError) as caught:
            session.execute(
                insert(Posting).values(
                    cadre_id=1,
                    village_id=5,
                    role="team_member",
                    start_date=dt.date(2020, 10, 1),
                    end_date=None,
                )
            )
            session.flush()
        session.rollback()
    summary = error_summary(caught.value)
    assert "ux_postings_one_open_per_cadre" in summary or "postings.cadre_id" in summary
    assert "INSERT INTO postings" in summary
    assert "(1)" not in summary and "2020-10-01" not in summary
