"""Writing accounts: permission → validation → one transaction with its audit row.

Accounts are not dashboard data, so these services do not bump the data version.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.auth import ACCOUNTS_MANAGE, Actor, actor_for, create_user, require
from lib.models import Role, User
from lib.services.common import record_audit

AUDIT_CREATE = "user.create"


def has_users(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(User)))


def audit_values(session: Session, user: User) -> dict[str, Any]:
    """What the audit log records about an account: never its password or hash."""
    actor = actor_for(session, user)
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "town_code": actor.town_code,
        "village_code": actor.village_code,
        "can_see_names": bool(user.can_see_names),
        "is_active": bool(user.is_active),
    }


def create_user_service(
    session: Session,
    *,
    actor: Actor | None,
    username: str,
    password: str,
    display_name: str,
    role: Role | str,
    town_code: str | None = None,
    village_code: str | None = None,
    can_see_names: bool = False,
    reason: str | None = None,
) -> User:
    """Create an account and its audit row in one transaction, and commit.

    Needs ACCOUNTS_MANAGE, except while the database has no account at all: then anyone
    (actor None) may create the first one — the bootstrap. Raises PermissionDenied or
    ValidationError and writes nothing when refused.
    """
    try:
        if actor is not None or has_users(session):
            require(actor, ACCOUNTS_MANAGE)
        user = create_user(
            session,
            username=username,
            password=password,
            display_name=display_name,
            role=role,
            town_code=town_code,
            village_code=village_code,
            can_see_names=can_see_names,
        )
        record_audit(
            session,
            actor=actor,
            action=AUDIT_CREATE,
            table=User.__tablename__,
            key=str(user.id),
            old=None,
            new=audit_values(session, user),
            reason=reason,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return user
