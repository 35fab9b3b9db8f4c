"""The village page's queries against the hand-worked county (tests/hand_county.py), and privacy.

Worked by hand from the county's docstring and specs:
  A1 (349901100201, town A, poor, exited 2019, population 1,000):
    h1 HAND0001 户主1: 3 members, 2 labour, exited; plans stable + started (vegetables);
       one visit 2020-06-01, verified.
    h2 HAND0002 户主2: 2 members, no labour, exited; PV fund shares, producing;
       visited 2020-06-02, not verified (problem noted).
    h3 HAND0003 户主3: 4 members, 2 labour, poor; vegetables, planned;
       visited 2020-06-03 not verified (problem), then 2020-07-03 verified.
    → households 3 (exited 2, poor 1); poor people 4 of 1,000 → incidence 0.4%;
      labour households 2, both with a plan → plan coverage 100%; with a plan 3, stable 1 → 1/3;
      verified 2 of 3; visits 4 to 3 households, 2 found problems, satisfied 4 of 4.
    Work team: c1 (书记1) first secretary since 2018-03-01, trained; c7 (书记7) team member,
      trained; history: c6 (书记6) first secretary 2016-03-01 → 2018-02-28, trained. No study tour.
    Industries: vegetables 2 households (h1, h3) = 2/3; PV shares 1 (h2) = 1/3.
    Status × stage: poor/planned 1; exited/producing 1, exited/stable 1; monitored none.
  B2 (349901101205, town B, not poor, population 5,000):
    h9 HAND0009: 6 members, 2 labour, poor; vegetables stable; visited 2020-06-06, not verified.
    → households 1, poor people 6 of 5,000 = 0.12%; plan 100%, stable 100%, verified 0%.
    Work team: c4 (书记4) first secretary since 2019-07-01 (his earlier B1 posting is B1's), trained.
  A2 (349901100202): h4 monitored without a plan, h5 poor started → monitored/none 1.
  A3 (349901100203): c3 serves untrained, went on the (not required) study tour.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from lib.core.models import IndustryPlan, Organisation, OrganisationLink
from lib.queries import village_detail
from lib.queries.villages import village_measures
from lib.rules.privacy import mask_id_number, mask_name, names_visible

A1 = "349901100201"
A2 = "349901100202"
A3 = "349901100203"
B2 = "349901101205"
TOWN_B = "349901101"
D = dt.date


def _session(engine: Engine) -> Session:
    return Session(engine)


def test_key_figures_come_from_village_measures(hand_engine: Engine) -> None:
    with _session(hand_engine) as session:
        a1 = village_measures(session, village_codes=[A1]).iloc[0]
        b2 = village_measures(session, village_codes=[B2]).iloc[0]
    assert (a1.households, a1.households_exited, a1.households_poor, a1.households_monitored) == (3, 2, 1, 0)
    assert (a1.people_poor, a1.population) == (4, 1000)
    assert a1.poverty_incidence == pytest.approx(0.004)
    assert a1.plan_share == pytest.approx(1.0)
    assert a1.stable_share == pytest.approx(1 / 3)
    assert a1.verified_share == pytest.approx(2 / 3)
    assert (a1.exit_status, a1.actual_exit_year) == ("exited", 2019)
    assert (b2.households, b2.people_poor, b2.population, b2.exit_status) == (1, 6, 5000, "not_poor")
    assert b2.poverty_incidence == pytest.approx(0.0012)
    assert (b2.stable_share, b2.verified_share) == (pytest.approx(1.0), pytest.approx(0.0))


def test_village_list_for_the_picker(hand_engine: Engine) -> None:
    with _session(hand_engine) as session:
        everything = village_detail.village_list(session)
        town_b = village_detail.village_list(session, town_codes=[TOWN_B])
    assert list(everything["code"]) == [A1, A2, A3, "349901101204", B2]
    assert list(everything.columns) == [
        "code",
        "name_zh",
        "name_en",
        "town_code",
        "town_name_zh",
        "town_name_en",
    ]
    assert everything.iloc[0].to_dict() == {
        "code": A1,
        "name_zh": "A1村",
        "name_en": "A1 Village",
        "town_code": "349901100",
        "town_name_zh": "甲镇",
        "town_name_en": "Jia Town",
    }
    assert list(town_b["name_en"]) == ["B1 Village", "B2 Village"]
    assert set(town_b["town_name_en"]) == {"Yi Town"}


def test_work_team_serving_first_then_history(hand_engine: Engine) -> None:
    with _session(hand_engine) as session:
        a1 = village_detail.work_team(session, code=A1)
        b2 = village_detail.work_team(session, code=B2)
        a3 = village_detail.work_team(session, code=A3)
    rows = a1[["name", "role", "start_date", "end_date", "serving", "trained", "study_tour"]]
    assert [tuple(row) for row in rows.itertuples(index=False)] == [
        ("书记1", "first_secretary", D(2018, 3, 1), None, True, True, False),
        ("书记7", "team_member", D(2018, 3, 1), None, True, True, False),
        ("书记6", "first_secretary", D(2016, 3, 1), D(2018, 2, 28), False, True, False),
    ]
    assert list(b2["name"]) == ["书记4"]
    assert (bool(b2.iloc[0].serving), b2.iloc[0].start_date, bool(b2.iloc[0].trained)) == (
        True,
        D(2019, 7, 1),
        True,
    )
    # c3 only went on the study tour, which is not a required programme.
    assert (bool(a3.iloc[0].trained), bool(a3.iloc[0].study_tour)) == (False, True)


def test_households_with_best_stage_and_verification(hand_engine: Engine) -> None:
    with _session(hand_engine) as session:
        a1 = village_detail.households(session, code=A1)
        b2 = village_detail.households(session, code=B2)
        a2 = village_detail.households(session, code=A2)
    assert list(a1.columns) == village_detail.HOUSEHOLD_COLUMNS
    assert [tuple(row) for row in a1.itertuples(index=False)] == [
        ("HAND0001", "户主1", 3, 2, "exited", "illness", "A", "stable", True, D(2020, 6, 1)),
        ("HAND0002", "户主2", 2, 0, "exited", "illness", "A", "producing", False, D(2020, 6, 2)),
        ("HAND0003", "户主3", 4, 2, "poor", "illness", "A", "planned", True, D(2020, 7, 3)),
    ]
    assert [
        tuple(row) for row in b2[["archive_no", "stage", "verified", "last_visit"]].itertuples(index=False)
    ] == [("HAND0009", "stable", False, D(2020, 6, 6))]
    # h4 has neither a plan nor a visit.
    h4 = a2.iloc[0]
    assert (h4.archive_no, h4.stage, bool(h4.verified), h4.last_visit) == ("HAND0004", "none", False, None)


def test_status_by_stage(hand_engine: Engine) -> None:
    with _session(hand_engine) as session:
        a1 = village_detail.status_by_stage(session, code=A1).set_index("status")
        a2 = village_detail.status_by_stage(session, code=A2).set_index("status")
        b2 = village_detail.status_by_stage(session, code=B2).set_index("status")
    assert list(a1.index) == ["poor", "exited", "monitored"]
    assert list(a1.columns) == ["none", "planned", "started", "producing", "stable", "total"]
    assert a1.loc["poor"].to_dict() == {
        "none": 0,
        "planned": 1,
        "started": 0,
        "producing": 0,
        "stable": 0,
        "total": 1,
    }
    assert a1.loc["exited"].to_dict() == {
        "none": 0,
        "planned": 0,
        "started": 0,
        "producing": 1,
        "stable": 1,
        "total": 2,
    }
    assert a1.loc["monitored", "total"] == 0
    assert int(a1["total"].sum()) == 3
    assert (a2.loc["monitored", "none"], a2.loc["poor", "started"]) == (1, 1)
    assert (b2.loc["poor", "stable"], int(b2["total"].sum())) == (1, 1)


def test_industry_plans_most_advanced_first_per_household(hand_engine: Engine) -> None:
    with _session(hand_engine) as session:
        plans = village_detail.industry_plans(session, code=A1)
    assert list(plans.columns) == village_detail.PLAN_COLUMNS
    shown = plans[["archive_no", "industry_en", "category", "stage", "stage_since"]]
    assert [tuple(row) for row in shown.itertuples(index=False)] == [
        ("HAND0001", "Vegetables", "planting", "stable", D(2019, 5, 1)),
        ("HAND0001", "Vegetables", "planting", "started", D(2019, 5, 1)),
        ("HAND0002", "PV shares", "shares", "producing", D(2019, 5, 1)),
        ("HAND0003", "Vegetables", "planting", "planned", D(2019, 5, 1)),
    ]
    assert plans["partner_zh"].isna().all()


def test_top_industries_share_of_village_households(hand_engine: Engine) -> None:
    with _session(hand_engine) as session:
        a1 = village_detail.top_industries(session, code=A1)
        a1_top = village_detail.top_industries(session, code=A1, limit=1)
        b2 = village_detail.top_industries(session, code=B2)
    assert list(a1["industry_en"]) == ["Vegetables", "PV shares"]
    assert list(a1["industry_zh"]) == ["蔬菜", "光伏收益"]
    assert list(a1["households"]) == [2, 1]
    assert list(a1["share"]) == [pytest.approx(2 / 3), pytest.approx(1 / 3)]
    assert not a1["signature"].any()
    assert list(a1_top["industry_en"]) == ["Vegetables"]
    assert (list(b2["households"]), list(b2["share"])) == ([1], [pytest.approx(1.0)])


def test_organisation_links_and_plan_partners(hand_engine: Engine) -> None:
    """The hand county has no organisations; this test adds an enterprise and a cooperative."""
    with _session(hand_engine) as session:
        session.add_all(
            [
                Organisation(id=1, kind="enterprise", name_zh="甲公司", name_en="Jia Co."),
                Organisation(id=2, kind="cooperative", name_zh="乙社", name_en="Yi Coop"),
            ]
        )
        session.flush()
        session.add_all(
            [
                OrganisationLink(organisation_id=1, household_id=1, benefit_type="wages", annual_amount=3000),
                OrganisationLink(organisation_id=1, household_id=3, benefit_type="wages", annual_amount=2000),
                OrganisationLink(
                    organisation_id=1, household_id=2, benefit_type="dividend", annual_amount=None
                ),
                OrganisationLink(
                    organisation_id=2, household_id=1, benefit_type="land_rent", annual_amount=800
                ),
                OrganisationLink(
                    organisation_id=2, household_id=9, benefit_type="land_rent", annual_amount=900
                ),
            ]
        )
        session.execute(update(IndustryPlan).where(IndustryPlan.id == 3).values(partner_org_id=1))
        session.commit()
        a1 = village_detail.organisation_links(session, code=A1)
        b2 = village_detail.organisation_links(session, code=B2)
        plans = village_detail.industry_plans(session, code=A1)
    assert [tuple(row) for row in a1.itertuples(index=False)] == [
        ("甲公司", "Jia Co.", "enterprise", "wages", 2, 5000),
        ("甲公司", "Jia Co.", "enterprise", "dividend", 1, 0),
        ("乙社", "Yi Coop", "cooperative", "land_rent", 1, 800),
    ]
    assert [tuple(row) for row in b2.itertuples(index=False)] == [
        ("乙社", "Yi Coop", "cooperative", "land_rent", 1, 900)
    ]
    assert list(plans["partner_en"].fillna("")) == ["", "", "Jia Co.", ""]


def test_visits_newest_first_and_summary(hand_engine: Engine) -> None:
    with _session(hand_engine) as session:
        a1 = village_detail.visits(session, code=A1)
        a1_summary = village_detail.visit_summary(session, code=A1)
        b2_summary = village_detail.visit_summary(session, code=B2)
    shown = a1.assign(problems=a1["problems"].fillna(""))  # missing text is NaN in pandas' str dtype
    assert [tuple(row) for row in shown.itertuples(index=False)] == [
        (D(2020, 7, 3), "HAND0003", "核验员", True, "", True),
        (D(2020, 6, 3), "HAND0003", "核验员", False, "收入台账缺页", True),
        (D(2020, 6, 2), "HAND0002", "核验员", False, "收入台账缺页", True),
        (D(2020, 6, 1), "HAND0001", "核验员", True, "", True),
    ]
    assert a1_summary == village_detail.VisitSummary(
        visits=4,
        households_visited=3,
        visits_with_problems=2,
        satisfied=4,
        satisfaction_answers=4,
        last_visit=D(2020, 7, 3),
    )
    assert a1_summary.satisfaction == pytest.approx(1.0)
    assert (b2_summary.visits, b2_summary.households_visited, b2_summary.visits_with_problems) == (1, 1, 1)
    assert b2_summary.last_visit == D(2020, 6, 6)


def test_unknown_code_gives_empty_results(hand_engine: Engine) -> None:
    code = "000000000000"
    with _session(hand_engine) as session:
        for query in (
            village_detail.work_team,
            village_detail.households,
            village_detail.industry_plans,
            village_detail.top_industries,
            village_detail.organisation_links,
            village_detail.visits,
        ):
            assert query(session, code=code).empty, query.__name__
        grid = village_detail.status_by_stage(session, code=code)
        summary = village_detail.visit_summary(session, code=code)
    assert list(grid["status"]) == ["poor", "exited", "monitored"]
    assert int(grid["total"].sum()) == 0
    assert (summary.visits, summary.last_visit, summary.satisfaction) == (0, None, None)


def test_empty_database(empty_engine: Engine) -> None:
    with _session(empty_engine) as session:
        assert village_detail.village_list(session).empty
        assert village_detail.households(session, code=A1).empty
        assert village_detail.top_industries(session, code=A1).empty
        assert village_detail.visit_summary(session, code=A1).visits == 0


# --- privacy ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三丰", "张**"), ("李四", "李*"), ("王", "王"), ("", ""), (None, ""), ("Ann Lee", "A******")],
)
def test_mask_name(name: str | None, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("349901198001011234", "349901**********34"),
        ("34990119800101123X", "349901**********3X"),
        ("349901800101123", "349901*******23"),  # old 15-digit numbers
        ("12345678", "********"),  # too short to keep both ends: masked whole
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(value: str | None, masked: str) -> None:
    assert mask_id_number(value) == masked
    assert len(mask_id_number(value)) == len(value or "")


def test_names_hidden_without_a_signed_in_user() -> None:
    assert names_visible(None) is False
    assert names_visible(SimpleNamespace(can_see_names=True, is_active=True)) is True
    assert names_visible(SimpleNamespace(can_see_names=False, is_active=True)) is False
    assert names_visible(SimpleNamespace(can_see_names=True, is_active=False)) is False
    assert names_visible(object()) is False
