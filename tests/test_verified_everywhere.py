""" "Verified" means one thing on every page: the household's latest visit up to the data's date
verified its ledger, within VERIFIED_WITHIN_MONTHS — the assessment's own definition.

On the assessment county (tests/assessment_county.py, as of 2020-10-31, 12 months → since
2019-10-31), by hand: h1 (verified 2020-06-01), h3 (wrong 2020-06-03, then verified 2020-07-03),
h7 (verified 2020-06-05) and h8 (verified 2020-09-01) count: 4 of 9. h6 was verified on 2019-06-01
only (too long ago), h2 and h9 were last found wrong, h4 and h5 never visited. The Overview counted
h6 as verified too (5 of 9: "any visit ever") before it meant the same as the assessment. Per
village: A1 h1 h3 of h1 h2 h3 → 2; A2 0 of 2; A3 0 of 1 (h6); B1 2 of 2; B2 0 of 1.

Each figure is read with the rollups current and with them stale (pages then read the base
tables), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from lib.core.models import Meta
from lib.queries import assessment, overview, rollups, villages
from lib.services import rollups as rollup_service
from tests.assessment_county import load_assessment_county

AS_OF = dt.date(2020, 10, 31)
BY_VILLAGE = {"349901100201": 2, "349901100202": 0, "349901100203": 0, "349901101204": 2, "349901101205": 0}


@pytest.fixture(params=["rollups current", "rollups stale"])
def county(empty_engine: Engine, request: pytest.FixtureRequest) -> Engine:
    with Session(empty_engine) as session:
        load_assessment_county(session)
        session.commit()
        rollup_service.rebuild(session)
        if request.param == "rollups stale":
            session.execute(update(Meta).where(Meta.key == rollups.ROLLUP_VERSION_KEY).values(value="0"))
        session.commit()
        assert rollups.counts_ready(session) is (request.param == "rollups current")
    return empty_engine


def test_the_overview_the_village_list_and_the_assessment_count_the_same_households(county: Engine) -> None:
    with Session(county) as session:
        totals = overview.totals(overview.town_progress(session))
        measures = villages.village_measures(session)
        readiness = assessment.readiness_counts(session, as_of=AS_OF, within_months=12, level="village")
    assert totals["households_verified"] == 4
    assert dict(zip(measures["village_code"], measures["households_verified"], strict=True)) == BY_VILLAGE
    assert dict(zip(readiness["village_code"], readiness["verified_current"], strict=True)) == BY_VILLAGE


def test_a_longer_window_counts_the_old_visit_once_the_rollups_follow(
    county: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """24 months: h6's visit of 2019-06-01 is recent enough, so 5 of 9 — and a rollup counted with
    12 months is not read for it."""
    monkeypatch.setenv("VERIFIED_WITHIN_MONTHS", "24")
    with Session(county) as session:
        assert not rollups.counts_ready(session)
        assert overview.totals(overview.town_progress(session))["households_verified"] == 5
        assert rollup_service.ensure_current(session) is True
        assert rollups.counts_ready(session)
        assert overview.totals(overview.town_progress(session))["households_verified"] == 5
