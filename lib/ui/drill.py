"""Drilling down by click: a town picked on a ranking bar, a table row or the map narrows every
panel to it (`reader.drill_to_town`, kept in the link so the browser's Back returns); a village
picked opens its page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from lib.core.i18n import t
from lib.present import charts, status
from lib.present.overview_view import Ranking
from lib.rules.targets import Target
from lib.ui import downloads, reader, widgets

VILLAGE_PAGE = "pages/village.py"
_PENDING_VILLAGE = "drill_village"


def open_village(code: str) -> None:
    """A callback: open the village's page once the run that follows gets to `follow()`
    (a callback cannot change the page)."""
    st.session_state[_PENDING_VILLAGE] = code


def follow(filters: reader.Filters) -> None:
    """Open the page of a village picked since the last run, if any."""
    code = st.session_state.pop(_PENDING_VILLAGE, None)
    if code:
        params = {"code": code, "lang": filters.lang, "town": list(filters.town_codes)}
        st.switch_page(VILLAGE_PAGE, query_params={k: v for k, v in params.items() if v})


def table(
    frame: Any, codes: Sequence[str], *, key: str, on_pick: Callable[[str], None], **options: Any
) -> None:
    """A dataframe whose row, when clicked, calls `on_pick` with that row's code (`codes`, in the
    frame's order; a sorted view still reports the original row)."""
    picks_key = f"{key}_picks"

    def picked() -> None:
        rows = st.session_state[picks_key]["selection"].get("rows") or []
        if rows and 0 <= rows[0] < len(codes):
            on_pick(codes[rows[0]])

    st.dataframe(
        frame, key=picks_key, on_select=picked, selection_mode="single-row", hide_index=True, **options
    )


def ranking_table(
    ranked: Ranking, *, measure: str, of_villages: bool, on_pick: Callable[[str], None]
) -> None:
    """The Overview's towns (or one town's villages) in rank order, every share, a link to the map
    (or the village's page) and an Excel download; a row clicked calls `on_pick` with its code."""
    # On the projector the columns are narrow and the links (to click on a laptop) left out, so the
    # table fits the screen's width without scrolling sideways.
    presenting = reader.presenting()
    narrow: Any = "small" if presenting else None
    config = {
        "rank": st.column_config.NumberColumn(t("col.rank"), width="small"),
        "place": st.column_config.TextColumn(t("col.village" if of_villages else "col.town")),
        measure: st.column_config.ProgressColumn(
            t(f"col.{measure}"), format="%.1f%%", min_value=0, max_value=100, width="medium"
        ),
        **{
            column: st.column_config.NumberColumn(t(f"col.{column}"), format="%.1f%%", width=narrow)
            for column in ranked.share_columns[1:]
        },
        "villages": st.column_config.NumberColumn(t("col.villages"), width=narrow),
        "households": st.column_config.NumberColumn(t("col.households"), format="localized", width=narrow),
        "link": st.column_config.LinkColumn(
            t("col.village_page" if of_villages else "col.map"),
            display_text=t("overview.open_village" if of_villages else "overview.open_map"),
        ),
    }
    table(
        ranked.table,
        ranked.codes,
        key="overview_places",
        on_pick=on_pick,
        width="stretch",
        height=38 + 35 * min(len(ranked.table), 40),
        column_config=config,
        column_order=[c for c in ranked.table.columns if c != "link"] if presenting else None,
    )
    st.caption(
        t("overview.village_ranking_caption")
        if of_villages
        else f"{t('overview.drill_hint')} {t('overview.ranking_caption')}"
    )
    downloads.excel_download(
        "data.download",
        ranked.table,
        file_name="villages.xlsx" if of_villages else "towns.xlsx",
        key="dl_towns",
        column_config=config,
    )


def town_bars(shares: Any, rule: Target, *, value_title: str, title: str, key: str) -> None:
    """Towns' shares (town, value, code) as bars judged by `rule`, with the target drawn; a bar
    clicked narrows every panel to its town. On the projector: behind first, at most
    `charts.PROJECTOR_BARS` of them, and a line saying so."""
    presenting = reader.presenting()
    widgets.chart_with_downloads(
        charts.ranking_bars(
            status.judge_values(shares, rule),
            target=rule.target,
            colours=status.legend(),
            value_title=value_title,
            town_title=t("col.town"),
            pick=charts.PICK,
            worst_first=presenting,
            most=charts.shown_bars(len(shares), presenting=presenting),
        ),
        title=title,
        key=key,
        on_pick=reader.drill_to_town,
    )
    widgets.bars_shown_note(len(shares), worst_first=presenting)
