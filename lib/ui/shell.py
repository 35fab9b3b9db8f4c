"""The shell every page opens with: page config, language, the menu and filters in the sidebar,
presentation mode and the sign-in gate.

Pages live in Streamlit's `pages/` folder (app.py is the Overview) and the default sidebar menu is
off (`client.showSidebarNavigation = false`): the shell draws the menu itself with `st.page_link`,
in the reader's language and with the bundled Material icons (colour emoji show as empty boxes on
machines without an emoji font). No page can be reached without it: each page's first statement is
`shell.open_page(...)` (tests/test_architecture.py holds that).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from lib import ui
from lib.core.i18n import t
from lib.ui import presentation


@dataclass(frozen=True)
class Page:
    name: str  # the URL path ("" is the Overview at /)
    script: str  # relative to app.py, as st.page_link wants it
    icon: str


PAGES: tuple[Page, ...] = (
    Page("", "app.py", ":material/dashboard:"),
    Page("map", "pages/map.py", ":material/map:"),
    Page("industry", "pages/industry.py", ":material/agriculture:"),
    Page("assessment", "pages/assessment.py", ":material/task_alt:"),
    Page("training", "pages/training.py", ":material/school:"),
    Page("slideshow", "pages/slideshow.py", ":material/slideshow:"),
    Page("updates", "pages/updates.py", ":material/edit_note:"),
    Page("data", "pages/data.py", ":material/swap_vert:"),
    Page("village", "pages/village.py", ":material/holiday_village:"),
    Page("admin", "pages/admin.py", ":material/manage_accounts:"),
)
BY_NAME = {page.name: page for page in PAGES}


def label(page: Page) -> str:
    return t(f"nav.{page.name or 'overview'}")


def open_page(name: str) -> ui.Filters:
    """Everything around a page, before its own content; returns the reader's filters.

    Stops the page (after the sidebar, whose sign-in box stays) when browsing needs an account and
    nobody is signed in.
    """
    page = BY_NAME[name]
    _keep_sidebar_state()
    ui.choose_language()
    st.set_page_config(
        page_title=f"{label(page)} · {t('app.title')}",
        page_icon="🌾",
        layout="wide",
        initial_sidebar_state="collapsed" if ui.presenting() else "auto",
    )
    filters = ui.sidebar(menu=_menu)
    presentation.apply()  # presentation mode (`present=1`): no sidebar or chrome, large type
    ui.browse_gate()
    return filters


def _keep_sidebar_state() -> None:
    # A widget's state belongs to the page that drew it: Streamlit drops it at the end of the first
    # run of another page, even when that page draws the same widget with the same key. Setting the
    # value through the Session State API first hands it on (the documented way to keep a widget's
    # value across pages), so the language and filters follow the reader from page to page.
    state = st.session_state
    for key in (ui.STATE_LANG, ui.STATE_TOWNS, ui.STATE_VILLAGES):
        if key in state:
            state[key] = state[key]


def _menu(filters: ui.Filters) -> None:
    # The links carry the language and filters, so a page opened in a new tab shows the same view.
    params = {"lang": filters.lang, "town": list(filters.town_codes), "village": list(filters.village_codes)}
    kept = {name: value for name, value in params.items() if value}
    for page in PAGES:
        st.page_link(page.script, label=label(page), icon=page.icon, query_params=kept)
