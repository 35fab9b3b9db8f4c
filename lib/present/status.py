"""Red / amber / green as people see it: one palette and one set of words for every page, deck and
table, so a colour means the same everywhere (`lib.rules.targets` decides it).

A colour never stands alone: it comes with a word ("达标", "On target"), for readers who do not
tell red from green and for print in black and white.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from pandas.io.formats.style import Styler

from lib.core.i18n import format_share, t
from lib.rules.targets import AMBER, GREEN, NONE, RED, Target

# Marks on a white or dark background: bars, map classes, grid cells (ColorBrewer RdYlGn ends).
COLOURS = {GREEN: "#1a9850", AMBER: "#f39c12", RED: "#d73027", NONE: "#bdbdbd"}
# Cell backgrounds under dark text (contrast ≥ 7:1 with #1f2933).
TINTS = {GREEN: "#d4edda", AMBER: "#fde8c4", RED: "#f8d3cf", NONE: "#eceff1"}
CELL_TEXT = "#1f2933"
# st.badge's colour names
BADGES = {GREEN: "green", AMBER: "orange", RED: "red", NONE: "gray"}


def word(status: str) -> str:
    """The status in words: 达标 / 接近 / 落后 / 无数据 (On target / Close / Behind / No data)."""
    return t(f"status.{status}")


def target_text(target: Target) -> str:
    """The target in words: "目标 90.0%" (or "上限 2.0%" for a rate that must stay below it)."""
    key = "status.target" if target.higher_is_better else "status.limit"
    return t(key, target=format_share(target.target))


def caption(target: Target) -> str:
    """What the colours and the dashed line of a chart judged by `target` mean."""
    return t("status.caption", target=format_share(target.target), amber=format_share(target.amber_line))


def cell_style(status: str) -> str:
    return f"background-color: {TINTS.get(status, TINTS[NONE])}; color: {CELL_TEXT}"


def styled(frame: pd.DataFrame, statuses: Mapping[str, Sequence[str]]) -> pd.DataFrame | Styler:
    """`frame` with each column named in `statuses` tinted cell by cell by its status ("" for
    none); `frame` itself when no cell is tinted (Streamlit renders a Styler row by row on every
    run)."""
    if not any(any(column_statuses) for column_statuses in statuses.values()):
        return frame
    styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for column, column_statuses in statuses.items():
        styles[column] = [cell_style(status) if status else "" for status in column_statuses]
    return frame.style.apply(lambda _: styles, axis=None)


def legend() -> dict[str, str]:
    """Each status's word → its colour, in legend order (green first)."""
    return {word(judged): COLOURS[judged] for judged in (GREEN, AMBER, RED, NONE)}


def judge_values(frame: pd.DataFrame, rule: Target | None) -> pd.DataFrame:
    """`frame` (with a `value` column) with each row's status in words, when there is a rule."""
    if rule is None:
        return frame
    return frame.assign(status=[word(rule.status(value)) for value in frame["value"]])
