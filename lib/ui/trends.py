"""Change since a chosen date and the trend by month, on every page with share tiles: the
"Compare with" picker (kept in the link as `since`) and the month-end line of a measure (kept as
`trend`), both read from the key figures kept at each month end and each meeting deck."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import streamlit as st

from lib.core.i18n import t
from lib.present import changes, charts, status
from lib.present.common import parse_as_of
from lib.queries import snapshots
from lib.rules.targets import Target
from lib.ui import cache, reader, widgets


def comparison(town_codes: Sequence[str], *, key: str) -> changes.Comparison | None:
    """The "Compare with" picker, right-aligned above a page's tiles, and what it compares with:
    None while nothing has been kept."""
    kept = cache.query(snapshots.snapshot_dates)
    if not kept:
        return None
    default = changes.default_comparison(kept, parse_as_of(widgets.as_of()))
    if reader.presenting():  # no picker on the projector (widgets.compare_picker)
        since = widgets.compare_picker(kept, default=default, key=key)
    else:
        with st.columns([3, 1])[1]:
            since = widgets.compare_picker(kept, default=default, key=key)
    before = cache.query(snapshots.figures_on, day=since, town_codes=town_codes) if since else None
    return changes.Comparison(before=before, series=cache.query(snapshots.series, town_codes=town_codes))


def section(
    measures: Sequence[str],
    *,
    rules: Mapping[str, Target],
    now: Callable[[str], float | None],
    town_codes: Sequence[str],
    key: str,
    title: str | None = None,
) -> None:
    """The trend by month: the kept month-end (and meeting-day) values of one of `measures` (keys
    of `lib.core.figures.SHARE_PARTS`) and its value now (`now(measure)`), the points coloured by
    status against the county's target `rules[measure]` (a dashed line); a picker (kept in the
    link as `trend`) when there is more than one measure."""
    measures = list(measures)
    st.subheader(title or t("trend.title"))
    series = cache.query(snapshots.series, town_codes=town_codes)
    if series.empty:
        st.caption(t("trend.none"))
        return
    measure = measures[0]
    if len(measures) > 1:
        reader.state_from_param(key, "trend", measures, default=measures[0])
        labels = {name: t(f"measure.{name}") for name in measures}
        measure = st.columns([1, 2])[0].selectbox(
            t("trend.measure"), measures, format_func=labels.__getitem__, key=key
        )
        reader.sync_params(trend=measure)
    rule = rules[measure]
    as_of = parse_as_of(widgets.as_of())

    def chart() -> object:
        frame = changes.month_frame(series, measure, now=now(measure), as_of=as_of, rule=rule)
        return charts.month_trend(
            frame,
            value_title=t(f"measure.{measure}"),
            date_title=t("trend.axis"),
            target=rule.target,
            colours=status.legend(),
            status_title=t("trend.status"),
        )

    widgets.chart_with_downloads(
        cache.derived(
            "trends.chart", chart, towns=town_codes, measure=measure, now=now(measure), rule=repr(rule)
        ),
        title=f"{t('trend.title')} · {t(f'measure.{measure}')}",
        key=f"chart_{key}",
    )
    st.caption(f"{t('trend.caption')} {status.caption(rule)}")
