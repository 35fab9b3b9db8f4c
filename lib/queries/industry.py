"""The industry page's read side: "one household, one industry; one village, one product".

Definitions (the Overview's wherever the Overview has the figure; its building blocks are reused):

- *best stage* — a household's stage is that of its most advanced plan (`stage_rank`: planned 1 …
  stable 4); a household without a plan has none. The funnel's and the per-town figures come from
  `lib.queries.overview.household_counts`, so they are the Overview's by construction.
- *with labour* — `labour_count > 0`; every status (poor, exited, monitored) counts, as on the
  Overview. A *gap* is a household with labour and no plan.
- *stuck* — a plan below "stable" that has been in its stage for longer than `months` months:
  `stage_since` is before the date `months` calendar months before `as_of` (day clamped to the
  month's end). `months_in_stage` counts whole months from `stage_since` to `as_of`
  (`lib.queries.training.months_between`), so a stuck plan shows at least `months`.
- *in the product* — a household with a plan (any stage) in its village's signature industry.
  A village *has a product* when its `signature_product_zh` is set.
- *towns and organisations* — an enterprise or cooperative belongs to the selection through its
  linked households: only links of households in the selected towns count, and organisations
  with none are left out (also when all towns are selected). Its own town is shown, not filtered.
- *linked* — a household with any organisation link (links carry no end date; the link as
  recorded now counts for every year of income).
- *single link* — a household whose links all go to one organisation (two benefit types from the
  same company are still one organisation: a risk if it fails).
- *stage trend* — every row of the plan stage history (`PlanStageChange`) up to `as_of`, by month;
  a plan's first row (from no stage) is `new`; a move to a lower rank than its `from_stage` is
  `backward`. Months are first-of-month dates (`datetime.date`).

Every function takes `town_codes` (none or empty = all towns; households are placed by their
village's town) and, where time matters, `as_of` (app_meta's date; nothing here reads the clock).
Counts are aggregated in SQL; shares are NaN where the whole is zero; missing text (no product,
no industry, no town) comes back as pandas' missing value (test with `pd.isna`).
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Subquery,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from lib.core.domain import STAGES, BenefitType, IndustryCategory, PlanStage, poverty_line
from lib.core.figures import StageFunnel
from lib.core.models import (
    LIVE_HOUSEHOLD,
    Household,
    HouseholdIncome,
    Industry,
    IndustryPlan,
    Organisation,
    OrganisationLink,
    OrganisationVillageLinks,
    PlanStageChange,
    Town,
    Village,
    VillageHouseholdCounts,
    VillageIncomeYear,
    VillagePlanStages,
)
from lib.queries import rollups
from lib.queries.common import (
    AnySelect,
    count_if,
    frames_in_chunks,
    months_before,
    poverty_line_sql,
    rows_frame,
    stage_rank,
    town_filter,
)
from lib.queries.overview import household_counts_for
from lib.queries.training import months_between

CATEGORIES = [category.value for category in IndustryCategory]
BENEFIT_TYPES = [benefit.value for benefit in BenefitType]
FUNNEL_TOTALS = [
    "households",
    "households_with_labour",
    "labour_households_with_plan",
    "households_with_plan",
]

TOWN_COLUMNS = ["town_code", "town_name_zh", "town_name_en"]
PLACE_COLUMNS = ["village_code", "village_name_zh", "village_name_en", *TOWN_COLUMNS]

FUNNEL_COLUMNS = ["stage", "rank", "households", "reached", "share"]
STAGES_BY_TOWN_COLUMNS = [
    "town_code",
    "name_zh",
    "name_en",
    *STAGES,
    *FUNNEL_TOTALS,
    "plan_share",
]
STAGES_BY_CATEGORY_COLUMNS = ["category", "stage", "plans", "households"]
GAP_COLUMNS = [
    "household_id",
    "archive_no",
    "head_name",
    "members",
    "labour_count",
    "status",
    *PLACE_COLUMNS,
]
STUCK_COLUMNS = [
    "plan_id",
    "household_id",
    "archive_no",
    "head_name",
    *PLACE_COLUMNS,
    "industry_code",
    "industry_name_zh",
    "industry_name_en",
    "category",
    "stage",
    "stage_since",
    "months_in_stage",
]
VILLAGE_PRODUCT_COLUMNS = [
    "village_code",
    "name_zh",
    "name_en",
    *TOWN_COLUMNS,
    "signature_product_zh",
    "signature_product_en",
    "signature_industry",
    "signature_industry_name_zh",
    "signature_industry_name_en",
    "households",
    "households_in_product",
    "share",
    "has_product",
]
ORGANISATION_COLUMNS = [
    "organisation_id",
    "name_zh",
    "name_en",
    "kind",
    "industry_code",
    "industry_name_zh",
    "industry_name_en",
    *TOWN_COLUMNS,
    "villages_served",
    "linked_households",
    "links",
    *BENEFIT_TYPES,
    "annual_amount",
]
SINGLE_LINK_COLUMNS = [
    "household_id",
    "archive_no",
    "head_name",
    *PLACE_COLUMNS,
    "organisation_id",
    "organisation_name_zh",
    "organisation_name_en",
    "kind",
    "benefit_types",
    "links",
    "annual_amount",
]
INCOME_COLUMNS = [
    "year",
    "linked",
    "unlinked",
    "linked_households",
    "unlinked_households",
    "poverty_line",
    "linked_below_line",
    "unlinked_below_line",
]
TREND_COLUMNS = ["month", "stage", "moves", "new", "backward"]
HISTORY_COLUMNS = ["year", "date", "stage", "plans"]


def _page(stmt: AnySelect, limit: int | None, offset: int) -> AnySelect:
    """`stmt` (already ordered) cut to `limit` rows from `offset`; whole when `limit` is None."""
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    return stmt


def _plans_in_towns(stmt: AnySelect, town_codes: Sequence[str] | None) -> AnySelect:
    """Restrict a statement over IndustryPlan to households in the given towns (none = all),
    joining households, villages and towns only then: for a whole province those joins cost more
    than the count."""
    if not town_codes:
        return stmt
    return town_filter(
        stmt.join(Household, Household.id == IndustryPlan.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id),
        town_codes,
    )


def _count(session: Session, stmt: AnySelect) -> int:
    """How many rows `stmt` (unordered) returns, counted in the database."""
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def _place() -> list[ColumnElement[str]]:
    """The PLACE_COLUMNS of a statement joined to Village and Town."""
    return [
        Village.code.label("village_code"),
        Village.name_zh.label("village_name_zh"),
        Village.name_en.label("village_name_en"),
        Town.code.label("town_code"),
        Town.name_zh.label("town_name_zh"),
        Town.name_en.label("town_name_en"),
    ]


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)).astype("float64")


def _as_int(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    for column in columns:
        frame[column] = frame[column].fillna(0).astype("int64")


# --- progress ---------------------------------------------------------------------------------


def stage_funnel(session: Session, *, town_codes: Sequence[str] | None = None) -> StageFunnel:
    """The funnel planned → started → producing → stable for the selected towns (the Overview's
    `household_counts`, added up over the towns in SQL)."""
    per_town = household_counts_for(session, Village.town_id, town_codes).subquery()
    names = [*FUNNEL_TOTALS, *(f"stage_{stage}" for stage in STAGES)]
    row = session.execute(select(*(func.coalesce(func.sum(per_town.c[name]), 0) for name in names))).one()
    counts = dict(zip(names, (int(value) for value in row), strict=True))
    stages = pd.DataFrame(
        {
            "stage": STAGES,
            "rank": [stage.rank for stage in PlanStage],
            "households": [counts[f"stage_{stage}"] for stage in STAGES],
        }
    )
    stages["reached"] = stages["households"][::-1].cumsum()[::-1].astype("int64")
    whole = counts["households_with_plan"]
    stages["share"] = stages["households"] / whole if whole else float("nan")
    stages["share"] = stages["share"].astype("float64")
    return StageFunnel(**{name: counts[name] for name in FUNNEL_TOTALS}, stages=stages[FUNNEL_COLUMNS])


def stages_by_town(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per selected town (towns without households too), by town code.

    Columns: town_code, name_zh, name_en, planned, started, producing, stable (households by
    best stage), households, households_with_labour, labour_households_with_plan,
    households_with_plan, plan_share (labour households with a plan / with labour; NaN if none).
    """
    per_town = household_counts_for(session, Village.town_id, town_codes).subquery()
    stmt = town_filter(
        select(
            Town.code,
            Town.name_zh,
            Town.name_en,
            *(per_town.c[f"stage_{stage}"] for stage in STAGES),
            *(per_town.c[name] for name in FUNNEL_TOTALS),
        ).outerjoin(per_town, per_town.c.key == Town.id),
        town_codes,
    ).order_by(Town.code)
    frame = rows_frame(session, stmt, STAGES_BY_TOWN_COLUMNS[:-1])
    _as_int(frame, [*STAGES, *FUNNEL_TOTALS])
    frame["plan_share"] = _share(frame["labour_households_with_plan"], frame["households_with_labour"])
    return frame


