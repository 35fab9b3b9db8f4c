"""Change since a chosen date and the trend by month on the training, industry, assessment and
Overview pages, on the hand county (tests/hand_county.py) kept twice.

Kept on 2020-09-30 as loaded; then, in October, h2's ledger is verified (visit of 2020-10-20), c2
(serving in A2, absent from phase 1) is marked as attended, and h4 (A2, 1 labour) gets a plan at
"planned"; kept again on 2020-10-31, the data's date. By hand, for the county:

  training  3 of 5 → 4 of 5     60.0% → 80.0%   +20.0 pts   red → amber (target 90%, amber 67.5%)
  plans     5 of 8 → 6 of 8     62.5% → 75.0%   +12.5 pts   red → amber (target 100%, amber 75%:
                                                              exactly on the amber line)
  stable    2 of 6 → 2 of 7     33.3% → 28.6%    -4.8 pts   red → red (target 50%, amber 37.5%)
  verified  3 of 9 → 4 of 9     33.3% → 44.4%   +11.1 pts   red → red (target 90%, amber 67.5%)
  exited    5 of 9 → 5 of 9     55.6% → 55.6%    +0.0 pts

and for Jia Town (A: h1–h6, c1–c3): verified 2 of 6 → 3 of 6 (+16.7 pts), training 1 of 3 →
2 of 3. The default comparison is the last month end before the data's date: 2020-09-30.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from lib.core.db import make_engine
from lib.core.i18n import set_language
from lib.core.models import Attendance, Cadre, Household, IndustryPlan, VerificationVisit
from lib.present import changes
from lib.queries import overview, snapshots
from lib.rules import targets
from lib.services import rollups
from lib.services import snapshots as snapshot_service
from tests.support.apptest import AppFactory, open_tab

BEFORE, AFTER = dt.date(2020, 9, 30), dt.date(2020, 10, 31)
TOWN_A = "349901100"


@pytest.fixture
def kept_twice(hand_sqlite_url: str) -> str:
    """The hand county kept on 2020-09-30, changed in October (see the docstring), kept on
    2020-10-31."""
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        snapshot_service.take_snapshot(session, taken_on=BEFORE, reason="month_end")
        households = dict(session.execute(select(Household.archive_no, Household.id)).all())
        session.add(
            VerificationVisit(
                household_id=households["HAND0002"],
                visited_on=dt.date(2020, 10, 20),
                visitor_name="核验员",
                ledger_verified=True,
            )
        )
        c2 = session.scalar(select(Cadre.id).where(Cadre.name == "书记2"))
        session.execute(
            update(Attendance)
            .where(Attendance.cadre_id == c2, Attendance.session_id == 1)
            .values(status="attended")
        )
        session.add(
            IndustryPlan(
                household_id=households["HAND0004"],
                industry_id=1,
                stage="planned",
                planned_on=dt.date(2020, 10, 12),
                stage_since=dt.date(2020, 10, 12),
            )
        )
        session.commit()
        rollups.rebuild(session)
        session.commit()
        snapshot_service.take_snapshot(session, taken_on=AFTER, reason="meeting")
    engine.dispose()
    return hand_sqlite_url


def _metric(at: AppTest, label: str) -> Any:
    return next(metric.proto for metric in at.metric if metric.label == label)


def _trend(at: AppTest) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The trend chart's points (date, value, status) and its spec."""
    chart = next(
        e for e in at.get("vega_lite_chart") if '"status"' in e.proto.spec and "line" in e.proto.spec
    )
    spec = json.loads(chart.proto.spec)
    datasets = {d.name: convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets}
    return datasets[spec["data"]["name"]], spec | {"datasets": datasets}


def _points(frame: pd.DataFrame) -> list[tuple[str, float, str]]:
    dates = pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d")
    return list(zip(dates, frame["value"].round(4), frame["status"], strict=True))


def test_the_training_tile_shows_the_change_since_the_last_month_end(
    open_app: AppFactory, kept_twice: str
) -> None:
    at = open_app(kept_twice, "pages/training.py", lang="en")
    assert not at.exception
    coverage = _metric(at, "Coverage")
    assert (coverage.body, coverage.delta, coverage.delta_description) == (
        "80.0%",
        "+20.0 pts",
        "since 30 Sep 2020",
    )
    assert list(coverage.chart_data) == pytest.approx([0.6, 0.8, 0.8])  # kept twice, then now
    assert at.query_params["since"] in ("2020-09-30", ["2020-09-30"])
    assert not _metric(at, "Waiting").delta  # not a kept figure: no change shown
    points, spec = _trend(at)
    assert _points(points) == [("2020-09-30", 0.6, "Behind"), ("2020-10-31", 0.8, "Close")]
    rule = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    assert spec["datasets"][rule["data"]["name"]]["target"].tolist() == [0.9]


def test_a_link_keeps_the_comparison_date(open_app: AppFactory, kept_twice: str) -> None:
    same_day = open_app(kept_twice, "pages/training.py", lang="en", since="2020-10-31")
    assert _metric(same_day, "Coverage").delta == "+0.0 pts"
    none = open_app(kept_twice, "pages/training.py", lang="en", since="")
    assert not none.exception and not _metric(none, "Coverage").delta
    assert list(_metric(none, "Coverage").chart_data) == pytest.approx([0.6, 0.8, 0.8])  # the line stays


