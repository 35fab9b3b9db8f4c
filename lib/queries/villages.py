"""Per-village figures for the map and the village card, aggregated in SQL.

The counts are the same building blocks as the Overview's (grouped by village instead of town),
so a village's figures add up to its town's.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.core.domain import PostingRole
from lib.core.models import Cadre, Posting, Town, Village
from lib.queries.common import AnySelect, result_frame, town_filter
from lib.queries.overview import (
    COUNT_COLUMNS,
    add_shares,
    household_counts_for,
    secretary_counts,
    village_counts,
)

# Every per-group count but the village tallies, which mean nothing for a single village.
VILLAGE_COUNT_COLUMNS = [
    c for c in COUNT_COLUMNS if c not in ("villages", "poor_villages", "poor_villages_exited")
]

MEASURE_COLUMNS = [
    "exit_status",
    "poverty_incidence",
    "plan_share",
    "stable_share",
    "verified_share",
    "secretary_trained",
]


def _ratio(frame: pd.DataFrame, part: str, whole: str) -> pd.Series:
    whole_values = frame[whole].where(frame[whole] > 0)
    return (frame[part] / whole_values).astype("float64")


def exit_status(is_poor: bool, actual_exit_year: float | None) -> str:
    """`exited` (a poor village that has exited), `due` (poor, not yet) or `not_poor`."""
    if not is_poor:
        return "not_poor"
    return "due" if actual_exit_year is None or pd.isna(actual_exit_year) else "exited"


def village_measures(
    session: Session, *, town_codes: Sequence[str] | None = None, village_codes: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per village in the selected towns (all when empty), sorted by village code.

    `village_codes`, when given, keeps only those villages (the village card and page use one).

    Columns: village_code, name_zh, name_en, town_code, town_name_zh, town_name_en, lon, lat,
    is_poor, planned_exit_year, actual_exit_year, signature_product_zh/en, the
    VILLAGE_COUNT_COLUMNS, secretary (name of the serving first secretary, or None), and the
    measures: exit_status, poverty_incidence, plan_share, stable_share, verified_share,
    secretary_trained ("trained" / "not_trained" / "no_secretary").
    """
    base = town_filter(
        select(
            Village.id.label("key"),
            Village.code.label("village_code"),
            Village.name_zh,
            Village.name_en,
            Town.code.label("town_code"),
            Town.name_zh.label("town_name_zh"),
            Town.name_en.label("town_name_en"),
            Village.lon,
            Village.lat,
            Village.is_poor,
            Village.planned_exit_year,
            Village.actual_exit_year,
            Village.signature_product_zh,
            Village.signature_product_en,
        ).join(Town, Town.id == Village.town_id),
        town_codes,
    ).order_by(Village.code)
    if village_codes:
        base = base.where(Village.code.in_(list(village_codes)))
    frame = result_frame(session, base)
    if frame.empty:
        return pd.DataFrame(
            columns=[
                "village_code",
                "name_zh",
                "name_en",
                "town_code",
                "town_name_zh",
                "town_name_en",
                "lon",
                "lat",
                "is_poor",
                *VILLAGE_COUNT_COLUMNS,
                "secretary",
                *MEASURE_COLUMNS,
            ]
        )
    only = Village.code.in_(list(village_codes)) if village_codes else None
    places, secretaries = village_counts(Village.id, town_codes), secretary_counts(Village.id, town_codes)
    if only is not None:
        places, secretaries = places.where(only), secretaries.where(only)
    households = household_counts_for(session, Village.id, town_codes, village_codes=village_codes)
    for stmt in (places, households, secretaries):
        counts = result_frame(session, stmt)
        if not counts.empty:
            frame = frame.merge(counts.drop(columns=["villages"], errors="ignore"), on="key", how="left")
    names_stmt = _secretary_names(town_codes)
    names = result_frame(session, names_stmt if only is None else names_stmt.where(only))
    if names.empty:
        frame["secretary"] = None
    else:
        frame = frame.merge(names, on="key", how="left")
    for column in VILLAGE_COUNT_COLUMNS:
        if column not in frame:
            frame[column] = 0
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["exit_status"] = [
        exit_status(bool(poor), year)
        for poor, year in zip(frame["is_poor"], frame["actual_exit_year"], strict=True)
    ]
    frame["poverty_incidence"] = _ratio(frame, "people_poor", "population")
    frame["plan_share"] = _ratio(frame, "labour_households_with_plan", "households_with_labour")
    frame["stable_share"] = _ratio(frame, "stage_stable", "households_with_plan")
    frame["verified_share"] = _ratio(frame, "households_verified", "households")
    frame["secretary_trained"] = [
        "no_secretary" if serving == 0 else ("trained" if trained == serving else "not_trained")
        for serving, trained in zip(frame["secretaries_serving"], frame["secretaries_trained"], strict=True)
    ]
    return frame.drop(columns=["key", "villages"], errors="ignore").reset_index(drop=True)


def village_progress(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per village, in the shape of `overview.town_progress` (counts, SHARE_COLUMNS and
    progress; the village's code in village_code), for ranking a town's villages."""
    frame = village_measures(session, town_codes=town_codes)
    counts = frame[["village_code", "name_zh", "name_en", "town_code", *VILLAGE_COUNT_COLUMNS]].copy()
    add_shares(counts)
    return counts


def _secretary_names(town_codes: Sequence[str] | None) -> AnySelect:
    """The serving first secretary's name per village (the first by name if there are two)."""
    return town_filter(
        select(Posting.village_id.label("key"), func.min(Cadre.name).label("secretary"))
        .join(Cadre, Cadre.id == Posting.cadre_id)
        .join(Village, Village.id == Posting.village_id)
        .join(Town, Town.id == Village.town_id)
        .where(Posting.role == PostingRole.FIRST_SECRETARY.value, Posting.end_date.is_(None))
        .group_by(Posting.village_id),
        town_codes,
    )


def due_villages(measures: pd.DataFrame, *, as_of_year: int | None = None) -> pd.DataFrame:
    """Registered poor villages not yet exited (from village_measures): those overdue first (their
    planned exit year before `as_of_year`), then highest poverty incidence first. Adds
    `years_overdue` (0 when not overdue or without a plan or a date)."""
    due = measures[measures["exit_status"] == "due"].copy()
    if due.empty:
        return due.assign(years_overdue=pd.Series(dtype="int64"))
    planned = pd.to_numeric(due["planned_exit_year"], errors="coerce")
    late = (as_of_year - planned).where(planned < as_of_year) if as_of_year is not None else None
    due["years_overdue"] = late.fillna(0).astype("int64") if late is not None else 0
    return due.sort_values(
        ["years_overdue", "poverty_incidence", "village_code"],
        ascending=[False, False, True],
        na_position="last",
    )
