"""The assessment page's read side: per-household data checks, readiness counts, the mock sample.

Every check is a function of `household_facts` (one row per household, built in SQL) that returns
a SQL condition, so a check runs over a city's ~300k households in the database. The checks:

- `income_below_line` — an *exited* household (status exited, or monitored with an exit year)
  whose latest per-capita income up to as_of's year is not above that year's poverty line
  (`lib.core.domain.poverty_line`, as the exit service requires). Risk of a wrong exit.
- `guarantee_not_met` — an exited household with any of the six exit checks (food, clothing,
  compulsory education, basic medical care, safe housing, safe water) not met. Risk of a wrong exit.
- `exit_steps_missing` — an exited household with an exit step undated, or any household with a
  step dated while an earlier one is not.
- `exit_steps_out_of_order` — two dated exit steps where the later step is dated before the earlier.
- `fields_missing` — head's ID number, primary cause, housing grade or helper empty; an exited
  household without an exit year; or no per-capita income for as_of's year or the year before.
- `not_verified` — no visit up to as_of, or the latest visit could not verify the ledger.
- `verified_long_ago` — the latest visit verified the ledger, but before the date
  `within_months` calendar months before as_of.
- `members_income_mismatch` — more labour than members, or the latest per-capita income more than
  twice or less than half the year before's (a members change or a total typed as per capita).
- `housing_contradiction` — housing graded C or D (unsafe) but "safe housing" marked as met.
- `unregistered_need` — a visit up to as_of found a household in need that is not registered; it
  counts toward missed identification.

Readiness counts, per town or village: households; exited; verified_current (neither
`not_verified` nor `verified_long_ago`); wrong_exits (exited households tripping
`income_below_line` or `guarantee_not_met`); visited (households with a visit up to as_of);
found_need (visited households with `unregistered_need`); answered / satisfied (the latest visit
that asked about satisfaction, and whether the household was satisfied); one count per check; and
with_issues (households tripping any check). `lib.rules.assessment.readiness_table` turns them into
rates and statuses.

As elsewhere, functions take `town_codes` (none or empty = all) and `as_of` (app_meta's date);
nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from sqlalchemy import CTE, ColumnElement, Subquery, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from lib.core.domain import EXIT_STEPS, HOUSEHOLD_FLAGS, HousingGrade
from lib.core.models import (
    LIVE_HOUSEHOLD,
    Household,
    HouseholdDerivedFacts,
    HouseholdIncome,
    Town,
    VerificationVisit,
    Village,
)
from lib.queries import rollups
from lib.queries.common import (
    AnySelect,
    count_if,
    frames_in_chunks,
    latest_visits,
    months_before,
    poverty_line_sql,
    town_filter,
)
from lib.rules import assessment
from lib.rules.assessment import CHECK_FAMILIES, CHECK_KEYS, COUNT_COLUMNS

Level = Literal["town", "village"]
MISMATCH_FACTOR = 2  # a per-capita income more than doubling or halving in a year is suspicious


# --- one row of facts per household -----------------------------------------------------------


HouseholdIds = Sequence[int] | None


def _only(column: Any, household_ids: HouseholdIds) -> ColumnElement[bool]:
    return column.in_(list(household_ids)) if household_ids is not None else literal(True)


def _latest_income(as_of: dt.date, household_ids: HouseholdIds = None) -> Subquery:
    """Each household's latest income year up to as_of's year, its figure and the year before's."""
    latest = (
        select(
            HouseholdIncome.household_id.label("household_id"), func.max(HouseholdIncome.year).label("year")
        )
        .where(HouseholdIncome.year <= as_of.year, _only(HouseholdIncome.household_id, household_ids))
        .group_by(HouseholdIncome.household_id)
        .subquery()
    )
    current, previous = aliased(HouseholdIncome), aliased(HouseholdIncome)
    return (
        select(
            latest.c.household_id,
            latest.c.year,
            current.per_capita_income.label("income"),
            previous.per_capita_income.label("previous"),
        )
        .join(current, and_(current.household_id == latest.c.household_id, current.year == latest.c.year))
        .outerjoin(
            previous, and_(previous.household_id == latest.c.household_id, previous.year == latest.c.year - 1)
        )
        .subquery()
    )


