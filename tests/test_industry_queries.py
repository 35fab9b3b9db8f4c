"""Industry queries against the hand county, extended here with products, organisations, incomes
and plan stage history (tests/hand_county.py stays untouched).

The extension (`industry_engine`):

  industries: 1 vegetables (planting, given), 2 pv_shares (shares, given), 3 homestay (tourism),
              4 edible_fungi (planting)
  new plans:  p8 h9 homestay producing · p9 h1 edible_fungi started (h1 now has three plans)
  village B3 (town B, no households), signature products:
      A1 highland vegetables (vegetables) · A2 PV station (pv_shares) · B2 farm stays (homestay)
      · B3 farm stays (homestay) · A3 and B1 none
  organisations: o1 enterprise 绿源蔬菜公司 (vegetables, town A); o2 cooperative 乙镇农家乐合作社
      (homestay, town B); o3 enterprise (pv_shares, no town) with no links
  links (benefit, yuan): o1–h1 land_rent 800, o1–h1 wages 6000, o1–h3 guaranteed_purchase 1500,
      o1–h9 dividend 500, o2–h9 wages 3000, o2–h7 dividend 400, o2–h8 land_rent (no amount)
  incomes (per capita): 2019 h1 3600, h2 3000, h3 4200, h5 2800, h7 5000, h9 3900;
      2020 h1 5200, h2 3800, h3 4600, h4 4100, h5 3900, h7 6000, h8 4400, h9 3950
  history (stage_since = the last date):
      p1 h1 veg     planned 2018-03-01 → started 2018-06-10 → producing 2019-04-20 → stable 2020-07-05
      p2 h1 veg     planned 2019-03-01 → started 2019-05-01
      p3 h2 pv      planned 2018-03-01 → started 2018-09-01 → producing 2019-10-31
      p4 h3 veg     planned 2018-03-01
      p5 h5 veg     planned 2018-03-01 → started 2018-08-20 → producing 2019-09-10
                    → started 2020-06-15 (back: pests)
      p6 h7 veg     planned 2018-03-01 → started 2018-05-01 → producing 2019-10-30
      p7 h9 veg     planned 2018-03-01 → started 2018-04-15 → producing 2018-11-20 → stable 2019-05-01
      p8 h9 home    planned 2019-06-01 → started 2019-08-01 → producing 2020-05-10
      p9 h1 fungi   planned 2020-02-10 → started 2020-09-01

By hand, as of 2020-10-31:
  funnel (best stages unchanged by p8, p9): planned 1 (h3), started 1 (h5), producing 2 (h2, h7),
      stable 2 (h1, h9); reached 6/5/4/2; households 9, with labour 8, labour with plan 5 (0.625),
      with plan 6. Town A 1/1/1/1, 6, 5, 3, 4 (0.6); B 0/0/1/1, 3, 3, 2, 2 (2/3); C zeros (NaN).
  by category (plans / households): planting planned 1/1 (p4), started 3/2 (p2 p9 h1, p5 h5),
      producing 1/1 (p6), stable 2/2 (p1, p7); tourism producing 1/1 (p8: h9 counts here and in
      planting); shares producing 1/1 (p3). Town B: planting producing 1/1, stable 1/1; tourism
      producing 1/1.
  gaps (labour, no plan): h4 (A2), h6 (A3), h8 (B1) = 8 − 5.
  stuck, 12 months (cutoff 2019-10-31, strictly before): p2 since 2019-05-01 (17 months),
      p4 2018-03-01 (31), p6 2019-10-30 (12, one day past); p3 on 2019-10-31 is not; p5 (back to
      started 2020-06-15), p8, p9 too recent; p1, p7 stable. 6 months (cutoff 2020-04-30): also p3
      (12). Town B, 12 months: p6.
  products: A1 2 of 3 (h1, h3 have vegetable plans; h1 counted once) 2/3; A2 0 of 2 → 0.0;
      A3 none, 0 of 1, NaN; B1 none, 0 of 2, NaN; B2 1 of 1 (h9 homestay) → 1.0; B3 0 of 0, NaN.
  organisations: o1 villages 2 (A1, B2), households 3, links 4, one of each type, 8800 yuan;
      o2 villages 2 (B1, B2), households 3, links 3, land_rent 1 dividend 1 wages 1, 3400; o3 left
      out. Town A: o1 only, 1 village, 2 households, 3 links (no dividend), 8300. Town B: o2 (3
      households) then o1 (h9 only: 1 village, 1 link, dividend, 500).
  single organisation: h1 (o1; land_rent, wages; 2 links; 6800), h3 (o1; guaranteed_purchase;
      1500), h7 (o2; dividend; 400), h8 (o2; land_rent; 0). h9 has two organisations.
  income (linked: h1 h3 h7 h8 h9): 2019 line 3747: linked h1 h3 h7 h9 mean 16700/4 = 4175, below
      1 (h1); unlinked h2 h5 mean 2900, below 2. 2020 line 4000: linked 24150/5 = 4830, below 1
      (h9 3950); unlinked h2 h4 h5 11800/3, below 2 (h2, h5). Town B 2019: linked h7 h9 4450,
      unlinked none (NaN, 0).
  trend (month: stage moves, new, backward): 2018-03 planned 6 new · 2018-04 started 1 · 2018-05
      started 1 · 2018-06 started 1 · 2018-08 started 1 · 2018-09 started 1 · 2018-11 producing 1
      · 2019-03 planned 1 new · 2019-04 producing 1 · 2019-05 started 1, stable 1 · 2019-06
      planned 1 new · 2019-08 started 1 · 2019-09 producing 1 · 2019-10 producing 2 · 2020-02
      planned 1 new · 2020-05 producing 1 · 2020-06 started 1 backward · 2020-07 stable 1 · 2020-09
      started 1. 20 rows, 26 changes.
  year-end stages (planned/started/producing/stable): 2018 1/4/1/0 (p1 p3 p5 p6 started, p7
      producing); 2019 1/2/4/1 (p2 p8 started; p1 p3 p5 p6 producing; p7 stable); 2020 (as of
      10-31) 1/3/3/2 = today's stages.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.domain import poverty_line
from lib.core.models import (
    HouseholdIncome,
    Industry,
    IndustryPlan,
    Meta,
    Organisation,
    OrganisationLink,
    PlanStageChange,
    Village,
)
from lib.queries import industry, overview
from lib.queries.common import stage_rank
from lib.queries.rollups import ROLLUP_VERSION_KEY, counts_ready
from lib.services import rollups
from tests.db_fixtures import copy_database
from tests.hand_county import load_hand_county

TOWN_A = "349901100"
TOWN_B = "349901101"
TOWN_C = "349901102"
AS_OF = dt.date(2020, 10, 31)
D = dt.date
VILLAGE = {key: f"{TOWN_A}{200 + n}" for n, key in enumerate(["A1", "A2", "A3"], start=1)} | {
    key: f"{TOWN_B}{200 + n}" for n, key in enumerate(["B1", "B2", "B3"], start=4)
}
NAN = float("nan")

HISTORY: dict[int, list[tuple[str, dt.date]]] = {
    1: [
        ("planned", D(2018, 3, 1)),
        ("started", D(2018, 6, 10)),
        ("producing", D(2019, 4, 20)),
        ("stable", D(2020, 7, 5)),
    ],
    2: [("planned", D(2019, 3, 1)), ("started", D(2019, 5, 1))],
    3: [("planned", D(2018, 3, 1)), ("started", D(2018, 9, 1)), ("producing", D(2019, 10, 31))],
    4: [("planned", D(2018, 3, 1))],
    5: [
        ("planned", D(2018, 3, 1)),
        ("started", D(2018, 8, 20)),
        ("producing", D(2019, 9, 10)),
        ("started", D(2020, 6, 15)),
    ],
    6: [("planned", D(2018, 3, 1)), ("started", D(2018, 5, 1)), ("producing", D(2019, 10, 30))],
    7: [
        ("planned", D(2018, 3, 1)),
        ("started", D(2018, 4, 15)),
        ("producing", D(2018, 11, 20)),
        ("stable", D(2019, 5, 1)),
    ],
    8: [("planned", D(2019, 6, 1)), ("started", D(2019, 8, 1)), ("producing", D(2020, 5, 10))],
    9: [("planned", D(2020, 2, 10)), ("started", D(2020, 9, 1))],
}


def _extend_hand_county(session: Session) -> None:
    """Add the industries, plans, village B3, products, organisations, links, incomes and history
    of this module's docstring."""
    session.add_all(
        [
            Industry(id=3, code="homestay", category="tourism", name_zh="农家乐", name_en="Farm stays"),
            Industry(
                id=4, code="edible_fungi", category="planting", name_zh="食用菌", name_en="Edible fungi"
            ),
            Village(id=6, code=VILLAGE["B3"], town_id=2, name_zh="B3村", name_en="B3 Village", is_poor=False),
        ]
    )
    session.flush()
    session.add_all(
        [
            IndustryPlan(
                id=8,
                household_id=9,
                industry_id=3,
                stage="producing",
                planned_on=D(2019, 6, 1),
                stage_since=D(2019, 6, 1),
            ),
            IndustryPlan(
                id=9,
                household_id=1,
                industry_id=4,
                stage="started",
                planned_on=D(2020, 2, 10),
                stage_since=D(2020, 2, 10),
            ),
        ]
    )
    session.flush()
    products = {
        "A1": ("高山蔬菜", "Highland vegetables", 1),
        "A2": ("光伏电站", "PV station", 2),
        "B2": ("农家乐", "Farm stays", 3),
        "B3": ("农家乐", "Farm stays", 3),
    }
    for key, (zh, en, industry_id) in products.items():
        village = session.scalars(select(Village).where(Village.code == VILLAGE[key])).one()
        village.signature_product_zh, village.signature_product_en = zh, en
        village.signature_industry_id = industry_id
    session.add_all(
        [
            Organisation(
                id=1,
                kind="enterprise",
                name_zh="绿源蔬菜公司",
                name_en="Lvyuan Vegetables Co.",
                industry_id=1,
                town_id=1,
            ),
            Organisation(
                id=2,
                kind="cooperative",
                name_zh="乙镇农家乐合作社",
                name_en="Yi Town Farm-stay Cooperative",
                industry_id=3,
                town_id=2,
            ),
            Organisation(
                id=3, kind="enterprise", name_zh="光伏公司", name_en="PV Co.", industry_id=2, town_id=None
            ),
        ]
    )
    session.flush()
    links = [
        (1, 1, "land_rent", 800),
        (1, 1, "wages", 6000),
        (1, 3, "guaranteed_purchase", 1500),
        (1, 9, "dividend", 500),
        (2, 9, "wages", 3000),
        (2, 7, "dividend", 400),
        (2, 8, "land_rent", None),
    ]
    for number, (org, household, benefit, amount) in enumerate(links, start=1):
        session.add(
            OrganisationLink(
                id=number,
                organisation_id=org,
                household_id=household,
                benefit_type=benefit,
                annual_amount=amount,
            )
        )
    incomes = {
        2019: {1: 3600, 2: 3000, 3: 4200, 5: 2800, 7: 5000, 9: 3900},
        2020: {1: 5200, 2: 3800, 3: 4600, 4: 4100, 5: 3900, 7: 6000, 8: 4400, 9: 3950},
    }
    for year, figures in incomes.items():
        session.add_all(
            HouseholdIncome(household_id=h, year=year, per_capita_income=income)
            for h, income in figures.items()
        )
    change_id = 0
    for plan_id, moves in HISTORY.items():
        previous: str | None = None
        for stage, day in moves:
            change_id += 1
            session.add(
                PlanStageChange(
                    id=change_id,
                    plan_id=plan_id,
                    from_stage=previous,
                    to_stage=stage,
                    changed_on=day,
                    reason="病虫害减产" if previous == "producing" and stage == "started" else None,
                )
            )
            previous = stage
        plan = session.get_one(IndustryPlan, plan_id)
        assert plan.stage == moves[-1][0]
        plan.planned_on, plan.stage_since = moves[0][1], moves[-1][1]
    rollups.rebuild(session)
    session.commit()


