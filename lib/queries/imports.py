"""What the import templates are prefilled with: the households a user may change, as they are now."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.domain import STATUS_FIELDS
from lib.core.models import Household, Town, Village

STATUS_COLUMNS = (*STATUS_FIELDS, "version")
HOUSEHOLD_STATUS_COLUMNS = ["archive_no", "village_zh", "village_en", "head_name", *STATUS_COLUMNS]


def household_status_rows(
    session: Session, *, town_code: str | None = None, village_code: str | None = None
) -> pd.DataFrame:
    """Households of a town (or one village) with their status, exit checks, exit steps and version.

    Neither code: every household. Ordered by archive number.
    """
    stmt = (
        select(
            Household.archive_no,
            Village.name_zh,
            Village.name_en,
            Household.head_name,
            *(getattr(Household, name) for name in STATUS_COLUMNS),
        )
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id)
        .order_by(Household.archive_no)
    )
    if town_code:
        stmt = stmt.where(Town.code == town_code)
    if village_code:
        stmt = stmt.where(Village.code == village_code)
    return pd.DataFrame(session.execute(stmt).all(), columns=HOUSEHOLD_STATUS_COLUMNS)
