"""Each data check, the readiness counts and the mock sample against tests/assessment_county.py,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.queries import assessment as queries
from lib.rules import assessment
from tests.assessment_county import (
    AS_OF,
    DRAWN_ON,
    TOWN_A,
    TOWN_B,
    TOWN_C,
    VILLAGE_B1,
    add_mock_visits,
    load_assessment_county,
)
from tests.db_fixtures import copy_database

ALL = {"exited": 10, "monitored": 10, "poor": 10}  # more than any stratum holds: everyone is drawn


def _assessment_county(engine: Engine) -> None:
    with Session(engine) as session:
        load_assessment_county(session)


@pytest.fixture
def county(request: pytest.FixtureRequest, backend: str) -> Iterator[Engine]:
    """The assessment county on each backend."""
    engine = make_engine(copy_database(request, backend, "assessment", _assessment_county))
    yield engine
    engine.dispose()


def _flagged(engine: Engine, check: str, **kwargs: object) -> list[str]:
    """Archive numbers of the households `check` finds."""
    with Session(engine) as session:
        found = queries.issue_households(session, as_of=AS_OF, checks=[check], **kwargs)  # type: ignore[arg-type]
    assert found[check].all()
    return list(found["archive_no"])


@pytest.mark.parametrize(
    ("check", "households"),
    [
        ("income_below_line", [1]),
        ("guarantee_not_met", [1]),
        ("exit_steps_missing", [1]),
        ("exit_steps_out_of_order", [2]),
        ("fields_missing", [4]),
        ("not_verified", [2, 4, 5, 9]),
        ("verified_long_ago", [6]),
        ("members_income_mismatch", [5]),
        ("housing_contradiction", [3]),
        ("unregistered_need", [8]),
    ],
)
def test_each_check_finds_its_households(county: Engine, check: str, households: list[int]) -> None:
    assert _flagged(county, check) == [f"HAND{n:04d}" for n in households]


def test_every_check_has_a_test_above() -> None:
    assert len(queries.CHECK_KEYS) == 10 and len(set(queries.CHECK_KEYS)) == 10


def test_a_household_can_trip_several_checks(county: Engine) -> None:
    with Session(county) as session:
        issues = queries.issue_households(session, as_of=AS_OF).set_index("archive_no")
    h1 = issues.loc["HAND0001"]
    assert [key for key in queries.CHECK_KEYS if h1[key]] == [
        "income_below_line",
        "guarantee_not_met",
        "exit_steps_missing",
    ]
    assert h1["issues"] == 3
    assert "HAND0007" not in issues.index  # the clean household
    assert list(issues["issues"]) == [3, 2, 1, 2, 2, 1, 1, 1]  # h1 h2 h3 h4 h5 h6 h8 h9


def test_verified_too_long_ago_follows_the_setting(county: Engine) -> None:
    # h6 was verified on 2019-06-01: within 18 months of 2020-10-31, not within 12.
    assert _flagged(county, "verified_long_ago", within_months=18) == []
    assert _flagged(county, "verified_long_ago", within_months=12) == ["HAND0006"]


def test_fields_missing_without_recent_income(county: Engine) -> None:
    # Seen from 2022, 2020 is neither this year nor last: every household lacks a recent income.
    with Session(county) as session:
        found = queries.issue_households(session, as_of=AS_OF.replace(year=2022), checks=["fields_missing"])
    assert len(found) == 9


def test_readiness_counts_per_town_match_the_hand_figures(county: Engine) -> None:
    with Session(county) as session:
        counts = queries.readiness_counts(session, as_of=AS_OF).set_index("town_code")
    assert list(counts.index) == [TOWN_A, TOWN_B, TOWN_C]
    columns = ["households", "exited", "verified_current", "wrong_exits", "visited", "found_need"]
    assert counts.loc[TOWN_A, columns].tolist() == [6, 3, 2, 1, 4, 0]
    assert counts.loc[TOWN_B, columns].tolist() == [3, 2, 2, 0, 3, 1]
    assert counts.loc[TOWN_A, ["answered", "satisfied", "with_issues"]].tolist() == [3, 3, 6]
    assert counts.loc[TOWN_B, ["answered", "satisfied", "with_issues"]].tolist() == [3, 2, 2]
    assert counts.loc[TOWN_A, queries.CHECK_KEYS].tolist() == [1, 1, 1, 1, 1, 3, 1, 1, 1, 0]
    assert counts.loc[TOWN_B, queries.CHECK_KEYS].tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 1]
    assert (counts.loc[TOWN_C, queries.COUNT_COLUMNS] == 0).all()


def test_readiness_statuses_per_town(county: Engine) -> None:
    with Session(county) as session:
        counts = queries.readiness_counts(session, as_of=AS_OF)
    ready = assessment.readiness_table(counts, assessment.Thresholds()).set_index("town_code")
    assert ready.loc[TOWN_A, "verified_share"] == pytest.approx(1 / 3)
    assert ready.loc[TOWN_A, "wrong_exit_rate"] == pytest.approx(1 / 3)
    assert ready.loc[TOWN_B, "missed_rate"] == pytest.approx(1 / 3)
    assert ready.loc[TOWN_B, "satisfaction"] == pytest.approx(2 / 3)
    status_columns = [f"{m}_status" for m in assessment.MEASURES]
    assert ready.loc[TOWN_A, status_columns].tolist() == ["red", "red", "green", "green"]
    assert ready.loc[TOWN_B, status_columns].tolist() == ["red", "green", "red", "red"]
    assert ready.loc[TOWN_C, status_columns].tolist() == ["none"] * 4
    assert ready["readiness"].tolist() == ["red", "red", "none"]
    assert pd.isna(ready.loc[TOWN_C, "satisfaction"])


def test_readiness_counts_per_village_add_up_to_their_towns(county: Engine) -> None:
    with Session(county) as session:
        villages = queries.readiness_counts(session, as_of=AS_OF, level="village")
        towns = queries.readiness_counts(session, as_of=AS_OF)
    assert len(villages) == 5
    summed = villages.groupby("town_code")[queries.COUNT_COLUMNS].sum()
    assert (summed == towns.set_index("town_code").loc[summed.index, queries.COUNT_COLUMNS]).all().all()
    b1 = (
        assessment.readiness_table(villages, assessment.Thresholds())
        .set_index("village_code")
        .loc[VILLAGE_B1]
    )
    assert [b1["verified_share"], b1["wrong_exit_rate"], b1["missed_rate"], b1["satisfaction"]] == [
        1,
        0,
        0.5,
        0.5,
    ]


def test_town_filter(county: Engine) -> None:
    with Session(county) as session:
        counts = queries.readiness_counts(session, as_of=AS_OF, town_codes=[TOWN_B])
        issues = queries.issue_households(session, as_of=AS_OF, town_codes=[TOWN_B])
    assert list(counts["town_code"]) == [TOWN_B]
    assert list(issues["archive_no"]) == ["HAND0008", "HAND0009"]


def test_issue_households_page_in_sql_and_count_the_hand_figures(county: Engine) -> None:
    with Session(county) as session:
        full = queries.issue_households(session, as_of=AS_OF)
        pages = [queries.issue_households(session, as_of=AS_OF, limit=3, offset=o) for o in (0, 3, 6, 9)]
        rest = queries.issue_households(session, as_of=AS_OF, offset=5)
        total = queries.issue_count(session, as_of=AS_OF)
        town_b = queries.issue_count(session, as_of=AS_OF, town_codes=[TOWN_B])
        not_verified = queries.issue_count(session, as_of=AS_OF, checks=["not_verified"])
        second = queries.issue_households(session, as_of=AS_OF, checks=["not_verified"], limit=2, offset=2)
    # h1 h2 h3 h4 h5 h6 h8 h9: town A has 6 with issues, town B 2 (the readiness counts' figures).
    assert total == len(full) == 8 and town_b == 2 and not_verified == 4
    assert [list(page["archive_no"]) for page in pages] == [
        ["HAND0001", "HAND0002", "HAND0003"],
        ["HAND0004", "HAND0005", "HAND0006"],
        ["HAND0008", "HAND0009"],
        [],
    ]
    pd.testing.assert_frame_equal(pd.concat(pages[:3], ignore_index=True), full)
    pd.testing.assert_frame_equal(rest, full.iloc[5:].reset_index(drop=True))
    assert list(second["archive_no"]) == ["HAND0005", "HAND0009"]  # not verified: h2 h4 | h5 h9


# --- the mock assessment ------------------------------------------------------------------------


def test_same_seed_gives_the_same_visit_list(county: Engine) -> None:
    sizes = {"exited": 1, "monitored": 1, "poor": 1}
    with Session(county) as session:
        first = queries.mock_sample(session, as_of=AS_OF, drawn_on=DRAWN_ON, seed=7, sizes=sizes)
        again = queries.mock_sample(session, as_of=AS_OF, drawn_on=DRAWN_ON, seed=7, sizes=sizes)
        alone = queries.mock_sample(
            session, as_of=AS_OF, drawn_on=DRAWN_ON, seed=7, sizes=sizes, town_codes=[TOWN_B]
        )
        seeds = {
            tuple(
                queries.mock_sample(session, as_of=AS_OF, drawn_on=DRAWN_ON, seed=s, sizes=sizes).households[
                    "archive_no"
                ]
            )
            for s in range(12)
        }
    assert list(first.households["archive_no"]) == list(again.households["archive_no"])
    # strata: A exited (3), A monitored (1), A poor (2), B exited (2), B poor (1): one from each
    assert first.strata[["town_code", "status", "population", "drawn"]].values.tolist() == [
        [TOWN_A, "exited", 3, 1],
        [TOWN_A, "monitored", 1, 1],
        [TOWN_A, "poor", 2, 1],
        [TOWN_B, "exited", 2, 1],
        [TOWN_B, "poor", 1, 1],
    ]
    assert len(first.households) == 5
    in_b = first.households[first.households["town_code"] == TOWN_B]
    assert list(in_b["archive_no"]) == list(alone.households["archive_no"])  # other towns do not matter
    assert len(seeds) > 1  # other seeds draw other households


def test_mock_estimates_from_the_visits(county: Engine) -> None:
    with Session(county) as session:
        before = queries.mock_sample(session, as_of=AS_OF, drawn_on=DRAWN_ON, seed=1, sizes=ALL)
        add_mock_visits(session)
        after = queries.mock_sample(session, as_of=AS_OF, drawn_on=DRAWN_ON, seed=1, sizes=ALL)
    assert before.households["mock_visited_on"].isna().all()  # earlier visits are not the mock's
    assert len(after.households) == 9
    h1 = after.households.set_index("archive_no").loc["HAND0001"]
    assert h1["mock_ledger_verified"] is False and h1["wrong_exit_record"] and h1["exited"]
    estimates = assessment.mock_estimates(after.households, after.strata, assessment.Thresholds())
    town_a, town_b, county_row = (estimates.set_index("town_code").loc[code] for code in (TOWN_A, TOWN_B, ""))
    assert (town_a["drawn"], town_a["visited"]) == (6, 4)
    assert town_a["wrong_exit_rate"] == pytest.approx(1 / 3)
    assert town_a["missed_rate"] == pytest.approx(0.4)
    assert town_a["satisfaction"] == pytest.approx(0.8)
    assert town_a["wrong_exit_rate_status"] == "red" and town_a["readiness"] == "red"
    # town B: drawn, nobody visited yet
    assert (town_b["drawn"], town_b["visited"]) == (3, 0)
    assert town_b["readiness"] == "none" and pd.isna(town_b["satisfaction"])
    assert county_row["missed_rate"] == pytest.approx(0.4)  # B has no observations: A alone


def test_no_candidates_gives_an_empty_sample(county: Engine) -> None:
    with Session(county) as session:
        mock = queries.mock_sample(
            session, as_of=AS_OF, drawn_on=DRAWN_ON, seed=1, sizes=ALL, town_codes=[TOWN_C]
        )
    assert mock.households.empty and mock.strata.empty
    estimates = assessment.mock_estimates(mock.households, mock.strata, assessment.Thresholds())
    assert estimates["town_code"].tolist() == [""] and estimates["readiness"].tolist() == ["none"]


def test_the_fixture_is_what_its_docstring_says(county: Engine) -> None:
    from lib.core.models import Household

    with Session(county) as session:
        statuses = session.execute(
            select(Household.archive_no, Household.status).order_by(Household.id)
        ).all()
    assert [s for _, s in statuses] == [
        "exited",
        "exited",
        "poor",
        "monitored",
        "poor",
        "exited",
        "exited",
        "exited",
        "poor",
    ]
