"""The village page's tiles, lines and tables, labelled in the current language.

Pure (no streamlit): `lib.queries.village_detail` and `village_measures` rows in, display-ready
text and DataFrames out, so pages/village.py only lays them out. Codes such as `poor` or
`land_rent` become their labels (`village.status.poor`, …); names pick the current language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lib.core.domain import NO_PLAN, SEARCH_MAX, STAGE_ORDER
from lib.core.figures import VisitSummary
from lib.core.i18n import format_count, format_share, localized, t
from lib.present.common import Tile, localized_column
from lib.present.markup import escape_markdown, t_md
from lib.rules.privacy import mask_name


@dataclass(frozen=True)
class Table:
    """A DataFrame to show and its column labels (keys are the frame's column names)."""

    frame: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)


def share(value: object) -> str:
    """`format_share` that also takes NaN (a share of nothing) as "—"."""
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return format_share(None)
    return format_share(float(value))  # type: ignore[arg-type]


def _labels(values: Iterable[Any], prefix: str) -> list[str]:
    return [t(f"{prefix}.{value}") if isinstance(value, str) and value else "" for value in values]


def stage_label(stage: str) -> str:
    return t("village.stage.none") if stage == NO_PLAN else t(f"stage.{stage}")


def _table(columns: Mapping[str, Any]) -> Table:
    """A Table whose column `name` is labelled `village.col.<name>`."""
    return Table(pd.DataFrame(dict(columns)), {name: t(f"village.col.{name}") for name in columns})


# --- header and tiles -------------------------------------------------------------------------


def picker_options(villages: pd.DataFrame) -> dict[str, str]:
    """`village_list` rows as {code: "village — town"}."""
    return {
        row.code: t(
            "village.picker_option",
            village=localized(row.name_zh, row.name_en),
            town=localized(row.town_name_zh, row.town_name_en),
        )
        for row in villages.itertuples()
    }


# Up to LIST_ALL_MAX villages a picker lists them all (a county has about 360); past that (a city,
# a province: tens of thousands, resent with every rerun) it lists the matches of a search.
LIST_ALL_MAX = 1_000
SEARCH_MATCHES = 50


def search_options(
    labels: Mapping[str, str], query: str, *, keep: str | None = None, limit: int | None = None
) -> tuple[list[str], int]:
    """The codes whose label or code contains every word of `query` (any case), at most `limit`
    (default SEARCH_MATCHES) of them in `labels`' order, with `keep` (the current choice) first if
    it is not among them; and how many matched in all. An empty query matches nothing; only the
    first SEARCH_MAX characters count (each word is compared with every name)."""
    limit = SEARCH_MATCHES if limit is None else limit
    words = list(dict.fromkeys(query[:SEARCH_MAX].casefold().split()))
    matched = []
    if words:
        for code, label in labels.items():
            text = f"{label} {code}".casefold()
            if all(word in text for word in words):
                matched.append(code)
    shown = matched[:limit]
    if keep is not None and keep in labels and keep not in shown:
        shown.insert(0, keep)
    return shown, len(matched)


def exit_status_text(village: Any) -> str:
    """ "Poor village, exited in 2019" / "…, exit due 2020" / "Not a registered poor village"."""
    status = str(village.exit_status)
    year = village.actual_exit_year if status == "exited" else village.planned_exit_year
    if status == "not_poor":
        return t("village.exit.not_poor")
    if year is None or pd.isna(year):
        return t("village.exit.due_no_year") if status == "due" else t("village.exit.not_poor")
    return t(f"village.exit.{status}", year=int(year))


def caption_line(village: Any, facts: Mapping[str, str]) -> str:
    """Town · code · poor-village status · data as of … as Markdown (the names escaped), with the
    demo badge on demo data."""
    parts = [
        localized(village.town_name_zh, village.town_name_en),
        t("village.code", code=village.village_code),
        exit_status_text(village),
    ]
    if facts.get("as_of"):
        parts.append(t("app.as_of", date=facts["as_of"]))
    badge = f":orange-badge[{t('app.demo_badge')}] " if facts.get("dataset") == "demo" else ""
    return badge + escape_markdown(" · ".join(parts))


def kpi_tiles(village: Any) -> list[Tile]:
    """Households, poverty incidence, plan coverage, stable income, verified (a `village_measures` row)."""
    return [
        Tile(
            t("kpi.households"),
            format_count(int(village.households)),
            t(
                "kpi.households_help",
                exited=format_count(int(village.households_exited)),
                poor=format_count(int(village.households_poor)),
                monitored=format_count(int(village.households_monitored)),
            ),
        ),
        Tile(
            t("village.kpi.incidence"),
            share(village.poverty_incidence),
            t(
                "village.kpi.incidence_detail",
                poor=format_count(int(village.people_poor)),
                population=format_count(int(village.population)),
            ),
            t("village.kpi.incidence_help"),
        ),
        Tile(
            t("kpi.plans"),
            share(village.plan_share),
            t(
                "kpi.plans_help",
                planned=format_count(int(village.labour_households_with_plan)),
                labour=format_count(int(village.households_with_labour)),
            ),
            t("kpi.plans_about", all_planned=format_count(int(village.households_with_plan))),
        ),
        Tile(
            t("village.kpi.stable"),
            share(village.stable_share),
            t(
                "kpi.stable_detail",
                stable=format_count(int(village.stage_stable)),
                planned=format_count(int(village.households_with_plan)),
            ),
            t("kpi.stable_help"),
        ),
        Tile(
            t("kpi.verified"),
            share(village.verified_share),
            t(
                "kpi.verified_help",
                verified=format_count(int(village.households_verified)),
                total=format_count(int(village.households)),
            ),
            t("kpi.verified_about"),
        ),
    ]


