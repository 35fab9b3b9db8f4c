"""The shell every page opens with: page config, language, the menu and filters in the sidebar,
presentation mode and the sign-in gate.

Pages live in Streamlit's `pages/` folder (app.py is the Overview) and the default sidebar menu is
off (`client.showSidebarNavigation = false`): the shell draws the menu itself with `st.page_link`,
in the reader's language and with the bundled Material icons (colour emoji show as empty boxes on
machines without an emoji font). No page can be reached without it: each page's first statement is
`shell.open_page(...)` (tests/test_architecture.py holds that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from lib.core.i18n import LANGUAGE_NAMES, localized, set_language, t
from lib.queries import common
from lib.ui import cache, presentation, reader, signed_in


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
    Page("meetings", "pages/meetings.py", ":material/event_note:"),
    Page("updates", "pages/updates.py", ":material/edit_note:"),
    Page("data", "pages/data.py", ":material/swap_vert:"),
    Page("load", "pages/load.py", ":material/upload_file:"),
    Page("village", "pages/village.py", ":material/holiday_village:"),
    Page("admin", "pages/admin.py", ":material/manage_accounts:"),
)
BY_NAME = {page.name: page for page in PAGES}
# The pages a leader shows in a meeting: presentation mode's bar links them (the others are forms).
PRESENTED = ("", "map", "industry", "assessment", "training", "slideshow")

# The browser tab's icon, served by this server: an emoji or `:material/…:` page_icon makes the
# browser fetch a picture from a CDN.
TAB_ICON = str(Path(__file__).parent / "assets" / "icon.png")


def label(page: Page) -> str:
    return t(f"nav.{page.name or 'overview'}")


def open_page(name: str) -> reader.Filters:
    """Everything around a page, before its own content; returns the reader's filters.

    Stops the page (after the sidebar, whose sign-in box stays) when browsing needs an account and
    nobody is signed in.
    """
    page = BY_NAME[name]
    _keep_sidebar_state()
    reader.follow_link()
    reader.choose_language()
    st.set_page_config(
        page_title=f"{label(page)} · {t('app.title')}",
        page_icon=TAB_ICON,
        layout="wide",
        initial_sidebar_state="collapsed" if reader.presenting() else "auto",
    )
    filters = _sidebar()
    # Presentation mode (`present=1`): no sidebar or chrome, large type, a bar of the main pages.
    presentation.apply(
        [presentation.Link(page.script, label(page), page.icon) for page in PAGES if page.name in PRESENTED],
        params=_link_params(filters),
    )
    signed_in.browse_gate()
    return filters


def _keep_sidebar_state() -> None:
    # A widget's state belongs to the page that drew it: Streamlit drops it at the end of the first
    # run of another page, even when that page draws the same widget with the same key. Setting the
    # value through the Session State API first hands it on (the documented way to keep a widget's
    # value across pages), so the language and filters follow the reader from page to page.
    state = st.session_state
    for key in (reader.STATE_LANG, reader.STATE_TOWNS, reader.STATE_VILLAGES):
        if key in state:
            state[key] = state[key]


def _link_params(filters: reader.Filters) -> dict[str, str | list[str]]:
    """The language and filters as query parameters: a page opened by a link shows the same view."""
    params: dict[str, str | list[str]] = {
        "lang": filters.lang,
        "town": list(filters.town_codes),
        "village": list(filters.village_codes),
    }
    return {name: value for name, value in params.items() if value}


def _menu(filters: reader.Filters) -> None:
    # The links carry the language and filters, so a page opened in a new tab shows the same view.
    kept = _link_params(filters)
    for page in PAGES:
        st.page_link(page.script, label=label(page), icon=page.icon, query_params=kept)
    st.divider()


def _sidebar() -> reader.Filters:
    """The shared sidebar: the menu, language switch, demo badge, town filter; kept in the query params."""
    cache.refresh_data_version()
    with st.sidebar:
        menu_slot = st.container()  # drawn last, with the filters as checked below
        st.radio(
            t("sidebar.language"),
            options=list(LANGUAGE_NAMES),
            format_func=LANGUAGE_NAMES.__getitem__,
            key=reader.STATE_LANG,
            horizontal=True,
        )
        lang = set_language(st.session_state[reader.STATE_LANG])
        facts = cache.query(common.meta)
        if facts.get("dataset") == "demo":
            st.badge(t("app.demo_badge"), color="orange", help=t("app.demo_help"))
        _places_filter(
            reader.STATE_TOWNS, reader.all_town_names(), label="sidebar.towns", every="sidebar.all_towns"
        )
        _village_filter(st.session_state[reader.STATE_TOWNS])
        st.button(
            t("present.enter"),
            key="present_enter",
            icon=":material/co_present:",
            help=t("present.enter_help"),
            on_click=reader.set_presenting,
            args=(True,),
        )
    filters = reader.Filters(
        lang=lang,
        town_codes=tuple(st.session_state[reader.STATE_TOWNS]),
        village_codes=tuple(st.session_state[reader.STATE_VILLAGES]),
    )
    with menu_slot:
        _menu(filters)
    reader.sync_query_params(filters)
    signed_in.account_box()
    cache.show_save_failure()
    return filters


def _village_filter(town_codes: Sequence[str]) -> None:
    """The villages of the chosen towns (none chosen = all of them); hidden while no town is picked.

    Picking a town thus selects its villages; choosing some narrows the pages that list villages.
    """
    if not town_codes:
        st.session_state[reader.STATE_VILLAGES] = []
        return
    from lib.queries import village_detail

    frame = cache.query(village_detail.village_list, town_codes=list(town_codes))
    names = {
        row.code: f"{localized(row.name_zh, row.name_en)} · {localized(row.town_name_zh, row.town_name_en)}"
        for row in frame.itertuples()
    }
    _places_filter(reader.STATE_VILLAGES, names, label="sidebar.villages", every="sidebar.all_villages")


def _places_filter(state_key: str, names: dict[str, str], *, label: str, every: str) -> None:
    """A multiselect of towns or villages by code; codes the database no longer knows (an old link,
    a typo in the URL) are dropped first."""
    known = [code for code in st.session_state[state_key] if code in names]
    if known != st.session_state[state_key]:
        st.session_state[state_key] = known
    st.multiselect(
        t(label),
        options=list(names),
        format_func=lambda code: names.get(code, code),
        key=state_key,
        placeholder=t(every),
    )
