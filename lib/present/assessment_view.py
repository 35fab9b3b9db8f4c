"""What the assessment page shows, in the current language: tiles, tables, the status grid.

Pure (no streamlit, no SQL): it turns `lib.rules.assessment` and `lib.queries.assessment` results into
labelled pieces so pages/assessment.py only lays them out. Heads' names are masked unless
the viewer may see them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import altair as alt
import pandas as pd
from pandas.io.formats.style import Styler

from lib.core.i18n import format_count, format_share, get_language, localized, t
from lib.present import changes, charts, status
from lib.present.common import Tile, localized_column
from lib.present.markup import escape_markdown
from lib.rules import assessment, privacy, targets
from lib.rules.assessment import CHECK_FAMILIES, CHECK_KEYS, COUNT_COLUMNS, MEASURES, RATES, Thresholds

COLOURS = status.COLOURS
SEVERITY = targets.SEVERITY


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def status_text(readiness: str) -> str:
    """A town's or village's readiness in words (its cell is tinted in its colour)."""
    return t(f"assessment.status.{readiness}")


def total_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """One row adding up `readiness_counts` over its towns (for the tiles)."""
    return pd.DataFrame([{column: int(counts[column].sum()) for column in COUNT_COLUMNS}])


def intro(thresholds: Thresholds) -> str:
    return t(
        "assessment.intro",
        wrong=format_share(thresholds.max_wrong_exit),
        missed=format_share(thresholds.max_missed),
        satisfaction=format_share(thresholds.min_satisfaction),
    )


def tiles(
    total: Mapping[str, Any],
    towns: pd.DataFrame,
    thresholds: Thresholds,
    comparison: changes.Comparison | None = None,
) -> list[Tile]:
    """Towns ready, then the four measures for the whole selection with the counts behind them;
    the verified share with its change since `comparison`'s date and its line (the other three
    are not kept month by month)."""
    statuses = towns.loc[towns["households"] > 0, "readiness"].value_counts()

    def help_text(measure: str) -> str:
        return status_text(str(total[f"{measure}_status"]))

    return [
        Tile(
            t("assessment.kpi.ready"),
            f"{int(statuses.get(assessment.GREEN, 0))} / {int(statuses.sum())}",
            t(
                "assessment.kpi.ready_detail",
                green=format_count(int(statuses.get(assessment.GREEN, 0))),
                amber=format_count(int(statuses.get(assessment.AMBER, 0))),
                red=format_count(int(statuses.get(assessment.RED, 0))),
            ),
        ),
        changes.with_change(
            Tile(
                t("assessment.kpi.verified"),
                format_share(_number(total["verified_share"])),
                t(
                    "assessment.kpi.verified_detail",
                    verified=format_count(int(total["verified_current"])),
                    total=format_count(int(total["households"])),
                    months=thresholds.verified_within_months,
                    target=format_share(thresholds.verified_target),
                ),
                help_text("verified_share"),
            ),
            assessment.VERIFIED,
            _number(total["verified_share"]),
            comparison,
        ),
        Tile(
            t("assessment.kpi.wrong_exit"),
            format_share(_number(total["wrong_exit_rate"])),
            t(
                "assessment.kpi.wrong_exit_detail",
                wrong=format_count(int(total["wrong_exits"])),
                exited=format_count(int(total["exited"])),
                limit=format_share(thresholds.max_wrong_exit),
            ),
            help_text("wrong_exit_rate"),
        ),
        Tile(
            t("assessment.kpi.missed"),
            format_share(_number(total["missed_rate"])),
            t(
                "assessment.kpi.missed_detail",
                found=format_count(int(total["found_need"])),
                visited=format_count(int(total["visited"])),
                limit=format_share(thresholds.max_missed),
            ),
            help_text("missed_rate"),
        ),
        Tile(
            t("assessment.kpi.satisfaction"),
            format_share(_number(total["satisfaction"])),
            t(
                "assessment.kpi.satisfaction_detail",
                satisfied=format_count(int(total["satisfied"])),
                answered=format_count(int(total["answered"])),
                limit=format_share(thresholds.min_satisfaction),
            ),
            help_text("satisfaction"),
        ),
    ]


def reasons(row: Mapping[str, Any], thresholds: Thresholds) -> str:
    """Why a town or village is not green, in words (worst first); "ready" when it is."""
    if int(row["households"]) == 0:
        return t("assessment.reason.no_households")
    found = assessment.attention(row)
    if not found:
        return t("assessment.reason.ready")
    parts = [
        t(
            f"assessment.reason.{measure}.{status}",
            value=format_share(_number(row[measure])),
            limit=format_share(thresholds.limit(measure)),
        )
        for measure, status in found
    ]
    return ("；" if get_language() == "zh" else "; ").join(parts)


def failing_lines(ready: pd.DataFrame, thresholds: Thresholds) -> list[str]:
    """One markdown line per town (or village) that would fail: its name (escaped) and why."""
    failing = ready[ready["readiness"] == assessment.RED]
    return [
        f":red[**{escape_markdown(localized(row['name_zh'], row['name_en']))}**]"
        f"{'：' if get_language() == 'zh' else ': '}{reasons(row, thresholds)}"
        for row in failing.to_dict("records")
    ]


def _cell(value: Any, measure_status: str) -> str:
    return f"{format_share(_number(value))} · {status.word(measure_status)}"


def _by_severity(ready: pd.DataFrame, code: str) -> pd.DataFrame:
    order = ready["readiness"].map(SEVERITY)
    return ready.assign(_order=order).sort_values(["_order", code]).drop(columns="_order")


def _tinted(frame: pd.DataFrame, shown: pd.DataFrame, measures: Iterable[str]) -> Styler:
    """`frame` (one row per row of `shown`) with its readiness and measure cells tinted by status."""
    statuses = {t("assessment.col.readiness"): shown["readiness"].tolist()}
    statuses.update({t(f"assessment.measure.{m}"): shown[f"{m}_status"].tolist() for m in measures})
    tinted = status.styled(frame, statuses)
    return tinted if isinstance(tinted, Styler) else tinted.style


def town_table(ready: pd.DataFrame, thresholds: Thresholds, *, with_reasons: bool = True) -> Styler:
    """Towns, those that would fail first: overall status, why (unless `with_reasons` is False: the
    projector lists the reasons above, and the table must fit its width), the four measures,
    issues; each status cell tinted in its colour."""
    shown = _by_severity(ready, "town_code")
    why = [reasons(row, thresholds) for row in shown.to_dict("records")] if with_reasons else None
    frame = pd.DataFrame(
        {
            t("assessment.col.town"): localized_column(shown, "name"),
            t("assessment.col.readiness"): [status_text(s) for s in shown["readiness"]],
            **({t("assessment.col.reasons"): why} if why is not None else {}),
            t("assessment.col.households"): shown["households"],
            t("assessment.col.with_issues"): shown["with_issues"],
            **_measure_cells(shown),
        }
    )
    return _tinted(frame, shown, MEASURES)


def _measure_cells(shown: pd.DataFrame) -> dict[str, list[str]]:
    return {
        t(f"assessment.measure.{m}"): [
            _cell(v, s) for v, s in zip(shown[m], shown[f"{m}_status"], strict=True)
        ]
        for m in MEASURES
    }


def village_table(ready: pd.DataFrame, thresholds: Thresholds, *, attention_only: bool) -> Styler:
    """Villages, those that would fail first (only those not green, if asked), status cells tinted."""
    shown = ready[ready["households"] > 0]
    if attention_only:
        shown = shown[shown["readiness"] != assessment.GREEN]
    shown = _by_severity(shown, "village_code")
    frame = pd.DataFrame(
        {
            t("assessment.col.village"): localized_column(shown, "name"),
            t("assessment.col.town"): localized_column(shown, "town_name"),
            t("assessment.col.readiness"): [status_text(s) for s in shown["readiness"]],
            t("assessment.col.reasons"): [reasons(row, thresholds) for row in shown.to_dict("records")],
            **_measure_cells(shown),
            t("assessment.col.households"): shown["households"],
            t("assessment.col.with_issues"): shown["with_issues"],
        }
    )
    return _tinted(frame, shown, MEASURES)


GRID_TITLE_ABOVE = 30  # clear of the measures' names on the top axis
GRID_TOWNS = 40  # a city's 250 or a province's 2,000 towns would make a grid nobody can read


def grid_towns(ready: pd.DataFrame) -> int:
    """How many towns the status grid can show (those with households)."""
    return int((ready["households"] > 0).sum())


def grid_frame(ready: pd.DataFrame, *, limit: int = GRID_TOWNS) -> pd.DataFrame:
    """Long frame for the status grid: town, measure, status (label), colour, text, order; the
    `limit` towns nearest to failing."""
    shown = _by_severity(ready[ready["households"] > 0], "town_code").head(limit)
    rows = []
    for order, row in enumerate(shown.to_dict("records")):
        town = localized(row["name_zh"], row["name_en"])
        for measure in (*MEASURES, "readiness"):
            status = str(row["readiness"] if measure == "readiness" else row[f"{measure}_status"])
            text = (
                t(f"assessment.status.{status}")
                if measure == "readiness"
                else format_share(_number(row[measure]))
            )
            rows.append(
                {
                    "town": town,
                    "measure": t(f"assessment.measure.{measure}"),
                    "status": t(f"assessment.status.{status}"),
                    "colour": COLOURS[status],
                    "text": text,
                    "order": order,
                }
            )
    return pd.DataFrame(rows, columns=["town", "measure", "status", "colour", "text", "order"])


def status_grid(frame: pd.DataFrame, *, town_title: str) -> alt.LayerChart:
    """Towns × measures, each cell coloured red / amber / green with its value written in."""
    towns = list(dict.fromkeys(frame["town"]))
    measures = [t(f"assessment.measure.{m}") for m in (*MEASURES, "readiness")]
    base = alt.Chart().encode(
        x=alt.X(
            "measure:N",
            sort=measures,
            title=None,
            axis=alt.Axis(orient="top", labelAngle=0, labelOverlap=False),
        ),
        y=alt.Y(
            "town:N", sort=towns, title=town_title, axis=charts.y_axis(above=GRID_TITLE_ABOVE, labelLimit=160)
        ),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("colour:N", scale=None, legend=None),
        tooltip=[
            alt.Tooltip("town:N", title=town_title),
            alt.Tooltip("measure:N"),
            alt.Tooltip("text:N"),
            alt.Tooltip("status:N"),
        ],
    )
    labels = base.mark_text(fontSize=12, color="#1f2933").encode(text=alt.Text("text:N"))
    return alt.LayerChart(data=frame, layer=[cells, labels]).properties(height=alt.Step(26))


# --- data issues -------------------------------------------------------------------------------


def check_summary(total: Mapping[str, Any], thresholds: Thresholds) -> pd.DataFrame:
    """Every check with its kind, what it means and how many households it finds."""
    return pd.DataFrame(
        {
            t("assessment.col.check"): [t(f"assessment.check.{key}") for key in CHECK_KEYS],
            t("assessment.col.family"): [
                t(f"assessment.family.{family}") for family in CHECK_FAMILIES.values()
            ],
            t("assessment.col.households"): [int(total[key]) for key in CHECK_KEYS],
            t("assessment.col.explanation"): [
                t(f"assessment.explain.{key}", months=thresholds.verified_within_months) for key in CHECK_KEYS
            ],
        }
    )


def check_options() -> dict[str, str]:
    """The issue filter's choices: "" for all checks, then each check by key."""
    return {"": t("assessment.issue_filter.all"), **{key: t(f"assessment.check.{key}") for key in CHECK_KEYS}}


