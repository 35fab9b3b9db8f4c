"""Writing accounts: permission → validation → one transaction with its audit row.

`create_user`, `update_user` and `set_password` check an account's fields and flush, with no
permission check and no audit row: the `…_service` functions below call them, and tests use
them to set accounts up.

Accounts are not dashboard data, so these services do not bump the data version (the browse
setting does: it lives in app_meta, which every page reads through the version-keyed cache).
Audit rows never hold a password or its hash.

There is always at least one active admin: nobody may deactivate or demote the last one, and no
admin may deactivate or demote their own account (ask another admin), so nobody locks themselves
out. Deactivated accounts, and accounts whose role, places or password change, lose their sign-ins
in every tab and browser at their next page run (`lib.services.sessions`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib.core.domain import Role
from lib.core.errors import ValidationError
from lib.core.models import Meta, SignInAttempt, Town, User, Village
from lib.queries.accounts import BROWSE_KEY
from lib.rules.permissions import ACCOUNTS_MANAGE, Actor
from lib.rules.text_rules import text_problem
from lib.services.auth import (
    DISPLAY_NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    SIGN_IN_LOCKOUT,
    SIGN_IN_WINDOW,
    USERNAME_MAX,
    USERNAME_MIN,
    USERNAME_PATTERN,
    actor_for,
    clean_address,
    hash_password,
    name_key,
    normalize_username,
    require,
    utcnow,
)
from lib.services.common import AUDIT_KEY_MAX, bump_data_version, record_audit, transactional

AUDIT_CREATE = "user.create"
AUDIT_UPDATE = "user.update"
AUDIT_PASSWORD = "user.password_reset"
AUDIT_BROWSE = "setting.browse"
AUDIT_UNLOCK = "sign_in.unlock"


# --- an account's fields, checked -----------------------------------------------------------


def _clean_code(code: object) -> str | None:
    if code is None:
        return None
    text = str(code).strip()
    return text or None


class _Problems:
    """Field errors collected while validating an account; `raise_any` raises them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}
        self.params: dict[str, dict[str, Any]] = {}

    def fail(self, field: str, key: str, **values: Any) -> None:
        self.errors.setdefault(field, key)
        if values and field not in self.params:
            self.params[field] = values

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors, self.params)


@dataclass(frozen=True)
class Placement:
    """An account's validated profile: its name shown, role and where it works (ids)."""

    display_name: str
    role: Role
    town_id: int | None
    village_id: int | None


def _check_new_password(fail: Callable[..., None], password: object) -> None:
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        fail("password", "accounts.error.password_short", min=PASSWORD_MIN)
    elif len(password) > PASSWORD_MAX:
        fail("password", "accounts.error.password_long", max=PASSWORD_MAX)