def _latest_visit(
    as_of: dt.date, household_ids: HouseholdIds = None, *, answered_only: bool = False
) -> Subquery:
    """Each household's latest visit up to as_of (of those that asked about satisfaction, if so)."""
    return latest_visits(
        as_of, _only(VerificationVisit.household_id, household_ids), answered_only=answered_only
    )


def _visit_totals(as_of: dt.date, household_ids: HouseholdIds = None) -> Subquery:
    """Visits per household up to as_of, and whether any found unregistered need."""
    return (
        select(
            VerificationVisit.household_id.label("household_id"),
            func.count().label("visits"),
            func.max(case((VerificationVisit.found_unregistered_need.is_(True), 1), else_=0)).label(
                "found_need"
            ),
        )
        .where(VerificationVisit.visited_on <= as_of, _only(VerificationVisit.household_id, household_ids))
        .group_by(VerificationVisit.household_id)
        .subquery()
    )


DERIVED_COLUMNS = (
    "income_year",
    "income",
    "previous_income",
    "last_visit_on",
    "last_ledger_verified",
    "last_satisfied",
    "visits",
    "found_need",
)


def derived_facts(as_of: dt.date, household_ids: HouseholdIds = None) -> AnySelect:
    """What the checks read from incomes and visits: household_id and the DERIVED_COLUMNS, one row
    per household (of `household_ids`, when given). Stored as the household_derived_facts rollup."""
    income = _latest_income(as_of, household_ids)
    last = _latest_visit(as_of, household_ids)
    answer = _latest_visit(as_of, household_ids, answered_only=True)
    totals = _visit_totals(as_of, household_ids)
    return (
        select(
            Household.id.label("household_id"),
            income.c.year.label("income_year"),
            income.c.income,
            income.c.previous.label("previous_income"),
            last.c.visited_on.label("last_visit_on"),
            last.c.ledger_verified.label("last_ledger_verified"),
            answer.c.satisfied.label("last_satisfied"),
            func.coalesce(totals.c.visits, 0).label("visits"),
            func.coalesce(totals.c.found_need, 0).label("found_need"),
        )
        .outerjoin(income, income.c.household_id == Household.id)
        .outerjoin(last, last.c.household_id == Household.id)
        .outerjoin(answer, answer.c.household_id == Household.id)
        .outerjoin(totals, totals.c.household_id == Household.id)
        .where(_only(Household.id, household_ids))
    )


def household_facts(
    as_of: dt.date,
    *,
    town_codes: Sequence[str] | None = None,
    stored: bool = False,
    household_ids: HouseholdIds = None,
) -> Subquery:
    """One row per household of the selected towns with everything the checks read.

    Columns: the household's own (id, archive_no, head_name, status, members, labour_count,
    head_id_number, primary_cause, housing_grade, helper_name, exit_year, the six HOUSEHOLD_FLAGS, the five
    EXIT_STEPS), village_id, village_code, village_name_zh/en, town_code, town_name_zh/en, and the
    DERIVED_COLUMNS: income_year, income, previous_income, last_visit_on, last_ledger_verified,
    last_satisfied (the latest answer), visits, found_need.

    `stored` reads the derived columns from the household_derived_facts rollup (the caller checks
    `lib.queries.rollups.facts_ready` first) instead of working them out from incomes and visits,
    and adds the stored checks' 0/1 columns (`exited` and STORED_CHECKS).
    """
    derived: Any = (
        HouseholdDerivedFacts.__table__ if stored else derived_facts(as_of, household_ids).subquery("derived")
    )
    stored_columns = [derived.c[name] for name in ("exited", *STORED_CHECKS)] if stored else []
    stmt = (
        select(
            Household.id.label("household_id"),
            Household.archive_no,
            Household.head_name,
            Household.status,
            Household.members,
            Household.labour_count,
            Household.head_id_number,
            Household.primary_cause,
            Household.housing_grade,
            Household.helper_name,
            Household.exit_year,
            *(getattr(Household, flag) for flag in HOUSEHOLD_FLAGS),
            *(getattr(Household, step) for step in EXIT_STEPS),
            Household.village_id,
            Village.code.label("village_code"),
            Village.name_zh.label("village_name_zh"),
            Village.name_en.label("village_name_en"),
            Town.code.label("town_code"),
            Town.name_zh.label("town_name_zh"),
            Town.name_en.label("town_name_en"),
            *(derived.c[name] for name in DERIVED_COLUMNS[:-2]),
            func.coalesce(derived.c.visits, 0).label("visits"),
            func.coalesce(derived.c.found_need, 0).label("found_need"),
            *stored_columns,
        )
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id)
        .outerjoin(derived, derived.c.household_id == Household.id)
        .where(_only(Household.id, household_ids), LIVE_HOUSEHOLD)
    )
    return town_filter(stmt, town_codes).subquery("facts")