def issue_total(total: Mapping[str, Any], check: str) -> int:
    """How many households the issue list holds for `check` ("" = any check): the readiness
    counts' figure, so the list's length costs no second pass over the facts."""
    return int(total[check or "with_issues"])


def _heads(names: Iterable[Any], show: bool) -> list[str]:
    return [str(n) if show else privacy.mask_name(str(n)) for n in names]


def issue_table(issues: pd.DataFrame, *, show_names: bool) -> pd.DataFrame:
    """Households with issues: who, where, latest income and visit, and every check they trip."""
    separator = "、" if get_language() == "zh" else "; "
    labels = [t(f"assessment.check.{key}") for key in CHECK_KEYS]
    # Row-wise over a plain boolean matrix (iterrows took ~3 s for a city's ~100k households).
    flags = issues[CHECK_KEYS].to_numpy(dtype=bool) if len(issues) else []
    statuses = {status: t(f"village.status.{status}") for status in set(issues["status"])}
    return pd.DataFrame(
        {
            t("assessment.col.town"): localized_column(issues, "town_name"),
            t("assessment.col.village"): localized_column(issues, "village_name"),
            t("assessment.col.archive"): issues["archive_no"],
            t("assessment.col.head"): _heads(issues["head_name"], show_names),
            t("assessment.col.status"): [statuses[s] for s in issues["status"]],
            t("assessment.col.members"): issues["members"],
            t("assessment.col.income_year"): issues["income_year"],
            t("assessment.col.income"): issues["income"],
            t("assessment.col.last_visit"): issues["last_visit_on"],
            t("assessment.col.issues"): [
                separator.join(label for label, on in zip(labels, row, strict=True) if on) for row in flags
            ],
        }
    )


