"""What the industry page shows, in the current language: tiles, chart frames and tables.

Pure (no streamlit, no SQL): it turns `lib.queries.industry` results into labelled pieces so
pages/industry.py only lays them out. Household heads' names are masked unless allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from lib.core.domain import STAGES
from lib.core.figures import StageFunnel
from lib.core.i18n import format_count, format_share, t
from lib.present import changes, status
from lib.present.common import Tile, localized_column
from lib.rules import privacy, targets
from lib.rules.targets import Target


def stage_labels() -> list[str]:
    return [t(f"stage.{stage}") for stage in STAGES]


def tiles(
    funnel: StageFunnel,
    products: pd.DataFrame,
    organisations: pd.DataFrame,
    linked_households: int,
    stuck: int,
    *,
    rules: Mapping[str, Target],
    months: int,
    comparison: changes.Comparison | None = None,
) -> list[Tile]:
    """Plan coverage and stable income (judged by their targets `rules`, with their change since
    `comparison`'s date and their lines), products, households linked and plans stuck."""
    stable = funnel.stage("stable")
    planned = funnel.households_with_plan
    plans, stable_rule = rules[targets.PLANS], rules[targets.STABLE]
    coverage = Tile(
        t("industry.kpi.coverage"),
        format_share(funnel.plan_share),
        t(
            "industry.kpi.coverage_detail",
            planned=format_count(funnel.labour_households_with_plan),
            labour=format_count(funnel.households_with_labour),
        ),
        status=plans.status(funnel.plan_share),
        target=status.target_text(plans),
    )
    stable_tile = Tile(
        t("industry.kpi.stable"),
        format_share(funnel.stable_share),
        t("industry.kpi.stable_detail", stable=format_count(stable), planned=format_count(planned)),
        status=stable_rule.status(funnel.stable_share),
        target=status.target_text(stable_rule),
    )
    return [
        changes.with_change(coverage, targets.PLANS, funnel.plan_share, comparison),
        changes.with_change(stable_tile, targets.STABLE, funnel.stable_share, comparison),
        Tile(
            t("industry.kpi.products"),
            format_share(products["has_product"].mean() if not products.empty else None),
            t(
                "industry.kpi.products_detail",
                with_product=format_count(int(products["has_product"].sum())),
                villages=format_count(len(products)),
            ),
        ),
        Tile(
            t("industry.kpi.linked"),
            format_count(linked_households),
            t(
                "industry.kpi.linked_detail",
                linked=format_count(linked_households),
                organisations=format_count(len(organisations)),
            ),
        ),
        Tile(t("industry.kpi.stuck"), format_count(stuck), t("industry.kpi.stuck_detail", months=months)),
    ]


def funnel_frame(funnel: StageFunnel) -> pd.DataFrame:
    return pd.DataFrame({"label": stage_labels(), "households": list(funnel.stages["reached"])})


def town_stage_frame(by_town: pd.DataFrame) -> pd.DataFrame:
    """Long frame for the stacked bars: row (town), stage (label), stage_rank, value; best towns first."""
    shown = by_town[by_town["households"] > 0].sort_values(
        ["plan_share", "town_code"], ascending=[False, True]
    )
    names = localized_column(shown, "name")
    rows = []
    for rank, (stage, label) in enumerate(zip(STAGES, stage_labels(), strict=True), start=1):
        rows += [
            {"row": name, "stage": label, "stage_rank": rank, "value": int(value)}
            for name, value in zip(names, shown[stage], strict=True)
        ]
    return pd.DataFrame(rows, columns=["row", "stage", "stage_rank", "value"])


def category_stage_frame(by_category: pd.DataFrame) -> pd.DataFrame:
    labels = dict(zip(STAGES, stage_labels(), strict=True))
    return pd.DataFrame(
        {
            "row": [t(f"village.category.{c}") for c in by_category["category"]],
            "stage": [labels[s] for s in by_category["stage"]],
            "stage_rank": [STAGES.index(s) + 1 for s in by_category["stage"]],
            "value": by_category["plans"],
        }
    )


def _heads(names: Iterable[Any], show: bool) -> list[str]:
    return [str(n) if show else privacy.mask_name(str(n)) for n in names]


def gaps_table(gaps: pd.DataFrame, *, show_names: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("industry.col.archive"): gaps["archive_no"],
            t("industry.col.head"): _heads(gaps["head_name"], show_names),
            t("industry.col.members"): gaps["members"],
            t("industry.col.labour"): gaps["labour_count"],
            t("industry.col.status"): [t(f"village.status.{s}") for s in gaps["status"]],
            t("industry.col.village"): localized_column(gaps, "village_name"),
            t("col.town"): localized_column(gaps, "town_name"),
        }
    )


