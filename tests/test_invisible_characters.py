"""Invisible and direction-changing characters are refused in every name and free text a service
validates, as control characters are, with a message that names the character and where it is.

Before: a first secretary's name ending in U+202E or a reason holding U+200B was stored, and U+202E
reversed whatever was shown after it. The hand county (tests/hand_county.py): Vera edits A2
(household h5), Tom edits town A (A2's first secretary is c2, posting 2), Ada is an admin.
"""

from __future__ import annotations

import datetime as dt
import shutil
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.errors import ValidationError
from lib.core.i18n import set_language, t
from lib.core.models import AuditEntry, Household, User
from lib.core.schema import upgrade
from lib.rules import permissions
from lib.rules.permissions import Actor
from lib.rules.text_rules import INVISIBLE_KEY, bad_character, text_problem
from lib.services import accounts, auth
from lib.services.accounts import create_user_service, update_user_service
from lib.services.auth import actor_for
from lib.services.corrections import resolve, send_back
from lib.services.households import record_visit, update_household_status
from lib.services.industry import create_plan
from lib.services.training import record_attendance
from lib.services.villages import NewCadre, add_team_member, replace_first_secretary, update_signature_product
from tests.hand_county import load_hand_county
from tests.support.apptest import AppFactory

AS_OF = dt.date(2020, 10, 31)
TOWN_A, A2, H5 = "349901100", "349901100202", 5
# The five, then the rest of the bidirectional controls and other invisible (Cf) ones.
INVISIBLE = [
    "\u200b",  # zero width space
    "\u202e",  # right-to-left override
    "\ufeff",  # byte order mark (zero width no-break space)
    "\u2066",  # left-to-right isolate
    "\u061c",  # arabic letter mark
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202a",  # left-to-right embedding
    "\u202d",  # left-to-right override
    "\u2069",  # pop directional isolate
    "\u00ad",  # soft hyphen
    "\u2060",  # word joiner
    "\U000e0041",  # tag latin capital letter a
]


def test_every_character_listed_is_a_format_character() -> None:
    assert {unicodedata.category(ch) for ch in INVISIBLE} == {"Cf"}


def test_the_rules() -> None:
    for ch in INVISIBLE:
        found = bad_character(f"王五{ch}六", multiline=True)
        assert found is not None and found.position == 3 and found.char == ch and found.invisible
    assert bad_character("王五\n六\t七", multiline=True) is None  # free text keeps its lines
    assert bad_character("王五\n六") is not None  # a name does not
    assert bad_character("a\u2028b") is not None and bad_character("a\u2028b", multiline=True) is None
    assert bad_character("\x00", multiline=True) is not None and bad_character("\ud800") is not None
    # allowed: ordinary and full-width spaces, private-use characters (rare name characters are
    # kept there) and code points newer than this Python's Unicode tables
    assert bad_character("王\u3000五 李\u00a0四\ue000\U00031350") is None
    assert text_problem("a\u202eb", control_key="x") == (INVISIBLE_KEY, {"code": "U+202E", "position": 2})
    assert text_problem("a\x07b", control_key="x") == ("x", {})


def test_the_message_names_the_character_in_both_languages() -> None:
    params = {"code": "U+202E", "position": 3}
    set_language("en")
    assert t(INVISIBLE_KEY, **params) == (
        "Character 3 is invisible or changes the text's direction (U+202E): "
        "delete it and type the text again."
    )
    set_language("zh")
    assert (
        t(INVISIBLE_KEY, **params)
        == "第 3 个字符是不可见字符或改变文字方向的字符（U+202E），请删去后重新输入。"
    )


# --- every service ------------------------------------------------------------------------------


def _with_accounts(engine: Engine) -> dict[str, Actor]:
    specs = {
        "vera": ("village_editor", None, A2),
        "tom": ("town_editor", TOWN_A, None),
        "ada": ("admin", None, None),
    }
    actors: dict[str, Actor] = {}
    with Session(engine) as session:
        for name, (role, town, village) in specs.items():
            user = accounts.create_user(
                session,
                username=name,
                password=f"{name}-password",
                display_name=name.title(),
                role=role,
                town_code=town,
                village_code=village,
            )
            session.flush()
            actors[name] = actor_for(session, user)
        session.commit()
    return actors


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Actor]]]:
    """The hand county with the three accounts in a SQLite file, made once (migrating takes ~2 s)."""
    path = tmp_path_factory.mktemp("invisible") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as session:
        load_hand_county(session)
    actors = _with_accounts(engine)
    engine.dispose()
    yield path, actors


