"""Text that people typed stays text, in real Chromium: Markdown and HTML planted in every free-text
field (tests/planted_text.py) and in every query parameter never reach an outside address, never
become links, images, colours, icons or formulas, and read exactly as typed.

One server for the module; each test is one role's walk through the pages that show the fields.
`offline_page` fails a test on any request that leaves this machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.schema import upgrade
from tests.planted_text import A1, OUTSIDE_HOST, PASSWORD, TOWN_A, load_planted_county, planted, shown
from tests.support.browser import running_app

# All on one pytest-xdist worker (--dist loadgroup): the module's app server is started once, not by each
# worker that runs one of its tests.
pytestmark = pytest.mark.xdist_group("test_browser_text")

SLOW = 30_000  # ms: the first visit to a page imports its modules and fills the caches

# What a page would show if it read a payload as Markdown or HTML (run in the page).
RENDERED = """
(host) => {
  const found = [];
  for (const el of document.querySelectorAll('[href], [src], [srcset], [action], [formaction], [poster]')) {
    for (const name of ['href', 'src', 'srcset', 'action', 'formaction', 'poster']) {
      const value = el.getAttribute(name);
      if (value && value.includes(host)) found.push(`<${el.tagName.toLowerCase()} ${name}="${value}">`);
    }
  }
  for (const el of document.querySelectorAll('.katex')) found.push(`LaTeX: ${el.textContent}`);
  for (const el of document.querySelectorAll('[aria-label="home icon"]')) found.push('icon: home');
  for (const el of document.querySelectorAll('.stMarkdownColoredText, .stMarkdownBadge')) {
    if (/^[a-z]+(-[a-z0-9]+)*$/.test(el.textContent) && !/^[A-Z]/.test(el.textContent)) {
      found.push(`colour or badge: ${el.textContent}`);
    }
  }
  for (const el of document.querySelectorAll('strong')) {
    if (el.textContent === 'b') found.push('bold: b');
  }
  return found;
}
"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app serving the planted county (one server for the module)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('planted')}/planted.db"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_planted_county(session)
    engine.dispose()
    with running_app(url) as served:
        yield served


def _wait_for(where: Page | Locator, tag: str) -> None:
    expect(where.get_by_text(tag).first).to_be_visible(timeout=SLOW)


def _settled(page: Page) -> None:
    """Wait until the script run is over (the "running" indicator gone)."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=SLOW)


def assert_text_stays_text(page: Page, *tags: str) -> None:
    """Nothing on the page was rendered from a payload, and each `tags`' payload reads as typed."""
    assert page.evaluate(RENDERED, OUTSIDE_HOST) == []
    expect(page.get_by_test_id("stException")).to_have_count(0)
    text = shown(page.locator("body").inner_text())
    missing = [tag for tag in tags if planted(tag) not in text]
    assert not missing, f"not shown as typed: {missing}"


