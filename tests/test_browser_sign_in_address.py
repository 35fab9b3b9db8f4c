"""A sign-in through a real server records the client's address: none from this machine itself,
and the X-Forwarded-For a reverse proxy on this machine sends (README, "Sign-in throttling")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.models import SignInAttempt
from tests.support.browser import OfflineGuard, running_app

# All on one pytest-xdist worker (--dist loadgroup): the module's app server is started once, not by each
# worker that runs one of its tests.
pytestmark = pytest.mark.xdist_group("test_browser_sign_in_address")

PROXIED = "203.0.113.9"  # a documentation address (RFC 5737)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """One server for the module on an empty, migrated SQLite file: (its URL, the database's)."""
    from lib.core.schema import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('address')}/test.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with running_app(url) as base_url:
        yield base_url, url


def _fail_sign_in(page: Page, base_url: str, name: str) -> None:
    page.goto(f"{base_url}/?lang=en")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("textbox", name="Username").fill(name)
    sidebar.get_by_role("textbox", name="Password").fill("wrong password")
    sidebar.get_by_role("button", name="Sign in").click()
    expect(sidebar.get_by_text("Wrong username or password")).to_be_visible(timeout=15_000)


def _addresses(url: str) -> list[str | None]:
    engine = make_engine(url)
    with Session(engine) as session:
        found = list(session.scalars(select(SignInAttempt.address).order_by(SignInAttempt.id)))
    engine.dispose()
    return found


@pytest.mark.parametrize(("headers", "address"), [({}, None), ({"X-Forwarded-For": PROXIED}, PROXIED)])
def test_the_sign_in_records_the_clients_address(
    chromium_browser: Browser, served: tuple[str, str], headers: dict[str, str], address: str | None
) -> None:
    base_url, url = served
    context = chromium_browser.new_context(extra_http_headers=headers)
    guard = OfflineGuard()
    try:
        page = context.new_page()
        guard.attach(page)
        before = len(_addresses(url))
        _fail_sign_in(page, base_url, "ghost")
        assert _addresses(url)[before:] == [address]
    finally:
        context.close()
    guard.assert_offline()