# --- the checks -------------------------------------------------------------------------------


def is_exited(f: Subquery) -> ColumnElement[bool]:
    """The register says the household left poverty: exited, or monitored with an exit year."""
    return or_(f.c.status == "exited", and_(f.c.status == "monitored", f.c.exit_year.is_not(None)))


def income_below_line(f: Subquery, as_of: dt.date, within_months: int) -> ColumnElement[bool]:
    return and_(is_exited(f), f.c.income.is_not(None), f.c.income <= poverty_line_sql(f.c.income_year))


def guarantee_not_met(f: Subquery, as_of: dt.date, within_months: int) -> ColumnElement[bool]:
    return and_(is_exited(f), or_(*(f.c[flag].is_(False) for flag in HOUSEHOLD_FLAGS)))


def exit_steps_missing(f: Subquery, as_of: dt.date, within_months: int) -> ColumnElement[bool]:
    undated_exit = and_(is_exited(f), or_(*(f.c[step].is_(None) for step in EXIT_STEPS)))
    gap = or_(
        *(
            and_(f.c[earlier].is_(None), f.c[later].is_not(None))
            for i, earlier in enumerate(EXIT_STEPS)
            for later in EXIT_STEPS[i + 1 :]
        )
    )
    return or_(undated_exit, gap)


def exit_steps_out_of_order(f: Subquery, as_of: dt.date, within_months: int) -> ColumnElement[bool]:
    return or_(
        *(
            and_(f.c[earlier].is_not(None), f.c[later].is_not(None), f.c[later] < f.c[earlier])
            for i, earlier in enumerate(EXIT_STEPS)
            for later in EXIT_STEPS[i + 1 :]
        )
    )


def _blank(column: ColumnElement[str]) -> ColumnElement[bool]:
    return or_(column.is_(None), func.trim(column) == "")


def fields_missing(f: Subquery, as_of: dt.date, within_months: int) -> ColumnElement[bool]:
    return or_(
        _blank(f.c.head_id_number),
        _blank(f.c.primary_cause),
        _blank(f.c.housing_grade),
        _blank(f.c.helper_name),
        and_(f.c.status == "exited", f.c.exit_year.is_(None)),
        f.c.income_year.is_(None),
        f.c.income_year < as_of.year - 1,
    )


def not_verified(f: Subquery, as_of: dt.date, within_months: int) -> ColumnElement[bool]:
    return or_(f.c.last_visit_on.is_(None), f.c.last_ledger_verified.is_(False))


def verified_long_ago(f: Subquery, as_of: dt.date, within_months: int) -> ColumnElement[bool]:
    cutoff = months_before(as_of, within_months)
    return and_(f.c.last_ledger_verified.is_(True), f.c.last_visit_on < cutoff)


def members_income_mismatch(f: Subquery, as_of: dt.date, within_months: int) -> ColumnElement[bool]:
    jump = and_(
        f.c.income.is_not(None),
        f.c.previous_income > 0,
        or_(
            f.c.income > MISMATCH_FACTOR * f.c.previous_income,
            f.c.income * MISMATCH_FACTOR < f.c.previous_income,
        ),
    )
    return or_(f.c.labour_count > f.c.members, jump)


def housing_contradiction(f: Subquery, as_of: dt.date, within_months: int) -> ColumnElement[bool]:
    unsafe = f.c.housing_grade.in_([HousingGrade.C.value, HousingGrade.D.value])
    return and_(unsafe, f.c.guarantee_housing.is_(True))


def unregistered_need(f: Subquery, as_of: dt.date, within_months: int) -> ColumnElement[bool]:
    return f.c.found_need == 1


