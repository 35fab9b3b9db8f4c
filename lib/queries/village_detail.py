"""Everything about one village, for the village page: the detail behind its key figures, in SQL.

The key figures themselves (households by status, poverty incidence, plan, stable and verified
shares, exit status, first secretary, signature product) come from
`lib.queries.villages.village_measures(session, village_codes=[code])`; this module adds the lists
and breakdowns behind them. Every function takes the 12-digit village code; an unknown code gives
empty results, never an error. Missing text (no partner, no problems) comes back as pandas'
missing value.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import ColumnElement, Float, case, cast, func, select
from sqlalchemy.orm import Session

from lib.core.domain import NO_PLAN, STAGE_ORDER, HouseholdStatus, PlanStage, PostingRole, ProgrammeKind
from lib.core.figures import VisitSummary
from lib.core.models import (
    Cadre,
    Household,
    Industry,
    IndustryPlan,
    Organisation,
    OrganisationLink,
    Posting,
    Town,
    VerificationVisit,
    Village,
)
from lib.queries import rollups
from lib.queries.common import AnySelect, count_if, rows_frame, stage_rank, town_filter
from lib.queries.overview import attended_cadres, trained_cadres, verified_household_ids

STATUS_ORDER = [status.value for status in HouseholdStatus]


def _in_village(code: str) -> ColumnElement[bool]:
    return Village.code == code


# --- the picker -------------------------------------------------------------------------------


def village_list(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Villages of the selected towns (all when empty), by town then village code.

    Columns: code, name_zh, name_en, town_code, town_name_zh, town_name_en.
    """
    stmt = town_filter(
        select(Village.code, Village.name_zh, Village.name_en, Town.code, Town.name_zh, Town.name_en).join(
            Town, Town.id == Village.town_id
        ),
        town_codes,
    ).order_by(Town.code, Village.code)
    columns = ["code", "name_zh", "name_en", "town_code", "town_name_zh", "town_name_en"]
    return rows_frame(session, stmt, columns)


# --- the work team ----------------------------------------------------------------------------


def study_tour_cadres() -> AnySelect:
    """Cadres who attended a session of a study-tour programme (e.g. the Bijie tour)."""
    return attended_cadres(kind=ProgrammeKind.STUDY_TOUR.value)


WORK_TEAM_COLUMNS = [
    "name",
    "role",
    "unit_zh",
    "unit_en",
    "start_date",
    "end_date",
    "serving",
    "trained",
    "study_tour",
]


def work_team(session: Session, *, code: str) -> pd.DataFrame:
    """Everyone posted to the village: serving first (first secretary, then team members), then
    earlier postings, the most recently ended first.

    Columns: name, role (first_secretary / team_member), unit_zh, unit_en (the sending unit),
    start_date, end_date (None while serving), serving, trained (attended a session of a required
    programme, as the Overview counts it), study_tour (attended a study tour).
    """
    trained = trained_cadres().subquery()
    toured = study_tour_cadres().subquery()
    serving = Posting.end_date.is_(None)
    stmt = (
        select(
            Cadre.name,
            Posting.role,
            Cadre.sent_by_unit_zh,
            Cadre.sent_by_unit_en,
            Posting.start_date,
            Posting.end_date,
            case((serving, 1), else_=0),
            case((trained.c.cadre_id.is_not(None), 1), else_=0),
            case((toured.c.cadre_id.is_not(None), 1), else_=0),
        )
        .join(Cadre, Cadre.id == Posting.cadre_id)
        .join(Village, Village.id == Posting.village_id)
        .outerjoin(trained, trained.c.cadre_id == Posting.cadre_id)
        .outerjoin(toured, toured.c.cadre_id == Posting.cadre_id)
        .where(_in_village(code))
        .order_by(
            case((serving, 0), else_=1),
            case((Posting.role == PostingRole.FIRST_SECRETARY.value, 0), else_=1),
            Posting.end_date.desc(),
            Posting.start_date.desc(),
            Cadre.name,
            Posting.id,
        )
    )
    frame = rows_frame(session, stmt, WORK_TEAM_COLUMNS)
    for column in ("serving", "trained", "study_tour"):
        frame[column] = frame[column].astype(bool)
    return frame


# --- households -------------------------------------------------------------------------------