def _industry_county(engine: Engine) -> None:
    with Session(engine) as session:
        load_hand_county(session)
        _extend_hand_county(session)


@pytest.fixture(params=["rollups", "base tables"])
def industry_engine(request: pytest.FixtureRequest, backend: str) -> Iterator[Engine]:
    """The hand county plus the industry rows of this module's docstring, on each backend; the
    queries read the rollups, or (rollups marked stale) aggregate the base tables."""
    engine = make_engine(copy_database(request, backend, "industry", _industry_county))
    with Session(engine) as session:
        if request.param == "base tables":
            session.execute(update(Meta).where(Meta.key == ROLLUP_VERSION_KEY).values(value="stale"))
            session.commit()
        assert counts_ready(session) == (request.param == "rollups")
    yield engine
    engine.dispose()


def _by(frame: pd.DataFrame, key: str) -> dict[object, dict[str, object]]:
    return {row[key]: row for row in frame.to_dict("records")}


def _isnan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


# --- progress ---------------------------------------------------------------------------------


def test_the_funnel_counts_households_by_their_best_stage(industry_engine: Engine) -> None:
    with Session(industry_engine) as session:
        funnel = industry.stage_funnel(session)
        town_b = industry.stage_funnel(session, town_codes=[TOWN_B])
        town_c = industry.stage_funnel(session, town_codes=[TOWN_C])
    assert list(funnel.stages.columns) == industry.FUNNEL_COLUMNS
    assert list(funnel.stages["stage"]) == ["planned", "started", "producing", "stable"]
    assert list(funnel.stages["households"]) == [1, 1, 2, 2]
    assert list(funnel.stages["reached"]) == [6, 5, 4, 2]
    assert list(funnel.stages["share"]) == pytest.approx([1 / 6, 1 / 6, 2 / 6, 2 / 6])
    assert (
        funnel.households,
        funnel.households_with_labour,
        funnel.labour_households_with_plan,
        funnel.households_with_plan,
    ) == (9, 8, 5, 6)
    assert funnel.plan_share == pytest.approx(0.625)
    assert funnel.stage("stable") == 2
    assert list(town_b.stages["households"]) == [0, 0, 1, 1]
    assert town_b.plan_share == pytest.approx(2 / 3)
    assert list(town_c.stages["households"]) == [0, 0, 0, 0]
    assert town_c.plan_share is None and town_c.stages["share"].isna().all()