def stages_by_category(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Plans by industry category × their stage.

    Every stage of every category that has a plan, zeros included, in category then stage
    order. Columns: category, stage, plans (a household with plans in two categories counts in
    both), households (distinct households with such a plan).
    """
    stmt: AnySelect
    if rollups.counts_ready(session):  # a household lives in one village: its counts add up
        stored = VillagePlanStages
        stmt = town_filter(
            select(stored.category, stored.stage, func.sum(stored.plans), func.sum(stored.households))
            .join(Village, Village.id == stored.village_id)
            .join(Town, Town.id == Village.town_id)
            .group_by(stored.category, stored.stage),
            town_codes,
        )
    else:
        stmt = _plans_in_towns(
            select(
                Industry.category,
                IndustryPlan.stage,
                func.count(),
                func.count(func.distinct(IndustryPlan.household_id)),
            )
            .select_from(IndustryPlan)
            .join(Industry, Industry.id == IndustryPlan.industry_id)
            .group_by(Industry.category, IndustryPlan.stage),
            town_codes,
        )
    counts = rows_frame(session, stmt, STAGES_BY_CATEGORY_COLUMNS)
    categories = [c for c in CATEGORIES if c in set(counts["category"])]
    grid = pd.MultiIndex.from_product([categories, STAGES], names=["category", "stage"])
    frame = counts.set_index(["category", "stage"]).reindex(grid).reset_index()
    _as_int(frame, ["plans", "households"])
    return frame[STAGES_BY_CATEGORY_COLUMNS]


# --- gaps -------------------------------------------------------------------------------------


def _gaps(town_codes: Sequence[str] | None) -> AnySelect:
    has_plan = exists().where(IndustryPlan.household_id == Household.id)
    return town_filter(
        select(
            Household.id,
            Household.archive_no,
            Household.head_name,
            Household.members,
            Household.labour_count,
            Household.status,
            *_place(),
        )
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id)
        .where(Household.labour_count > 0, ~has_plan),
        town_codes,
    )


def gaps_no_plan(
    session: Session,
    *,
    town_codes: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """Households with labour and no industry plan, by town, village and archive number
    (`limit` rows from `offset` of that order; all when `limit` is None).

    Columns: household_id, archive_no, head_name (unmasked: the page masks it), members,
    labour_count, status, village_code, village_name_zh, village_name_en, town_code,
    town_name_zh, town_name_en.
    """
    return rows_frame(session, _page(_gaps_in_order(town_codes), limit, offset), GAP_COLUMNS)


def _gaps_in_order(town_codes: Sequence[str] | None) -> AnySelect:
    return _gaps(town_codes).order_by(Town.code, Village.code, Household.archive_no, Household.id)


def gaps_no_plan_chunks(
    session: Session, *, town_codes: Sequence[str] | None = None, limit: int | None = None
) -> Iterator[pd.DataFrame]:
    """`gaps_no_plan`'s first `limit` rows (all when None) in one query, a chunk at a time."""
    yield from frames_in_chunks(session, _page(_gaps_in_order(town_codes), limit, 0), GAP_COLUMNS)


def gaps_no_plan_count(session: Session, *, town_codes: Sequence[str] | None = None) -> int:
    """How many rows `gaps_no_plan` has in all."""
    return _count(session, _gaps(town_codes))


def _stuck_conditions(as_of: dt.date, months: int) -> list[ColumnElement[bool]]:
    return [
        IndustryPlan.stage != PlanStage.STABLE.value,
        IndustryPlan.stage_since < months_before(as_of, months),
    ]


def _stuck(as_of: dt.date, months: int, town_codes: Sequence[str] | None) -> AnySelect:
    return town_filter(
        select(
            IndustryPlan.id,
            Household.id,
            Household.archive_no,
            Household.head_name,
            *_place(),
            Industry.code,
            Industry.name_zh,
            Industry.name_en,
            Industry.category,
            IndustryPlan.stage,
            IndustryPlan.stage_since,
        )
        .select_from(IndustryPlan)
        .join(Industry, Industry.id == IndustryPlan.industry_id)
        .join(Household, Household.id == IndustryPlan.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id)
        .where(*_stuck_conditions(as_of, months)),
        town_codes,
    )


def stuck_plans(
    session: Session,
    *,
    as_of: dt.date,
    months: int = 12,
    town_codes: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """Plans below "stable" in their stage for longer than `months` months on `as_of`.

    Sorted by town, village, archive number and plan; `limit` rows from `offset` (all when
    `limit` is None). Columns: plan_id, household_id, archive_no, head_name (unmasked),
    village_code, village_name_zh, village_name_en, town_code, town_name_zh, town_name_en,
    industry_code, industry_name_zh, industry_name_en, category, stage, stage_since,
    months_in_stage (whole months to as_of).
    """
    stmt = _stuck_in_order(as_of, months, town_codes)
    return _with_months(rows_frame(session, _page(stmt, limit, offset), STUCK_COLUMNS[:-1]), as_of)


def _stuck_in_order(as_of: dt.date, months: int, town_codes: Sequence[str] | None) -> AnySelect:
    return _stuck(as_of, months, town_codes).order_by(
        Town.code, Village.code, Household.archive_no, IndustryPlan.id
    )


def _with_months(frame: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    frame["months_in_stage"] = pd.Series(
        [months_between(since, as_of) for since in frame["stage_since"]], dtype="int64", index=frame.index
    )
    return frame


def stuck_plans_chunks(
    session: Session,
    *,
    as_of: dt.date,
    months: int = 12,
    town_codes: Sequence[str] | None = None,
    limit: int | None = None,
) -> Iterator[pd.DataFrame]:
    """`stuck_plans`'s first `limit` rows (all when None) in one query, a chunk at a time."""
    stmt = _page(_stuck_in_order(as_of, months, town_codes), limit, 0)
    for frame in frames_in_chunks(session, stmt, STUCK_COLUMNS[:-1]):
        yield _with_months(frame, as_of)


def stuck_plans_count(
    session: Session, *, as_of: dt.date, months: int = 12, town_codes: Sequence[str] | None = None
) -> int:
    """How many rows `stuck_plans` has in all."""
    stmt = _plans_in_towns(
        select(func.count()).select_from(IndustryPlan).where(*_stuck_conditions(as_of, months)), town_codes
    )
    return int(session.scalar(stmt) or 0)


# --- one village, one product -----------------------------------------------------------------


def village_products(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Every village of the selected towns with its signature product, by town and village code.

    Columns: village_code, name_zh, name_en, town_code, town_name_zh, town_name_en,
    signature_product_zh, signature_product_en (None without one), signature_industry (the
    industry's code or None), signature_industry_name_zh, signature_industry_name_en,
    households, households_in_product (distinct households with a plan in the signature
    industry), share (of households; NaN with no households or no signature industry),
    has_product (a signature product is named).
    """
    signature = aliased(Industry)
    place = (
        Village.code,
        Village.name_zh,
        Village.name_en,
        Town.code,
        Town.name_zh,
        Town.name_en,
        Village.signature_product_zh,
        Village.signature_product_en,
        signature.code,
        signature.name_zh,
        signature.name_en,
    )
    if rollups.counts_ready(session):
        stored = VillageHouseholdCounts
        stmt = (
            select(*place, stored.households, stored.households_in_product)
            .join(Town, Town.id == Village.town_id)
            .outerjoin(signature, signature.id == Village.signature_industry_id)
            .outerjoin(stored, stored.village_id == Village.id)
        )
    else:
        in_product = case(
            (IndustryPlan.industry_id == Village.signature_industry_id, Household.id), else_=None
        )
        stmt = (
            select(*place, func.count(func.distinct(Household.id)), func.count(func.distinct(in_product)))
            .join(Town, Town.id == Village.town_id)
            .outerjoin(signature, signature.id == Village.signature_industry_id)
            .outerjoin(Household, Household.village_id == Village.id)
            .outerjoin(IndustryPlan, IndustryPlan.household_id == Household.id)
            .group_by(Village.id, *place)
        )
    stmt = town_filter(stmt, town_codes).order_by(Town.code, Village.code)
    frame = rows_frame(session, stmt, VILLAGE_PRODUCT_COLUMNS[:-2])
    _as_int(frame, ["households", "households_in_product"])
    measured = frame["signature_industry"].notna() & (frame["households"] > 0)
    frame["share"] = _share(frame["households_in_product"], frame["households"]).where(measured)
    frame["has_product"] = frame["signature_product_zh"].notna().astype(bool)
    return frame


def households_in_product(village_ids: Sequence[int] | None = None) -> AnySelect:
    """Per village (of `village_ids`, all when None): village_id, households_in_product (distinct
    households with a plan in the village's signature industry). The rollup's source."""
    stmt = (
        select(
            Village.id.label("village_id"),
            func.count(func.distinct(Household.id)).label("households_in_product"),
        )
        .join(Household, Household.village_id == Village.id)
        .join(
            IndustryPlan,
            and_(
                IndustryPlan.household_id == Household.id,
                IndustryPlan.industry_id == Village.signature_industry_id,
            ),
        )
        .where(LIVE_HOUSEHOLD)
        .group_by(Village.id)
    )
    return stmt if village_ids is None else stmt.where(Village.id.in_(list(village_ids)))


# --- enterprises and cooperatives -------------------------------------------------------------


def _linked_in_towns(town_codes: Sequence[str] | None) -> AnySelect:
    """Links of households in the selected towns, with the household's village."""
    return town_filter(
        select(
            OrganisationLink.organisation_id.label("organisation_id"),
            OrganisationLink.household_id.label("household_id"),
            OrganisationLink.benefit_type.label("benefit_type"),
            OrganisationLink.annual_amount.label("annual_amount"),
            Household.village_id.label("village_id"),
        )
        .join(Household, Household.id == OrganisationLink.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id),
        town_codes,
    )


def organisations(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Enterprises and cooperatives with their links to households of the selected towns.

    Organisations with no such link are left out. Most linked households first, then by id.
    Columns: organisation_id, name_zh, name_en, kind (enterprise / cooperative), industry_code,
    industry_name_zh, industry_name_en (None without one), town_code, town_name_zh,
    town_name_en (the organisation's own town, None without one), villages_served (distinct
    villages of linked households), linked_households (distinct), links, land_rent, dividend,
    wages, guaranteed_purchase (links of each benefit type), annual_amount (yuan, 0 if none).
    """
    org_town = aliased(Town)
    if rollups.counts_ready(session):  # per organisation and village, added up over the villages
        links: Any = town_filter(
            select(OrganisationVillageLinks)
            .join(Village, Village.id == OrganisationVillageLinks.village_id)
            .join(Town, Town.id == Village.town_id),
            town_codes,
        ).subquery()
        households_: ColumnElement[int] = func.sum(links.c.linked_households)
        figures: list[ColumnElement[Any]] = [
            func.count(),
            households_,
            func.sum(links.c.links),
            *(func.sum(links.c[benefit]) for benefit in BENEFIT_TYPES),
            func.sum(links.c.annual_amount),
        ]
    else:
        links = _linked_in_towns(town_codes).subquery()
        households_ = func.count(func.distinct(links.c.household_id))
        figures = [
            func.count(func.distinct(links.c.village_id)),
            households_,
            func.count(),
            *(count_if(links.c.benefit_type == benefit) for benefit in BENEFIT_TYPES),
            func.coalesce(func.sum(links.c.annual_amount), 0),
        ]
    stmt = (
        select(
            Organisation.id,
            Organisation.name_zh,
            Organisation.name_en,
            Organisation.kind,
            Industry.code,
            Industry.name_zh,
            Industry.name_en,
            org_town.code,
            org_town.name_zh,
            org_town.name_en,
            *figures,
        )
        .join(links, links.c.organisation_id == Organisation.id)
        .outerjoin(Industry, Industry.id == Organisation.industry_id)
        .outerjoin(org_town, org_town.id == Organisation.town_id)
        .group_by(
            Organisation.id,
            Organisation.name_zh,
            Organisation.name_en,
            Organisation.kind,
            Industry.code,
            Industry.name_zh,
            Industry.name_en,
            org_town.code,
            org_town.name_zh,
            org_town.name_en,
        )
        .order_by(households_.desc(), Organisation.id)
    )
    frame = rows_frame(session, stmt, ORGANISATION_COLUMNS)
    _as_int(frame, ["villages_served", "linked_households", "links", *BENEFIT_TYPES, "annual_amount"])
    return frame


def links_by_organisation_village(village_ids: Sequence[int] | None = None) -> AnySelect:
    """Per organisation and village (of `village_ids`, all when None): organisation_id,
    village_id, linked_households (distinct), links, one count per BENEFIT_TYPES, annual_amount
    (0 if none). The rollup's source; `organisations` adds it up."""
    stmt = (
        select(
            OrganisationLink.organisation_id.label("organisation_id"),
            Household.village_id.label("village_id"),
            func.count(func.distinct(OrganisationLink.household_id)).label("linked_households"),
            func.count().label("links"),
            *(count_if(OrganisationLink.benefit_type == benefit).label(benefit) for benefit in BENEFIT_TYPES),
            func.coalesce(func.sum(OrganisationLink.annual_amount), 0).label("annual_amount"),
        )
        .join(Household, Household.id == OrganisationLink.household_id)
        .where(LIVE_HOUSEHOLD)
        .group_by(OrganisationLink.organisation_id, Household.village_id)
    )
    return stmt if village_ids is None else stmt.where(Household.village_id.in_(list(village_ids)))


def _single_links() -> Subquery:
    """Per household whose links all go to one organisation: household_id, organisation_id,
    links, annual_amount."""
    return (
        select(
            OrganisationLink.household_id.label("household_id"),
            func.min(OrganisationLink.organisation_id).label("organisation_id"),
            func.count().label("links"),
            func.coalesce(func.sum(OrganisationLink.annual_amount), 0).label("annual_amount"),
        )
        .group_by(OrganisationLink.household_id)
        .having(func.count(func.distinct(OrganisationLink.organisation_id)) == 1)
        .subquery()
    )


def single_link_households(
    session: Session,
    *,
    town_codes: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """Households of the selected towns whose every link goes to one and the same organisation.

    By town, village and archive number; `limit` rows from `offset` (all when `limit` is None).
    Columns: household_id, archive_no, head_name (unmasked), village_code, village_name_zh,
    village_name_en, town_code, town_name_zh, town_name_en, organisation_id,
    organisation_name_zh, organisation_name_en, kind, benefit_types (tuple of benefit-type codes
    in BenefitType order), links, annual_amount (yuan, 0 if none recorded).
    """
    columns = [c for c in SINGLE_LINK_COLUMNS if c != "benefit_types"]
    frame = rows_frame(session, _page(_single_links_in_order(town_codes), limit, offset), columns)
    return _with_benefits(session, frame)


def single_link_households_chunks(
    session: Session, *, town_codes: Sequence[str] | None = None, limit: int | None = None
) -> Iterator[pd.DataFrame]:
    """`single_link_households`'s first `limit` rows (all when None) in one query, a chunk at a time."""
    columns = [c for c in SINGLE_LINK_COLUMNS if c != "benefit_types"]
    for frame in frames_in_chunks(session, _page(_single_links_in_order(town_codes), limit, 0), columns):
        yield _with_benefits(session, frame)


def _single_links_in_order(town_codes: Sequence[str] | None) -> AnySelect:
    single = _single_links()
    return town_filter(
        select(
            Household.id,
            Household.archive_no,
            Household.head_name,
            *_place(),
            Organisation.id,
            Organisation.name_zh,
            Organisation.name_en,
            Organisation.kind,
            single.c.links,
            single.c.annual_amount,
        )
        .select_from(single)
        .join(Household, Household.id == single.c.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id)
        .join(Organisation, Organisation.id == single.c.organisation_id),
        town_codes,
    ).order_by(Town.code, Village.code, Household.archive_no, Household.id)


def _with_benefits(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (single-link households) with their benefit_types, its links and amounts as ints."""
    # The benefit types of just these households (all of a single-link household's links are
    # to its one organisation), in pages of ids so a long list stays within parameter limits.
    types: dict[int, set[str]] = {}
    ids = [int(h) for h in frame["household_id"]]
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        pairs = select(OrganisationLink.household_id, OrganisationLink.benefit_type).where(
            OrganisationLink.household_id.in_(chunk)
        )
        for household_id, benefit in session.execute(pairs).all():
            types.setdefault(household_id, set()).add(benefit)
    frame.insert(
        list(frame.columns).index("links"),
        "benefit_types",
        pd.Series(
            [tuple(b for b in BENEFIT_TYPES if b in types.get(h, set())) for h in frame["household_id"]],
            dtype="object",
            index=frame.index,
        ),
    )
    _as_int(frame, ["links", "annual_amount"])
    return frame


def single_link_count(session: Session, *, town_codes: Sequence[str] | None = None) -> int:
    """How many rows `single_link_households` has in all."""
    single = _single_links()
    stmt = town_filter(
        select(single.c.household_id)
        .select_from(single)
        .join(Household, Household.id == single.c.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id),
        town_codes,
    )
    return _count(session, stmt)


# --- income -----------------------------------------------------------------------------------


def plan_stages_by_village(village_ids: Sequence[int] | None = None) -> AnySelect:
    """Per village (of `village_ids`, all when None), industry category and plan stage:
    village_id, category, stage, plans, households (distinct, with such a plan). The rollup's
    source."""
    stmt = (
        select(
            Household.village_id.label("village_id"),
            Industry.category.label("category"),
            IndustryPlan.stage.label("stage"),
            func.count().label("plans"),
            func.count(func.distinct(Household.id)).label("households"),
        )
        .select_from(IndustryPlan)
        .join(Industry, Industry.id == IndustryPlan.industry_id)
        .join(Household, Household.id == IndustryPlan.household_id)
        .where(LIVE_HOUSEHOLD)
        .group_by(Household.village_id, Industry.category, IndustryPlan.stage)
    )
    return stmt if village_ids is None else stmt.where(Household.village_id.in_(list(village_ids)))


def income_by_village_year(village_ids: Sequence[int] | None = None) -> AnySelect:
    """Per village (of `village_ids`, all when None) and year: village_id, year,
    linked_households, linked_income (sum of per-capita incomes), unlinked_households,
    unlinked_income, linked_below_line, unlinked_below_line. The rollup's source."""
    linked_stmt = select(OrganisationLink.household_id.label("household_id")).distinct()
    if village_ids is not None:  # one village's refresh reads that village's links only
        of_villages = select(Household.id).where(Household.village_id.in_(list(village_ids)))
        linked_stmt = linked_stmt.where(OrganisationLink.household_id.in_(of_villages))
    linked_ids = linked_stmt.subquery()
    linked = linked_ids.c.household_id.is_not(None)
    below = HouseholdIncome.per_capita_income < poverty_line_sql(HouseholdIncome.year)
    income = HouseholdIncome.per_capita_income
    stmt = (
        select(
            Household.village_id.label("village_id"),
            HouseholdIncome.year.label("year"),
            count_if(linked).label("linked_households"),
            func.coalesce(func.sum(case((linked, income), else_=0)), 0).label("linked_income"),
            count_if(~linked).label("unlinked_households"),
            func.coalesce(func.sum(case((~linked, income), else_=0)), 0).label("unlinked_income"),
            count_if(and_(linked, below)).label("linked_below_line"),
            count_if(and_(~linked, below)).label("unlinked_below_line"),
        )
        .join(Household, Household.id == HouseholdIncome.household_id)
        .outerjoin(linked_ids, linked_ids.c.household_id == HouseholdIncome.household_id)
        .where(LIVE_HOUSEHOLD)
        .group_by(Household.village_id, HouseholdIncome.year)
    )
    return stmt if village_ids is None else stmt.where(Household.village_id.in_(list(village_ids)))


def _stored_income_by_link(session: Session, town_codes: Sequence[str] | None) -> pd.DataFrame:
    stored = VillageIncomeYear
    sums = ["linked_households", "linked_income", "unlinked_households", "unlinked_income"]
    sums += ["linked_below_line", "unlinked_below_line"]
    stmt = (
        town_filter(
            select(stored.year, *(func.sum(getattr(stored, name)) for name in sums))
            .join(Village, Village.id == stored.village_id)
            .join(Town, Town.id == Village.town_id),
            town_codes,
        )
        .group_by(stored.year)
        .order_by(stored.year)
    )
    frame = rows_frame(session, stmt, ["year", *sums])
    _as_int(frame, ["year", *sums])
    frame["linked"] = frame["linked_income"] / frame["linked_households"].where(
        frame["linked_households"] > 0
    )
    frame["unlinked"] = frame["unlinked_income"] / frame["unlinked_households"].where(
        frame["unlinked_households"] > 0
    )
    for column in ("linked", "unlinked"):
        frame[column] = frame[column].astype("float64")
    frame["poverty_line"] = pd.Series([poverty_line(int(y)) for y in frame["year"]], dtype="int64")
    return frame[INCOME_COLUMNS]


def income_by_link(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Per-capita income of linked vs unlinked households, by year (years with any income row).

    Columns: year, linked, unlinked (mean per-capita income in yuan; NaN when no household of
    the group has a figure that year), linked_households, unlinked_households (households with
    a figure), poverty_line (`lib.core.domain.poverty_line`), linked_below_line, unlinked_below_line
    (households with a figure below that year's line).
    """
    if rollups.counts_ready(session):
        return _stored_income_by_link(session, town_codes)
    # Linked households once, joined (not an EXISTS per income row through the household: a city
    # has ~2M income rows; nor an IN in the select list, which PostgreSQL may rescan per row), and
    # the joins to the place only when towns are chosen.
    linked_ids = select(OrganisationLink.household_id.label("household_id")).distinct().subquery()
    is_linked = linked_ids.c.household_id.is_not(None)
    per_household_stmt = select(
        HouseholdIncome.year.label("year"),
        cast(HouseholdIncome.per_capita_income, Float).label("income"),
        case((is_linked, 1), else_=0).label("linked"),
        case((HouseholdIncome.per_capita_income < poverty_line_sql(HouseholdIncome.year), 1), else_=0).label(
            "below"
        ),
    ).outerjoin(linked_ids, linked_ids.c.household_id == HouseholdIncome.household_id)
    if town_codes:
        per_household_stmt = town_filter(
            per_household_stmt.join(Household, Household.id == HouseholdIncome.household_id)
            .join(Village, Village.id == Household.village_id)
            .join(Town, Town.id == Village.town_id),
            town_codes,
        )
    per_household = per_household_stmt.subquery()
    linked = per_household.c.linked == 1
    unlinked = per_household.c.linked == 0
    stmt = (
        select(
            per_household.c.year,
            func.avg(case((linked, per_household.c.income), else_=None)),
            func.avg(case((unlinked, per_household.c.income), else_=None)),
            count_if(linked),
            count_if(unlinked),
            count_if(and_(linked, per_household.c.below == 1)),
            count_if(and_(unlinked, per_household.c.below == 1)),
        )
        .group_by(per_household.c.year)
        .order_by(per_household.c.year)
    )
    columns = [c for c in INCOME_COLUMNS if c != "poverty_line"]
    frame = rows_frame(session, stmt, columns)
    frame["year"] = frame["year"].astype("int64")
    for column in ("linked", "unlinked"):
        frame[column] = frame[column].astype("float64")
    _as_int(frame, [c for c in columns if c.endswith("households") or c.endswith("below_line")])
    frame["poverty_line"] = pd.Series([poverty_line(int(y)) for y in frame["year"]], dtype="int64")
    return frame[INCOME_COLUMNS]


# --- trend ------------------------------------------------------------------------------------


def _history_in_towns(town_codes: Sequence[str] | None) -> AnySelect:
    """Stage changes of plans of households in the selected towns (FROM clause only)."""
    return town_filter(
        select(PlanStageChange.id)
        .join(IndustryPlan, IndustryPlan.id == PlanStageChange.plan_id)
        .join(Household, Household.id == IndustryPlan.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Town, Town.id == Village.town_id),
        town_codes,
    )


def stage_trend(session: Session, *, as_of: dt.date, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Moves into each stage per month, from the recorded history up to `as_of`.

    Rows only for (month, stage) pairs with a move, by month then stage order. Columns: month
    (first day of the month, a date), stage (the stage moved into), moves, new (a plan's first
    row, from no stage), backward (to a lower rank than the stage it left).
    """
    back = and_(
        PlanStageChange.from_stage.is_not(None),
        stage_rank(PlanStageChange.to_stage)
        < stage_rank(typing.cast(InstrumentedAttribute[str], PlanStageChange.from_stage)),
    )
    # Grouped outside the subquery: PostgreSQL will not match GROUP BY expressions carrying bound
    # parameters to the same expressions in the select list.
    changes = (
        _history_in_towns(town_codes)
        .with_only_columns(
            extract("year", PlanStageChange.changed_on).label("year"),
            extract("month", PlanStageChange.changed_on).label("month"),
            PlanStageChange.to_stage.label("stage"),
            case((PlanStageChange.from_stage.is_(None), 1), else_=0).label("new"),
            case((back, 1), else_=0).label("backward"),
            maintain_column_froms=True,
        )
        .where(PlanStageChange.changed_on <= as_of)
        .subquery()
    )
    stmt = select(
        changes.c.year,
        changes.c.month,
        changes.c.stage,
        func.count(),
        func.sum(changes.c.new),
        func.sum(changes.c.backward),
    ).group_by(changes.c.year, changes.c.month, changes.c.stage)
    raw = rows_frame(session, stmt, ["year", "month_no", "stage", "moves", "new", "backward"])
    frame = pd.DataFrame(
        {
            "month": [dt.date(int(y), int(m), 1) for y, m in zip(raw["year"], raw["month_no"], strict=True)],
            "stage": raw["stage"],
            "moves": raw["moves"],
            "new": raw["new"],
            "backward": raw["backward"],
        },
        columns=TREND_COLUMNS,
    )
    _as_int(frame, ["moves", "new", "backward"])
    order = {stage: rank for rank, stage in enumerate(STAGES)}
    frame["_order"] = frame["stage"].map(order)
    frame = frame.sort_values(["month", "_order"]).drop(columns="_order").reset_index(drop=True)
    return frame[TREND_COLUMNS]


def stage_history_counts(
    session: Session, *, as_of: dt.date, town_codes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Plans at each stage at the end of each year, rebuilt from the history.

    A plan's stage on a date is the `to_stage` of its last change on or before it (the latest
    `changed_on`, then the highest id). Years run from the first recorded change to as_of's
    year, whose counts are as of `as_of`. Every stage of every year, zeros included. Columns:
    year, date (Dec 31, or as_of for its year), stage, plans.
    """
    first = session.scalar(
        _history_in_towns(town_codes).with_only_columns(
            func.min(PlanStageChange.changed_on), maintain_column_froms=True
        )
    )
    if first is None or first > as_of:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    cutoffs = {year: min(dt.date(year, 12, 31), as_of) for year in range(first.year, as_of.year + 1)}
    years = union_all(
        *(
            select(literal(year).label("year"), literal(day, Date).label("cutoff"))
            for year, day in cutoffs.items()
        )
    ).subquery()
    ranked = (
        _history_in_towns(town_codes)
        .with_only_columns(
            years.c.year.label("year"),
            PlanStageChange.to_stage.label("stage"),
            func.row_number()
            .over(
                partition_by=(years.c.year, PlanStageChange.plan_id),
                order_by=(PlanStageChange.changed_on.desc(), PlanStageChange.id.desc()),
            )
            .label("position"),
            maintain_column_froms=True,
        )
        .join(years, PlanStageChange.changed_on <= years.c.cutoff)
        .subquery()
    )
    stmt = (
        select(ranked.c.year, ranked.c.stage, func.count())
        .where(ranked.c.position == 1)
        .group_by(ranked.c.year, ranked.c.stage)
    )
    counts = rows_frame(session, stmt, ["year", "stage", "plans"])
    counts["year"] = counts["year"].astype("int64")
    grid = pd.MultiIndex.from_product([list(cutoffs), STAGES], names=["year", "stage"])
    frame = counts.set_index(["year", "stage"]).reindex(grid).reset_index()
    _as_int(frame, ["plans"])
    frame["date"] = frame["year"].map(cutoffs)
    return frame[HISTORY_COLUMNS]
