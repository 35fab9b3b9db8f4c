"""Drilling down by click in headless Chromium: a ranking bar, a table row and a town on the map
narrow the pages to that town (its own overview, ranking its villages), and the browser's Back
returns to the county."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from lib.present import maps
from tests.hand_county import OUTLINES
from tests.support.browser import running_app, world_px

# All on one pytest-xdist worker (--dist loadgroup): the module's shared fixtures are built once,
# not by each worker that runs one of its tests.
pytestmark = pytest.mark.xdist_group("test_browser_drill")

TOWN_B = "349901101"  # Yi Town: villages B1 and B2 (tests/hand_county.py)
B1 = "349901101204"


@pytest.fixture(scope="module")
def base_url(module_hand_sqlite_url: str) -> Iterator[str]:
    """One server for the module's tests; they only read."""
    with running_app(module_hand_sqlite_url) as served:
        yield served


def _heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1).first


def _hover_chart_until(page: Page, chart: Locator, text: str) -> tuple[float, float]:
    """Move the mouse down the chart until Vega's tooltip names `text`; returns that point."""
    box = chart.bounding_box()
    assert box is not None
    tooltip = page.locator("#vg-tooltip-element")
    for fraction in (0.3, 0.2, 0.45):  # across the bars, left of their value labels
        x = box["x"] + box["width"] * fraction
        for step in range(0, int(box["height"]), 6):
            y = box["y"] + step
            page.mouse.move(x, y)
            if tooltip.is_visible() and text in tooltip.inner_text():
                return x, y
    raise AssertionError(f"no bar of {text!r} found on the chart")


def _ranking_chart(page: Page) -> Locator:
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts.nth(1)).to_be_visible(timeout=30_000)
    return charts.nth(1)  # the plan stages on the left, the ranking on the right


def test_a_ranking_bar_opens_the_towns_overview_and_back_returns(base_url: str, offline_page: Page) -> None:
    page = offline_page
    page.set_viewport_size({"width": 1440, "height": 1100})
    page.goto(f"{base_url}/?lang=en")
    expect(_heading(page)).to_have_text("County overview", timeout=30_000)
    page.wait_for_timeout(800)  # the chart settles
    x, y = _hover_chart_until(page, _ranking_chart(page), "Yi Town")
    page.mouse.click(x, y)

    expect(_heading(page)).to_have_text("Yi Town overview", timeout=15_000)
    expect(page).to_have_url(re.compile(rf"town={TOWN_B}"))
    expect(page.get_by_role("heading", name="Villages ranked by progress")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_test_id("stMultiSelect").first).to_contain_text("Yi Town")  # in step

    page.go_back()
    expect(_heading(page)).to_have_text("County overview", timeout=15_000)
    assert f"town={TOWN_B}" not in page.url
    expect(page.get_by_role("heading", name="Towns ranked by progress")).to_be_visible()
    expect(sidebar.get_by_test_id("stMultiSelect").first).not_to_contain_text("Yi Town")

    page.go_forward()  # and Forward goes back into the town
    expect(_heading(page)).to_have_text("Yi Town overview", timeout=15_000)

    page.wait_for_timeout(800)
    x, y = _hover_chart_until(page, _ranking_chart(page), "B1 Village")
    page.mouse.click(x, y)  # a village's bar opens its page
    expect(page).to_have_url(re.compile(rf"/village\?.*code={B1}"), timeout=15_000)
    expect(_heading(page)).to_contain_text("B1 Village")


def test_a_row_of_the_towns_table_opens_the_towns_overview(base_url: str, offline_page: Page) -> None:
    page = offline_page
    page.set_viewport_size({"width": 1440, "height": 1100})
    page.goto(f"{base_url}/?lang=en")
    expect(_heading(page)).to_have_text("County overview", timeout=30_000)
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible(timeout=30_000)  # drawn after the charts above it, slow on a busy machine
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    for _ in range(20):  # until the charts above have been drawn and the table stops moving
        page.wait_for_timeout(250)
        table.scroll_into_view_if_needed()
        box, before = table.bounding_box(), box
        if box == before:
            break
    assert box is not None
    # Rank 1 by overall progress is Yi Town (tests/test_overview_queries.py); a click on the row's
    # selection box (the grid's first column) picks it.
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)
    expect(_heading(page)).to_have_text("Yi Town overview", timeout=15_000)
    page.go_back()
    expect(_heading(page)).to_have_text("County overview", timeout=15_000)


def test_a_town_clicked_on_the_map_narrows_the_map_and_back_returns(
    base_url: str, offline_page: Page
) -> None:
    page = offline_page
    page.set_viewport_size({"width": 1440, "height": 1100})
    page.goto(f"{base_url}/map?lang=en&level=town")
    canvas = page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first
    expect(canvas).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)
    view = maps.fit_view(OUTLINES["349901"])
    centre = world_px(view.longitude, view.latitude, view.zoom)
    inside = world_px(116.45, 32.6, view.zoom)  # in Yi Town's outline, away from its name
    box = canvas.bounding_box()
    assert box is not None
    x = box["x"] + box["width"] / 2 + inside[0] - centre[0]
    y = box["y"] + box["height"] / 2 + inside[1] - centre[1]
    tooltip = page.locator(".deck-tooltip")
    for _ in range(20):
        page.mouse.move(x - 4, y)
        page.mouse.move(x, y)
        if tooltip.is_visible() and "Yi Town" in tooltip.inner_text():
            break
        page.wait_for_timeout(250)
    page.mouse.click(x, y)

    expect(page).to_have_url(re.compile(rf"town={TOWN_B}"), timeout=15_000)
    scope = page.get_by_test_id("stCaptionContainer").filter(has_text="Yi Town").first
    expect(scope).to_be_visible(timeout=15_000)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_test_id("stMultiSelect").first).to_contain_text("Yi Town", timeout=15_000)

    page.go_back()
    expect(sidebar.get_by_test_id("stMultiSelect").first).not_to_contain_text("Yi Town", timeout=15_000)
    assert f"town={TOWN_B}" not in page.url
    # The map drawn again for the whole county: slow on a busy machine (it timed out at 5 s in CI).
    expect(page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first).to_be_visible(timeout=30_000)
