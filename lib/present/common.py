"""What every page's presentation shares: a KPI tile, names in the reader's language, the data's
"as of" date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from lib.core.i18n import localized


@dataclass(frozen=True)
class Tile:
    """A KPI tile: label, the figure, the counts behind it, and what it means."""

    label: str
    value: str
    detail: str | None = None
    help: str | None = None
    status: str | None = None  # red / amber / green against the measure's target, if it has one
    target: str | None = None  # the target in words ("目标 90.0%"), beside the counts
    change: str | None = None  # the change since an earlier date, starting with its sign
    change_since: str | None = None  # since when, in words
    trend: tuple[float, ...] = ()  # earlier values, oldest first, then now


def localized_column(frame: pd.DataFrame, prefix: str) -> list[str]:
    """`<prefix>_zh` / `<prefix>_en` of each row in the current language."""
    # tolist first: iterating an Arrow-backed string column item by item is several times slower
    pairs = zip(frame[f"{prefix}_zh"].tolist(), frame[f"{prefix}_en"].tolist(), strict=True)
    return [localized(zh, en) for zh, en in pairs]


def parse_as_of(value: str) -> dt.date:
    """The data's "as of" date from app_meta; today when the database does not say."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return dt.date.today()
