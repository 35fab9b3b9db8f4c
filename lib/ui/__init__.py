"""The one lib module that imports streamlit: cached engine and queries, the shared shell and widgets.

Caches key on the database URL and its data version, so a write by one user (which bumps the
version) refreshes every user's views on their next run.
"""

from __future__ import annotations

import hashlib
import html
import importlib
import json
import logging
import re
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, NoReturn, TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.db import DatabaseError, begin_write, error_summary, explain_failure, make_engine
from lib.core.i18n import LANGUAGE_NAMES, format_count, get_language, localized, set_language, t
from lib.present.markup import escape_markdown, t_md
from lib.queries import accounts as account_queries
from lib.queries import common
from lib.rules.permissions import Actor
from lib.services.auth import PASSWORD_MAX, USERNAME_MAX, SignInThrottled, authenticate, load_actor

T = TypeVar("T")
_log = logging.getLogger(__name__)

STATE_LANG = "lang"
STATE_TOWNS = "towns"
STATE_VILLAGES = "villages"
STATE_PRESENT = "present"  # presentation mode on (True) or off; the `present=1` query parameter
STATE_THEME = "present_theme"  # the presentation theme, one of THEMES; the `theme` query parameter
THEMES = ("light", "dark")
VILLAGE_PAGE = "pages/village.py"

STATE_SAVE_FAILED = "save_failed"  # a save failed unforeseen: the next run shows the app's message
SAVE_LOG = logging.getLogger("dashboard.saves")

# Read once per script run by the shell, so a page's queries cost no extra round trip for it.
_run_version: ContextVar[str | None] = ContextVar("run_version", default=None)


@dataclass(frozen=True)
class Filters:
    """What the shared sidebar selected: the language, the towns (empty = all) and, within them,
    the villages (empty = every village of those towns)."""

    lang: str
    town_codes: tuple[str, ...]
    village_codes: tuple[str, ...] = ()


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
    """Show the database error (never its address: the server log gets that) and stop the page."""
    _log.warning("%s", error)
    if error.key == "error.db_query_failed":
        st.error(f"**{t('error.title_query')}**\n\n{t(error.key)}", icon="⚠️")
    else:
        st.error(
            f"**{t('error.title')}**\n\n{t_md(error.key, **error.params)}\n\n{t('error.hint')}", icon="⚠️"
        )
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


def save_failed(exc: BaseException) -> None:
    """A save failed for a reason the services do not foresee (the database refused, went away or
    broke a rule of its own): log it without the row's values (`lib.core.db.error_summary`, and the
    stack without the error's own message), and show the app's message at the top of the next run
    instead of Streamlit's crash box. Nothing was saved: the service's transaction rolled back."""
    SAVE_LOG.error(
        "A save failed: %s\n%s", error_summary(exc), "".join(traceback.format_tb(exc.__traceback__)).rstrip()
    )
    st.session_state[STATE_SAVE_FAILED] = True


def show_save_failure() -> None:
    """The message for a save that failed in the run before (once)."""
    if st.session_state.pop(STATE_SAVE_FAILED, False):
        st.error(f"**{t('error.save_failed_title')}**\n\n{t('error.save_failed')}", icon="⚠️")


def refresh_data_version() -> None:
    """Read the data version again for the rest of this run (a slideshow round in a fragment)."""
    _run_version.set(data_version())


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


# Few entries: a province's map model is tens of MB, and it is kept, not copied.
@st.cache_resource(show_spinner=False, max_entries=12)
def _memo(
    version: str, lang: str, name: str, key: tuple[tuple[str, Any], ...], _build: Callable[[], Any]
) -> Any:
    return _build()


def memo(name: str, build: Callable[[], T], /, **key: Any) -> T:
    """`build()`, kept for the data version, the language and `key` (which must name everything
    the result depends on besides those two): for what a page derives from its query results and
    costs more to remake than to keep, such as a province's map. The result is shared between
    sessions, not copied: read it, never change it."""
    frozen = tuple(sorted((item, _freeze(value)) for item, value in key.items()))
    version = _run_version.get() or data_version()
    return _memo(version, get_language(), name, frozen, build)  # type: ignore[no-any-return]


