"""The Overview's key figures in the current language: the page's tiles and the deck's bullets.

Every share tile says its counts in the same unit as the share, part first ("9 of 10
households"), and is judged against its target by the one rule of `lib.rules.targets`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import pandas as pd

from lib.core.figures import OverviewTotals
from lib.core.i18n import format_count, format_share, t
from lib.present import changes, charts, status
from lib.present.changes import default_comparison as default_comparison  # app.py calls it here
from lib.present.common import Tile, localized_column
from lib.rules import targets
from lib.rules.targets import Target


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    detail: str
    about: str | None = None  # the tile's help text
    status: str | None = None  # red / amber / green against its target, for shares
    target: str | None = None  # the target in words ("目标 90.0%"), beside the counts
    change: str | None = None  # the change since an earlier snapshot: "+2.3 pts"
    change_since: str | None = None  # since when: "since 30 Sep 2020"
    trend: tuple[float, ...] = ()  # the share at each snapshot, oldest first, then now

    def tile(self) -> Tile:
        return Tile(
            self.label,
            self.value,
            self.detail,
            self.about,
            status=self.status,
            target=self.target,
            change=self.change,
            change_since=self.change_since,
            trend=self.trend,
        )


def _judged(rules: Mapping[str, Target], measure: str, share: float | None) -> dict[str, Any]:
    rule = rules[measure]
    judged = rule.status(share)
    return {"status": judged, "target": status.target_text(rule)}


TILE_MEASURES = {
    "exited": "exited_share",
    "training": "training_share",
    "plans": "plan_share",
    "verified": "verified_share",
    "stable": "stable_share",
}


def with_changes(
    figures: dict[str, KeyFigure],
    totals: OverviewTotals,
    *,
    before: tuple[dt.date, Mapping[str, tuple[int, int]]] | None,
    series: pd.DataFrame | None = None,
) -> dict[str, KeyFigure]:
    """`figures` with each share's change since the snapshot `before` (its date and each measure's
    part and whole) and its trend over `series` (`lib.queries.snapshots.series`) and now."""
    changed = dict(figures)
    for key, measure in TILE_MEASURES.items():
        now = totals.measure(measure)
        fields = changes.change_fields(measure, now, before=before, series=series)
        changed[key] = dataclasses.replace(figures[key], **fields)
    return changed


def key_figures(totals: OverviewTotals, *, rules: Mapping[str, Target] | None = None) -> dict[str, KeyFigure]:
    """Villages, households, exited, training, plans, verified and stable income, by key."""
    rules = rules if rules is not None else targets.share_targets()
    people_share = totals.share("people_exited", "people")
    return {
        "villages": KeyFigure(
            t("kpi.villages"),
            format_count(totals["villages"]),
            t(
                "kpi.villages_help",
                poor=format_count(totals["poor_villages"]),
                exited=format_count(totals["poor_villages_exited"]),
            ),
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
                "kpi.exited_detail",
                exited=format_count(totals["households_exited"]),
                households=format_count(totals["households"]),
            ),
            t(
                "kpi.exited_about",
                share=format_share(people_share),
                exited=format_count(totals["people_exited"]),
                people=format_count(totals["people"]),
                monitored=format_count(totals["households_monitored"]),
            ),
            **_judged(rules, targets.EXITED, totals.exited_share),
        ),
        "training": KeyFigure(
            t("kpi.training"),
            format_share(totals.training_share),
            t(
                "kpi.training_help",
                trained=format_count(totals["secretaries_trained"]),
                serving=format_count(totals["secretaries_serving"]),
            ),
            t("kpi.training_about"),
            **_judged(rules, targets.TRAINING, totals.training_share),
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
            **_judged(rules, targets.PLANS, totals.plan_share),
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
            **_judged(rules, targets.VERIFIED, totals.verified_share),
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
            **_judged(rules, targets.STABLE, totals.stable_share),
        ),
    }


def due_table(due: pd.DataFrame, *, lang: str) -> pd.DataFrame:
    """The villages still to exit as the Overview lists them (`lib.queries.villages.due_villages`):
    overdue (in words), village, town, planned year, incidence and verified share (in percent),
    poor households and a link to the village's page."""
    return pd.DataFrame(
        {
            "overdue": [t("overview.overdue_years", n=int(n)) if n > 0 else "" for n in due["years_overdue"]],
            "village": localized_column(due, "name"),
            "town": localized_column(due, "town_name"),
            "planned": due["planned_exit_year"],
            "incidence": due["poverty_incidence"] * 100,
            "households_poor": due["households_poor"],
            "verified": due["verified_share"] * 100,
            "page": [f"/village?code={code}&lang={lang}" for code in due["village_code"]],
        }
    )


def overdue_statuses(table: pd.DataFrame) -> list[str]:
    """Red for an overdue village's cell, nothing for the others."""
    return [targets.RED if text else "" for text in table["overdue"]]


RankLevel = Literal["town", "village"]


@dataclass(frozen=True)
class Ranking:
    """The Overview's ranking of towns (or, in one town's overview, of its villages)."""

    chart: alt.LayerChart
    table: pd.DataFrame  # rank, place, link, the shares in percent, villages (towns only), households
    codes: list[str]  # each table row's town or village code
    share_columns: list[str]  # the measure ranked by first


def ranking(
    ranked: pd.DataFrame,
    *,
    level: RankLevel,
    measure: str,
    measure_label: str,
    shares: list[str],
    worst_first: bool,
    rules: Mapping[str, Target],
    lang: str,
    most: int | None = None,
) -> Ranking:
    """Bars of `measure` per place, clickable (their `code`), coloured by its target when it has
    one, and the table of the `shares`: `ranked` is `overview.rank_towns` of towns or villages."""
    code = f"{level}_code"
    names = localized_column(ranked, "name")
    rule = rules.get(measure)
    bars = status.judge_values(
        pd.DataFrame({"town": names, "value": ranked[measure], "code": ranked[code]}).dropna(), rule
    )
    chart = charts.ranking_bars(
        bars,
        value_title=measure_label,
        town_title=t(f"col.{level}"),
        target=rule.target if rule else None,
        colours=status.legend(),
        worst_first=worst_first,
        pick=charts.PICK,
        most=most,
    )
    share_columns = [measure, *(c for c in shares if c != measure)]
    link = (
        [f"/map?town={c}&lang={lang}" for c in ranked[code]]
        if level == "town"
        else [f"/village?code={c}&lang={lang}" for c in ranked[code]]
    )
    table = pd.DataFrame(
        {
            "rank": ranked["rank"],
            "place": names,
            "link": link,
            **{column: ranked[column] * 100 for column in share_columns},
            **({"villages": ranked["villages"]} if level == "town" else {}),
            "households": ranked["households"],
        }
    )
    return Ranking(chart, table, [str(c) for c in ranked[code]], share_columns)
