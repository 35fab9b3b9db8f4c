"""Staying signed in, in headless Chromium against one real server: a reload and a link opened in a
new tab keep the sign-in; signing out in one tab ends it in the others at their next run; another
browser, or a tampered cookie, is not signed in (and the bad cookie goes)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.i18n import CATALOGS
from lib.core.models import SignInSession
from lib.rules.permissions import COMMAND_LINE
from lib.rules.sign_in_cookie import COOKIE_NAME, well_formed
from lib.services.accounts import create_user_service, set_browse_without_sign_in
from lib.services.sessions import hash_token
from tests.support.browser import OfflineGuard, running_app

# All on one pytest-xdist worker (--dist loadgroup): the module's app server is started once, not by each
# worker that runs one of its tests.
pytestmark = pytest.mark.xdist_group("test_browser_stay_signed_in")

PASSWORD = "correct horse battery"
SIGN_IN_FIRST = "Sign in first."  # the gate's prompt while browsing needs an account
WAIT = 30_000


@pytest.fixture(scope="module")
def served(module_hand_sqlite_url: str) -> Iterator[tuple[str, str]]:
    """One server for the module: the hand county, browsing only when signed in, and one account,
    "ted" (Ted Wu, a county leader). Yields (the server's URL, the database's)."""
    url = module_hand_sqlite_url
    engine = make_engine(url)
    with Session(engine) as session:
        create_user_service(
            session, actor=None, username="ted", password=PASSWORD, display_name="Ted Wu", role="leader"
        )
        set_browse_without_sign_in(session, actor=COMMAND_LINE, enabled=False)
    engine.dispose()
    with running_app(url) as base_url:
        yield base_url, url


@pytest.fixture
def browser_context(chromium_browser: Browser) -> Iterator[Any]:
    """Makes contexts (separate browsers: their own cookies) whose pages may reach only this machine."""
    made: list[tuple[BrowserContext, OfflineGuard]] = []

    def new() -> BrowserContext:
        context = chromium_browser.new_context()
        guard = OfflineGuard()
        context.on("page", guard.attach)
        made.append((context, guard))
        return context

    yield new
    for context, guard in made:
        context.close()
        guard.assert_offline()


def _sidebar(page: Page) -> Any:
    return page.get_by_test_id("stSidebar")


def _sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?lang=en")
    sidebar = _sidebar(page)
    sidebar.get_by_role("textbox", name="Username").fill("ted")
    sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
    sidebar.get_by_role("button", name="Sign in").click()
    _expect_signed_in(page)


def _expect_signed_in(page: Page) -> None:
    expect(_sidebar(page).get_by_text("Ted Wu · County leader")).to_be_visible(timeout=WAIT)
    expect(_sidebar(page).get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text(SIGN_IN_FIRST)).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _expect_signed_out(page: Page) -> None:
    expect(_sidebar(page).get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text(SIGN_IN_FIRST)).to_be_visible(timeout=WAIT)
    expect(_sidebar(page).get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _cookie(context: BrowserContext) -> dict[str, Any] | None:
    return next((dict(c) for c in context.cookies() if c.get("name") == COOKIE_NAME), None)


def _wait_for_cookie(context: BrowserContext, *, present: bool) -> dict[str, Any] | None:
    """The session cookie once the page has written (or removed) it: a few lines of script do it
    as the sign-in's run reaches the browser."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        cookie = _cookie(context)
        if (cookie is not None) == present:
            return cookie
        time.sleep(0.1)
    raise AssertionError(f"the session cookie was {'never written' if present else 'not removed'}")


def _sessions(url: str) -> list[SignInSession]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = list(session.scalars(select(SignInSession).order_by(SignInSession.id)))
        session.expunge_all()
    engine.dispose()
    return rows


