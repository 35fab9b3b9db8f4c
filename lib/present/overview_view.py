"""The Overview's key figures in the current language: the page's tiles and the deck's bullets."""

from __future__ import annotations

from dataclasses import dataclass

from lib.core.figures import OverviewTotals
from lib.core.i18n import format_count, format_share, t


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    detail: str
    about: str | None = None  # the tile's help text


def key_figures(totals: OverviewTotals) -> dict[str, KeyFigure]:
    """Villages, households, exited, training, plans, verified and stable income, by key."""
    return {
        "villages": KeyFigure(
            t("kpi.villages"),
            format_count(totals["villages"]),
            t("kpi.villages_help", poor=totals["poor_villages"], exited=totals["poor_villages_exited"]),
        ),
        "households": KeyFigure(
            t("kpi.households"),
            format_count(totals["households"]),
            t(
                "kpi.households_help",
                exited=format_count(totals["households_exited"]),
                poor=format_count(totals["households_poor"]),
                monitored=format_count(totals["households_monitored"]),
            ),
        ),
        "exited": KeyFigure(
            t("kpi.exited_share"),
            format_share(totals.exited_share),
            t(
                "kpi.people_help",
                exited=format_count(totals["people_exited"]),
                people=format_count(totals["people"]),
            ),
        ),
        "training": KeyFigure(
            t("kpi.training"),
            format_share(totals.training_share),
            t(
                "kpi.training_help",
                trained=totals["secretaries_trained"],
                serving=totals["secretaries_serving"],
            ),
            t("kpi.training_about"),
        ),
        "plans": KeyFigure(
            t("kpi.plans"),
            format_share(totals.plan_share),
            t(
                "kpi.plans_help",
                planned=format_count(totals["labour_households_with_plan"]),
                labour=format_count(totals["households_with_labour"]),
            ),
            t("kpi.plans_about", all_planned=format_count(totals["households_with_plan"])),
        ),
        "verified": KeyFigure(
            t("kpi.verified"),
            format_share(totals.verified_share),
            t(
                "kpi.verified_help",
                verified=format_count(totals["households_verified"]),
                total=format_count(totals["households"]),
            ),
            t("kpi.verified_about"),
        ),
        "stable": KeyFigure(
            t("kpi.stable"),
            format_share(totals.stable_share),
            t(
                "kpi.stable_detail",
                stable=format_count(totals["stage_stable"]),
                planned=format_count(totals["households_with_plan"]),
            ),
            t("kpi.stable_help"),
        ),
    }