def _best_stage(code: str) -> AnySelect:
    """The village's households that have a plan, with the rank of their most advanced plan."""
    return (
        select(
            IndustryPlan.household_id.label("household_id"),
            func.max(stage_rank(IndustryPlan.stage)).label("best_rank"),
        )
        .join(Household, Household.id == IndustryPlan.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(_in_village(code))
        .group_by(IndustryPlan.household_id)
    )


def _stage_name(rank: ColumnElement[int]) -> ColumnElement[str]:
    """The stage for a rank from `stage_rank`; NULL (no plan) becomes NO_PLAN."""
    return case({stage.rank: stage.value for stage in PlanStage}, value=rank, else_=NO_PLAN)


HOUSEHOLD_COLUMNS = [
    "archive_no",
    "head_name",
    "members",
    "labour_count",
    "status",
    "primary_cause",
    "housing_grade",
    "stage",
    "verified",
    "last_visit",
]


def households(session: Session, *, code: str) -> pd.DataFrame:
    """The village's registered households by archive number.

    Columns: archive_no, head_name (unmasked: the page masks it), members, labour_count, status,
    primary_cause, housing_grade, stage (most advanced plan stage, "none" without a plan),
    verified (its ledger counts as verified, as on every page: `rollups.VerifiedWindow`),
    last_visit (date of the latest visit, or None).
    """
    best = _best_stage(code).subquery()
    village_visits = VerificationVisit.household_id.in_(
        select(Household.id).join(Village, Village.id == Household.village_id).where(_in_village(code))
    )
    verified = verified_household_ids(rollups.verified_window(session), village_visits)
    visited = (
        select(
            VerificationVisit.household_id.label("household_id"),
            func.max(VerificationVisit.visited_on).label("last_visit"),
        )
        .join(Household, Household.id == VerificationVisit.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(_in_village(code))
        .group_by(VerificationVisit.household_id)
        .subquery()
    )
    stmt = (
        select(
            Household.archive_no,
            Household.head_name,
            Household.members,
            Household.labour_count,
            Household.status,
            Household.primary_cause,
            Household.housing_grade,
            _stage_name(best.c.best_rank),
            case((verified.c.household_id.is_not(None), 1), else_=0),
            visited.c.last_visit,
        )
        .join(Village, Village.id == Household.village_id)
        .outerjoin(best, best.c.household_id == Household.id)
        .outerjoin(visited, visited.c.household_id == Household.id)
        .outerjoin(verified, verified.c.household_id == Household.id)
        .where(_in_village(code))
        .order_by(Household.archive_no)
    )
    frame = rows_frame(session, stmt, HOUSEHOLD_COLUMNS)
    frame["verified"] = frame["verified"].astype(bool)
    return frame


def status_by_stage(session: Session, *, code: str) -> pd.DataFrame:
    """Households counted by status × most advanced plan stage, counted in SQL.

    One row per status in STATUS_ORDER (poor, exited, monitored; zeros included), columns
    status, then STAGE_ORDER (none, planned, started, producing, stable), then total.
    """
    best = _best_stage(code).subquery()
    # Grouped outside the subquery: PostgreSQL will not match a GROUP BY expression that carries
    # bound parameters (the CASE) to the same expression in the select list.
    per_household = (
        select(Household.status.label("status"), _stage_name(best.c.best_rank).label("stage"))
        .join(Village, Village.id == Household.village_id)
        .outerjoin(best, best.c.household_id == Household.id)
        .where(_in_village(code))
        .subquery()
    )
    stmt = select(per_household.c.status, per_household.c.stage, func.count()).group_by(
        per_household.c.status, per_household.c.stage
    )
    counts = rows_frame(session, stmt, ["status", "stage", "households"])
    grid = (
        counts.pivot_table(index="status", columns="stage", values="households", aggfunc="sum")
        .reindex(index=STATUS_ORDER, columns=STAGE_ORDER)
        .fillna(0)
        .astype("int64")
    )
    grid["total"] = grid.sum(axis=1)
    grid.columns.name = None
    return grid.rename_axis("status").reset_index()


# --- industries -------------------------------------------------------------------------------

PLAN_COLUMNS = [
    "archive_no",
    "industry_zh",
    "industry_en",
    "category",
    "stage",
    "stage_since",
    "partner_zh",
    "partner_en",
    "expected_income",
    "actual_income",
]


def industry_plans(session: Session, *, code: str) -> pd.DataFrame:
    """Every industry plan of the village's households, by archive number, most advanced first.

    Columns: archive_no, industry_zh, industry_en, category, stage, stage_since, partner_zh,
    partner_en (the enterprise or cooperative carrying the plan, or None), expected_income,
    actual_income (yuan a year, or None).
    """
    stmt = (
        select(
            Household.archive_no,
            Industry.name_zh,
            Industry.name_en,
            Industry.category,
            IndustryPlan.stage,
            IndustryPlan.stage_since,
            Organisation.name_zh,
            Organisation.name_en,
            IndustryPlan.expected_income,
            IndustryPlan.actual_income,
        )
        .join(Household, Household.id == IndustryPlan.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Industry, Industry.id == IndustryPlan.industry_id)
        .outerjoin(Organisation, Organisation.id == IndustryPlan.partner_org_id)
        .where(_in_village(code))
        .order_by(Household.archive_no, stage_rank(IndustryPlan.stage).desc(), IndustryPlan.id)
    )
    return rows_frame(session, stmt, PLAN_COLUMNS)


def top_industries(session: Session, *, code: str, limit: int = 5) -> pd.DataFrame:
    """The village's industries by the number of its households with a plan in them, most first.

    Columns: industry_zh, industry_en, category, households, share (of all the village's
    households; NaN when it has none), signature (the village's signature industry).
    """
    total = (
        select(func.count())
        .select_from(Household)
        .join(Village, Village.id == Household.village_id)
        .where(_in_village(code))
        .scalar_subquery()
    )
    planned = func.count(func.distinct(IndustryPlan.household_id))
    stmt = (
        select(
            Industry.name_zh,
            Industry.name_en,
            Industry.category,
            planned,
            cast(planned, Float) / func.nullif(total, 0),
            func.max(case((Village.signature_industry_id == Industry.id, 1), else_=0)),
        )
        .join(Household, Household.id == IndustryPlan.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Industry, Industry.id == IndustryPlan.industry_id)
        .where(_in_village(code))
        .group_by(Industry.id, Industry.code, Industry.name_zh, Industry.name_en, Industry.category)
        .order_by(planned.desc(), Industry.code)
        .limit(limit)
    )
    frame = rows_frame(
        session, stmt, ["industry_zh", "industry_en", "category", "households", "share", "signature"]
    )
    frame["share"] = frame["share"].astype("float64")
    frame["signature"] = frame["signature"].astype(bool)
    return frame


# --- enterprises and cooperatives -------------------------------------------------------------


def organisation_links(session: Session, *, code: str) -> pd.DataFrame:
    """Enterprises and cooperatives carrying the village's households, per benefit type.

    Columns: name_zh, name_en, kind (enterprise / cooperative), benefit_type, households (linked
    households), amount (their total annual amount in yuan, 0 when none recorded). Most
    households first.
    """
    households_ = func.count(func.distinct(OrganisationLink.household_id))
    stmt = (
        select(
            Organisation.name_zh,
            Organisation.name_en,
            Organisation.kind,
            OrganisationLink.benefit_type,
            households_,
            func.coalesce(func.sum(OrganisationLink.annual_amount), 0),
        )
        .join(Organisation, Organisation.id == OrganisationLink.organisation_id)
        .join(Household, Household.id == OrganisationLink.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(_in_village(code))
        .group_by(
            Organisation.id,
            Organisation.name_zh,
            Organisation.name_en,
            Organisation.kind,
            OrganisationLink.benefit_type,
        )
        .order_by(households_.desc(), Organisation.id, OrganisationLink.benefit_type)
    )
    frame = rows_frame(session, stmt, ["name_zh", "name_en", "kind", "benefit_type", "households", "amount"])
    frame["amount"] = frame["amount"].astype("int64")
    return frame


# --- verification -----------------------------------------------------------------------------


def visits(session: Session, *, code: str) -> pd.DataFrame:
    """Verification visits to the village's households, newest first.

    Columns: visited_on, archive_no, visitor_name, ledger_verified, problems (missing when none
    were found), satisfied (None when not asked).
    """
    stmt = (
        select(
            VerificationVisit.visited_on,
            Household.archive_no,
            VerificationVisit.visitor_name,
            VerificationVisit.ledger_verified,
            VerificationVisit.problems,
            VerificationVisit.satisfied,
        )
        .join(Household, Household.id == VerificationVisit.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(_in_village(code))
        .order_by(VerificationVisit.visited_on.desc(), Household.archive_no, VerificationVisit.id.desc())
    )
    frame = rows_frame(
        session,
        stmt,
        ["visited_on", "archive_no", "visitor_name", "ledger_verified", "problems", "satisfied"],
    )
    frame["ledger_verified"] = frame["ledger_verified"].astype(bool)
    return frame


def visit_summary(session: Session, *, code: str) -> VisitSummary:
    """Visits, households visited, visits that found problems, satisfaction and the latest date."""
    stmt = (
        select(
            func.count(VerificationVisit.id),
            func.count(func.distinct(VerificationVisit.household_id)),
            count_if(VerificationVisit.problems.is_not(None)),
            count_if(VerificationVisit.satisfied.is_(True)),
            count_if(VerificationVisit.satisfied.is_not(None)),
            func.max(VerificationVisit.visited_on),
        )
        .join(Household, Household.id == VerificationVisit.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(_in_village(code))
    )
    row = session.execute(stmt).one()
    return VisitSummary(
        visits=int(row[0] or 0),
        households_visited=int(row[1] or 0),
        visits_with_problems=int(row[2] or 0),
        satisfied=int(row[3] or 0),
        satisfaction_answers=int(row[4] or 0),
        last_visit=row[5],
    )
