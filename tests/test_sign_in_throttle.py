"""Sign-in throttling: five failures within fifteen minutes pause a username for fifteen minutes
from its last failure, known or unknown, on both databases; the sidebar says how long to wait."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.core import config
from lib.core.db import make_engine
from lib.core.errors import PermissionDenied, ValidationError
from lib.core.i18n import set_language, t
from lib.core.models import Meta, SignInAttempt, User
from lib.core.schema import downgrade, upgrade
from lib.queries.accounts import failed_sign_ins, failed_sign_ins_by_address
from lib.queries.common import SIGN_IN_SECRET_KEY, meta
from lib.rules import permissions
from lib.services import auth
from lib.services.accounts import clear_sign_in_failures, create_user_service
from lib.services.auth import (
    SIGN_IN_LOCKOUT,
    SIGN_IN_MAX_FAILURES,
    SIGN_IN_WINDOW,
    SignInThrottled,
    authenticate,
    throttled_until,
)
from tests.support.apptest import AppFactory

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


def _try(session: Session, username: str, password: str, at: dt.datetime) -> permissions.Actor | None:
    actor = authenticate(session, username, password, now=at)
    session.commit()
    return actor


def _fail_five(session: Session, username: str, start: dt.datetime = T0) -> dt.datetime:
    """Five wrong passwords a minute apart; the time of the last."""
    for number in range(SIGN_IN_MAX_FAILURES):
        assert _try(session, username, "wrong password", start + number * MINUTE) is None
    return start + (SIGN_IN_MAX_FAILURES - 1) * MINUTE


def _attempts(session: Session) -> list[tuple[str | None, bool]]:
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
    assert _attempts(session) == [("ted", True), ("ted", False), (None, False), (None, False)]


def test_five_failures_refuse_even_the_right_password_until_the_lockout_ends(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = _fail_five(session, "ted")
    checked: list[str] = []
    real_verify = auth.verify_password

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", spy)
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

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", spy)
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


def _sign_in(at: AppTest, username: str, password: str):
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(password)
    return next(b for b in at.sidebar.button if b.label == "Sign in").click().run()


def test_the_sidebar_says_how_long_to_wait(open_app: AppFactory, url_with_account: str) -> None:
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


# --- names that are no account are kept only as a keyed hash (issue 15, item 8) -----------------

TYPED_PASSWORD = "Ted's own password 42"  # typed into the name box by mistake


def _all_stored_text(session: Session) -> str:
    """Every value of every row of sign_in_attempts, as one string."""
    session.rollback()
    rows = session.execute(select(SignInAttempt.__table__)).all()
    return " ".join(str(value) for row in rows for value in row)


def test_a_name_that_is_no_account_is_kept_only_as_a_keyed_hash(session: Session) -> None:
    assert _try(session, TYPED_PASSWORD, "x", T0) is None
    assert _try(session, "ted", "wrong password", T0) is None
    stored = _all_stored_text(session)
    assert TYPED_PASSWORD.lower() not in stored and "own password" not in stored
    unknown, known = session.scalars(select(SignInAttempt).order_by(SignInAttempt.id)).all()
    assert unknown.username is None and known.username == "ted"  # known names stay readable
    assert len(unknown.name_key) == 64 and unknown.name_key != known.name_key
    plain = hashlib.sha256(TYPED_PASSWORD.lower()[: auth.USERNAME_MAX].encode()).hexdigest()
    assert unknown.name_key != plain  # keyed: a list of guesses cannot be hashed and compared


def test_each_database_keeps_its_own_key(session: Session, sqlite_url: str) -> None:
    other = make_engine(sqlite_url.replace("test.db", "other.db"))
    upgrade(other)
    with Session(other) as elsewhere:
        assert auth.name_key(elsewhere, "ghost") != auth.name_key(session, "ghost")
        assert auth.name_key(elsewhere, "ghost") == auth.name_key(elsewhere, "ghost")
    other.dispose()


def test_the_key_is_not_among_the_facts_pages_read(session: Session) -> None:
    auth.name_key(session, "ghost")
    session.commit()
    stored = session.scalar(select(Meta.value).where(Meta.key == SIGN_IN_SECRET_KEY))
    assert stored is not None and len(stored) == 64
    assert SIGN_IN_SECRET_KEY not in meta(session) and stored not in meta(session).values()


def test_unknown_names_are_still_throttled_by_their_hash(session: Session) -> None:
    last = _fail_five(session, TYPED_PASSWORD)
    with pytest.raises(SignInThrottled):
        _try(session, f"  {TYPED_PASSWORD.upper()} ", PASSWORD, last + MINUTE)  # the same name, normalised
    assert _try(session, "ted", PASSWORD, last + MINUTE) is not None


# --- one address trying many names --------------------------------------------------------------

HOME, ELSEWHERE = "10.0.0.7", "192.0.2.44"


def test_the_address_limit_is_documented_beside_the_others() -> None:
    assert auth.SIGN_IN_ADDRESS_MAX_FAILURES == 20
    readme = (config.ROOT / "README.md").read_text(encoding="utf-8")
    assert "SIGN_IN_ADDRESS_MAX_FAILURES" in readme and "20 failed sign-ins from one address" in readme


def test_every_attempt_records_its_address(session: Session) -> None:
    authenticate(session, "ted", PASSWORD, address=HOME, now=T0)
    authenticate(session, "nobody", PASSWORD, address=None, now=T0)
    authenticate(session, "ted", "wrong", address="2001:db8::1", now=T0)
    session.commit()
    assert list(session.scalars(select(SignInAttempt.address).order_by(SignInAttempt.id))) == [
        HOME,
        None,
        "2001:db8::1",
    ]


def _spray(session: Session, address: str | None, count: int, start: dt.datetime = T0) -> dt.datetime:
    """`count` wrong passwords for as many different names from `address`, 30 s apart; the last time."""
    at = start
    for number in range(count):
        at = start + number * dt.timedelta(seconds=30)
        assert authenticate(session, f"guess{number}", "wrong password", address=address, now=at) is None
        session.commit()
    return at


def test_one_address_trying_many_names_is_refused_for_a_while(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = _spray(session, HOME, auth.SIGN_IN_ADDRESS_MAX_FAILURES)  # no name failed twice
    checked: list[str] = []
    real_verify = auth.verify_password

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", spy)
    with pytest.raises(SignInThrottled) as refused:
        authenticate(session, "ted", PASSWORD, address=HOME, now=last + MINUTE)  # even the right password
    assert checked == []
    assert refused.value.key == "accounts.sign_in_throttled_address"
    assert refused.value.retry_at == last + SIGN_IN_LOCKOUT
    assert "from this address" in str(refused.value)
    # another address, and a connection without one (the server's own machine), are not held up
    assert authenticate(session, "ted", PASSWORD, address=ELSEWHERE, now=last + MINUTE) is not None
    assert authenticate(session, "ted", PASSWORD, address=None, now=last + MINUTE) is not None
    assert authenticate(session, "ted", PASSWORD, address=HOME, now=last + SIGN_IN_LOCKOUT) is not None


def test_fewer_failures_from_an_address_are_not_refused(session: Session) -> None:
    last = _spray(session, HOME, auth.SIGN_IN_ADDRESS_MAX_FAILURES - 1)
    assert authenticate(session, "ted", PASSWORD, address=HOME, now=last + MINUTE) is not None
    # failures without an address are never counted together
    last = _spray(session, None, auth.SIGN_IN_ADDRESS_MAX_FAILURES + 5, start=T0 + dt.timedelta(hours=1))
    assert authenticate(session, "ted", PASSWORD, address=None, now=last + MINUTE) is not None


def test_the_sidebar_says_an_address_is_paused_in_both_languages() -> None:
    set_language("en")
    assert t("accounts.sign_in_throttled_address", n=15).endswith("Try again in 15 minutes.")
    set_language("zh")
    assert t("accounts.sign_in_throttled_address", n=15).endswith("请 15 分钟后再试。")


# --- the migration hashes what was kept in clear ------------------------------------------------


OLD_ATTEMPT = text(
    "INSERT INTO sign_in_attempts (username, at, succeeded) VALUES (:username, :at, :succeeded)"
)


def test_the_migration_hashes_names_kept_in_clear_and_keeps_throttling_them(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(
            insert(User).values(
                id=1,
                username="ted",
                display_name="Ted",
                password_hash="x",
                role="admin",
                can_see_names=False,
                is_active=True,
                created_at=T0,
            )
        )
        rows = [{"username": "ted", "at": T0, "succeeded": True}]
        rows += [{"username": "hunter2-secret", "at": T0 + n * MINUTE, "succeeded": False} for n in range(5)]
        for row in rows:
            conn.execute(OLD_ATTEMPT, row)
    upgrade(engine)
    with Session(engine) as session:
        assert "hunter2" not in _all_stored_text(session)
        assert [
            name for name in session.scalars(select(SignInAttempt.username).order_by(SignInAttempt.id))
        ] == [
            "ted",
            None,
            None,
            None,
            None,
            None,
        ]
        now = T0 + 5 * MINUTE
        assert throttled_until(session, "hunter2-secret", now=now) == T0 + 4 * MINUTE + SIGN_IN_LOCKOUT
        assert throttled_until(session, "ted", now=now) is None
    downgrade(engine, "0004")  # and back: the hashed names stay unreadable
    upgrade(engine)
    engine.dispose()


# --- what administrators see --------------------------------------------------------------------


def test_failed_sign_ins_show_unknown_names_as_such(session: Session) -> None:
    _try(session, TYPED_PASSWORD, "x", T0)
    _try(session, TYPED_PASSWORD, "x", T0 + MINUTE)
    _try(session, "ted", "wrong", T0 + 2 * MINUTE)
    authenticate(session, "ghost", "x", address=HOME, now=T0 + 3 * MINUTE)
    session.commit()
    frame = failed_sign_ins(session, since=T0)
    assert list(frame["username"]) == [None, "ted", None]
    assert list(frame["failures"]) == [1, 1, 2]
    assert TYPED_PASSWORD.lower() not in frame.to_string()
    by_address = failed_sign_ins_by_address(session, since=T0)
    assert list(by_address["address"]) == [HOME] and list(by_address["names"]) == [1]


# --- unlocking (python -m lib.admin unlock) -----------------------------------------------------


def test_only_administrators_clear_failures_and_the_rest_still_count(session: Session) -> None:
    admin = auth.load_actor(session, 1)
    create_user_service(
        session, actor=admin, username="lee", password=PASSWORD, display_name="Lee", role="leader"
    )
    lee = auth.load_actor(session, 2)
    last = _fail_five(session, "ted")
    now = last + MINUTE
    with pytest.raises(PermissionDenied):
        clear_sign_in_failures(session, actor=lee, username="ted", now=now)
    for both_or_neither in ({}, {"username": "ted", "address": HOME}):
        with pytest.raises(ValidationError):
            clear_sign_in_failures(session, actor=admin, now=now, **both_or_neither)
    assert throttled_until(session, "ted", now=now) is not None
    assert clear_sign_in_failures(session, actor=admin, username=" TED ", now=now) == 5
    assert throttled_until(session, "ted", now=now) is None
    assert clear_sign_in_failures(session, actor=admin, username="ted", now=now) == 0
    # cleared failures stay listed for administrators, and new ones count afresh
    assert list(failed_sign_ins(session, since=T0)["failures"]) == [5]
    _fail_five(session, "ted", start=now)
    assert throttled_until(session, "ted", now=now + 5 * MINUTE) is not None
