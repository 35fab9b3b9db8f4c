"""Promotion meetings' decisions: where a task stands, and who may report its progress. Pure.

A task's status is set by people (not started, in progress, done); where it *stands* adds what the
data says: "late" when its deadline has passed on the data's date and it is not done, and "done"
when its measured share has reached its target, whatever was set. The services and the queries
both read these rules, so a page, the slideshow and a refusal never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from lib.core.domain import TaskStatus
from lib.core.figures import target_reached
from lib.rules.permissions import TASK_PROGRESS, Actor, can

LATE = "late"  # the standing of a task past its deadline and not done; never a stored status
STANDINGS = (TaskStatus.NOT_STARTED.value, TaskStatus.IN_PROGRESS.value, LATE, TaskStatus.DONE.value)


def task_standing(
    *,
    status: str,
    deadline: dt.date | None,
    as_of: dt.date,
    share: float | None = None,
    target: float | None = None,
) -> str:
    """Where a task stands on `as_of` (the data's date): one of STANDINGS.

    Done when marked done or when its measured `share` has reached `target`; late when `deadline`
    is before `as_of` and it is not done (due on the day itself is not yet late); otherwise its
    status as set.
    """
    if status == TaskStatus.DONE.value or target_reached(share, target):
        return TaskStatus.DONE.value
    if deadline is not None and deadline < as_of:
        return LATE
    return status


def may_report_progress(
    actor: Actor | None,
    *,
    meeting_town_code: str | None,
    town_codes: Iterable[str] = (),
    villages: Iterable[tuple[str, str]] = (),
) -> bool:
    """Whether `actor` may add a progress note to a task (TASK_PROGRESS) and change its status.

    `meeting_town_code` is the task's meeting's town (None for a county meeting); `town_codes` the
    towns the task concerns, `villages` the (town code, village code) of the villages it concerns.
    The admin may anywhere; a town editor when the meeting is their town's or the task concerns
    their town or one of its villages; a village editor when the task names their village.
    """
    scopes: list[tuple[str | None, str | None]] = [(meeting_town_code, None)]
    scopes += [(town, None) for town in town_codes]
    scopes += [(town, village) for town, village in villages]
    return any(can(actor, TASK_PROGRESS, town_code=town, village_code=village) for town, village in scopes)
