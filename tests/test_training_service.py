"""Enrolling first secretaries in the next phase: permission, validation, audit, data version.

The hand county (tests/hand_county.py) plus one upcoming required session (id 10, 2020-11-16,
capacity 2). Serving first secretaries: c1 (A1, trained), c2 (A2), c3 (A3), c4 (B2, trained),
c5 (B1, trained); c6 left in 2018. Town A = 349901100, town B = 349901101.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core.domain import Role
from lib.core.errors import PermissionDenied, ValidationError
from lib.core.models import Attendance, AuditEntry
from lib.queries.common import data_version
from lib.rules.permissions import Actor
from lib.services.training import enrol
from tests.hand_county import UPCOMING_SESSION, add_upcoming_session
from tests.support.accounts import module_actors, store_accounts

AS_OF = dt.date(2020, 10, 31)
TOWN_A, TOWN_B = "349901100", "349901101"
NEXT = UPCOMING_SESSION
ADMIN = Actor(user_id=None, username="admin", display_name="Admin", role=Role.ADMIN)
EDITOR_A = Actor(user_id=None, username="ed-a", display_name="Ed A", role=Role.TOWN_EDITOR, town_code=TOWN_A)
EDITOR_B = Actor(user_id=None, username="ed-b", display_name="Ed B", role=Role.TOWN_EDITOR, town_code=TOWN_B)
LEADER = Actor(user_id=None, username="lead", display_name="Lead", role=Role.LEADER)
VILLAGER = Actor(
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
        add_upcoming_session(session, capacity=2)
        store_accounts(session, *module_actors(globals()))
        yield session


def _enrolled(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(Attendance.cadre_id).where(Attendance.session_id == NEXT).order_by(Attendance.cadre_id)
        )
    )


def _audits(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_admin_enrols_two_with_audit_rows_and_a_new_data_version(session: Session) -> None:
    assert enrol(session, actor=ADMIN, allocations=[(2, NEXT), (3, NEXT)], as_of=AS_OF, reason="phase 3") == 2
    assert _enrolled(session) == [2, 3]
    statuses = set(session.scalars(select(Attendance.status).where(Attendance.session_id == NEXT)))
    assert statuses == {"enrolled"}
    audits = _audits(session)
    assert [(a.username, a.action, a.table_name, a.record_key, a.reason) for a in audits] == [
        ("admin", "enrol", "attendance", "10:2", "phase 3"),
        ("admin", "enrol", "attendance", "10:3", "phase 3"),
    ]
    assert audits[0].old_values is None and '"status": "enrolled"' in (audits[0].new_values or "")
    assert data_version(session) == "2"


@pytest.mark.parametrize(
    ("allocations", "field", "key", "params"),
    [
        ([(2, NEXT), (3, NEXT), (1, NEXT)], "session_10", "training.error.capacity", {"free": 2, "asked": 3}),
        ([(6, NEXT)], "cadre_6", "training.error.not_serving", {"name": "书记6"}),
        ([(2, 1)], "session_1", "training.error.session_past", {}),
        ([(2, 99)], "session_99", "training.error.session_unknown", {}),
        ([(2, NEXT), (2, NEXT)], "allocations", "training.error.duplicate", {}),
        ([], "allocations", "training.error.empty", {}),
    ],
)
def test_refusals_write_nothing(
    session: Session, allocations: list[tuple[int, int]], field: str, key: str, params: dict[str, object]
) -> None:
    before = session.scalar(select(func.count()).select_from(Attendance))
    with pytest.raises(ValidationError) as caught:
        enrol(session, actor=ADMIN, allocations=allocations, as_of=AS_OF)
    assert caught.value.errors[field] == key
    assert caught.value.params_for(field) == params
    assert session.scalar(select(func.count()).select_from(Attendance)) == before
    assert _audits(session) == [] and data_version(session) == "1"


def test_already_enrolled_is_refused(session: Session) -> None:
    enrol(session, actor=ADMIN, allocations=[(2, NEXT)], as_of=AS_OF)
    with pytest.raises(ValidationError) as caught:
        enrol(session, actor=ADMIN, allocations=[(2, NEXT)], as_of=AS_OF)
    assert caught.value.errors == {"cadre_2": "training.error.already_enrolled"}
    assert _enrolled(session) == [2]


def test_capacity_counts_seats_already_taken(session: Session) -> None:
    enrol(session, actor=ADMIN, allocations=[(2, NEXT)], as_of=AS_OF)
    with pytest.raises(ValidationError) as caught:
        enrol(session, actor=ADMIN, allocations=[(3, NEXT), (5, NEXT)], as_of=AS_OF)
    assert caught.value.params_for("session_10") == {"free": 1, "asked": 2}


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [(ADMIN, True), (EDITOR_A, True), (EDITOR_B, False), (LEADER, False), (VILLAGER, False), (None, False)],
)
def test_who_may_enrol_a_town_a_secretary(session: Session, actor: Actor | None, allowed: bool) -> None:
    if allowed:
        assert enrol(session, actor=actor, allocations=[(2, NEXT)], as_of=AS_OF) == 1
        assert _enrolled(session) == [2]
    else:
        with pytest.raises(PermissionDenied):
            enrol(session, actor=actor, allocations=[(2, NEXT)], as_of=AS_OF)
        assert _enrolled(session) == [] and _audits(session) == []


def test_a_town_editor_cannot_slip_in_another_towns_secretary(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        enrol(session, actor=EDITOR_A, allocations=[(2, NEXT), (4, NEXT)], as_of=AS_OF)  # c4 serves in town B
    assert _enrolled(session) == []
