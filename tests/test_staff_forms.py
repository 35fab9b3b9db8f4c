"""The attendance and village forms on /updates under AppTest, on the hand county (SQLite).

tina edits town A (349901100); vera is A2's village editor; lee a leader. Session 1 (phase 1 of
the required rotation) has c1 (attended) and c2 (absent) from town A on its roster; A2's first
secretary is c2 (posting 2, since 2018-03-01); c6 is free.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.i18n import CATALOGS
from lib.core.models import Attendance, AuditEntry, Posting, Village
from lib.rules import permissions
from lib.services import auth
from lib.services.accounts import create_user_service
from lib.services.training import record_attendance
from lib.services.villages import update_signature_product
from tests.support.accounts import store_accounts
from tests.support.apptest import AppFactory

PAGE = "pages/updates.py"
TOWN_A, A2 = "349901100", "349901100202"
AS_OF = dt.date(2020, 10, 31)
OTHER = permissions.Actor(user_id=None, username="other", display_name="Other", role=auth.Role.ADMIN)
OTHER_EDITOR = permissions.Actor(
    user_id=None, username="other-editor", display_name="Other", role=auth.Role.TOWN_EDITOR, town_code=TOWN_A
)


@pytest.fixture
def url(hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        for username, role, town, village in (
            ("tina", "town_editor", TOWN_A, None),
            ("vera", "village_editor", None, A2),
            ("lee", "leader", None, None),
        ):
            create_user_service(
                session,
                actor=permissions.COMMAND_LINE,
                username=username,
                password=f"{username}-password",
                display_name=username.title(),
                role=role,
                town_code=town,
                village_code=village,
            )
        store_accounts(session, OTHER, OTHER_EDITOR)
    engine.dispose()
    return hand_sqlite_url


def _sign_in(at: Any, username: str) -> Any:
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(f"{username}-password")
    labels = {CATALOGS[lang]["accounts.sign_in"] for lang in CATALOGS}
    return next(b for b in at.sidebar.button if b.label in labels).click().run()


def _button(at: Any, label: str) -> Any:
    return next(b for b in at.button if b.label == label)


def _read(url: str, statement: Any) -> Any:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.execute(statement).all()
    engine.dispose()
    return rows


def _statuses(url: str) -> dict[int, str]:
    rows = _read(url, select(Attendance.cadre_id, Attendance.status).where(Attendance.session_id == 1))
    return {cadre_id: status for cadre_id, status in rows}


def _open_postings(url: str) -> list[tuple[int, str, dt.date]]:
    return [
        (row[0], row[1], row[2])
        for row in _read(
            url,
            select(Posting.cadre_id, Posting.role, Posting.start_date)
            .where(Posting.village_id == 2, Posting.end_date.is_(None))
            .order_by(Posting.id),
        )
    ]


def _product(url: str) -> tuple[Any, ...]:
    row = _read(
        url,
        select(Village.signature_product_zh, Village.signature_industry_id, Village.version).where(
            Village.code == A2
        ),
    )[0]
    return tuple(row)


def _audit_count(url: str) -> int:
    return int(_read(url, select(func.count()).select_from(AuditEntry))[0][0])


# --- notices ------------------------------------------------------------------------------------


def test_signed_out_and_read_only_accounts_see_notices(open_app: AppFactory, url: str) -> None:
    at = open_app(url, PAGE, lang="en")
    assert not at.exception
    notices = [i.value for i in at.info]
    assert any(
        n.startswith("Sign in first (in the sidebar). Town editors change first secretaries") for n in notices
    )
    assert any(
        n.startswith("Sign in first (in the sidebar). Admins and town editors record") for n in notices
    )
    at = _sign_in(at, "lee")
    notices = [i.value for i in at.info]
    assert "Your account cannot record training attendance; admins and town editors can." in notices
    assert any(
        n.startswith("Your account reads the data; town editors change village staffing") for n in notices
    )
    assert not [b for b in at.button if b.label in ("Save attendance", "Save the signature product")]


# --- attendance ---------------------------------------------------------------------------------


def _open_session_1(at: Any) -> Any:
    return at.selectbox(key="att_session").set_value(1).run()


def test_a_town_editor_ticks_the_roster_and_saves(open_app: AppFactory, url: str) -> None:
    at = _open_session_1(_sign_in(open_app(url, PAGE, lang="en"), "tina"))
    assert not at.exception
    roster = {c.key: c for c in at.checkbox if c.key and c.key.startswith("att_1_")}
    assert set(roster) == {"att_1_1_attended", "att_1_2_absent"}  # town A only: not c4 (town B) or c6
    assert roster["att_1_2_absent"].label == "书记2 · A2 Village · Jia Town (absent)"
    assert "1 attended / 2 on the roster" in [c.value for c in at.caption]

    roster["att_1_2_absent"].check()
    _button(at, "Save attendance").click().run()

    assert not at.exception
    assert [s.value for s in at.success] == ["Attendance saved: 1 change."]
    assert _statuses(url)[2] == "attended"
    assert "2 attended / 2 on the roster" in [c.value for c in at.caption]
    assert at.checkbox(key="att_1_2_attended").value is True


def test_a_walk_in_is_added_from_the_list(open_app: AppFactory, url: str) -> None:
    at = _open_session_1(_sign_in(open_app(url, PAGE, lang="en"), "tina"))
    walk_ins = at.multiselect(key="att_walkins_1")
    assert walk_ins.options == ["书记3 · A3 Village · Jia Town"]  # town A's serving secretaries not enrolled
    walk_ins.select(3)
    _button(at, "Save attendance").click().run()
    assert not at.exception
    assert _statuses(url)[3] == "attended"
    assert at.multiselect(key="att_walkins_1").value == []


def test_a_stale_roster_shows_what_changed(open_app: AppFactory, url: str) -> None:
    at = _open_session_1(_sign_in(open_app(url, PAGE, lang="en"), "tina"))
    engine = make_engine(url)
    with Session(engine) as session:  # someone else records c2 first
        record_attendance(
            session, actor=OTHER, session_id=1, marks={2: "attended"}, expected={2: "absent"}, as_of=AS_OF
        )
    engine.dispose()
    audits = _audit_count(url)

    at.checkbox(key="att_1_1_attended").uncheck()
    _button(at, "Save attendance").click().run()

    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "Someone else changed this attendance" in warning and "书记2: absent → attended" in warning
    assert at.checkbox(key="att_1_2_attended").value is True  # the roster now shows the current status
    assert _statuses(url)[1] == "attended" and _audit_count(url) == audits


# --- the first secretary ------------------------------------------------------------------------


def _open_a2(at: Any) -> Any:
    return at.selectbox(key="vf_village").set_value(A2).run()


SECRETARY = "vf_sec_349901100202_2_1"  # A2's posting widgets: open postings up to id 2, one of them


def test_a_town_editor_replaces_the_first_secretary(open_app: AppFactory, url: str) -> None:
    at = _open_a2(_sign_in(open_app(url, PAGE, lang="en"), "tina"))
    assert not at.exception
    assert any("First secretary **书记2**" in m.value for m in at.markdown)
    at.date_input(key=f"{SECRETARY}_end").set_value(dt.date(2020, 9, 30))
    at.date_input(key=f"{SECRETARY}_start").set_value(dt.date(2020, 10, 1))
    at.selectbox(key=f"{SECRETARY}_cadre").set_value(6)
    at.text_area(key=f"{SECRETARY}_reason").input("派出单位轮换")
    _button(at, "Save the replacement").click().run()

    assert not at.exception
    assert [s.value for s in at.success] == ["First secretary change saved."]
    assert _open_postings(url) == [(6, "first_secretary", dt.date(2020, 10, 1))]
    assert any("First secretary **书记6**" in m.value for m in at.markdown)
    assert any("Only 1 serving in the village" in w.value for w in at.warning)
    assert "This village's staff and product history (2 changes)" in [e.label for e in at.expander]


def test_a_refused_replacement_shows_the_field_error_and_writes_nothing(
    open_app: AppFactory, url: str
) -> None:
    at = _open_a2(_sign_in(open_app(url, PAGE, lang="en"), "tina"))
    audits = _audit_count(url)
    at.date_input(key=f"{SECRETARY}_end").set_value(dt.date(2018, 1, 1))  # before the term began
    _button(at, "Save the replacement").click().run()  # and nobody chosen

    assert not at.exception
    errors = [e.value for e in at.error]
    assert "Not saved: correct the fields marked below." in errors
    assert "The end cannot be before the term began (2018-03-01)." in errors
    assert "Choose a cadre or enter a new one." in errors
    assert _open_postings(url) == [(2, "first_secretary", dt.date(2018, 3, 1))]
    assert _audit_count(url) == audits


def test_a_new_person_is_appointed_with_their_unit(open_app: AppFactory, url: str) -> None:
    at = _open_a2(_sign_in(open_app(url, PAGE, lang="en"), "tina"))
    at.radio(key="vf_sec_mode_349901100202").set_value("new").run()
    at.date_input(key=f"{SECRETARY}_end").set_value(dt.date(2020, 9, 30))
    at.text_input(key=f"{SECRETARY}_name").input("王五")
    at.selectbox(key=f"{SECRETARY}_gender").set_value("M")
    at.number_input(key=f"{SECRETARY}_born").set_value(1982)
    at.text_input(key=f"{SECRETARY}_unit_zh").input("县农业农村局")
    _button(at, "Save the replacement").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["First secretary change saved."]
    assert any("First secretary **王五** (县农业农村局)" in m.value for m in at.markdown)


# --- the signature product ----------------------------------------------------------------------

PRODUCT = "vf_product_349901100202"


def test_a_village_editor_edits_the_product_only(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "vera")
    assert not at.exception
    assert at.selectbox(key="vf_village").options == ["A2 Village · Jia Town"]
    assert "First secretaries and work teams are changed by town editors." in [c.value for c in at.caption]
    assert not [b for b in at.button if b.label in ("Save the replacement", "Add the member")]

    at.text_input(key=f"{PRODUCT}_1_zh").input("高山茶叶")
    at.text_input(key=f"{PRODUCT}_1_en").input("Highland tea")
    at.selectbox(key=f"{PRODUCT}_1_industry").set_value("vegetables")
    _button(at, "Save the signature product").click().run()

    assert not at.exception
    assert [s.value for s in at.success] == ["Signature product saved."]
    assert _product(url) == ("高山茶叶", 1, 2)
    assert at.text_input(key=f"{PRODUCT}_2_zh").value == "高山茶叶"  # the form holds version 2 now
    entry = _read(url, select(AuditEntry.username, AuditEntry.table_name).order_by(AuditEntry.id.desc()))[0]
    assert tuple(entry) == ("vera", "villages")


def test_a_blank_product_is_refused_beside_the_field(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "vera")
    _button(at, "Save the signature product").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors == ["Not saved: correct the fields marked below.", "Required."]
    assert _product(url) == (None, None, 1)


def test_a_stale_product_edit_warns_and_shows_the_current_values(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "vera")
    engine = make_engine(url)
    with Session(engine) as session:
        update_signature_product(
            session,
            actor=OTHER_EDITOR,
            village_code=A2,
            expected_version=1,
            product_zh="土鸡",
            product_en="Free-range chicken",
            industry_code=None,
            reason="乡镇统一调整",
        )
    engine.dispose()

    at.text_input(key=f"{PRODUCT}_1_zh").input("高山茶叶")
    _button(at, "Save the signature product").click().run()

    assert not at.exception
    assert any("Someone else changed this village's signature product" in w.value for w in at.warning)
    assert at.text_input(key=f"{PRODUCT}_2_zh").value == "土鸡"
    assert _product(url) == ("土鸡", None, 2)
    history = next(e for e in at.expander if e.label.startswith("This village's staff and product history"))
    assert list(history.dataframe[0].value["reason"]) == ["乡镇统一调整"]


def test_the_forms_read_in_chinese(open_app: AppFactory, url: str) -> None:
    at = _open_a2(_open_session_1(_sign_in(open_app(url, PAGE, lang="zh"), "tina")))
    assert not at.exception
    assert "出勤 1 人 / 名单 2 人" in [c.value for c in at.caption]
    assert at.checkbox(key="att_1_2_absent").label == "书记2 · A2村 · 甲镇（缺勤）"
    assert {"保存签到", "保存更换", "增加队员", "保存一村一品"} <= {b.label for b in at.button}
    assert {"更换第一书记", "增加驻村工作队员"} <= {e.label for e in at.expander}
    assert any("目前驻村仅 1 人" in w.value for w in at.warning)


def test_ending_the_last_team_member_saves_and_warns(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "tina")  # A1 first: c1 and team member c7 (posting 8)
    assert at.selectbox(key="vf_village").value == "349901100201"
    prefix = "vf_end_349901100201_8_2"
    assert at.selectbox(key=f"{prefix}_posting").options == ["书记7 (in the village since 2018-03-01)"]
    at.date_input(key=f"{prefix}_end").set_value(dt.date(2020, 10, 1))
    _button(at, "Save the departure").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Work-team member's departure saved."]
    assert any("Only 1 serving in the village" in w.value for w in at.warning)
    ended = _read(url, select(Posting.end_date).where(Posting.id == 8))[0][0]
    assert ended == dt.date(2020, 10, 1)
