"""Targets and red / amber / green: one rule for every measure a leader reads.

Pure (no streamlit, no SQL). Each measure has a *target* and an *amber line* (`Target`):

- green at or past the target,
- amber between the amber line and the target (the line itself is amber),
- red past the amber line on the wrong side,
- none without a value.

"Past" means above for a share where more is better and below for a rate where less is better,
so one function judges both. For the shares a county aims at (households exited, first
secretaries trained, households with labour that have a plan, plans at stable income, ledgers
verified) the amber line is `AMBER_FROM` (¾) of the target: 67.5% verified for a 90% target. For
the assessment's three rates the amber line is the national threshold and the target leaves a
quarter of its allowance (wrong exits green up to 1.5%, amber up to 2%, red beyond; satisfaction
green from 92.5%, amber from 90%, red below): at the threshold a town still passes, only just.

The settings (lib/core/config.py) give the targets; the training target is the county's own,
set on its required programme, when it has one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lib.core import config

GREEN = "green"
AMBER = "amber"
RED = "red"
NONE = "none"
STATUSES = (RED, AMBER, GREEN, NONE)
SEVERITY = {RED: 0, AMBER: 1, NONE: 2, GREEN: 3}  # worst first

AMBER_FROM = 0.75  # a share's amber line is this fraction of its target
ALLOWANCE_LEFT = 0.25  # an assessment rate is green while this much of its allowance is left
EPSILON = 1e-12  # shares computed as a / b land a hair off the line (0.9 vs 0.8999999999999999)

# Measures and which way is better.
EXITED = "exited_share"
TRAINING = "training_share"
PLANS = "plan_share"
STABLE = "stable_share"
VERIFIED = "verified_share"
WRONG_EXIT = "wrong_exit_rate"
MISSED = "missed_rate"
SATISFACTION = "satisfaction"
SHARES = (EXITED, TRAINING, PLANS, STABLE, VERIFIED)


@dataclass(frozen=True)
class Target:
    """Green at or past `target`, amber up to `amber_line`, red beyond it."""

    target: float
    amber_line: float
    higher_is_better: bool = True

    def status(self, value: float | None) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return NONE
        sign = 1 if self.higher_is_better else -1
        if sign * (value - self.target) >= -EPSILON:
            return GREEN
        if sign * (value - self.amber_line) >= -EPSILON:
            return AMBER
        return RED

    def gap(self, value: float | None) -> float | None:
        """How far `value` is short of the target (0 when it is met); None without a value."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        short = self.target - value if self.higher_is_better else value - self.target
        return max(0.0, short)


def share_target(target: float) -> Target:
    """A share a county aims at: amber from ¾ of the target."""
    return Target(target=target, amber_line=AMBER_FROM * target)


def ceiling_target(threshold: float) -> Target:
    """A rate that must stay at or below `threshold`: green while a quarter of it is left."""
    return Target(target=(1 - ALLOWANCE_LEFT) * threshold, amber_line=threshold, higher_is_better=False)


def floor_target(threshold: float) -> Target:
    """A rate that must stay at or above `threshold`: green while a quarter of what it may lose is left."""
    return Target(target=1 - (1 - ALLOWANCE_LEFT) * (1 - threshold), amber_line=threshold)


def worst(statuses: list[str]) -> str:
    """The worst of `statuses` (red before amber before none before green); none if empty."""
    return min(statuses, key=SEVERITY.__getitem__) if statuses else NONE


def share_targets(*, training: float | None = None) -> dict[str, Target]:
    """The county's targets for the shares leaders read, from the settings; `training` is the
    county's own training target (its required programme's), when it sets one."""
    return {
        EXITED: share_target(config.exit_target()),
        TRAINING: share_target(training if training is not None else config.training_target()),
        PLANS: share_target(config.plan_coverage_target()),
        STABLE: share_target(config.stable_income_target()),
        VERIFIED: share_target(config.verified_target()),
    }