CheckFunction = Callable[[Subquery, dt.date, int], ColumnElement[bool]]


@dataclass(frozen=True)
class Check:
    """A data check: its key (labels `assessment.check.<key>`), family and condition."""

    key: str
    family: str
    condition: CheckFunction


CONDITIONS: dict[str, CheckFunction] = {
    "income_below_line": income_below_line,
    "guarantee_not_met": guarantee_not_met,
    "exit_steps_missing": exit_steps_missing,
    "exit_steps_out_of_order": exit_steps_out_of_order,
    "fields_missing": fields_missing,
    "not_verified": not_verified,
    "verified_long_ago": verified_long_ago,
    "members_income_mismatch": members_income_mismatch,
    "housing_contradiction": housing_contradiction,
    "unregistered_need": unregistered_need,
}
CHECKS: tuple[Check, ...] = tuple(
    Check(key, family, CONDITIONS[key]) for key, family in CHECK_FAMILIES.items()
)
CHECKS_BY_KEY = {check.key: check for check in CHECKS}
# Stored per household in the rollup; verified_long_ago depends on a setting (within_months).
STORED_CHECKS = [key for key in CHECK_KEYS if key != "verified_long_ago"]


def _conditions(f: Subquery, as_of: dt.date, within_months: int) -> dict[str, ColumnElement[bool]]:
    return {check.key: check.condition(f, as_of, within_months) for check in CHECKS}


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 where `condition` is true, else 0 (false or NULL)."""
    return case((condition, 1), else_=0)


def _flags(
    f: Subquery, as_of: dt.date, within_months: int, *columns: ColumnElement[Any], stored: bool = False
) -> CTE:
    """`columns` of the facts plus one 0/1 column per check. From stored facts, the stored checks'
    columns; otherwise a MATERIALIZED CTE (SQLite ≥ 3.35, PostgreSQL ≥ 12), so each check is
    evaluated once per household."""
    if stored:
        checks = [
            f.c[key] if key in STORED_CHECKS else _flag(CHECKS_BY_KEY[key].condition(f, as_of, within_months))
            for key in CHECK_KEYS
        ]
        return select(
            *columns, *(check.label(key) for check, key in zip(checks, CHECK_KEYS, strict=True))
        ).cte("flags")
    conditions = _conditions(f, as_of, within_months)
    return (
        select(*columns, *(_flag(conditions[key]).label(key) for key in CHECK_KEYS))
        .cte("flags")
        .prefix_with("MATERIALIZED")
    )


def stored_checks(as_of: dt.date, household_ids: HouseholdIds = None) -> AnySelect:
    """What the household_derived_facts rollup stores, worked out from the base tables: household_id,
    village_id, the DERIVED_COLUMNS, `exited` and the STORED_CHECKS (0/1)."""
    f = household_facts(as_of, household_ids=household_ids)
    conditions = _conditions(f, as_of, 0)
    return select(
        f.c.household_id,
        f.c.village_id,
        *(f.c[name] for name in DERIVED_COLUMNS),
        _flag(is_exited(f)).label("exited"),
        *(_flag(conditions[key]).label(key) for key in STORED_CHECKS),
    )


STORED_COLUMNS = ["household_id", "village_id", *DERIVED_COLUMNS, "exited", *STORED_CHECKS]


def _stored_readiness_facts(town_codes: Sequence[str] | None) -> Subquery:
    """The rollup's columns readiness needs, with town and village codes (no household columns)."""
    stored = HouseholdDerivedFacts.__table__
    return town_filter(
        select(
            Town.code.label("town_code"),
            Village.code.label("village_code"),
            *(stored.c[name] for name in STORED_COLUMNS[2:]),
        )
        .select_from(stored)
        .join(Village, Village.id == stored.c.village_id)
        .join(Town, Town.id == Village.town_id),
        town_codes,
    ).subquery("facts")


def _any_flag(flags: CTE, keys: Sequence[str]) -> ColumnElement[bool]:
    total: ColumnElement[int] = flags.c[keys[0]]
    for key in keys[1:]:
        total = total + flags.c[key]
    return total > 0


# --- readiness counts -------------------------------------------------------------------------

TOWN_COLUMNS = ["town_code", "name_zh", "name_en"]
VILLAGE_COLUMNS = ["village_code", "name_zh", "name_en", "town_code", "town_name_zh", "town_name_en"]


