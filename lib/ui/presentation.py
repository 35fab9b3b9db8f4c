"""Presentation mode for the meeting-room projector: no sidebar or Streamlit chrome, large type,
a high-contrast light or dark theme, and a bar to change theme or leave.

On when the URL has `present=1` (or after the sidebar's button); `theme=light|dark` picks the
theme. Both live in the query parameters with the filters and language (lib/ui `sidebar`), so a
link reproduces the view. The styles are plain CSS injected into the page: nothing is fetched,
no web fonts (the app runs offline).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

from lib.core.i18n import t
from lib.ui import reader

BODY_PX = 22  # body text; readable from the back of a room on a 1280×720 projector
TITLE_PX = 40
METRIC_PX = 40
TILE_LABEL_PX = 19  # a tile's name; its counts and target underneath in TILE_DETAIL_PX
TILE_DETAIL_PX = 16

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


BAR_PX = 46  # the fixed bar at the top: page links, theme, leave
BAR_TEXT_PX = 18

# Hidden on the projector: downloads (nobody downloads from the meeting room's screen), help icons
# (a tooltip is read by a mouse, not by a room), the tiles' little trend lines (too small to read
# from the back; the change since the last month end is written beside the figure) and the
# Overview's "compare with" picker (the tiles say what they compare with).
_PROJECTOR_HIDDEN = ", ".join(
    [
        '[data-testid="stElementContainer"]:has(> [data-testid="stDownloadButton"])',
        '[data-testid="stDownloadButton"]',
        '[data-testid="stTooltipIcon"]',
        '[data-testid="stMetricChart"]',
        '[data-testid="stLayoutWrapper"]:has(.st-key-overview_since)',
        ".st-key-overview_since",
    ]
)


def css(theme: str) -> str:
    """The presentation styles for `theme` ("light" or "dark")."""
    c = PALETTES.get(theme, PALETTES["light"])
    return f"""<style>
{_HIDDEN} {{ display: none !important; }}
{_PROJECTOR_HIDDEN} {{ display: none !important; }}
html {{ font-size: {BODY_PX}px; }}
.stApp, [data-testid="stMain"], [data-testid="stAppViewContainer"] {{
  background: {c["paper"]} !important; color: {c["ink"]} !important;
}}
[data-testid="stMainBlockContainer"], .block-container {{
  max-width: 100% !important; padding: {BAR_PX + 6}px 32px 24px 32px !important;
}}
[data-testid="stMain"] [data-testid="stVerticalBlock"] {{ gap: 6px; }}
.stApp p, .stApp li, .stApp label, .stApp td, .stApp th, [data-testid="stMarkdownContainer"] {{
  font-size: {BODY_PX}px; line-height: 1.35;
}}
.stApp, .stApp p, .stApp li, .stApp label, .stApp h1, .stApp h2, .stApp h3, .stApp h4 {{
  color: {c["ink"]};
}}
.stApp h1 {{ font-size: {TITLE_PX}px !important; font-weight: 700; padding: 0 !important; line-height: 1.15;}}
.stApp h2, .stApp h3 {{ padding: 2px 0 0 0 !important; line-height: 1.2; }}
.stApp h2 {{ font-size: {round(TITLE_PX * 0.7)}px !important; }}
.stApp h3 {{ font-size: {round(TITLE_PX * 0.6)}px !important; }}
.stApp h1 span, .stApp h2 span, .stApp h3 span {{ font-size: inherit !important; }}
.stApp [data-testid="stHeading"] [data-testid="stMarkdownContainer"] {{ margin-bottom: 0 !important; }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {{
  color: {c["muted"]} !important; font-size: {BODY_PX - 4}px !important; opacity: 1 !important;
}}
[data-testid="stVerticalBlock"]:has(> [data-testid="stElementContainer"] > [data-testid="stMetric"]) {{
  padding: 8px 12px !important; gap: 2px !important;
}}
[data-testid="stVerticalBlock"]:has(> [data-testid="stElementContainer"] > [data-testid="stMetric"])
  [data-testid="stCaptionContainer"] * {{ font-size: {TILE_DETAIL_PX}px !important; line-height: 1.3; }}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {{
  font-size: {METRIC_PX}px !important; color: {c["accent"]} !important; font-weight: 700; line-height: 1.15;
}}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {{
  font-size: {TILE_LABEL_PX}px !important; color: {c["ink"]} !important; line-height: 1.25;
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}}
[data-testid="stMetric"] div:has(> [data-testid="stMetricDelta"]) {{ flex-wrap: wrap; row-gap: 0; }}
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * {{ font-size: {TILE_DETAIL_PX}px !important; }}
.stApp [data-testid="stMetricDelta"] p {{ color: inherit !important; }}
[data-testid="stMetricDeltaDescription"], [data-testid="stMetricDeltaDescription"] * {{
  font-size: {TILE_DETAIL_PX}px !important; color: {c["muted"]} !important;
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}}
[data-testid="stVerticalBlockBorderWrapper"] {{ border-color: {c["muted"]} !important; }}
[data-testid="stVegaLiteChart"], [data-testid="stImage"] img, [data-testid="stDataFrame"] {{
  background: #ffffff; border-radius: 6px;
}}
[data-testid="stVegaLiteChart"] {{ padding: 2px; }}
.present-scope {{
  font-size: {BODY_PX + 2}px; font-weight: 600; color: {c["ink"]}; line-height: 1.3;
  border-left: 0.3rem solid {c["accent"]}; padding: 0 0 0 0.6rem;
}}
.st-key-present_bar {{
  position: fixed; top: 0; left: 0; right: 0; height: {BAR_PX}px; z-index: 1000; width: 100% !important;
  padding: 4px 20px; background: {c["paper"]}; border-bottom: 1px solid {c["card"]};
  justify-content: space-between; align-items: center; flex-wrap: nowrap;
}}
.st-key-present_bar > div, .st-key-present_pages, .st-key-present_actions {{
  width: auto !important; flex: 0 0 auto !important; flex-wrap: nowrap !important;
}}
.st-key-present_bar p, .st-key-present_bar span {{
  font-size: {BAR_TEXT_PX}px !important; white-space: nowrap;
}}
.st-key-present_bar [data-testid="stPageLink-NavLink"] {{ padding: 2px 8px; margin: 0; }}
.st-key-present_bar [data-testid="stPageLink-NavLink"] span {{ color: {c["ink"]} !important; }}
.st-key-present_bar [data-testid="stPageLink-NavLink"][aria-current="page"] {{ background: {c["card"]}; }}
.stApp .st-key-present_bar [data-testid="stBaseButton-tertiary"] {{
  background: transparent; border: none; padding: 2px 8px; min-height: 0;
}}
.stApp button p {{ font-size: {BODY_PX - 2}px; }}
.stApp [data-testid="stBaseButton-secondary"], .stApp [data-testid="stBaseButton-tertiary"],
.stApp [data-testid="stPopoverButton"] {{
  color: {c["ink"]}; border-color: {c["muted"]}; background: {c["card"]};
}}
.stApp [data-testid="stBaseButton-secondary"] p, .stApp [data-testid="stBaseButton-tertiary"] p,
.stApp [data-testid="stPopoverButton"] p, .stApp [data-testid="stBaseButton-secondary"] span,
.stApp [data-testid="stBaseButton-tertiary"] span, .stApp [data-testid="stPopoverButton"] span {{
  color: {c["ink"]};
}}
.stApp button[data-variant="segmented_control"] {{
  color: {c["ink"]}; background: {c["card"]}; border-color: {c["muted"]};
}}
.stApp button[data-variant="segmented_control"] p {{ color: {c["ink"]}; }}
.stApp button[data-variant="segmented_control"][aria-checked="true"] {{
  color: {c["paper"]}; background: {c["accent"]}; border-color: {c["accent"]};
}}
.stApp button[data-variant="segmented_control"][aria-checked="true"] p {{ color: {c["paper"]}; }}
.stApp [data-testid="stBaseButton-primary"] {{
  color: {c["paper"]}; background: {c["accent"]}; border-color: {c["accent"]};
}}
.stApp [data-testid="stBaseButton-primary"] p, .stApp [data-testid="stBaseButton-primary"] span {{
  color: {c["paper"]};
}}
</style>"""


@dataclass(frozen=True)
class Link:
    """A page in the presentation bar: its script (as st.page_link wants it), label and icon."""

    script: str
    label: str
    icon: str


def apply(links: Sequence[Link] = (), *, params: Mapping[str, str | list[str]] | None = None) -> None:
    """In presentation mode: inject the styles and show the bar (the `links` to other pages,
    theme, leave). Otherwise nothing.

    The shell calls this once per run, before the page, so every page gets it. The links carry
    `params` (language, filters) and presentation mode with its theme, so a page opened from the
    bar stays on the projector.
    """
    if not reader.presenting():
        return
    theme = reader.presentation_theme()
    st.html(css(theme))
    kept = {**(params or {}), "present": "1", "theme": theme}
    with st.container(horizontal=True, gap="small", vertical_alignment="center", key="present_bar"):
        with st.container(horizontal=True, gap=None, vertical_alignment="center", key="present_pages"):
            for link in links:
                st.page_link(link.script, label=link.label, icon=link.icon, query_params=kept)
        with st.container(horizontal=True, gap="small", vertical_alignment="center", key="present_actions"):
            st.button(
                t("present.theme"),
                key="present_theme_toggle",
                icon=":material/contrast:",
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
