"""lib.rules.assessment: statuses against thresholds, Wilson intervals, the stratified estimate, the draw."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from lib.core import config
from lib.rules import assessment
from lib.rules.assessment import Stratum, Thresholds

T = Thresholds()


def test_wilson_interval_checked_by_hand() -> None:
    """2 of 25, z = 1.959964 (z² = 3.841459), n = 25, p = 0.08:
    denominator 1 + z²/n = 1.153658; centre (0.08 + z²/50) / 1.153658 = (0.08 + 0.076829) / 1.153658
    = 0.135941; half z·√(p(1−p)/n + z²/(4n²)) / 1.153658 = 1.959964·√(0.002944 + 0.001537) / 1.153658
    = 1.959964·0.066937 / 1.153658 = 0.113721; interval 0.022220 … 0.249662."""
    low, high = assessment.wilson_interval(2, 25)
    assert low == pytest.approx(0.022220, abs=1e-5)
    assert high == pytest.approx(0.249662, abs=1e-5)


def test_wilson_interval_with_nothing_found_still_has_an_upper_bound() -> None:
    """0 of 20: the upper bound is z² / (n + z²) = 3.841459 / 23.841459 = 0.161125."""
    assert assessment.wilson_interval(0, 20) == pytest.approx((0.0, 0.161125), abs=1e-6)
    with pytest.raises(ValueError):
        assessment.wilson_interval(0, 0)


def test_stratified_estimate_checked_by_hand() -> None:
    """Strata (population, observed, hits): (3, 3, 0), (2, 1, 1), (1, 0, 0) — the last is unobserved
    and left out. Weights 3/5, 2/5; rate 0.6·0 + 0.4·1 = 0.4; n_eff = 1 / (0.36/3 + 0.16/1) = 3.571429.
    Wilson at p = 0.4, n = 3.571429: z²/n = 1.075609, centre (0.4 + 0.537804) / 2.075609 = 0.451815,
    half 1.959964·√(0.0672 + 0.075293) / 2.075609 = 0.356447 → 0.095368 … 0.808262."""
    estimate = assessment.stratified_estimate([Stratum(3, 3, 0), Stratum(2, 1, 1), Stratum(1, 0, 0)])
    assert estimate is not None
    assert estimate.rate == pytest.approx(0.4)
    assert estimate.effective_n == pytest.approx(3.571429, abs=1e-6)
    assert (estimate.low, estimate.high) == pytest.approx((0.095368, 0.808262), abs=1e-4)
    assert (estimate.observed, estimate.hits) == (4, 1)


def test_one_stratum_is_a_plain_wilson_interval() -> None:
    estimate = assessment.stratified_estimate([Stratum(500, 25, 2)])
    assert estimate is not None and estimate.effective_n == pytest.approx(25)
    assert (estimate.low, estimate.high) == pytest.approx(assessment.wilson_interval(2, 25))


def test_no_observation_no_estimate() -> None:
    assert assessment.stratified_estimate([Stratum(10, 0, 0)]) is None
    assert assessment.stratified_estimate([]) is None


@pytest.mark.parametrize(
    ("measure", "value", "status"),
    [
        ("wrong_exit_rate", 0.0, "green"),
        ("wrong_exit_rate", 0.015, "green"),  # exactly at the warning line (3/4 of 2%)
        ("wrong_exit_rate", 0.016, "amber"),
        ("wrong_exit_rate", 0.02, "amber"),  # at the threshold still passes
        ("wrong_exit_rate", 0.021, "red"),
        ("missed_rate", 0.007, "green"),
        ("missed_rate", 0.008, "amber"),
        ("missed_rate", 0.011, "red"),
        ("satisfaction", 0.93, "green"),
        ("satisfaction", 0.92, "amber"),
        ("satisfaction", 0.90, "amber"),
        ("satisfaction", 0.899, "red"),
        ("verified_share", 0.90, "green"),
        ("verified_share", 0.70, "amber"),
        ("verified_share", 0.675, "amber"),  # three quarters of the 90% target
        ("verified_share", 0.67, "red"),
        ("satisfaction", math.nan, "none"),
        ("missed_rate", None, "none"),
    ],
)
def test_records_status(measure: str, value: float | None, status: str) -> None:
    assert assessment.records_status(value, measure, T) == status


def test_overall_status() -> None:
    green = dict.fromkeys(assessment.MEASURES, "green")
    assert assessment.overall_status(green, households=5) == "green"
    assert assessment.overall_status({**green, "satisfaction": "red"}, households=5) == "red"
    assert assessment.overall_status({**green, "missed_rate": "amber"}, households=5) == "amber"
    assert assessment.overall_status({**green, "missed_rate": "none"}, households=5) == "amber"
    # one rule: the worst measure, too few verified ledgers included (the rates rest on too little)
    assert assessment.overall_status({**green, "verified_share": "red"}, households=5) == "red"
    assert assessment.overall_status(green, households=0) == "none"


def test_readiness_table_and_its_reasons() -> None:
    counts = pd.DataFrame(
        {
            "households": [100, 100, 0],
            "verified_current": [95, 50, 0],
            "exited": [80, 80, 0],
            "wrong_exits": [1, 1, 0],
            "visited": [90, 90, 0],
            "found_need": [0, 0, 0],
            "answered": [90, 90, 0],
            "satisfied": [85, 75, 0],
        }
    )
    ready = assessment.readiness_table(counts, T)
    assert ready["readiness"].tolist() == ["green", "red", "none"]
    assert assessment.attention(ready.iloc[0]) == []
    assert assessment.attention(ready.iloc[1]) == [("satisfaction", "red"), ("verified_share", "red")]
    assert math.isnan(ready.iloc[2]["wrong_exit_rate"])


@pytest.mark.parametrize(
    ("hits", "n", "status"),
    [
        (0, 400, "green"),  # upper bound 0.95% < 2%
        (0, 100, "amber"),  # upper bound 3.7%: cannot tell yet
        (3, 100, "red"),  # 3% > 2%
    ],
)
def test_sample_status_uses_the_interval(hits: int, n: int, status: str) -> None:
    estimate = assessment.stratified_estimate([Stratum(1000, n, hits)])
    assert assessment.sample_status(estimate, "wrong_exit_rate", T) == status
    assert assessment.sample_status(None, "wrong_exit_rate", T) == "none"


def test_satisfaction_sample_status() -> None:
    good = assessment.stratified_estimate([Stratum(1000, 300, 290)])
    bad = assessment.stratified_estimate([Stratum(1000, 30, 26)])
    assert assessment.sample_status(good, "satisfaction", T) == "green"
    assert assessment.sample_status(bad, "satisfaction", T) == "red"


def _candidates() -> pd.DataFrame:
    rows = [
        (town, status, 100 * t + 10 * s + i, f"{town}{status[0]}{i:03d}")
        for t, town in enumerate(("T1", "T2"))
        for s, status in enumerate(("exited", "poor"))
        for i in range(20 if status == "exited" else 3)
    ]
    return pd.DataFrame(rows, columns=assessment.SAMPLE_COLUMNS)


def test_draw_is_reproducible_stratified_and_capped() -> None:
    candidates = _candidates()
    sizes = {"exited": 5, "poor": 10}
    drawn, strata = assessment.draw_sample(candidates, sizes=sizes, seed=42)
    again, _ = assessment.draw_sample(candidates.sample(frac=1, random_state=3), sizes=sizes, seed=42)
    assert drawn.equals(again)  # the candidates' order does not matter
    assert strata[["town_code", "status", "population", "drawn"]].values.tolist() == [
        ["T1", "exited", 20, 5],
        ["T1", "poor", 3, 3],  # capped at the stratum's households
        ["T2", "exited", 20, 5],
        ["T2", "poor", 3, 3],
    ]
    assert drawn.groupby(["town_code", "status"]).size().tolist() == [5, 3, 5, 3]
    other, _ = assessment.draw_sample(candidates, sizes=sizes, seed=43)
    assert not other.equals(drawn)
    only_t2, _ = assessment.draw_sample(candidates[candidates["town_code"] == "T2"], sizes=sizes, seed=42)
    assert only_t2.reset_index(drop=True).equals(drawn[drawn["town_code"] == "T2"].reset_index(drop=True))


def test_draw_with_zero_sizes_or_no_candidates() -> None:
    drawn, strata = assessment.draw_sample(_candidates(), sizes={}, seed=1)
    assert drawn.empty and strata["drawn"].sum() == 0
    drawn, strata = assessment.draw_sample(
        pd.DataFrame(columns=assessment.SAMPLE_COLUMNS), sizes=assessment.DEFAULT_SIZES, seed=1
    )
    assert drawn.empty and strata.empty


def test_thresholds_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Thresholds.from_settings() == Thresholds()
    monkeypatch.setenv("MAX_WRONG_EXIT_RATE", "0.03")
    monkeypatch.setenv("MAX_MISSED_IDENTIFICATION_RATE", "0.02")
    monkeypatch.setenv("MIN_SATISFACTION", "0.95")
    monkeypatch.setenv("VERIFIED_TARGET", "1")
    monkeypatch.setenv("VERIFIED_WITHIN_MONTHS", "6")
    assert Thresholds.from_settings() == Thresholds(0.03, 0.02, 0.95, 1.0, 6)
    monkeypatch.setenv("MIN_SATISFACTION", "lots")
    monkeypatch.setenv("VERIFIED_WITHIN_MONTHS", "soon")
    assert config.min_satisfaction() == 0.90 and config.verified_within_months() == 12
