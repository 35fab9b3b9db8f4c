"""What the attendance and village-staff forms on /updates need to offer.

A cadre's *current place* is the village and town of their open posting (`end_date` NULL), a
first-secretary posting before a team-member one, the latest started first. It is the place the
training page counts a secretary in, and the place that decides which town editor may record
their attendance. Someone with no open posting has no current place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from lib.core.domain import AttendanceStatus, PostingRole
from lib.core.models import (
    Attendance,
    Cadre,
    Industry,
    Posting,
    Town,
    TrainingProgramme,
    TrainingSession,
    Village,
)
from lib.queries.common import AnySelect

SESSION_COLUMNS = [
    "session_id",
    "programme_zh",
    "programme_en",
    "required",
    "phase",
    "place_zh",
    "place_en",
    "start_date",
    "end_date",
    "on_roster",
    "attended",
]
PLACE_COLUMNS = [
    "village_code",
    "village_name_zh",
    "village_name_en",
    "town_code",
    "town_name_zh",
    "town_name_en",
]
ROSTER_COLUMNS = ["cadre_id", "name", "status", *PLACE_COLUMNS]
CANDIDATE_COLUMNS = ["cadre_id", "name", *PLACE_COLUMNS]
STAFF_COLUMNS = ["posting_id", "cadre_id", "name", "role", "unit_zh", "unit_en", "start_date"]
APPOINTABLE_COLUMNS = ["cadre_id", "name", "gender", "birth_year", "unit_zh", "unit_en", "last_end"]
INDUSTRY_COLUMNS = ["code", "category", "name_zh", "name_en"]


def current_postings() -> AnySelect:
    """One row per cadre with an open posting: cadre_id, posting_id, role, village and town codes."""
    ranked = (
        select(
            Posting.cadre_id,
            Posting.id.label("posting_id"),
            Posting.role,
            Village.code.label("village_code"),
            Town.code.label("town_code"),
            func.row_number()
            .over(
                partition_by=Posting.cadre_id,
                order_by=(
                    case((Posting.role == PostingRole.FIRST_SECRETARY.value, 0), else_=1),
                    Posting.start_date.desc(),
                    Posting.id.desc(),
                ),
            )
            .label("rank"),
        )
        .join(Village, Village.id == Posting.village_id)
        .join(Town, Town.id == Village.town_id)
        .where(Posting.end_date.is_(None))
        .subquery()
    )
    return select(
        ranked.c.cadre_id,
        ranked.c.posting_id,
        ranked.c.role,
        ranked.c.village_code,
        ranked.c.town_code,
    ).where(ranked.c.rank == 1)


def _with_place(stmt: AnySelect, cadre_id: Any) -> tuple[AnySelect, Any]:
    """`stmt` with the cadre's current place (PLACE_COLUMNS) added; returns it and the place subquery."""
    place = current_postings().subquery()
    village, town = aliased(Village), aliased(Town)
    stmt = (
        stmt.add_columns(
            place.c.village_code,
            village.name_zh,
            village.name_en,
            place.c.town_code,
            town.name_zh,
            town.name_en,
        )
        .outerjoin(place, place.c.cadre_id == cadre_id)
        .outerjoin(village, village.code == place.c.village_code)
        .outerjoin(town, town.id == village.town_id)
    )
    return stmt, place


def started_sessions(session: Session, *, as_of: dt.date) -> pd.DataFrame:
    """Training sessions that started on or before `as_of`, the newest first, with roster counts."""
    tallies = (
        select(
            Attendance.session_id,
            func.count().label("on_roster"),
            func.sum(case((Attendance.status == AttendanceStatus.ATTENDED.value, 1), else_=0)).label(
                "attended"
            ),
        )
        .group_by(Attendance.session_id)
        .subquery()
    )
    stmt = (
        select(
            TrainingSession.id,
            TrainingProgramme.name_zh,
            TrainingProgramme.name_en,
            TrainingProgramme.required,
            TrainingSession.phase,
            TrainingSession.place_zh,
            TrainingSession.place_en,
            TrainingSession.start_date,
            TrainingSession.end_date,
            func.coalesce(tallies.c.on_roster, 0),
            func.coalesce(tallies.c.attended, 0),
        )
        .join(TrainingProgramme, TrainingProgramme.id == TrainingSession.programme_id)
        .outerjoin(tallies, tallies.c.session_id == TrainingSession.id)
        .where(TrainingSession.start_date <= as_of)
        .order_by(TrainingSession.start_date.desc(), TrainingSession.id.desc())
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=SESSION_COLUMNS)
    frame["required"] = frame["required"].astype(bool)
    for column in ("phase", "on_roster", "attended"):
        frame[column] = frame[column].astype("int64")
    return frame


