"""Training queries against the hand county, extended here with topics and two more programmes.

The extension (`training_engine`, on top of tests/hand_county.py, which stays untouched):

  topics (catalogue order): funds_management, policy_analysis, ecommerce, rural_tourism, education
  programmes: rotation (2019, required; phase 1 = s1, phase 2 = s2), tour (2019, study tour, s3),
              rotation-2020 (required; s4, 2020-11-16…20, capacity 2, upcoming on 2020-10-31),
              rotation-2017 (required; s5, 2017-11-06…10, capacity 10)
  session topics: s1 funds, policy · s2 funds, policy, ecommerce · s3 ecommerce, rural_tourism ·
                  s4 funds, policy, ecommerce · s5 funds
                  → required topics: ecommerce, funds_management, policy_analysis
  new rows: village B3 (town B) with c8 serving as first secretary since 2020-05-01, untrained;
            c2 enrolled in s4; c6 attended s5 (while serving A1) and the tour (selected).

Attendance, all told: s1 c1 ✓, c2 absent, c4 ✓ (then in B1), c6 ✓ · s2 c5 ✓, c7 ✓ (team member) ·
s3 c3 ✓, c6 ✓ · s4 c2 enrolled · s5 c6 ✓.

Serving now: c1 A1, c2 A2, c3 A3 (town A); c4 B2 (moved from B1), c5 B1, c8 B3 (town B); town C
none. c6 left A1 in 2018; c7 is not a first secretary. Trained (a required session attended):
c1, c4, c5 (and c6, c7, who do not count). c3's tour does not count.

By hand, as of 2020-10-31:
  coverage by town: A 3 serving / 1 trained (1/3); B 3 / 2 (2/3); C 0 / 0 (NaN); all 6 / 3.
  by phase (started ≤ as_of; s4 not yet): s5 attended 1 (c6), serving 0 → 0;
      s1 attended 3 (c1 c4 c6), serving 2 (c1 c4) → 2/6; s2 attended 2 (c5 c7), serving 1 → 1/6.
      Town B only (3 serving): s5 0, s1 1 (c4) → 1/3, s2 1 (c5) → 1/3.
  trend: 2017-11-10 in post c4 (B1), c6 (A1) → 2, trained c6 → 1;
         2019-04-19 c1 c2 c3 c4(B1) → 4, trained c1 c4 → 2;
         2019-09-20 c1 c2 c3 c4(B2) c5 → 5, trained c1 c4 c5 → 3;
         2020-10-31 + c8 → 6, trained 3.
      Town B: 1/0, 1/1 (c4 in B1), 2/2, 3/2. Town A: 1/1 (c6), 3/1, 3/1, 3/1.
  topics (covered by serving secretaries through any session): c1 funds policy; c2 none;
      c3 ecommerce rural_tourism (tour); c4 funds policy; c5 funds policy ecommerce; c8 none.
      A: funds 1, policy 1, ecommerce 1, rural_tourism 1, education 0 (of 3);
      B: funds 2, policy 2, ecommerce 1, rural_tourism 0, education 0 (of 3); C: zeros, NaN.
  missing required topics: c1 ecommerce; c2 all three; c3 funds, policy; c4 ecommerce; c8 all three.
  waiting list: c2 (A2, since 2018-03-01, 31 months, enrolled in s4), c3 (A3, 2018-03-01, 31
      months), c8 (B3, 2020-05-01, 5 months).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.models import (
    Attendance,
    Cadre,
    Meta,
    Posting,
    SessionTopic,
    TrainingProgramme,
    TrainingSession,
    TrainingTopic,
    Village,
)
from lib.queries import overview, training
from lib.rules.training_plan import propose_allocation
from tests.db_fixtures import copy_database
from tests.hand_county import load_hand_county

TOWN_A = "349901100"
TOWN_B = "349901101"
TOWN_C = "349901102"
AS_OF = dt.date(2020, 10, 31)
D = dt.date
FUNDS, POLICY, ECOMMERCE, TOURISM, EDUCATION = (
    "funds_management",
    "policy_analysis",
    "ecommerce",
    "rural_tourism",
    "education",
)


def _extend_hand_county(session: Session) -> None:
    """Add topics, the 2017 and 2020 rotations, village B3 with c8, and the rows listed above."""
    topic_ids = {}
    for number, (code, zh, en) in enumerate(
        [
            (FUNDS, "资金管理", "Funds management"),
            (POLICY, "政策解读", "Policy analysis"),
            (ECOMMERCE, "农村电商", "Rural e-commerce"),
            (TOURISM, "乡村旅游", "Rural tourism"),
            (EDUCATION, "教育扶贫", "Education"),
        ],
        start=1,
    ):
        session.add(TrainingTopic(id=number, code=code, name_zh=zh, name_en=en))
        topic_ids[code] = number
    session.add_all(
        [
            TrainingProgramme(
                id=3,
                code="rotation-2020",
                kind="rotation",
                name_zh="2020轮训",
                name_en="Rotation 2020",
                year=2020,
                required=True,
                target_share=0.95,
            ),
            TrainingProgramme(
                id=4,
                code="rotation-2017",
                kind="rotation",
                name_zh="2017轮训",
                name_en="Rotation 2017",
                year=2017,
                required=True,
            ),
            Village(
                id=6, code="349901101206", town_id=2, name_zh="B3村", name_en="B3 Village", is_poor=False
            ),
            Cadre(
                id=8, name="书记8", gender="F", sent_by_unit_zh="县财政局", sent_by_unit_en="Finance Bureau"
            ),
        ]
    )
    session.flush()
    session.add_all(
        [
            TrainingSession(
                id=4,
                programme_id=3,
                phase=1,
                place_zh="党校",
                place_en="Party School",
                start_date=D(2020, 11, 16),
                end_date=D(2020, 11, 20),
                days=5,
                capacity=2,
            ),
            TrainingSession(
                id=5,
                programme_id=4,
                phase=1,
                place_zh="党校",
                place_en="Party School",
                start_date=D(2017, 11, 6),
                end_date=D(2017, 11, 10),
                days=5,
                capacity=10,
            ),
            Posting(id=9, cadre_id=8, village_id=6, role="first_secretary", start_date=D(2020, 5, 1)),
        ]
    )
    session.flush()
    session_topics = {
        1: [FUNDS, POLICY],
        2: [FUNDS, POLICY, ECOMMERCE],
        3: [ECOMMERCE, TOURISM],
        4: [FUNDS, POLICY, ECOMMERCE],
        5: [FUNDS],
    }
    for session_id, codes in session_topics.items():
        session.add_all(SessionTopic(session_id=session_id, topic_id=topic_ids[c]) for c in codes)
    session.add_all(
        [
            Attendance(id=8, session_id=4, cadre_id=2, status="enrolled"),
            Attendance(id=9, session_id=5, cadre_id=6, status="attended"),
            Attendance(id=10, session_id=3, cadre_id=6, status="attended", selected=True),
        ]
    )
    session.commit()


def _training_county(engine: Engine) -> None:
    with Session(engine) as session:
        load_hand_county(session)
        _extend_hand_county(session)


@pytest.fixture
def training_engine(request: pytest.FixtureRequest, backend: str) -> Iterator[Engine]:
    """The hand county plus the training rows of this module's docstring, on each backend."""
    engine = make_engine(copy_database(request, backend, "training", _training_county))
    yield engine
    engine.dispose()


