"""The printable brief: the deck's slides as one self-contained HTML page, a slide per A4 landscape sheet.

Nothing outside the file is referenced — pictures are data: URIs, fonts are named from what the
machine has, there are no scripts — so it prints and opens the same on an offline county PC.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

from lib.files.briefing import Slide
from lib.present.maps import CJK_FONTS

HTML_MIME = "text/html"

CSS = f"""
@page {{ size: A4 landscape; margin: 12mm 14mm; }}
* {{ box-sizing: border-box; }}
html {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
body {{ margin: 0; font-family: {CJK_FONTS}; color: #1f2933; background: #e4e7eb; }}
.slide {{
  display: flex; flex-direction: column; width: 297mm; height: 210mm; margin: 8mm auto;
  padding: 12mm 14mm; background: #fff; box-shadow: 0 1px 4px rgba(0, 0, 0, .25); overflow: hidden;
}}
h1 {{ font-size: 22pt; margin: 0 0 1.5mm; }}
.cover h1 {{ font-size: 30pt; margin-top: 30mm; }}
.subtitle {{
  margin: 0; padding-bottom: 2.5mm; border-bottom: 1.2mm solid #2171b5; color: #52606d; font-size: 11pt;
}}
.body {{ display: flex; gap: 8mm; flex: 1; min-height: 0; padding-top: 5mm; }}
figure {{ flex: 0 0 62%; margin: 0; display: flex; flex-direction: column; min-height: 0; }}
figure img {{
  display: block; max-width: 100%; max-height: 128mm; object-fit: contain; object-position: left top;
}}
figcaption {{ margin-top: 2mm; color: #52606d; font-size: 9pt; font-style: italic; }}
ul {{ flex: 1; margin: 0; padding-left: 5mm; font-size: 12pt; line-height: 1.45; }}
li {{ margin-bottom: 2mm; }}
li::marker {{ color: #2171b5; }}
.cover ul {{ font-size: 14pt; }}
footer {{
  display: flex; justify-content: space-between; gap: 6mm; margin-top: auto; padding-top: 2mm;
  border-top: .3mm solid #cbd2d9; color: #52606d; font-size: 9pt;
}}
@media print {{
  body {{ background: none; }}
  .slide {{
    width: auto; height: 185mm; margin: 0; padding: 0; box-shadow: none;
    break-after: page; page-break-after: always;
  }}
  .slide:last-child {{ break-after: auto; page-break-after: auto; }}
}}
"""


def brief_html(slides: Sequence[Slide], *, lang: str) -> str:
    """The slides as a printable, self-contained HTML document (one <section> per slide)."""
    sections = [_section(slide, number, len(slides)) for number, slide in enumerate(slides, start=1)]
    cover = next((slide for slide in slides if slide.key == "title"), slides[0] if slides else None)
    title = html.escape(cover.title) if cover is not None else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{title}</title>\n'
        f"<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(sections) + "\n</body>\n</html>\n"
    )


def file_name(*, as_of: str, lang: str) -> str:
    return f"meeting_brief_{as_of}_{lang}.html"


def _section(slide: Slide, number: int, total: int) -> str:
    escape = html.escape
    items = "".join(f"<li>{escape(line)}</li>" for line in slide.bullets)
    figures = f"<ul>{items}</ul>" if items else ""
    png = slide.png
    if png is not None:
        picture = base64.b64encode(png).decode("ascii")
        caption = f"<figcaption>{escape(slide.note)}</figcaption>" if slide.note else ""
        image = f'<img src="data:image/png;base64,{picture}" alt="{escape(slide.title)}">'
        body = f"<figure>{image}{caption}</figure>{figures}"
    else:
        caption = f'<p class="note">{escape(slide.note)}</p>' if slide.note else ""
        body = figures + caption
    kind = "slide cover" if slide.key == "title" else "slide"
    return (
        f'<section class="{kind}" data-key="{escape(slide.key)}">'
        f"<h1>{escape(slide.title)}</h1>"
        f'<p class="subtitle">{escape(slide.subtitle)}</p>'
        f'<div class="body">{body}</div>'
        f"<footer><span>{escape(slide.source)}</span><span>{number} / {total}</span></footer>"
        "</section>"
    )