# Many entries: a page's tables, charts and labels, kilobytes each (a province's village labels a
# few MB). Every save starts a new data version, so entries of older ones go after an hour.
@st.cache_resource(show_spinner=False, max_entries=256, ttl=3600)
def _derived(
    version: str, lang: str, name: str, key: tuple[tuple[str, Any], ...], _build: Callable[[], Any]
) -> Any:
    return _build()


def derived(name: str, build: Callable[[], T], /, **key: Any) -> T:
    """`memo` for the small things a page works out from its query results on every run (a table
    in the reader's language, a chart, a picker's labels): the same for every leader until the
    data changes. Kept for the data version, the language and `key` (everything else it depends
    on); shared between sessions, not copied: read it, never change it."""
    frozen = tuple(sorted((item, _freeze(value)) for item, value in key.items()))
    version = _run_version.get() or data_version()
    return _derived(version, get_language(), name, frozen, build)  # type: ignore[no-any-return]


# --- the shell: language, filters, query params ------------------------------------------------


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


def _sync_query_params(filters: Filters) -> None:
    params = st.query_params
    if params.get("lang") != filters.lang:
        params["lang"] = filters.lang
    _sync_list_param("town", filters.town_codes)
    _sync_list_param("village", filters.village_codes)
    _sync_list_param("present", ["1"] if presenting() else [])
    _sync_list_param("theme", [presentation_theme()] if presenting() else [])


def sidebar(*, menu: Callable[[Filters], None]) -> Filters:
    """The shared sidebar: the menu, language switch, demo badge, town filter; kept in the query params."""
    _init_state()
    _run_version.set(data_version())
    with st.sidebar:
        menu_slot = st.container()  # drawn last, with the filters as checked below
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
        names = all_town_names()
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
        _village_filter(st.session_state[STATE_TOWNS])
        st.button(
            t("present.enter"),
            key="present_enter",
            icon="📽️",
            help=t("present.enter_help"),
            on_click=set_presenting,
            args=(True,),
        )
    filters = Filters(
        lang=lang,
        town_codes=tuple(st.session_state[STATE_TOWNS]),
        village_codes=tuple(st.session_state[STATE_VILLAGES]),
    )
    st.session_state["filters"] = filters
    with menu_slot:
        menu(filters)
    _sync_query_params(filters)
    account_box()
    show_save_failure()
    return filters


def _village_filter(town_codes: Sequence[str]) -> None:
    """The villages of the chosen towns (none chosen = all of them); hidden while no town is picked.

    Picking a town thus selects its villages; choosing some narrows the pages that list villages.
    """
    if not town_codes:
        st.session_state[STATE_VILLAGES] = []
        return
    from lib.queries import village_detail

    frame = query(village_detail.village_list, town_codes=list(town_codes))
    names = {
        row.code: f"{localized(row.name_zh, row.name_en)} · {localized(row.town_name_zh, row.town_name_en)}"
        for row in frame.itertuples()
    }
    known = [code for code in st.session_state[STATE_VILLAGES] if code in names]
    if known != st.session_state[STATE_VILLAGES]:
        st.session_state[STATE_VILLAGES] = known
    st.multiselect(
        t("sidebar.villages"),
        options=list(names),
        format_func=lambda code: names.get(code, code),
        key=STATE_VILLAGES,
        placeholder=t("sidebar.all_villages"),
    )


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


def current_filters() -> Filters:
    """The filters the shell chose this run (defaults when a page runs without the shell)."""
    filters = st.session_state.get("filters")
    if isinstance(filters, Filters):
        return filters
    return Filters(lang=get_language(), town_codes=(), village_codes=())


def all_town_names() -> dict[str, str]:
    """Every town's name in the current language, by code (shared: read it, never change it).

    The sidebar needs them on every run: a city's 250 towns, a province's 2,100."""

    def names() -> dict[str, str]:
        towns = query(common.towns)
        return {row.code: localized(row.name_zh, row.name_en) for row in towns.itertuples()}

    return derived("all_town_names", names)


def town_names(codes: Sequence[str]) -> list[str]:
    names = all_town_names()
    return [names.get(code, code) for code in codes]


# --- shared widgets ----------------------------------------------------------------------------


