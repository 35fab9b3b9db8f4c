"""Change since an earlier date, and each measure month by month, from the key figures kept at
each month end and each meeting deck (`lib.queries.snapshots`): what every page's share tiles and
trend charts show. Pure (no streamlit, no SQL).

Only the shares of `lib.core.figures.SHARE_PARTS` are kept; a tile of any other figure has no
earlier value to compare with and shows none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd

from lib.core.i18n import format_date, t
from lib.present import status
from lib.rules.targets import Target

MONTH_COLUMNS = ["date", "value", "status", "kept"]


@dataclass(frozen=True)
class Comparison:
    """What a page compares its tiles with: `before`, the kept figures on or before the chosen
    date (that snapshot's date and each measure's part and whole; None when no date is chosen or
    none is kept that early), and `series`, every kept snapshot's shares
    (`lib.queries.snapshots.series`) for the selected towns."""

    before: tuple[dt.date, Mapping[str, tuple[int, int]]] | None
    series: pd.DataFrame


def default_comparison(dates: list[dt.date], as_of: dt.date) -> dt.date | None:
    """The snapshot to compare with unless the reader picks one: the latest at or before the end
    of the month before `as_of` ("since the last month end"), else the latest before `as_of`."""
    month_end = as_of.replace(day=1) - dt.timedelta(days=1)
    for limit in (month_end, as_of - dt.timedelta(days=1)):
        earlier = [day for day in dates if day <= limit]
        if earlier:
            return max(earlier)
    return None


def change_text(now: float | None, before: tuple[int, int] | None) -> str | None:
    """The change in percentage points, sign first: "+2.3 pts" ("+2.3 百分点"); None without both
    shares."""
    if now is None or before is None or before[1] == 0:
        return None
    points = (now - before[0] / before[1]) * 100
    return t("change.points", points=f"{points:+.1f}")


def trend(series: pd.DataFrame | None, measure: str, now: float | None) -> tuple[float, ...]:
    """The measure's kept shares, oldest first, then `now`: a tile's line (empty unless it has
    two points or more)."""
    if series is None or series.empty:
        return ()
    shares = series.loc[series["measure"] == measure, "share"].dropna().tolist()
    values = tuple(float(share) for share in [*shares, *([now] if now is not None else [])])
    return values if len(values) > 1 else ()


def change_fields(
    measure: str,
    now: float | None,
    *,
    before: tuple[dt.date, Mapping[str, tuple[int, int]]] | None,
    series: pd.DataFrame | None,
) -> dict[str, Any]:
    """A tile's change, change_since and trend for `measure`, whose share is `now`."""
    change = change_text(now, before[1].get(measure)) if before else None
    return {
        "change": change,
        "change_since": t("change.since", date=format_date(before[0])) if change and before else None,
        "trend": trend(series, measure, now),
    }


Shown = TypeVar("Shown")


def with_change(shown: Shown, measure: str, now: float | None, comparison: Comparison | None) -> Shown:
    """`shown` (a Tile or any dataclass with change, change_since and trend) with the change of
    `measure` since `comparison`'s date and its line; unchanged without a comparison."""
    if comparison is None:
        return shown
    fields = change_fields(measure, now, before=comparison.before, series=comparison.series)
    return dataclasses.replace(shown, **fields)  # type: ignore[type-var]


def month_frame(
    series: pd.DataFrame, measure: str, *, now: float | None, as_of: dt.date, rule: Target | None
) -> pd.DataFrame:
    """The trend chart's points for `measure`: each kept share before `as_of`, then `now` on
    `as_of` (a snapshot kept on that day gives way to the figure as it is now). Columns: date
    (datetime), value (share), status (in words, "" without a rule), kept (True for a kept
    figure, False for today's)."""
    kept = series[(series["measure"] == measure) & (series["taken_on"] < as_of)].dropna(subset=["share"])
    dates = [*kept["taken_on"].tolist(), *([as_of] if now is not None else [])]
    values = [float(share) for share in kept["share"]] + ([now] if now is not None else [])
    return pd.DataFrame(
        {
            "date": pd.to_datetime(pd.Series(dates, dtype="object")),
            "value": pd.Series(values, dtype="float64"),
            "status": [status.word(rule.status(value)) if rule else "" for value in values],
            "kept": [True] * len(kept) + ([False] if now is not None else []),
        },
        columns=MONTH_COLUMNS,
    )
