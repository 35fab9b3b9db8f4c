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


# --- promotion meetings and their decisions (lib.queries.meetings) -----------------------------


@dataclass(frozen=True)
class MeetingRef:
    """Another meeting named by a meeting: the county meeting a town meeting conveys."""

    id: int
    level: str
    name: str
    number: int | None
    held_on: dt.date


@dataclass(frozen=True)
class MeetingInfo:
    """One meeting as recorded: `level` "county" or "town" (then its town's code and names),
    `name` as typed, `number` (the 79 of 第79次) or None, `attending` as typed, the meeting it
    conveys, how many decisions (tasks) it made, and its `version` (what an edit expects)."""

    id: int
    level: str
    town_code: str | None
    town_name_zh: str | None
    town_name_en: str | None
    name: str
    number: int | None
    held_on: dt.date
    attending: str | None
    conveys: MeetingRef | None
    tasks: int
    version: int


@dataclass(frozen=True)
class TaskPlace:
    """A town or village a task concerns (`level` "town" or "village"); `town_code` is the town's
    own code for a town and the village's town for a village."""

    level: str
    code: str
    name_zh: str
    name_en: str
    town_code: str


@dataclass(frozen=True)
class TaskNote:
    """A dated progress note: who wrote it, and the status it set (None when it set none)."""

    id: int
    noted_on: dt.date
    text: str
    status: str | None
    username: str
    created_at: dt.datetime


@dataclass(frozen=True)
class MeasuredProgress:
    """A measured task's progress: its measure (a SHARE_PARTS key) counted over its places as the
    Overview counts it, part of whole, against its target share."""

    measure: str
    part: int
    whole: int
    target: float

    @property
    def share(self) -> float | None:
        """part / whole; None when the whole is 0 (nothing to measure)."""
        return _share(self.part, self.whole)

    @property
    def reached(self) -> bool:
        """Whether the share has reached the target (`target_reached`)."""
        return target_reached(self.share, self.target)


def target_reached(share: float | None, target: float | None) -> bool:
    """Whether a measured share has reached its target (a share that cannot be worked out, its
    whole being 0, has not). A tiny tolerance keeps 3/5 reached for a target of 0.6 whatever the
    float division gives."""
    if share is None or target is None:
        return False
    return share >= target - 1e-9


@dataclass(frozen=True)
class TaskStanding:
    """One decision and where it stands on `as_of`.

    `status` is as people set it; `standing` adds the data (lib.rules.meetings.task_standing):
    one of not_started, in_progress, late, done. `places` are all towns or all villages (empty: the
    meeting's own town, or the whole county for a county meeting; `progress` then counts those);
    `notes` oldest first; `progress` None for a task without a measure.
    """

    id: int
    meeting_id: int
    what: str
    responsible_unit: str
    responsible_person: str | None
    deadline: dt.date | None
    status: str
    standing: str
    measure: str | None
    target: float | None
    places: tuple[TaskPlace, ...]
    notes: tuple[TaskNote, ...]
    progress: MeasuredProgress | None
    version: int


@dataclass(frozen=True)
class MeetingStanding:
    """A meeting's decisions and where each stands on `as_of`: the next meeting's first slide."""

    meeting: MeetingInfo
    as_of: dt.date
    tasks: tuple[TaskStanding, ...]

    def count(self, standing: str) -> int:
        """How many of its tasks stand at `standing` (not_started, in_progress, late, done)."""
        return sum(1 for task in self.tasks if task.standing == standing)
