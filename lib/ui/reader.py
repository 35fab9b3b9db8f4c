"""What this reader chose: the language, the towns and villages, presentation mode and its theme;
kept in session state and in the query parameters, so a link reproduces the view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from lib.core import config
from lib.core.i18n import LANGUAGE_NAMES, localized, set_language
from lib.queries import common
from lib.ui import cache

STATE_LANG = "lang"


STATE_TOWNS = "towns"


STATE_VILLAGES = "villages"


STATE_PRESENT = "present"  # presentation mode on (True) or off; the `present=1` query parameter


STATE_THEME = "present_theme"  # the presentation theme, one of THEMES; the `theme` query parameter


STATE_URL_PLACES = "url_places"  # the towns and villages last written to the link (see follow_link)


THEMES = ("light", "dark")


@dataclass(frozen=True)
class Filters:
    """What the shared sidebar selected: the language, the towns (empty = all) and, within them,
    the villages (empty = every village of those towns)."""

    lang: str
    town_codes: tuple[str, ...]
    village_codes: tuple[str, ...] = ()


def _init_state() -> None:
    params = st.query_params
    if STATE_LANG not in st.session_state:
        wanted = params.get("lang") or config.default_language()
        st.session_state[STATE_LANG] = wanted if wanted in LANGUAGE_NAMES else config.default_language()
    if STATE_TOWNS not in st.session_state:
        st.session_state[STATE_TOWNS] = list(dict.fromkeys(params.get_all("town")))
    if STATE_VILLAGES not in st.session_state:
        st.session_state[STATE_VILLAGES] = list(dict.fromkeys(params.get_all("village")))
    if STATE_PRESENT not in st.session_state:
        st.session_state[STATE_PRESENT] = params.get("present") == "1"
    if STATE_THEME not in st.session_state:
        theme = params.get("theme")
        st.session_state[STATE_THEME] = theme if theme in THEMES else THEMES[0]


def _link_places() -> tuple[tuple[str, ...], tuple[str, ...]]:
    params = st.query_params
    return tuple(dict.fromkeys(params.get_all("town"))), tuple(dict.fromkeys(params.get_all("village")))


def follow_link() -> None:
    """Take the towns and villages from the link when it changed under the page: the browser's Back
    and Forward buttons rerun the page with an earlier link (Streamlit pushes a history entry each
    time the query string changes), which must win over what this session last chose.

    Call once per run, before the sidebar draws its filters.
    """
    _init_state()
    linked = _link_places()
    written = st.session_state.get(STATE_URL_PLACES)
    if written is not None and linked != written:
        st.session_state[STATE_TOWNS], st.session_state[STATE_VILLAGES] = list(linked[0]), list(linked[1])
    st.session_state[STATE_URL_PLACES] = linked


def drill_to_town(code: str | None) -> None:
    """A callback: narrow every panel to the town `code` (None: back to the whole county).

    The link follows on the next run, so the browser's Back returns to the view before.
    """
    st.session_state[STATE_TOWNS] = [code] if code else []
    st.session_state[STATE_VILLAGES] = []


def choose_language() -> str:
    """Set this run's language from session state (first run: the `lang` query parameter)."""
    _init_state()
    return set_language(st.session_state[STATE_LANG])


def presenting() -> bool:
    """Whether presentation mode is on (no sidebar or chrome, large type; lib/ui/presentation.py)."""
    _init_state()
    return bool(st.session_state[STATE_PRESENT])


def presentation_theme() -> str:
    _init_state()
    return str(st.session_state[STATE_THEME])


def set_presenting(on: bool) -> None:
    """A button's callback: enter or leave presentation mode (the query parameters follow)."""
    choose_language()
    st.session_state[STATE_PRESENT] = on


def toggle_presentation_theme() -> None:
    choose_language()
    st.session_state[STATE_THEME] = "dark" if presentation_theme() == "light" else "light"


def _sync_list_param(name: str, values: Sequence[str]) -> None:
    params = st.query_params
    if list(params.get_all(name)) != list(values):
        if values:
            params[name] = list(values)
        elif name in params:
            del params[name]


def sync_query_params(filters: Filters) -> None:
    params = st.query_params
    if params.get("lang") != filters.lang:
        params["lang"] = filters.lang
    _sync_list_param("town", filters.town_codes)
    _sync_list_param("village", filters.village_codes)
    st.session_state[STATE_URL_PLACES] = _link_places()
    _sync_list_param("present", ["1"] if presenting() else [])
    _sync_list_param("theme", [presentation_theme()] if presenting() else [])


def state_from_param(state_key: str, param: str, options: Sequence[str], *, default: str) -> None:
    """Start a page widget from its query parameter (so a link reproduces the view), once per session."""
    if state_key not in st.session_state:
        wanted = st.query_params.get(param)
        st.session_state[state_key] = wanted if wanted in options else default


def code_param(name: str) -> str:
    """The query parameter `name` as a code, or "" when missing or longer than any code."""
    value = st.query_params.get(name) or ""
    return value if len(value) <= common.CODE_MAX else ""


def sync_params(**values: str) -> None:
    """Keep a page's own view settings in the query parameters."""
    for param, value in values.items():
        if st.query_params.get(param) != value:
            st.query_params[param] = value


def all_town_names() -> dict[str, str]:
    """Every town's name in the current language, by code (shared: read it, never change it).

    The sidebar needs them on every run: a city's 250 towns, a province's 2,100."""

    def names() -> dict[str, str]:
        towns = cache.query(common.towns)
        return {row.code: localized(row.name_zh, row.name_en) for row in towns.itertuples()}

    return cache.derived("all_town_names", names)


def town_names(codes: Sequence[str]) -> list[str]:
    names = all_town_names()
    return [names.get(code, code) for code in codes]