@pytest.mark.parametrize("towns", [None, [TOWN_A], [TOWN_B, TOWN_C], [TOWN_C]])
def test_the_funnel_agrees_with_the_overview(industry_engine: Engine, towns: list[str] | None) -> None:
    with Session(industry_engine) as session:
        funnel = industry.stage_funnel(session, town_codes=towns)
        totals = overview.totals(overview.town_progress(session, town_codes=towns))
    _assert_funnel_matches(funnel, totals)


def _assert_funnel_matches(funnel: industry.StageFunnel, totals: overview.OverviewTotals) -> None:
    for name in industry.FUNNEL_TOTALS:
        assert getattr(funnel, name) == totals[name], name
    assert list(funnel.stages["households"]) == list(overview.stage_counts(totals)["households"])
    assert funnel.plan_share == totals.plan_share


def test_stages_by_town_lists_every_town(industry_engine: Engine) -> None:
    with Session(industry_engine) as session:
        frame = industry.stages_by_town(session)
        only_b = industry.stages_by_town(session, town_codes=[TOWN_B])
    assert list(frame.columns) == industry.STAGES_BY_TOWN_COLUMNS
    rows = _by(frame, "town_code")
    assert list(rows) == [TOWN_A, TOWN_B, TOWN_C]
    a, b, c = rows[TOWN_A], rows[TOWN_B], rows[TOWN_C]
    assert [a[s] for s in industry.STAGES] == [1, 1, 1, 1]
    assert [a[n] for n in industry.FUNNEL_TOTALS] == [6, 5, 3, 4]
    assert a["plan_share"] == pytest.approx(0.6)
    assert [b[s] for s in industry.STAGES] == [0, 0, 1, 1]
    assert [b[n] for n in industry.FUNNEL_TOTALS] == [3, 3, 2, 2]
    assert b["plan_share"] == pytest.approx(2 / 3)
    assert [c[s] for s in industry.STAGES] == [0, 0, 0, 0] and _isnan(c["plan_share"])
    assert a["name_en"] == "Jia Town"
    assert list(only_b["town_code"]) == [TOWN_B]


