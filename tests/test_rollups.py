"""The rollup tables: pages read the same figures from them as from the base tables, writes through
the services keep them equal to a full rebuild, and stale rollups are never read.

The hand-figure tests (test_overview_queries, test_assessment_checks, …) read the rollups, since
the fixtures build them as a bulk load does; here each query is also run with the rollups marked
stale, so the base-table path is held to the same hand-worked figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from lib.core.domain import Role
from lib.core.models import (
    Base,
    Household,
    HouseholdDerivedFacts,
    Meta,
    OrganisationVillageLinks,
    VillageHouseholdCounts,
    VillageIncomeYear,
    VillagePlanStages,
)
from lib.files.imports import Row
from lib.queries import assessment, industry, overview, villages
from lib.queries import rollups as rollup_queries
from lib.queries.common import data_version
from lib.rules.permissions import Actor
from lib.services import rollups
from lib.services.accounts import set_browse_without_sign_in
from lib.services.households import record_visit, update_household_status
from lib.services.imports import run_import
from lib.services.industry import create_plan, update_plan
from lib.services.villages import update_signature_product
from tests.assessment_county import add_mock_visits, load_assessment_county
from tests.db_fixtures import copy_database
from tests.support.accounts import module_actors, store_accounts

D = dt.date
AS_OF = D(2020, 10, 31)
TOWN_A = "349901100"
A1 = "349901100201"
H3, H4 = 3, 4
PLAN_H3 = 4
ADMIN = Actor(user_id=None, username="admin", display_name="Admin", role=Role.ADMIN)
EDITOR_A = Actor(user_id=None, username="ed-a", display_name="Ed A", role=Role.TOWN_EDITOR, town_code=TOWN_A)

Read = Callable[[Session], Any]
READS: dict[str, Read] = {
    "town_progress": lambda s: overview.town_progress(s),
    "town_progress(A)": lambda s: overview.town_progress(s, town_codes=[TOWN_A]),
    "village_measures": lambda s: villages.village_measures(s),
    "village_measures(A1)": lambda s: villages.village_measures(s, village_codes=[A1]),
    "stage_funnel": lambda s: industry.stage_funnel(s),
    "stages_by_town": lambda s: industry.stages_by_town(s),
    "stages_by_category": lambda s: industry.stages_by_category(s),
    "stages_by_category(A)": lambda s: industry.stages_by_category(s, town_codes=[TOWN_A]),
    "village_products": lambda s: industry.village_products(s),
    "organisations": lambda s: industry.organisations(s),
    "income_by_link": lambda s: industry.income_by_link(s),
    "income_by_link(B)": lambda s: industry.income_by_link(s, town_codes=["349901101"]),
    "readiness(town)": lambda s: assessment.readiness_counts(s, as_of=AS_OF),
    "readiness(village)": lambda s: assessment.readiness_counts(s, as_of=AS_OF, level="village"),
    "readiness(6 months)": lambda s: assessment.readiness_counts(s, as_of=AS_OF, within_months=6),
    "issues": lambda s: assessment.issue_households(s, as_of=AS_OF),
    "issue_count(A)": lambda s: assessment.issue_count(s, as_of=AS_OF, town_codes=[TOWN_A]),
    "mock_sample": lambda s: assessment.mock_sample(
        s, as_of=AS_OF, drawn_on=D(2020, 10, 1), seed=7, sizes={"exited": 1, "monitored": 1, "poor": 1}
    ),
}


def _read(engine: Engine, name: str) -> Any:
    with Session(engine) as session:
        return READS[name](session)


def _mark_stale(engine: Engine) -> None:
    with Session(engine) as session:
        session.execute(
            update(Meta).where(Meta.key == rollup_queries.ROLLUP_VERSION_KEY).values(value="stale")
        )
        session.commit()


def _same(left: Any, right: Any) -> None:
    if isinstance(left, pd.DataFrame):
        pd.testing.assert_frame_equal(left, right, check_dtype=False)
    elif isinstance(left, assessment.MockSample):
        assert len(left.households) == 5  # one per town and status where there is one
        pd.testing.assert_frame_equal(left.households, right.households, check_dtype=False)
        pd.testing.assert_frame_equal(left.strata, right.strata, check_dtype=False)
    elif hasattr(left, "stages"):  # StageFunnel
        pd.testing.assert_frame_equal(left.stages, right.stages, check_dtype=False)
        assert {k: v for k, v in vars(left).items() if k != "stages"} == {
            k: v for k, v in vars(right).items() if k != "stages"
        }
    else:
        assert left == right


def _county_with_visits(engine: Engine) -> None:
    with Session(engine) as session:
        load_assessment_county(session)
        add_mock_visits(session)
        store_accounts(session, *module_actors(globals()))


@pytest.fixture
def county(request: pytest.FixtureRequest, backend: str) -> Iterator[Engine]:
    """The assessment county (the hand county with incomes, flaws and mock visits), rollups built."""
    from lib.core.db import make_engine

    engine = make_engine(copy_database(request, backend, "rollups", _county_with_visits))
    yield engine
    engine.dispose()


def test_the_fixtures_leave_the_rollups_current(county: Engine) -> None:
    with Session(county) as session:
        assert rollup_queries.counts_ready(session)
        assert rollup_queries.facts_ready(session, AS_OF)
        assert not rollup_queries.facts_ready(session, D(2020, 9, 30))
        assert session.query(VillageHouseholdCounts).count() == 5  # villages with households
        assert session.query(HouseholdDerivedFacts).count() == 9


@pytest.mark.parametrize("name", list(READS))
def test_every_read_gives_the_same_from_the_rollups_and_from_the_base_tables(
    county: Engine, name: str
) -> None:
    stored = _read(county, name)
    _mark_stale(county)
    with Session(county) as session:
        assert not rollup_queries.counts_ready(session)
    _same(stored, _read(county, name))


def test_an_other_as_of_date_reads_the_base_tables(county: Engine) -> None:
    earlier = D(2020, 9, 30)
    with Session(county) as session:
        from_stored_date = assessment.readiness_counts(session, as_of=earlier)
    _mark_stale(county)
    with Session(county) as session:
        pd.testing.assert_frame_equal(from_stored_date, assessment.readiness_counts(session, as_of=earlier))
        # and the earlier date really differs (the mock visits of October drop out)
        assert not from_stored_date.equals(assessment.readiness_counts(session, as_of=AS_OF))


ROLLUP_TABLES = (
    VillageHouseholdCounts,
    VillageIncomeYear,
    VillagePlanStages,
    OrganisationVillageLinks,
    HouseholdDerivedFacts,
)


def _snapshot(session: Session) -> list[list[tuple[Any, ...]]]:
    """Every rollup table's rows, in primary-key order."""
    snapshot = []
    for model in ROLLUP_TABLES:
        table = Base.metadata.tables[model.__tablename__]
        rows = session.execute(select(table).order_by(*table.primary_key.columns))
        snapshot.append([tuple(row) for row in rows])
    return snapshot