# --- the mock assessment -----------------------------------------------------------------------


def _yes_no(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return t("assessment.yes") if bool(value) else t("assessment.no")


def visit_list(sample: pd.DataFrame, *, show_names: bool) -> pd.DataFrame:
    """The drawn households for the work teams, with the mock visit's answers (blank until visited)."""
    return pd.DataFrame(
        {
            t("assessment.col.town"): localized_column(sample, "town_name"),
            t("assessment.col.village"): localized_column(sample, "village_name"),
            t("assessment.col.archive"): sample["archive_no"],
            t("assessment.col.head"): _heads(sample["head_name"], show_names),
            t("assessment.col.status"): [t(f"village.status.{s}") for s in sample["status"]],
            t("assessment.col.members"): sample["members"],
            t("assessment.col.helper"): sample["helper_name"].fillna(""),
            t("assessment.col.last_verified"): sample["last_verified_on"],
            t("assessment.col.visited_on"): sample["mock_visited_on"],
            t("assessment.col.ledger_verified"): [_yes_no(v) for v in sample["mock_ledger_verified"]],
            t("assessment.col.satisfied"): [_yes_no(v) for v in sample["mock_satisfied"]],
            t("assessment.col.found_need"): [_yes_no(v) for v in sample["mock_found_need"]],
            t("assessment.col.problems"): sample["mock_problems"].fillna(""),
        }
    )


def _estimate_cell(row: Mapping[str, Any], measure: str) -> str:
    if str(row[f"{measure}_status"]) == assessment.NONE:
        return t("assessment.mock.not_visited")
    return (
        f"{format_share(_number(row[measure]))} "
        f"({format_share(_number(row[f'{measure}_low']))}–{format_share(_number(row[f'{measure}_high']))}; "
        f"n={int(row[f'{measure}_n'])}) · {status.word(str(row[f'{measure}_status']))}"
    )


def estimates_table(estimates: pd.DataFrame, town_names: Mapping[str, str]) -> Styler:
    """All selected towns first, then each town: drawn, visited, each rate with its interval, overall."""
    estimates = pd.concat([estimates.iloc[[-1]], estimates.iloc[:-1]])
    frame = pd.DataFrame(
        {
            t("assessment.col.town"): [
                town_names.get(code, code) if code else t("assessment.mock.all_towns")
                for code in estimates["town_code"]
            ],
            t("assessment.col.drawn"): estimates["drawn"],
            t("assessment.col.visited"): estimates["visited"],
            **{
                t(f"assessment.measure.{m}"): [_estimate_cell(row, m) for row in estimates.to_dict("records")]
                for m in RATES
            },
            t("assessment.col.readiness"): [status_text(s) for s in estimates["readiness"]],
        }
    )
    return _tinted(frame, estimates, RATES)


def method_text(thresholds: Thresholds) -> str:
    return t(
        "assessment.method.body",
        wrong=format_share(thresholds.max_wrong_exit),
        wrong_warn=format_share(thresholds.warning_line("wrong_exit_rate")),
        missed=format_share(thresholds.max_missed),
        missed_warn=format_share(thresholds.warning_line("missed_rate")),
        satisfaction=format_share(thresholds.min_satisfaction),
        satisfaction_warn=format_share(thresholds.warning_line("satisfaction")),
        months=thresholds.verified_within_months,
        target=format_share(thresholds.verified_target),
        target_warn=format_share(thresholds.warning_line("verified_share")),
    )