def test_stages_by_category_counts_plans_and_households(industry_engine: Engine) -> None:
    with Session(industry_engine) as session:
        frame = industry.stages_by_category(session)
        town_b = industry.stages_by_category(session, town_codes=[TOWN_B])
        town_c = industry.stages_by_category(session, town_codes=[TOWN_C])
    assert list(frame.columns) == industry.STAGES_BY_CATEGORY_COLUMNS
    got = {(r["category"], r["stage"]): (r["plans"], r["households"]) for r in frame.to_dict("records")}
    assert list(dict.fromkeys(frame["category"])) == ["planting", "tourism", "shares"]
    assert got == {
        ("planting", "planned"): (1, 1),
        ("planting", "started"): (3, 2),
        ("planting", "producing"): (1, 1),
        ("planting", "stable"): (2, 2),
        ("tourism", "planned"): (0, 0),
        ("tourism", "started"): (0, 0),
        ("tourism", "producing"): (1, 1),
        ("tourism", "stable"): (0, 0),
        ("shares", "planned"): (0, 0),
        ("shares", "started"): (0, 0),
        ("shares", "producing"): (1, 1),
        ("shares", "stable"): (0, 0),
    }
    assert int(frame["plans"].sum()) == 9
    b = {(r["category"], r["stage"]): r["plans"] for r in town_b.to_dict("records") if r["plans"]}
    assert b == {("planting", "producing"): 1, ("planting", "stable"): 1, ("tourism", "producing"): 1}
    assert town_c.empty and list(town_c.columns) == industry.STAGES_BY_CATEGORY_COLUMNS


# --- gaps -------------------------------------------------------------------------------------


def test_gaps_are_households_with_labour_and_no_plan(industry_engine: Engine) -> None:
    with Session(industry_engine) as session:
        frame = industry.gaps_no_plan(session)
        town_b = industry.gaps_no_plan(session, town_codes=[TOWN_B])
        totals = overview.totals(overview.town_progress(session))
    assert list(frame.columns) == industry.GAP_COLUMNS
    assert list(frame["archive_no"]) == ["HAND0004", "HAND0006", "HAND0008"]
    assert list(frame["village_code"]) == [VILLAGE["A2"], VILLAGE["A3"], VILLAGE["B1"]]
    assert list(frame["labour_count"]) == [1, 1, 2]
    assert list(frame["status"]) == ["monitored", "exited", "exited"]
    assert frame.iloc[0]["head_name"] == "户主4" and frame.iloc[0]["town_name_en"] == "Jia Town"
    assert len(frame) == totals["households_with_labour"] - totals["labour_households_with_plan"]
    assert list(town_b["archive_no"]) == ["HAND0008"]