def _by(frame: pd.DataFrame, key: str) -> dict[object, dict[str, object]]:
    return {row[key]: row for row in frame.to_dict("records")}


# --- coverage ---------------------------------------------------------------------------------


def test_coverage_by_town_counts_those_serving_now_where_they_serve(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        rows = _by(training.coverage_by_town(session), "town_code")
    assert list(rows) == [TOWN_A, TOWN_B, TOWN_C]
    assert (rows[TOWN_A]["serving"], rows[TOWN_A]["trained"]) == (3, 1)
    assert (rows[TOWN_B]["serving"], rows[TOWN_B]["trained"]) == (3, 2)  # c4 counts in B (B2) now
    assert rows[TOWN_A]["share"] == pytest.approx(1 / 3)
    assert rows[TOWN_B]["share"] == pytest.approx(2 / 3)
    assert (rows[TOWN_C]["serving"], rows[TOWN_C]["trained"]) == (0, 0)
    assert math.isnan(rows[TOWN_C]["share"])  # type: ignore[arg-type]
    assert rows[TOWN_B]["name_en"] == "Yi Town"


@pytest.mark.parametrize("towns", [None, [TOWN_A], [TOWN_B, TOWN_C]])
def test_coverage_totals_equal_the_overviews(training_engine: Engine, towns: list[str] | None) -> None:
    with Session(training_engine) as session:
        coverage = training.coverage_by_town(session, town_codes=towns)
        totals = overview.totals(overview.town_progress(session, town_codes=towns))
    assert int(coverage["serving"].sum()) == totals["secretaries_serving"]
    assert int(coverage["trained"].sum()) == totals["secretaries_trained"]
    assert list(coverage["town_code"]) == (towns or [TOWN_A, TOWN_B, TOWN_C])


def test_coverage_on_the_unextended_hand_county_is_the_overviews(hand_engine: Engine) -> None:
    """tests/hand_county.py says: A 3 serving / 1 trained, B 2 / 2, county 5 / 3 → 0.6."""
    with Session(hand_engine) as session:
        rows = _by(training.coverage_by_town(session), "town_code")
    assert [(r["serving"], r["trained"]) for r in rows.values()] == [(3, 1), (2, 2), (0, 0)]


def test_coverage_by_town_on_past_days_counts_who_served_that_day(hand_engine: Engine) -> None:
    """The unextended hand county (what the demo's kept history is built from): on 2018-02-28 c6
    (A1, leaving that day) and c4 (B1) serve, none trained yet; on 2019-05-31 c1 c2 c3 in A (c1
    trained in phase 1), c4 in B1 (trained); on 2019-08-31 c4 has moved to B2 and c5 serves B1,
    before phase 2; on 2019-09-30 c5 is trained too. Town C has nobody in post and no row."""
    days = [dt.date(2018, 2, 28), dt.date(2019, 5, 31), dt.date(2019, 8, 31), dt.date(2019, 9, 30)]
    with Session(hand_engine) as session:
        frame = training.coverage_by_town_on(session, days=days)
    assert [tuple(row) for row in frame.itertuples(index=False)] == [
        (dt.date(2018, 2, 28), TOWN_A, 1, 0),
        (dt.date(2018, 2, 28), TOWN_B, 1, 0),
        (dt.date(2019, 5, 31), TOWN_A, 3, 1),
        (dt.date(2019, 5, 31), TOWN_B, 1, 1),
        (dt.date(2019, 8, 31), TOWN_A, 3, 1),
        (dt.date(2019, 8, 31), TOWN_B, 2, 1),
        (dt.date(2019, 9, 30), TOWN_A, 3, 1),
        (dt.date(2019, 9, 30), TOWN_B, 2, 2),
    ]


def test_coverage_by_phase_leaves_out_future_sessions(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        phases = training.coverage_by_phase(session, as_of=AS_OF)
    assert list(phases["session_id"]) == [5, 1, 2]  # s4 starts 2020-11-16, after as_of
    assert list(phases["programme_code"]) == ["rotation-2017", "rotation", "rotation"]
    assert list(phases["phase"]) == [1, 1, 2]
    assert list(phases["year"]) == [2017, 2019, 2019]
    assert list(phases["attended"]) == [1, 3, 2]  # the absent c2 is not an attendee
    assert list(phases["attended_serving"]) == [0, 2, 1]  # c6 left; c7 is a team member
    assert list(phases["share_of_serving"]) == pytest.approx([0, 2 / 6, 1 / 6])
    assert phases["start_date"].iloc[1] == D(2019, 4, 15)


def test_coverage_by_phase_for_selected_towns_and_dates(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        town_b = training.coverage_by_phase(session, as_of=AS_OF, town_codes=[TOWN_B])
        town_c = training.coverage_by_phase(session, as_of=AS_OF, town_codes=[TOWN_C])
        early = training.coverage_by_phase(session, as_of=D(2019, 6, 1))
        later = training.coverage_by_phase(session, as_of=D(2020, 11, 16))
    assert list(town_b["attended"]) == [1, 3, 2]  # all attendees, wherever they are
    assert list(town_b["attended_serving"]) == [0, 1, 1]  # c4 (now B2) and c5
    assert list(town_b["share_of_serving"]) == pytest.approx([0, 1 / 3, 1 / 3])
    assert list(town_c["attended_serving"]) == [0, 0, 0]
    assert town_c["share_of_serving"].isna().all()
    assert list(early["session_id"]) == [5, 1]
    assert list(later["session_id"]) == [5, 1, 2, 4]  # starts on as_of: included, nobody attended yet
    assert later.iloc[-1]["attended"] == 0


def test_coverage_trend_counts_who_served_on_each_date(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        trend = training.coverage_trend(session, as_of=AS_OF)
        town_a = training.coverage_trend(session, as_of=AS_OF, town_codes=[TOWN_A])
        town_b = training.coverage_trend(session, as_of=AS_OF, town_codes=[TOWN_B])
        town_c = training.coverage_trend(session, as_of=AS_OF, town_codes=[TOWN_C])
    dates = [D(2017, 11, 10), D(2019, 4, 19), D(2019, 9, 20), AS_OF]  # s4's end (2020-11-20) is later
    assert list(trend["date"]) == dates
    assert list(trend["serving"]) == [2, 4, 5, 6]
    assert list(trend["trained"]) == [1, 2, 3, 3]
    assert list(trend["share"]) == pytest.approx([0.5, 0.5, 0.6, 0.5])
    # c6 counts in A while serving A1 (2017); c4 counts in B while in B1 and after moving to B2.
    assert list(zip(town_a["serving"], town_a["trained"], strict=True)) == [(1, 1), (3, 1), (3, 1), (3, 1)]
    assert list(zip(town_b["serving"], town_b["trained"], strict=True)) == [(1, 0), (1, 1), (2, 2), (3, 2)]
    assert list(town_c["date"]) == dates
    assert list(town_c["serving"]) == [0, 0, 0, 0] and town_c["share"].isna().all()


def test_coverage_trend_ends_at_as_of_with_the_coverage_totals(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        early = training.coverage_trend(session, as_of=D(2019, 6, 1))
        coverage = training.coverage_by_town(session)
        last = training.coverage_trend(session, as_of=AS_OF).iloc[-1]
    assert list(early["date"]) == [D(2017, 11, 10), D(2019, 4, 19), D(2019, 6, 1)]
    assert list(early["serving"]) == [2, 4, 4] and list(early["trained"]) == [1, 2, 2]
    assert (last["serving"], last["trained"]) == (coverage["serving"].sum(), coverage["trained"].sum())


# --- topics -----------------------------------------------------------------------------------


def test_topic_coverage_has_every_topic_for_every_town(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        grid = training.topic_coverage(session)
    assert len(grid) == 3 * 5
    topics = [FUNDS, POLICY, ECOMMERCE, TOURISM, EDUCATION]
    assert list(grid["topic_code"]) == topics * 3  # catalogue order within each town
    covered = {(r["town_code"], r["topic_code"]): r["covered"] for r in grid.to_dict("records")}
    assert [covered[(TOWN_A, t)] for t in topics] == [1, 1, 1, 1, 0]  # c3's tour covers two topics
    assert [covered[(TOWN_B, t)] for t in topics] == [2, 2, 1, 0, 0]
    assert [covered[(TOWN_C, t)] for t in topics] == [0, 0, 0, 0, 0]
    a = grid[grid["town_code"] == TOWN_A]
    assert list(a["serving"]) == [3] * 5
    assert list(a["share"]) == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1 / 3, 0])
    assert grid[grid["town_code"] == TOWN_C]["share"].isna().all()
    assert grid.iloc[0]["topic_name_en"] == "Funds management"


def test_topic_coverage_for_one_town(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        grid = training.topic_coverage(session, town_codes=[TOWN_B])
    assert set(grid["town_code"]) == {TOWN_B}
    assert list(grid["covered"]) == [2, 2, 1, 0, 0]


def test_missing_topics_lists_each_secretarys_gaps(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        missing = training.missing_topics(session)
        town_b = training.missing_topics(session, town_codes=[TOWN_B])
    assert list(missing["cadre_id"]) == [1, 2, 3, 4, 8]  # c5 has all three; c6 and c7 do not serve
    assert list(missing["missing"]) == [
        [ECOMMERCE],
        [ECOMMERCE, FUNDS, POLICY],
        [FUNDS, POLICY],  # the tour covered e-commerce
        [ECOMMERCE],
        [ECOMMERCE, FUNDS, POLICY],
    ]
    c4 = missing.iloc[3]
    assert (c4["town_code"], c4["village_name_en"], c4["town_name_zh"]) == (TOWN_B, "B2 Village", "乙镇")
    assert list(town_b["cadre_id"]) == [4, 8]


def test_no_topics_means_nothing_missing(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        assert training.missing_topics(session).empty
        assert training.topic_coverage(session).empty
        assert list(training.missing_topics(session).columns) == training.MISSING_TOPICS_COLUMNS


# --- schedule and tours -----------------------------------------------------------------------


def test_schedule_lists_every_session_with_its_counts(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        sessions = training.schedule(session, as_of=AS_OF)
    assert list(sessions["session_id"]) == [5, 1, 2, 3, 4]  # by start date
    rows = _by(sessions, "session_id")
    counts = {sid: (r["capacity"], r["enrolled"], r["attended"], r["absent"]) for sid, r in rows.items()}
    assert counts == {5: (10, 1, 1, 0), 1: (10, 4, 3, 1), 2: (10, 2, 2, 0), 3: (5, 2, 2, 0), 4: (2, 1, 0, 0)}
    assert [sid for sid, r in rows.items() if r["upcoming"]] == [4]
    assert [sid for sid, r in rows.items() if not r["required"]] == [3]
    assert rows[3]["kind"] == "study_tour" and rows[3]["place_en"] == "Bijie" and rows[3]["days"] == 5
    assert rows[4]["programme_code"] == "rotation-2020" and rows[4]["start_date"] == D(2020, 11, 16)
    assert rows[2]["topics"] == [ECOMMERCE, FUNDS, POLICY]
    assert rows[3]["topics"] == [ECOMMERCE, TOURISM]
    assert rows[5]["topics"] == [FUNDS]
    with Session(training_engine) as session:
        assert not training.schedule(session, as_of=D(2020, 11, 16))["upcoming"].any()


def test_tour_participants_with_where_they_serve_now(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        tour = training.tour_participants(session)
        town_a = training.tour_participants(session, town_codes=[TOWN_A])
        town_b = training.tour_participants(session, town_codes=[TOWN_B])
    assert list(tour["cadre_id"]) == [3, 6]
    c3, c6 = tour.to_dict("records")
    assert (c3["session_id"], c3["programme_code"], c3["programme_name_en"]) == (3, "tour", "Tour")
    assert (c3["town_code"], c3["village_code"], c3["serving"], c3["selected"]) == (
        TOWN_A,
        "349901100203",
        True,
        False,
    )
    assert (c6["town_code"], c6["village_code"], c6["serving"], c6["selected"]) == (None, None, False, True)
    assert list(town_a["cadre_id"]) == [3]
    assert town_b.empty


# --- the waiting list -------------------------------------------------------------------------


def test_waiting_list_holds_serving_untrained_secretaries(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        waiting = training.waiting_list(session, as_of=AS_OF)
        town_b = training.waiting_list(session, as_of=AS_OF, town_codes=[TOWN_B])
    assert list(waiting.columns) == training.WAITING_COLUMNS
    assert list(waiting["cadre_id"]) == [2, 3, 8]  # c3's tour does not count as training
    assert list(waiting["town_code"]) == [TOWN_A, TOWN_A, TOWN_B]
    assert list(waiting["since"]) == [D(2018, 3, 1), D(2018, 3, 1), D(2020, 5, 1)]
    assert list(waiting["months_in_post"]) == [31, 31, 5]
    assert list(waiting["enrolled_upcoming"]) == [True, False, False]
    assert list(waiting["missing_topics"]) == [
        [ECOMMERCE, FUNDS, POLICY],
        [FUNDS, POLICY],
        [ECOMMERCE, FUNDS, POLICY],
    ]
    c8 = waiting.iloc[2]
    assert (c8["gender"], c8["sent_by_unit_en"], c8["village_code"]) == (
        "F",
        "Finance Bureau",
        "349901101206",
    )
    assert list(town_b["cadre_id"]) == [8]


def test_an_enrolment_counts_only_for_a_session_after_as_of(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        waiting = training.waiting_list(session, as_of=D(2020, 11, 16))
    assert not waiting["enrolled_upcoming"].any()
    assert list(waiting["months_in_post"]) == [32, 32, 6]


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2018, 3, 1), D(2020, 10, 31), 31),
        (D(2018, 3, 31), D(2018, 4, 30), 0),
        (D(2018, 3, 31), D(2018, 5, 1), 1),
        (D(2020, 11, 1), D(2020, 10, 31), 0),
    ],
)
def test_months_between_counts_whole_months(start: dt.date, end: dt.date, months: int) -> None:
    assert training.months_between(start, end) == months


def test_the_waiting_list_feeds_the_allocation(training_engine: Engine) -> None:
    """s4 has 2 seats, 1 taken by c2 → 1 free; eligible c3 (A) and c8 (B): quotas ½ and ½, the
    tie goes to the lower town code, so c3 goes."""
    with Session(training_engine) as session:
        waiting = training.waiting_list(session, as_of=AS_OF)
        sessions = training.schedule(session, as_of=AS_OF)
    upcoming = sessions[sessions["upcoming"] & sessions["required"]]
    proposal = propose_allocation(waiting, upcoming)
    assert proposal.to_dict("records") == [{"cadre_id": 3, "town_code": TOWN_A, "session_id": 4}]


def test_catalogues(training_engine: Engine) -> None:
    with Session(training_engine) as session:
        topics = training.topics(session)
        programmes = training.programmes(session)
    assert list(topics["code"]) == [FUNDS, POLICY, ECOMMERCE, TOURISM, EDUCATION]
    assert list(programmes["code"]) == ["rotation-2017", "rotation", "tour", "rotation-2020"]
    assert list(programmes["required"]) == [True, True, False, True]
    assert programmes["target_share"].iloc[-1] == pytest.approx(0.95)


def test_empty_database_gives_empty_frames(empty_engine: Engine) -> None:
    with Session(empty_engine) as session:
        frames = {
            "by_town": training.coverage_by_town(session),
            "by_phase": training.coverage_by_phase(session, as_of=AS_OF),
            "topics": training.topic_coverage(session),
            "missing": training.missing_topics(session),
            "schedule": training.schedule(session, as_of=AS_OF),
            "tour": training.tour_participants(session),
            "waiting": training.waiting_list(session, as_of=AS_OF),
        }
        trend = training.coverage_trend(session, as_of=AS_OF)
    assert all(frame.empty for frame in frames.values())
    assert list(frames["schedule"].columns) == training.SCHEDULE_COLUMNS
    assert list(trend["date"]) == [AS_OF] and list(trend["serving"]) == [0]


# --- the demo county --------------------------------------------------------------------------


def test_demo_county_agrees_with_the_overview_and_its_story(demo_engine: Engine) -> None:
    """321 trained in two phases (160 + 161), 50 on the Bijie tour, a 60-seat 2020 phase ahead."""
    with Session(demo_engine) as session:
        as_of = dt.date.fromisoformat(session.get_one(Meta, "as_of").value)
        coverage = training.coverage_by_town(session)
        totals = overview.totals(overview.town_progress(session))
        phases = training.coverage_by_phase(session, as_of=as_of)
        trend = training.coverage_trend(session, as_of=as_of)
        tour = training.tour_participants(session)
        sessions = training.schedule(session, as_of=as_of)
        waiting = training.waiting_list(session, as_of=as_of)
    assert int(coverage["serving"].sum()) == totals["secretaries_serving"]
    assert int(coverage["trained"].sum()) == totals["secretaries_trained"]
    assert list(phases["programme_code"]) == ["rotation-2019", "rotation-2019"]
    assert list(phases["attended"]) == [160, 161]
    assert (trend.iloc[-1]["serving"], trend.iloc[-1]["trained"]) == (
        totals["secretaries_serving"],
        totals["secretaries_trained"],
    )
    assert len(tour) == 50 and tour["selected"].all()
    assert len(waiting) == totals["secretaries_serving"] - totals["secretaries_trained"]
    upcoming = sessions[sessions["upcoming"] & sessions["required"]]
    assert list(upcoming["capacity"]) == [60] and list(upcoming["enrolled"]) == [0]
    proposal = propose_allocation(waiting, upcoming)
    assert len(proposal) == min(60, len(waiting))
    assert proposal["cadre_id"].is_unique
