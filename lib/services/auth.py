"""Accounts and permissions: argon2 password hashes, the signed-in `Actor`, and who may do what.

No streamlit here: services call `require(session, actor, ACTION, town_code=…, village_code=…)`
before they write (it reads the account again inside their transaction), pages may call `can(...)`
to decide what to offer, and `lib.ui` signs users in with `authenticate`. Accounts live in our own
database (county intranets have no OIDC server); lib.services.accounts writes them.

Signing in is throttled per username and per client address: every attempt is recorded in
`sign_in_attempts`, and after `SIGN_IN_MAX_FAILURES` failures for one name within `SIGN_IN_WINDOW`
the name is refused for `SIGN_IN_LOCKOUT` from its last failure, without its password being checked
(`authenticate` raises `SignInThrottled`); so is an address with `SIGN_IN_ADDRESS_MAX_FAILURES`
failures across names. Unknown names are throttled the same way, so refusals reveal nothing. Names
are compared by `name_key`, a keyed hash; a name is stored readable only when it is an account's,
so a password typed into the name box is never kept.

Roles: a leader reads everything and writes nothing; a town editor writes within their
town; a village editor within their village; an admin manages accounts. Anonymous (None) may do
nothing. `RULES` maps each action to the roles allowed and the scope each may act in, so a new
action is one line there.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import math
import re
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lib.core.domain import Role
from lib.core.errors import PermissionDenied, ServiceError
from lib.core.models import Meta, SignInAttempt, Town, User, Village
from lib.queries.common import SIGN_IN_SECRET_KEY
from lib.rules.permissions import COMMAND_LINE, RULES, Actor, can

USERNAME_MIN = 3
USERNAME_MAX = 40
USERNAME_PATTERN = re.compile(r"[a-z0-9._-]+")  # after lower-casing: ASCII letters, digits, . _ -
PASSWORD_MIN = 8
PASSWORD_MAX = 1024  # argon2 takes any length; this just bounds the work one sign-in can cause
DISPLAY_NAME_MAX = 60

# Sign-in throttling, per (normalised) username, known or not: after SIGN_IN_MAX_FAILURES failed
# attempts within SIGN_IN_WINDOW, the name is refused until SIGN_IN_LOCKOUT after its last failure.
SIGN_IN_MAX_FAILURES = 5
SIGN_IN_WINDOW = dt.timedelta(minutes=15)
SIGN_IN_LOCKOUT = dt.timedelta(minutes=15)
# ... and per client address, across names: one address guessing many names, a few tries each.
# Higher than the per-name limit, as an office may reach the server through one address.
SIGN_IN_ADDRESS_MAX_FAILURES = 20
ADDRESS_MAX = 64  # sign_in_attempts.address is String(64): IPv6 with a zone fits

_hasher = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 low-memory defaults


# --- passwords ----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (salted: the same password hashes differently each time)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`; False for a wrong password or a broken hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash at next sign-in)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, verified when the username is unknown so timing tells nothing."""
    return hash_password(secrets.token_urlsafe(24))


def normalize_username(username: object) -> str:
    """Usernames are compared without case and surrounding spaces: " Admin " signs in as "admin"."""
    return username.strip().lower() if isinstance(username, str) else ""


# --- the actor -----------------------------------------------------------------------------------


def actor_for(session: Session, user: User) -> Actor:
    """The Actor for a user row, with its town and village codes looked up."""
    town_code = village_code = None
    if user.village_id is not None:
        row = session.execute(
            select(Village.code, Town.code).join(Town).where(Village.id == user.village_id)
        ).one()
        village_code, town_code = row[0], row[1]
    elif user.town_id is not None:
        town_code = session.scalar(select(Town.code).where(Town.id == user.town_id))
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        town_code=town_code,
        village_code=village_code,
        can_see_names=bool(user.can_see_names),
    )


def load_actor(session: Session, user_id: int | None) -> Actor | None:
    """The Actor for `user_id` as the database has it now; None when missing or deactivated."""
    if user_id is None:
        return None
    user = session.get(User, user_id, populate_existing=True)
    if user is None or not user.is_active:
        return None
    return actor_for(session, user)


