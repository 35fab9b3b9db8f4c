"""The demo county's past: a year of month-end snapshots of every town's key figures, so "change
since the last meeting" and the trend lines have something to show.

Training coverage is what the county's own records say each month end: the first secretaries in
post that day and, of them, those who had attended a required session that ended by then (so it
agrees with the training page's coverage over time: no required session was held between
September 2019 and November 2020, and the secretaries who took over in late 2019 were not yet
trained). The other shares are worked back from today's: each town's share was lower by a
steady step a month (drawn per town and measure with
`random.Random("<seed>:history:<town>:<measure>")`, 0.4–2.0 points), never below zero, over the
same whole. Same seed, same history.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.figures import SHARE_PARTS
from lib.core.models import FigureSnapshot, Town
from lib.queries import overview, training
from lib.services.common import insert_many
from lib.services.snapshots import MONTH_END

MONTHS = 12
TRAINING = "training_share"


def month_ends_before(day: dt.date, months: int) -> list[dt.date]:
    """The last days of the `months` months before `day`'s month, oldest first."""
    ends = []
    end = day.replace(day=1) - dt.timedelta(days=1)
    for _ in range(months):
        ends.append(end)
        end = end.replace(day=1) - dt.timedelta(days=1)
    return ends[::-1]


def add_history(session: Session, *, as_of: dt.date, seed: int) -> int:
    """Insert the month-end snapshots of the year before `as_of`; the caller commits. Returns the
    rows inserted."""
    progress = overview.town_progress(session)
    town_ids = {code: town_id for code, town_id in session.execute(select(Town.code, Town.id))}
    ends = month_ends_before(as_of, MONTHS)
    trained = training.coverage_by_town_on(session, days=ends).set_index(["day", "town_code"])
    rows = []
    for town in progress.to_dict("records"):
        code = str(town["town_code"])
        for end in ends:
            counted = trained.loc[(end, code)] if (end, code) in trained.index else None
            rows.append(
                {
                    "taken_on": end,
                    "town_id": town_ids[code],
                    "measure": TRAINING,
                    "part": int(counted["trained"]) if counted is not None else 0,
                    "whole": int(counted["serving"]) if counted is not None else 0,
                    "reason": MONTH_END,
                }
            )
        for measure, (part, whole) in SHARE_PARTS.items():
            if measure == TRAINING:
                continue
            total = int(town[whole])
            now = int(town[part]) / total if total else 0.0
            step = random.Random(f"{seed}:history:{code}:{measure}").uniform(0.004, 0.02)
            for months_back, end in zip(range(len(ends), 0, -1), ends, strict=True):
                share = max(0.0, now - step * months_back)
                rows.append(
                    {
                        "taken_on": end,
                        "town_id": town_ids[code],
                        "measure": measure,
                        "part": min(total, round(share * total)),
                        "whole": total,
                        "reason": MONTH_END,
                    }
                )
    insert_many(session, FigureSnapshot, rows)
    return len(rows)
