"""Shared widgets: the page header and scope line, notices that show text as typed, lazy tabs, KPI
tiles and charts with their downloads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import numbers
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import pandas as pd
import streamlit as st

from lib.core.i18n import format_count, format_date, format_share, get_language, t
from lib.present import charts, status
from lib.present.common import Tile
from lib.present.markup import escape_markdown
from lib.queries import common
from lib.ui import cache, reader


def scope_line(filters: reader.Filters) -> str:
    """Which towns (and, when chosen, how many of their villages) a view covers, in words."""
    if filters.town_codes:
        shown = reader.town_names(filters.town_codes)
        names = "、".join(shown) if get_language() == "zh" else ", ".join(shown)
        line = t("overview.scope_some", n=len(shown), names=names)
        if filters.village_codes:
            line = f"{line} · {t('present.villages', n=len(filters.village_codes))}"
        return line
    return t("overview.scope_all", n=len(cache.query(common.towns)))


def as_of() -> str:
    """The data's "as of" date ('' when the database does not say)."""
    return cache.query(common.meta).get("as_of", "")


def page_header(title: str, filters: reader.Filters) -> None:
    """Title, the selection it covers, the demo badge and the data's "as of" date.

    In presentation mode the selection is a title line of its own, in large type.
    """
    st.title(escape_markdown(title))  # one town's overview names a town as it was typed or loaded
    facts = cache.query(common.meta)
    # An install with no towns yet says nothing about its scope ("all 0 towns" would be noise).
    parts = [scope_line(filters)] if filters.town_codes or not cache.query(common.towns).empty else []
    if facts.get("as_of"):
        parts.append(t("app.as_of", date=facts["as_of"]))
    line = " · ".join(parts)
    if not line:
        return
    if reader.presenting():
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


def kpi(
    label: str,
    value: str,
    detail: str | None = None,
    help_text: str | None = None,
    *,
    judged: str | None = None,
    target: str | None = None,
    change: str | None = None,
    change_since: str | None = None,
    trend: Sequence[float] = (),
) -> None:
    """A KPI tile: the figure large, the counts behind it in a line underneath and, for a measure
    with a target, its red / amber / green as a coloured word (`judged`) and the target in words;
    with its change since an earlier date (`change`, starting with its sign) and a line of its
    earlier values (`trend`) when there are any.

    All are shown as text (a detail may name study tours or towns as they were typed)."""
    with st.container(border=True):
        st.metric(
            escape_markdown(label),
            escape_markdown(value),
            delta=escape_markdown(change) if change else None,
            delta_description=escape_markdown(change_since) if change and change_since else None,
            help=escape_markdown(help_text) if help_text else None,
            chart_data=list(trend) if trend else None,
        )
        line = escape_markdown(" · ".join(part for part in (detail, target) if part))
        if judged is not None:
            # On the counts' line, not a line of its own: a row of tiles a line shorter, which a
            # 720 px projector needs for the chart underneath.
            badge = f":{status.BADGES[judged]}-badge[{escape_markdown(status.word(judged))}]"
            line = f"{badge} {line}".strip()
        if line:
            st.caption(line)


def compare_picker(dates: Sequence[dt.date], *, default: dt.date | None, key: str) -> dt.date | None:
    """Which kept date the tiles compare with (kept in the link as `since`); None for none."""
    # Labels made now, in the reader's language (a format_func reading the language later may
    # run where another language is current).
    labels = {"": t("change.none"), **{day.isoformat(): format_date(day) for day in dates}}
    options = list(labels)
    reader.state_from_param(key, "since", options, default=default.isoformat() if default else "")
    if reader.presenting():  # no picker on the projector: the link's date, or the default
        kept = st.session_state[key]
        return dt.date.fromisoformat(kept) if kept else None
    chosen = st.selectbox(
        t("change.compare"), options, format_func=labels.__getitem__, key=key, help=t("change.compare_help")
    )
    reader.sync_params(since=chosen or "")
    return dt.date.fromisoformat(chosen) if chosen else None


def wide_table(frame: Any) -> None:
    """A table of many columns: a data grid, or on the projector a plain table whose text wraps (a
    grid scrolled sideways there: the training classes in English, 1,242 px in 1,214)."""
    if reader.presenting():
        projector_table(frame, {})
    else:
        st.dataframe(frame, hide_index=True, width="stretch")


def table_with_share(frame: Any, labels: Mapping[str, str], *, share: str) -> None:
    """A small table whose `share` column (percent, 0–100) is drawn as a bar; on the projector a
    plain table whose text wraps (a data grid scrolled sideways there)."""
    if reader.presenting():
        projector_table(frame, labels, shares=[share])
        return
    bar = st.column_config.ProgressColumn(labels[share], format="%.1f%%", min_value=0, max_value=100)
    st.dataframe(frame, hide_index=True, width="stretch", column_config={**labels, share: bar})


def projector_table(frame: Any, labels: Mapping[str, str], *, shares: Sequence[str] = ()) -> None:
    """`frame` as a plain table whose text wraps to the screen (a data grid would scroll sideways
    on the projector): typed text shown as text, counts with separators, `shares` (percent, 0–100)
    as percentages."""

    def cell(column: str, value: Any) -> str:
        if column in shares:
            return format_share(None if pd.isna(value) else float(value) / 100)
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):  # numpy's ints too
            return format_count(int(value))
        return escape_markdown(str(value))

    shown = {
        escape_markdown(labels.get(column, column)): [cell(column, value) for value in frame[column]]
        for column in frame.columns
    }
    st.table(shown, hide_index=True)


