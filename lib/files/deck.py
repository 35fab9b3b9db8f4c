"""The meeting deck as a 16:9 PowerPoint file (python-pptx), laid out from lib.files.briefing's slides.

Each slide: the title (a real title placeholder, so PowerPoint's outline and screen readers see
it), the selection and date, the chart or map picture scaled to fit (its legend is part of the
picture), the key figures beside it, and the source line with the slide number in a footer.
Every run names an East Asian font as well as a Latin one, so Chinese shows in a CJK font on
a county office PC whatever the theme says.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.slide import Slide as PptxSlide
from pptx.text.text import _Run
from pptx.util import Emu, Inches, Length, Pt

from lib.core.i18n import get_language, set_language, t
from lib.files.briefing import Slide

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
LATIN_FONT = "Arial"
EAST_ASIAN_FONT = "Microsoft YaHei"  # 微软雅黑, on every Chinese Windows PC; elsewhere a CJK fallback
TITLE_ONLY_LAYOUT = 5  # in python-pptx's default template

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
INK = RGBColor.from_string("1F2933")
MUTED = RGBColor.from_string("52606D")
ACCENT = RGBColor.from_string("2171B5")

Box = tuple[Length, Length, Length, Length]  # left, top, width, height

# Content slides: the picture on the left, the key figures on the right.
PICTURE_BOX = (MARGIN, Inches(1.65), Inches(8.1), Inches(4.75))
FIGURES_BOX = (Inches(8.85), Inches(1.65), Inches(3.98), Inches(5.1))
NOTE_BOX = (MARGIN, Inches(6.42), Inches(8.1), Inches(0.45))
FOOTER_TOP = Inches(6.98)


def deck_bytes(slides: Sequence[Slide], *, lang: str) -> bytes:
    """The slides as a .pptx file; `lang` ("zh"/"en") tags the text for PowerPoint's proofing."""
    previous = get_language()
    code = set_language(lang)
    try:
        presentation = Presentation()
        presentation.slide_width, presentation.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
        cover = next((slide for slide in slides if slide.key == "title"), slides[0] if slides else None)
        if cover is not None:
            presentation.core_properties.title = cover.title
        presentation.core_properties.language = "zh-CN" if code == "zh" else "en-US"
        layout = presentation.slide_layouts[TITLE_ONLY_LAYOUT]
        for number, slide in enumerate(slides, start=1):
            page = presentation.slides.add_slide(layout)
            if slide.key == "title":
                _cover(page, slide, code)
            else:
                _content(page, slide, code)
            _footer(page, slide, code, t("briefing.slide_number", n=number, total=len(slides)))
        buffer = io.BytesIO()
        presentation.save(buffer)
        return buffer.getvalue()
    finally:
        set_language(previous)


def file_name(*, as_of: str, lang: str) -> str:
    return f"meeting_deck_{as_of}_{lang}.pptx"


# --- layout -------------------------------------------------------------------------------------