def visit_tiles(summary: VisitSummary) -> list[Tile]:
    """Visits (households visited, latest date), visits that found problems, satisfaction."""
    return [
        Tile(
            t("village.verify.visits"),
            format_count(summary.visits),
            t(
                "village.verify.visits_detail",
                visited=format_count(summary.households_visited),
                date=summary.last_visit or "—",
            ),
        ),
        Tile(
            t("village.verify.problems"),
            format_count(summary.visits_with_problems),
            t("village.verify.problems_detail", visits=format_count(summary.visits)),
        ),
        Tile(
            t("village.verify.satisfaction"),
            format_share(summary.satisfaction),
            t(
                "village.verify.satisfaction_detail",
                satisfied=format_count(summary.satisfied),
                answers=format_count(summary.satisfaction_answers),
            ),
            t("village.verify.satisfaction_help"),
        ),
    ]


# --- work team --------------------------------------------------------------------------------


def secretary_lines(team: pd.DataFrame) -> list[str]:
    """One markdown line per serving first secretary: name, unit, since, then trained/tour badges."""
    lines = []
    serving = team[team["serving"] & (team["role"] == "first_secretary")]
    for row in serving.itertuples():
        unit = localized(row.unit_zh, row.unit_en) or "—"
        lines.append(t_md("village.team.secretary", name=row.name, unit=unit, start=row.start_date))
        marks = [
            f":green-badge[{t('village.team.trained')}]"
            if row.trained
            else f":red-badge[{t('village.team.not_trained')}]"
        ]
        if row.study_tour:
            marks.append(f":blue-badge[{t('village.team.toured')}]")
        lines.append(" ".join(marks))
    return lines


def team_table(team: pd.DataFrame, *, serving: bool) -> Table:
    """The serving team (serving=True) or the earlier postings, with trained and study-tour marks."""
    rows = team[team["serving"] == serving]
    columns: dict[str, Any] = {
        "name": rows["name"],
        "role": _labels(rows["role"], "village.role"),
        "unit": localized_column(rows, "unit"),
        "start": rows["start_date"],
        "end": rows["end_date"],
        "trained": rows["trained"],
        "study_tour": rows["study_tour"],
    }
    if serving:
        del columns["end"]
    return _table({k: list(v) for k, v in columns.items()})


# --- industries -------------------------------------------------------------------------------


def top_industries_table(top: pd.DataFrame) -> Table:
    """Industry (★ marks the village's signature industry), households, share (in percent, for a
    progress bar)."""
    names = localized_column(top, "industry")
    columns = {
        "industry": [
            f"{name} ★" if mark else name for name, mark in zip(names, top["signature"], strict=True)
        ],
        "households": list(top["households"]),
        "share": list(top["share"] * 100),
    }
    return _table(columns)


def plans_table(plans: pd.DataFrame) -> Table:
    """One row per plan; the partner column only when some plan has a partner."""
    columns = {
        "archive_no": list(plans["archive_no"]),
        "industry": localized_column(plans, "industry"),
        "category": _labels(plans["category"], "village.category"),
        "stage": [stage_label(stage) for stage in plans["stage"]],
        "stage_since": list(plans["stage_since"]),
        "partner": localized_column(plans, "partner"),
        "expected_income": list(plans["expected_income"]),
        "actual_income": list(plans["actual_income"]),
    }
    if not any(columns["partner"]):
        del columns["partner"]
    return _table(columns)


def links_table(links: pd.DataFrame) -> Table:
    columns = {
        "organisation": localized_column(links, "name"),
        "kind": _labels(links["kind"], "village.kind"),
        "benefit": _labels(links["benefit_type"], "village.benefit"),
        "linked": list(links["households"]),
        "amount": list(links["amount"]),
    }
    return _table(columns)


# --- households and visits --------------------------------------------------------------------


def status_stage_table(grid: pd.DataFrame) -> Table:
    """`status_by_stage` with status labels; columns labelled by stage."""
    frame = grid.assign(status=_labels(grid["status"], "village.status"))
    labels = {"status": t("village.col.status"), **{s: stage_label(s) for s in STAGE_ORDER}}
    return Table(frame, {**labels, "total": t("village.col.total")})


def households_table(homes: pd.DataFrame, *, show_names: bool) -> Table:
    """The register; heads' names masked unless `show_names`."""
    heads = homes["head_name"] if show_names else homes["head_name"].map(mask_name)
    columns = {
        "archive_no": list(homes["archive_no"]),
        "head": list(heads),
        "members": list(homes["members"]),
        "labour": list(homes["labour_count"]),
        "status": _labels(homes["status"], "village.status"),
        "cause": _labels(homes["primary_cause"], "village.cause"),
        "housing": list(homes["housing_grade"]),
        "stage": [stage_label(stage) for stage in homes["stage"]],
        "verified": list(homes["verified"]),
        "last_visit": [day.isoformat() if isinstance(day, dt.date) else "" for day in homes["last_visit"]],
    }
    return _table(columns)


def visits_table(visits: pd.DataFrame) -> Table:
    columns = {
        "visited_on": list(visits["visited_on"]),
        "archive_no": list(visits["archive_no"]),
        "visitor": list(visits["visitor_name"]),
        "ledger_verified": list(visits["ledger_verified"]),
        "problems": [value if isinstance(value, str) else "" for value in visits["problems"]],
        "satisfied": list(visits["satisfied"]),
    }
    return _table(columns)
