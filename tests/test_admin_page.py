"""The /admin page under AppTest: an admin lists, creates and edits accounts, resets a password and
turns browsing off; a refused edit shows its field error and writes nothing; others see a notice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.core.db import make_engine
from lib.core.models import AuditEntry, User
from lib.queries.accounts import browse_without_sign_in
from lib.rules.permissions import COMMAND_LINE
from lib.services import auth
from lib.services.accounts import create_user_service
from tests.support.apptest import AppFactory

PAGE = "pages/admin.py"
PASSWORD = "correct horse"
TOWN_A, VILLAGE_A2 = "349901100", "349901100202"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    auth._dummy_hash.cache_clear()
    yield
    auth._dummy_hash.cache_clear()


@pytest.fixture
def url(hand_sqlite_url: str) -> str:
    """The hand county with an admin (id 1), a leader "lee" (2) and a village editor "vera" (3)."""
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        for username, role, village in (
            ("admin", "admin", None),
            ("lee", "leader", None),
            ("vera", "village_editor", VILLAGE_A2),
        ):
            create_user_service(
                session,
                actor=COMMAND_LINE,
                username=username,
                password=PASSWORD,
                display_name=username.title(),
                role=role,
                village_code=village,
            )
    engine.dispose()
    return hand_sqlite_url


def _sign_in(at: AppTest, username: str, password: str = PASSWORD):
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(password)
    return next(b for b in at.sidebar.button if b.label == "Sign in").click().run()


def _button(at: AppTest, label: str):
    return next(b for b in at.main.button if b.label == label)


def _edit_widget(at: AppTest, kind: str, field: str):
    return next(
        w for w in getattr(at, kind) if w.key and w.key.startswith("edit_") and w.key.endswith(f"_{field}")
    )


def _user(url: str, username: str) -> User | None:
    engine = make_engine(url)
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is not None:
            session.expunge(user)
    engine.dispose()
    return user


def _audit_count(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    engine.dispose()
    return count


def test_signed_out_and_non_admins_see_a_notice(open_app: AppFactory, url: str) -> None:
    at = open_app(url, PAGE, lang="en")
    assert not at.exception
    assert at.info[0].value == "Sign in first. Administrators manage accounts."
    assert not at.dataframe and not at.tabs
    for username in ("lee", "vera"):
        at = _sign_in(at, username)
        assert at.info[0].value.startswith("Only administrators manage accounts.")
        assert not at.dataframe and not at.tabs
        at.sidebar.button(key="sign_out").click().run()


def test_the_admin_sees_every_account_and_recent_failed_sign_ins(open_app: AppFactory, url: str) -> None:
    at = open_app(url, PAGE, lang="en")
    at = _sign_in(at, "vera", "wrong password")
    at = _sign_in(at, "ghost", "wrong password")
    at = _sign_in(at, "admin")
    assert not at.exception
    assert [tab.label for tab in at.tabs] == [
        "Accounts",
        "New account",
        "Edit an account",
        "Reset a password",
        "Browsing without sign-in",
        "Failed sign-ins",
    ]
    accounts, failures = at.dataframe[0].value, at.dataframe[1].value
    assert list(accounts["username"]) == ["admin", "lee", "vera"]
    assert list(accounts["role"]) == ["Administrator", "County leader", "Village editor"]
    assert list(accounts["town"]) == ["", "", "Jia Town"] and list(accounts["village"]) == [
        "",
        "",
        "A2 Village",
    ]
    assert list(accounts["is_active"]) == [True, True, True]
    assert accounts["last_sign_in"].notna().tolist() == [True, False, False]  # admin just signed in
    # "ghost" is no account: kept only as a keyed hash, shown as such
    assert sorted(zip(failures["username"], failures["failures"], strict=True)) == [
        ("Unknown name", 1),
        ("vera", 1),
    ]
    assert "3 accounts, 3 of them active." in " ".join(c.value for c in at.caption)


def test_the_admin_creates_an_account(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "admin")
    at.text_input(key="new_username").input("Ted")
    at.text_input(key="new_display_name").input("甲镇录入员")
    at.selectbox(key="new_role").set_value("town_editor")
    at.selectbox(key="new_town").set_value(TOWN_A)
    at.text_input(key="new_password").input("short")
    _button(at, "Create the account").click().run()
    assert not at.exception
    assert "Not saved: correct the fields marked below." in [e.value for e in at.error]
    assert "A password needs at least 8 characters." in [e.value for e in at.error]
    assert _user(url, "ted") is None

    at.text_input(key="new_password").input("ted password")
    _button(at, "Create the account").click().run()
    assert [s.value for s in at.success] == ["Created the account ted."]
    assert at.text_input(key="new_password").value == ""  # the page forgets the password
    ted = _user(url, "ted")
    assert ted is not None and ted.role == "town_editor" and ted.display_name == "甲镇录入员"
    assert "ted" in list(at.dataframe[0].value["username"])
    assert auth.verify_password(ted.password_hash, "ted password")


def test_the_admin_edits_an_account_and_deactivates_it(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "admin")
    at.selectbox(key="edit_user").set_value(3).run()
    assert _edit_widget(at, "text_input", "display_name").value == "Vera"
    assert _edit_widget(at, "selectbox", "role").value == "village_editor"
    assert _edit_widget(at, "selectbox", "village").value == VILLAGE_A2
    _edit_widget(at, "text_input", "display_name").input("Vera Li")
    _edit_widget(at, "checkbox", "names").check()
    _edit_widget(at, "checkbox", "active").uncheck()
    _edit_widget(at, "text_input", "reason").input("调离")
    _button(at, "Save the changes").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Saved the changes to vera."]
    vera = _user(url, "vera")
    assert vera is not None and (vera.display_name, vera.can_see_names, vera.is_active) == (
        "Vera Li",
        True,
        False,
    )
    assert not _edit_widget(at, "checkbox", "active").value  # the form shows what is stored now
    assert "vera · Vera Li (deactivated)" in at.selectbox(key="edit_user").options


def test_a_refused_edit_shows_the_field_error_and_writes_nothing(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "admin")
    before = _audit_count(url)
    at.selectbox(key="edit_user").set_value(3).run()
    assert _edit_widget(at, "selectbox", "town").value == TOWN_A  # her village's town
    _edit_widget(at, "selectbox", "role").set_value("town_editor")
    _edit_widget(at, "selectbox", "town").set_value("")
    _button(at, "Save the changes").click().run()
    errors = [e.value for e in at.error]
    assert errors == ["Not saved: correct the fields marked below.", "A town editor needs a town."]
    at.selectbox(key="edit_user").set_value(1).run()  # the admin's own account
    _edit_widget(at, "checkbox", "active").uncheck()
    _button(at, "Save the changes").click().run()
    assert "You cannot deactivate your own account or give it another role; ask another administrator." in [
        e.value for e in at.error
    ]
    assert _audit_count(url) == before
    admin, vera = _user(url, "admin"), _user(url, "vera")
    assert admin is not None and admin.is_active and vera is not None and vera.role == "village_editor"


def test_the_admin_resets_a_password(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "admin")
    at.selectbox(key="password_user").set_value(2).run()
    at.text_input(key="password_new").input("new lee password")
    at.text_input(key="password_again").input("new lee passw0rd")
    _button(at, "Reset the password").click().run()
    assert "The two passwords differ." in [e.value for e in at.error]
    at.text_input(key="password_new").input("new lee password")
    at.text_input(key="password_again").input("new lee password")
    _button(at, "Reset the password").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Reset the password of lee.")
    assert at.text_input(key="password_new").value == "" and at.text_input(key="password_again").value == ""
    lee = _user(url, "lee")
    assert lee is not None and auth.verify_password(lee.password_hash, "new lee password")
    assert not auth.verify_password(lee.password_hash, PASSWORD)


def test_the_admin_turns_browsing_off(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "admin")
    toggle = at.toggle(key="admin_browse_1")
    assert toggle.value is True
    toggle.set_value(False).run()
    assert not at.exception
    assert "Setting saved." in [s.value for s in at.success]
    assert at.toggle(key="admin_browse_0").value is False
    assert "Now: only signed-in users see the dashboards." in [c.value for c in at.caption]
    engine = make_engine(url)
    with Session(engine) as session:
        assert browse_without_sign_in(session) is False
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and (entry.username, entry.action) == ("admin", "setting.browse")
    engine.dispose()
    at.sidebar.button(key="sign_out").click().run()
    assert at.info[0].value.startswith(
        "Sign in first. This dashboard's data is shown to signed-in users only"
    )


def test_in_chinese_the_page_speaks_chinese(open_app: AppFactory, url: str) -> None:
    at = open_app(url, PAGE, lang="zh")
    assert at.title[0].value == "账号管理"
    assert at.info[0].value == "请先登录。账号由系统管理员管理。"
    at.sidebar.text_input(key="sign_in_username").input("admin")
    at.sidebar.text_input(key="sign_in_password").input(PASSWORD)
    next(b for b in at.sidebar.button if b.label == "登录").click().run()
    assert not at.exception
    assert [tab.label for tab in at.tabs] == [
        "账号列表",
        "新建账号",
        "修改账号",
        "重置密码",
        "未登录浏览",
        "登录失败记录",
    ]
    assert list(at.dataframe[0].value["role"]) == ["系统管理员", "县领导", "村级录入员"]
    assert at.selectbox(key="new_role").options == ["县领导", "乡镇录入员", "村级录入员", "系统管理员"]


def test_failed_sign_ins_by_address_and_unknown_names_in_both_languages(
    open_app: AppFactory, url: str
) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        for name in ("guess1", "guess2", "my password 1"):
            assert auth.authenticate(session, name, "wrong", address="10.0.0.7") is None
        session.commit()
    engine.dispose()
    for lang, unknown, label in (("en", "Unknown name", "Sign in"), ("zh", "未知用户名", "登录")):
        at = open_app(url, PAGE, lang=lang)
        at.sidebar.text_input(key="sign_in_username").input("admin")
        at.sidebar.text_input(key="sign_in_password").input(PASSWORD)
        at = next(b for b in at.sidebar.button if b.label == label).click().run()
        assert not at.exception
        failures, by_address = at.dataframe[1].value, at.dataframe[2].value
        assert list(failures["username"]) == [unknown] * 3
        assert "my password" not in failures.to_string()
        assert list(zip(by_address["address"], by_address["failures"], by_address["names"], strict=True)) == [
            ("10.0.0.7", 3, 3)
        ]
