"""Overview figures against the hand-worked county (numbers in tests/hand_county.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lib.queries import overview

TOWN_A = "349901100"
TOWN_B = "349901101"
TOWN_C = "349901102"


def _rows(engine: Engine, **kwargs: object) -> dict[str, dict[str, object]]:
    with Session(engine) as session:
        frame = overview.town_progress(session, **kwargs)  # type: ignore[arg-type]
    return {row["town_code"]: row for row in frame.to_dict("records")}


def test_town_counts_match_hand_figures(hand_engine: Engine) -> None:
    rows = _rows(hand_engine)
    assert list(rows) == [TOWN_A, TOWN_B, TOWN_C]
    a, b, c = rows[TOWN_A], rows[TOWN_B], rows[TOWN_C]
    assert (a["villages"], a["poor_villages"], a["poor_villages_exited"]) == (3, 2, 1)
    assert (a["households"], a["households_exited"], a["households_poor"], a["households_monitored"]) == (
        6,
        3,
        2,
        1,
    )
    assert (a["people"], a["people_exited"]) == (17, 7)
    assert (a["households_with_labour"], a["labour_households_with_plan"], a["households_with_plan"]) == (
        5,
        3,
        4,
    )
    assert [a[f"stage_{s}"] for s in ("planned", "started", "producing", "stable")] == [1, 1, 1, 1]
    assert (a["households_verified"], a["secretaries_serving"], a["secretaries_trained"]) == (2, 3, 1)
    assert (b["villages"], b["poor_villages"], b["poor_villages_exited"]) == (2, 1, 1)
    assert (b["households"], b["households_exited"], b["people"], b["people_exited"]) == (3, 2, 11, 5)
    assert (b["households_with_labour"], b["labour_households_with_plan"], b["households_with_plan"]) == (
        3,
        2,
        2,
    )
    assert [b[f"stage_{s}"] for s in ("planned", "started", "producing", "stable")] == [0, 0, 1, 1]
    assert (b["households_verified"], b["secretaries_serving"], b["secretaries_trained"]) == (1, 2, 2)
    assert c["villages"] == 0 and c["households"] == 0 and c["secretaries_serving"] == 0


def test_town_shares_and_progress(hand_engine: Engine) -> None:
    rows = _rows(hand_engine)
    a, b, c = rows[TOWN_A], rows[TOWN_B], rows[TOWN_C]
    assert a["exited_share"] == pytest.approx(0.5)
    assert a["plan_share"] == pytest.approx(0.6)
    assert a["stable_share"] == pytest.approx(0.25)
    assert a["verified_share"] == pytest.approx(1 / 3)
    assert a["training_share"] == pytest.approx(1 / 3)
    assert a["progress"] == pytest.approx(0.441667, abs=1e-6)
    assert b["training_share"] == pytest.approx(1.0)
    assert b["progress"] == pytest.approx(2 / 3)
    assert pd.isna(c["exited_share"]) and pd.isna(c["progress"])


def test_totals_add_up_the_selection(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        totals = overview.totals(overview.town_progress(session))
    assert (totals["villages"], totals["poor_villages"], totals["poor_villages_exited"]) == (5, 3, 2)
    assert (totals["households"], totals["households_exited"], totals["people"], totals["people_exited"]) == (
        9,
        5,
        28,
        12,
    )
    assert totals.exited_share == pytest.approx(5 / 9)
    assert totals.plan_share == pytest.approx(0.625)
    assert totals.verified_share == pytest.approx(3 / 9)
    assert totals.training_share == pytest.approx(0.6)
    assert totals.stable_share == pytest.approx(2 / 6)
    assert list(overview.stage_counts(totals)["households"]) == [1, 1, 2, 2]


def test_town_filter_keeps_only_selected_towns(hand_engine: Engine) -> None:
    rows = _rows(hand_engine, town_codes=[TOWN_B])
    assert list(rows) == [TOWN_B]
    with Session(hand_engine) as session:
        totals = overview.totals(overview.town_progress(session, town_codes=[TOWN_B]))
    assert totals["households"] == 3 and totals.training_share == pytest.approx(1.0)


def test_ranking_puts_best_first_and_empty_towns_last(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        progress = overview.town_progress(session)
    by_progress = overview.rank_towns(progress)
    assert list(by_progress["town_code"]) == [TOWN_B, TOWN_A, TOWN_C]
    assert list(by_progress["rank"]) == [1, 2, 3]
    # Tied verified shares (1/3 each) fall back to town code order.
    assert list(overview.rank_towns(progress, by="verified_share")["town_code"]) == [TOWN_A, TOWN_B, TOWN_C]
    with pytest.raises(ValueError, match="unknown ranking measure"):
        overview.rank_towns(progress, by="nonsense")


def test_ranking_worst_first_keeps_the_ranks_and_empty_towns_last(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        progress = overview.town_progress(session)
    worst = overview.rank_towns(progress, worst_first=True)
    assert list(worst["town_code"]) == [TOWN_A, TOWN_B, TOWN_C]
    assert list(worst["rank"]) == [2, 1, 3]


def test_a_village_past_its_planned_exit_year_is_overdue_and_first(hand_engine: Engine) -> None:
    """A2 is the hand county's one poor village not yet exited, planned for 2020."""
    from lib.queries import villages

    with Session(hand_engine) as session:
        measures = villages.village_measures(session)
    on_time = villages.due_villages(measures, as_of_year=2020)
    late = villages.due_villages(measures, as_of_year=2022)
    assert list(on_time["village_code"]) == list(late["village_code"]) == ["349901100202"]
    assert list(on_time["years_overdue"]) == [0]
    assert list(late["years_overdue"]) == [2]


def test_empty_database_gives_no_rows_and_zero_totals(empty_engine: Engine) -> None:
    with Session(empty_engine) as session:
        progress = overview.town_progress(session)
        assert not overview.has_any_town(session)
    assert progress.empty
    totals = overview.totals(progress)
    assert totals["households"] == 0 and totals.exited_share is None


def test_both_ways_of_finding_best_stages_give_the_same_counts(hand_engine: Engine) -> None:
    """Per-row MAX (used on SQLite) and the grouped join (PostgreSQL): the hand county's figures
    either way, on both databases (county stages 1/1/2/2; town A's 1/1/1/1)."""
    from lib.core.models import Town, Village
    from lib.queries import rollups

    with Session(hand_engine) as session:
        results = [
            {
                row["key"]: dict(row)
                for row in session.execute(
                    overview.household_counts(
                        Village.town_id,
                        None,
                        correlated=correlated,
                        verified=rollups.verified_window(session),
                    )
                ).mappings()
            }
            for correlated in (True, False)
        ]
        town_a = session.query(Town.id).filter(Town.code == "349901100").scalar()
    assert results[0] == results[1]
    stages = [
        sum(row[f"stage_{s}"] for row in results[0].values())
        for s in ("planned", "started", "producing", "stable")
    ]
    assert stages == [1, 1, 2, 2]
    assert [results[1][town_a][f"stage_{s}"] for s in ("planned", "started", "producing", "stable")] == [
        1,
        1,
        1,
        1,
    ]
