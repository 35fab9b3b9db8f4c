"""Sign-in throttling: five failures within fifteen minutes pause a username for fifteen minutes
from its last failure, known or unknown, on both databases; the sidebar says how long to wait."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib import auth
from lib.auth import (
    SIGN_IN_LOCKOUT,
    SIGN_IN_MAX_FAILURES,
    SIGN_IN_WINDOW,
    SignInThrottled,
    authenticate,
    throttled_until,
)
from lib.db import make_engine
from lib.i18n import set_language, t
from lib.models import SignInAttempt
from lib.services.accounts import create_user_service

PASSWORD = "correct horse"
T0 = dt.datetime(2020, 10, 31, 9, 0)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    auth._dummy_hash.cache_clear()
    yield
    auth._dummy_hash.cache_clear()


@pytest.fixture
def session(empty_engine: Engine) -> Iterator[Session]:
    with Session(empty_engine) as session:
        create_user_service(
            session, actor=None, username="ted", password=PASSWORD, display_name="Ted", role="admin"
        )
        yield session


def _try(session: Session, username: str, password: str, at: dt.datetime) -> auth.Actor | None:
    actor = authenticate(session, username, password, now=at)
    session.commit()
    return actor


def _fail_five(session: Session, username: str, start: dt.datetime = T0) -> dt.datetime:
    """Five wrong passwords a minute apart; the time of the last."""
    for number in range(SIGN_IN_MAX_FAILURES):
        assert _try(session, username, "wrong password", start + number * MINUTE) is None
    return start + (SIGN_IN_MAX_FAILURES - 1) * MINUTE


def _attempts(session: Session) -> list[tuple[str, bool]]:
    rows = session.execute(select(SignInAttempt.username, SignInAttempt.succeeded).order_by(SignInAttempt.id))
    return [(name, bool(ok)) for name, ok in rows]


def test_the_limits_are_five_failures_in_fifteen_minutes_then_fifteen_minutes() -> None:
    assert SIGN_IN_MAX_FAILURES == 5
    assert SIGN_IN_WINDOW == SIGN_IN_LOCKOUT == dt.timedelta(minutes=15)


def test_every_attempt_is_recorded_by_its_normalised_name(session: Session) -> None:
    assert _try(session, " TED ", PASSWORD, T0) is not None
    assert _try(session, "ted", "wrong password", T0) is None
    assert _try(session, "Nobody", PASSWORD, T0) is None
    assert _try(session, "x" * 60, PASSWORD, T0) is None  # longer than any username: cut to fit
    assert _attempts(session) == [("ted", True), ("ted", False), ("nobody", False), ("x" * 40, False)]


def test_five_failures_refuse_even_the_right_password_until_the_lockout_ends(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = _fail_five(session, "ted")
    checked: list[str] = []
    real_verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checked.append(h) or real_verify(h, p))
    with pytest.raises(SignInThrottled) as refused:
        _try(session, "TED", PASSWORD, last + MINUTE)
    assert checked == []  # the password was not even checked
    assert refused.value.retry_at == last + SIGN_IN_LOCKOUT
    assert refused.value.params == {"n": 14}
    assert refused.value.key == "accounts.sign_in_throttled"
    assert "Try again in 14 minutes" in str(refused.value)
    recorded = len(_attempts(session))
    with pytest.raises(SignInThrottled) as refused:
        _try(session, "ted", PASSWORD, last + SIGN_IN_LOCKOUT - dt.timedelta(seconds=30))
    assert refused.value.params == {"n": 1}  # rounded up, never "0 minutes"
    assert "Try again in 1 minute." in str(refused.value)
    assert len(_attempts(session)) == recorded  # refused attempts do not extend the lockout
    actor = _try(session, "ted", PASSWORD, last + SIGN_IN_LOCKOUT)
    assert actor is not None and actor.username == "ted"


def test_four_failures_do_not_throttle_and_old_failures_expire(session: Session) -> None:
    for number in range(SIGN_IN_MAX_FAILURES - 1):
        assert _try(session, "ted", "wrong password", T0 + number * MINUTE) is None
    assert _try(session, "ted", PASSWORD, T0 + 4 * MINUTE) is not None  # a success is no failure
    # the fifth failure counts with the four before it: a success clears nothing
    assert _try(session, "ted", "wrong password", T0 + 5 * MINUTE) is None
    assert throttled_until(session, "ted", now=T0 + 6 * MINUTE) == T0 + 5 * MINUTE + SIGN_IN_LOCKOUT
    # five failures four minutes apart: never five within fifteen minutes, so never throttled
    later = T0 + dt.timedelta(hours=2)
    for number in range(SIGN_IN_MAX_FAILURES):
        assert throttled_until(session, "ted", now=later + number * 4 * MINUTE) is None
        assert _try(session, "ted", "wrong password", later + number * 4 * MINUTE) is None
    assert throttled_until(session, "ted", now=later + 17 * MINUTE) is None


def test_the_lockout_runs_from_the_last_failure_not_the_window(session: Session) -> None:
    """Failures at 0, 1, 2, 3 and 14 minutes: paused until 29, though the first four age out at 15-18."""
    for minute in (0, 1, 2, 3, 14):
        assert _try(session, "ted", "wrong password", T0 + minute * MINUTE) is None
    for minute in (15, 20, 28):
        with pytest.raises(SignInThrottled):
            _try(session, "ted", PASSWORD, T0 + minute * MINUTE)
    assert _try(session, "ted", PASSWORD, T0 + 29 * MINUTE) is not None


def test_unknown_usernames_are_throttled_the_same_way(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = _fail_five(session, "nobody")
    with pytest.raises(SignInThrottled) as unknown:
        _try(session, "nobody", PASSWORD, last + MINUTE)
    last_known = _fail_five(session, "ted", start=T0 + dt.timedelta(hours=1))
    with pytest.raises(SignInThrottled) as known:
        _try(session, "ted", PASSWORD, last_known + MINUTE)
    assert str(unknown.value) == str(known.value)  # the refusal does not tell which names exist
    checked: list[str] = []
    real_verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checked.append(h) or real_verify(h, p))
    assert _try(session, "nobody", PASSWORD, last + SIGN_IN_LOCKOUT) is None
    assert checked == [auth._dummy_hash()]  # after the pause, still one verification as before


def test_one_name_throttled_leaves_the_others_alone(session: Session) -> None:
    create_user_service(
        session,
        actor=auth.load_actor(session, 1),
        username="lee",
        password=PASSWORD,
        display_name="Lee",
        role="leader",
    )
    last = _fail_five(session, "ted")
    assert _try(session, "lee", PASSWORD, last + MINUTE) is not None
    assert session.scalar(select(func.count()).select_from(SignInAttempt)) == SIGN_IN_MAX_FAILURES + 1


# --- the sidebar -------------------------------------------------------------------------------


@pytest.fixture
def url_with_account(hand_sqlite_url: str) -> str:
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        create_user_service(
            session, actor=None, username="ted", password=PASSWORD, display_name="Ted Wu", role="leader"
        )
    engine.dispose()
    return hand_sqlite_url


def _sign_in(at, username: str, password: str):  # type: ignore[no-untyped-def]
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(password)
    return next(b for b in at.sidebar.button if b.label == "Sign in").click().run()


def test_the_sidebar_says_how_long_to_wait(open_app, url_with_account: str) -> None:  # type: ignore[no-untyped-def]
    at = open_app(url_with_account, lang="en")
    for _ in range(SIGN_IN_MAX_FAILURES):
        at = _sign_in(at, "ted", "wrong password")
        assert "Wrong username or password" in at.sidebar.error[0].value
    at = _sign_in(at, "ted", PASSWORD)
    assert not at.exception
    message = at.sidebar.error[0].value
    assert message.startswith("Too many failed sign-ins for this username")
    assert "Try again in 15 minutes." in message
    assert "account" not in at.session_state
    set_language("zh")
    assert t("accounts.sign_in_throttled", n=15).endswith("请 15 分钟后再试。")
