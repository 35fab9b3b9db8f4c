"""What the read side returns for other layers to read: the result shapes lib.queries builds and
lib.present, lib.files and the pages take. Pure (no SQLAlchemy), so lib.present never imports a
query module."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

# Each share leaders read: its part and its whole, both counts of `lib.queries.overview`. Tiles,
# rankings and snapshots (lib/services/snapshots.py) take their shares from here.
SHARE_PARTS: dict[str, tuple[str, str]] = {
    "exited_share": ("households_exited", "households"),
    "training_share": ("secretaries_trained", "secretaries_serving"),
    "plan_share": ("labour_households_with_plan", "households_with_labour"),
    "stable_share": ("stage_stable", "households_with_plan"),
    "verified_share": ("households_verified", "households"),
}


@dataclass(frozen=True)
class OverviewTotals:
    """Counts for the selected towns, with the shares leaders read."""

    towns: int
    counts: dict[str, int]

    def __getitem__(self, key: str) -> int:
        return self.counts[key]

    def share(self, part: str, whole: str) -> float | None:
        return _share(self.counts[part], self.counts[whole])

    def measure(self, measure: str) -> float | None:
        """One of SHARE_PARTS's shares."""
        return self.share(*SHARE_PARTS[measure])

    @property
    def exited_share(self) -> float | None:
        return self.measure("exited_share")

    @property
    def plan_share(self) -> float | None:
        return self.measure("plan_share")

    @property
    def stable_share(self) -> float | None:
        return self.measure("stable_share")

    @property
    def verified_share(self) -> float | None:
        return self.measure("verified_share")

    @property
    def training_share(self) -> float | None:
        return self.measure("training_share")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class StageFunnel:
    """Households by their most advanced plan's stage, with the totals the shares are read from.

    `stages` has one row per stage in order: stage, rank (1…4), households (best stage is this
    one), reached (best stage is this one or later), share (households / households_with_plan,
    NaN when no household has a plan).
    """

    households: int
    households_with_labour: int
    labour_households_with_plan: int
    households_with_plan: int
    stages: pd.DataFrame

    @property
    def plan_share(self) -> float | None:
        """Households with labour that have a plan, of all households with labour (None if none)."""
        if not self.households_with_labour:
            return None
        return self.labour_households_with_plan / self.households_with_labour

    @property
    def stable_share(self) -> float | None:
        """Households whose best plan is at stable income, of all households with a plan."""
        if not self.households_with_plan:
            return None
        return self.stage("stable") / self.households_with_plan

    def stage(self, stage: str) -> int:
        """Households whose best stage is `stage`."""
        return int(self.stages.set_index("stage").at[stage, "households"])


@dataclass(frozen=True)
class VisitSummary:
    """The village's verification work in a few counts."""

    visits: int
    households_visited: int
    visits_with_problems: int
    satisfied: int
    satisfaction_answers: int
    last_visit: dt.date | None

    @property
    def satisfaction(self) -> float | None:
        """Share of visits that asked whose household was satisfied (the assessment wants ≥ 90%)."""
        return self.satisfied / self.satisfaction_answers if self.satisfaction_answers else None