def _check_placement(
    session: Session,
    fail: Callable[..., None],
    *,
    display_name: object,
    role: Role | str,
    town_code: str | None,
    village_code: str | None,
) -> Placement | None:
    """Validate the shown name, role, town and village (reporting through `fail`); None when bad."""
    errors: set[str] = set()

    def bad(field: str, key: str, **values: Any) -> None:
        errors.add(field)
        fail(field, key, **values)

    shown = display_name.strip() if isinstance(display_name, str) else ""
    if not shown:
        bad("display_name", "accounts.error.display_name_required")
    elif len(shown) > DISPLAY_NAME_MAX:
        bad("display_name", "accounts.error.display_name_long", max=DISPLAY_NAME_MAX)
    elif problem := text_problem(shown, control_key="accounts.error.display_name_chars"):
        bad("display_name", problem[0], **problem[1])

    town_code, village_code = _clean_code(town_code), _clean_code(village_code)
    try:
        role_ = Role(role)
    except ValueError:
        role_ = None
        bad("role", "accounts.error.role_unknown", role=str(role), roles=", ".join(Role))
    if role_ is Role.TOWN_EDITOR:
        if town_code is None:
            bad("town_code", "accounts.error.town_required")
        if village_code is not None:
            bad("village_code", "accounts.error.village_not_allowed", role=role_.value)
    elif role_ is Role.VILLAGE_EDITOR:
        if village_code is None:
            bad("village_code", "accounts.error.village_required")
    elif role_ is not None:
        if town_code is not None:
            bad("town_code", "accounts.error.town_not_allowed", role=role_.value)
        if village_code is not None:
            bad("village_code", "accounts.error.village_not_allowed", role=role_.value)

    town_id = village_id = None
    if town_code is not None and "town_code" not in errors:
        town_id = session.scalar(select(Town.id).where(Town.code == town_code))
        if town_id is None:
            bad("town_code", "accounts.error.town_unknown", code=town_code)
    if village_code is not None and "village_code" not in errors:
        found = session.execute(
            select(Village.id, Village.town_id, Town.code).join(Town).where(Village.code == village_code)
        ).first()
        if found is None:
            bad("village_code", "accounts.error.village_unknown", code=village_code)
        elif town_code is not None and found[2] != town_code:
            bad("village_code", "accounts.error.village_not_in_town", code=village_code, town=town_code)
        else:
            village_id, town_id = found[0], found[1]
    if errors or role_ is None:
        return None
    return Placement(display_name=shown, role=role_, town_id=town_id, village_id=village_id)


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    display_name: str,
    role: Role | str,
    town_code: str | None = None,
    village_code: str | None = None,
    can_see_names: bool = False,
) -> User:
    """Validate and add (flush) a new account; raise ValidationError with every bad field.

    Nothing is written on error. Town editors need a town; village editors a village (their town
    follows from it; a town given too must match); leaders and admins neither. The caller commits
    (`lib.services.accounts.create_user_service` checks permission, audits and commits).
    """
    problems = _Problems()
    name = normalize_username(username)
    if not USERNAME_MIN <= len(name) <= USERNAME_MAX:
        problems.fail("username", "accounts.error.username_length", min=USERNAME_MIN, max=USERNAME_MAX)
    elif not USERNAME_PATTERN.fullmatch(name):
        problems.fail("username", "accounts.error.username_chars")
    elif session.scalar(select(User.id).where(User.username == name)) is not None:
        problems.fail("username", "accounts.error.username_taken", username=name)
    _check_new_password(problems.fail, password)
    placement = _check_placement(
        session,
        problems.fail,
        display_name=display_name,
        role=role,
        town_code=town_code,
        village_code=village_code,
    )
    problems.raise_any()
    assert placement is not None
    user = User(
        username=name,
        display_name=placement.display_name,
        password_hash=hash_password(password),
        role=placement.role.value,
        town_id=placement.town_id,
        village_id=placement.village_id,
        can_see_names=bool(can_see_names),
        is_active=True,
    )
    # No SAVEPOINT here: on SQLite, a savepoint opened before the transaction's first write becomes
    # the outermost transaction and its release commits. A concurrent sign-up of the same name makes
    # the flush fail; the whole transaction is rolled back and the name reported as taken.
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ValidationError(
            {"username": "accounts.error.username_taken"}, {"username": {"username": name}}
        ) from exc
    return user


def update_user(
    session: Session,
    user: User,
    *,
    display_name: str,
    role: Role | str,
    town_code: str | None = None,
    village_code: str | None = None,
    can_see_names: bool = False,
    is_active: bool = True,
) -> None:
    """Validate (as `create_user` does) and apply (flush) an account's new profile.

    Raises ValidationError with every bad field and leaves `user` unchanged. The username and
    password are not changed here (`set_password` for the latter). The caller commits.
    """
    problems = _Problems()
    placement = _check_placement(
        session,
        problems.fail,
        display_name=display_name,
        role=role,
        town_code=town_code,
        village_code=village_code,
    )
    problems.raise_any()
    assert placement is not None
    user.display_name = placement.display_name
    user.role = placement.role.value
    user.town_id = placement.town_id
    user.village_id = placement.village_id
    user.can_see_names = bool(can_see_names)
    user.is_active = bool(is_active)
    session.flush()


def set_password(session: Session, user: User, password: str) -> None:
    """Validate (the length rules of `create_user`) and store (flush) a new password's hash."""
    problems = _Problems()
    _check_new_password(problems.fail, password)
    problems.raise_any()
    user.password_hash = hash_password(password)
    session.flush()


# --- the services -------------------------------------------------------------------------------


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
            actor = require(session, actor, ACCOUNTS_MANAGE)
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


def _account(session: Session, user_id: int) -> User:
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise ValidationError({"user_id": "accounts.error.user_unknown"}, {"user_id": {"id": user_id}})
    return user


def _active_admin_ids(session: Session) -> list[int]:
    """Active admins' ids, their rows locked until commit (PostgreSQL) so two admins cannot
    deactivate each other at once and leave none; SQLite's single writer does the same.

    A service that changes another account calls this before `require`: the acting admin's row is
    among these, and reading it for share first let two admins changing each other's accounts each
    hold their own and wait for the other's (a deadlock).
    """
    stmt = (
        select(User.id)
        .where(User.role == Role.ADMIN.value, User.is_active.is_(True))
        .order_by(User.id)
        .with_for_update()
    )
    return list(session.scalars(stmt).all())


