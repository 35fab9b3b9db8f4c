"""Keep the towns' key figures on a date, so pages can say what changed since then.

`take_snapshot` stores, for every town, each measure of `lib.core.figures.SHARE_PARTS` as its part
and whole (counted as the Overview counts them), dated; a second snapshot on the same date
replaces the first. It is taken at each month end (`python -m lib.admin snapshot`, e.g. from cron
on the last day of the month) and whenever a meeting deck is made. A snapshot is the system's
record, not a user's edit: it needs no permission, and its audit row names no user.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lib.core.db import begin_write
from lib.core.figures import SHARE_PARTS
from lib.core.models import FigureSnapshot, Town
from lib.queries import overview
from lib.services.common import bump_data_version, insert_many, record_audit

MONTH_END = "month_end"
MEETING = "meeting"
REASONS = (MONTH_END, MEETING)


def take_snapshot(session: Session, *, taken_on: dt.date, reason: str) -> int:
    """Store every town's key figures as they are now, dated `taken_on`; commits. Returns the rows
    stored (towns × measures), 0 when that date already holds these very figures (a second deck
    the same day writes nothing, so it does not make every reader's cached pages refresh)."""
    if reason not in REASONS:
        raise ValueError(f"unknown snapshot reason {reason!r}")
    # Read before taking the write lock (a deck's snapshot usually finds the day's figures kept
    # already, and then never locks anyone out); the figures are one read's, a consistent moment.
    try:
        progress = overview.town_progress(session)
        town_ids = {code: town_id for code, town_id in session.execute(select(Town.code, Town.id))}
        rows = [
            {
                "taken_on": taken_on,
                "town_id": town_ids[str(town["town_code"])],
                "measure": measure,
                "part": int(town[part]),
                "whole": int(town[whole]),
                "reason": reason,
            }
            for town in progress.to_dict("records")
            for measure, (part, whole) in SHARE_PARTS.items()
        ]
        kept = session.execute(
            select(
                FigureSnapshot.town_id, FigureSnapshot.measure, FigureSnapshot.part, FigureSnapshot.whole
            ).where(FigureSnapshot.taken_on == taken_on)
        ).all()
    finally:
        session.rollback()
    if {tuple(row) for row in kept} == {(r["town_id"], r["measure"], r["part"], r["whole"]) for r in rows}:
        return 0
    begin_write(session)
    try:
        session.execute(delete(FigureSnapshot).where(FigureSnapshot.taken_on == taken_on))
        insert_many(session, FigureSnapshot, rows)
        record_audit(
            session,
            actor=None,
            action="snapshot.take",
            table="figure_snapshots",
            key=taken_on.isoformat(),
            old=None,
            new={"reason": reason, "towns": len(progress)},
        )
        bump_data_version(session)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return len(rows)
