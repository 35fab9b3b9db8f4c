"""What the industry-plan form needs: a household's plans, the industries, and partner organisations."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from lib.core.domain import IndustryCategory
from lib.core.models import Household, Industry, IndustryPlan, Organisation, Town, Village

PLAN_COLUMNS = [
    "plan_id",
    "industry_code",
    "industry_name_zh",
    "industry_name_en",
    "category",
    "stage",
    "planned_on",
    "started_on",
    "stage_since",
    "partner_org_id",
    "partner_name_zh",
    "partner_name_en",
    "expected_income",
    "actual_income",
    "version",
]
INDUSTRY_COLUMNS = ["code", "category", "name_zh", "name_en"]
PARTNER_COLUMNS = [
    "organisation_id",
    "kind",
    "name_zh",
    "name_en",
    "town_code",
    "town_name_zh",
    "town_name_en",
    "same_town",
]
HOUSEHOLD_FIELDS = ("household_id", "archive_no", "labour_count", "village_code", "town_code")


def household_plans(session: Session, *, household_id: int) -> pd.DataFrame:
    """The household's plans, oldest first, with industry and partner names and each plan's version.

    Incomes are whole yuan or missing (pandas' nullable Int64); dates are `datetime.date` or None.
    """
    stmt = (
        select(
            IndustryPlan.id,
            Industry.code,
            Industry.name_zh,
            Industry.name_en,
            Industry.category,
            IndustryPlan.stage,
            IndustryPlan.planned_on,
            IndustryPlan.started_on,
            IndustryPlan.stage_since,
            IndustryPlan.partner_org_id,
            Organisation.name_zh,
            Organisation.name_en,
            IndustryPlan.expected_income,
            IndustryPlan.actual_income,
            IndustryPlan.version,
        )
        .join(Industry, Industry.id == IndustryPlan.industry_id)
        .outerjoin(Organisation, Organisation.id == IndustryPlan.partner_org_id)
        .where(IndustryPlan.household_id == household_id)
        .order_by(IndustryPlan.id)
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=PLAN_COLUMNS)
    for column in ("partner_org_id", "expected_income", "actual_income"):
        frame[column] = frame[column].astype("Int64")
    return frame


def industry_choices(session: Session) -> pd.DataFrame:
    """Every industry a plan may name, by category (planting … shares) then code."""
    order = case(
        {category.value: rank for rank, category in enumerate(IndustryCategory)}, value=Industry.category
    )
    stmt = select(Industry.code, Industry.category, Industry.name_zh, Industry.name_en).order_by(
        order, Industry.code
    )
    return pd.DataFrame(session.execute(stmt).all(), columns=INDUSTRY_COLUMNS)


def partner_choices(session: Session, *, household_id: int) -> pd.DataFrame:
    """Enterprises and cooperatives a plan may name: those of the household's town first, then by town."""
    home_town = (
        select(Village.town_id)
        .join(Household, Household.village_id == Village.id)
        .where(Household.id == household_id)
        .scalar_subquery()
    )
    same_town = case((Organisation.town_id == home_town, 1), else_=0)
    stmt = (
        select(
            Organisation.id,
            Organisation.kind,
            Organisation.name_zh,
            Organisation.name_en,
            Town.code,
            Town.name_zh,
            Town.name_en,
            same_town,
        )
        .outerjoin(Town, Town.id == Organisation.town_id)
        .order_by(same_town.desc(), Town.code.nulls_last(), Organisation.id)
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=PARTNER_COLUMNS)
    frame["same_town"] = frame["same_town"].astype(bool)
    return frame


def plan_household(session: Session, *, household_id: int) -> dict[str, Any] | None:
    """The household facts the form shows and uses: archive number, labour, village and town codes."""
    row = session.execute(
        select(Household.id, Household.archive_no, Household.labour_count, Village.code, Town.code)
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id)
        .where(Household.id == household_id)
    ).first()
    return None if row is None else dict(zip(HOUSEHOLD_FIELDS, row, strict=True))