def readiness_counts(
    session: Session,
    *,
    as_of: dt.date,
    within_months: int = 12,
    level: Level = "town",
    town_codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per town (or village) of the selected towns, by code, with COUNT_COLUMNS (zeros
    where there are no households). Towns: town_code, name_zh, name_en; villages: village_code,
    name_zh, name_en, town_code, town_name_zh, town_name_en."""
    stored = rollups.facts_ready(session, as_of)
    f = _stored_readiness_facts(town_codes) if stored else household_facts(as_of, town_codes=town_codes)
    key = f.c.town_code if level == "town" else f.c.village_code
    # Each check once per household into a materialised CTE, then sums: evaluating the checks'
    # expressions inside every aggregate (and again for the combinations) took twice as long.
    flags = _flags(
        f,
        as_of,
        within_months,
        key.label("code"),
        (f.c.exited if stored else _flag(is_exited(f))).label("exited"),
        _flag(f.c.visits > 0).label("visited"),
        _flag(f.c.last_satisfied.is_not(None)).label("answered"),
        _flag(f.c.last_satisfied.is_(True)).label("satisfied"),
        stored=stored,
    )
    c = flags.c
    counts = select(
        c.code,
        func.count().label("households"),
        func.sum(c.exited).label("exited"),
        count_if(and_(c.not_verified == 0, c.verified_long_ago == 0)).label("verified_current"),
        count_if(or_(c.income_below_line == 1, c.guarantee_not_met == 1)).label("wrong_exits"),
        func.sum(c.visited).label("visited"),
        count_if(and_(c.visited == 1, c.unregistered_need == 1)).label("found_need"),
        func.sum(c.answered).label("answered"),
        func.sum(c.satisfied).label("satisfied"),
        *(func.sum(c[name]).label(name) for name in CHECK_KEYS),
        count_if(_any_flag(flags, CHECK_KEYS)).label("with_issues"),
    ).group_by(c.code)
    places = _places(level, town_codes)
    columns = TOWN_COLUMNS if level == "town" else VILLAGE_COLUMNS
    frame = pd.DataFrame(session.execute(places).all(), columns=columns)
    numbers = pd.DataFrame(session.execute(counts).all(), columns=["code", *COUNT_COLUMNS])
    frame = frame.merge(numbers, left_on=columns[0], right_on="code", how="left").drop(columns="code")
    for column in COUNT_COLUMNS:
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame


def _places(level: Level, town_codes: Sequence[str] | None) -> AnySelect:
    if level == "town":
        return town_filter(select(Town.code, Town.name_zh, Town.name_en), town_codes).order_by(Town.code)
    return town_filter(
        select(Village.code, Village.name_zh, Village.name_en, Town.code, Town.name_zh, Town.name_en).join(
            Town, Town.id == Village.town_id
        ),
        town_codes,
    ).order_by(Village.code)


# --- households with open issues --------------------------------------------------------------

ISSUE_COLUMNS = [
    "household_id",
    "archive_no",
    "head_name",
    "status",
    "members",
    "village_code",
    "village_name_zh",
    "village_name_en",
    "town_code",
    "town_name_zh",
    "town_name_en",
    "income_year",
    "income",
    "last_visit_on",
    *CHECK_KEYS,
    "issues",
]


def _issue_flags(
    session: Session,
    as_of: dt.date,
    within_months: int,
    town_codes: Sequence[str] | None,
    checks: Sequence[str] | None,
) -> tuple[CTE, ColumnElement[bool]]:
    """The flags CTE of the issue list and its condition: any of `checks` (all when none)."""
    wanted = list(checks) if checks else CHECK_KEYS
    stored = rollups.facts_ready(session, as_of)
    f = household_facts(as_of, town_codes=town_codes, stored=stored)
    flags = _flags(
        f,
        as_of,
        within_months,
        *(f.c[name] for name in ISSUE_COLUMNS[: ISSUE_COLUMNS.index("income_year")]),
        f.c.income_year,
        f.c.income,
        f.c.last_visit_on,
        stored=stored,
    )
    return flags, _any_flag(flags, wanted)


def issue_households(
    session: Session,
    *,
    as_of: dt.date,
    within_months: int = 12,
    town_codes: Sequence[str] | None = None,
    checks: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """Households tripping any of `checks` (all when none), by town, village and archive number;
    `limit` rows from `offset` of that order (all when `limit` is None).

    Columns ISSUE_COLUMNS: the household, its place, latest income and visit, one boolean per
    check, and `issues` (how many checks it trips). head_name is unmasked: the page masks it.
    """
    stmt = _issues_in_order(session, as_of, within_months, town_codes, checks)
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    return _with_issue_count(pd.DataFrame(session.execute(stmt).all(), columns=ISSUE_COLUMNS[:-1]))


def issue_households_chunks(
    session: Session,
    *,
    as_of: dt.date,
    within_months: int = 12,
    town_codes: Sequence[str] | None = None,
    checks: Sequence[str] | None = None,
    limit: int | None = None,
) -> Iterator[pd.DataFrame]:
    """`issue_households`'s first `limit` rows (all when None) in one query, a chunk at a time."""
    stmt = _issues_in_order(session, as_of, within_months, town_codes, checks)
    if limit is not None:
        stmt = stmt.limit(limit)
    for frame in frames_in_chunks(session, stmt, ISSUE_COLUMNS[:-1]):
        yield _with_issue_count(frame)


def _issues_in_order(
    session: Session,
    as_of: dt.date,
    within_months: int,
    town_codes: Sequence[str] | None,
    checks: Sequence[str] | None,
) -> AnySelect:
    flags, wanted = _issue_flags(session, as_of, within_months, town_codes, checks)
    c = flags.c
    # Ordered over the materialised CTE's own columns: an ORDER BY over the facts made SQLite
    # rescan the visit subqueries per row.
    return (
        select(*(c[name] for name in ISSUE_COLUMNS[:-1]))
        .where(wanted)
        .order_by(c.town_code, c.village_code, c.archive_no, c.household_id)
    )


def _with_issue_count(frame: pd.DataFrame) -> pd.DataFrame:
    for key in CHECK_KEYS:
        frame[key] = frame[key].astype(bool)
    frame["issues"] = frame[CHECK_KEYS].sum(axis=1).astype("int64")
    return frame


def issue_count(
    session: Session,
    *,
    as_of: dt.date,
    within_months: int = 12,
    town_codes: Sequence[str] | None = None,
    checks: Sequence[str] | None = None,
) -> int:
    """How many households `issue_households` lists in all (the readiness counts' `with_issues`,
    or the one check's column, add up to the same)."""
    flags, wanted = _issue_flags(session, as_of, within_months, town_codes, checks)
    return int(session.scalar(select(func.count()).select_from(flags).where(wanted)) or 0)


# --- the mock assessment ----------------------------------------------------------------------

MOCK_COLUMNS = [
    "household_id",
    "archive_no",
    "head_name",
    "status",
    "members",
    "helper_name",
    "village_code",
    "village_name_zh",
    "village_name_en",
    "town_code",
    "town_name_zh",
    "town_name_en",
    "exited",
    "wrong_exit_record",
    "last_verified_on",
    "mock_visited_on",
    "mock_ledger_verified",
    "mock_satisfied",
    "mock_found_need",
    "mock_problems",
]


@dataclass(frozen=True)
class MockSample:
    """A drawn mock assessment: its households (MOCK_COLUMNS) and its strata (population, drawn)."""

    households: pd.DataFrame
    strata: pd.DataFrame


def sample_candidates(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Every household of the selected towns that a mock assessment may draw: town_code, status,
    household_id, archive_no, sorted by them."""
    stmt = town_filter(
        select(Town.code, Household.status, Household.id, Household.archive_no)
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id)
        .where(Household.status.in_(assessment.SAMPLE_STATUSES)),
        town_codes,
    ).order_by(Town.code, Household.status, Household.archive_no)
    # Plain tuples: a DataFrame built from 300k SQLAlchemy rows took five times as long.
    rows = [tuple(row) for row in session.execute(stmt)]
    return pd.DataFrame.from_records(rows, columns=assessment.SAMPLE_COLUMNS)


def _first_mock_visit(drawn_on: dt.date, as_of: dt.date, household_ids: HouseholdIds) -> Subquery:
    """Each household's first visit dated on or after `drawn_on` (and not after as_of)."""
    ranked = (
        select(
            VerificationVisit.household_id.label("household_id"),
            VerificationVisit.visited_on.label("visited_on"),
            VerificationVisit.ledger_verified.label("ledger_verified"),
            VerificationVisit.satisfied.label("satisfied"),
            VerificationVisit.found_unregistered_need.label("found_need"),
            VerificationVisit.problems.label("problems"),
            func.row_number()
            .over(
                partition_by=VerificationVisit.household_id,
                order_by=(VerificationVisit.visited_on, VerificationVisit.id),
            )
            .label("position"),
        )
        .where(
            VerificationVisit.visited_on >= drawn_on,
            VerificationVisit.visited_on <= as_of,
            _only(VerificationVisit.household_id, household_ids),
        )
        .subquery()
    )
    return select(ranked).where(ranked.c.position == 1).subquery()


def mock_sample(
    session: Session,
    *,
    as_of: dt.date,
    drawn_on: dt.date,
    seed: int,
    sizes: Mapping[str, int] | Iterable[tuple[str, int]],
    within_months: int = 12,
    town_codes: Sequence[str] | None = None,
) -> MockSample:
    """Draw the mock assessment (`lib.rules.assessment.draw_sample`) and read each drawn household's
    facts and its first visit on or after `drawn_on` — the mock visit, recorded through the
    visit form. Households in town, village and archive-number order.

    `exited` and `wrong_exit_record` follow `is_exited` and the two wrong-exit checks;
    `last_verified_on` is the latest visit that verified the ledger before `drawn_on`.
    """
    drawn, strata = assessment.draw_sample(
        sample_candidates(session, town_codes=town_codes), sizes=dict(sizes), seed=seed
    )
    if drawn.empty:
        return MockSample(pd.DataFrame(columns=MOCK_COLUMNS), strata)
    stored = rollups.facts_ready(session, as_of)
    ids = [int(i) for i in drawn["household_id"]]
    rows: list[tuple[object, ...]] = []
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        f = household_facts(as_of, town_codes=town_codes, stored=stored, household_ids=chunk)
        conditions = _conditions(f, as_of, within_months)
        mock = _first_mock_visit(drawn_on, as_of, chunk)
        verified = (
            select(
                VerificationVisit.household_id.label("household_id"),
                func.max(VerificationVisit.visited_on).label("last_verified_on"),
            )
            .where(
                VerificationVisit.ledger_verified.is_(True),
                VerificationVisit.visited_on < drawn_on,
                VerificationVisit.household_id.in_(chunk),
            )
            .group_by(VerificationVisit.household_id)
            .subquery()
        )
        stmt = (
            select(
                f.c.household_id,
                f.c.archive_no,
                f.c.head_name,
                f.c.status,
                f.c.members,
                f.c.helper_name,
                f.c.village_code,
                f.c.village_name_zh,
                f.c.village_name_en,
                f.c.town_code,
                f.c.town_name_zh,
                f.c.town_name_en,
                case((is_exited(f), literal(True)), else_=literal(False)),
                case(
                    (or_(conditions["income_below_line"], conditions["guarantee_not_met"]), literal(True)),
                    else_=literal(False),
                ),
                verified.c.last_verified_on,
                mock.c.visited_on,
                mock.c.ledger_verified,
                mock.c.satisfied,
                mock.c.found_need,
                mock.c.problems,
            )
            .outerjoin(mock, mock.c.household_id == f.c.household_id)
            .outerjoin(verified, verified.c.household_id == f.c.household_id)
            .where(f.c.household_id.in_(chunk))
        )
        rows.extend(tuple(row) for row in session.execute(stmt).all())
    frame = pd.DataFrame(rows, columns=MOCK_COLUMNS)
    for column in ("exited", "wrong_exit_record"):
        frame[column] = frame[column].astype(bool)
    for column in ("mock_ledger_verified", "mock_satisfied", "mock_found_need"):
        frame[column] = pd.Series([None if pd.isna(v) else bool(v) for v in frame[column]], dtype="object")
    frame = frame.sort_values(["town_code", "village_code", "archive_no"]).reset_index(drop=True)
    return MockSample(frame, strata)
