"""Search boxes and query parameters are bounded, and a database error that is not an outage says
so without the database's address: a 60,000-character change-log search used to break SQLite's
LIKE ("pattern too complex") and show "Cannot reach the database at sqlite:////…/test.db"."""

from __future__ import annotations

import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.core.db import describe_url, explain_failure, make_engine
from lib.present import village_view
from lib.queries import audit
from lib.queries.common import SEARCH_MAX, bounded_search
from lib.rules import permissions
from lib.services import auth
from lib.services.accounts import create_user_service
from lib.services.common import record_audit
from tests.support.apptest import AppFactory

LONG = "查" * 60_000
A2 = "349901100202"


def test_a_long_search_is_cut_to_the_limit_in_the_query(empty_engine: Engine) -> None:
    with Session(empty_engine) as session:
        record_audit(
            session, actor=None, action="test", table="towns", key="1", old=None, new={"name": "查" * 150}
        )
        session.commit()
        assert len(audit.change_log(session, search=LONG)) == 1  # cut to SEARCH_MAX: still matches
        assert len(audit.change_log(session, search="无" + LONG)) == 0
        assert audit.change_log(session, search="  ").shape[0] == 1  # blank: no filter


def test_bounded_search() -> None:
    assert bounded_search(None) is None
    assert bounded_search("   ") is None
    assert bounded_search("  王营 ") == "王营"
    assert bounded_search("x" * (SEARCH_MAX + 5)) == "x" * SEARCH_MAX
    assert 50 <= SEARCH_MAX <= 200


def test_the_village_search_is_bounded_too() -> None:
    labels = {f"{n:012d}": f"村{n} · 镇" for n in range(2_000)}
    started = time.perf_counter()
    codes, matched = village_view.search_options(labels, "村 " * 30_000)
    elapsed = time.perf_counter() - started
    assert matched == 2_000 and len(codes) == village_view.SEARCH_MATCHES
    # 30,000 words against 2,000 labels: 40 s before the cap (30,000 labels: 503 s), 0.05 s after
    assert elapsed < 0.5


# --- what a user sees --------------------------------------------------------------------------


@pytest.fixture
def url(hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        create_user_service(
            session,
            actor=permissions.COMMAND_LINE,
            username="vera",
            password="vera-password",
            display_name="Vera Li",
            role="village_editor",
            village_code=A2,
        )
    engine.dispose()
    return hand_sqlite_url


def _sign_in(at: AppTest, username: str, password: str):
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(password)
    return next(b for b in at.sidebar.button if b.label == "Sign in").click().run()


def test_a_60000_character_change_log_search_shows_no_error(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, "pages/updates.py", lang="en"), "vera", "vera-password")
    at.text_input(key="log_search").input(LONG).run()  # AppTest does not enforce max_chars; nor need a client
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert "Cannot reach" not in shown and "test.db" not in shown and "sqlite" not in shown
    assert not at.error
    assert at.text_input(key="log_search").max_chars == SEARCH_MAX


def failing_change_log(session: Session, **_: object) -> object:
    """A change log whose statement the database refuses (a real SQLite error, not a raised one)."""
    return session.execute(text(f"SELECT 'a' LIKE '%{'x' * 60_000}%'")).all()


@pytest.mark.parametrize(
    ("lang", "title"), [("en", "The database could not answer"), ("zh", "数据库未能完成")]
)
def test_a_failed_statement_shows_the_apps_message_without_the_address(
    open_app: AppFactory, url: str, monkeypatch: pytest.MonkeyPatch, lang: str, title: str
) -> None:
    at = open_app(url, "pages/updates.py", lang=lang)
    monkeypatch.setattr(audit, "change_log", failing_change_log)
    at.sidebar.text_input(key="sign_in_username").input("vera")
    at.sidebar.text_input(key="sign_in_password").input("vera-password")
    at.sidebar.button[-1].click().run()
    assert not at.exception
    [shown] = [e.value for e in at.error]
    assert title in shown
    assert "test.db" not in shown and "sqlite" not in shown and "Cannot reach" not in shown
    assert "DATABASE_URL" not in shown  # the setting is fine; the hint would mislead