def test_a_reload_and_a_new_tab_stay_signed_in_until_signed_out_in_any_tab(
    served: tuple[str, str], browser_context: Any
) -> None:
    base_url, url = served
    context = browser_context()
    first = context.new_page()
    first.goto(f"{base_url}/?lang=en")
    _expect_signed_out(first)
    _sign_in(first, base_url)

    cookie = _wait_for_cookie(context, present=True)
    assert cookie is not None and well_formed(cookie["value"])
    assert (cookie["path"], cookie["sameSite"], cookie["secure"]) == ("/", "Strict", False)  # http here
    lasts = cookie["expires"] - time.time()
    assert 12 * 3600 - 120 < lasts <= 12 * 3600  # STAY_SIGNED_IN_HOURS' default
    assert PASSWORD not in cookie["value"] and "ted" not in cookie["value"]
    started = _sessions(url)[-1]
    assert started.token_hash == hash_token(cookie["value"]) and started.revoked_at is None
    assert started.expires_at - started.created_at == dt.timedelta(hours=12)

    first.reload()
    _expect_signed_in(first)

    second = context.new_page()  # a link opened in a new tab
    second.goto(f"{base_url}/map?lang=en")
    _expect_signed_in(second)
    assert "/map" in second.url

    _sidebar(second).get_by_role("button", name="Sign out").click()
    expect(_sidebar(second).get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT)
    _wait_for_cookie(context, present=False)
    assert all(row.revoked_at is not None for row in _sessions(url))

    # The first tab still holds the account in its memory: its next run finds the session ended.
    _sidebar(first).get_by_text("简体中文").click()
    expect(_sidebar(first).get_by_text("登录已结束")).to_be_visible(timeout=WAIT)
    expect(_sidebar(first).get_by_role("button", name="登录")).to_be_visible(timeout=WAIT)
    expect(first.get_by_text("请先登录。")).to_be_visible(timeout=WAIT)
    first.goto(f"{base_url}/?lang=en")
    _expect_signed_out(first)
    second.reload()
    _expect_signed_out(second)


def test_another_browser_is_not_signed_in(served: tuple[str, str], browser_context: Any) -> None:
    base_url, _ = served
    signed_in = browser_context()
    page = signed_in.new_page()
    _sign_in(page, base_url)
    _wait_for_cookie(signed_in, present=True)

    other = browser_context().new_page()
    other.goto(f"{base_url}/?lang=en")
    _expect_signed_out(other)
    assert _cookie(other.context) is None


def test_presentation_mode_and_the_language_in_the_link_keep_the_sign_in(
    served: tuple[str, str], browser_context: Any
) -> None:
    base_url, _ = served
    context = browser_context()
    _sign_in(context.new_page(), base_url)
    _wait_for_cookie(context, present=True)

    page = context.new_page()
    page.goto(f"{base_url}/?lang=zh&present=1")
    expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=WAIT)  # the page, not the gate
    expect(page.get_by_test_id("present-scope")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("请先登录。")).to_have_count(0)
    title = CATALOGS["zh"]["overview.title"]  # in Chinese, as the link says
    expect(page.get_by_role("heading", name=title, level=1, exact=True)).to_be_visible(timeout=WAIT)


@pytest.mark.parametrize(
    "value",
    [
        "not-a-token",
        "A" * 43,  # well formed, but no session has it
        "%3Cscript%3E",
        "x" * 4000,
    ],
    ids=["malformed", "unknown", "markup", "long"],
)
def test_a_tampered_cookie_is_ignored_and_cleared(
    served: tuple[str, str], browser_context: Any, value: str
) -> None:
    base_url, _ = served
    context = browser_context()
    context.add_cookies([{"name": COOKIE_NAME, "value": value, "url": base_url}])
    page = context.new_page()
    page.goto(f"{base_url}/?lang=en")
    _expect_signed_out(page)
    _wait_for_cookie(context, present=False)


def test_a_real_token_changed_by_one_character_signs_nobody_in(
    served: tuple[str, str], browser_context: Any
) -> None:
    base_url, _ = served
    signed_in = browser_context()
    _sign_in(signed_in.new_page(), base_url)
    cookie = _wait_for_cookie(signed_in, present=True)
    assert cookie is not None
    token = cookie["value"]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    context = browser_context()
    context.add_cookies([{"name": COOKIE_NAME, "value": tampered, "url": base_url}])
    page = context.new_page()
    page.goto(f"{base_url}/?lang=en")
    _expect_signed_out(page)
    _wait_for_cookie(context, present=False)


def test_with_browsing_allowed_a_reload_keeps_the_sign_in(
    served: tuple[str, str], browser_context: Any
) -> None:
    base_url, url = served
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            set_browse_without_sign_in(session, actor=COMMAND_LINE, enabled=True)
        context = browser_context()
        page = context.new_page()
        _sign_in(page, base_url)
        _wait_for_cookie(context, present=True)
        page.reload()
        _expect_signed_in(page)
        _sidebar(page).get_by_role("button", name="Sign out").click()
        expect(_sidebar(page).get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT)
        _wait_for_cookie(context, present=False)
        page.reload()
        expect(_sidebar(page).get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT)
        expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=WAIT)  # browsing needs no account
    finally:
        with Session(engine) as session:
            set_browse_without_sign_in(session, actor=COMMAND_LINE, enabled=False)
        engine.dispose()
