"""What the update forms need to offer: the villages a user may edit and their households."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from lib.core.domain import STATUS_FIELDS
from lib.core.models import Household, Town, VerificationVisit, Village
from lib.queries import rollups
from lib.queries.overview import verified_household_ids

VILLAGE_CHOICE_COLUMNS = ["village_code", "name_zh", "name_en", "town_code", "town_name_zh", "town_name_en"]
HOUSEHOLD_CHOICE_COLUMNS = [
    "household_id",
    "archive_no",
    "head_name",
    "status",
    "version",
    "verified",
    "last_visit",
]


def village_choices(
    session: Session, *, town_code: str | None = None, village_code: str | None = None
) -> pd.DataFrame:
    """Villages in a town (or the one village), by code; all villages when neither is given."""
    stmt = (
        select(Village.code, Village.name_zh, Village.name_en, Town.code, Town.name_zh, Town.name_en)
        .join(Town, Town.id == Village.town_id)
        .order_by(Village.code)
    )
    if town_code:
        stmt = stmt.where(Town.code == town_code)
    if village_code:
        stmt = stmt.where(Village.code == village_code)
    return pd.DataFrame(session.execute(stmt).all(), columns=VILLAGE_CHOICE_COLUMNS)


def household_choices(session: Session, *, village_code: str) -> pd.DataFrame:
    """The village's households with their version (for stale-edit checks) and verification state
    (verified as on every page: `rollups.VerifiedWindow`)."""
    in_village = VerificationVisit.household_id.in_(
        select(Household.id)
        .join(Village, Village.id == Household.village_id)
        .where(Village.code == village_code)
    )
    verified = verified_household_ids(rollups.verified_window(session), in_village)
    visits = (
        select(
            VerificationVisit.household_id,
            func.max(VerificationVisit.visited_on).label("last_visit"),
        )
        .where(in_village)
        .group_by(VerificationVisit.household_id)
        .subquery()
    )
    stmt = (
        select(
            Household.id,
            Household.archive_no,
            Household.head_name,
            Household.status,
            Household.version,
            case((verified.c.household_id.is_not(None), 1), else_=0),
            visits.c.last_visit,
        )
        .join(Village, Village.id == Household.village_id)
        .outerjoin(visits, visits.c.household_id == Household.id)
        .outerjoin(verified, verified.c.household_id == Household.id)
        .where(Village.code == village_code)
        .order_by(Household.archive_no)
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=HOUSEHOLD_CHOICE_COLUMNS)
    frame["verified"] = frame["verified"].astype(bool)
    return frame


STATUS_FORM_FIELDS = (*STATUS_FIELDS, "version", "archive_no")


def household_record(session: Session, *, household_id: int) -> dict[str, Any] | None:
    """The status form's current values for one household (None if it does not exist)."""
    row = session.execute(
        select(*(getattr(Household, name) for name in STATUS_FORM_FIELDS)).where(Household.id == household_id)
    ).first()
    return None if row is None else dict(zip(STATUS_FORM_FIELDS, row, strict=True))
