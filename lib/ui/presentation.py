"""Presentation mode for the meeting-room projector: no sidebar or Streamlit chrome, large type,
a high-contrast light or dark theme, and a bar to change theme or leave.

On when the URL has `present=1` (or after the sidebar's button); `theme=light|dark` picks the
theme. Both live in the query parameters with the filters and language (lib/ui `sidebar`), so a
link reproduces the view. The styles are plain CSS injected into the page: nothing is fetched,
no web fonts (the app runs offline).
"""

from __future__ import annotations

import streamlit as st

from lib.core.i18n import t
from lib.ui import reader

BODY_PX = 22  # body text; readable from the back of a room on a 1280×720 projector
TITLE_PX = 46
METRIC_PX = 44

# Foreground, background, muted text, card background, accent; contrast ≥ 7:1 for text.
PALETTES: dict[str, dict[str, str]] = {
    "light": {
        "ink": "#000000",
        "paper": "#ffffff",
        "muted": "#1f2933",
        "card": "#f1f4f8",
        "accent": "#0b3d91",
    },
    "dark": {
        "ink": "#ffffff",
        "paper": "#0b0f14",
        "muted": "#e4e7eb",
        "card": "#1b2430",
        "accent": "#8ec5ff",
    },
}

_HIDDEN = ", ".join(
    [
        '[data-testid="stSidebar"]',
        '[data-testid="stSidebarCollapsedControl"]',
        '[data-testid="stExpandSidebarButton"]',
        '[data-testid="stHeader"]',
        '[data-testid="stToolbar"]',
        '[data-testid="stDecoration"]',
        '[data-testid="stMainMenu"]',
        '[data-testid="stStatusWidget"]',
        "footer",
    ]
)


def css(theme: str) -> str:
    """The presentation styles for `theme` ("light" or "dark")."""
    c = PALETTES.get(theme, PALETTES["light"])
    return f"""<style>
{_HIDDEN} {{ display: none !important; }}
html {{ font-size: {BODY_PX}px; }}
.stApp, [data-testid="stMain"], [data-testid="stAppViewContainer"] {{
  background: {c["paper"]} !important; color: {c["ink"]} !important;
}}
[data-testid="stMainBlockContainer"], .block-container {{
  max-width: 100% !important; padding: 3.4rem 2.2rem 2rem 2.2rem !important;
}}
.stApp p, .stApp li, .stApp label, .stApp td, .stApp th, [data-testid="stMarkdownContainer"] {{
  font-size: {BODY_PX}px; line-height: 1.4;
}}
.stApp, .stApp p, .stApp li, .stApp label, .stApp h1, .stApp h2, .stApp h3, .stApp h4 {{
  color: {c["ink"]};
}}
.stApp h1 {{ font-size: {TITLE_PX}px !important; font-weight: 700; padding: 0.2rem 0 0.1rem 0; }}
.stApp h2 {{ font-size: {round(TITLE_PX * 0.8)}px !important; }}
.stApp h3 {{ font-size: {round(TITLE_PX * 0.66)}px !important; }}
.stApp h1 span, .stApp h2 span, .stApp h3 span {{ font-size: inherit !important; }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {{
  color: {c["muted"]} !important; font-size: {BODY_PX - 2}px !important; opacity: 1 !important;
}}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {{
  font-size: {METRIC_PX}px !important; color: {c["accent"]} !important; font-weight: 700;
}}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {{
  font-size: {BODY_PX}px !important; color: {c["ink"]} !important;
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}}
[data-testid="stVerticalBlockBorderWrapper"] {{ border-color: {c["muted"]} !important; }}
[data-testid="stVegaLiteChart"], [data-testid="stImage"] img, [data-testid="stDataFrame"] {{
  background: #ffffff; border-radius: 6px;
}}
[data-testid="stVegaLiteChart"] {{ padding: 0.4rem; }}
.st-key-present_bar {{ position: fixed; top: 0.3rem; right: 1rem; z-index: 1000; width: auto !important; }}
.present-scope {{
  font-size: {round(BODY_PX * 1.35)}px; font-weight: 600; color: {c["ink"]};
  border-left: 0.4rem solid {c["accent"]}; padding: 0.1rem 0 0.1rem 0.8rem; margin-bottom: 0.6rem;
}}
.stApp button p {{ font-size: {BODY_PX - 2}px; }}
.stApp [data-testid="stBaseButton-secondary"], .stApp [data-testid="stBaseButton-tertiary"],
.stApp [data-testid="stPopoverButton"] {{
  color: {c["ink"]}; border-color: {c["muted"]}; background: {c["card"]};
}}
.stApp [data-testid="stBaseButton-secondary"] p, .stApp [data-testid="stBaseButton-tertiary"] p,
.stApp [data-testid="stPopoverButton"] p {{
  color: {c["ink"]};
}}
</style>"""


def apply() -> None:
    """In presentation mode: inject the styles and show the bar (theme, leave). Otherwise nothing.

    app.py calls this once per run, before the page, so every page gets it.
    """
    if not reader.presenting():
        return
    st.html(css(reader.presentation_theme()))
    with st.container(horizontal=True, horizontal_alignment="right", gap="small", key="present_bar"):
        st.button(
            t("present.theme"),
            key="present_theme_toggle",
            icon=":material/contrast:",
            help=t("present.theme_help"),
            on_click=reader.toggle_presentation_theme,
            type="tertiary",
        )
        st.button(
            t("present.leave"),
            key="present_leave",
            icon=":material/close:",
            on_click=reader.set_presenting,
            args=(False,),
            type="tertiary",
        )