@pytest.fixture
def county(
    template: tuple[Path, dict[str, Actor]], tmp_path: Path
) -> Iterator[tuple[Engine, dict[str, Actor]]]:
    """A copy of the template for one test, on SQLite."""
    path, actors = template
    copy = tmp_path / "county.db"
    shutil.copyfile(path, copy)
    engine = make_engine(f"sqlite:///{copy}")
    yield engine, actors
    engine.dispose()


def _visit(session: Session, actor: Actor, **overrides: Any) -> int:
    values: dict[str, Any] = {
        "household_id": H5,
        "visited_on": dt.date(2020, 10, 20),
        "visitor_name": "王五",
        "ledger_verified": True,
        "problems": None,
        "satisfied": True,
    }
    return record_visit(session, actor=actor, as_of=AS_OF, **(values | overrides))


def _cadre(**overrides: str) -> NewCadre:
    values = {
        "name": "王五",
        "gender": "M",
        "birth_year": 1980,
        "unit_zh": "县农业农村局",
        "unit_en": "Bureau",
    }
    return NewCadre(**(values | overrides))  # type: ignore[arg-type]


def _replace(session: Session, actor: Actor, new_cadre: NewCadre, reason: str | None = None) -> object:
    return replace_first_secretary(
        session,
        actor=actor,
        village_code=A2,
        expected_posting_id=2,
        ends_on=dt.date(2020, 10, 30),
        starts_on=dt.date(2020, 10, 31),
        new_cadre=new_cadre,
        reason=reason,
        as_of=AS_OF,
    )


def _product(session: Session, actor: Actor, *, product_zh: str, product_en: str | None) -> object:
    return update_signature_product(
        session,
        actor=actor,
        village_code=A2,
        expected_version=1,
        product_zh=product_zh,
        product_en=product_en,
        industry_code=None,
    )


def _id(actor: Actor) -> int:
    assert actor.user_id is not None
    return actor.user_id


Call = Callable[[Session, dict[str, Actor], str], object]

CALLS: dict[str, tuple[str, Call]] = {
    "visit visitor name": ("visitor_name", lambda s, a, x: _visit(s, a["vera"], visitor_name=f"王{x}五")),
    "visit problems": (
        "problems",
        lambda s, a, x: _visit(s, a["vera"], ledger_verified=False, problems=f"台账缺页\n第二{x}行"),
    ),
    "household status reason": (
        "reason",
        lambda s, a, x: update_household_status(
            s,
            actor=a["vera"],
            household_id=H5,
            expected_version=s.get(Household, H5).version,  # type: ignore[union-attr]
            status="poor",
            flags={},
            exit_steps={},
            reason=f"核实{x}",
            as_of=AS_OF,
        ),
    ),
    "industry plan reason": (
        "reason",
        lambda s, a, x: create_plan(
            s,
            actor=a["vera"],
            household_id=H5,
            industry_code="vegetables",
            stage="planned",
            planned_on=dt.date(2020, 10, 1),
            started_on=None,
            partner_org_id=None,
            expected_income=None,
            actual_income=None,
            reason=f"新{x}计划",
            as_of=AS_OF,
        ),
    ),
    "training attendance reason": (
        "reason",
        lambda s, a, x: record_attendance(
            s,
            actor=a["tom"],
            session_id=1,
            marks={1: "absent"},
            expected={1: "attended"},
            as_of=AS_OF,
            reason=f"补{x}录",
        ),
    ),
    "first secretary's name": (
        "name",
        lambda s, a, x: _replace(s, a["tom"], _cadre(name=f"王{x}五")),
    ),
    "first secretary's unit": (
        "unit_zh",
        lambda s, a, x: _replace(s, a["tom"], _cadre(unit_zh=f"县{x}局")),
    ),
    "first secretary's unit in English": (
        "unit_en",
        lambda s, a, x: _replace(s, a["tom"], _cadre(unit_en=f"Bureau{x}")),
    ),
    "first secretary reason": (
        "reason",
        lambda s, a, x: _replace(s, a["tom"], _cadre(), reason=f"轮{x}换"),
    ),
    "team member's name": (
        "name",
        lambda s, a, x: add_team_member(
            s,
            actor=a["tom"],
            village_code=A2,
            starts_on=dt.date(2020, 10, 1),
            new_cadre=_cadre(name=f"{x}李四"),
            as_of=AS_OF,
        ),
    ),
    "signature product": (
        "product_zh",
        lambda s, a, x: _product(s, a["vera"], product_zh=f"茶{x}叶", product_en=None),
    ),
    "signature product in English": (
        "product_en",
        lambda s, a, x: _product(s, a["vera"], product_zh="茶叶", product_en=f"Tea{x}"),
    ),
    "new account's name": (
        "display_name",
        lambda s, a, x: create_user_service(
            s,
            actor=a["ada"],
            username="newbie",
            password="long enough",
            display_name=f"新{x}人",
            role="leader",
        ),
    ),
    "account's new name": (
        "display_name",
        lambda s, a, x: update_user_service(
            s,
            actor=a["ada"],
            user_id=_id(a["vera"]),
            display_name=f"Vera{x}",
            role="village_editor",
            village_code=A2,
        ),
    ),
}


