"""The meeting deck (PowerPoint, opened again with python-pptx) and the printable HTML brief."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from pptx.presentation import Presentation as PresentationType
from pptx.shapes.autoshape import Shape
from pptx.slide import Slide as PptxSlide
from pptx.util import Emu
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lib.core.i18n import get_language, set_language
from lib.demo.catalogues import AS_OF
from lib.demo.county import DEMO_TOWN_CODE
from lib.files.brief import brief_html
from lib.files.briefing import Slide, build_slides
from lib.files.deck import EAST_ASIAN_FONT, PICTURE_BOX, deck_bytes, png_size
from tests.briefing_support import PNG_SIGNATURE, SOURCE_EN, TOWN_B, SlideCache

# test_briefing and test_deck run on one pytest-xdist worker, which builds their slides once.
pytestmark = pytest.mark.xdist_group("hand_slides")


@pytest.fixture
def slides(hand_slides: SlideCache) -> SlideCache:
    return hand_slides


def _open(slides: list[Slide], lang: str) -> PresentationType:
    return Presentation(io.BytesIO(deck_bytes(slides, lang=lang)))


def _pictures(page: PptxSlide) -> list[Any]:
    return [shape for shape in page.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]


def _texts(page: PptxSlide) -> list[str]:
    return [
        shape.text_frame.text for shape in page.shapes if isinstance(shape, Shape) and shape.has_text_frame
    ]


def test_deck_has_a_slide_per_figure_with_title_picture_and_footer(slides: SlideCache) -> None:
    built = slides("en")
    deck = _open(built, "en")
    assert deck.slide_width is not None and deck.slide_height is not None
    assert deck.slide_width * 9 == pytest.approx(deck.slide_height * 16, rel=1e-3)  # 16:9
    assert deck.core_properties.title == built[0].title
    assert len(deck.slides) == len(built) == 11
    for number, (page, slide) in enumerate(zip(deck.slides, built, strict=True), start=1):
        assert page.shapes.title is not None and page.shapes.title.text == slide.title
        texts = _texts(page)
        assert SOURCE_EN in texts and f"{number} / 11" in texts  # the footer
        assert slide.subtitle in texts
        pictures = _pictures(page)
        if slide.png is None:
            assert not pictures
            continue
        assert len(pictures) == 1, slide.key
        picture = pictures[0]
        blob = picture.image.blob
        assert picture.image.content_type == "image/png" and blob.startswith(PNG_SIGNATURE)
        assert blob == slide.png and 20_000 < len(blob) < 2_000_000
        width, height = png_size(blob)
        assert width >= 800 and height >= 200
        assert picture._element.nvPicPr.cNvPr.get("descr") == slide.title  # alt text
        left, top, box_width, box_height = PICTURE_BOX
        assert picture.left >= left and picture.top >= top
        assert picture.left + picture.width <= left + box_width + 1
        assert picture.top + picture.height <= top + box_height + 1
        assert picture.width / picture.height == pytest.approx(width / height, rel=0.01)  # not stretched
        for bullet in slide.bullets:
            assert any(bullet in text for text in texts), bullet


def test_chinese_deck_keeps_its_titles_and_names_an_east_asian_font(slides: SlideCache) -> None:
    built = slides("zh")
    deck = _open(built, "zh")
    titles = [page.shapes.title.text for page in deck.slides if page.shapes.title is not None]
    assert titles == [slide.title for slide in built]
    assert titles[1] == "全县概览" and titles[-1] == "乙镇：与全县对比"
    assert deck.core_properties.language == "zh-CN"
    runs = [
        run
        for page in deck.slides
        for shape in page.shapes
        if shape.has_text_frame
        for paragraph in shape.text_frame.paragraphs
        for run in paragraph.runs
    ]
    assert runs
    for run in runs:
        properties = run._r.find(qn("a:rPr"))
        assert properties is not None and properties.get("lang") == "zh-CN"
        east_asian = properties.find(qn("a:ea"))
        assert east_asian is not None and east_asian.get("typeface") == EAST_ASIAN_FONT
    assert any("档案已核验：33.3%（已核验 3 户，共 9 户）" in text for text in _texts(deck.slides[1]))


def test_deck_of_one_town_and_language_restored(slides: SlideCache) -> None:
    built = slides("en", [TOWN_B])
    set_language("zh")
    deck = _open(built, "en")
    assert get_language() == "zh"
    assert len(deck.slides) == len(built) == 10
    training = deck.slides[[slide.key for slide in built].index("training")]
    assert any(
        "Coverage: 100.0% (2 of 2 serving first secretaries; target 90.0%)" in text
        for text in _texts(training)
    )
    assert len(Presentation(io.BytesIO(deck_bytes([], lang="en"))).slides) == 0


def test_brief_is_self_contained_and_printable(slides: SlideCache) -> None:
    built = slides("zh")
    page = brief_html(built, lang="zh")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert page.count("<section") == len(built)
    assert "http://" not in page and "https://" not in page
    assert (
        "<script" not in page and "<link" not in page and "@import" not in page and "@font-face" not in page
    )
    assert "size: A4 landscape" in page and "break-after: page" in page
    sources = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', page)
    assert [alt for _, alt in sources] == [slide.title for slide in built if slide.png is not None]
    assert all(src.startswith("data:image/png;base64,") for src, _ in sources)
    first = next(slide for slide in built if slide.png is not None)
    assert base64.b64decode(sources[0][0].removeprefix("data:image/png;base64,")) == first.png
    for slide in built:
        assert f"<h1>{slide.title}</h1>" in page
        assert all(bullet in page for bullet in slide.bullets)
    assert page.count("来源：县脱贫攻坚数据库 · 数据截至 2020-10-31 · 导出于 2026-11-23 16:40") == len(built)


def test_chart_text_in_the_deck_is_at_least_14_pt(slides: SlideCache) -> None:
    """A chart's letters are briefing.FONT_SIZE px in a picture rendered at twice its size, then
    scaled into its box on the slide: at least 14 pt there (a projected deck's least legible size).
    The map's town names are smaller (they would overlap) and are not held to it."""
    from lib.files.briefing import FONT_SIZE

    built = slides("zh")
    deck = _open(built, "zh")
    measured = {}
    for page, slide in zip(deck.slides, built, strict=True):
        pictures = _pictures(page)
        if slide.png is None or slide.key == "map":
            continue
        width_px, _ = png_size(pictures[0].image.blob)
        shown_pt = Emu(pictures[0].width).pt
        measured[slide.key] = FONT_SIZE * shown_pt / (width_px / 2)
    assert len(measured) >= 5, measured
    assert {key: round(size, 1) for key, size in measured.items() if size < 14} == {}


def test_the_demo_deck_opens_with_the_last_meetings_decisions(demo_engine: Engine) -> None:
    """Balihe's deck opens with its meeting of 2018-01-14 (lib/demo/meetings.py: of four decisions
    the office's and the tourism chain's are done, the ledgers and the company + cooperative model
    late), the county's with the 79th meeting's; the slide's text is at least 14 pt in the deck."""
    with Session(demo_engine) as session:
        town = build_slides(session, town_codes=[DEMO_TOWN_CODE], as_of=AS_OF, lang="zh")
        county = build_slides(session, town_codes=None, as_of=AS_OF, lang="en")
    first = town[0]
    assert (first.key, first.title, town[1].key) == ("decisions", "2018年1月14日会议议定事项及进展", "title")
    assert first.bullets[0] == "八里河镇脱贫攻坚推进会议定 4 项事项：已完成 2 项，按期推进 0 项，已逾期 2 项"
    assert [line.split(" · ")[-2:] for line in first.bullets[1:3]] == [
        ["已逾期", "户档案核验率 104/277（37.5%，目标 100.0%）"],
        ["已逾期", "稳定增收占比 33/57（57.9%，目标 60.0%）"],
    ]
    assert county[0].title == "What we decided on 10 Jan 2018 and where it stands"
    page = _open(town, "zh").slides[0]
    sizes = {
        run.font.size.pt
        for shape in page.shapes
        if isinstance(shape, Shape) and shape.has_text_frame and first.bullets[0] in shape.text_frame.text
        for paragraph in shape.text_frame.paragraphs
        for run in paragraph.runs
        if run.font.size is not None
    }
    assert sizes and min(sizes) >= 14
    assert "2018年1月14日会议议定事项及进展" in brief_html(town, lang="zh")
