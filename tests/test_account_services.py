"""Account services: editing, deactivating and resetting passwords — validation, who may, the
last-admin rule, audit rows without secrets, and nothing written on refusal; on both databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core.domain import Role
from lib.core.errors import PermissionDenied, ValidationError
from lib.core.models import AuditEntry, Meta, User
from lib.queries.accounts import BROWSE_KEY, accounts, browse_without_sign_in
from lib.rules.permissions import COMMAND_LINE, Actor
from lib.services import auth
from lib.services.accounts import (
    create_user_service,
    reset_password_service,
    set_browse_without_sign_in,
    update_user_service,
)
from lib.services.auth import authenticate, load_actor

TOWN_A, VILLAGE_A1 = "349901100", "349901100201"
TOWN_B, VILLAGE_B1 = "349901101", "349901101204"
PASSWORD = "correct horse"
NEW_PASSWORD = "battery staple"
# username → (role, town, village); ids follow this order: admin 1, lee 2, ted 3, vera 4
ACCOUNTS = {
    "admin": ("admin", None, None),
    "lee": ("leader", None, None),
    "ted": ("town_editor", TOWN_A, None),
    "vera": ("village_editor", None, VILLAGE_A1),
}


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    auth._dummy_hash.cache_clear()
    yield
    auth._dummy_hash.cache_clear()


@pytest.fixture
def session(hand_engine: Engine) -> Iterator[Session]:
    with Session(hand_engine) as session:
        for username, (role, town, village) in ACCOUNTS.items():
            create_user_service(
                session,
                actor=COMMAND_LINE,
                username=username,
                password=PASSWORD,
                display_name=username.title(),
                role=role,
                town_code=town,
                village_code=village,
            )
        yield session


def _actor(session: Session, username: str) -> Actor:
    user_id = session.scalar(select(User.id).where(User.username == username))
    actor = load_actor(session, user_id)
    assert actor is not None
    return actor


def _id(session: Session, username: str) -> int:
    user_id = session.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    return user_id


def _snapshot(session: Session) -> tuple[Any, ...]:
    """Everything these services may write: accounts (with hashes), audit rows, app_meta."""
    session.expire_all()
    users = session.execute(select(User.__table__).order_by(User.id)).all()
    audit = session.scalar(select(func.count()).select_from(AuditEntry))
    meta = session.execute(select(Meta.key, Meta.value).order_by(Meta.key)).all()
    return tuple(users), audit, tuple(meta)


def _profile(session: Session, username: str, **changes: Any) -> dict[str, Any]:
    """The account's current profile as update_user_service's arguments, with `changes`."""
    row = accounts(session).set_index("username").loc[username]
    values = {
        "user_id": int(row["user_id"]),
        "display_name": row["display_name"],
        "role": row["role"],
        "town_code": row["town_code"] if row["role"] == "town_editor" else None,
        "village_code": row["village_code"],
        "can_see_names": bool(row["can_see_names"]),
        "is_active": bool(row["is_active"]),
    }
    return {**values, **changes}


def _last_audit(session: Session) -> AuditEntry:
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    return entry


# --- editing -------------------------------------------------------------------------------------


def test_an_admin_moves_a_town_editor_to_a_village_and_it_is_audited(session: Session) -> None:
    admin = _actor(session, "admin")
    user = update_user_service(
        session,
        actor=admin,
        reason="调到 B1 村",
        **_profile(
            session,
            "ted",
            display_name=" 泰德 ",
            role="village_editor",
            town_code=None,
            village_code=VILLAGE_B1,
            can_see_names=True,
        ),
    )
    ted = _actor(session, "ted")
    assert (ted.display_name, ted.role, ted.town_code, ted.village_code) == (
        "泰德",
        Role.VILLAGE_EDITOR,
        TOWN_B,
        VILLAGE_B1,
    )
    assert ted.can_see_names
    entry = _last_audit(session)
    assert (entry.username, entry.action, entry.table_name, entry.record_key, entry.reason) == (
        "admin",
        "user.update",
        "users",
        str(user.id),
        "调到 B1 村",
    )
    assert '"town_code": "349901100"' in (entry.old_values or "")
    assert f'"village_code": "{VILLAGE_B1}"' in (entry.new_values or "")
    for text in (entry.old_values or "", entry.new_values or ""):
        assert "password" not in text and "$argon2" not in text and PASSWORD not in text


def test_an_unchanged_account_writes_no_audit_row(session: Session) -> None:
    before = _snapshot(session)
    update_user_service(session, actor=_actor(session, "admin"), **_profile(session, "vera"))
    assert _snapshot(session) == before


@pytest.mark.parametrize(
    ("changes", "field", "key"),
    [
        ({"display_name": "  "}, "display_name", "accounts.error.display_name_required"),
        ({"display_name": "名" * 61}, "display_name", "accounts.error.display_name_long"),
        ({"role": "boss"}, "role", "accounts.error.role_unknown"),
        ({"role": "town_editor", "village_code": None}, "town_code", "accounts.error.town_required"),
        (
            {"role": "town_editor", "town_code": "349901999", "village_code": None},
            "town_code",
            "accounts.error.town_unknown",
        ),
        ({"role": "leader"}, "village_code", "accounts.error.village_not_allowed"),
        (
            {"role": "leader", "village_code": None, "town_code": TOWN_A},
            "town_code",
            "accounts.error.town_not_allowed",
        ),
        ({"village_code": None}, "village_code", "accounts.error.village_required"),
        ({"village_code": "x"}, "village_code", "accounts.error.village_unknown"),
        (
            {"town_code": TOWN_A, "village_code": VILLAGE_B1},
            "village_code",
            "accounts.error.village_not_in_town",
        ),
        ({"user_id": 999}, "user_id", "accounts.error.user_unknown"),
    ],
)
def test_a_bad_edit_names_the_field_and_writes_nothing(
    session: Session, changes: dict[str, Any], field: str, key: str
) -> None:
    before = _snapshot(session)
    with pytest.raises(ValidationError) as refused:
        update_user_service(session, actor=_actor(session, "admin"), **_profile(session, "vera", **changes))
    assert refused.value.errors[field] == key
    assert _snapshot(session) == before


def test_a_deactivated_account_cannot_sign_in_and_loses_its_session(session: Session) -> None:
    vera = _id(session, "vera")
    assert load_actor(session, vera) is not None
    update_user_service(session, actor=_actor(session, "admin"), **_profile(session, "vera", is_active=False))
    assert load_actor(session, vera) is None
    assert authenticate(session, "vera", PASSWORD) is None
    session.commit()  # keeps the attempt, as the sign-in form does
    entry = _last_audit(session)
    assert '"is_active": true' in (entry.old_values or "") and '"is_active": false' in (
        entry.new_values or ""
    )
    update_user_service(session, actor=_actor(session, "admin"), **_profile(session, "vera", is_active=True))
    assert authenticate(session, "vera", PASSWORD) is not None


# --- the last admin ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"), [({"is_active": False}, "is_active"), ({"role": "leader"}, "role")]
)
def test_nobody_deactivates_or_demotes_the_last_admin(
    session: Session, changes: dict[str, Any], field: str
) -> None:
    before = _snapshot(session)
    with pytest.raises(ValidationError) as refused:  # the command line is no account of its own
        update_user_service(session, actor=COMMAND_LINE, **_profile(session, "admin", **changes))
    assert refused.value.errors == {field: "accounts.error.last_admin"}
    assert "last active administrator" in str(refused.value)
    with pytest.raises(ValidationError) as refused:  # nor the admin themselves
        update_user_service(session, actor=_actor(session, "admin"), **_profile(session, "admin", **changes))
    assert refused.value.errors == {field: "accounts.error.own_account"}
    assert _snapshot(session) == before


def test_with_two_admins_one_may_go_but_never_by_their_own_hand(session: Session) -> None:
    admin = _actor(session, "admin")
    update_user_service(session, actor=admin, **_profile(session, "lee", role="admin"))
    lee = _actor(session, "lee")
    assert lee.role is Role.ADMIN
    with pytest.raises(ValidationError) as refused:
        update_user_service(session, actor=lee, **_profile(session, "lee", is_active=False))
    assert refused.value.errors == {"is_active": "accounts.error.own_account"}
    update_user_service(session, actor=lee, **_profile(session, "admin", role="leader"))  # another admin may
    assert _actor(session, "admin").role is Role.LEADER
    with pytest.raises(PermissionDenied):  # the demoted admin manages nothing from now on
        update_user_service(
            session, actor=_actor(session, "admin"), **_profile(session, "lee", is_active=False)
        )
    with pytest.raises(ValidationError) as refused:
        update_user_service(session, actor=COMMAND_LINE, **_profile(session, "lee", is_active=False))
    assert refused.value.errors == {"is_active": "accounts.error.last_admin"}


def test_an_admin_may_still_rename_themselves(session: Session) -> None:
    admin = _actor(session, "admin")
    update_user_service(session, actor=admin, **_profile(session, "admin", display_name="管理员"))
    assert _actor(session, "admin").display_name == "管理员"


def test_a_deactivated_admin_does_not_count(session: Session) -> None:
    admin = _actor(session, "admin")
    update_user_service(session, actor=admin, **_profile(session, "lee", role="admin", is_active=False))
    with pytest.raises(ValidationError) as refused:
        update_user_service(session, actor=COMMAND_LINE, **_profile(session, "admin", is_active=False))
    assert refused.value.errors == {"is_active": "accounts.error.last_admin"}


# --- resetting a password ------------------------------------------------------------------------


def test_a_reset_password_replaces_the_old_one_and_is_audited_without_it(session: Session) -> None:
    vera = _id(session, "vera")
    old_hash = session.get_one(User, vera).password_hash
    reset_password_service(session, actor=_actor(session, "admin"), user_id=vera, password=NEW_PASSWORD)
    assert authenticate(session, "vera", PASSWORD) is None
    assert authenticate(session, "vera", NEW_PASSWORD) is not None
    session.commit()
    entry = _last_audit(session)
    assert (entry.username, entry.action, entry.record_key) == ("admin", "user.password_reset", str(vera))
    assert entry.old_values is None
    new_hash = session.get_one(User, vera).password_hash
    for secret in (NEW_PASSWORD, PASSWORD, old_hash, new_hash, "$argon2"):
        assert secret not in (entry.new_values or "")
    assert '"password_reset": true' in (entry.new_values or "")


@pytest.mark.parametrize(
    ("password", "user", "field", "key"),
    [
        ("short", "vera", "password", "accounts.error.password_short"),
        ("x" * 1025, "vera", "password", "accounts.error.password_long"),
        (NEW_PASSWORD, "nobody", "user_id", "accounts.error.user_unknown"),
    ],
)
def test_a_refused_reset_writes_nothing(
    session: Session, password: str, user: str, field: str, key: str
) -> None:
    user_id = _id(session, user) if user != "nobody" else 999
    before = _snapshot(session)
    with pytest.raises(ValidationError) as refused:
        reset_password_service(session, actor=_actor(session, "admin"), user_id=user_id, password=password)
    assert refused.value.errors == {field: key}
    assert _snapshot(session) == before


# --- who may -------------------------------------------------------------------------------------

WRITES: dict[str, Callable[[Session, Actor | None], object]] = {
    "update": lambda s, actor: update_user_service(
        s, actor=actor, **_profile(s, "vera", display_name="Changed", is_active=False)
    ),
    "deactivate": lambda s, actor: update_user_service(s, actor=actor, **_profile(s, "ted", is_active=False)),
    "reset": lambda s, actor: reset_password_service(
        s, actor=actor, user_id=_id(s, "lee"), password=NEW_PASSWORD
    ),
    "browse": lambda s, actor: set_browse_without_sign_in(s, actor=actor, enabled=False),
    "create": lambda s, actor: create_user_service(
        s, actor=actor, username="newbie", password=NEW_PASSWORD, display_name="New", role="leader"
    ),
}


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("who", ["anonymous", "lee", "ted", "vera", "admin", "cli"])
def test_permission_matrix(session: Session, who: str, write: str) -> None:
    actor = (
        {"anonymous": None, "cli": COMMAND_LINE}[who] if who in ("anonymous", "cli") else _actor(session, who)
    )
    before = _snapshot(session)
    if who in ("admin", "cli"):
        WRITES[write](session, actor)
        assert _snapshot(session) != before
        assert _last_audit(session).username == ("cli" if who == "cli" else "admin")
    else:
        with pytest.raises(PermissionDenied) as refused:
            WRITES[write](session, actor)
        assert refused.value.action == "accounts.manage"
        assert _snapshot(session) == before


# --- the browse setting --------------------------------------------------------------------------


def test_toggling_browse_is_audited_and_moves_the_data_version(session: Session) -> None:
    assert browse_without_sign_in(session)  # the hand county lets tests browse it
    version = session.scalar(select(Meta.value).where(Meta.key == "data_version"))
    assert (
        set_browse_without_sign_in(session, actor=_actor(session, "admin"), enabled=False, reason="上线")
        is True
    )
    assert not browse_without_sign_in(session)
    entry = _last_audit(session)
    assert (entry.username, entry.action, entry.table_name, entry.record_key, entry.reason) == (
        "admin",
        "setting.browse",
        "app_meta",
        BROWSE_KEY,
        "上线",
    )
    assert (entry.old_values, entry.new_values) == ('{"value": "1"}', '{"value": "0"}')
    assert session.scalar(select(Meta.value).where(Meta.key == "data_version")) == str(int(version or 0) + 1)
    before = _snapshot(session)
    assert set_browse_without_sign_in(session, actor=_actor(session, "admin"), enabled=False) is False
    assert _snapshot(session) == before  # already off: nothing written
