"""Two saves at once keep the rules "only one" makes, on SQLite as on PostgreSQL (issue 15, item 4).

Each test races two writes that are fine alone and wrong together (tests/support/concurrency.py
`race` makes both read before either writes, wherever nothing keeps them apart). Before the fix,
on SQLite both admins deactivated each other, the last seat went to two people and one person got
two open postings; one change was sent back twice on both databases.
"""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib.core.errors import PermissionDenied, ServiceError, ValidationError
from lib.core.models import Attendance, AuditEntry, CorrectionRequest, Posting, User
from lib.rules.permissions import Actor
from lib.services import accounts, auth, corrections, households, training, villages
from tests.hand_county import UPCOMING_SESSION, add_upcoming_session
from tests.support.accounts import created_actor
from tests.support.concurrency import race

D = dt.date
AS_OF = D(2020, 10, 31)
TOWN_A, A1, A2, A3 = "349901100", "349901100201", "349901100202", "349901100203"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _refused(results: list[object]) -> list[ServiceError]:
    return [result for result in results if isinstance(result, ServiceError)]


def test_two_admins_deactivating_each_other_leave_one(hand_engine: Engine) -> None:
    first, second = (created_actor(hand_engine, f"admin-{n}", "admin") for n in (1, 2))

    def deactivate(actor: Actor, other: Actor) -> object:
        assert other.user_id is not None
        return lambda session: accounts.update_user_service(
            session,
            actor=actor,
            user_id=other.user_id,
            display_name=other.display_name,
            role="admin",
            is_active=False,
        )

    # Both read their own account before either locks the administrators: on PostgreSQL each
    # then waited for the other's share lock (a deadlock, one save failing with an error).
    results = race(
        _url(hand_engine), deactivate(first, second), deactivate(second, first), meet_after_reads=1
    )

    assert len(_refused(results)) == 1, results
    refusal = _refused(results)[0]
    # the second finds itself deactivated, or the other the last administrator left
    assert isinstance(refusal, PermissionDenied) or (
        isinstance(refusal, ValidationError) and refusal.errors == {"is_active": "accounts.error.last_admin"}
    )
    with Session(hand_engine) as session:
        active = session.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.is_active.is_(True))
        )
    assert active == 1


def test_two_admins_resetting_each_others_passwords_both_succeed(hand_engine: Engine) -> None:
    first, second = (created_actor(hand_engine, f"admin-{n}", "admin") for n in (1, 2))

    def reset(actor: Actor, other: Actor) -> object:
        assert other.user_id is not None
        return lambda session: accounts.reset_password_service(
            session, actor=actor, user_id=other.user_id, password=f"new-password-{other.username}"
        )

    results = race(_url(hand_engine), reset(first, second), reset(second, first), meet_after_reads=1)

    assert all(isinstance(result, User) for result in results), results
    with Session(hand_engine) as session:
        for username in ("admin-1", "admin-2"):
            user = session.scalar(select(User).where(User.username == username))
            assert user is not None and auth.verify_password(user.password_hash, f"new-password-{username}")


def test_the_last_seat_goes_to_one_person(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        add_upcoming_session(session, capacity=1)
    first, second = (
        created_actor(hand_engine, "ed-1", "town_editor", town=TOWN_A),
        created_actor(hand_engine, "ed-2", "town_editor", town=TOWN_A),
    )

    def enrol(actor: Actor, cadre_id: int) -> object:
        return lambda session: training.enrol(
            session, actor=actor, allocations=[(cadre_id, UPCOMING_SESSION)], as_of=AS_OF
        )

    results = race(_url(hand_engine), enrol(first, 2), enrol(second, 3))  # c2 serves A2, c3 A3

    assert len(_refused(results)) == 1, results
    assert isinstance(_refused(results)[0], ValidationError)
    with Session(hand_engine) as session:
        enrolled = session.scalar(
            select(func.count()).select_from(Attendance).where(Attendance.session_id == UPCOMING_SESSION)
        )
    assert enrolled == 1


def test_one_person_gets_one_open_posting(hand_engine: Engine) -> None:
    first, second = (
        created_actor(hand_engine, "ed-1", "town_editor", town=TOWN_A),
        created_actor(hand_engine, "ed-2", "town_editor", town=TOWN_A),
    )

    def post_c6(actor: Actor, village: str) -> object:  # c6 served A1 until 2019: free now
        return lambda session: villages.add_team_member(
            session, actor=actor, village_code=village, starts_on=D(2020, 10, 1), cadre_id=6, as_of=AS_OF
        )

    results = race(_url(hand_engine), post_c6(first, A2), post_c6(second, A3))

    assert len(_refused(results)) == 1, results
    refusal = _refused(results)[0]
    assert isinstance(refusal, ValidationError) and refusal.errors == {"cadre": "staff.error.already_posted"}
    with Session(hand_engine) as session:
        open_postings = session.scalar(
            select(func.count()).select_from(Posting).where(Posting.cadre_id == 6, Posting.end_date.is_(None))
        )
    assert open_postings == 1


def test_a_change_is_sent_back_once(hand_engine: Engine) -> None:
    villager = created_actor(hand_engine, "vil-a1", "village_editor", village=A1)
    with Session(hand_engine) as session:
        households.record_visit(
            session,
            actor=villager,
            household_id=3,
            visited_on=D(2020, 10, 20),
            visitor_name="王核验",
            ledger_verified=True,
            problems=None,
            satisfied=True,
            as_of=AS_OF,
        )
        change = session.scalar(select(func.max(AuditEntry.id)))
    assert change is not None
    first, second = (
        created_actor(hand_engine, "ed-1", "town_editor", town=TOWN_A),
        created_actor(hand_engine, "ed-2", "town_editor", town=TOWN_A),
    )

    def send_back(actor: Actor) -> object:
        return lambda session: corrections.send_back(
            session, actor=actor, audit_id=change, comment="日期写错了"
        )

    results = race(_url(hand_engine), send_back(first), send_back(second))

    assert len(_refused(results)) == 1, results
    refusal = _refused(results)[0]
    assert isinstance(refusal, ValidationError) and refusal.errors == {
        "audit_id": "corrections.error.already_open"
    }
    with Session(hand_engine) as session:
        requests = session.scalar(
            select(func.count()).select_from(CorrectionRequest).where(CorrectionRequest.audit_id == change)
        )
    assert requests == 1


def test_the_database_itself_refuses_a_second_open_row(hand_engine: Engine) -> None:
    """Whatever writes the rows (a script, a future service), "only one open" holds."""
    with Session(hand_engine) as session:
        serving = session.execute(
            select(Posting.cadre_id, Posting.village_id).where(
                Posting.end_date.is_(None), Posting.role == "first_secretary"
            )
        ).first()
        assert serving is not None
        cadre_id, village_id = serving
        for values in (
            {"cadre_id": cadre_id, "village_id": 5, "role": "team_member"},  # the same person twice
            {"cadre_id": 6, "village_id": village_id, "role": "first_secretary"},  # two secretaries
        ):
            with pytest.raises(IntegrityError):
                session.execute(insert(Posting).values(start_date=D(2020, 10, 1), end_date=None, **values))
            session.rollback()
