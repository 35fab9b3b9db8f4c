"""What a county has loaded so far: the setup checklist's counts (an empty install opens on it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from lib.core.domain import Role
from lib.core.models import (
    Attendance,
    Base,
    Boundary,
    Household,
    IndustryPlan,
    Organisation,
    Posting,
    Town,
    User,
    Village,
)


@dataclass(frozen=True)
class SetupStatus:
    """How many of each thing the database holds, in the order a county loads them."""

    administrators: int
    towns: int
    villages: int
    outlines: int
    households: int
    postings: int
    attendance: int
    organisations: int
    plans: int

    @property
    def complete(self) -> bool:
        return all(count > 0 for count in (self.administrators, self.towns, self.outlines, self.households))


def _count(session: Session, model: type[Base], *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def setup_status(session: Session) -> SetupStatus:
    """The checklist's counts: active administrators, divisions, outlines, households, rosters."""
    return SetupStatus(
        administrators=_count(session, User, User.role == Role.ADMIN.value, User.is_active.is_(True)),
        towns=_count(session, Town),
        villages=_count(session, Village),
        outlines=_count(session, Boundary),
        households=_count(session, Household),
        postings=_count(session, Posting, Posting.end_date.is_(None)),
        attendance=_count(session, Attendance),
        organisations=_count(session, Organisation),
        plans=_count(session, IndustryPlan),
    )