def _cover(page: PptxSlide, slide: Slide, lang: str) -> None:
    """The title slide: the deck's title, the selection and date, and what follows."""
    _title(page, slide.title, lang, top=Inches(1.6), size=40)
    _text(
        page, (MARGIN, Inches(2.75), Inches(12.3), Inches(0.6)), [slide.subtitle], lang, size=20, colour=MUTED
    )
    _rule(page, Inches(3.45))
    # The agenda in two columns once it is long, so a dozen lines still fit above the footer.
    per_column = len(slide.bullets) if len(slide.bullets) <= 5 else -(-len(slide.bullets) // 2)
    for column, left in enumerate((Inches(0.9), Inches(7.0))):
        lines = slide.bullets[column * per_column : (column + 1) * per_column]
        if lines:
            box = (left, Inches(3.7), Inches(5.8), Inches(3.1))
            _text(page, box, lines, lang, size=18 if per_column <= 6 else 15, bullets=True)


def _content(page: PptxSlide, slide: Slide, lang: str) -> None:
    _title(page, slide.title, lang, top=Inches(0.3), size=28)
    _text(
        page, (MARGIN, Inches(1.0), Inches(12.3), Inches(0.4)), [slide.subtitle], lang, size=14, colour=MUTED
    )
    _rule(page, Inches(1.47))
    png = slide.png
    if png is None:
        box = (MARGIN, PICTURE_BOX[1], Inches(12.3), FIGURES_BOX[3])
        _text(page, box, slide.bullets, lang, size=_figure_size(slide.bullets, roomy=22), bullets=True)
    else:
        _picture(page, png, PICTURE_BOX, alt_text=slide.title)
        _text(page, FIGURES_BOX, slide.bullets, lang, size=_figure_size(slide.bullets), bullets=True)
    if slide.note:
        _text(page, NOTE_BOX, [slide.note], lang, size=11, colour=MUTED, italic=True)


def _footer(page: PptxSlide, slide: Slide, lang: str, number: str) -> None:
    height = Inches(0.38)
    _text(page, (MARGIN, FOOTER_TOP, Inches(11.0), height), [slide.source], lang, size=10, colour=MUTED)
    _text(
        page,
        (Inches(11.6), FOOTER_TOP, Inches(1.23), height),
        [number],
        lang,
        size=10,
        colour=MUTED,
        align=PP_ALIGN.RIGHT,
    )


def _figure_size(lines: Sequence[str], *, roomy: int = 16) -> int:
    """A font size that lets the key figures fit their box (PowerPoint does not shrink on open)."""
    length = sum(len(line) + 30 for line in lines)
    if length <= 360:
        return roomy
    return max(11, roomy - 2 * ((length - 360) // 180 + 1))


def _title(page: PptxSlide, text: str, lang: str, *, top: Length, size: int) -> None:
    title = page.shapes.title
    assert title is not None  # the Title Only layout has one
    title.left, title.top, title.width, title.height = MARGIN, top, Inches(12.33), Inches(0.75)
    frame = title.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame.text = ""
    paragraph = frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.LEFT
    _style(paragraph.add_run(), text, lang, size=size, colour=INK, bold=True)


def _rule(page: PptxSlide, top: Length) -> None:
    bar = page.shapes.add_shape(MSO_SHAPE.RECTANGLE, MARGIN, top, Inches(12.33), Inches(0.05))
    bar.fill.solid()
    bar.fill.fore_color.rgb = ACCENT
    bar.line.fill.background()
    bar.shadow.inherit = False


def _text(
    page: PptxSlide,
    box: Box,
    lines: Sequence[str],
    lang: str,
    *,
    size: int,
    colour: RGBColor = INK,
    bullets: bool = False,
    italic: bool = False,
    align: PP_ALIGN = PP_ALIGN.LEFT,
) -> None:
    shape = page.shapes.add_textbox(*box)
    frame = shape.text_frame
    frame.word_wrap = True
    frame.margin_left = frame.margin_right = Inches(0.05)
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.alignment = align
        if bullets:
            paragraph.space_after = Pt(size * 0.5)
            _bullet(paragraph._p, size)
        _style(paragraph.add_run(), line, lang, size=size, colour=colour, italic=italic)


def _bullet(p: etree._Element, size: int) -> None:
    """A round bullet hanging in the left margin (text boxes have none by default)."""
    indent = int(Pt(size * 1.1))
    properties = p.get_or_add_pPr()
    properties.set("marL", str(indent))
    properties.set("indent", str(-indent))
    for old in properties.findall(qn("a:buNone")):
        properties.remove(old)
    colour = etree.SubElement(properties, qn("a:buClr"))
    etree.SubElement(colour, qn("a:srgbClr"), val=str(ACCENT))
    etree.SubElement(properties, qn("a:buChar"), char="•")


def _style(
    run: _Run,
    text: str,
    lang: str,
    *,
    size: int,
    colour: RGBColor,
    bold: bool = False,
    italic: bool = False,
) -> None:
    run.text = text
    font = run.font
    font.size = Pt(size)
    font.bold = bold
    font.italic = italic
    font.color.rgb = colour
    font.name = LATIN_FONT
    properties = run._r.get_or_add_rPr()
    properties.set("lang", "zh-CN" if lang == "zh" else "en-US")
    properties.set("altLang", "en-US" if lang == "zh" else "zh-CN")
    east_asian = properties.find(qn("a:ea"))
    if east_asian is None:
        east_asian = etree.Element(qn("a:ea"))
        latin = properties.find(qn("a:latin"))
        assert latin is not None  # font.name put it there; a:ea must follow it
        latin.addnext(east_asian)
    east_asian.set("typeface", EAST_ASIAN_FONT)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG's header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG picture")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def _picture(page: PptxSlide, png: bytes, box: Box, *, alt_text: str) -> None:
    """The picture as large as fits the box, keeping its shape, centred across and at the top."""
    left, top, width, height = box
    pixels_wide, pixels_high = png_size(png)
    scale = min(width / pixels_wide, height / pixels_high)
    shown_width, shown_height = int(pixels_wide * scale), int(pixels_high * scale)
    picture = page.shapes.add_picture(
        io.BytesIO(png), Emu(left + (width - shown_width) // 2), top, Emu(shown_width), Emu(shown_height)
    )
    properties = picture._element.find(f"{qn('p:nvPicPr')}/{qn('p:cNvPr')}")
    assert properties is not None
    properties.set("descr", alt_text)
