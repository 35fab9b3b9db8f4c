"""Overview (`/`): the county at a glance for the selected towns."""

import pandas as pd
import streamlit as st

from lib.core.domain import PlanStage
from lib.core.i18n import t
from lib.present import charts, overview_view, status, training_view
from lib.queries import overview, snapshots, training, villages
from lib.queries.setup import setup_status
from lib.rules import targets
from lib.ui import cache, downloads, drill, load_forms, meeting, reader, shell, trends, widgets

filters = shell.open_page("")
town = filters.town_codes[0] if len(filters.town_codes) == 1 else None  # one town's overview
widgets.page_header(
    t("overview.town_title", town=reader.town_names([town])[0]) if town else t("overview.title"), filters
)
if town:
    st.button(
        t("overview.whole_county"),
        key="overview_whole_county",
        icon=":material/arrow_back:",
        on_click=reader.drill_to_town,
        args=(None,),
    )
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
    st.subheader(t("overview.village_ranking_title" if town else "overview.ranking_title"))
    by_column, order_column = st.columns([3, 2], vertical_alignment="bottom")
    measure = by_column.selectbox(
        t("overview.rank_by"),
        options=list(measure_labels),
        format_func=measure_labels.__getitem__,
        key="overview_rank_by",
    )
    with order_column:
        worst_first = widgets.order_control(key="overview_order")

    def ranking() -> overview_view.Ranking:
        """The towns (or the town's villages) ranked by the measure, as clickable bars and a table."""
        places = cache.query(villages.village_progress, town_codes=filters.town_codes) if town else progress
        level: overview_view.RankLevel = "village" if town else "town"
        return overview_view.ranking(
            overview.rank_towns(places, by=measure, worst_first=worst_first, code=f"{level}_code"),
            level=level,
            measure=measure,
            measure_label=measure_labels[measure],
            shares=["progress", *overview.SHARE_COLUMNS],
            worst_first=worst_first,
            rules=rules,
            lang=filters.lang,
            most=charts.shown_bars(len(places), presenting=presenting),
        )

    presenting = reader.presenting()
    ranked = cache.derived(
        "overview.ranking",
        ranking,
        towns=filters.town_codes,
        measure=measure,
        worst_first=worst_first,
        presenting=presenting,
    )
    pick = drill.open_village if town else reader.drill_to_town
    widgets.chart_with_downloads(
        ranked.chart, title=t("overview.ranking_title"), key="chart_overview_ranking_title", on_pick=pick
    )
    widgets.bars_shown_note(len(ranked.codes), worst_first=worst_first)
    if measure in rules:
        st.caption(status.caption(rules[measure]))
    drill.follow(filters)

drill.ranking_table(ranked, measure=measure, of_villages=bool(town), on_pick=pick)

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