def utcnow() -> dt.datetime:
    """The current time in UTC, naive (as the database's DateTime columns store it)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class SignInThrottled(ServiceError):
    """Too many failed sign-ins for this username (or from this address) lately; `retry_at` says
    when to try again.

    `params["n"]` is the whole minutes left (at least 1), for `t("accounts.sign_in_throttled", n=…)`
    (`accounts.sign_in_throttled_address` when the address is paused: `by_address`).
    """

    key = "accounts.sign_in_throttled"

    def __init__(self, retry_at: dt.datetime, *, now: dt.datetime, by_address: bool = False) -> None:
        self.retry_at = retry_at
        self.by_address = by_address
        minutes = max(1, math.ceil((retry_at - now).total_seconds() / 60))
        super().__init__("accounts.sign_in_throttled_address" if by_address else self.key, n=minutes)


def _attempt_name(name: str) -> str:
    return name[:USERNAME_MAX]  # longer names are never an account's; they are cut before hashing


def clean_address(address: object) -> str | None:
    """A client address as stored: trimmed and cut to ADDRESS_MAX; None when there is none."""
    if not isinstance(address, str) or not address.strip():
        return None
    return address.strip()[:ADDRESS_MAX]


def _name_secret(session: Session) -> bytes:
    """This database's secret for `name_key`, made (in the caller's transaction) when missing."""
    stored = session.scalar(select(Meta.value).where(Meta.key == SIGN_IN_SECRET_KEY))
    if stored is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(Meta)
            .values(key=SIGN_IN_SECRET_KEY, value=secrets.token_hex(32))
            .on_conflict_do_nothing(index_elements=["key"])
        )
        stored = session.scalar(select(Meta.value).where(Meta.key == SIGN_IN_SECRET_KEY))
    assert stored is not None
    return bytes.fromhex(stored)


def name_key(session: Session, username: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) attempts are recorded and throttled by, for a username
    as typed: normalised and cut as `authenticate` does. The key is this database's own (app_meta
    `sign_in_name_key`), so a list of guessed names cannot be hashed elsewhere and compared.
    Must agree with migrations/versions/0006's `_key`."""
    name = _attempt_name(normalize_username(username))
    return hmac.new(_name_secret(session), name.encode("utf-8"), hashlib.sha256).hexdigest()


def _locked_until(failures: list[dt.datetime], most: int, now: dt.datetime) -> dt.datetime | None:
    """The end of the lock `failures` (newest first) put on at `now`, or None (`throttled_until`)."""
    for at in failures:
        if at + SIGN_IN_LOCKOUT <= now:
            break
        if sum(1 for other in failures if at - SIGN_IN_WINDOW < other <= at) >= most:
            return at + SIGN_IN_LOCKOUT
    return None


def _recent_failures(session: Session, which: Any, now: dt.datetime) -> list[dt.datetime]:
    return sorted(
        session.scalars(
            select(SignInAttempt.at).where(
                which,
                SignInAttempt.succeeded.is_(False),
                SignInAttempt.cleared.is_(False),
                SignInAttempt.at > now - SIGN_IN_LOCKOUT - SIGN_IN_WINDOW,
                SignInAttempt.at <= now,
            )
        ).all(),
        reverse=True,
    )


