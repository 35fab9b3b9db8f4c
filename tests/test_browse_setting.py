"""Browsing without signing in: off unless app_meta says so (the demo does); when off, anonymous
visitors of any page see only a sign-in prompt; toggling it is an audited admin write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.core.db import make_engine
from lib.core.errors import PermissionDenied
from lib.core.models import AuditEntry
from lib.queries.accounts import browse_without_sign_in
from lib.rules.permissions import COMMAND_LINE
from lib.services import auth
from lib.services.accounts import create_user_service, set_browse_without_sign_in
from tests.support.apptest import AppFactory

PASSWORD = "correct horse"
PROMPT = "Sign in first. This dashboard's data is shown to signed-in users only"
PAGES = [
    None,
    "pages/map.py",
    "pages/industry.py",
    "pages/training.py",
    "pages/updates.py",
    "pages/village.py",
    "pages/admin.py",
]


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    auth._dummy_hash.cache_clear()
    yield
    auth._dummy_hash.cache_clear()


def test_a_fresh_database_has_it_off(empty_engine: Engine) -> None:
    with Session(empty_engine) as session:
        assert browse_without_sign_in(session) is False


def test_the_demo_has_it_on(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        assert browse_without_sign_in(session) is True


def test_only_admins_toggle_it_and_each_change_is_audited(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        admin = create_user_service(
            session, actor=None, username="admin", password=PASSWORD, display_name="Admin", role="admin"
        )
        create_user_service(
            session, actor=COMMAND_LINE, username="lee", password=PASSWORD, display_name="Lee", role="leader"
        )
        for name in ("lee", None):
            actor = auth.authenticate(session, name, PASSWORD) if name else None
            with pytest.raises(PermissionDenied):
                set_browse_without_sign_in(session, actor=actor, enabled=False)
        assert browse_without_sign_in(session) is True
        actor = auth.load_actor(session, admin.id)
        set_browse_without_sign_in(session, actor=actor, enabled=False)
        set_browse_without_sign_in(session, actor=actor, enabled=True)
        rows = session.execute(
            select(AuditEntry.username, AuditEntry.new_values)
            .where(AuditEntry.action == "setting.browse")
            .order_by(AuditEntry.id)
        ).all()
        assert [tuple(row) for row in rows] == [("admin", '{"value": "0"}'), ("admin", '{"value": "1"}')]


# --- the pages ----------------------------------------------------------------------------------


@pytest.fixture
def closed_url(hand_sqlite_url: str) -> str:
    """The hand county with browsing turned off and one account, "lee", a county leader."""
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        create_user_service(
            session, actor=COMMAND_LINE, username="lee", password=PASSWORD, display_name="Lee", role="leader"
        )
        set_browse_without_sign_in(session, actor=COMMAND_LINE, enabled=False)
    engine.dispose()
    return hand_sqlite_url


def _sign_in(at: AppTest, username: str, password: str):
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(password)
    return next(b for b in at.sidebar.button if b.label == "Sign in").click().run()


@pytest.mark.parametrize("page", PAGES)
def test_with_it_off_every_page_shows_only_a_sign_in_prompt(
    open_app: AppFactory, closed_url: str, page: str | None
) -> None:
    at = open_app(closed_url, page, lang="en", code="349901100201")
    assert not at.exception
    assert [i.value for i in at.main.info] == [at.info[0].value]
    assert at.info[0].value.startswith(PROMPT)
    assert not at.metric and not at.dataframe and not at.get("deck_gl_json_chart") and not at.tabs
    assert "Sign in" in [b.label for b in at.sidebar.button]  # the sign-in box stays
    assert "Sign in to browse the data" in " ".join(c.value for c in at.sidebar.caption)


def test_after_signing_in_the_page_shows(open_app: AppFactory, closed_url: str) -> None:
    at = open_app(closed_url, lang="en")
    assert not at.metric
    at = _sign_in(at, "lee", "wrong password")
    assert not at.metric and at.info[0].value.startswith(PROMPT)
    at = _sign_in(at, "lee", PASSWORD)
    assert not at.exception
    assert at.metric and at.dataframe
    assert not any(i.value.startswith(PROMPT) for i in at.info)
    at.sidebar.button(key="sign_out").click().run()
    assert not at.metric and at.info[0].value.startswith(PROMPT)


def test_with_it_on_nobody_needs_to_sign_in(open_app: AppFactory, hand_sqlite_url: str) -> None:
    at = open_app(hand_sqlite_url, lang="en")
    assert at.metric
    assert "Browsing needs no account" in " ".join(c.value for c in at.sidebar.caption)


def test_data_without_any_account_says_how_to_make_the_first(
    open_app: AppFactory, hand_sqlite_url: str
) -> None:
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        set_browse_without_sign_in(session, actor=COMMAND_LINE, enabled=False)
    engine.dispose()
    at = open_app(hand_sqlite_url, lang="en")
    assert at.info[0].value.startswith(PROMPT)
    assert "python -m lib.admin create-user" in " ".join(c.value for c in at.main.caption)


def test_an_empty_database_still_shows_its_empty_state(open_app: AppFactory, empty_engine: Engine) -> None:
    """Nothing to hide yet, so the page's help on loading data shows instead of the prompt."""
    at = open_app(empty_engine.url.render_as_string(hide_password=False), lang="en")
    assert [h.value for h in at.subheader] == ["Setup checklist"]