@pytest.mark.parametrize("page", ["pages/village.py", "pages/map.py"])
def test_the_village_pickers_search_box_has_a_limit(
    open_app: AppFactory, hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    monkeypatch.setattr(village_view, "LIST_ALL_MAX", 3)  # the hand county has 5 villages
    at = open_app(hand_sqlite_url, page, lang="en")
    key = "village_picker_search" if "village" in page else "map_pick_search"
    assert at.text_input(key=key).max_chars == SEARCH_MAX
    at.text_input(key=key).input("village " * 10_000).run()
    assert not at.exception


def test_an_overlong_village_code_in_the_link_is_no_village(
    open_app: AppFactory, hand_sqlite_url: str
) -> None:
    at = open_app(hand_sqlite_url, "pages/village.py", lang="en", code="3" * 60_000)
    assert not at.exception
    assert not at.error
    assert all(len(info.value) < 500 for info in at.info)  # the 60,000 characters are not echoed


@pytest.mark.parametrize(
    ("params", "seed"),
    [
        ({"seed": "9" * 5_000}, 2020),  # int() refuses more than 4,300 digits
        ({"seed": "²"}, 2020),  # str.isdigit() says yes, int() says no
        ({"seed": "12345678"}, 2020),  # above the box's maximum
        ({"seed": "77"}, 77),
        ({"sample": "1" * 5_000 + "-1-1"}, 2020),
    ],
)
def test_odd_mock_assessment_parameters_fall_back_to_the_defaults(
    open_app: AppFactory, hand_sqlite_url: str, params: dict[str, str], seed: int
) -> None:
    at = open_app(hand_sqlite_url, "pages/assessment.py", lang="en", **params)
    assert not at.exception
    assert at.number_input(key="mock_seed").value == seed


# --- the message for a database error that is not an outage ------------------------------------


def _error_from(engine: Engine, *statements: str) -> OperationalError:
    with pytest.raises(OperationalError) as caught, engine.connect() as conn:
        for sql in statements:
            conn.execute(text(sql))
    return caught.value


def test_a_failed_query_is_not_reported_as_an_unreachable_database(empty_engine: Engine) -> None:
    if empty_engine.dialect.name == "sqlite":
        exc = _error_from(empty_engine, f"SELECT 'a' LIKE '%{'x' * 60_000}%'")  # pattern too complex
    else:
        exc = _error_from(empty_engine, "SET statement_timeout = 1", "SELECT pg_sleep(1)")  # canceled
    url = empty_engine.url.render_as_string(hide_password=True)
    error = explain_failure(exc, url)
    assert error.key == "error.db_query_failed"
    assert error.params == {}  # what the page shows: t(key) alone, no address
    assert describe_url(url) in str(error)  # the server log and command lines keep it


def test_a_value_postgresql_refuses_is_no_outage_either(postgres_url: str) -> None:
    from sqlalchemy.exc import DataError

    engine = make_engine(postgres_url)
    with pytest.raises(DataError) as caught, engine.connect() as conn:
        conn.execute(text("SELECT :value"), {"value": "a\x00b"})  # psycopg refuses NUL itself
    assert explain_failure(caught.value, postgres_url).key == "error.db_query_failed"
    engine.dispose()


def test_an_unreachable_database_is_still_reported_as_such() -> None:
    engine = make_engine("postgresql+psycopg://u:secret@127.0.0.1:1/county")
    exc = _error_from(engine, "SELECT 1")
    error = explain_failure(exc, str(engine.url))
    assert error.key == "error.db_unreachable"
    assert "secret" not in str(error)


def test_the_apps_database_messages_name_no_address() -> None:
    from lib.core.i18n import CATALOGS

    for catalog in CATALOGS.values():
        assert "{url}" not in catalog["error.db_unreachable"]
        assert "{" not in catalog["error.db_query_failed"]