def scope_line(filters: Filters) -> str:
    """Which towns (and, when chosen, how many of their villages) a view covers, in words."""
    if filters.town_codes:
        shown = town_names(filters.town_codes)
        names = "、".join(shown) if get_language() == "zh" else ", ".join(shown)
        line = t("overview.scope_some", n=len(shown), names=names)
        if filters.village_codes:
            line = f"{line} · {t('present.villages', n=len(filters.village_codes))}"
        return line
    return t("overview.scope_all", n=len(query(common.towns)))


def as_of() -> str:
    """The data's "as of" date ('' when the database does not say)."""
    return query(common.meta).get("as_of", "")


def page_header(title: str, filters: Filters) -> None:
    """Title, the selection it covers, the demo badge and the data's "as of" date.

    In presentation mode the selection is a title line of its own, in large type.
    """
    st.title(title)
    facts = query(common.meta)
    parts = [scope_line(filters)]
    if facts.get("as_of"):
        parts.append(t("app.as_of", date=facts["as_of"]))
    line = " · ".join(parts)
    if presenting():
        st.html(f'<div class="present-scope" data-testid="present-scope">{html.escape(line)}</div>')
        return
    line = escape_markdown(line)  # town names are typed or imported
    if facts.get("dataset") == "demo":
        line = f":orange-badge[{t('app.demo_badge')}] {line}"
    st.caption(line)


NoticeKind = Literal["success", "info", "warning", "error"]


def notice(kind: NoticeKind, message: str, *, icon: str | None = None) -> None:
    """A success, info, warning or error box showing `message` exactly as it reads: for messages
    that carry what people typed (an archive number, a village's name, a field's error), which
    those boxes would otherwise read as Markdown."""
    show = {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}[kind]
    show(escape_markdown(message), icon=icon)


def pop_notice(state_key: str, kind: NoticeKind, *, icon: str | None = None) -> None:
    """Show (once) the message a form's callback left in session state under `state_key`."""
    message = st.session_state.pop(state_key, None)
    if message:
        notice(kind, str(message), icon=icon)


def lazy_tabs(labels: dict[str, str], *, key: str, default: str | None = None) -> list[Any]:
    """Tabs labelled by `labels` (name → label, in order) whose content should run only while
    open: a page tests a tab's `.open` before its queries, so a cold visit pays for one tab.
    The open tab is session state `key` (its label); `default` names the tab opened first."""
    names = list(labels)
    containers = st.tabs(
        [labels[name] for name in names],
        key=key,
        on_change="rerun",
        default=labels[default] if default else None,
    )
    return list(containers)


def kpi(label: str, value: str, detail: str | None = None, help_text: str | None = None) -> None:
    """A KPI tile: the figure large, with the counts behind it in a line underneath.

    All four are shown as text (a detail may name study tours or towns as they were typed)."""
    with st.container(border=True):
        st.metric(
            escape_markdown(label),
            escape_markdown(value),
            help=escape_markdown(help_text) if help_text else None,
        )
        if detail:
            st.caption(escape_markdown(detail))


EXPORT_WIDTH = 620  # pixels before the PNG's 2× scale: a picture that stays legible on a slide


def exportable_chart(chart: Any, *, title: str) -> Any:
    """`chart` for a downloaded picture: with its title, a fixed width and a font with Chinese glyphs.

    Legends are part of the chart's spec, so they come out as on the page.
    """
    from lib.present.maps import CJK_FONTS

    titled = chart.properties(title=title)
    try:
        sized = titled.properties(width=EXPORT_WIDTH)
        sized.to_dict()  # concatenated charts take no width: keep theirs
    except Exception:  # altair schema errors share no narrower base
        sized = titled
    return sized.configure(font=CJK_FONTS).configure_title(anchor="start", fontSize=16)


# Altair checks a chart's whole spec against the Vega-Lite JSON schema each time Streamlit turns
# it into a spec: on every run of every session, the same charts again. With 30 leaders at once
# (city, SQLite) that was a seventh of the server's GIL time; a spec is now checked the first
# time it is seen (it names its data by a hash of the data, so new data is checked again).
_VALID_SPECS: OrderedDict[str, None] = OrderedDict()
_VALID_SPECS_MAX = 4096
_valid_specs_lock = threading.Lock()


