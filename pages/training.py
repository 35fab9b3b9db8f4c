"""Training (`/training`): secretaries' coverage, classes, topics, schedule, waiting list, next phase."""

import streamlit as st

from lib.core.i18n import t
from lib.files import export
from lib.present import charts, status
from lib.present import training_view as view
from lib.present.common import parse_as_of
from lib.queries import training
from lib.queries.setup import setup_status
from lib.rules import targets, training_plan
from lib.ui import cache, downloads, drill, load_forms, shell, training_forms, trends, widgets

filters = shell.open_page("training")
widgets.page_header(t("training.title"), filters)
towns = filters.town_codes
as_of = parse_as_of(widgets.as_of())

by_town = cache.query(training.coverage_by_town, town_codes=towns)
if by_town.empty:
    st.info(t("overview.empty") if not towns else t("overview.no_match"), icon=":material/info:")
    st.stop()
if load_forms.missing_notice(cache.query(setup_status), "postings"):
    st.stop()
phases = cache.query(training.coverage_by_phase, town_codes=towns, as_of=as_of)
tours = cache.query(training.tour_participants, town_codes=towns)
classes = cache.query(training.trained_by_class, town_codes=towns, as_of=as_of)
once = cache.query(training.trained_in_classes, town_codes=towns, as_of=as_of)
waiting = cache.query(training.waiting_list, town_codes=towns, as_of=as_of)
schedule = cache.query(training.schedule, as_of=as_of)
topics = view.topic_names(cache.query(training.topics))
rules = targets.share_targets(training=(target := view.target_share(cache.query(training.programmes))))

comparison = trends.comparison(towns, key="training_since")
widgets.tile_row(view.tiles(by_town, classes, once.trained, tours, waiting, target, comparison))

coverage_tab, topics_tab, schedule_tab, waiting_tab, plan_tab = widgets.lazy_tabs(
    {key: t(f"training.tab.{key}") for key in ("coverage", "topics", "schedule", "waiting", "plan")},
    key="training_tab",
)

if coverage_tab.open:
    with coverage_tab:
        left, right = st.columns([1, 1])
        with left:
            st.subheader(t("training.by_town"))
            drill.town_bars(
                view.town_shares(by_town),
                rules[targets.TRAINING],
                value_title=t("training.axis.share"),
                title=t("training.by_town"),
                key="chart_training_by_town",
            )
            st.caption(status.caption(rules[targets.TRAINING]))
        with right:
            st.subheader(t("training.trend"))
            trend = cache.query(training.coverage_trend, town_codes=towns, as_of=as_of)
            widgets.chart_with_downloads(
                charts.trend_line(
                    view.trend(trend),
                    target=rules[targets.TRAINING].target,
                    value_title=t("training.axis.share"),
                    date_title=t("training.axis.date"),
                ),
                title=t("training.trend"),
                key="chart_training_trend",
            )
            st.caption(t("training.trend_caption"))
        st.subheader(t("training.by_class"))  # full width, below the first screen's charts
        widgets.wide_table(view.classes_table(classes, once))
        left, right = st.columns([1, 1])
        with left:
            now = {targets.TRAINING: view.coverage(by_town)}.get
            trends.section([targets.TRAINING], rules=rules, now=now, town_codes=towns, key="training_months")
        with right:
            st.subheader(t("training.by_phase"))
            table, labels = view.phases_table(phases)
            widgets.table_with_share(table, labels, share="share")
            downloads.excel_download(
                "data.download",
                table,
                file_name=f"training_phases_{as_of}.xlsx",
                key="dl_phases",
                column_config=labels,
            )

if topics_tab.open:
    with topics_tab:
        st.subheader(t("training.heatmap"))
        widgets.chart_with_downloads(
            charts.heatmap(
                view.heatmap_frame(cache.query(training.topic_coverage, town_codes=towns), topics),
                x_title=t("training.axis.topic"),
                y_title=t("col.town"),
                value_title=t("training.axis.share"),
            ),
            title=t("training.heatmap"),
            key="chart_training_heatmap",
        )
        st.subheader(t("training.missing"))
        missing = cache.query(training.missing_topics, town_codes=towns)
        if missing.empty:
            st.success(t("training.none_missing"))
        else:
            missing_shown = view.missing_table(missing, topics)
            st.dataframe(missing_shown, hide_index=True, width="stretch")
            downloads.excel_download(
                "data.download", missing_shown, file_name=f"training_missing_{as_of}.xlsx", key="dl_missing"
            )

if schedule_tab.open:
    with schedule_tab:
        st.subheader(t("training.timeline"))
        widgets.chart_with_downloads(
            charts.timeline(
                view.timeline_frame(schedule),
                kind_title=t("training.col.programme"),
                date_title=t("training.col.dates"),
            ),
            title=t("training.timeline"),
            key="chart_training_timeline",
        )
        st.subheader(t("training.sessions"))
        sessions = view.schedule_table(schedule, topics)
        st.dataframe(sessions, hide_index=True, width="stretch")
        downloads.excel_download(
            "data.download", sessions, file_name=f"training_sessions_{as_of}.xlsx", key="dl_sessions"
        )
        st.subheader(t("training.tours"))
        if tours.empty:
            st.caption(t("training.no_tours"))
        else:
            tour_shown = view.tour_table(tours)
            st.dataframe(tour_shown, hide_index=True, width="stretch")
            downloads.excel_download(
                "data.download", tour_shown, file_name=f"training_tours_{as_of}.xlsx", key="dl_tours"
            )

if waiting_tab.open:
    with waiting_tab:
        if waiting.empty:
            st.success(t("training.none_waiting"))
        else:
            waiting_table = view.waiting_table(waiting, topics)
            st.caption(t("training.waiting_caption"))
            st.dataframe(waiting_table, hide_index=True, width="stretch")
            st.download_button(
                t("training.download"),
                data=cache.in_current_language(
                    lambda: export.excel_bytes(
                        {t("training.tab.waiting"): waiting_table},
                        title_lines={
                            t("training.tab.waiting"): [t("training.title"), widgets.scope_line(filters)]
                        },
                    )
                ),
                file_name=f"training_waiting_{as_of}.xlsx",
                mime=export.EXCEL_MIME,
                on_click="ignore",
            )

if plan_tab.open:
    with plan_tab:
        st.caption(t("training.plan_intro"))
        upcoming = schedule[schedule["upcoming"] & schedule["required"]]
        free = training_plan.free_seats(upcoming)
        if waiting.empty:
            st.success(t("training.none_waiting"))
        elif int(free.sum()) == 0:
            st.info(t("training.no_upcoming"))
        else:
            proposal = training_plan.propose_allocation(waiting, upcoming)
            shares = training_plan.fair_shares(waiting, int(free.sum()))
            left, right = st.columns([1, 2])
            with left:
                st.subheader(t("training.shares"))
                shares_shown = view.shares_table(waiting, shares)
                st.dataframe(shares_shown, hide_index=True, width="stretch")
                downloads.excel_download(
                    "data.download", shares_shown, file_name="training_shares.xlsx", key="dl_shares"
                )
            with right:
                st.subheader(t("training.proposal", n=len(proposal)))
                proposal_shown = view.proposal_table(proposal, waiting, schedule)
                st.dataframe(proposal_shown, hide_index=True, width="stretch")
                downloads.excel_download(
                    "data.download", proposal_shown, file_name="training_proposal.xlsx", key="dl_proposal"
                )
            training_forms.confirm_enrolments(proposal, as_of=as_of)
