"""Presentation mode and the slideshow in headless Chromium, offline: no chrome, large type,
stepping by buttons and keys, and the meeting deck downloaded and opened with python-pptx."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Emu

from lib.ui import presentation
from tests.support.browser import running_app

TOWN_A = "349901100"


@pytest.fixture(scope="module")
def base_url(module_hand_sqlite_url: str) -> Iterator[str]:
    """One server for the module's tests; they only read."""
    with running_app(module_hand_sqlite_url) as served:
        yield served


def _position(page: Page) -> str:
    return page.get_by_test_id("slide-position").inner_text().strip()


def test_presentation_url_hides_the_chrome_and_sets_large_type(base_url: str, offline_page: Page) -> None:
    page = offline_page
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{base_url}/?lang=en&present=1&town={TOWN_A}")
    expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("present-scope")).to_contain_text("Jia Town")
    for chrome in ("stSidebar", "stHeader", "stToolbar", "stMainMenu", "stSidebarCollapsedControl"):
        assert not page.get_by_test_id(chrome).filter(visible=True).count(), chrome
    size = "e => parseFloat(getComputedStyle(e).fontSize)"
    label = page.get_by_test_id("stMetricLabel").first.locator("p").first
    assert float(label.evaluate(size)) >= presentation.TILE_LABEL_PX
    detail = page.get_by_test_id("stCaptionContainer").first  # a tile's counts
    assert float(detail.evaluate(size)) >= presentation.TILE_DETAIL_PX >= 16
    assert float(page.get_by_test_id("present-scope").evaluate(size)) >= presentation.BODY_PX
    title = page.get_by_role("heading", level=1).first
    assert float(title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= presentation.TITLE_PX

    page.get_by_role("button", name="Leave presentation").click()
    expect(page.get_by_test_id("stSidebar")).to_be_visible(timeout=15_000)
    assert "present=1" not in page.url
    page.get_by_test_id("stSidebar").get_by_role("button", name="Presentation mode").click()
    expect(page.get_by_test_id("present-scope")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"present=1.*town={TOWN_A}|town={TOWN_A}.*present=1"))


def test_slideshow_steps_by_buttons_and_keys_and_downloads_the_deck(
    base_url: str, offline_page: Page
) -> None:
    page = offline_page
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{base_url}/slideshow?lang=en&present=1")
    expect(page.get_by_test_id("slide-position")).to_contain_text("Slide 1 of", timeout=60_000)
    total = int(_position(page).rsplit(" ", 1)[1])
    assert total >= 8
    expect(page.get_by_test_id("stCaptionContainer").filter(has_text="read at")).to_be_visible()

    page.get_by_role("button", name="Next").click()
    expect(page.get_by_test_id("slide-position")).to_have_text(f"Slide 2 of {total}", timeout=15_000)
    page.get_by_role("button", name="Previous").click()
    expect(page.get_by_test_id("slide-position")).to_have_text(f"Slide 1 of {total}", timeout=15_000)

    page.get_by_role("heading", level=2).first.click()  # focus on the slide, not on a widget
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("slide-position")).to_have_text(f"Slide 2 of {total}", timeout=15_000)
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("slide-position")).to_have_text(f"Slide 3 of {total}", timeout=15_000)
    expect(page.get_by_test_id("stImage").first).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_test_id("slide-position")).to_have_text(f"Slide 2 of {total}", timeout=15_000)

    assert not page.get_by_test_id("stDownloadButton").count()  # none on the projector
    page.get_by_role("button", name="Leave presentation").click()
    with page.expect_download(timeout=120_000) as pending:
        page.get_by_role("button", name="Meeting deck (.pptx)").click()
    download = pending.value
    assert download.suggested_filename.endswith("_en.pptx")
    path = download.path()
    assert path is not None
    deck = Presentation(io.BytesIO(path.read_bytes()))

    assert len(deck.slides) == total
    titles = [slide.shapes.title.text if slide.shapes.title is not None else "" for slide in deck.slides]
    assert "Towns ranked by progress" in titles
    pictures = [
        shape for slide in deck.slides for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE
    ]
    assert len(pictures) >= 6  # ranking, funnel, map, training, industry and the town slides
    assert all(Emu(picture.width) > 0 for picture in pictures)
