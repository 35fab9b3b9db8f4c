"""The first request after a restart can be any page: each page's path, asked first of a freshly
started server, gets the shell (menu, language, sign-in box) and then either the sign-in prompt
(browsing closed) or the page itself (browsing open). Streamlit's pages folder once served such a
request without the shell (DESIGN.md, "Known traps"); only a fresh server shows it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.rules.permissions import COMMAND_LINE
from lib.services.accounts import create_user_service, set_browse_without_sign_in
from tests.db_fixtures import _hand_county, copy_database
from tests.support.browser import running_app

# All on one pytest-xdist worker (--dist loadgroup): its 22 freshly started servers (11 closed, 11 open)
# are started once, not by each worker that runs one of its tests.
pytestmark = pytest.mark.xdist_group("test_browser_first_request")

VILLAGE = "349901100201"
# path → the page's first heading in English (None: the slide or village shown names it)
PAGES: dict[str, str | None] = {
    "/": "County overview",
    "/map": "Village map",
    "/industry": "One household, one industry; one village, one product",
    "/assessment": "Third-party assessment readiness",
    "/training": "First-secretary training",
    "/slideshow": None,
    "/meetings": "Meetings and decisions",
    "/updates": "Updates",
    "/data": "Import & export",
    "/load": "Load county data",
    "/village": None,
    "/admin": "Account management",
}
MENU = [
    "Overview",
    "Village map",
    "Industry",
    "Assessment",
    "Training",
    "Slideshow",
    "Meetings",
    "Updates",
    "Import & export",
    "Load county data",
    "Village",
    "Accounts",
]
PROMPT = "Sign in first. This dashboard's data is shown to signed-in users only"


@pytest.fixture(scope="module")
def closed_url(module_hand_sqlite_url: str) -> str:
    engine = make_engine(module_hand_sqlite_url)
    with Session(engine) as session:
        create_user_service(
            session,
            actor=COMMAND_LINE,
            username="lee",
            password="correct horse",
            display_name="Lee",
            role="leader",
        )
        set_browse_without_sign_in(session, actor=COMMAND_LINE, enabled=False)
    engine.dispose()
    return module_hand_sqlite_url


def _fresh_servers(url: str) -> Iterator[dict[str, str]]:
    """One freshly started server per page path, started (and stopped) side by side; none has served
    anything yet."""
    servers = [running_app(url) for _ in PAGES]
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        starts = [pool.submit(server.__enter__) for server in servers]
        started = [server for server, start in zip(servers, starts, strict=True) if start.exception() is None]
        try:
            yield dict(zip(PAGES, [start.result() for start in starts], strict=True))
        finally:
            for stop in [pool.submit(server.__exit__, None, None, None) for server in started]:
                stop.result()


@pytest.fixture(scope="module")
def closed_servers(closed_url: str) -> Iterator[dict[str, str]]:
    yield from _fresh_servers(closed_url)


@pytest.fixture(scope="module")
def open_servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    url = copy_database(request, "sqlite", "hand", _hand_county, folder=tmp_path_factory.mktemp("open"))
    yield from _fresh_servers(url)


def _expect_shell(page: Page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("语言 / Language")).to_be_visible(timeout=30_000)
    # each link's text is its Material icon's name (drawn by the bundled font), then its label
    expect(sidebar.get_by_test_id("stPageLink")).to_have_text(
        [re.compile(f"{re.escape(label)}$") for label in MENU]
    )
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # Streamlit's own menu stays hidden
    expect(page.get_by_text("Page not found")).to_have_count(0)


@pytest.mark.parametrize("path", PAGES)
def test_closed_every_page_first_shows_the_shell_and_only_the_sign_in_prompt(
    closed_servers: dict[str, str], offline_page: Page, path: str
) -> None:
    offline_page.goto(f"{closed_servers[path]}{path}?lang=en&code={VILLAGE}")
    _expect_shell(offline_page)
    main = offline_page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stAlert")).to_have_count(1)
    expect(main.get_by_test_id("stAlert")).to_contain_text(PROMPT)
    expect(offline_page.get_by_role("heading", level=1)).to_have_text("County Poverty-Alleviation Dashboard")
    expect(main.get_by_test_id("stMetric")).to_have_count(0)
    expect(main.get_by_test_id("stTabs")).to_have_count(0)
    expect(offline_page.get_by_test_id("stSidebar").get_by_role("button", name="Sign in")).to_be_visible()


@pytest.mark.parametrize("path", PAGES)
def test_open_every_page_first_shows_itself_with_the_sidebar(
    open_servers: dict[str, str], offline_page: Page, path: str
) -> None:
    offline_page.goto(f"{open_servers[path]}{path}?lang=en&code={VILLAGE}")
    _expect_shell(offline_page)
    expected = PAGES[path]
    heading = offline_page.get_by_role("heading", level=1).first
    if expected is not None:
        expect(heading).to_have_text(expected, timeout=30_000)
    elif path == "/village":
        expect(heading).to_contain_text("A1", timeout=30_000)
    else:
        expect(offline_page.get_by_text(re.compile(r"^Slide 1 of \d+$"))).to_be_visible(timeout=30_000)
    expect(offline_page.get_by_text(PROMPT)).to_have_count(0)
    assert offline_page.url.split("?")[0].endswith(path)
