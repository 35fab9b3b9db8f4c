"""Recording training attendance: who may, what is refused, stale rosters, audit, figures that move.

The hand county (tests/hand_county.py): session 1 is phase 1 of the required rotation (c1, c4, c6
attended; c2 absent); session 2 phase 2 (c5, c7 attended); session 3 the study tour (c3).
Serving first secretaries: c1 (A1), c2 (A2), c3 (A3) in town A; c4 (B2), c5 (B1) in town B;
c6 left in 2018; c7 is a team member in A1. Trained: c1, c4, c5 → county 3 of 5, town A 1 of 3.
Plus session 10, an upcoming phase (2020-11-16) with c2 enrolled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core.domain import Role
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.models import Attendance, AuditEntry, TrainingSession
from lib.queries.common import data_version
from lib.queries.overview import totals, town_progress
from lib.queries.training import coverage_by_town
from lib.rules.permissions import Actor
from lib.services.training import record_attendance
from tests.support.accounts import module_actors, store_accounts

AS_OF = dt.date(2020, 10, 31)
TOWN_A, TOWN_B = "349901100", "349901101"
PHASE1, PHASE2, TOUR, NEXT = 1, 2, 3, 10
ADMIN = Actor(user_id=None, username="admin", display_name="Admin", role=Role.ADMIN)
EDITOR_A = Actor(user_id=None, username="ed-a", display_name="Ed A", role=Role.TOWN_EDITOR, town_code=TOWN_A)
EDITOR_B = Actor(user_id=None, username="ed-b", display_name="Ed B", role=Role.TOWN_EDITOR, town_code=TOWN_B)
LEADER = Actor(user_id=None, username="lead", display_name="Lead", role=Role.LEADER)
VILLAGER_A2 = Actor(
    user_id=None,
    username="vil",
    display_name="Vil",
    role=Role.VILLAGE_EDITOR,
    town_code=TOWN_A,
    village_code="349901100202",
)


@pytest.fixture
def session(hand_engine: Engine) -> Iterator[Session]:
    with Session(hand_engine) as session:
        session.add(
            TrainingSession(
                id=NEXT,
                programme_id=1,
                phase=3,
                place_zh="党校",
                place_en="Party School",
                start_date=dt.date(2020, 11, 16),
                end_date=dt.date(2020, 11, 20),
                days=5,
                capacity=10,
            )
        )
        session.flush()
        session.add(Attendance(session_id=NEXT, cadre_id=2, status="enrolled"))
        session.commit()
        store_accounts(session, *module_actors(globals()))
        yield session


def _record(
    session: Session,
    actor: Actor | None = ADMIN,
    *,
    session_id: int = PHASE1,
    marks: Mapping[int, str] | None = None,
    expected: Mapping[int, str] | None = None,
    walk_ins: Sequence[int] = (),
    reason: str | None = None,
) -> int:
    return record_attendance(
        session,
        actor=actor,
        session_id=session_id,
        marks=marks or {},
        expected=expected or {},
        walk_ins=walk_ins,
        as_of=AS_OF,
        reason=reason,
    )


def _statuses(session: Session, session_id: int = PHASE1) -> dict[int, str]:
    session.rollback()
    rows = session.execute(
        select(Attendance.cadre_id, Attendance.status).where(Attendance.session_id == session_id)
    )
    return {cadre_id: status for cadre_id, status in rows}


def _audits(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _snapshot(session: Session) -> tuple[Any, ...]:
    session.rollback()
    rows = session.scalar(select(func.count()).select_from(Attendance))
    return rows, _statuses(session), len(_audits(session)), data_version(session)


def _county_coverage(session: Session) -> tuple[int, int]:
    frame = coverage_by_town(session)
    return int(frame["trained"].sum()), int(frame["serving"].sum())


# --- figures that move ------------------------------------------------------------------------


def test_marking_c2_attended_raises_county_coverage_from_3_to_4_of_5(session: Session) -> None:
    assert _county_coverage(session) == (3, 5)
    overview = totals(town_progress(session))
    assert overview.training_share == pytest.approx(3 / 5)

    changed = _record(
        session, EDITOR_A, marks={1: "attended", 2: "attended"}, expected={1: "attended", 2: "absent"}
    )

    assert changed == 1  # c1 was already attended: only c2 changed
    assert _statuses(session)[2] == "attended"
    assert _county_coverage(session) == (4, 5)
    town_a = coverage_by_town(session, town_codes=[TOWN_A]).iloc[0]
    assert (town_a["trained"], town_a["serving"]) == (2, 3)
    assert totals(town_progress(session)).training_share == pytest.approx(4 / 5)
    audits = _audits(session)
    assert [(a.username, a.action, a.table_name, a.record_key) for a in audits] == [
        ("ed-a", "training.attendance", "attendance", "1:2")
    ]
    assert audits[0].old_values == '{"status": "absent"}'
    assert audits[0].new_values == '{"status": "attended"}'
    assert data_version(session) == "2"


def test_marking_c1_absent_lowers_town_a_to_none_trained(session: Session) -> None:
    assert _record(session, EDITOR_A, marks={1: "absent"}, expected={1: "attended"}, reason="点名未到") == 1
    assert _county_coverage(session) == (2, 5)
    assert _audits(session)[0].reason == "点名未到"


def test_a_study_tour_attendance_does_not_count_as_training(session: Session) -> None:
    _record(session, session_id=TOUR, marks={3: "absent"}, expected={3: "attended"})
    assert _county_coverage(session) == (3, 5)  # the tour is not a required programme


def test_a_walk_in_gets_an_attended_row_and_counts(session: Session) -> None:
    assert _record(session, EDITOR_A, walk_ins=[3], reason="临时参加") == 1
    assert _statuses(session)[3] == "attended"
    assert _county_coverage(session) == (4, 5)
    entry = _audits(session)[0]
    assert (entry.record_key, entry.old_values, entry.reason) == ("1:3", None, "临时参加")
    assert '"walk_in": true' in (entry.new_values or "")


def test_marks_that_change_nothing_write_nothing(session: Session) -> None:
    before = _snapshot(session)
    assert _record(session, EDITOR_A, marks={1: "attended"}, expected={1: "attended"}) == 0
    assert _record(session, EDITOR_A) == 0  # nothing marked at all
    assert _snapshot(session) == before


# --- refusals -----------------------------------------------------------------------------------

LONG = "说" * 2001


@pytest.mark.parametrize(
    ("call", "field", "key", "params"),
    [
        ({"session_id": 99}, "session_id", "training.error.session_unknown", {}),
        ({"session_id": "1"}, "session_id", "training.error.session_unknown", {}),
        (
            {"session_id": NEXT, "marks": {2: "attended"}, "expected": {2: "enrolled"}},
            "session_id",
            "attendance.error.session_not_started",
            {"start": "2020-11-16"},
        ),
        (
            {"marks": {2: "enrolled"}, "expected": {2: "absent"}},
            "cadre_2",
            "attendance.error.status_unknown",
            {"status": "enrolled", "statuses": "attended, absent"},
        ),
        (
            {"marks": {2: "present"}, "expected": {2: "absent"}},
            "cadre_2",
            "attendance.error.status_unknown",
            {"status": "present", "statuses": "attended, absent"},
        ),
        ({"marks": {3: "attended"}}, "cadre_3", "attendance.error.not_on_roster", {"name": "书记3"}),
        ({"marks": {99: "attended"}}, "cadre_99", "attendance.error.not_on_roster", {"name": 99}),
        ({"marks": {"2": "attended"}}, "marks", "attendance.error.marks_invalid", {}),
        ({"marks": [(2, "attended")]}, "marks", "attendance.error.marks_invalid", {}),
        ({"walk_ins": [1]}, "walk_in_1", "attendance.error.walk_in_on_roster", {"name": "书记1"}),
        ({"walk_ins": [3, 3]}, "walk_in_3", "attendance.error.walk_in_twice", {"name": "书记3"}),
        ({"walk_ins": [7]}, "walk_in_7", "training.error.not_serving", {"name": "书记7"}),
        ({"walk_ins": [99]}, "walk_in_99", "training.error.not_serving", {"name": 99}),
        ({"walk_ins": "3"}, "walk_ins", "attendance.error.marks_invalid", {}),
        ({"walk_ins": [None]}, "walk_ins", "attendance.error.marks_invalid", {}),
        ({"walk_ins": [3], "reason": LONG}, "reason", "updates.error.text_long", {"max": 2000}),
    ],
)
def test_refusals_name_the_field_and_write_nothing(
    session: Session, call: dict[str, Any], field: str, key: str, params: dict[str, Any]
) -> None:
    before = _snapshot(session)
    with pytest.raises(ValidationError) as caught:
        _record(session, ADMIN, **call)
    assert caught.value.errors[field] == key
    assert caught.value.params_for(field) == params
    assert _snapshot(session) == before


def test_every_problem_is_reported_at_once(session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        _record(session, marks={2: "late", 5: "attended"}, expected={2: "absent"}, walk_ins=[4, 7])
    assert set(caught.value.errors) == {"cadre_2", "cadre_5", "walk_in_4", "walk_in_7"}


def test_a_walk_in_added_with_a_tick_mark_in_the_same_call_is_refused(session: Session) -> None:
    before = _snapshot(session)
    with pytest.raises(ValidationError) as caught:
        _record(session, marks={2: "attended"}, expected={2: "absent"}, walk_ins=[2])
    assert caught.value.errors == {"walk_in_2": "attendance.error.walk_in_on_roster"}
    assert _snapshot(session) == before


# --- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        (ADMIN, True),
        (EDITOR_A, True),
        (EDITOR_B, False),
        (LEADER, False),
        (VILLAGER_A2, False),
        (None, False),
    ],
)
def test_who_may_mark_a_town_a_secretary(session: Session, actor: Actor | None, allowed: bool) -> None:
    before = _snapshot(session)
    if allowed:
        assert _record(session, actor, marks={2: "attended"}, expected={2: "absent"}) == 1
        assert _statuses(session)[2] == "attended"
    else:
        with pytest.raises(PermissionDenied):
            _record(session, actor, marks={2: "attended"}, expected={2: "absent"})
        assert _snapshot(session) == before


@pytest.mark.parametrize(("actor", "allowed"), [(ADMIN, True), (EDITOR_A, True), (EDITOR_B, False)])
def test_who_may_add_a_town_a_walk_in(session: Session, actor: Actor, allowed: bool) -> None:
    if allowed:
        assert _record(session, actor, walk_ins=[3]) == 1
    else:
        with pytest.raises(PermissionDenied):
            _record(session, actor, walk_ins=[3])
        assert 3 not in _statuses(session)


def test_a_town_editor_cannot_slip_in_another_towns_secretary(session: Session) -> None:
    before = _snapshot(session)
    with pytest.raises(PermissionDenied):
        _record(
            session,
            EDITOR_A,
            marks={2: "attended", 4: "absent"},  # c4 serves in town B now
            expected={2: "absent", 4: "attended"},
        )
    assert _snapshot(session) == before


def test_someone_no_longer_posted_is_for_the_admin_only(session: Session) -> None:
    with pytest.raises(PermissionDenied):  # c6 left in 2018: no town editor's
        _record(session, EDITOR_A, marks={6: "absent"}, expected={6: "attended"})
    assert _record(session, ADMIN, marks={6: "absent"}, expected={6: "attended"}) == 1


def test_a_team_member_on_the_roster_is_judged_by_their_current_posting(session: Session) -> None:
    # c7 (phase 2) is a team member in A1: town A's editor may record them, town B's may not.
    with pytest.raises(PermissionDenied):
        _record(session, EDITOR_B, session_id=PHASE2, marks={7: "absent"}, expected={7: "attended"})
    assert _record(session, EDITOR_A, session_id=PHASE2, marks={7: "absent"}, expected={7: "attended"}) == 1


# --- stale rosters ------------------------------------------------------------------------------


def test_a_roster_changed_since_the_form_opened_is_a_stale_edit(session: Session) -> None:
    before = _snapshot(session)
    with pytest.raises(StaleEdit) as caught:
        _record(
            session, EDITOR_A, marks={1: "attended", 2: "attended"}, expected={1: "attended", 2: "enrolled"}
        )
    assert caught.value.table == "attendance" and caught.value.record_key == "1"
    # only the rows this editor may record: town A's c1 and c2 (not c4 in town B, not c6)
    assert caught.value.current == {"statuses": {1: "attended", 2: "absent"}}
    assert _snapshot(session) == before


def test_the_second_of_two_editors_sees_what_changed(session: Session, hand_engine: Engine) -> None:
    shown = {1: "attended", 2: "absent"}
    assert _record(session, ADMIN, marks={1: "attended", 2: "attended"}, expected=shown) == 1
    with Session(hand_engine) as other, pytest.raises(StaleEdit) as caught:
        _record(other, EDITOR_A, marks={1: "absent", 2: "absent"}, expected=shown)
    assert caught.value.current == {"statuses": {1: "attended", 2: "attended"}}
    assert _statuses(session) == {1: "attended", 2: "attended", 4: "attended", 6: "attended"}
    assert len(_audits(session)) == 1


def test_a_mark_without_the_status_the_form_showed_is_stale(session: Session) -> None:
    with pytest.raises(StaleEdit):
        _record(session, EDITOR_A, marks={2: "attended"}, expected={})
    assert _statuses(session)[2] == "absent"