def test_the_industry_tiles_and_trend(open_app: AppFactory, kept_twice: str) -> None:
    at = open_app(kept_twice, "pages/industry.py", lang="en")
    assert not at.exception
    plans, stable = _metric(at, "Plan coverage"), _metric(at, "Stable income")
    assert (plans.body, plans.delta, plans.delta_description) == ("75.0%", "+12.5 pts", "since 30 Sep 2020")
    assert (stable.body, stable.delta) == ("28.6%", "-4.8 pts")
    badges = [m.value for m in at.markdown if ":orange-badge[" in m.value or ":red-badge[" in m.value]
    assert badges[:2] == [":orange-badge[Close]", ":red-badge[Behind]"]
    open_tab(at, "industry_tab", "Trend")
    assert _points(_trend(at)[0]) == [("2020-09-30", 0.625, "Behind"), ("2020-10-31", 0.75, "Close")]
    at.selectbox(key="industry_trend").set_value("stable_share").run()
    assert not at.exception
    assert _points(_trend(at)[0]) == [("2020-09-30", 0.3333, "Behind"), ("2020-10-31", 0.2857, "Behind")]
    assert at.query_params["trend"] in ("stable_share", ["stable_share"])


def test_the_assessment_verified_tile_shows_its_change(open_app: AppFactory, kept_twice: str) -> None:
    at = open_app(kept_twice, "pages/assessment.py", lang="en")
    assert not at.exception
    verified = _metric(at, "Ledgers verified")
    assert (verified.body, verified.delta) == ("44.4%", "+11.1 pts")


def test_the_overview_trend_by_month_in_chinese(open_app: AppFactory, kept_twice: str) -> None:
    at = open_app(kept_twice, lang="zh")
    assert not at.exception
    assert _points(_trend(at)[0]) == [("2020-09-30", 0.5556, "落后"), ("2020-10-31", 0.5556, "落后")]
    at.selectbox(key="overview_trend").set_value("verified_share").run()
    points, spec = _trend(at)
    assert _points(points) == [("2020-09-30", 0.3333, "落后"), ("2020-10-31", 0.4444, "落后")]
    x, y = spec["layer"][0]["encoding"]["x"], spec["layer"][0]["encoding"]["y"]
    assert (
        x["axis"]["format"] == "%Y年%-m月" and y["axis"]["titleAngle"] == 0
    )  # months in Chinese, title upright
    assert y["title"] == "户档案核验率"
    town = open_app(kept_twice, lang="en", town=TOWN_A, trend="verified_share")
    assert _points(_trend(town)[0]) == [("2020-09-30", 0.3333, "Behind"), ("2020-10-31", 0.5, "Behind")]
    assert _metric(town, "Verified").delta == "+16.7 pts"


def test_without_kept_figures_the_pages_say_so(open_app: AppFactory, hand_sqlite_url: str) -> None:
    at = open_app(hand_sqlite_url, "pages/training.py", lang="en")
    assert not at.exception
    assert not _metric(at, "Coverage").delta
    assert "training_since" not in [box.key for box in at.selectbox]  # nothing to compare with
    assert any(c.value.startswith("No month-end figures kept yet") for c in at.caption)


def test_the_month_frame_ends_with_the_figure_now() -> None:
    """Kept 1/4, 2/4 and 3/4 at three month ends; the data's date is the last of them and the
    share there is now 0.8 (a save after the snapshot): the kept 3/4 gives way to it. Against a
    50% target (amber from 37.5%): 25% red, 50% green, 80% green."""
    days = [dt.date(2020, 8, 31), dt.date(2020, 9, 30), dt.date(2020, 10, 31)]
    series = pd.DataFrame(
        {"taken_on": days, "measure": "plan_share", "part": [1, 2, 3], "whole": 4, "share": [0.25, 0.5, 0.75]}
    )
    set_language("en")
    try:
        frame = changes.month_frame(
            series, "plan_share", now=0.8, as_of=days[-1], rule=targets.share_target(0.5)
        )
        without_now = changes.month_frame(series, "plan_share", now=None, as_of=days[-1], rule=None)
    finally:
        set_language("zh")
    assert _points(frame) == [
        ("2020-08-31", 0.25, "Behind"),
        ("2020-09-30", 0.5, "On target"),
        ("2020-10-31", 0.8, "On target"),
    ]
    assert frame["kept"].tolist() == [True, True, False]
    assert _points(without_now) == [("2020-08-31", 0.25, ""), ("2020-09-30", 0.5, "")]


def test_the_demo_carries_a_plausible_year(demo_engine: Engine) -> None:
    """The demo's twelve month ends: exits, plans, stable income and verified ledgers rise every
    month up to today's figure; training coverage follows the county's records, where no required
    session was held between September 2019 and November 2020, so it never rises in that year (it
    fell as untrained secretaries took over in late 2019) and ends at today's."""
    with Session(demo_engine) as session:
        series = snapshots.series(session)
        totals = overview.totals(overview.town_progress(session))
    assert len(set(series["taken_on"])) == 12
    for measure in ("exited_share", "plan_share", "stable_share", "verified_share"):
        shares = [*series.loc[series["measure"] == measure, "share"], totals.measure(measure)]
        assert all(later > earlier for earlier, later in itertools.pairwise(shares)), measure
    trained = [*series.loc[series["measure"] == "training_share", "share"], totals.measure("training_share")]
    assert all(later <= earlier for earlier, later in itertools.pairwise(trained))
    assert trained[-2] == trained[-1]
