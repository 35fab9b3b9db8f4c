"""The village map in headless Chromium: drawn offline, a village picked by a click, its page opened."""

from __future__ import annotations

import io
from typing import cast

from PIL import Image
from playwright.sync_api import Page, expect

from lib.present import maps
from tests.hand_county import OUTLINES
from tests.support.browser import running_app, world_px

A1 = "349901100201"
A1_LON, A1_LAT = 116.1, 32.6  # tests/hand_county.py


def _rgb_pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    """An RGB image's pixels, row by row."""
    return cast(list[tuple[int, int, int]], list(image.get_flattened_data()))


def _coloured_pixels(png: bytes) -> int:
    """How many pixels of the map picture are the green of "exited" villages."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    r0, g0, b0 = 26, 152, 80
    return sum(
        1 for r, g, b in _rgb_pixels(image) if abs(r - r0) < 30 and abs(g - g0) < 30 and abs(b - b0) < 30
    )


def _dot_pixels_around(png: bytes, centre: tuple[float, float], reach: int = 60) -> int:
    """How many pixels near `centre` are coloured (village dots; outlines and land are grey)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    x, y = int(centre[0]), int(centre[1])
    crop = image.crop((x - reach, y - reach, x + reach, y + reach))
    return sum(1 for pixel in _rgb_pixels(crop) if max(pixel) - min(pixel) > 40)


def test_map_drawn_offline_then_a_click_opens_the_card_and_the_village_page(
    hand_sqlite_url: str, offline_page: Page
) -> None:
    """The deep link /map is the server's first request; the canvas draws, a click fills the card."""
    page = offline_page
    page.set_viewport_size({"width": 1440, "height": 1100})
    with running_app(hand_sqlite_url) as base_url:
        page.goto(f"{base_url}/map?lang=en")
        canvas = page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first
        expect(canvas).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("stSidebar").get_by_text("语言 / Language")).to_be_visible()
        page.wait_for_timeout(1500)
        assert _coloured_pixels(canvas.screenshot()) > 20  # village dots were drawn

        view = maps.fit_view(OUTLINES["349901"])  # the page fits the county's stored town outlines
        centre = world_px(view.longitude, view.latitude, view.zoom)
        village = world_px(A1_LON, A1_LAT, view.zoom)
        box = canvas.bounding_box()
        assert box is not None
        x = box["x"] + box["width"] / 2 + village[0] - centre[0]
        y = box["y"] + box["height"] / 2 + village[1] - centre[1]
        tooltip = page.locator(".deck-tooltip")
        for _ in range(20):  # the canvas may still be settling: hover until the tooltip answers
            page.mouse.move(x - 4, y)
            page.mouse.move(x, y)
            if tooltip.is_visible() and "A1 Village" in tooltip.inner_text():
                break
            page.wait_for_timeout(250)
        expect(tooltip).to_contain_text("Town: Jia Town")

        # No double-click zoom (deck.gl would hold every click back for it), but the wheel zooms,
        # around the pointer, so A1 stays under it: the dots grow.
        around = (x - box["x"], y - box["y"])
        before = _dot_pixels_around(canvas.screenshot(), around)
        for _ in range(3):
            page.mouse.wheel(0, -300)
            page.wait_for_timeout(300)
        page.wait_for_timeout(1000)
        assert _dot_pixels_around(canvas.screenshot(), around) > 4 * before > 0
        page.mouse.click(x, y)

        expect(page.get_by_role("heading", name="A1 Village")).to_be_visible(timeout=15_000)
        incidence = page.get_by_test_id("stMetric").filter(has_text="Poverty incidence")
        expect(incidence.get_by_test_id("stMetricValue")).to_have_text("0.4%")

        page.get_by_role("link", name="Open the village page").click()
        expect(page).to_have_url(f"{base_url}/village?code={A1}&lang=en", timeout=15_000)
        tile = page.get_by_test_id("stMetric").filter(has_text="Poverty incidence")
        expect(tile.first.get_by_test_id("stMetricValue")).to_have_text("0.4%", timeout=30_000)