def _sign_in(page: Page, base_url: str, username: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("textbox", name="Username").fill(username)
    sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
    sidebar.get_by_role("button", name="Sign in").click()
    _wait_for(sidebar, f"name-{username}")
    _settled(page)
    assert_text_stays_text(page, f"name-{username}")


def _open_tab(page: Page, name: str) -> Locator:
    """Open the tab labelled `name`; returns its panel."""
    page.get_by_role("tab", name=name, exact=True).click()
    _settled(page)
    return page.get_by_role("tabpanel")  # roles skip hidden elements: the open tab's panel


def test_dashboards_show_planted_names_as_text(base_url: str, offline_page: Page) -> None:
    """Overview, map with the village card, village page, training, industry, assessment, slideshow."""
    page = offline_page
    page.set_viewport_size({"width": 1440, "height": 1000})

    page.goto(f"{base_url}/?lang=en&town={TOWN_A}")
    _wait_for(page, "town-1")
    _settled(page)
    assert_text_stays_text(page, "town-1")

    page.goto(f"{base_url}/map?lang=en&town={TOWN_A}")
    expect(page.get_by_test_id("stDeckGlJsonChart")).to_be_visible(timeout=SLOW)
    page.get_by_role("combobox", name="Pick a village").click()
    page.get_by_role("option", name=re.compile("village-1 ")).click()
    _wait_for(page, "product-1")
    _settled(page)
    # the card (name, town, first secretary, team member, product, leading industry), and the
    # village without coordinates named under the map
    assert_text_stays_text(
        page, "village-1", "town-1", "cadre-1", "cadre-7", "product-1", "industry-1", "village-3"
    )

    page.goto(f"{base_url}/village?code={A1}&lang=en")
    _wait_for(page, "product-1")
    _settled(page)
    assert_text_stays_text(page, "village-1", "town-1", "cadre-1", "unit-1", "product-1")

    page.goto(f"{base_url}/training?lang=en")
    _wait_for(page, "programme-2")
    _settled(page)
    assert_text_stays_text(page, "programme-2")  # the study tour, named in its tile

    page.goto(f"{base_url}/industry?lang=en")
    expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=SLOW)
    _settled(page)
    assert_text_stays_text(page)

    page.goto(f"{base_url}/assessment?lang=en")
    _wait_for(page, "would fail")
    _settled(page)
    assert_text_stays_text(page, "town-1")  # among the towns that would fail

    page.goto(f"{base_url}/slideshow?lang=en&town={TOWN_A}&slides=town")
    _wait_for(page, "town-1")
    _settled(page)
    assert_text_stays_text(page, "town-1")


def test_query_parameters_stay_text(base_url: str, offline_page: Page) -> None:
    """Every query parameter set to a payload on the page that echoes one (the village code); the
    shell reads the rest on every page. (Each page's own parameters are tried under AppTest.)"""
    page = offline_page
    planted_value = quote(planted("param"), safe="")
    names = ["lang", "town", "village", "present", "theme", "code", "level", "measure"]
    names += ["seed", "sample", "drawn", "slides", "auto"]
    page.goto(f"{base_url}/village?" + "&".join(f"{name}={planted_value}" for name in names))
    _wait_for(page, "param")
    _settled(page)
    assert_text_stays_text(page, "param")


def test_village_editor_reads_what_was_sent_back_as_text(base_url: str, offline_page: Page) -> None:
    """A village editor: the sent-back change (which village, what, by whom) and the comment.

    (Nothing is saved here, so the module's tests may run in any order: the messages after a save
    are checked under AppTest, tests/test_text_stays_text.py.)"""
    page = offline_page
    _sign_in(page, base_url, "vera", "/updates?lang=en")
    _wait_for(_open_tab(page, "Send back"), "comment-open")
    assert_text_stays_text(page, "village-1", "action-1", "key-1", "requested-by", "comment-open", "new-1")


def test_town_editor_reviews_and_keeps_the_team_as_text(base_url: str, offline_page: Page) -> None:
    """A town editor: a village change to send back, the village's team and product, a roster."""
    page = offline_page
    _sign_in(page, base_url, "tess", "/updates?lang=en")
    _wait_for(_open_tab(page, "Send back"), "new-2")
    assert_text_stays_text(page, "old-2", "new-2", "comment-open")

    _wait_for(_open_tab(page, "Village team and product"), "product-1")
    assert_text_stays_text(page, "cadre-1", "unit-1", "cadre-7", "product-1")

    _wait_for(_open_tab(page, "Training attendance"), "cadre-3")
    assert_text_stays_text(page, "cadre-3", "village-3", "town-1")  # the study tour's roster


def test_administrator_pages_show_names_as_text(base_url: str, offline_page: Page) -> None:
    """An administrator: the account pages and the import & export page."""
    page = offline_page
    _sign_in(page, base_url, "ada", "/admin?lang=en")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=SLOW)
    assert_text_stays_text(page, "name-ada")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Import & export").click()
    expect(page.get_by_role("heading", name="Import & export", level=1)).to_be_visible(timeout=SLOW)
    _settled(page)
    assert_text_stays_text(page, "name-ada")
