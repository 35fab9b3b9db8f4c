"""Sign-ins that last across reloads and new tabs, for STAY_SIGNED_IN_HOURS, until signed out.

A sign-in (`lib.ui.signed_in.sign_in`, after `lib.services.auth.authenticate`) starts a row of
`sign_in_sessions` in the same transaction (`start_session`) and hands the browser a random token
for its cookie (lib.rules.sign_in_cookie). Only the token's SHA-256 is stored, so the table signs
nobody in. A page run without an account in its tab's memory but with the cookie looks the token
up (`resume_session`) and, while it is good, signs its user in again; every run of a signed-in tab
checks its session again (`session_actor`), so a sign-out in one tab or browser ends the others at
their next run.

A session is good while all of these hold:
- it has not expired (`expires_at`: the sign-in plus STAY_SIGNED_IN_HOURS; it does not slide);
- it was not revoked: signing out revokes every session of the account (`sign_out_everywhere`);
- its account is still active (as `lib.services.auth.load_actor` reads it);
- the account's role, town, village and password are as they were at the sign-in: the row keeps
  `account_stamp`, a digest of them, so a change made anywhere (the admin page, the command line,
  SQL) ends the account's sessions. A password rehashed with stronger argon2 parameters at a
  sign-in changes the stamp too: the account's other sessions end once then.

Anything else (no row, another user's session, a malformed or tampered token) is simply not good:
these functions return None and never raise for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.models import SignInSession, User
from lib.rules.permissions import Actor
from lib.rules.sign_in_cookie import TOKEN_BYTES, well_formed
from lib.services.auth import actor_for, clean_address, utcnow
from lib.services.common import is_row_id, transactional

LAST_SEEN_EVERY = dt.timedelta(minutes=5)  # `resume_session` writes last_seen at most this often


def new_token() -> str:
    """A fresh session token: 256 random bits, URL-safe (what the cookie holds)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the database keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def account_stamp(user: User) -> str:
    """A digest of what a session must not outlive: the account's name, role, places and password
    hash. Never shown; it only tells whether they changed."""
    parts = (
        user.username,
        user.role,
        str(user.town_id or ""),
        str(user.village_id or ""),
        user.password_hash,
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Started:
    """A new session: the token for the cookie (shown nowhere else), its row id, and its lifetime."""

    token: str
    session_id: int
    expires_at: dt.datetime
    max_age: int  # seconds, the cookie's Max-Age


@dataclass(frozen=True)
class Resumed:
    """A good session found from a cookie's token: its account as the database has it now."""

    actor: Actor
    session_id: int


def start_session(
    session: Session,
    actor: Actor,
    *,
    address: str | None = None,
    now: dt.datetime | None = None,
    hours: int | None = None,
) -> Started:
    """Add (flush) a session for `actor`, who has just signed in in this transaction.

    It lasts `hours` (default STAY_SIGNED_IN_HOURS) from `now`. The caller commits with the
    sign-in attempt, so a sign-in and its session are stored together or not at all.
    """
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or not user.is_active:
        raise ValueError("a session starts for an active account that has just signed in")
    now = now or utcnow()
    lifetime = dt.timedelta(hours=hours if hours is not None else config.stay_signed_in_hours())
    token = new_token()
    row = SignInSession(
        token_hash=hash_token(token),
        user_id=user.id,
        account_stamp=account_stamp(user),
        created_at=now,
        expires_at=now + lifetime,
        last_seen=now,
        revoked_at=None,
        address=clean_address(address),
    )
    session.add(row)
    session.flush()
    return Started(token, row.id, row.expires_at, int(lifetime.total_seconds()))


def _good(session: Session, row: SignInSession | None, now: dt.datetime) -> Actor | None:
    """The account of a session that is still good at `now` (module docstring), else None."""
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id, populate_existing=True)
    if user is None or not user.is_active or account_stamp(user) != row.account_stamp:
        return None
    return actor_for(session, user)


def session_actor(
    session: Session, *, session_id: object, user_id: object, now: dt.datetime | None = None
) -> Actor | None:
    """The account of a signed-in tab, read again on every run: its Actor while session
    `session_id` is good and is `user_id`'s; None otherwise. Reads only."""
    if not (is_row_id(session_id) and is_row_id(user_id)):
        return None
    row = session.get(SignInSession, session_id, populate_existing=True)
    if row is None or row.user_id != user_id:
        return None
    return _good(session, row, now or utcnow())


@transactional
def resume_session(session: Session, token: object, *, now: dt.datetime | None = None) -> Resumed | None:
    """The good session a cookie's `token` names, or None (malformed, unknown, expired, revoked, or
    its account deactivated or changed). Notes when it was last seen (at most every
    LAST_SEEN_EVERY, so a busy tab does not write on every reload); commits."""
    if not well_formed(token):
        return None
    assert isinstance(token, str)
    now = now or utcnow()
    row = session.scalar(
        select(SignInSession)
        .where(SignInSession.token_hash == hash_token(token))
        .execution_options(populate_existing=True)
    )
    actor = _good(session, row, now)
    if actor is None or row is None:
        return None
    if now - row.last_seen >= LAST_SEEN_EVERY:
        row.last_seen = now
        session.flush()
    return Resumed(actor, row.id)


@transactional
def sign_out_everywhere(session: Session, *, user_id: object, now: dt.datetime | None = None) -> int:
    """End every session of account `user_id`, in every tab and browser; how many were open.

    Each tab still signed in finds its session revoked at its next run (`session_actor`), and a
    cookie left in a browser no longer signs anyone in. Commits.
    """
    if not is_row_id(user_id):
        return 0
    result = session.execute(
        update(SignInSession)
        .where(SignInSession.user_id == user_id, SignInSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