def _writes(session: Session) -> tuple[int, int]:
    session.rollback()
    audits = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    users = session.scalar(select(func.count()).select_from(User)) or 0
    return audits, users


@pytest.mark.parametrize("what", list(CALLS))
def test_every_service_refuses_invisible_characters(
    county: tuple[Engine, dict[str, Actor]], what: str
) -> None:
    engine, actors = county
    field, call = CALLS[what]
    with Session(engine) as session:
        before = _writes(session)
        for ch in INVISIBLE:
            with pytest.raises(ValidationError) as caught:
                call(session, actors, ch)
            assert caught.value.errors.get(field) == INVISIBLE_KEY, (f"U+{ord(ch):04X}", caught.value.errors)
            assert caught.value.params_for(field)["code"] == f"U+{ord(ch):04X}"
            assert _writes(session) == before
        call(session, actors, "")  # the same call without the character is accepted
        session.commit()


def test_postgresql_refuses_them_too(postgres_url: str) -> None:
    """Every field once more, on PostgreSQL (refusals only: each accepted call would move the next)."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    with Session(engine) as session:
        load_hand_county(session)
    actors = _with_accounts(engine)
    with Session(engine) as session:
        before = _writes(session)
        for field, call in CALLS.values():
            for ch in ("\u202e", "\u200b"):
                with pytest.raises(ValidationError) as caught:
                    call(session, actors, ch)
                assert caught.value.errors.get(field) == INVISIBLE_KEY
        assert _writes(session) == before
    engine.dispose()


def _sent_back(engine: Engine, actors: dict[str, Actor]) -> tuple[int, int]:
    """The audit id of one of Vera's visits, and the id of Tom's request to correct another."""
    ids = []
    for _ in range(2):
        with Session(engine) as session:
            _visit(session, actors["vera"])
            ids.append(session.scalar(select(func.max(AuditEntry.id))))
    first, second = ids
    assert first is not None and second is not None
    with Session(engine) as session:
        request_id = send_back(session, actor=actors["tom"], audit_id=second, comment="请核实")
    return first, request_id


def test_a_send_back_comment_and_its_resolution_refuse_them_too(
    county: tuple[Engine, dict[str, Actor]],
) -> None:
    engine, actors = county
    audit_id, request_id = _sent_back(engine, actors)
    with Session(engine) as session:
        before = _writes(session)
        for ch in INVISIBLE:
            with pytest.raises(ValidationError) as caught:
                send_back(session, actor=actors["tom"], audit_id=audit_id, comment=f"请{ch}核实")
            assert caught.value.errors.get("comment") == INVISIBLE_KEY
            with pytest.raises(ValidationError) as caught:
                resolve(
                    session, actor=actors["vera"], request_id=request_id, expected_version=1, note=f"已{ch}改"
                )
            assert caught.value.errors.get("note") == INVISIBLE_KEY
            assert _writes(session) == before


# --- what a user sees ---------------------------------------------------------------------------


def test_the_visit_form_shows_the_message_beside_the_field(
    open_app: AppFactory, hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        create_user_service(
            session,
            actor=permissions.COMMAND_LINE,
            username="vera",
            password="vera-password",
            display_name="Vera Li",
            role="village_editor",
            village_code=A2,
        )
    at = open_app(hand_sqlite_url, "pages/updates.py", lang="en")
    at.sidebar.text_input(key="sign_in_username").input("vera")
    at.sidebar.text_input(key="sign_in_password").input("vera-password")
    at = next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
    at.text_input(key="visit_visitor").input("Vera\u202eLi")
    next(b for b in at.button if b.label == "Save the visit").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    shown = "Character 5 is invisible or changes the text's direction (U+202E): delete it and type the text"
    assert f"{shown} again." in errors
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1  # the account's only
    engine.dispose()