def validated_once(chart: Any) -> Any:
    """`chart`, whose conversion to a spec runs Altair's schema check only for a spec not seen
    before; an invalid chart still raises Altair's SchemaValidationError."""
    if "to_dict" in vars(chart):  # a chart kept by `derived` is drawn again
        return chart
    convert = chart.to_dict

    def to_dict(*args: Any, validate: bool = True, **kwargs: Any) -> Any:
        spec = convert(*args, validate=False, **kwargs)
        if not validate:
            return spec
        text = json.dumps(spec, sort_keys=True, default=repr).encode()
        digest = hashlib.blake2b(text, digest_size=16).hexdigest()
        with _valid_specs_lock:
            if digest in _VALID_SPECS:
                _VALID_SPECS.move_to_end(digest)
                return spec
        convert(*args, validate=True, **kwargs)
        with _valid_specs_lock:
            _VALID_SPECS[digest] = None
            while len(_VALID_SPECS) > _VALID_SPECS_MAX:
                _VALID_SPECS.popitem(last=False)
        return spec

    object.__setattr__(chart, "to_dict", to_dict)  # Altair's own __setattr__ sets chart properties
    return chart


def chart_with_downloads(chart: Any, *, title: str, key: str, theme: str | None = "streamlit") -> None:
    """An Altair chart on the page and, under it, two buttons downloading it as PNG and SVG.

    The pictures carry `title` (the page's subheader, which the chart itself omits) and the legend;
    they are rendered with vl-convert (offline) only when a button is clicked.
    """
    from lib.files import export

    st.altair_chart(validated_once(chart), width="stretch", theme="streamlit" if theme else None)
    stem = re.sub(r"[^\w-]+", "_", key).strip("_") or "chart"
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        t("chart.download_png"),
        data=in_current_language(lambda: export.chart_png(exportable_chart(chart, title=title))),
        file_name=f"{stem}.png",
        mime="image/png",
        key=f"{key}_png",
        on_click="ignore",
        icon="🖼️",
        type="tertiary",
    )
    row.download_button(
        t("chart.download_svg"),
        data=in_current_language(lambda: export.chart_svg(exportable_chart(chart, title=title))),
        file_name=f"{stem}.svg",
        mime="image/svg+xml",
        key=f"{key}_svg",
        on_click="ignore",
        icon="📐",
        type="tertiary",
    )


# --- map widgets -------------------------------------------------------------------------------


def geodata() -> tuple[dict[str, Any], dict[str, Any]]:
    """The town and county outlines: the shipped county's, or for a demo city or province the
    shipped county moved onto each demo county's place (lib.present.geo.region_outlines)."""
    return _outlines(max(1, query(common.county_count)))


@st.cache_resource(show_spinner=False)
def _outlines(counties: int) -> tuple[dict[str, Any], dict[str, Any]]:
    from lib.present import geo

    return geo.outlines(counties)


def map_legend(rows: Any, *, title: str, unit_key: str) -> None:
    """The legend drawn on the page: a swatch, the class and how many villages (or towns) it has."""
    items = "".join(
        f'<div style="display:flex;align-items:center;gap:.5rem;margin:.15rem 0">'
        f'<span style="width:14px;height:14px;border-radius:3px;background:{row.colour};'
        f'border:1px solid #8a949e;display:inline-block"></span>'
        f"<span>{html.escape(t(f'map.class.{row.key}'))}</span>"
        f'<span style="margin-left:auto;color:#52606d">{html.escape(t(unit_key, n=row.count))}</span></div>'
        for row in rows.itertuples()
    )
    st.markdown(f"**{escape_markdown(title)}**")
    st.html(f'<div data-testid="map-legend" style="font-size:.9rem">{items}</div>')


def selected_object(event: Any, layer: str, field: str) -> str | None:
    """`field` of the object picked on the pydeck chart's `layer`, if any."""
    try:
        objects = event.selection.get("objects", {}).get(layer) or []
    except AttributeError:
        return None
    return str(objects[0][field]) if objects and field in objects[0] else None