def test_long_lists_page_in_sql_and_count_the_hand_figures(industry_engine: Engine) -> None:
    with Session(industry_engine) as session:
        totals = overview.totals(overview.town_progress(session))
        gaps = industry.gaps_no_plan(session)
        gap_pages = [industry.gaps_no_plan(session, limit=2, offset=o) for o in (0, 2, 4)]
        gap_counts = [industry.gaps_no_plan_count(session, town_codes=towns) for towns in (None, [TOWN_B])]
        stuck = industry.stuck_plans(session, as_of=AS_OF, months=6)
        stuck_page = industry.stuck_plans(session, as_of=AS_OF, months=6, limit=2, offset=1)
        stuck_counts = [
            industry.stuck_plans_count(session, as_of=AS_OF),
            industry.stuck_plans_count(session, as_of=AS_OF, months=6),
            industry.stuck_plans_count(session, as_of=AS_OF, town_codes=[TOWN_B]),
        ]
        single = industry.single_link_households(session)
        single_page = industry.single_link_households(session, limit=2, offset=2)
        single_rest = industry.single_link_households(session, offset=1)
        single_counts = [industry.single_link_count(session, town_codes=towns) for towns in (None, [TOWN_B])]
    # gaps h4, h6, h8 (= 8 with labour − 5 with a plan); town B h8.
    assert gap_counts == [totals["households_with_labour"] - totals["labour_households_with_plan"], 1]
    assert gap_counts[0] == 3
    assert [list(page["archive_no"]) for page in gap_pages] == [["HAND0004", "HAND0006"], ["HAND0008"], []]
    pd.testing.assert_frame_equal(pd.concat(gap_pages[:2], ignore_index=True), gaps)
    # stuck: 12 months p2 p4 p6; 6 months also p3; town B p6.
    assert stuck_counts == [3, 4, 1]
    assert list(stuck_page["plan_id"]) == [3, 4] and list(stuck_page["months_in_stage"]) == [12, 31]
    pd.testing.assert_frame_equal(stuck_page, stuck.iloc[1:3].reset_index(drop=True))
    # single organisation: h1 h3 h7 h8; town B h7 h8.
    assert single_counts == [4, 2]
    assert list(single_page["archive_no"]) == ["HAND0007", "HAND0008"]
    assert list(single_page["benefit_types"]) == [("dividend",), ("land_rent",)]
    pd.testing.assert_frame_equal(single_page, single.iloc[2:].reset_index(drop=True))
    pd.testing.assert_frame_equal(single_rest, single.iloc[1:].reset_index(drop=True))


def test_stuck_plans_are_below_stable_longer_than_the_set_time(industry_engine: Engine) -> None:
    with Session(industry_engine) as session:
        year = industry.stuck_plans(session, as_of=AS_OF)
        half = industry.stuck_plans(session, as_of=AS_OF, months=6)
        town_b = industry.stuck_plans(session, as_of=AS_OF, town_codes=[TOWN_B])
    assert list(year.columns) == industry.STUCK_COLUMNS
    assert list(year["plan_id"]) == [2, 4, 6]
    assert list(year["archive_no"]) == ["HAND0001", "HAND0003", "HAND0007"]
    assert list(year["stage"]) == ["started", "planned", "producing"]
    assert list(year["stage_since"]) == [D(2019, 5, 1), D(2018, 3, 1), D(2019, 10, 30)]
    assert list(year["months_in_stage"]) == [17, 31, 12]
    assert year.iloc[0]["industry_code"] == "vegetables" and year.iloc[0]["category"] == "planting"
    assert year.iloc[2]["village_code"] == VILLAGE["B1"] and year.iloc[2]["town_code"] == TOWN_B
    assert list(half["plan_id"]) == [2, 3, 4, 6]
    assert list(half["months_in_stage"]) == [17, 12, 31, 12]
    assert list(town_b["plan_id"]) == [6]


@pytest.mark.parametrize(
    ("day", "months", "before"),
    [
        (D(2020, 10, 31), 12, D(2019, 10, 31)),
        (D(2020, 3, 31), 1, D(2020, 2, 29)),
        (D(2020, 1, 15), 2, D(2019, 11, 15)),
        (D(2020, 10, 31), 0, D(2020, 10, 31)),
    ],
)
def test_months_before_counts_calendar_months(day: dt.date, months: int, before: dt.date) -> None:
    assert industry.months_before(day, months) == before


