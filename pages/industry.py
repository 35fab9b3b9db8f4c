"""Industry (`/industry`): one household, one industry; one village, one product — progress,
gaps, products, the enterprises and cooperatives that carry households, income and trend."""

import streamlit as st

from lib.core import config
from lib.core.i18n import format_count, t
from lib.present import charts
from lib.present import industry_view as view
from lib.present.common import parse_as_of
from lib.queries import industry
from lib.queries.setup import setup_status
from lib.rules import privacy, targets
from lib.ui import cache, downloads, load_forms, long_lists, shell, signed_in, trends, widgets

filters = shell.open_page("industry")
widgets.page_header(t("industry.title"), filters)
towns = filters.town_codes
as_of = parse_as_of(widgets.as_of())
months = config.stuck_after_months()

funnel = cache.query(industry.stage_funnel, town_codes=towns)
if funnel.households == 0:
    st.info(t("overview.empty") if not towns else t("overview.no_match"), icon=":material/info:")
    st.stop()
load_forms.missing_notice(cache.query(setup_status), "plans")
products = cache.query(industry.village_products, town_codes=towns)
organisations = cache.query(industry.organisations, town_codes=towns)
income = cache.query(industry.income_by_link, town_codes=towns)
stuck = cache.query(industry.stuck_plans_count, town_codes=towns, as_of=as_of, months=months)
linked = int(income["linked_households"].iloc[-1]) if not income.empty else 0
show_names = privacy.names_visible(signed_in.current_actor())

rules = targets.share_targets()
comparison = trends.comparison(towns, key="industry_since")
widgets.tile_row(
    view.tiles(
        funnel, products, organisations, linked, stuck, rules=rules, months=months, comparison=comparison
    )
)

progress_tab, gaps_tab, products_tab, organisations_tab, income_tab, trend_tab = widgets.lazy_tabs(
    {
        key: t(f"industry.tab.{key}")
        for key in ("progress", "gaps", "products", "organisations", "income", "trend")
    },
    key="industry_tab",
)
stage_order = view.stage_labels()

if progress_tab.open:
    # The same three charts for every leader until the data changes (cache.derived keeps them).
    funnel_chart, category_chart, town_chart = cache.derived(
        "industry.progress",
        lambda: (
            charts.funnel(
                view.funnel_frame(funnel), x_title=t("industry.households"), y_title=t("industry.reached")
            ),
            charts.stacked_stages(
                view.category_stage_frame(cache.query(industry.stages_by_category, town_codes=towns)),
                stage_order=stage_order,
                x_title=t("industry.plans"),
                y_title=t("industry.col.category"),
                legend_title=t("industry.stage"),
            ),
            charts.stacked_stages(
                view.town_stage_frame(cache.query(industry.stages_by_town, town_codes=towns)),
                stage_order=stage_order,
                x_title=t("industry.households"),
                y_title=t("col.town"),
                legend_title=t("industry.stage"),
            ),
        ),
        towns=towns,
    )
    with progress_tab:
        left, right = st.columns([2, 3])
        with left:
            st.subheader(t("industry.funnel"))
            widgets.chart_with_downloads(
                funnel_chart, title=t("industry.funnel"), key="chart_industry_funnel"
            )
            st.caption(t("industry.funnel_caption"))
            st.subheader(t("industry.by_category"))
            widgets.chart_with_downloads(
                category_chart, title=t("industry.by_category"), key="chart_industry_by_category"
            )
        with right:
            st.subheader(t("industry.by_town"))
            widgets.chart_with_downloads(
                town_chart, title=t("industry.by_town"), key="chart_industry_by_town"
            )

if gaps_tab.open:
    with gaps_tab:
        if not show_names:
            st.caption(t("industry.names_masked"))
        long_lists.industry_gaps(
            towns=towns,
            as_of=as_of,
            months=months,
            stuck_total=stuck,
            show_names=show_names,
            scope=widgets.scope_line(filters),
        )

if products_tab.open:
    with products_tab:
        st.subheader(t("industry.products_title"))
        products_shown = view.products_table(products)
        st.dataframe(
            products_shown,
            hide_index=True,
            width="stretch",
            height=420,
            column_config={
                t("industry.col.share"): st.column_config.ProgressColumn(
                    t("industry.col.share"), format="%.1f%%", min_value=0, max_value=100
                )
            },
        )
        downloads.excel_download(
            "data.download", products_shown, file_name=f"products_{as_of}.xlsx", key="dl_products"
        )
        st.subheader(t("industry.products_none"))
        missing = view.no_product_table(products)
        if missing.empty:
            st.success(t("industry.products_all"))
        else:
            st.dataframe(missing, hide_index=True, width="stretch")
            downloads.excel_download(
                "data.download", missing, file_name=f"no_product_{as_of}.xlsx", key="dl_no_product"
            )

if organisations_tab.open:
    with organisations_tab:
        st.subheader(t("industry.organisations_title"))
        organisations_shown = view.organisations_table(organisations)
        st.dataframe(organisations_shown, hide_index=True, width="stretch", height=420)
        downloads.excel_download(
            "data.download",
            organisations_shown,
            file_name=f"organisations_{as_of}.xlsx",
            key="dl_organisations",
        )
        long_lists.industry_single_links(towns=towns, as_of=as_of, show_names=show_names)

if income_tab.open:
    with income_tab:
        st.subheader(t("industry.income_title"))
        widgets.chart_with_downloads(
            charts.income_lines(
                view.income_frame(income),
                x_title=t("industry.axis.year"),
                y_title=t("industry.axis.income"),
                legend_title=t("industry.households"),
            ),
            title=t("industry.income_title"),
            key="chart_industry_income_title",
        )
        if not income.empty:
            last = income.iloc[-1]
            st.caption(
                t(
                    "industry.below_line",
                    year=int(last["year"]),
                    linked=format_count(int(last["linked_below_line"])),
                    unlinked=format_count(int(last["unlinked_below_line"])),
                )
                + " "
                + t("industry.income_caption")
            )

if trend_tab.open:
    with trend_tab:
        now = {targets.PLANS: funnel.plan_share, targets.STABLE: funnel.stable_share}.get
        trends.section(
            [targets.PLANS, targets.STABLE], rules=rules, now=now, town_codes=towns, key="industry_trend"
        )
        st.subheader(t("industry.trend_title"))
        trend = cache.query(industry.stage_trend, town_codes=towns, as_of=as_of)
        widgets.chart_with_downloads(
            charts.monthly_bars(
                view.trend_frame(trend),
                stage_order=stage_order,
                x_title=t("industry.axis.month"),
                y_title=t("industry.axis.moves"),
                legend_title=t("industry.stage"),
            ),
            title=t("industry.trend_title"),
            key="chart_industry_trend_title",
        )
        st.caption(t("industry.trend_backward", n=int(trend["backward"].sum()) if not trend.empty else 0))
