"""Time axes in the reader's language: Vega-Lite prints English month names ("March", "Mon 07")
unless an axis says its format, so every date axis and date tooltip carries one."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from lib.core.i18n import set_language
from lib.present import charts

FORMATS = {"zh": ("%Y年%-m月", "%Y年%-m月%-d日"), "en": ("%b %Y", "%-d %b %Y")}


def _charts() -> dict[str, Any]:
    day = pd.Timestamp(dt.date(2020, 3, 5))
    return {
        "month": charts.month_trend(
            pd.DataFrame({"date": [day], "value": [0.5], "status": ["Close"]}),
            value_title="v",
            date_title="d",
        ),
        "trend": charts.trend_line(
            pd.DataFrame({"date": [day], "value": [0.5]}), target=None, value_title="v", date_title="d"
        ),
        "timeline": charts.timeline(
            pd.DataFrame({"label": ["a"], "start": [day], "end": [day], "kind": ["k"], "detail": ["x"]}),
            kind_title="k",
            date_title="d",
        ),
        "monthly": charts.monthly_bars(
            pd.DataFrame({"month": [day], "stage": ["planned"], "value": [1]}),
            stage_order=["planned"],
            x_title="m",
            y_title="n",
            legend_title="s",
        ),
    }


def _date_encodings(spec: Any) -> Iterator[dict[str, Any]]:
    """Every encoding of a temporal field in a chart's spec (axes and tooltips, every layer)."""
    if isinstance(spec, dict):
        if spec.get("type") == "temporal":
            yield spec
        for value in spec.values():
            yield from _date_encodings(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _date_encodings(value)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", ["month", "trend", "timeline", "monthly"])
def test_every_date_on_a_chart_is_written_in_the_readers_language(lang: str, name: str) -> None:
    set_language(lang)
    try:
        spec = json.loads(_charts()[name].to_json())
    finally:
        set_language("zh")
    axis_format, day_format = FORMATS[lang]
    encodings = list(_date_encodings(spec))
    assert encodings, "no date on this chart"
    for encoding in encodings:
        if "title" not in encoding and "axis" not in encoding:
            continue  # a bar's end (x2) is drawn on its start's axis
        shown = encoding.get("axis", {}).get("format") or encoding.get("format")
        assert shown in (axis_format, day_format), encoding