def throttled_until(session: Session, username: str, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When `username` may try again, or None when it is not throttled at `now`.

    Throttled when some failure F less than SIGN_IN_LOCKOUT ago had SIGN_IN_MAX_FAILURES failures
    (itself included) within SIGN_IN_WINDOW up to it; the lock lasts until the latest such F plus
    SIGN_IN_LOCKOUT. Attempts refused while throttled are not recorded, so the lock does not slide;
    failures cleared by `python -m lib.admin unlock` do not count.
    """
    now = now or utcnow()
    if not _attempt_name(normalize_username(username)):
        return None
    failures = _recent_failures(session, SignInAttempt.name_key == name_key(session, username), now)
    return _locked_until(failures, SIGN_IN_MAX_FAILURES, now)


def address_throttled_until(
    session: Session, address: str | None, *, now: dt.datetime | None = None
) -> dt.datetime | None:
    """When `address` may try again, or None: `throttled_until`'s rule with
    SIGN_IN_ADDRESS_MAX_FAILURES failures across every name. An unknown address (None) never is."""
    now = now or utcnow()
    address = clean_address(address)
    if address is None:
        return None
    failures = _recent_failures(session, SignInAttempt.address == address, now)
    return _locked_until(failures, SIGN_IN_ADDRESS_MAX_FAILURES, now)


def record_sign_in_attempt(
    session: Session,
    username: str,
    *,
    succeeded: bool,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Add (flush) one row to `sign_in_attempts`; an empty username is not recorded.

    The name is kept readable only when it is an account's; every row has its `name_key`.
    """
    name = _attempt_name(normalize_username(username))
    if not name:
        return
    known = session.scalar(select(User.id).where(User.username == name)) is not None
    session.add(
        SignInAttempt(
            username=name if known else None,
            name_key=name_key(session, name),
            address=clean_address(address),
            at=now or utcnow(),
            succeeded=succeeded,
            cleared=False,
        )
    )
    session.flush()


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> Actor | None:
    """The Actor when `username` and `password` match an active account, else None.

    Raises SignInThrottled, without checking the password or recording anything, while the name
    or the client's `address` has had too many failures (`throttled_until`,
    `address_throttled_until`); otherwise records the attempt with its address (flushed).
    Unknown usernames still cost one argon2 verification, so timing does not reveal which names
    exist; inactive accounts are refused after the check for the same reason. An outdated hash is
    replaced (flushed). The caller commits, so the attempt is kept; `now` defaults to `utcnow()`.
    """
    now = now or utcnow()
    name = normalize_username(username)
    retry_at = throttled_until(session, name, now=now)
    if retry_at is not None:
        raise SignInThrottled(retry_at, now=now)
    retry_at = address_throttled_until(session, address, now=now)
    if retry_at is not None:
        raise SignInThrottled(retry_at, now=now, by_address=True)
    actor = _check_password(session, name, password)
    record_sign_in_attempt(session, name, succeeded=actor is not None, address=address, now=now)
    return actor


def _check_password(session: Session, name: str, password: str) -> Actor | None:
    if not isinstance(password, str) or len(password) > PASSWORD_MAX:
        password = ""
    user = session.scalar(select(User).where(User.username == name)) if name else None
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return actor_for(session, user)


def _reread(session: Session, actor: Actor | None, action: str) -> Actor:
    """The acting account as the database has it now, inside the caller's transaction.

    `actor` only says who is acting (its id, or its username when it has none); its role and
    places are not trusted, because a form keeps the account as it was when it was drawn. A
    missing, deactivated or renamed account is refused. On PostgreSQL the row is read FOR SHARE, so
    an administrator's change to it waits until this write commits (SQLite's BEGIN IMMEDIATE
    already keeps every other writer out).
    """
    can(None, action)  # an unknown action raises ValueError even for anonymous callers
    if actor is None:
        raise PermissionDenied(action, username=None)
    if actor == COMMAND_LINE:
        return actor
    stmt = select(User).execution_options(populate_existing=True)
    if actor.user_id is not None:
        stmt = stmt.where(User.id == actor.user_id)
    else:
        stmt = stmt.where(User.username == normalize_username(actor.username))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(read=True)
    user = session.scalar(stmt)
    if user is None or not user.is_active or user.username != actor.username:
        raise PermissionDenied(action, username=actor.username)
    return actor_for(session, user)


def require_role(session: Session, actor: Actor | None, action: str) -> Actor:
    """The acting account read again (see `_reread`), refused at once when its role may not do
    `action` anywhere: the check before a service looks anything up."""
    fresh = _reread(session, actor, action)
    if fresh.role not in RULES[action]:
        raise PermissionDenied(action, username=fresh.username)
    return fresh


def require(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    town_code: str | None = None,
    village_code: str | None = None,
) -> Actor:
    """The acting account read again in this transaction (see `_reread`); raise PermissionDenied
    unless it may do `action` on a record in `town_code` / `village_code` now. Services act as the
    Actor this returns, never as the one they were given."""
    fresh = _reread(session, actor, action)
    if not can(fresh, action, town_code=town_code, village_code=village_code):
        raise PermissionDenied(action, username=fresh.username)
    return fresh
