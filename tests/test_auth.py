"""Accounts: argon2 hashes, signing in, account validation, the permission matrix, the sign-in form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib import demo
from lib.core.db import make_engine
from lib.core.domain import Role
from lib.core.errors import PermissionDenied, ValidationError
from lib.core.models import AuditEntry, Meta, SignInSession, Town, User, Village
from lib.demo import county, loader
from lib.rules.permissions import ACCOUNTS_MANAGE, RULES, TRAINING_ENROL, Actor, Scope, can
from lib.services import auth
from lib.services.accounts import create_user, create_user_service
from lib.services.auth import authenticate, hash_password, load_actor, needs_rehash, require, verify_password
from tests.support.apptest import AppFactory

# The hand county (tests/hand_county.py): town A and its village A1; town B and its village B1.
TOWN_A, VILLAGE_A1 = "349901100", "349901100201"
TOWN_B, VILLAGE_B1 = "349901101", "349901101204"
PASSWORD = "correct horse"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # fast hashes for most tests


@pytest.fixture
def real_argon2() -> None:
    """Keep argon2's real parameters (for the tests that ask for this fixture)."""


@pytest.fixture(autouse=True)
def cheap_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2's real parameters cost ~0.2 s a hash; all but `real_argon2` tests use cheap ones."""
    if "real_argon2" not in request.fixturenames:
        monkeypatch.setattr(auth, "_hasher", CHEAP)
    auth._dummy_hash.cache_clear()
    yield
    auth._dummy_hash.cache_clear()


@pytest.fixture
def session(hand_engine: Engine) -> Iterator[Session]:
    with Session(hand_engine) as session:
        yield session


def _user(session: Session, username: str = "admin", role: Role = Role.ADMIN, **extra: Any) -> User:
    user = create_user(
        session, username=username, password=PASSWORD, display_name=username.title(), role=role, **extra
    )
    session.commit()
    return user


