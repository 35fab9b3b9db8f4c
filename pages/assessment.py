"""Assessment readiness (`/assessment`): where the county would fail the third-party assessment —
readiness by town and village, the data checks behind it, and a mock assessment to find out first."""

import streamlit as st

from lib.core.i18n import format_count, t
from lib.files import export
from lib.present import assessment_view as view
from lib.present.common import parse_as_of
from lib.queries import assessment as queries
from lib.rules import assessment, privacy
from lib.ui import assessment_controls, cache, long_lists, reader, shell, signed_in, trends, widgets

filters = shell.open_page("assessment")
widgets.page_header(t("assessment.title"), filters)
towns = filters.town_codes
as_of = parse_as_of(widgets.as_of())
thresholds = assessment.Thresholds.from_settings()
months = thresholds.verified_within_months
st.caption(view.intro(thresholds))

counts = cache.query(queries.readiness_counts, as_of=as_of, within_months=months, town_codes=towns)
if counts.empty or int(counts["households"].sum()) == 0:
    st.info(t("overview.empty") if not towns else t("overview.no_match"), icon=":material/info:")
    st.stop()
# What the counts come from, besides the data version and the language (cache.derived keeps them).
scope = {"as_of": as_of, "months": months, "towns": towns, "thresholds": repr(thresholds)}
ready, total = cache.derived(
    "assessment.readiness",
    lambda: (
        assessment.readiness_table(counts, thresholds),
        assessment.readiness_table(view.total_counts(counts), thresholds).iloc[0],
    ),
    **scope,
)
show_names = privacy.names_visible(signed_in.current_actor())

widgets.tile_row(view.tiles(total, ready, thresholds, trends.comparison(towns, key="assessment_since")))

towns_tab, villages_tab, issues_tab, mock_tab, method_tab = widgets.lazy_tabs(
    {key: t(f"assessment.tab.{key}") for key in ("readiness", "villages", "issues", "mock", "method")},
    key="assessment_tab",
    default="mock" if assessment_controls.mock_in_link() else None,
)

if towns_tab.open:
    with towns_tab:
        failing, grid, grid_towns, town_table = cache.derived(
            "assessment.towns",
            lambda: (
                view.failing_lines(ready, thresholds),
                view.status_grid(view.grid_frame(ready), town_title=t("assessment.col.town")),
                view.grid_towns(ready),
                view.town_table(ready, thresholds, with_reasons=not reader.presenting()),
            ),
            presenting=reader.presenting(),
            **scope,
        )
        left, right = st.columns([1, 1.2])  # the grid first: on the projector it is the first screen
        with left:
            st.subheader(t("assessment.grid_title"))
            widgets.chart_with_downloads(
                grid,
                title=t("assessment.grid_title"),
                key="chart_assessment_grid_title",
                theme=None,
            )
            st.caption(t("assessment.grid_caption"))
            if grid_towns > view.GRID_TOWNS:
                st.caption(t("assessment.grid_shown", shown=view.GRID_TOWNS, total=format_count(grid_towns)))
        with right:
            if failing:
                with st.container(border=True):
                    st.markdown(f"**{t('assessment.failing_title', n=len(failing))}**")
                    st.markdown("\n".join(f"- {line}" for line in failing))
            else:
                st.success(t("assessment.failing_none"), icon=":material/check_circle:")
        st.subheader(t("assessment.towns_title"))
        st.dataframe(town_table, hide_index=True, width="stretch", height=720)

if villages_tab.open:
    with villages_tab:
        st.subheader(t("assessment.villages_title"))
        filter_labels = {key: t(f"assessment.villages_filter.{key}") for key in ("attention", "all")}
        shown = st.segmented_control(
            t("assessment.villages_filter"),
            list(filter_labels),
            format_func=filter_labels.__getitem__,
            default="attention",
            key="assessment_villages",
        )
        village_counts = cache.query(
            queries.readiness_counts, as_of=as_of, within_months=months, town_codes=towns, level="village"
        )
        villages = view.village_table(
            assessment.readiness_table(village_counts, thresholds),
            thresholds,
            attention_only=shown != "all",
        )
        if villages.data.empty:
            st.success(t("assessment.villages_none"))
        else:
            st.dataframe(villages, hide_index=True, width="stretch", height=560)

if issues_tab.open:
    with issues_tab:
        st.subheader(t("assessment.checks_title"))
        st.table(view.check_summary(total, thresholds), hide_index=True, border="horizontal")
        st.subheader(t("assessment.issues_title"))
        options = view.check_options()
        check = st.selectbox(
            t("assessment.issue_filter"),
            list(options),
            format_func=options.__getitem__,
            key="assessment_check",
        )
        long_lists.assessment_issues(
            total=view.issue_total(total, check),
            as_of=as_of,
            months=months,
            towns=towns,
            check=check,
            show_names=show_names,
            scope=widgets.scope_line(filters),
        )

if mock_tab.open:
    with mock_tab:
        st.caption(t("assessment.mock_intro"))
        seed, sizes, drawn_on = assessment_controls.mock_settings(as_of)
        mock = cache.query(
            queries.mock_sample,
            as_of=as_of,
            drawn_on=drawn_on,
            seed=seed,
            sizes=tuple(sizes.items()),
            within_months=months,
            town_codes=towns,
        )
        if mock.households.empty:
            st.info(t("assessment.mock.empty"), icon=":material/info:")
        else:
            estimates = assessment.mock_estimates(mock.households, mock.strata, thresholds)
            county = estimates.iloc[-1]
            st.markdown(
                t("assessment.mock.summary", drawn=int(county["drawn"]), visited=int(county["visited"]))
            )
            st.subheader(t("assessment.mock.estimates_title"))
            st.dataframe(
                view.estimates_table(estimates, reader.all_town_names()), hide_index=True, width="stretch"
            )
            st.caption(t("assessment.mock.estimates_caption"))
            st.subheader(t("assessment.mock.list_title"))
            visits = view.visit_list(mock.households, show_names=show_names)
            st.dataframe(visits, hide_index=True, width="stretch", height=420)
            download, record = st.columns(2)
            download.download_button(
                t("assessment.mock.download"),
                data=cache.in_current_language(
                    lambda: export.excel_bytes(
                        {t("assessment.mock.sheet"): visits},
                        title_lines={
                            t("assessment.mock.sheet"): [
                                t("assessment.mock.list_title"),
                                widgets.scope_line(filters),
                                f"{t('assessment.mock.seed')} {seed} · "
                                f"{t('assessment.mock.drawn_on')} {drawn_on}",
                            ]
                        },
                    )
                ),
                file_name=f"mock_assessment_{seed}_{drawn_on}.xlsx",
                mime=export.EXCEL_MIME,
                on_click="ignore",
            )
            record.page_link(
                "pages/updates.py", label=t("assessment.mock.record"), icon=":material/edit_note:"
            )

if method_tab.open:
    with method_tab:
        st.subheader(t("assessment.method.title"))
        st.markdown(view.method_text(thresholds))
