"""DataFrame → Altair chart. Pure: labels come in already translated."""

from __future__ import annotations

import altair as alt
import pandas as pd

STAGE_COLOURS = ["#c6dbef", "#6baed6", "#2171b5", "#08306b"]


def stage_bars(frame: pd.DataFrame, *, x_title: str, y_title: str) -> alt.Chart:
    """Horizontal bars of households per stage, in stage order; `frame` has label, households."""
    order = list(frame["label"])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=order, title=y_title),
            x=alt.X("households:Q", title=x_title, axis=alt.Axis(format=",d", tickMinStep=1)),
            color=alt.Color("label:N", sort=order, scale=alt.Scale(range=STAGE_COLOURS), legend=None),
            tooltip=[
                alt.Tooltip("label:N", title=y_title),
                alt.Tooltip("households:Q", title=x_title, format=","),
            ],
        )
        .properties(height=alt.Step(34))
    )


def ranking_bars(frame: pd.DataFrame, *, value_title: str, town_title: str) -> alt.Chart:
    """Towns as bars sorted by `value` (a share 0–1), best first; `frame` has town, value."""
    return (
        alt.Chart(frame)
        .mark_bar(color="#2171b5")
        .encode(
            y=alt.Y("town:N", sort="-x", title=town_title, axis=alt.Axis(labelOverlap=False, labelLimit=160)),
            x=alt.X("value:Q", title=value_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=[
                alt.Tooltip("town:N", title=town_title),
                alt.Tooltip("value:Q", title=value_title, format=".1%"),
            ],
        )
        .properties(height=alt.Step(20))
    )