def village_select(label: str, labels: dict[str, str], *, key: str, placeholder: str) -> str | None:
    """A village picker over `labels` ({code: "village · town"}); None until one is chosen.

    Up to `village_view.LIST_ALL_MAX` villages it is one selectbox listing them all; past that a
    search box comes first and the selectbox lists its matches (at most SEARCH_MATCHES) and the
    current choice, so a province's 30,000 names are not sent with every rerun.
    """
    from lib.present import village_view

    if st.session_state.get(key) not in labels:
        st.session_state[key] = None
    if len(labels) <= village_view.LIST_ALL_MAX:
        codes = list(labels)
    else:
        query = st.text_input(
            t("picker.search", n=format_count(len(labels))),
            key=f"{key}_search",
            placeholder=t("picker.search_placeholder"),
            max_chars=common.SEARCH_MAX,
        )
        codes, matched = village_view.search_options(labels, query, keep=st.session_state.get(key))
        if matched > village_view.SEARCH_MATCHES:
            st.caption(t("picker.more", shown=village_view.SEARCH_MATCHES, n=format_count(matched)))
        elif query.strip() and not matched:
            st.caption(t_md("picker.none", query=query.strip()[: common.SEARCH_MAX]))
        placeholder = t("picker.choose_match") if matched else t("picker.search_first")
    chosen = st.selectbox(
        label, codes, index=None, format_func=labels.__getitem__, placeholder=placeholder, key=key
    )
    return str(chosen) if chosen else None


def village_card(frame: Any, /, **scope: Any) -> None:
    """The selected village's card: key figures, first secretary, product, link to its page.

    `frame` is `village_measures` for the villages on the map, `scope` the arguments it was
    queried with; the selection lives in `st.session_state["map_pick"]` (set by a click on the
    map or by the picker).
    """
    from lib.present.common import localized_column

    def picker_labels() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        names = dict(zip(frame["village_code"], localized_column(frame, "name"), strict=True))
        towns = dict(zip(frame["village_code"], localized_column(frame, "town_name"), strict=True))
        return names, towns, {code: f"{name} · {towns[code]}" for code, name in names.items()}

    # A city's 3,600 names, the same on every run until the data or the selection changes.
    names, towns, labels = derived("village_card.labels", picker_labels, **scope)
    with st.container(border=True):
        st.subheader(t("map.card.title"))
        code = village_select(t("map.card.pick"), labels, key="map_pick", placeholder="—")
        if not code:
            st.caption(t("map.card.hint"))
            return
        row = frame[frame["village_code"] == code].iloc[0]
        _village_card_body(row, names[code], towns[code])


def _village_card_body(row: Any, name: str, town: str) -> None:
    from lib.core.i18n import format_count, format_share

    if row["exit_status"] == "exited":
        status = t("map.card.exit_year", year=int(row["actual_exit_year"]))
    elif row["exit_status"] == "due":
        year = row["planned_exit_year"]
        status = (
            t("map.card.due_year", year=int(year))
            if year == year and year is not None
            else t("map.class.due")
        )
    else:
        status = t("map.class.not_poor")
    st.markdown(f"### {escape_markdown(name)}")
    st.caption(t_md("map.card.status", town=town, status=status))
    first, second = st.columns(2)
    first.metric(t("kpi.households"), format_count(int(row["households"])))
    second.metric(t("map.card.incidence"), format_share(_number(row["poverty_incidence"])))
    first.metric(t("kpi.plans"), format_share(_number(row["plan_share"])))
    second.metric(t("kpi.verified"), format_share(_number(row["verified_share"])))
    st.progress(
        _number(row["verified_share"]) or 0.0,
        text=t("kpi.verified_help", verified=int(row["households_verified"]), total=int(row["households"])),
    )
    secretary = row["secretary"] if isinstance(row["secretary"], str) else None
    if secretary:
        trained = (
            t("map.card.trained") if row["secretary_trained"] == "trained" else t("map.card.not_trained")
        )
        st.markdown(f"**{t('map.card.secretary')}**: {escape_markdown(secretary)} · {trained}")
    else:
        st.markdown(f"**{t('map.card.secretary')}**: {t('map.card.secretary_none')}")
    _team_and_industries(str(row["village_code"]))
    product = localized(row["signature_product_zh"], row["signature_product_en"])
    st.markdown(
        f"**{t('map.card.product')}**: {escape_markdown(product) if product else t('map.card.product_none')}"
    )
    st.page_link(
        VILLAGE_PAGE,
        label=t("map.card.open"),
        icon="🏘️",
        query_params={"code": row["village_code"], "lang": get_language()},
    )


