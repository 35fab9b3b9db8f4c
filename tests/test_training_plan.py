"""The allocation of waiting secretaries to upcoming sessions, against hand-worked cases.

The main case (`WAITING`, `SESSIONS`):
  town A (5 waiting): 11 since 2016-05-01, 12 and 13 since 2017-01-01, 14 2018-06-01, 15 2019-03-01
  town B (3 waiting): 21 2016-09-01, 22 2018-01-01, 23 2019-08-01
  town C (1 waiting): 31 2020-02-01
  sessions: s10 starts 2020-11-16, capacity 4, none enrolled → 4 free;
            s11 starts 2020-12-07, capacity 3, 1 enrolled → 2 free; 6 seats in all.
  Hamilton: quotas 6·5/9 = 3⅓, 6·3/9 = 2, 6·1/9 = ⅔ → whole parts 3, 2, 0 (5 seats); the sixth
  goes to the largest remainder, C's ⅔ → A 3, B 2, C 1.
  Within towns, longest in post first: A 11, 12, 13 (12 before 13: same date, lower id); B 21, 22;
  C 31 (though A's 14 has been in post longer, C's share is C's).
  In date order, longest in post first: 11, 21, 12, 13 → s10 (4 seats); 22, 31 → s11 (2 seats).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.rules.training_plan import ALLOCATION_COLUMNS, fair_shares, free_seats, propose_allocation

A, B, C = "349901100", "349901101", "349901102"
D = dt.date


def _waiting(rows: list[tuple[int, str, dt.date]], enrolled: set[int] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["cadre_id", "town_code", "since"])
    if enrolled is not None:
        frame["enrolled_upcoming"] = frame["cadre_id"].isin(enrolled)
    return frame


def _sessions(rows: list[tuple[int, dt.date, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["session_id", "start_date", "capacity", "enrolled"])


def _pairs(proposal: pd.DataFrame) -> list[tuple[int, str, int]]:
    return list(proposal[ALLOCATION_COLUMNS].itertuples(index=False, name=None))


WAITING = _waiting(
    [
        (15, A, D(2019, 3, 1)),
        (11, A, D(2016, 5, 1)),
        (13, A, D(2017, 1, 1)),
        (12, A, D(2017, 1, 1)),
        (14, A, D(2018, 6, 1)),
        (23, B, D(2019, 8, 1)),
        (21, B, D(2016, 9, 1)),
        (22, B, D(2018, 1, 1)),
        (31, C, D(2020, 2, 1)),
    ]
)
# Given later session first: the allocation orders by start date itself.
SESSIONS = _sessions([(11, D(2020, 12, 7), 3, 1), (10, D(2020, 11, 16), 4, 0)])


def test_fair_shares_by_largest_remainder() -> None:
    shares = fair_shares(WAITING, 6)
    assert shares.to_dict() == {A: 3, B: 2, C: 1}
    assert shares.index.name == "town_code" and shares.dtype == "int64"


@pytest.mark.parametrize(
    ("seats", "expected"),
    [
        (0, {A: 0, B: 0, C: 0}),
        (1, {A: 1, B: 0, C: 0}),  # 5/9, 3/9, 1/9: no whole parts; largest remainder A
        (3, {A: 2, B: 1, C: 0}),  # 1⅔, 1, ⅓ → 1, 1, 0; the seat left to A's ⅔
        (8, {A: 4, B: 3, C: 1}),  # 4⁴⁄₉, 2⅔, ⁸⁄₉ → 4, 2, 0; the two left to C (⁸⁄₉) and B (⁶⁄₉)
        (9, {A: 5, B: 3, C: 1}),
        (20, {A: 5, B: 3, C: 1}),  # more seats than people: everyone, capped at each town's count
    ],
)
def test_fair_shares_for_other_seat_counts(seats: int, expected: dict[str, int]) -> None:
    assert fair_shares(WAITING, seats).to_dict() == expected


def test_more_waiting_than_seats_fills_both_sessions_in_date_order() -> None:
    proposal = propose_allocation(WAITING, SESSIONS)
    assert list(proposal.columns) == ALLOCATION_COLUMNS
    assert _pairs(proposal) == [
        (11, A, 10),
        (21, B, 10),
        (12, A, 10),
        (13, A, 10),
        (22, B, 11),
        (31, C, 11),
    ]


def test_the_proposal_does_not_depend_on_row_order() -> None:
    shuffled_waiting = WAITING.sample(frac=1, random_state=7).reset_index(drop=True)
    shuffled_sessions = SESSIONS.iloc[::-1].reset_index(drop=True)
    assert _pairs(propose_allocation(shuffled_waiting, shuffled_sessions)) == _pairs(
        propose_allocation(WAITING, SESSIONS)
    )


def test_capacity_limits_and_full_sessions() -> None:
    """s1 is full (2 of 2), s2 is over-full (3 on a list of 2: 0 free, not −1), s3 has 4 − 1 = 3
    free: 3 of the 5 people in A go there (11, 12, 13), nobody to s1 or s2."""
    waiting = WAITING[WAITING["town_code"] == A]
    sessions = _sessions([(1, D(2020, 11, 2), 2, 2), (2, D(2020, 11, 9), 2, 3), (3, D(2020, 11, 16), 4, 1)])
    assert free_seats(sessions).to_dict() == {1: 0, 2: 0, 3: 3}
    assert _pairs(propose_allocation(waiting, sessions)) == [(11, A, 3), (12, A, 3), (13, A, 3)]
    full = _sessions([(1, D(2020, 11, 2), 2, 2)])
    assert propose_allocation(WAITING, full).empty


def test_fewer_waiting_than_seats_places_everyone_early() -> None:
    """Two people, 10 + 5 free seats: both go to the earlier session."""
    waiting = _waiting([(22, B, D(2018, 1, 1)), (31, C, D(2020, 2, 1))])
    sessions = _sessions([(2, D(2020, 12, 7), 5, 0), (1, D(2020, 11, 16), 10, 0)])
    assert _pairs(propose_allocation(waiting, sessions)) == [(22, B, 1), (31, C, 1)]
    assert fair_shares(waiting, 15).to_dict() == {B: 1, C: 1}


def test_ties_are_broken_deterministically() -> None:
    """Equal remainders: more waiting first, then the lower town code; equal since: lower id."""
    one_each = _waiting([(31, C, D(2016, 1, 1)), (21, B, D(2019, 1, 1))])
    # ½ and ½: B has the lower code, so B's 21 goes though C's 31 has been in post longer.
    assert _pairs(propose_allocation(one_each, _sessions([(1, D(2020, 11, 16), 1, 0)]))) == [(21, B, 1)]
    uneven = _waiting([(11, A, D(2017, 1, 1)), *[(20 + i, B, D(2018, 1, 1)) for i in range(3)]])
    # 2 seats, A 1 and B 3 waiting: quotas ½ and 1½ → 0 and 1, the last seat tied at ½: B (3 waiting).
    assert fair_shares(uneven, 2).to_dict() == {A: 0, B: 2}
    same_day = _waiting([(5, A, D(2018, 1, 1)), (3, A, D(2018, 1, 1)), (4, A, D(2018, 1, 1))])
    assert _pairs(propose_allocation(same_day, _sessions([(1, D(2020, 11, 16), 2, 0)]))) == [
        (3, A, 1),
        (4, A, 1),
    ]


def test_people_already_enrolled_are_skipped() -> None:
    """11 and 21 are enrolled already: 7 eligible (A 4, B 2, C 1) for 6 seats → quotas 3³⁄₇, 1⁵⁄₇,
    ⁶⁄₇ → 3, 1, 0 and the two left to C (⁶⁄₇) and B (⁵⁄₇) → A 3 (12, 13, 14), B 2 (22, 23), C 1."""
    waiting = WAITING.assign(enrolled_upcoming=WAITING["cadre_id"].isin([11, 21]))
    assert fair_shares(waiting, 6).to_dict() == {A: 3, B: 2, C: 1}
    proposal = propose_allocation(waiting, SESSIONS)
    assert _pairs(proposal) == [(12, A, 10), (13, A, 10), (22, B, 10), (14, A, 10), (23, B, 11), (31, C, 11)]
    everyone_enrolled = WAITING.assign(enrolled_upcoming=True)
    assert propose_allocation(everyone_enrolled, SESSIONS).empty
    assert fair_shares(everyone_enrolled, 6).empty


def test_empty_inputs_give_an_empty_proposal() -> None:
    no_one = _waiting([])
    no_sessions = _sessions([])
    for waiting, sessions in [(no_one, SESSIONS), (WAITING, no_sessions), (no_one, no_sessions)]:
        proposal = propose_allocation(waiting, sessions)
        assert proposal.empty and list(proposal.columns) == ALLOCATION_COLUMNS
    assert fair_shares(no_one, 5).empty
    assert free_seats(no_sessions).empty


@settings(max_examples=150, deadline=None)
@given(
    towns=st.lists(st.integers(min_value=0, max_value=7), min_size=1, max_size=6),
    capacities=st.lists(st.tuples(st.integers(1, 8), st.integers(0, 9)), min_size=1, max_size=4),
)
def test_the_allocation_respects_capacity_and_each_towns_quota(
    towns: list[int], capacities: list[tuple[int, int]]
) -> None:
    waiting = _waiting(
        [
            (100 * t + i, f"T{t}", D(2015, 1, 1) + dt.timedelta(days=37 * i + 11 * t))
            for t, count in enumerate(towns)
            for i in range(count)
        ]
    )
    sessions = _sessions(
        [(s, D(2020, 11, 2) + dt.timedelta(weeks=s), cap, taken) for s, (cap, taken) in enumerate(capacities)]
    )
    proposal = propose_allocation(waiting, sessions)
    free = free_seats(sessions)
    seats = int(free.sum())
    assert len(proposal) == min(seats, len(waiting))
    assert proposal["cadre_id"].is_unique
    per_session = proposal["session_id"].value_counts()
    assert all(per_session.get(s, 0) <= n for s, n in free.items())
    if len(waiting) and len(proposal) < len(waiting):
        # Each town gets the whole part of its quota or one more (plain Hamilton when seats < people).
        for town, n in waiting.groupby("town_code").size().items():
            quota = seats * n / len(waiting)
            assert int(quota) <= (proposal["town_code"] == town).sum() <= int(quota) + 1