@transactional
def update_user_service(
    session: Session,
    *,
    actor: Actor | None,
    user_id: int,
    display_name: str,
    role: Role | str,
    town_code: str | None = None,
    village_code: str | None = None,
    can_see_names: bool = False,
    is_active: bool = True,
    reason: str | None = None,
) -> User:
    """Change an account's shown name, role, town or village, name visibility and active state.

    Needs ACCOUNTS_MANAGE. Validates as `create_user` does; refuses to deactivate or demote the
    last active admin, or the acting admin's own account (field `is_active` or `role`). Raises
    PermissionDenied or ValidationError and writes nothing when refused; commits otherwise.
    """
    admins = _active_admin_ids(session)
    actor = require(session, actor, ACCOUNTS_MANAGE)
    user = _account(session, user_id)
    old = audit_values(session, user)
    demoted = user.role == Role.ADMIN.value and str(role) != Role.ADMIN.value
    deactivated = bool(user.is_active) and not is_active
    if user.is_active and (demoted or deactivated):
        field = "is_active" if deactivated else "role"
        if actor is not None and actor.user_id == user.id:
            raise ValidationError({field: "accounts.error.own_account"})
        if user.role == Role.ADMIN.value and set(admins) <= {user.id}:
            raise ValidationError({field: "accounts.error.last_admin"})
    update_user(
        session,
        user,
        display_name=display_name,
        role=role,
        town_code=town_code,
        village_code=village_code,
        can_see_names=can_see_names,
        is_active=is_active,
    )
    new = audit_values(session, user)
    if new != old:
        record_audit(
            session,
            actor=actor,
            action=AUDIT_UPDATE,
            table=User.__tablename__,
            key=str(user.id),
            old=old,
            new=new,
            reason=reason,
        )
    return user


@transactional
def reset_password_service(
    session: Session, *, actor: Actor | None, user_id: int, password: str, reason: str | None = None
) -> User:
    """Give an account a new password (the length rules of `create_user`); needs ACCOUNTS_MANAGE.

    The audit row says that the password was reset, never the password or its hash.
    """
    _active_admin_ids(session)
    actor = require(session, actor, ACCOUNTS_MANAGE)
    user = _account(session, user_id)
    set_password(session, user, password)
    record_audit(
        session,
        actor=actor,
        action=AUDIT_PASSWORD,
        table=User.__tablename__,
        key=str(user.id),
        old=None,
        new={"username": user.username, "password_reset": True},
        reason=reason,
    )
    return user


@transactional
def set_browse_without_sign_in(
    session: Session, *, actor: Actor | None, enabled: bool, reason: str | None = None
) -> bool:
    """Let anyone browse the dashboards without signing in (True), or only signed-in users.

    Needs ACCOUNTS_MANAGE; stored in app_meta, audited, and the data version bumped so every
    user's cached pages see it at once (nothing is written when it is already so).
    Returns the previous setting.
    """
    actor = require(session, actor, ACCOUNTS_MANAGE)
    value = "1" if enabled else "0"
    before = session.scalar(select(Meta.value).where(Meta.key == BROWSE_KEY))
    if before == value:
        return enabled  # already so: nothing to write or audit
    if before is None:
        session.execute(insert(Meta).values(key=BROWSE_KEY, value=value))
    else:
        session.execute(update(Meta).where(Meta.key == BROWSE_KEY).values(value=value))
    record_audit(
        session,
        actor=actor,
        action=AUDIT_BROWSE,
        table=Meta.__tablename__,
        key=BROWSE_KEY,
        old=None if before is None else {"value": before},
        new={"value": value},
        reason=reason,
    )
    bump_data_version(session)
    return before == "1"


@transactional
def clear_sign_in_failures(
    session: Session,
    *,
    actor: Actor | None,
    username: str | None = None,
    address: str | None = None,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Stop counting the recent failed sign-ins of `username`, or from `address` (give one), so a
    locked-out account or address may try again at once; returns how many failures that was.

    Needs ACCOUNTS_MANAGE. The failures stay listed on /admin but lib.services.auth's throttling no longer
    counts them. Audited (the name or address and the count); nothing is written when there is
    nothing to clear.
    """
    actor = require(session, actor, ACCOUNTS_MANAGE)
    name, where = normalize_username(username), clean_address(address)
    if bool(name) == (where is not None):
        raise ValidationError({"username": "accounts.error.unlock_what"})
    which = SignInAttempt.name_key == name_key(session, name) if name else SignInAttempt.address == where
    field, value = ("username", name) if name else ("address", str(where))
    now = now or utcnow()
    result = session.execute(
        update(SignInAttempt)
        .where(
            which,
            SignInAttempt.succeeded.is_(False),
            SignInAttempt.cleared.is_(False),
            SignInAttempt.at > now - SIGN_IN_LOCKOUT - SIGN_IN_WINDOW,
        )
        .values(cleared=True)
        .execution_options(synchronize_session=False)
    )
    cleared = int(getattr(result, "rowcount", 0) or 0)
    if cleared:
        record_audit(
            session,
            actor=actor,
            action=AUDIT_UNLOCK,
            table=SignInAttempt.__tablename__,
            key=value[:AUDIT_KEY_MAX],
            old=None,
            new={field: value, "cleared": cleared},
            reason=reason,
        )
    return cleared