def _team_and_industries(code: str) -> None:
    """The serving work team and the village's leading industries, one line each."""
    from lib.queries import village_detail

    team = query(village_detail.work_team, code=code)
    members = [
        f"{escape_markdown(name)} ({t(f'village.role.{role}')})"
        for name, role, serving in zip(team["name"], team["role"], team["serving"], strict=True)
        if serving and role != "first_secretary"
    ]
    st.markdown(f"**{t('map.card.team')}**: {'、'.join(members) if members else t('common.none')}")
    top = query(village_detail.top_industries, code=code, limit=3)
    industries = [
        t_md("map.card.industry", name=localized(zh, en), n=int(n))
        for zh, en, n in zip(top["industry_zh"], top["industry_en"], top["households"], strict=True)
    ]
    st.markdown(
        f"**{t('map.card.top_industries')}**: {' · '.join(industries) if industries else t('common.none')}"
    )


def _number(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


# --- accounts: who is signed in, the sign-in form -------------------------------------------------
# Browsing without an account is a setting (app_meta `browse_without_sign_in`; `browse_gate` applies
# it for every page); writes check `current_actor()` through lib.services.auth in lib/services.

STATE_ACCOUNT = "account"  # {"user_id": …, "username": …} of the signed-in user; never a password
STATE_ACCOUNT_NOTICE = "account_notice"
SIGN_IN_FORM = "sign_in"
STATE_SIGN_IN_USERNAME = "sign_in_username"
STATE_SIGN_IN_PASSWORD = "sign_in_password"
STATE_SIGN_IN_ERROR = "sign_in_error"


def current_actor() -> Actor | None:
    """The signed-in user as the database has them now (None when signed out).

    Read again on every call, so a deactivated or removed account loses access on its next run.
    """
    account = st.session_state.get(STATE_ACCOUNT)
    if not isinstance(account, dict):
        return None
    url = config.database_url()
    try:
        with Session(_engine(url)) as session:
            actor = load_actor(session, account.get("user_id"))
    except DatabaseError as error:
        _fail(error)
    except SQLAlchemyError as exc:
        _fail(explain_failure(exc, url))
    if actor is None or actor.username != account.get("username"):
        sign_out()
        st.session_state[STATE_ACCOUNT_NOTICE] = "accounts.session_ended"
        return None
    return actor


def client_address() -> str | None:
    """The client's address as the server sees it: None on the server's own machine (and under
    AppTest). Behind a reverse proxy on that machine it is the proxy's X-Forwarded-For, which
    uvicorn trusts from 127.0.0.1 (FORWARDED_ALLOW_IPS names other proxies); without that header
    every client looks local, and only the per-name limit applies."""
    return st.context.ip_address


def sign_in(username: str, password: str) -> tuple[str, dict[str, Any]] | None:
    """Check the credentials and remember the user; when refused, the error's label key and params.

    Too many recent failures for the name refuse it for a while (`lib.services.auth.authenticate`).
    """
    if not username.strip() or not password:
        return "accounts.sign_in_missing", {}
    url = config.database_url()
    try:
        with Session(_engine(url)) as session:
            begin_write(session)  # it reads the recent failures, then records this attempt
            actor = authenticate(session, username, password, address=client_address())
            session.commit()  # keeps the attempt (and a rehashed password, if argon2's parameters rose)
    except SignInThrottled as refused:
        return refused.key, refused.params
    except DatabaseError as error:
        _fail(error)
    except SQLAlchemyError as exc:
        _fail(explain_failure(exc, url))
    if actor is None:
        return "accounts.sign_in_failed", {}
    st.session_state[STATE_ACCOUNT] = {"user_id": actor.user_id, "username": actor.username}
    return None


def sign_out() -> None:
    st.session_state.pop(STATE_ACCOUNT, None)


def role_label(role: str) -> str:
    return t(f"accounts.role.{role}")


def account_box() -> None:
    """The sidebar's account block: who is signed in and a sign-out button, or the sign-in form."""
    actor = current_actor()
    with st.sidebar:
        st.divider()
        notice = st.session_state.pop(STATE_ACCOUNT_NOTICE, None)
        if notice:
            st.warning(t(notice), icon="🔒")
        if actor is not None:
            line = t("accounts.signed_in_as", name=actor.display_name, role=role_label(actor.role.value))
            st.markdown(escape_markdown(line))
            st.button(t("accounts.sign_out"), key="sign_out", on_click=sign_out, icon="🚪")
            return
        with st.form(SIGN_IN_FORM, enter_to_submit=True):
            st.markdown(f"**{t('accounts.sign_in_title')}**")
            st.text_input(
                t("accounts.username"),
                key=STATE_SIGN_IN_USERNAME,
                autocomplete="username",
                max_chars=USERNAME_MAX,
            )
            st.text_input(
                t("accounts.password"),
                type="password",
                key=STATE_SIGN_IN_PASSWORD,
                autocomplete="current-password",
                max_chars=PASSWORD_MAX,
            )
            st.form_submit_button(t("accounts.sign_in"), on_click=_submit_sign_in)
        error = st.session_state.pop(STATE_SIGN_IN_ERROR, None)
        if error:
            key, params = error
            st.error(t(key, **params), icon="⚠️")
        browsing = account_queries.browse_enabled(query(common.meta))
        st.caption(t("accounts.sign_in_hint" if browsing else "accounts.sign_in_hint_required"))


def _submit_sign_in() -> None:
    """The form's callback: try the credentials, then forget the password whatever the outcome."""
    username = str(st.session_state.get(STATE_SIGN_IN_USERNAME) or "")
    password = str(st.session_state.get(STATE_SIGN_IN_PASSWORD) or "")
    st.session_state[STATE_SIGN_IN_PASSWORD] = ""
    error = sign_in(username, password)
    if error is not None:
        st.session_state[STATE_SIGN_IN_ERROR] = error
    else:
        st.session_state[STATE_SIGN_IN_USERNAME] = ""


def browse_gate() -> None:
    """Stop the page with a sign-in prompt when browsing needs an account and nobody is signed in.

    app.py calls this after the sidebar (whose sign-in box stays) and before the page runs, so
    every page is covered in one place. Browsing is allowed when app_meta's
    `browse_without_sign_in` is "1" (the demo); missing means no. A database without towns has
    nothing to hide, so its pages still show their "no data yet" help.
    """
    if account_queries.browse_enabled(query(common.meta)) or query(common.towns).empty:
        return
    if current_actor() is not None:
        return
    st.title(t("app.title"))
    st.info(t("accounts.browse_sign_in"), icon="🔒")
    if not fresh(account_queries.has_accounts):
        st.caption(t("accounts.no_accounts_yet"))
    st.stop()


def fresh(function: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a `lib.queries` function `(session, **kwargs)` now, uncached (for account data, whose
    writes do not move the data version); a database failure shows the usual error and stops."""
    url = config.database_url()
    try:
        with Session(_engine(url)) as session:
            return function(session, **kwargs)
    except DatabaseError as error:
        _fail(error)
    except SQLAlchemyError as exc:
        _fail(explain_failure(exc, url))


def streamed(function: Callable[..., Iterator[T]], /, **kwargs: Any) -> Iterator[T]:
    """Run a `lib.queries` generator `(session, **kwargs)` now, uncached, yielding what it yields
    (a download's chunks) while its session stays open; a database failure shows the usual error."""
    url = config.database_url()
    try:
        with Session(_engine(url)) as session:
            yield from function(session, **kwargs)
    except DatabaseError as error:
        _fail(error)
    except SQLAlchemyError as exc:
        _fail(explain_failure(exc, url))


# --- training: confirming the next phase's enrolments ----------------------------------------------

STATE_TRAINING_FLASH = "training_flash"


def confirm_enrolments(proposal: Any, *, as_of: Any) -> None:
    """Let a signed-in user who may enrol these secretaries confirm the proposal (their part of it).

    The service checks the permission again and validates capacity; on success every view
    refreshes (the data version moved) and the outcome is shown after the rerun.
    """
    from lib.core.errors import PermissionDenied, ValidationError
    from lib.rules.permissions import TRAINING_ENROL, can
    from lib.services import training as training_service

    pop_notice(STATE_TRAINING_FLASH, "success", icon="✅")
    actor = current_actor()
    if actor is None:
        st.info(t("training.sign_in_to_confirm"), icon="🔒")
        return
    mine = proposal[[can(actor, TRAINING_ENROL, town_code=code) for code in proposal["town_code"]]]
    if mine.empty:
        st.warning(t("training.not_allowed"), icon="🔒")
        return
    if len(mine) < len(proposal):
        st.caption(t("training.confirm_partial", n=len(mine), total=len(proposal)))
    with st.form("confirm_enrolments"):
        reason = st.text_input(t("training.confirm_reason"), max_chars=200)
        submitted = st.form_submit_button(f"{t('training.confirm')} ({len(mine)})", type="primary")
    if not submitted:
        return
    allocations = list(zip(mine["cadre_id"], mine["session_id"], strict=True))
    try:
        with Session(engine()) as session:
            count = training_service.enrol(
                session, actor=actor, allocations=allocations, as_of=as_of, reason=reason.strip() or None
            )
    except ValidationError as error:
        notice("error", "\n\n".join(error.messages(t).values()), icon="⚠️")
    except PermissionDenied:
        st.error(t("training.not_allowed"), icon="🔒")
    except Exception as exc:
        save_failed(exc)
        st.rerun()
    else:
        st.session_state[STATE_TRAINING_FLASH] = t("training.confirmed", n=count)
        st.rerun()


def in_current_language(build: Callable[[], T]) -> Callable[[], T]:
    """`build` run later in this user's language.

    A download button whose data is a callable runs it when clicked, in another thread where the
    language is the default; labels built inside it would come out in Chinese for English users.
    """
    language = get_language()

    def run() -> T:
        previous = get_language()
        set_language(language)
        try:
            return build()
        finally:
            set_language(previous)

    return run


# --- long lists paged in SQL -------------------------------------------------------------------

PAGE_SIZE = 200  # rows of a long list shown at once
EXPORT_LIMIT = 100_000  # rows of a long list an Excel download holds at most


def _turn_page(key: str, step: int, pages: int) -> None:
    st.session_state[key] = min(max(int(st.session_state.get(key, 0)) + step, 0), pages - 1)


def pager(total: int, *, key: str, page_size: int | None = None) -> int:
    """Show "Rows 1–200 of 59,812" with previous / next buttons for a list of `total` rows paged in SQL;
    returns the offset of the page to show. The page number (from 0) is kept in session state
    under `key`, clamped when the list gets shorter. `page_size` defaults to PAGE_SIZE."""
    page_size = page_size or PAGE_SIZE
    pages = max(1, -(-total // page_size))
    page = min(max(int(st.session_state.get(key, 0)), 0), pages - 1)
    st.session_state[key] = page
    offset = page * page_size
    line = t(
        "pager.rows",
        first=format_count(offset + 1 if total else 0),
        last=format_count(min(offset + page_size, total)),
        total=format_count(total),
    )
    if pages == 1:
        st.caption(line)
        return offset
    text, previous, following = st.columns([4, 1, 1], vertical_alignment="center")
    text.caption(f"{line} · {t('pager.page', page=page + 1, pages=format_count(pages))}")
    previous.button(
        t("pager.previous"),
        key=f"{key}_previous",
        disabled=page == 0,
        on_click=_turn_page,
        args=(key, -1, pages),
        width="stretch",
    )
    following.button(
        t("pager.next"),
        key=f"{key}_next",
        disabled=page == pages - 1,
        on_click=_turn_page,
        args=(key, 1, pages),
        width="stretch",
    )
    return offset


def paged_table(
    total: int, rows: Callable[[int, int], Any], *, key: str, height: int = 360, page_size: int | None = None
) -> None:
    """One page of a long list: the pager, then `rows(limit, offset)` (a labelled frame) as a table."""
    page_size = page_size or PAGE_SIZE
    offset = pager(total, key=key, page_size=page_size)
    st.dataframe(rows(page_size, offset), hide_index=True, width="stretch", height=height)


def export_note(total: int) -> None:
    """A note under a long list's download when the workbook holds only its first EXPORT_LIMIT rows."""
    if total > EXPORT_LIMIT:
        st.caption(t("pager.export_capped", limit=format_count(EXPORT_LIMIT), total=format_count(total)))
