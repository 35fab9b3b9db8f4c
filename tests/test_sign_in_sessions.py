"""Staying signed in (lib.services.sessions), on both databases: a sign-in's session lasts
STAY_SIGNED_IN_HOURS from the sign-in, is stored only as its token's hash, ends for every tab and
browser when its user signs out, and ends when the account is deactivated or its role, places or
password change; a tampered token, or one user's session claimed for another, signs nobody in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.models import SignInSession, User
from lib.rules.permissions import Actor
from lib.services import auth
from lib.services.accounts import create_user_service, reset_password_service, update_user_service
from lib.services.auth import authenticate
from lib.services.sessions import (
    LAST_SEEN_EVERY,
    Started,
    hash_token,
    resume_session,
    session_actor,
    sign_out_everywhere,
    start_session,
)

PASSWORD = "correct horse"
T0 = dt.datetime(2020, 10, 31, 9, 0)
HOUR = dt.timedelta(hours=1)
TOWN_A = "349901100"  # the hand county's town A (tests/hand_county.py)
TOWN_B = "349901101"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    auth._dummy_hash.cache_clear()
    yield
    auth._dummy_hash.cache_clear()


@pytest.fixture
def session(hand_engine: Engine) -> Iterator[Session]:
    """The hand county with an admin "ada", a town editor "ted" (town A) and a leader "lee"."""
    with Session(hand_engine) as session:
        create_user_service(
            session, actor=None, username="ada", password=PASSWORD, display_name="Ada", role="admin"
        )
        ada = _actor(session, "ada")
        create_user_service(
            session,
            actor=ada,
            username="ted",
            password=PASSWORD,
            display_name="Ted",
            role="town_editor",
            town_code=TOWN_A,
        )
        create_user_service(
            session, actor=ada, username="lee", password=PASSWORD, display_name="Lee", role="leader"
        )
        yield session


def _user_id(session: Session, username: str) -> int:
    return session.scalars(select(User.id).where(User.username == username)).one()


def _actor(session: Session, username: str) -> Actor:
    actor = auth.load_actor(session, _user_id(session, username))
    assert actor is not None
    session.commit()
    return actor


def _sign_in(session: Session, username: str, *, at: dt.datetime = T0, address: str | None = None) -> Started:
    """Sign in as the app does: the attempt and the session in one transaction."""
    actor = authenticate(session, username, PASSWORD, address=address, now=at)
    assert actor is not None
    started = start_session(session, actor, address=address, now=at)
    session.commit()
    return started


def _resumed_as(session: Session, token: object, at: dt.datetime) -> str | None:
    resumed = resume_session(session, token, now=at)
    return None if resumed is None else resumed.actor.username


def _signed_in_as(session: Session, started: Started, username: str, at: dt.datetime) -> str | None:
    actor = session_actor(session, session_id=started.session_id, user_id=_user_id(session, username), now=at)
    session.commit()
    return None if actor is None else actor.username


def test_a_sign_in_is_resumed_from_its_token_and_only_its_hash_is_stored(session: Session) -> None:
    started = _sign_in(session, "ted", address="203.0.113.9")
    assert started.max_age == config.STAY_SIGNED_IN_HOURS * 3600
    assert started.expires_at == T0 + config.STAY_SIGNED_IN_HOURS * HOUR

    resumed = resume_session(session, started.token, now=T0 + HOUR)
    assert resumed is not None and resumed.session_id == started.session_id
    assert (resumed.actor.username, resumed.actor.role.value, resumed.actor.town_code) == (
        "ted",
        "town_editor",
        TOWN_A,
    )
    assert _signed_in_as(session, started, "ted", T0 + HOUR) == "ted"

    row = session.get_one(SignInSession, started.session_id)
    assert row.token_hash == hash_token(started.token) != started.token
    assert (row.created_at, row.address, row.revoked_at) == (T0, "203.0.113.9", None)
    stored = " ".join(str(value) for value in session.execute(select(SignInSession.__table__)).one())
    assert started.token not in stored and PASSWORD not in stored


def test_each_sign_in_has_its_own_token(session: Session) -> None:
    first, second = _sign_in(session, "ted"), _sign_in(session, "ted")
    assert first.token != second.token and first.session_id != second.session_id
    assert _resumed_as(session, first.token, T0) == _resumed_as(session, second.token, T0) == "ted"


def test_a_session_expires_after_the_set_hours_from_the_sign_in(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAY_SIGNED_IN_HOURS", "2")
    started = _sign_in(session, "ted")
    assert started.max_age == 2 * 3600
    just_before = T0 + 2 * HOUR - dt.timedelta(seconds=1)
    assert _resumed_as(session, started.token, just_before) == "ted"  # using it does not extend it
    assert _signed_in_as(session, started, "ted", just_before) == "ted"
    assert _resumed_as(session, started.token, T0 + 2 * HOUR) is None
    assert _signed_in_as(session, started, "ted", T0 + 2 * HOUR) is None


@pytest.mark.parametrize(("value", "hours"), [("24", 24), ("0", 12), ("721", 12), ("soon", 12), ("", 12)])
def test_the_hours_setting_falls_back_to_twelve(
    monkeypatch: pytest.MonkeyPatch, value: str, hours: int
) -> None:
    monkeypatch.setenv("STAY_SIGNED_IN_HOURS", value)
    assert config.stay_signed_in_hours() == hours


def test_signing_out_ends_every_session_of_that_user_only(session: Session) -> None:
    laptop, projector = _sign_in(session, "ted"), _sign_in(session, "ted", at=T0 + HOUR)
    other = _sign_in(session, "lee")
    ted_id = _user_id(session, "ted")

    assert sign_out_everywhere(session, user_id=ted_id, now=T0 + 2 * HOUR) == 2
    for started in (laptop, projector):
        assert _resumed_as(session, started.token, T0 + 2 * HOUR) is None
        assert _signed_in_as(session, started, "ted", T0 + 2 * HOUR) is None
        assert session.get_one(SignInSession, started.session_id).revoked_at == T0 + 2 * HOUR
    assert _resumed_as(session, other.token, T0 + 2 * HOUR) == "lee"
    assert sign_out_everywhere(session, user_id=ted_id, now=T0 + 3 * HOUR) == 0  # nothing left
    assert session.get_one(SignInSession, laptop.session_id).revoked_at == T0 + 2 * HOUR

    again = _sign_in(session, "ted", at=T0 + 3 * HOUR)  # a new sign-in works as before
    assert _resumed_as(session, again.token, T0 + 3 * HOUR) == "ted"


def test_a_deactivated_account_loses_its_sessions(session: Session) -> None:
    started = _sign_in(session, "ted")
    update_user_service(
        session,
        actor=_actor(session, "ada"),
        user_id=_user_id(session, "ted"),
        display_name="Ted",
        role="town_editor",
        town_code=TOWN_A,
        is_active=False,
    )
    assert _resumed_as(session, started.token, T0) is None
    assert _signed_in_as(session, started, "ted", T0) is None


@pytest.mark.parametrize(
    ("role", "town_code"), [("leader", None), ("town_editor", TOWN_B)], ids=["role", "town"]
)
def test_a_changed_role_or_place_ends_the_sessions(
    session: Session, role: str, town_code: str | None
) -> None:
    started = _sign_in(session, "ted")
    update_user_service(
        session,
        actor=_actor(session, "ada"),
        user_id=_user_id(session, "ted"),
        display_name="Ted",
        role=role,
        town_code=town_code,
    )
    assert _resumed_as(session, started.token, T0) is None
    assert _signed_in_as(session, started, "ted", T0) is None


def test_a_changed_password_ends_the_sessions_but_a_changed_name_does_not(session: Session) -> None:
    started = _sign_in(session, "ted")
    ada, ted_id = _actor(session, "ada"), _user_id(session, "ted")
    update_user_service(
        session, actor=ada, user_id=ted_id, display_name="Ted Wu", role="town_editor", town_code=TOWN_A
    )
    assert _resumed_as(session, started.token, T0) == "ted"

    reset_password_service(session, actor=ada, user_id=ted_id, password="a new password")
    assert _resumed_as(session, started.token, T0) is None
    assert _signed_in_as(session, started, "ted", T0) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character changed
        lambda token: token[:-1],  # cut short
        lambda token: token + "A",  # one too long
        lambda token: token.upper(),
        lambda token: hash_token(token),  # what the database keeps is no token
        lambda token: token[:20] + "é" + token[21:],
        lambda token: token[:20] + "%00" + token[23:],
        lambda token: "",
        lambda token: None,
        lambda token: 12345,
    ],
)
def test_a_tampered_or_malformed_token_signs_nobody_in(
    session: Session, tamper: Callable[[str], object]
) -> None:
    started = _sign_in(session, "ted")
    assert _resumed_as(session, tamper(started.token), T0) is None
    assert _resumed_as(session, started.token, T0) == "ted"  # the real one still does


def test_one_users_session_cannot_be_claimed_with_another_users_id(session: Session) -> None:
    ted, lee = _sign_in(session, "ted"), _sign_in(session, "lee")
    assert _signed_in_as(session, ted, "ted", T0) == "ted"
    assert _signed_in_as(session, ted, "lee", T0) is None
    assert _signed_in_as(session, lee, "ted", T0) is None
    for session_id, user_id in [(None, 1), (ted.session_id, None), ("1", 1), (True, True), (2**40, 1)]:
        assert session_actor(session, session_id=session_id, user_id=user_id, now=T0) is None
    resumed = resume_session(session, lee.token, now=T0)
    assert resumed is not None and (resumed.actor.username, resumed.session_id) == ("lee", lee.session_id)


def test_last_seen_is_written_at_most_every_few_minutes(session: Session) -> None:
    started = _sign_in(session, "ted")
    soon, later = T0 + LAST_SEEN_EVERY / 2, T0 + LAST_SEEN_EVERY * 2
    assert _resumed_as(session, started.token, soon) == "ted"
    assert session.get_one(SignInSession, started.session_id).last_seen == T0
    assert _resumed_as(session, started.token, later) == "ted"
    session.expire_all()
    assert session.get_one(SignInSession, started.session_id).last_seen == later


def test_a_session_starts_only_for_an_active_account(session: Session) -> None:
    ted = _actor(session, "ted")
    session.get_one(User, ted.user_id).is_active = False
    session.commit()
    with pytest.raises(ValueError, match="active account"):
        start_session(session, ted, now=T0)
    session.rollback()
    assert session.scalar(select(SignInSession.id)) is None