def session_roster(session: Session, *, session_id: int, town_code: str | None = None) -> pd.DataFrame:
    """Everyone on a session's roster with their status and current place, by town, village, name.

    With `town_code`, only those whose current place is in that town (a town editor's share).
    """
    stmt, place = _with_place(
        select(Attendance.cadre_id, Cadre.name, Attendance.status)
        .join(Cadre, Cadre.id == Attendance.cadre_id)
        .where(Attendance.session_id == session_id),
        Attendance.cadre_id,
    )
    if town_code is not None:
        stmt = stmt.where(place.c.town_code == town_code)
    stmt = stmt.order_by(place.c.town_code, place.c.village_code, Cadre.name, Attendance.cadre_id)
    return pd.DataFrame(session.execute(stmt).all(), columns=ROSTER_COLUMNS)


def walk_in_candidates(session: Session, *, session_id: int, town_code: str | None = None) -> pd.DataFrame:
    """Serving first secretaries not on the session's roster (who may be added as walk-ins)."""
    on_roster = select(Attendance.cadre_id).where(Attendance.session_id == session_id)
    stmt, place = _with_place(select(Cadre.id, Cadre.name), Cadre.id)
    stmt = stmt.where(
        place.c.role == PostingRole.FIRST_SECRETARY.value,
        Cadre.id.not_in(on_roster),
    )
    if town_code is not None:
        stmt = stmt.where(place.c.town_code == town_code)
    stmt = stmt.order_by(place.c.town_code, place.c.village_code, Cadre.name, Cadre.id)
    return pd.DataFrame(session.execute(stmt).all(), columns=CANDIDATE_COLUMNS)


def village_staff(session: Session, *, village_code: str) -> pd.DataFrame:
    """The village's open postings: the first secretary first, then team members by start date."""
    stmt = (
        select(
            Posting.id,
            Cadre.id,
            Cadre.name,
            Posting.role,
            Cadre.sent_by_unit_zh,
            Cadre.sent_by_unit_en,
            Posting.start_date,
        )
        .join(Cadre, Cadre.id == Posting.cadre_id)
        .join(Village, Village.id == Posting.village_id)
        .where(Village.code == village_code, Posting.end_date.is_(None))
        .order_by(
            case((Posting.role == PostingRole.FIRST_SECRETARY.value, 0), else_=1),
            Posting.start_date,
            Posting.id,
        )
    )
    return pd.DataFrame(session.execute(stmt).all(), columns=STAFF_COLUMNS)


def appointable_cadres(session: Session) -> pd.DataFrame:
    """Cadres with no open posting anywhere (free to be posted), by name; `last_end` their latest end."""
    open_postings = select(Posting.cadre_id).where(Posting.end_date.is_(None))
    last_end = (
        select(Posting.cadre_id, func.max(Posting.end_date).label("last_end"))
        .group_by(Posting.cadre_id)
        .subquery()
    )
    stmt = (
        select(
            Cadre.id,
            Cadre.name,
            Cadre.gender,
            Cadre.birth_year,
            Cadre.sent_by_unit_zh,
            Cadre.sent_by_unit_en,
            last_end.c.last_end,
        )
        .outerjoin(last_end, last_end.c.cadre_id == Cadre.id)
        .where(Cadre.id.not_in(open_postings))
        .order_by(Cadre.name, Cadre.id)
    )
    return pd.DataFrame(session.execute(stmt).all(), columns=APPOINTABLE_COLUMNS)


def village_product(session: Session, *, village_code: str) -> dict[str, Any] | None:
    """The village's signature product, its industry's code and the row's version (None if unknown)."""
    row = session.execute(
        select(
            Village.signature_product_zh,
            Village.signature_product_en,
            Industry.code,
            Village.version,
        )
        .outerjoin(Industry, Industry.id == Village.signature_industry_id)
        .where(Village.code == village_code)
    ).first()
    if row is None:
        return None
    return {"product_zh": row[0], "product_en": row[1], "industry_code": row[2], "version": int(row[3])}


def industries(session: Session) -> pd.DataFrame:
    """Every industry, by category then code."""
    stmt = select(Industry.code, Industry.category, Industry.name_zh, Industry.name_en).order_by(
        Industry.category, Industry.code
    )
    return pd.DataFrame(session.execute(stmt).all(), columns=INDUSTRY_COLUMNS)