def narrow_on_projector() -> Literal["small"] | None:
    """A table column's width: narrow on the projector, where a table must not scroll sideways."""
    return "small" if reader.presenting() else None


def picker_labels() -> Literal["visible", "collapsed"]:
    """A chart's pickers' labels: left out on the projector, where the room reads the chart's title
    and the options themselves (a line of a 720 px screen the chart needs)."""
    return "collapsed" if reader.presenting() else "visible"


def order_control(*, key: str) -> bool:
    """Behind first or ahead first (behind first on the projector, where the meeting looks for
    what to act on); True for behind first."""
    labels = {"worst": t("overview.order.worst"), "best": t("overview.order.best")}
    chosen = st.segmented_control(
        t("overview.order"),
        list(labels),
        format_func=labels.__getitem__,
        default="worst" if reader.presenting() else "best",
        key=key,
        label_visibility=picker_labels(),
    )
    return chosen == "worst" if chosen else reader.presenting()


def tile(shown: Tile) -> None:
    """A KPI tile from its parts (`lib.present.common.Tile`)."""
    kpi(
        shown.label,
        shown.value,
        shown.detail,
        shown.help,
        judged=shown.status,
        target=shown.target,
        change=shown.change,
        change_since=shown.change_since,
        trend=shown.trend,
    )


def tile_row(tiles: Sequence[Tile]) -> None:
    """`tiles` side by side, one column each."""
    for column, shown in zip(st.columns(len(tiles)), tiles, strict=True):
        with column:
            tile(shown)


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


def chart_with_downloads(
    chart: Any,
    *,
    title: str,
    key: str,
    theme: str | None = "streamlit",
    on_pick: Callable[[str], None] | None = None,
) -> None:
    """An Altair chart on the page and, under it, two buttons downloading it as PNG and SVG.

    The pictures carry `title` (the page's subheader, which the chart itself omits) and the legend;
    they are rendered with vl-convert (offline) only when a button is clicked. With `on_pick`, a
    click on a mark of the chart's `charts.PICK` selection calls it, as a callback, with the mark's code.
    """
    from lib.files import export
    from lib.present.charts import PICK

    presenting = reader.presenting()
    shown = validated_once(charts.for_projector(chart) if presenting else chart)  # large lettering there
    if on_pick is None:
        st.altair_chart(shown, width="stretch", theme="streamlit" if theme else None)
    else:
        chart_key = f"{key}_picks"

        def picked() -> None:
            chosen = st.session_state[chart_key]["selection"].get(PICK) or []
            if chosen and chosen[0].get("code"):
                on_pick(str(chosen[0]["code"]))

        st.altair_chart(
            shown,
            width="stretch",
            theme="streamlit" if theme else None,
            key=chart_key,
            on_select=picked,
            selection_mode=PICK,
        )
    if presenting:  # no downloads on the projector
        return
    stem = re.sub(r"[^\w-]+", "_", key).strip("_") or "chart"
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        t("chart.download_png"),
        data=cache.in_current_language(lambda: export.chart_png(exportable_chart(chart, title=title))),
        file_name=f"{stem}.png",
        mime="image/png",
        key=f"{key}_png",
        on_click="ignore",
        icon=":material/image:",
        type="tertiary",
    )
    row.download_button(
        t("chart.download_svg"),
        data=cache.in_current_language(lambda: export.chart_svg(exportable_chart(chart, title=title))),
        file_name=f"{stem}.svg",
        mime="image/svg+xml",
        key=f"{key}_svg",
        on_click="ignore",
        icon=":material/shape_line:",
        type="tertiary",
    )


def bars_shown_note(places: int, *, worst_first: bool) -> None:
    """On the projector, say when a ranking shows only some of its places (charts.shown_bars)."""
    shown = charts.shown_bars(places, presenting=reader.presenting())
    if shown is not None:
        key = "chart.bars_shown_behind" if worst_first else "chart.bars_shown_ahead"
        st.caption(t(key, shown=shown, total=format_count(places)))


def upload_limit_mb() -> int:
    """The largest upload the server takes, in MB (`server.maxUploadSize`)."""
    return int(st.get_option("server.maxUploadSize"))


def _uploader_style(key: str, types: list[str]) -> str:
    """CSS writing the drop zone's button and limit line in Chinese (Streamlit writes them only in
    English), for the uploader of `key` alone."""
    scope = f".st-key-{re.sub(r'[^A-Za-z0-9_-]', '', key)} [data-testid='stFileUploaderDropzone']"
    limit = t("upload.limit", mb=upload_limit_mb(), types="、".join(kind.upper() for kind in types))
    button = t("upload.button")
    return (
        "<style>"
        f"{scope} [data-testid='stFileUploaderDropzoneInstructions'] span {{font-size: 0}}"
        f"{scope} [data-testid='stFileUploaderDropzoneInstructions'] span::after "
        f"{{content: {json.dumps(limit, ensure_ascii=False)}; font-size: 0.875rem}}"
        f"{scope} button [data-testid='stMarkdownContainer'] p {{font-size: 0}}"
        f"{scope} button [data-testid='stMarkdownContainer'] p::after "
        f"{{content: {json.dumps(button, ensure_ascii=False)}; font-size: 0.875rem}}"
        "</style>"
    )


def file_upload(label: str, *, types: list[str], key: str) -> Any:
    """`st.file_uploader` whose drop zone speaks the reader's language and states the real limit."""
    if get_language() == "zh":
        st.html(_uploader_style(key, types))
    return st.file_uploader(label, type=types, key=key)
