"""The one lib module that imports streamlit: cached engine and queries, the shared shell and widgets.

Caches key on the database URL and its data version, so a write by one user (which bumps the
version) refreshes every user's views on their next run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lib import config
from lib.db import DatabaseError, explain_failure, make_engine
from lib.i18n import LANGUAGE_NAMES, get_language, localized, set_language, t
from lib.queries import common

T = TypeVar("T")

STATE_LANG = "lang"
STATE_TOWNS = "towns"

# Read once per script run by the shell, so a page's queries cost no extra round trip for it.
_run_version: ContextVar[str | None] = ContextVar("run_version", default=None)
# Set when app.py's shell ran in this script thread. Streamlit's v1 multipage path can run a page
# file alone for the first session after start-up (DESIGN.md, "Known traps"); pages then rerun once
# so the request goes through app.py and its shell.
_shell_ran: ContextVar[bool] = ContextVar("shell_ran", default=False)
SHELL_RETRY = "_shell_retry"


@dataclass(frozen=True)
class Filters:
    """What the shared sidebar selected: the language and the towns (empty = all)."""

    lang: str
    town_codes: tuple[str, ...]


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    return _engine(config.database_url())


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_call(url: str, version: str, target: str, frozen: tuple[tuple[str, Any], ...]) -> Any:
    module_name, _, name = target.partition(":")
    function = getattr(importlib.import_module(module_name), name)
    with Session(_engine(url)) as session:
        return function(session, **dict(frozen))


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_freeze(item) for item in value)
    return value


def _fail(error: DatabaseError) -> NoReturn:
    st.error(f"**{t('error.title')}**\n\n{t(error.key, **error.params)}\n\n{t('error.hint')}", icon="⚠️")
    st.stop()
    raise AssertionError("unreachable")  # st.stop raises; this keeps type checkers content


def data_version() -> str:
    """The current data version; shows a clear error and stops the page if the database fails."""
    url = config.database_url()
    try:
        with Session(_engine(url)) as session:
            return common.data_version(session)
    except DatabaseError as error:
        _fail(error)
    except SQLAlchemyError as exc:
        _fail(explain_failure(exc, url))


def query(function: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a `lib.queries` function `(session, **kwargs)`, cached on the data version."""
    url = config.database_url()
    target = f"{function.__module__}:{function.__name__}"
    frozen = tuple(sorted((key, _freeze(value)) for key, value in kwargs.items()))
    try:
        version = _run_version.get() or data_version()
        return _cached_call(url, version, target, frozen)  # type: ignore[no-any-return]
    except DatabaseError as error:
        _fail(error)
    except SQLAlchemyError as exc:
        _fail(explain_failure(exc, url))


# --- the shell: language, filters, query params ------------------------------------------------


def _init_state() -> None:
    params = st.query_params
    if STATE_LANG not in st.session_state:
        wanted = params.get("lang") or config.default_language()
        st.session_state[STATE_LANG] = wanted if wanted in LANGUAGE_NAMES else config.default_language()
    if STATE_TOWNS not in st.session_state:
        st.session_state[STATE_TOWNS] = list(dict.fromkeys(params.get_all("town")))


def choose_language() -> str:
    """Set this run's language from session state (first run: the `lang` query parameter)."""
    _init_state()
    return set_language(st.session_state[STATE_LANG])


def _sync_query_params(filters: Filters) -> None:
    params = st.query_params
    if params.get("lang") != filters.lang:
        params["lang"] = filters.lang
    if list(params.get_all("town")) != list(filters.town_codes):
        if filters.town_codes:
            params["town"] = list(filters.town_codes)
        elif "town" in params:
            del params["town"]


def sidebar() -> Filters:
    """The shared sidebar: language switch, demo badge, town filter; kept in the query params."""
    _init_state()
    _shell_ran.set(True)
    _run_version.set(data_version())
    with st.sidebar:
        st.radio(
            t("sidebar.language"),
            options=list(LANGUAGE_NAMES),
            format_func=LANGUAGE_NAMES.__getitem__,
            key=STATE_LANG,
            horizontal=True,
        )
        lang = set_language(st.session_state[STATE_LANG])
        facts = query(common.meta)
        if facts.get("dataset") == "demo":
            st.badge(t("app.demo_badge"), color="orange", help=t("app.demo_help"))
        towns = query(common.towns)
        names = {row.code: localized(row.name_zh, row.name_en) for row in towns.itertuples()}
        known = [code for code in st.session_state[STATE_TOWNS] if code in names]
        if known != st.session_state[STATE_TOWNS]:
            st.session_state[STATE_TOWNS] = known
        st.multiselect(
            t("sidebar.towns"),
            options=list(names),
            format_func=lambda code: names.get(code, code),
            key=STATE_TOWNS,
            placeholder=t("sidebar.all_towns"),
        )
    filters = Filters(lang=lang, town_codes=tuple(st.session_state[STATE_TOWNS]))
    st.session_state["filters"] = filters
    _sync_query_params(filters)
    return filters


def current_filters() -> Filters:
    """The filters the shell chose this run; a page run without the shell reruns through app.py."""
    if not _shell_ran.get() and not st.session_state.get(SHELL_RETRY):
        st.session_state[SHELL_RETRY] = True
        st.switch_page(
            str(config.ROOT / "app.py"),
            query_params={key: st.query_params.get_all(key) for key in st.query_params},
        )
    filters = st.session_state.get("filters")
    if isinstance(filters, Filters):
        return filters
    return Filters(lang=get_language(), town_codes=())


def town_names(codes: Sequence[str]) -> list[str]:
    towns = query(common.towns)
    names = {row.code: localized(row.name_zh, row.name_en) for row in towns.itertuples()}
    return [names.get(code, code) for code in codes]


# --- shared widgets ----------------------------------------------------------------------------


def page_header(title: str, filters: Filters) -> None:
    """Title, the selection it covers, the demo badge and the data's "as of" date."""
    st.title(title)
    facts = query(common.meta)
    parts: list[str] = []
    if filters.town_codes:
        shown = town_names(filters.town_codes)
        names = "、".join(shown) if get_language() == "zh" else ", ".join(shown)
        parts.append(t("overview.scope_some", n=len(shown), names=names))
    else:
        parts.append(t("overview.scope_all", n=len(query(common.towns))))
    if facts.get("as_of"):
        parts.append(t("app.as_of", date=facts["as_of"]))
    line = " · ".join(parts)
    if facts.get("dataset") == "demo":
        line = f":orange-badge[{t('app.demo_badge')}] {line}"
    st.caption(line)


def kpi(label: str, value: str, detail: str | None = None, help_text: str | None = None) -> None:
    """A KPI tile: the figure large, with the counts behind it in a line underneath."""
    with st.container(border=True):
        st.metric(label, value, help=help_text)
        if detail:
            st.caption(detail)