def _version(session: Session, household_id: int) -> int:
    return int(session.scalar(select(Household.version).where(Household.id == household_id)) or 0)


def _import(kind: str, *rows: dict[str, Any]) -> Callable[[Session], object]:
    """An import of `rows` (column code → value) as EDITOR_A; it must go in."""

    def run(session: Session) -> object:
        numbered = [Row(number, values) for number, values in enumerate(rows, start=2)]
        report = run_import(session, actor=EDITOR_A, record_type=kind, rows=numbered, as_of=AS_OF)
        assert report.committed, report.problems
        return report

    return run


def _status_import(session: Session) -> object:
    flags = dict.fromkeys(("no_worry_food", "no_worry_clothing", "guarantee_education"), True)
    flags |= dict.fromkeys(("guarantee_medical", "guarantee_housing", "safe_water"), False)
    return _import(
        "household_status",
        {
            "archive_no": "HAND0004",
            "status": "poor",
            **flags,
            "reason": "收入不稳",
            "version": _version(session, H4),
        },
        {"archive_no": "HAND0003", "status": "poor", **flags, "version": _version(session, H3)},
    )(session)


WRITES: dict[str, Callable[[Session], object]] = {
    # Imports store many records in one transaction and work the rollups out once for them all.
    "import visits": _import(
        "visits",
        *(
            {
                "archive_no": archive,
                "visited_on": D(2020, 10, day),
                "visitor_name": "王核验",
                "ledger_verified": problems is None,
                "problems": problems,
            }
            for archive, day, problems in (
                ("HAND0003", 29, None),
                ("HAND0004", 29, "缺页"),
                ("HAND0003", 30, "缺页"),
            )
        ),
    ),
    "import household_status": _status_import,
    "import industry_plans": _import(
        "industry_plans",
        {"archive_no": "HAND0004", "industry": "vegetables", "stage": "planned", "planned_on": D(2020, 3, 1)},
        {"archive_no": "HAND0003", "industry": "vegetables", "stage": "planned", "planned_on": D(2020, 4, 1)},
    ),
    "record_visit": lambda s: record_visit(
        s,
        actor=EDITOR_A,
        household_id=H3,
        visited_on=D(2020, 10, 30),
        visitor_name="王核验",
        ledger_verified=False,
        problems="台账缺页",
        satisfied=False,
        found_unregistered_need=True,
        as_of=AS_OF,
    ),
    "update_household_status": lambda s: update_household_status(
        s,
        actor=EDITOR_A,
        household_id=H4,
        expected_version=_version(s, H4),
        status="poor",
        flags={},
        exit_steps={},
        reason="收入不稳",
        as_of=AS_OF,
    ),
    "create_plan": lambda s: create_plan(
        s,
        actor=EDITOR_A,
        household_id=H4,
        industry_code="vegetables",
        stage="planned",
        planned_on=D(2020, 3, 1),
        started_on=None,
        partner_org_id=None,
        expected_income=3000,
        actual_income=None,
        reason=None,
        as_of=AS_OF,
    ),
    "update_signature_product": lambda s: update_signature_product(
        s,
        actor=EDITOR_A,
        village_code=A1,
        expected_version=1,
        product_zh="高山蔬菜",
        product_en="Highland vegetables",
        industry_code="vegetables",
    ),
    "update_plan": lambda s: update_plan(
        s,
        actor=EDITOR_A,
        plan_id=PLAN_H3,
        expected_version=1,
        industry_code="vegetables",
        stage="stable",
        planned_on=D(2018, 3, 1),
        started_on=D(2019, 5, 1),
        partner_org_id=None,
        expected_income=None,
        actual_income=4200,
        reason="已稳定增收",
        as_of=AS_OF,
    ),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_a_write_refreshes_the_rollups_to_what_a_rebuild_gives(county: Engine, name: str) -> None:
    with Session(county) as session:
        before = _snapshot(session)
        WRITES[name](session)
    with Session(county) as session:
        assert rollup_queries.counts_ready(session)
        after = _snapshot(session)
        assert after != before  # each of these writes changes a count or a derived fact
        rollups.rebuild(session)
        assert _snapshot(session) == after
        session.rollback()


def test_a_write_that_changes_no_household_keeps_the_rollups_current(county: Engine) -> None:
    with Session(county) as session:
        before = _snapshot(session)
        set_browse_without_sign_in(session, actor=ADMIN, enabled=False)
        assert data_version(session) == "2"
    with Session(county) as session:
        assert rollup_queries.counts_ready(session)
        assert _snapshot(session) == before


def test_stale_rollups_stay_stale_until_rebuilt(county: Engine) -> None:
    with Session(county) as session:  # a change made outside the services, then a version bump
        session.execute(delete(HouseholdDerivedFacts))
        session.execute(update(Meta).where(Meta.key == "data_version").values(value="99"))
        session.commit()
    with Session(county) as session:
        WRITES["record_visit"](session)
    with Session(county) as session:
        assert data_version(session) == "100"
        assert not rollup_queries.counts_ready(session)  # the write could not vouch for the rest
        assert rollups.ensure_current(session) is True
        session.commit()
    with Session(county) as session:
        assert rollup_queries.facts_ready(session, AS_OF)
        assert session.query(HouseholdDerivedFacts).count() == 9
        assert rollups.ensure_current(session) is False


def test_a_new_as_of_date_is_worked_out_at_the_next_start(county: Engine) -> None:
    with Session(county) as session:
        session.execute(update(Meta).where(Meta.key == "as_of").values(value="2020-12-31"))
        session.commit()
    with Session(county) as session:
        assert not rollup_queries.facts_ready(session, D(2020, 12, 31))
        assert rollups.ensure_current(session) is True
        session.commit()
    with Session(county) as session:
        assert rollup_queries.facts_ready(session, D(2020, 12, 31))
