"""One rule colours every measure: green at or past its target, amber to its amber line, red beyond.

Expected colours are worked out by hand from the defaults in README's settings table: a share's
amber line is ¾ of its target (verified 90% → 67.5%; exited 100% → 75%; plans 100% → 75%; stable
50% → 37.5%; training 90% → 67.5%); wrong exits green to 1.5%, amber to 2%; missed identification
green to 0.75%, amber to 1%; satisfaction green from 92.5%, amber from 90%.
"""

from __future__ import annotations

import pytest

from lib.rules import targets
from lib.rules.assessment import Thresholds

NUDGE = 1e-4  # "just above" / "just below": a hundredth of a percentage point


SHARE_LINES = {  # measure → (target, amber line) with the default settings
    targets.EXITED: (1.0, 0.75),
    targets.TRAINING: (0.90, 0.675),
    targets.PLANS: (1.0, 0.75),
    targets.STABLE: (0.50, 0.375),
    targets.VERIFIED: (0.90, 0.675),
}


@pytest.mark.parametrize("measure", list(SHARE_LINES))
def test_a_share_at_just_below_and_just_above_its_target_and_amber_line(measure: str) -> None:
    target, amber = SHARE_LINES[measure]
    rule = targets.share_targets()[measure]
    assert (rule.target, rule.amber_line) == pytest.approx((target, amber))
    assert rule.status(target) == "green"
    assert rule.status(target - NUDGE) == "amber"
    if target + NUDGE <= 1:
        assert rule.status(target + NUDGE) == "green"
    assert rule.status(amber) == "amber"
    assert rule.status(amber + NUDGE) == "amber"
    assert rule.status(amber - NUDGE) == "red"
    assert rule.status(None) == "none"
    assert rule.status(float("nan")) == "none"


@pytest.mark.parametrize(
    ("measure", "green_to", "threshold"),
    [("wrong_exit_rate", 0.015, 0.02), ("missed_rate", 0.0075, 0.01)],
)
def test_an_assessment_ceiling_at_just_below_and_just_above_its_lines(
    measure: str, green_to: float, threshold: float
) -> None:
    rule = Thresholds().target(measure)
    assert rule.status(green_to - NUDGE / 10) == "green"
    assert rule.status(green_to) == "green"
    assert rule.status(green_to + NUDGE / 10) == "amber"
    assert rule.status(threshold) == "amber"  # at the threshold a town still passes, only just
    assert rule.status(threshold + NUDGE / 10) == "red"


def test_satisfaction_at_just_below_and_just_above_its_lines() -> None:
    rule = Thresholds().target("satisfaction")
    assert rule.status(0.925) == "green"
    assert rule.status(0.925 + NUDGE) == "green"
    assert rule.status(0.925 - NUDGE) == "amber"
    assert rule.status(0.90) == "amber"
    assert rule.status(0.90 - NUDGE) == "red"


def test_a_share_computed_as_a_ratio_lands_on_its_line() -> None:
    """3 of 10 meets a target of 0.1 × 3 (0.30000000000000004) however the floats round."""
    rule = targets.Target(target=0.1 * 3, amber_line=0.2)
    assert 3 / 10 < 0.1 * 3
    assert rule.status(3 / 10) == "green"


def test_targets_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXIT_TARGET", "0.8")
    monkeypatch.setenv("STABLE_INCOME_TARGET", "0.6")
    monkeypatch.setenv("TRAINING_TARGET", "0.7")
    rules = targets.share_targets()
    assert rules[targets.EXITED].status(0.8) == "green"
    assert rules[targets.EXITED].status(0.59) == "red"  # amber line 0.6
    assert rules[targets.STABLE].status(0.45) == "amber"  # amber line 0.45
    assert rules[targets.TRAINING].status(0.7) == "green"
    # the county's own programme target wins over the setting
    assert targets.share_targets(training=0.95)[targets.TRAINING].status(0.9) == "amber"


def test_the_training_chart_no_longer_paints_93_and_7_7_percent_alike() -> None:
    rule = targets.share_targets()[targets.TRAINING]
    assert (rule.status(0.93), rule.status(0.077)) == ("green", "red")


def test_the_gap_to_the_target() -> None:
    rule = targets.share_targets()[targets.VERIFIED]
    assert rule.gap(0.6) == pytest.approx(0.3)
    assert rule.gap(0.95) == 0
    assert rule.gap(None) is None
    assert Thresholds().target("wrong_exit_rate").gap(0.025) == pytest.approx(0.01)


def test_the_worst_status() -> None:
    assert targets.worst(["green", "amber", "none"]) == "amber"
    assert targets.worst(["green", "red", "amber"]) == "red"
    assert targets.worst(["green", "none"]) == "none"
    assert targets.worst([]) == "none"