# --- one village, one product -----------------------------------------------------------------


def test_village_products_share_and_villages_without_one(industry_engine: Engine) -> None:
    with Session(industry_engine) as session:
        frame = industry.village_products(session)
        town_a = industry.village_products(session, town_codes=[TOWN_A])
    assert list(frame.columns) == industry.VILLAGE_PRODUCT_COLUMNS
    rows = _by(frame, "village_code")
    assert list(rows) == [VILLAGE[k] for k in ["A1", "A2", "A3", "B1", "B2", "B3"]]
    got = {
        key: (
            rows[VILLAGE[key]]["households"],
            rows[VILLAGE[key]]["households_in_product"],
            rows[VILLAGE[key]]["has_product"],
        )
        for key in VILLAGE
    }
    assert got == {
        "A1": (3, 2, True),
        "A2": (2, 0, True),
        "A3": (1, 0, False),
        "B1": (2, 0, False),
        "B2": (1, 1, True),
        "B3": (0, 0, True),
    }
    assert rows[VILLAGE["A1"]]["share"] == pytest.approx(2 / 3)
    assert rows[VILLAGE["A2"]]["share"] == 0.0
    assert rows[VILLAGE["B2"]]["share"] == 1.0
    assert all(_isnan(rows[VILLAGE[k]]["share"]) for k in ["A3", "B1", "B3"])
    a1 = rows[VILLAGE["A1"]]
    assert (a1["signature_product_zh"], a1["signature_product_en"]) == ("高山蔬菜", "Highland vegetables")
    assert (a1["signature_industry"], a1["signature_industry_name_en"]) == ("vegetables", "Vegetables")
    a3 = rows[VILLAGE["A3"]]
    assert pd.isna(a3["signature_product_zh"]) and pd.isna(a3["signature_industry"])
    assert a1["town_code"] == TOWN_A and a1["town_name_zh"] == "甲镇"
    assert list(town_a["village_code"]) == [VILLAGE[k] for k in ["A1", "A2", "A3"]]


# --- enterprises and cooperatives -------------------------------------------------------------


def test_organisations_count_villages_households_and_benefits(industry_engine: Engine) -> None:
    with Session(industry_engine) as session:
        frame = industry.organisations(session)
        town_a = industry.organisations(session, town_codes=[TOWN_A])
        town_b = industry.organisations(session, town_codes=[TOWN_B])
        town_c = industry.organisations(session, town_codes=[TOWN_C])
    assert list(frame.columns) == industry.ORGANISATION_COLUMNS
    assert list(frame["organisation_id"]) == [1, 2]  # o3 has no links
    counted = ["villages_served", "linked_households", "links", *industry.BENEFIT_TYPES, "annual_amount"]
    o1, o2 = (frame.iloc[i][counted].tolist() for i in range(2))
    assert o1 == [2, 3, 4, 1, 1, 1, 1, 8800]
    assert o2 == [2, 3, 3, 1, 1, 1, 0, 3400]
    first = frame.iloc[0]
    assert (first["kind"], first["industry_code"], first["industry_name_zh"]) == (
        "enterprise",
        "vegetables",
        "蔬菜",
    )
    assert (first["town_code"], first["town_name_en"]) == (TOWN_A, "Jia Town")
    assert frame.iloc[1]["kind"] == "cooperative" and frame.iloc[1]["town_code"] == TOWN_B
    assert list(town_a["organisation_id"]) == [1]
    assert town_a.iloc[0][counted].tolist() == [1, 2, 3, 1, 0, 1, 1, 8300]
    assert list(town_b["organisation_id"]) == [2, 1]
    assert town_b.iloc[1][counted].tolist() == [1, 1, 1, 0, 1, 0, 0, 500]
    assert town_c.empty and list(town_c.columns) == industry.ORGANISATION_COLUMNS


def test_single_organisation_households(industry_engine: Engine) -> None:
    with Session(industry_engine) as session:
        frame = industry.single_link_households(session)
        town_b = industry.single_link_households(session, town_codes=[TOWN_B])
    assert list(frame.columns) == industry.SINGLE_LINK_COLUMNS
    assert list(frame["archive_no"]) == ["HAND0001", "HAND0003", "HAND0007", "HAND0008"]  # not h9
    assert list(frame["organisation_id"]) == [1, 1, 2, 2]
    assert list(frame["benefit_types"]) == [
        ("land_rent", "wages"),
        ("guaranteed_purchase",),
        ("dividend",),
        ("land_rent",),
    ]
    assert list(frame["links"]) == [2, 1, 1, 1]
    assert list(frame["annual_amount"]) == [6800, 1500, 400, 0]
    assert frame.iloc[0]["organisation_name_en"] == "Lvyuan Vegetables Co."
    assert frame.iloc[2]["kind"] == "cooperative" and frame.iloc[2]["village_code"] == VILLAGE["B1"]
    assert list(town_b["archive_no"]) == ["HAND0007", "HAND0008"]
    assert list(town_b["benefit_types"]) == [("dividend",), ("land_rent",)]


