"""Reading accounts for /admin: the account list, recent failed sign-ins, the browse setting.

Accounts are not dashboard data (their writes do not bump the data version), so pages read these
uncached; none of them returns a password hash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.core.models import Meta, SignInAttempt, Town, User, Village

# app_meta key: "1" lets anyone browse the dashboards without signing in; missing or "0": nobody.
BROWSE_KEY = "browse_without_sign_in"

ACCOUNT_COLUMNS = [
    "user_id",
    "username",
    "display_name",
    "role",
    "town_code",
    "town_name_zh",
    "town_name_en",
    "village_code",
    "village_name_zh",
    "village_name_en",
    "can_see_names",
    "is_active",
    "created_at",
    "last_sign_in",
]
FAILED_SIGN_IN_COLUMNS = ["username", "failures", "last_at"]
FAILED_BY_ADDRESS_COLUMNS = ["address", "failures", "names", "last_at"]


def browse_enabled(facts: Mapping[str, str]) -> bool:
    """Whether app_meta's facts (`lib.queries.common.meta`) allow browsing without signing in."""
    return facts.get(BROWSE_KEY) == "1"


def browse_without_sign_in(session: Session) -> bool:
    """The browse setting as stored now; off when app_meta does not have it."""
    return session.scalar(select(Meta.value).where(Meta.key == BROWSE_KEY)) == "1"


def has_accounts(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(User)))


def accounts(session: Session) -> pd.DataFrame:
    """Every account by username, with its places and its last successful sign-in (NaT if none).

    A village editor's town is the village's town.
    """
    last = (
        select(SignInAttempt.username, func.max(SignInAttempt.at).label("last_sign_in"))
        .where(SignInAttempt.succeeded.is_(True))
        .group_by(SignInAttempt.username)
        .subquery()
    )
    town_id = func.coalesce(Village.town_id, User.town_id)
    stmt = (
        select(
            User.id,
            User.username,
            User.display_name,
            User.role,
            Town.code,
            Town.name_zh,
            Town.name_en,
            Village.code,
            Village.name_zh,
            Village.name_en,
            User.can_see_names,
            User.is_active,
            User.created_at,
            last.c.last_sign_in,
        )
        .outerjoin(Village, Village.id == User.village_id)
        .outerjoin(Town, Town.id == town_id)
        .outerjoin(last, last.c.username == User.username)
        .order_by(User.username)
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=ACCOUNT_COLUMNS)
    for column in ACCOUNT_COLUMNS[4:10]:  # places: None where the role has none (not NaN)
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    for column in ("can_see_names", "is_active"):
        frame[column] = frame[column].astype(bool)
    for column in ("created_at", "last_sign_in"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def failed_sign_ins(session: Session, *, since: dt.datetime) -> pd.DataFrame:
    """Failed sign-ins since `since` by name typed (known or not): how many, and the latest; newest
    first. `username` is None for a name that is no account (only its keyed hash is stored)."""
    last_at = func.max(SignInAttempt.at)
    stmt = (
        select(func.max(SignInAttempt.username), func.count(), last_at)
        .where(SignInAttempt.succeeded.is_(False), SignInAttempt.at >= since)
        .group_by(SignInAttempt.name_key)
        .order_by(last_at.desc(), SignInAttempt.name_key)
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=FAILED_SIGN_IN_COLUMNS)
    frame["username"] = frame["username"].astype(object).where(frame["username"].notna(), None)
    frame["last_at"] = pd.to_datetime(frame["last_at"])
    return frame


def failed_sign_ins_by_address(session: Session, *, since: dt.datetime) -> pd.DataFrame:
    """Failed sign-ins since `since` by client address (where known): how many, for how many
    different names, and the latest; newest first."""
    last_at = func.max(SignInAttempt.at)
    stmt = (
        select(
            SignInAttempt.address, func.count(), func.count(func.distinct(SignInAttempt.name_key)), last_at
        )
        .where(
            SignInAttempt.succeeded.is_(False),
            SignInAttempt.at >= since,
            SignInAttempt.address.is_not(None),
        )
        .group_by(SignInAttempt.address)
        .order_by(last_at.desc(), SignInAttempt.address)
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=FAILED_BY_ADDRESS_COLUMNS)
    frame["last_at"] = pd.to_datetime(frame["last_at"])
    return frame
