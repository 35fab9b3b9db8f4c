"""The app in a real headless Chromium, served by a real Streamlit server, with no outside requests."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import running_app

# All on one pytest-xdist worker (--dist loadgroup): the module's app server is started once, not by each
# worker that runs one of its tests.
pytestmark = pytest.mark.xdist_group("test_browser")

TOWN_A = "349901100"
TOWN_B = "349901101"


@pytest.fixture(scope="module")
def app_url(module_hand_sqlite_url: str) -> Iterator[str]:
    """One server for the tests that do not need a fresh one; they only read."""
    with running_app(module_hand_sqlite_url) as base_url:
        yield base_url


def _metric_value(page: Page, label: str) -> str:
    tile = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    expect(tile).to_have_count(1, timeout=30_000)
    return tile.get_by_test_id("stMetricValue").inner_text().strip()


def test_overview_shows_kpis_offline(app_url: str, offline_page: Page) -> None:
    """Loads the Overview and reads the verified share worked out by hand (3 of 9)."""
    offline_page.goto(f"{app_url}/?lang=en")
    assert _metric_value(offline_page, "Verified") == "33.3%"
    assert _metric_value(offline_page, "Poor households") == "9"
    expect(offline_page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    expect(offline_page.get_by_test_id("stDataFrame")).to_have_count(2)  # towns ranked; villages to exit


def test_switching_language_in_the_browser(app_url: str, offline_page: Page) -> None:
    """The language switch relabels the page and is kept in the URL."""
    offline_page.goto(f"{app_url}/")
    assert _metric_value(offline_page, "档案已核验") == "33.3%"
    offline_page.get_by_test_id("stSidebar").get_by_text("English").click()
    assert _metric_value(offline_page, "Verified") == "33.3%"
    expect(offline_page).to_have_url(re.compile(r"lang=en"))


@pytest.mark.parametrize(
    ("path", "households"),
    [(f"/?lang=en&town={TOWN_B}", "3"), (f"/?town={TOWN_A}&lang=en&town={TOWN_B}", "9")],
)
def test_deep_link_as_the_first_request_gets_the_shell(
    hand_sqlite_url: str, offline_page: Page, path: str, households: str
) -> None:
    """A fresh server whose very first request is a deep link shows the shell and the link's filters."""
    with running_app(hand_sqlite_url) as base_url:
        offline_page.goto(f"{base_url}{path}")
        assert _metric_value(offline_page, "Poor households") == households
        sidebar = offline_page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("语言 / Language")).to_be_visible()
        # the first multiselect is the towns filter (the villages filter follows it)
        expect(sidebar.get_by_test_id("stMultiSelect").first).to_contain_text("Yi Town")
        expect(offline_page).to_have_url(re.compile(rf"town={TOWN_B}"))
        expect(offline_page.get_by_text("Page not found")).to_have_count(0)


def test_training_page_shows_the_coverage_figure(app_url: str, offline_page: Page) -> None:
    """/training in the browser: 3 of the 5 serving first secretaries are trained."""
    offline_page.goto(f"{app_url}/training?lang=en")
    assert _metric_value(offline_page, "Coverage") == "60.0%"
    expect(offline_page.get_by_role("tab", name="Next phase")).to_be_visible()


def test_industry_page_shows_the_plan_coverage(app_url: str, offline_page: Page) -> None:
    """/industry in the browser: 5 of the 8 households with labour have a plan."""
    offline_page.goto(f"{app_url}/industry?lang=en")
    assert _metric_value(offline_page, "Plan coverage") == "62.5%"
