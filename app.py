"""Overview (`/`): the county at a glance for the selected towns."""

import pandas as pd
import streamlit as st

from lib.core.domain import PlanStage
from lib.core.i18n import t
from lib.present import charts, overview_view, status, training_view
from lib.present.common import localized_column
from lib.queries import overview, snapshots, training, villages
from lib.queries.setup import setup_status
from lib.rules import targets
from lib.ui import cache, downloads, load_forms, meeting, shell, trends, widgets

filters = shell.open_page("")
widgets.page_header(t("overview.title"), filters)
deck_column, compare_column = st.columns([3, 1], vertical_alignment="bottom")
with deck_column:
    meeting.deck_buttons(filters, key="overview")

progress = cache.query(overview.town_progress, town_codes=filters.town_codes)
totals = cache.derived("overview.totals", lambda: overview.totals(progress), towns=filters.town_codes)
setup = cache.query(setup_status)
if totals["villages"] == 0 and totals["households"] == 0:
    if filters.town_codes:
        st.info(t("overview.no_match"), icon=":material/info:")
    else:
        load_forms.checklist(setup)
    st.stop()
if not setup.complete:
    load_forms.setup_notice(setup)

rules = targets.share_targets(training=training_view.target_share(cache.query(training.programmes)))
figures = cache.derived(
    "overview.figures", lambda: overview_view.key_figures(totals, rules=rules), towns=filters.town_codes
)
if kept := cache.query(snapshots.snapshot_dates):
    with compare_column:
        default = overview_view.default_comparison(kept, meeting.as_of_date())
        since = widgets.compare_picker(kept, default=default, key="overview_since")
    before = cache.query(snapshots.figures_on, day=since, town_codes=filters.town_codes) if since else None
    series = cache.query(snapshots.series, town_codes=filters.town_codes)
    figures = overview_view.with_changes(figures, totals, before=before, series=series)
tile_keys = ["villages", "households", "exited", "training", "plans", "verified"]
for column, key in zip(st.columns(len(tile_keys)), tile_keys, strict=True):
    with column:
        widgets.tile(figures[key].tile())

measure_labels = {key: t(f"measure.{key}") for key in overview.RANKING_MEASURES}
left, right = st.columns([2, 3])
with left:
    st.subheader(t("overview.stages_title"))
    st.caption(t("overview.stages_caption"))

    def stage_chart() -> object:
        stages = overview.stage_counts(totals)
        stages["label"] = [t(f"stage.{stage.value}") for stage in PlanStage]
        return charts.stage_bars(
            stages, x_title=t("overview.households_axis"), y_title=t("overview.stage_axis")
        )

    widgets.chart_with_downloads(
        cache.derived("overview.stages", stage_chart, towns=filters.town_codes),
        title=t("overview.stages_title"),
        key="chart_overview_stages_title",
    )
    widgets.tile(figures["stable"].tile())

with right:
    st.subheader(t("overview.ranking_title"))
    by_column, order_column = st.columns([3, 2], vertical_alignment="bottom")
    measure = by_column.selectbox(
        t("overview.rank_by"),
        options=list(measure_labels),
        format_func=measure_labels.__getitem__,
        key="overview_rank_by",
    )
    with order_column:
        worst_first = widgets.order_control(key="overview_order")

    def ranking() -> tuple[object, pd.DataFrame]:
        """The ranking chart and the town table (the measure ranked by first, drawn as a bar; the
        others follow as plain percentages)."""
        ranked = overview.rank_towns(progress, by=measure, worst_first=worst_first)
        town_labels = localized_column(ranked, "name")
        rule = rules.get(measure)
        bars = status.judge_values(
            pd.DataFrame({"town": town_labels, "value": ranked[measure]}).dropna(), rule
        )
        chart = charts.ranking_bars(
            bars,
            value_title=measure_labels[measure],
            town_title=t("col.town"),
            target=rule.target if rule else None,
            colours=status.legend(),
            worst_first=worst_first,
        )
        table = pd.DataFrame(
            {
                "rank": ranked["rank"],
                "town": town_labels,
                "map": [f"/map?town={code}&lang={filters.lang}" for code in ranked["town_code"]],
                **{column: ranked[column] * 100 for column in share_columns},
                "villages": ranked["villages"],
                "households": ranked["households"],
            }
        )
        return chart, table

    share_columns = [measure, *(c for c in ["progress", *overview.SHARE_COLUMNS] if c != measure)]
    ranking_chart, table = cache.derived(
        "overview.ranking", ranking, towns=filters.town_codes, measure=measure, worst_first=worst_first
    )
    widgets.chart_with_downloads(
        ranking_chart,
        title=t("overview.ranking_title"),
        key="chart_overview_ranking_title",
    )
    if measure in rules:
        st.caption(status.caption(rules[measure]))

town_config = {
    "rank": st.column_config.NumberColumn(t("col.rank"), width="small"),
    "town": st.column_config.TextColumn(t("col.town")),
    measure: st.column_config.ProgressColumn(
        t(f"col.{measure}"), format="%.1f%%", min_value=0, max_value=100, width="medium"
    ),
    **{
        column: st.column_config.NumberColumn(t(f"col.{column}"), format="%.1f%%")
        for column in share_columns[1:]
    },
    "villages": st.column_config.NumberColumn(t("col.villages")),
    "households": st.column_config.NumberColumn(t("col.households"), format="localized"),
    "map": st.column_config.LinkColumn(t("col.map"), display_text=t("overview.open_map")),
}
st.dataframe(
    table, hide_index=True, width="stretch", height=38 + 35 * min(len(table), 40), column_config=town_config
)
st.caption(t("overview.ranking_caption"))
downloads.excel_download(
    "data.download", table, file_name="towns.xlsx", key="dl_towns", column_config=town_config
)

trends.section(
    list(rules), rules=rules, now=totals.measure, town_codes=filters.town_codes, key="overview_trend"
)

st.subheader(t("overview.due_title"))


def due_villages() -> pd.DataFrame:
    """The registered poor villages not yet exited: overdue first, then highest poverty incidence."""
    measures = cache.query(
        villages.village_measures, town_codes=filters.town_codes, village_codes=filters.village_codes or None
    )
    as_of_year = meeting.as_of_date().year
    return overview_view.due_table(villages.due_villages(measures, as_of_year=as_of_year), lang=filters.lang)


due_table = cache.derived(
    "overview.due", due_villages, towns=filters.town_codes, villages=filters.village_codes
)
if due_table.empty:
    st.success(t("overview.none_due"))
else:
    due_config = {
        "overdue": st.column_config.TextColumn(t("col.overdue")),
        "village": st.column_config.TextColumn(t("map.col.village")),
        "town": st.column_config.TextColumn(t("col.town")),
        "planned": st.column_config.NumberColumn(t("col.planned_exit"), format="%d"),
        "incidence": st.column_config.NumberColumn(t("map.measure.poverty_incidence"), format="%.2f%%"),
        "households_poor": st.column_config.NumberColumn(t("col.households_poor")),
        "verified": st.column_config.ProgressColumn(
            t("col.verified_share"), format="%.1f%%", min_value=0, max_value=100
        ),
        "page": st.column_config.LinkColumn(t("col.village_page"), display_text=t("overview.open_village")),
    }
    st.dataframe(
        status.styled(due_table, {"overdue": overview_view.overdue_statuses(due_table)}),
        hide_index=True,
        width="stretch",
        column_config=due_config,
    )
    st.caption(t("overview.due_caption"))
    downloads.excel_download(
        "data.download", due_table, file_name="villages_due.xlsx", key="dl_due", column_config=due_config
    )