def stuck_table(stuck: pd.DataFrame, *, show_names: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("industry.col.archive"): stuck["archive_no"],
            t("industry.col.head"): _heads(stuck["head_name"], show_names),
            t("industry.col.industry"): localized_column(stuck, "industry_name"),
            t("industry.col.stage"): [t(f"stage.{s}") for s in stuck["stage"]],
            t("industry.col.since"): stuck["stage_since"],
            t("industry.col.months"): stuck["months_in_stage"],
            t("industry.col.village"): localized_column(stuck, "village_name"),
            t("col.town"): localized_column(stuck, "town_name"),
        }
    )


def gap_sheet_names(months: int) -> tuple[str, str]:
    """The gaps workbook's sheet names (cut to Excel's 31 characters): no plan, then stuck."""
    return t("industry.no_plan")[:31], t("industry.stuck", months=months)[:31]


def products_table(products: pd.DataFrame) -> pd.DataFrame:
    shown = products[products["has_product"]]
    return pd.DataFrame(
        {
            t("industry.col.village"): localized_column(shown, "name"),
            t("col.town"): localized_column(shown, "town_name"),
            t("industry.col.product"): localized_column(shown, "signature_product"),
            t("industry.col.households"): shown["households"],
            t("industry.col.in_product"): shown["households_in_product"],
            t("industry.col.share"): shown["share"] * 100,
        }
    )


def no_product_table(products: pd.DataFrame) -> pd.DataFrame:
    shown = products[~products["has_product"]]
    return pd.DataFrame(
        {
            t("industry.col.village"): localized_column(shown, "name"),
            t("col.town"): localized_column(shown, "town_name"),
            t("industry.col.households"): shown["households"],
        }
    )


def organisations_table(organisations: pd.DataFrame) -> pd.DataFrame:
    benefits = ["land_rent", "dividend", "wages", "guaranteed_purchase"]
    return pd.DataFrame(
        {
            t("industry.col.organisation"): localized_column(organisations, "name"),
            t("industry.col.kind"): [t(f"village.kind.{k}") for k in organisations["kind"]],
            t("industry.col.industry"): localized_column(organisations, "industry_name"),
            t("col.town"): localized_column(organisations, "town_name"),
            t("industry.col.villages_served"): organisations["villages_served"],
            t("industry.col.linked"): organisations["linked_households"],
            **{t(f"village.benefit.{b}"): organisations[b] for b in benefits},
            t("industry.col.amount"): organisations["annual_amount"],
        }
    )


def single_link_table(single: pd.DataFrame, *, show_names: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("industry.col.archive"): single["archive_no"],
            t("industry.col.head"): _heads(single["head_name"], show_names),
            t("industry.col.organisation"): localized_column(single, "organisation_name"),
            t("industry.col.benefits"): [
                "、".join(t(f"village.benefit.{b}") for b in types) for types in single["benefit_types"]
            ],
            t("industry.col.village"): localized_column(single, "village_name"),
            t("col.town"): localized_column(single, "town_name"),
        }
    )


def income_frame(income: pd.DataFrame) -> pd.DataFrame:
    """Long frame for the income chart: year, series, value, dashed."""
    rows = []
    for column, key, dashed in (
        ("linked", "linked", False),
        ("unlinked", "unlinked", False),
        ("poverty_line", "line", True),
    ):
        rows += [
            {
                "year": int(year),
                "series": t(f"industry.series.{key}"),
                "value": float(value),
                "dashed": dashed,
            }
            for year, value in zip(income["year"], income[column], strict=True)
            if pd.notna(value)
        ]
    return pd.DataFrame(rows, columns=["year", "series", "value", "dashed"])


def trend_frame(trend: pd.DataFrame) -> pd.DataFrame:
    labels = dict(zip(STAGES, stage_labels(), strict=True))
    return pd.DataFrame(
        {
            "month": pd.to_datetime(trend["month"]),
            "stage": [labels[s] for s in trend["stage"]],
            "value": trend["moves"],
        }
    )
