"""The assessment page's status grid keeps to the towns nearest to failing."""

from __future__ import annotations

import pandas as pd

from lib.core.i18n import set_language
from lib.present import assessment_view as view
from lib.rules import assessment


def _ready(statuses: list[str]) -> pd.DataFrame:
    """A readiness table with one town per status (town codes T00, T01, …), every measure 50 %."""
    rows = []
    for index, status in enumerate(statuses):
        row = {
            "town_code": f"T{index:02d}",
            "name_zh": f"镇{index}",
            "name_en": f"Town {index}",
            "households": 10,
            "readiness": status,
        }
        for measure in assessment.MEASURES:
            row[measure] = 0.5
            row[f"{measure}_status"] = status
        rows.append(row)
    return pd.DataFrame(rows)


def test_grid_shows_the_towns_nearest_to_failing_first() -> None:
    set_language("en")
    statuses = [assessment.GREEN] * 30 + [assessment.AMBER] * 15 + [assessment.RED] * 5
    ready = _ready(statuses)
    assert view.grid_towns(ready) == 50

    grid = view.grid_frame(ready, limit=12)
    towns = list(dict.fromkeys(grid["town"]))
    # the 5 red towns (codes T45–T49), then the first 7 amber ones by code (T30–T36)
    assert towns == [f"Town {i}" for i in (45, 46, 47, 48, 49, 30, 31, 32, 33, 34, 35, 36)]
    assert len(grid) == 12 * (len(assessment.MEASURES) + 1)

    everything = view.grid_frame(ready, limit=100)
    assert everything["town"].nunique() == 50