# --- income -----------------------------------------------------------------------------------


def test_income_of_linked_and_unlinked_households(industry_engine: Engine) -> None:
    with Session(industry_engine) as session:
        frame = industry.income_by_link(session)
        town_b = industry.income_by_link(session, town_codes=[TOWN_B])
        town_c = industry.income_by_link(session, town_codes=[TOWN_C])
    assert list(frame.columns) == industry.INCOME_COLUMNS
    rows = _by(frame, "year")
    assert list(rows) == [2019, 2020]
    y19, y20 = rows[2019], rows[2020]
    assert y19["linked"] == pytest.approx(4175) and y19["unlinked"] == pytest.approx(2900)
    counts = [
        "linked_households",
        "unlinked_households",
        "poverty_line",
        "linked_below_line",
        "unlinked_below_line",
    ]
    assert [y19[c] for c in counts] == [4, 2, 3747, 1, 2]
    assert y20["linked"] == pytest.approx(4830) and y20["unlinked"] == pytest.approx(11800 / 3)
    assert [y20[c] for c in counts] == [5, 3, 4000, 1, 2]
    assert y20["poverty_line"] == poverty_line(2020)
    b19 = _by(town_b, "year")[2019]
    assert b19["linked"] == pytest.approx(4450) and _isnan(b19["unlinked"])
    assert [b19[c] for c in counts] == [2, 0, 3747, 0, 0]
    assert town_c.empty and list(town_c.columns) == industry.INCOME_COLUMNS


def test_the_poverty_line_in_sql_matches_the_domain(industry_engine: Engine) -> None:
    """Years outside the table (2012, 2021) take the nearest known line, as `poverty_line` does."""
    with Session(industry_engine) as session:
        session.add_all(
            [
                HouseholdIncome(household_id=6, year=2012, per_capita_income=2735),
                HouseholdIncome(household_id=6, year=2021, per_capita_income=3999),
            ]
        )
        if counts_ready(session):  # incomes arrive in bulk loads, which rebuild the rollups
            rollups.rebuild(session)
        session.commit()
        rows = _by(industry.income_by_link(session), "year")
    assert (rows[2012]["poverty_line"], rows[2012]["unlinked_below_line"]) == (2736, 1)
    assert (rows[2021]["poverty_line"], rows[2021]["unlinked_below_line"]) == (4000, 1)


# --- trend ------------------------------------------------------------------------------------


def test_stage_trend_counts_moves_by_month(industry_engine: Engine) -> None:
    with Session(industry_engine) as session:
        frame = industry.stage_trend(session, as_of=AS_OF)
        town_b = industry.stage_trend(session, as_of=AS_OF, town_codes=[TOWN_B])
        early = industry.stage_trend(session, as_of=D(2019, 12, 31))
    assert list(frame.columns) == industry.TREND_COLUMNS
    got = [(r["month"], r["stage"], r["moves"], r["new"], r["backward"]) for r in frame.to_dict("records")]
    assert got == [
        (D(2018, 3, 1), "planned", 6, 6, 0),
        (D(2018, 4, 1), "started", 1, 0, 0),
        (D(2018, 5, 1), "started", 1, 0, 0),
        (D(2018, 6, 1), "started", 1, 0, 0),
        (D(2018, 8, 1), "started", 1, 0, 0),
        (D(2018, 9, 1), "started", 1, 0, 0),
        (D(2018, 11, 1), "producing", 1, 0, 0),
        (D(2019, 3, 1), "planned", 1, 1, 0),
        (D(2019, 4, 1), "producing", 1, 0, 0),
        (D(2019, 5, 1), "started", 1, 0, 0),
        (D(2019, 5, 1), "stable", 1, 0, 0),
        (D(2019, 6, 1), "planned", 1, 1, 0),
        (D(2019, 8, 1), "started", 1, 0, 0),
        (D(2019, 9, 1), "producing", 1, 0, 0),
        (D(2019, 10, 1), "producing", 2, 0, 0),
        (D(2020, 2, 1), "planned", 1, 1, 0),
        (D(2020, 5, 1), "producing", 1, 0, 0),
        (D(2020, 6, 1), "started", 1, 0, 1),
        (D(2020, 7, 1), "stable", 1, 0, 0),
        (D(2020, 9, 1), "started", 1, 0, 0),
    ]
    assert int(frame["moves"].sum()) == 26
    assert list(town_b["moves"]) == [2, 1, 1, 1, 1, 1, 1, 1, 1]
    assert list(town_b["month"])[:3] == [D(2018, 3, 1), D(2018, 4, 1), D(2018, 5, 1)]
    assert early["month"].max() == D(2019, 10, 1) and int(early["moves"].sum()) == 21