def _count(session: Session, model: type[User] | type[AuditEntry]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- hashing ------------------------------------------------------------------------------------


def test_hash_round_trip_and_wrong_password(real_argon2: None) -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert verify_password(hashed, PASSWORD)
    assert not verify_password(hashed, "correct horse ")
    assert not verify_password(hashed, "")
    assert hash_password(PASSWORD) != hashed  # salted
    assert not needs_rehash(hashed)


def test_broken_hashes_never_match() -> None:
    assert not verify_password("not a hash", PASSWORD)
    assert not verify_password("", "")
    assert needs_rehash("not a hash")


def test_outdated_hash_is_replaced_at_sign_in(session: Session) -> None:
    user = _user(session)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    user.password_hash = weak
    session.commit()
    assert needs_rehash(weak)
    assert authenticate(session, "admin", PASSWORD) is not None
    session.commit()
    session.refresh(user)
    assert user.password_hash != weak and not needs_rehash(user.password_hash)
    assert verify_password(user.password_hash, PASSWORD)


# --- signing in ---------------------------------------------------------------------------------


def test_authenticate_gives_the_actor_with_its_places(session: Session) -> None:
    _user(session, "ted", Role.TOWN_EDITOR, town_code=TOWN_A)
    _user(session, "vera", Role.VILLAGE_EDITOR, village_code=VILLAGE_A1, can_see_names=True)
    ted = authenticate(session, "ted", PASSWORD)
    assert ted is not None
    assert (ted.role, ted.town_code, ted.village_code, ted.can_see_names) == (
        Role.TOWN_EDITOR,
        TOWN_A,
        None,
        False,
    )
    vera = authenticate(session, " VERA ", PASSWORD)  # case and surrounding spaces do not matter
    assert vera is not None
    assert (vera.username, vera.display_name, vera.role) == ("vera", "Vera", Role.VILLAGE_EDITOR)
    assert (vera.town_code, vera.village_code, vera.can_see_names) == (TOWN_A, VILLAGE_A1, True)
    with pytest.raises(AttributeError):
        vera.role = Role.ADMIN  # type: ignore[misc]  # frozen


def test_authenticate_refuses_wrong_unknown_and_inactive(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = _user(session)
    assert authenticate(session, "admin", "wrong password") is None
    assert authenticate(session, "admin", "") is None
    assert authenticate(session, "", PASSWORD) is None
    assert authenticate(session, "admin", PASSWORD * 200) is None  # over the length limit
    checked: list[str] = []
    real_verify = auth.verify_password

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", spy)
    assert authenticate(session, "nobody", PASSWORD) is None
    assert checked == [auth._dummy_hash()]  # an unknown name still costs one verification
    user.is_active = False
    session.commit()
    checked.clear()
    assert authenticate(session, "admin", PASSWORD) is None
    assert checked == [user.password_hash]
    assert load_actor(session, user.id) is None  # a deactivated account loses its session too
    assert load_actor(session, 999) is None and load_actor(session, None) is None


# --- creating accounts --------------------------------------------------------------------------

GOOD = {
    "username": "ted",
    "password": PASSWORD,
    "display_name": "Ted",
    "role": "town_editor",
    "town_code": TOWN_A,
}


@pytest.mark.parametrize(
    ("changes", "field", "key", "params"),
    [
        ({"username": "ab"}, "username", "accounts.error.username_length", {"min": 3, "max": 40}),
        ({"username": "a" * 41}, "username", "accounts.error.username_length", {"min": 3, "max": 40}),
        ({"username": "张三丰"}, "username", "accounts.error.username_chars", {}),
        ({"username": "ted smith"}, "username", "accounts.error.username_chars", {}),
        ({"username": "ted'; DROP TABLE users;--"}, "username", "accounts.error.username_chars", {}),
        ({"username": "ADMIN"}, "username", "accounts.error.username_taken", {"username": "admin"}),
        ({"password": "short"}, "password", "accounts.error.password_short", {"min": 8}),
        ({"password": "x" * 1025}, "password", "accounts.error.password_long", {"max": 1024}),
        ({"display_name": "   "}, "display_name", "accounts.error.display_name_required", {}),
        ({"display_name": "名" * 61}, "display_name", "accounts.error.display_name_long", {"max": 60}),
        ({"display_name": "Ted\x00"}, "display_name", "accounts.error.display_name_chars", {}),
        ({"role": "boss"}, "role", "accounts.error.role_unknown", {"role": "boss"}),
        ({"town_code": None}, "town_code", "accounts.error.town_required", {}),
        ({"town_code": "349901999"}, "town_code", "accounts.error.town_unknown", {"code": "349901999"}),
        ({"village_code": VILLAGE_A1}, "village_code", "accounts.error.village_not_allowed", {}),
        ({"role": "leader"}, "town_code", "accounts.error.town_not_allowed", {}),
        (
            {"role": "admin", "town_code": None, "village_code": VILLAGE_A1},
            "village_code",
            "accounts.error.village_not_allowed",
            {},
        ),
        ({"role": "village_editor"}, "village_code", "accounts.error.village_required", {}),
        (
            {"role": "village_editor", "town_code": None, "village_code": "x"},
            "village_code",
            "accounts.error.village_unknown",
            {"code": "x"},
        ),
        (
            {"role": "village_editor", "village_code": VILLAGE_B1},
            "village_code",
            "accounts.error.village_not_in_town",
            {"code": VILLAGE_B1, "town": TOWN_A},
        ),
    ],
)
def test_create_user_names_each_bad_field_and_writes_nothing(
    session: Session, changes: dict[str, object], field: str, key: str, params: dict[str, object]
) -> None:
    _user(session)
    with pytest.raises(ValidationError) as caught:
        create_user(session, **{**GOOD, **changes})  # type: ignore[arg-type]
    error = caught.value
    assert list(error.errors) == [field] and error.errors[field] == key
    assert params.items() <= error.params_for(field).items()
    assert str(error).startswith(f"{field}: ")
    assert not session.new
    session.commit()
    assert _count(session, User) == 1


def test_create_user_reports_every_bad_field_at_once(session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        create_user(session, username="x", password="", display_name="", role="boss", town_code=TOWN_A)
    assert set(caught.value.errors) == {"username", "password", "display_name", "role"}
    assert caught.value.params == {"n": 4}


def test_create_user_stores_a_hash_and_the_places(session: Session) -> None:
    user = _user(session, "Vera.Li-2", Role.VILLAGE_EDITOR, village_code=VILLAGE_A1, town_code=TOWN_A)
    town_a = session.scalar(select(Town.id).where(Town.code == TOWN_A))
    village = session.scalar(select(Village.id).where(Village.code == VILLAGE_A1))
    assert (user.username, user.role, user.town_id, user.village_id) == (
        "vera.li-2",
        "village_editor",
        town_a,
        village,
    )
    assert user.is_active and not user.can_see_names
    assert user.password_hash != PASSWORD and verify_password(user.password_hash, PASSWORD)


# --- the account service ------------------------------------------------------------------------


def test_first_account_needs_no_actor_and_is_audited_without_secrets(session: Session) -> None:
    version = session.scalar(select(Meta.value).where(Meta.key == "data_version"))
    user = create_user_service(
        session, actor=None, username="root", password=PASSWORD, display_name="根", role="admin"
    )
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.user_id, entry.username, entry.action, entry.table_name, entry.record_key) == (
        None,
        "system",
        "user.create",
        "users",
        str(user.id),
    )
    assert entry.old_values is None and entry.new_values is not None
    assert user.password_hash not in entry.new_values and PASSWORD not in entry.new_values
    assert "password" not in entry.new_values and '"display_name": "根"' in entry.new_values
    assert session.scalar(select(Meta.value).where(Meta.key == "data_version")) == version


def test_later_accounts_need_an_admin(session: Session) -> None:
    admin = create_user_service(
        session, actor=None, username="root", password=PASSWORD, display_name="Root", role="admin"
    )
    town_editor = create_user_service(
        session,
        actor=authenticate(session, "root", PASSWORD),
        username="ted",
        password=PASSWORD,
        display_name="Ted",
        role="town_editor",
        town_code=TOWN_A,
        reason="new staff",
    )
    entry = session.scalars(select(AuditEntry).where(AuditEntry.record_key == str(town_editor.id))).one()
    assert (entry.user_id, entry.username, entry.reason) == (admin.id, "root", "new staff")
    assert f'"town_code": "{TOWN_A}"' in (entry.new_values or "")
    ted = authenticate(session, "ted", PASSWORD)
    for actor in (None, ted):
        with pytest.raises(PermissionDenied) as caught:
            create_user_service(
                session, actor=actor, username="eve", password=PASSWORD, display_name="Eve", role="admin"
            )
        assert caught.value.action == ACCOUNTS_MANAGE
    assert _count(session, User) == 2 and _count(session, AuditEntry) == 2


def test_a_refused_account_leaves_no_audit_row(session: Session) -> None:
    with pytest.raises(ValidationError):
        create_user_service(
            session, actor=None, username="root", password="short", display_name="Root", role="admin"
        )
    assert _count(session, User) == 0 and _count(session, AuditEntry) == 0


def test_demo_accounts_sign_in_with_the_documented_password(empty_engine: Engine) -> None:
    rows = county._Rows()
    rows.add(Town, {"id": 6, "code": demo.DEMO_TOWN_CODE, "name_zh": "八里河镇", "name_en": "Balihe Town"})
    for number, poor in ((77, False), (78, True), (79, True)):
        rows.add(
            Village,
            {
                "id": number,
                "code": f"{demo.DEMO_TOWN_CODE}{number + 126}",
                "town_id": 6,
                "name_zh": f"{number}村",
                "name_en": f"Village {number}",
                "is_poor": poor,
            },
        )
    with Session(empty_engine) as session:
        for model in (Town, Village):
            session.execute(insert(model), rows.tables[model])
        assert loader._insert_demo_accounts(session, rows) == 4
        session.commit()
        assert loader._insert_demo_accounts(session, rows) == 0  # never twice
        signed_in = {name: authenticate(session, name, demo.DEMO_PASSWORD) for name, *_ in demo.DEMO_ACCOUNTS}
        admin = signed_in["admin"]
        # the id sequence moved past the demo's explicit ids (PostgreSQL), so new accounts fit
        extra = create_user_service(
            session, actor=admin, username="extra", password=PASSWORD, display_name="Extra", role="leader"
        )
        assert extra.id == 5
    assert {name: actor.role for name, actor in signed_in.items() if actor} == {
        "admin": Role.ADMIN,
        "leader": Role.LEADER,
        "balihe": Role.TOWN_EDITOR,
        "balihe-village": Role.VILLAGE_EDITOR,
    }
    village_editor = signed_in["balihe-village"]
    assert village_editor is not None
    assert (village_editor.town_code, village_editor.village_code) == (demo.DEMO_TOWN_CODE, "349901105204")
    assert village_editor.display_name == "78村录入员（演示）"


# --- permissions --------------------------------------------------------------------------------

LEADER = Actor(1, "leader", "Leader", Role.LEADER, can_see_names=True)
TOWN_EDITOR = Actor(2, "ted", "Ted", Role.TOWN_EDITOR, town_code=TOWN_A)
VILLAGE_EDITOR = Actor(3, "vera", "Vera", Role.VILLAGE_EDITOR, town_code=TOWN_A, village_code=VILLAGE_A1)
ADMIN = Actor(4, "admin", "Admin", Role.ADMIN)
ACTORS = {"anonymous": None, "leader": LEADER, "town": TOWN_EDITOR, "village": VILLAGE_EDITOR, "admin": ADMIN}
PLACES = {
    "own village": {"town_code": TOWN_A, "village_code": VILLAGE_A1},
    "own town": {"town_code": TOWN_A},
    "other town": {"town_code": TOWN_B, "village_code": VILLAGE_B1},
    "nowhere": {},
}
# (action, actor) → the places where it is allowed
ALLOWED = {
    (TRAINING_ENROL, "admin"): set(PLACES),
    (TRAINING_ENROL, "town"): {"own village", "own town"},
    (ACCOUNTS_MANAGE, "admin"): set(PLACES),
}


@pytest.fixture(scope="module")
def accounts_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """The hand county on SQLite with an account for each Actor above (ids 1–4, as they say)."""
    from lib.core.schema import upgrade
    from tests.hand_county import load_hand_county
    from tests.support.accounts import store_accounts

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('permissions') / 'hand.db'}")
    upgrade(engine)
    with Session(engine) as session:
        load_hand_county(session)
        store_accounts(session, LEADER, TOWN_EDITOR, VILLAGE_EDITOR, ADMIN)
        stored = session.execute(select(User.id, User.username).order_by(User.id)).all()
        assert stored == [(1, "leader"), (2, "ted"), (3, "vera"), (4, "admin")]
        yield session
    engine.dispose()


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("who", sorted(ACTORS))
@pytest.mark.parametrize("action", [TRAINING_ENROL, ACCOUNTS_MANAGE])
def test_permission_matrix(accounts_session: Session, action: str, who: str, place: str) -> None:
    actor, where = ACTORS[who], PLACES[place]
    expected = place in ALLOWED.get((action, who), set())
    assert can(actor, action, **where) is expected
    if expected:
        assert require(accounts_session, actor, action, **where) == actor
    else:
        with pytest.raises(PermissionDenied) as caught:
            require(accounts_session, actor, action, **where)
        assert caught.value.action == action and caught.value.key == "services.permission_denied"
    accounts_session.rollback()


def test_every_action_has_a_rule_and_leaders_write_nothing() -> None:
    from lib.rules import permissions as auth_module

    actions = {
        value
        for name, value in vars(auth_module).items()
        if name.isupper() and isinstance(value, str) and "." in value
    }
    assert {TRAINING_ENROL, ACCOUNTS_MANAGE} <= actions
    assert set(RULES) == actions  # every action constant has a rule, and every rule a constant
    assert all(Role.LEADER not in rule for rule in RULES.values())


def test_village_scope_needs_the_actors_own_village(monkeypatch: pytest.MonkeyPatch) -> None:
    """A village-scoped rule, as issue 6's forms will add with one line."""
    monkeypatch.setitem(RULES, "household.update", {Role.VILLAGE_EDITOR: Scope.VILLAGE})
    assert can(VILLAGE_EDITOR, "household.update", village_code=VILLAGE_A1)
    assert can(VILLAGE_EDITOR, "household.update", town_code=TOWN_A, village_code=VILLAGE_A1)
    assert not can(VILLAGE_EDITOR, "household.update", town_code=TOWN_B, village_code=VILLAGE_A1)
    assert not can(VILLAGE_EDITOR, "household.update", village_code=VILLAGE_B1)
    assert not can(VILLAGE_EDITOR, "household.update", town_code=TOWN_A)
    assert not can(TOWN_EDITOR, "household.update", town_code=TOWN_A, village_code=VILLAGE_A1)


def test_unknown_actions_fail_loudly(accounts_session: Session) -> None:
    for actor in (None, ADMIN):
        with pytest.raises(ValueError, match="unknown action"):
            can(actor, "training.enroll")
        with pytest.raises(ValueError, match="unknown action"):
            require(accounts_session, actor, "training.enroll")


# --- the sign-in form ---------------------------------------------------------------------------


@pytest.fixture
def url_with_account(hand_sqlite_url: str) -> str:
    """The hand county with one account: "ted", a county leader."""
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
    submit = next(b for b in at.sidebar.button if b.label == "Sign in")
    return submit.click().run()


def _sidebar_text(at: AppTest) -> str:
    return " ".join(str(m.value) for m in [*at.sidebar.markdown, *at.sidebar.error, *at.sidebar.warning])


def test_sign_in_through_the_sidebar(open_app: AppFactory, url_with_account: str) -> None:
    at = open_app(url_with_account, lang="en")
    assert not at.exception
    assert "Sign in" in [b.label for b in at.sidebar.button]

    at = _sign_in(at, "ted", "wrong password")
    assert not at.exception
    assert "Wrong username or password" in _sidebar_text(at)
    assert "account" not in at.session_state
    assert at.sidebar.text_input(key="sign_in_password").value == ""  # the form forgets it

    at = _sign_in(at, "TED", PASSWORD)
    assert not at.exception
    assert "Ted Wu · County leader" in _sidebar_text(at)
    assert at.session_state["account"] == {"user_id": 1, "username": "ted", "session_id": 1}
    assert "Sign in" not in [b.label for b in at.sidebar.button]

    at.sidebar.button(key="sign_out").click().run()
    assert "account" not in at.session_state
    assert "Sign in" in [b.label for b in at.sidebar.button]


def test_a_deactivated_account_is_signed_out(open_app: AppFactory, url_with_account: str) -> None:
    at = _sign_in(open_app(url_with_account, lang="en"), "ted", PASSWORD)
    assert "account" in at.session_state
    engine = make_engine(url_with_account)
    with Session(engine) as session:
        session.get_one(User, 1).is_active = False
        session.commit()
    engine.dispose()
    at.run()
    assert "account" not in at.session_state
    assert "account was deactivated or changed" in _sidebar_text(at)


def test_signing_out_in_one_tab_ends_the_sign_in_in_the_others(
    open_app: AppFactory, url_with_account: str
) -> None:
    """Two tabs of one user (two script sessions): a sign-out in one ends the other at its next run."""
    first = _sign_in(open_app(url_with_account, lang="en"), "ted", PASSWORD)
    second = _sign_in(open_app(url_with_account, lang="en"), "ted", PASSWORD)
    assert "Ted Wu · County leader" in _sidebar_text(first) and "account" in second.session_state

    second.sidebar.button(key="sign_out").click().run()
    assert "Sign in" in [b.label for b in second.sidebar.button]
    first.run()
    assert not first.exception
    assert "account" not in first.session_state
    assert "Sign in" in [b.label for b in first.sidebar.button]
    assert "signed out in another tab or browser" in _sidebar_text(first)

    engine = make_engine(url_with_account)
    with Session(engine) as session:
        assert [row.revoked_at is not None for row in session.scalars(select(SignInSession))] == [True, True]
    engine.dispose()
