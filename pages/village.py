"""Village (`/village?code=…`): everything about one village, for county leaders."""

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from lib.core.i18n import localized, t
from lib.present import village_view as view
from lib.present.common import Tile
from lib.present.markup import escape_markdown, t_md
from lib.queries import common, village_detail, villages
from lib.rules import privacy
from lib.ui import cache, downloads, map_card, reader, shell, signed_in, widgets

filters = shell.open_page("village")
code = reader.code_param("code")


def tiles(items: Sequence[Tile]) -> None:
    for cell, tile in zip(st.columns(len(items)), items, strict=True):
        with cell:
            widgets.kpi(tile.label, tile.value, tile.detail, tile.help)


def table(shown: view.Table, empty: str, *, name: str = "", **columns: Any) -> None:
    """The table with its labels (`columns` overrides a column's config) and an Excel download,
    or `empty` when it has no rows. `name` (default: from `empty`) names the file."""
    if shown.frame.empty:
        st.caption(t(empty))
        return
    config: dict[str, Any] = {**shown.labels, **columns}
    st.dataframe(shown.frame, hide_index=True, width="stretch", column_config=config)
    name = name or empty.split(".")[1]
    file_name = f"{code}_{name}.xlsx"
    downloads.excel_download(
        "data.download", shown.frame, file_name=file_name, key=f"dl_{name}", column_config=config
    )


def money(key: str) -> Any:
    return st.column_config.NumberColumn(t(f"village.col.{key}"), format="localized")


def picker() -> None:
    """The selected towns' villages as "village — town"; picking one opens it through `code`."""
    names = view.picker_options(cache.query(village_detail.village_list, town_codes=filters.town_codes))
    if filters.village_codes:  # the sidebar's village filter narrows the list
        names = {code: name for code, name in names.items() if code in filters.village_codes}
    picked = map_card.village_select(
        t("village.picker"), names, key="village_picker", placeholder=t("village.picker_placeholder")
    )
    if picked and picked != code:
        st.query_params["code"] = picked
        st.rerun()


found = cache.query(villages.village_measures, village_codes=[code]) if code else pd.DataFrame()
if found.empty:
    widgets.page_header(t("village.title"), filters)
    if cache.query(village_detail.village_list).empty:
        st.info(t("village.empty"), icon=":material/info:")
        st.stop()
    st.info(t_md("village.unknown", code=code) if code else t("village.missing"), icon=":material/info:")
    picker()
    st.stop()

village = found.iloc[0]
st.title(escape_markdown(localized(village.name_zh, village.name_en)))
head, switch = st.columns([5, 1], vertical_alignment="center")
head.caption(view.caption_line(village, cache.query(common.meta)))
with head:  # the map page is registered in app.py; a page link stays in the tab and the shell
    st.page_link("pages/map.py", label=t("village.back_to_map"))
with switch.popover(t("village.switch"), width="stretch"):
    picker()
tiles(view.kpi_tiles(village))

team = cache.query(village_detail.work_team, code=code)
st.subheader(t("village.team.title"))
secretary = view.secretary_lines(team)
for line in secretary:
    st.markdown(line)
if not secretary:
    st.warning(t("village.team.no_secretary"), icon=":material/error:")
narrow: dict[str, Any] = {
    key: st.column_config.Column(t(f"village.col.{key}"), width=100) for key in ("start", "end")
}
narrow |= {
    key: st.column_config.CheckboxColumn(t(f"village.col.{key}"), width=90)
    for key in ("trained", "study_tour")
}
table(view.team_table(team, serving=True), "village.team.empty", **narrow)
with st.expander(t("village.team.history")):
    table(view.team_table(team, serving=False), "village.team.no_history", name="team_history", **narrow)

st.subheader(t("village.industry.title"))
product_side, industries_side = st.columns([2, 3], gap="large")
top = cache.query(village_detail.top_industries, code=code, limit=5)
with product_side:
    product = localized(village.signature_product_zh, village.signature_product_en)
    signature = t_md("village.industry.signature", product=product) if product else None
    st.markdown(signature or t("village.industry.no_signature"))
    if not top.empty:
        st.caption(t("village.industry.top_caption"))
with industries_side:
    if not top.empty:
        st.markdown(f"**{t('village.industry.top', n=len(top))}**")
    bar = st.column_config.ProgressColumn(t("village.col.share"), format="%.1f%%", min_value=0, max_value=100)
    table(view.top_industries_table(top), "village.industry.empty", share=bar)

verification, households, plans, links = st.tabs(
    [t(f"village.tab.{key}") for key in ("verification", "households", "plans", "links")]
)
with verification:
    st.markdown(f"**{t('village.verify.title')}**")
    tiles(view.visit_tiles(cache.query(village_detail.visit_summary, code=code)))
    st.markdown(f"**{t('village.verify.history')}**")
    table(view.visits_table(cache.query(village_detail.visits, code=code)), "village.verify.empty")

with households:
    st.markdown(f"**{t('village.households.by_stage')}**")
    table(
        view.status_stage_table(cache.query(village_detail.status_by_stage, code=code)),
        "village.households.empty",
        name="households_by_stage",
    )
    st.caption(t("village.households.by_stage_caption"))
    st.markdown(f"**{t('village.households.list')}**")
    show_names = privacy.names_visible(signed_in.current_actor())
    register = view.households_table(cache.query(village_detail.households, code=code), show_names=show_names)
    table(register, "village.households.empty")
    if not show_names and not register.frame.empty:
        st.caption(t("village.households.masked"))

with plans:
    plan_table = view.plans_table(cache.query(village_detail.industry_plans, code=code))
    table(
        plan_table,
        "village.plans.empty",
        expected_income=money("expected_income"),
        actual_income=money("actual_income"),
    )

with links:
    link_table = view.links_table(cache.query(village_detail.organisation_links, code=code))
    table(link_table, "village.links.empty", amount=money("amount"))
    if not link_table.frame.empty:
        st.caption(t("village.links.caption"))