def test_stage_history_counts_rebuild_year_ends(industry_engine: Engine) -> None:
    with Session(industry_engine) as session:
        frame = industry.stage_history_counts(session, as_of=AS_OF)
        town_c = industry.stage_history_counts(session, as_of=AS_OF, town_codes=[TOWN_C])
        current: dict[str, int] = dict(
            session.execute(select(IndustryPlan.stage, func.count()).group_by(IndustryPlan.stage)).all()
        )
    assert list(frame.columns) == industry.HISTORY_COLUMNS
    by_year = {year: list(part["plans"]) for year, part in frame.groupby("year")}
    assert by_year == {2018: [1, 4, 1, 0], 2019: [1, 2, 4, 1], 2020: [1, 3, 3, 2]}
    assert list(frame["stage"])[:4] == industry.STAGES
    assert list(dict.fromkeys(frame["date"])) == [D(2018, 12, 31), D(2019, 12, 31), AS_OF]
    assert by_year[2020] == [current.get(stage, 0) for stage in industry.STAGES]
    assert town_c.empty and list(town_c.columns) == industry.HISTORY_COLUMNS


def test_empty_selection_gives_empty_frames_with_columns(empty_engine: Engine) -> None:
    with Session(empty_engine) as session:
        funnel = industry.stage_funnel(session)
        frames = {
            "town": (industry.stages_by_town(session), industry.STAGES_BY_TOWN_COLUMNS),
            "category": (industry.stages_by_category(session), industry.STAGES_BY_CATEGORY_COLUMNS),
            "gaps": (industry.gaps_no_plan(session), industry.GAP_COLUMNS),
            "stuck": (industry.stuck_plans(session, as_of=AS_OF), industry.STUCK_COLUMNS),
            "products": (industry.village_products(session), industry.VILLAGE_PRODUCT_COLUMNS),
            "orgs": (industry.organisations(session), industry.ORGANISATION_COLUMNS),
            "single": (industry.single_link_households(session), industry.SINGLE_LINK_COLUMNS),
            "income": (industry.income_by_link(session), industry.INCOME_COLUMNS),
            "trend": (industry.stage_trend(session, as_of=AS_OF), industry.TREND_COLUMNS),
            "history": (industry.stage_history_counts(session, as_of=AS_OF), industry.HISTORY_COLUMNS),
        }
    assert funnel.households == 0 and list(funnel.stages["households"]) == [0, 0, 0, 0]
    for name, (frame, columns) in frames.items():
        assert frame.empty, name
        assert list(frame.columns) == columns, name


# --- the demo county --------------------------------------------------------------------------


def test_demo_county_agrees_with_the_overview(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        as_of = dt.date.fromisoformat(session.get_one(Meta, "as_of").value)
        towns = list(overview.town_progress(session)["town_code"])
        for selection in (None, towns[:1], towns[3:7]):
            funnel = industry.stage_funnel(session, town_codes=selection)
            progress = overview.town_progress(session, town_codes=selection)
            _assert_funnel_matches(funnel, overview.totals(progress))
            by_town = industry.stages_by_town(session, town_codes=selection)
            assert list(by_town["town_code"]) == list(progress["town_code"])
            for column in industry.FUNNEL_TOTALS:
                assert list(by_town[column]) == list(progress[column]), column
            for stage in industry.STAGES:
                assert list(by_town[stage]) == list(progress[f"stage_{stage}"]), stage
        funnel = industry.stage_funnel(session)
        gaps = industry.gaps_no_plan(session)
        history = industry.stage_history_counts(session, as_of=as_of)
        categories = industry.stages_by_category(session)
        current: dict[str, int] = dict(
            session.execute(select(IndustryPlan.stage, func.count()).group_by(IndustryPlan.stage)).all()
        )
        backward_rows = session.scalar(
            select(func.count())
            .select_from(PlanStageChange)
            .where(stage_rank(PlanStageChange.to_stage) < stage_rank(PlanStageChange.from_stage))  # type: ignore[arg-type]
        )
        trend = industry.stage_trend(session, as_of=as_of)
    assert len(gaps) == funnel.households_with_labour - funnel.labour_households_with_plan
    latest = history[history["year"] == as_of.year]
    assert list(latest["plans"]) == [current.get(stage, 0) for stage in industry.STAGES]
    assert int(categories["plans"].sum()) == sum(current.values())
    assert int(trend["backward"].sum()) == backward_rows
