"""The county at a glance: per-town counts aggregated in SQL, and the totals for a selection.

One row per town holds additive counts only; shares are derived from the counts so that the
Overview's tiles and its town table always agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import ColumnElement, Select, Subquery, and_, case, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from lib.core.domain import AttendanceStatus, HouseholdStatus, PlanStage, PostingRole
from lib.core.figures import OverviewTotals
from lib.core.models import (
    LIVE_HOUSEHOLD,
    Attendance,
    Household,
    IndustryPlan,
    Posting,
    Town,
    TrainingProgramme,
    TrainingSession,
    VerificationVisit,
    Village,
    VillageHouseholdCounts,
)
from lib.queries import rollups
from lib.queries.common import (
    AnySelect,
    GroupKey,
    count_if,
    latest_visits,
    result_frame,
    stage_rank,
    town_filter,
)

COUNT_COLUMNS = [
    "villages",
    "poor_villages",
    "poor_villages_exited",
    "households",
    "households_exited",
    "households_poor",
    "households_monitored",
    "people",
    "people_exited",
    "people_poor",
    "population",
    "households_with_labour",
    "labour_households_with_plan",
    "households_with_plan",
    "stage_planned",
    "stage_started",
    "stage_producing",
    "stage_stable",
    "households_verified",
    "secretaries_serving",
    "secretaries_trained",
]

SHARE_COLUMNS = ["exited_share", "plan_share", "stable_share", "verified_share", "training_share"]
PROGRESS_PARTS = ["exited_share", "plan_share", "verified_share", "training_share"]


def village_counts(key: GroupKey, town_codes: Sequence[str] | None) -> AnySelect:
    """Villages, poor villages, exited poor villages and population, grouped by `key`."""
    poor = Village.is_poor.is_(True)
    stmt = (
        select(
            key.label("key"),
            func.count().label("villages"),
            func.sum(case((poor, 1), else_=0)).label("poor_villages"),
            func.sum(case((and_(poor, Village.actual_exit_year.is_not(None)), 1), else_=0)).label(
                "poor_villages_exited"
            ),
            func.coalesce(func.sum(Village.population), 0).label("population"),
        )
        .join(Town, Town.id == Village.town_id)
        .group_by(key)
    )
    return town_filter(stmt, town_codes)


def correlated_best_stage(session: Session) -> bool:
    """Whether `household_counts` should find best stages per row (SQLite) or by one grouped join."""
    return session.get_bind().dialect.name == "sqlite"


def verified_household_ids(
    verified: rollups.VerifiedWindow, only: ColumnElement[bool] | None = None
) -> Subquery:
    """The households whose ledger counts as verified in `verified` (see VerifiedWindow): their
    latest visit up to its date verified the ledger and was on or after its start. `only` narrows
    the visits read (a condition on VerificationVisit)."""
    latest = latest_visits(verified.as_of, only)
    return (
        select(latest.c.household_id)
        .where(latest.c.ledger_verified.is_(True), latest.c.visited_on >= verified.since)
        .subquery()
    )


def household_counts(
    key: GroupKey,
    town_codes: Sequence[str] | None,
    *,
    village_codes: Sequence[str] | None = None,
    village_ids: Sequence[int] | None = None,
    correlated: bool = True,
    verified: rollups.VerifiedWindow,
) -> AnySelect:
    """Household counts per `key` (a column of Village or Town) in the selected towns (and
    villages, when `village_codes` or `village_ids` is given; the ids also narrow the visits and
    plans read, so refreshing one village's rollup row reads only its households).

    Each household's best plan stage comes from its plans in one of two ways, the same result:
    `correlated` (a MAX per household over the plans' covering index; on SQLite ~3× faster at city
    scale) or one join to the plans grouped by household (faster on PostgreSQL, whose hash
    aggregate beats 300k index probes). Callers pass `correlated_best_stage(session)`.
    """

    def of_villages(column: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
        if village_ids is None:
            return literal(True)
        return column.in_(select(Household.id).where(Household.village_id.in_(list(village_ids))))

    grouped = (
        select(
            IndustryPlan.household_id.label("household_id"),
            func.max(stage_rank(IndustryPlan.stage)).label("best_rank"),
        )
        .where(of_villages(IndustryPlan.household_id))
        .group_by(IndustryPlan.household_id)
        .subquery()
    )
    best_rank = (
        select(func.max(stage_rank(IndustryPlan.stage)))
        .where(IndustryPlan.household_id == Household.id)
        .scalar_subquery()
        if correlated
        else grouped.c.best_rank
    )
    # Not `id IN (subquery)` in the select list: PostgreSQL evaluates that per row, and when the
    # ids do not fit in work_mem it scans them for every household (minutes at city scale).
    verified_households = verified_household_ids(verified, of_villages(VerificationVisit.household_id))
    inner = town_filter(
        select(
            key.label("key"),
            Household.status.label("status"),
            Household.members.label("members"),
            Household.labour_count.label("labour_count"),
            best_rank.label("best_rank"),
            case((verified_households.c.household_id.is_not(None), 1), else_=0).label("verified"),
        )
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id)
        .outerjoin(verified_households, verified_households.c.household_id == Household.id)
        .where(LIVE_HOUSEHOLD),
        town_codes,
    )
    if not correlated:
        inner = inner.outerjoin(grouped, grouped.c.household_id == Household.id)
    if village_codes:
        inner = inner.where(Village.code.in_(list(village_codes)))
    if village_ids is not None:
        inner = inner.where(Household.village_id.in_(list(village_ids)))
    per = inner.subquery("per_household")
    exited = per.c.status == HouseholdStatus.EXITED.value
    poor = per.c.status == HouseholdStatus.POOR.value
    has_labour = per.c.labour_count > 0
    has_plan = per.c.best_rank.is_not(None)

    stage_columns = [
        count_if(per.c.best_rank == stage.rank).label(f"stage_{stage.value}") for stage in PlanStage
    ]
    return select(
        per.c.key.label("key"),
        func.count().label("households"),
        count_if(exited).label("households_exited"),
        count_if(poor).label("households_poor"),
        count_if(per.c.status == HouseholdStatus.MONITORED.value).label("households_monitored"),
        func.sum(per.c.members).label("people"),
        func.sum(case((exited, per.c.members), else_=0)).label("people_exited"),
        func.sum(case((poor, per.c.members), else_=0)).label("people_poor"),
        count_if(has_labour).label("households_with_labour"),
        count_if(and_(has_labour, has_plan)).label("labour_households_with_plan"),
        count_if(has_plan).label("households_with_plan"),
        *stage_columns,
        func.sum(per.c.verified).label("households_verified"),
    ).group_by(per.c.key)


HOUSEHOLD_COUNT_COLUMNS = [
    "households",
    "households_exited",
    "households_poor",
    "households_monitored",
    "people",
    "people_exited",
    "people_poor",
    "households_with_labour",
    "labour_households_with_plan",
    "households_with_plan",
    *(f"stage_{stage.value}" for stage in PlanStage),
    "households_verified",
]


def stored_household_counts(
    key: GroupKey, town_codes: Sequence[str] | None, *, village_codes: Sequence[str] | None = None
) -> AnySelect:
    """`household_counts` added up from the village_household_counts rollup (same columns)."""
    stored = VillageHouseholdCounts
    stmt = town_filter(
        select(
            key.label("key"),
            *(func.sum(getattr(stored, name)).label(name) for name in HOUSEHOLD_COUNT_COLUMNS),
        )
        .select_from(stored)
        .join(Village, Village.id == stored.village_id)
        .join(Town, Town.id == Village.town_id),
        town_codes,
    )
    if village_codes:
        stmt = stmt.where(Village.code.in_(list(village_codes)))
    return stmt.group_by(key)


def household_counts_for(
    session: Session,
    key: GroupKey,
    town_codes: Sequence[str] | None,
    *,
    village_codes: Sequence[str] | None = None,
) -> AnySelect:
    """`household_counts` for a page: from the rollup while it is current, else from the base tables."""
    if rollups.counts_ready(session):
        return stored_household_counts(key, town_codes, village_codes=village_codes)
    return household_counts(
        key,
        town_codes,
        village_codes=village_codes,
        correlated=correlated_best_stage(session),
        verified=rollups.verified_window(session),
    )


def attended_cadres(*, required: bool | None = None, kind: str | None = None) -> Select[int]:
    """Cadres who attended a session of a programme that is required (or not) and/or of a kind."""
    stmt = (
        select(Attendance.cadre_id)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .join(TrainingProgramme, TrainingProgramme.id == TrainingSession.programme_id)
        .where(Attendance.status == AttendanceStatus.ATTENDED.value)
        .distinct()
    )
    if required is not None:
        stmt = stmt.where(TrainingProgramme.required.is_(required))
    if kind is not None:
        stmt = stmt.where(TrainingProgramme.kind == kind)
    return stmt


def trained_cadres() -> Select[int]:
    """Cadres who attended a session of a required (rotation) programme."""
    return attended_cadres(required=True)


def secretary_counts(key: GroupKey, town_codes: Sequence[str] | None) -> AnySelect:
    """Serving first secretaries and how many of them completed required training, by `key`."""
    trained = trained_cadres().subquery()
    stmt = (
        select(
            key.label("key"),
            func.count(func.distinct(Posting.cadre_id)).label("secretaries_serving"),
            func.count(func.distinct(trained.c.cadre_id)).label("secretaries_trained"),
        )
        .join(Village, Village.id == Posting.village_id)
        .join(Town, Town.id == Village.town_id)
        .outerjoin(trained, trained.c.cadre_id == Posting.cadre_id)
        .where(Posting.role == PostingRole.FIRST_SECRETARY.value, Posting.end_date.is_(None))
        .group_by(key)
    )
    return town_filter(stmt, town_codes)


def town_progress(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per town (all towns when `town_codes` is empty): counts, shares and overall progress.

    Sorted by town code. Columns: town_code, name_zh, name_en, the COUNT_COLUMNS, the
    SHARE_COLUMNS (NaN where the whole is zero) and `progress`, the mean of PROGRESS_PARTS.
    """
    towns = town_filter(
        select(Town.id.label("key"), Town.code.label("town_code"), Town.name_zh, Town.name_en),
        town_codes,
    ).order_by(Town.code)
    frame = result_frame(session, towns)
    parts = (
        village_counts(Village.town_id, town_codes),
        household_counts_for(session, Village.town_id, town_codes),
        secretary_counts(Village.town_id, town_codes),
    )
    for part in parts:
        counts = result_frame(session, part)
        if counts.empty:
            continue
        frame = frame.merge(counts, on="key", how="left")
    for column in COUNT_COLUMNS:
        if column not in frame:
            frame[column] = 0
        frame[column] = frame[column].fillna(0).astype("int64")
    add_shares(frame)
    return frame.drop(columns=["key"]).reset_index(drop=True)


def add_shares(frame: pd.DataFrame) -> None:
    """Add the SHARE_COLUMNS, poverty incidence and progress to per-place counts, in place."""

    def ratio(part: str, whole: str) -> pd.Series:
        whole_values = frame[whole].where(frame[whole] > 0)
        return (frame[part] / whole_values).astype("float64")

    frame["exited_share"] = ratio("households_exited", "households")
    frame["plan_share"] = ratio("labour_households_with_plan", "households_with_labour")
    frame["stable_share"] = ratio("stage_stable", "households_with_plan")
    frame["verified_share"] = ratio("households_verified", "households")
    frame["training_share"] = ratio("secretaries_trained", "secretaries_serving")
    frame["poverty_incidence"] = ratio("people_poor", "population")
    if "poor_villages" in frame:  # not for one village
        frame["poor_village_exit_share"] = ratio("poor_villages_exited", "poor_villages")
    frame["progress"] = frame[PROGRESS_PARTS].mean(axis=1, skipna=True)


def totals(progress: pd.DataFrame) -> OverviewTotals:
    """Add up the per-town counts of `town_progress` for the whole selection."""
    counts = {column: int(progress[column].sum()) if column in progress else 0 for column in COUNT_COLUMNS}
    return OverviewTotals(towns=len(progress), counts=counts)


def stage_counts(totals_: OverviewTotals) -> pd.DataFrame:
    """Households by their most advanced plan's stage, in stage order: columns stage, households."""
    return pd.DataFrame(
        {
            "stage": [stage.value for stage in PlanStage],
            "households": [totals_[f"stage_{stage.value}"] for stage in PlanStage],
        }
    )


def has_any_town(session: Session) -> bool:
    return session.scalar(select(literal(1)).select_from(Town).limit(1)) is not None


RANKING_MEASURES = ["progress", *SHARE_COLUMNS]


def rank_towns(
    progress: pd.DataFrame, *, by: str = "progress", worst_first: bool = False, code: str = "town_code"
) -> pd.DataFrame:
    """`town_progress` rows (or `village_progress` rows, with code="village_code") with `rank` 1…n
    on `by` (1 the best), best first or worst first (places without data last either way)."""
    if by not in RANKING_MEASURES:
        raise ValueError(f"unknown ranking measure {by!r}")
    ranked = progress.sort_values([by, code], ascending=[False, True], na_position="last")
    ranked = ranked.reset_index(drop=True)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    if worst_first:
        with_data = ranked[ranked[by].notna()].iloc[::-1]
        ranked = pd.concat([with_data, ranked[ranked[by].isna()]]).reset_index(drop=True)
    return ranked
