"""The key figures kept on earlier dates (figure_snapshots): what changed since then, and each
measure month by month. Shares are worked out from the kept parts and wholes, summed over the
selected towns, so a selection's share is the share of its counts (never a mean of shares)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.core.models import FigureSnapshot, Town
from lib.queries.common import AnySelect, town_filter

SERIES_COLUMNS = ["taken_on", "measure", "part", "whole", "share"]


def snapshot_dates(session: Session) -> list[dt.date]:
    """Every date a snapshot was kept, newest first."""
    dates = select(FigureSnapshot.taken_on).distinct().order_by(FigureSnapshot.taken_on.desc())
    return list(session.scalars(dates).all())


def _summed(town_codes: Sequence[str] | None) -> AnySelect:
    """Each snapshot date's measures, parts and wholes summed over the selected towns."""
    stmt = (
        select(
            FigureSnapshot.taken_on,
            FigureSnapshot.measure,
            func.sum(FigureSnapshot.part).label("part"),
            func.sum(FigureSnapshot.whole).label("whole"),
        )
        .join(Town, Town.id == FigureSnapshot.town_id)
        .group_by(FigureSnapshot.taken_on, FigureSnapshot.measure)
    )
    return town_filter(stmt, town_codes)


def figures_on(
    session: Session, *, day: dt.date, town_codes: Sequence[str] | None = None
) -> tuple[dt.date, dict[str, tuple[int, int]]] | None:
    """The latest snapshot on or before `day`: its date and each measure's (part, whole) summed
    over the selected towns; None when there is none."""
    taken_on = session.scalar(select(func.max(FigureSnapshot.taken_on)).where(FigureSnapshot.taken_on <= day))
    if taken_on is None:
        return None
    rows = session.execute(_summed(town_codes).where(FigureSnapshot.taken_on == taken_on)).all()
    return taken_on, {str(measure): (int(part), int(whole)) for _, measure, part, whole in rows}


def series(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Every snapshot's shares, oldest first: taken_on, measure, part, whole, share (NaN where the
    whole is 0)."""
    rows = session.execute(
        _summed(town_codes).order_by(FigureSnapshot.taken_on, FigureSnapshot.measure)
    ).all()
    frame = pd.DataFrame(rows, columns=SERIES_COLUMNS[:4])
    frame["share"] = (frame["part"] / frame["whole"].where(frame["whole"] > 0)).astype("float64")
    return frame
