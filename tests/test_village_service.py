"""Village writes: the first secretary, the work team and the signature product.

The hand county (tests/hand_county.py): A1 (349901100201) has first secretary c1 (posting 1,
since 2018-03-01) and team member c7 (posting 8, since 2018-03-01); A2 (…202) has c2 (posting 2,
since 2018-03-01); B1 (349901101204) has c5 (posting 6, since 2019-07-01). c6 left A1 on
2018-02-28 and is free; he attended phase 1 (trained). Serving secretaries 5, trained 3 (c1, c4,
c5). Plus C1 (349901102206), a village of town C with nobody posted. Industries: vegetables,
pv_shares. No village has a signature product yet (version 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.domain import Role
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.i18n import set_language, t
from lib.core.models import AuditEntry, Cadre, Posting, Village
from lib.core.schema import upgrade
from lib.queries.common import data_version
from lib.queries.training import coverage_by_town
from lib.rules.permissions import Actor
from lib.services.villages import (
    NewCadre,
    add_team_member,
    end_team_member,
    replace_first_secretary,
    staff_messages,
    update_signature_product,
)
from tests.db_fixtures import BACKENDS
from tests.hand_county import load_hand_county
from tests.support.accounts import module_actors, store_accounts

AS_OF = dt.date(2020, 10, 31)
D = dt.date
TOWN_A, TOWN_B, TOWN_C = "349901100", "349901101", "349901102"
A1, A2, B1, C1 = "349901100201", "349901100202", "349901101204", "349901102206"
ADMIN = Actor(user_id=None, username="admin", display_name="Admin", role=Role.ADMIN)
LEADER = Actor(user_id=None, username="lead", display_name="Lead", role=Role.LEADER)
EDITOR_A = Actor(user_id=None, username="ed-a", display_name="Ed A", role=Role.TOWN_EDITOR, town_code=TOWN_A)
EDITOR_B = Actor(user_id=None, username="ed-b", display_name="Ed B", role=Role.TOWN_EDITOR, town_code=TOWN_B)
EDITOR_C = Actor(user_id=None, username="ed-c", display_name="Ed C", role=Role.TOWN_EDITOR, town_code=TOWN_C)
VILLAGER_A2 = Actor(
    user_id=None,
    username="vil-a2",
    display_name="Vil",
    role=Role.VILLAGE_EDITOR,
    town_code=TOWN_A,
    village_code=A2,
)
VILLAGER_A1 = Actor(
    user_id=None,
    username="vil-a1",
    display_name="Vil",
    role=Role.VILLAGE_EDITOR,
    town_code=TOWN_A,
    village_code=A1,
)
WANG = NewCadre(
    name=" 王五 ", gender="M", birth_year=1980, unit_zh="县农业农村局", unit_en="County Agriculture Bureau"
)


@pytest.fixture
def session(hand_engine: Engine) -> Iterator[Session]:
    with Session(hand_engine) as session:
        session.add(Village(id=6, code=C1, town_id=3, name_zh="丙一村", name_en="C1 Village", is_poor=True))
        session.commit()
        store_accounts(session, *module_actors(globals()))
        yield session


def _snapshot(session: Session) -> tuple[Any, ...]:
    """Everything a refused write must leave alone."""
    session.rollback()
    postings = session.execute(
        select(Posting.id, Posting.cadre_id, Posting.role, Posting.start_date, Posting.end_date).order_by(
            Posting.id
        )
    ).all()
    cadres = session.scalar(select(func.count()).select_from(Cadre))
    villages = session.execute(
        select(Village.code, Village.signature_product_zh, Village.signature_industry_id, Village.version)
    ).all()
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    return postings, cadres, sorted(villages), audits, data_version(session)


def _audits(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _open(session: Session, code: str) -> list[tuple[int, str, dt.date]]:
    session.rollback()
    return [
        (row[0], row[1], row[2])
        for row in session.execute(
            select(Posting.cadre_id, Posting.role, Posting.start_date)
            .join(Village, Village.id == Posting.village_id)
            .where(Village.code == code, Posting.end_date.is_(None))
            .order_by(Posting.role, Posting.cadre_id)
        )
    ]


def _replace(session: Session, actor: Actor | None = EDITOR_A, **overrides: Any) -> Any:
    call: dict[str, Any] = {
        "village_code": A2,
        "expected_posting_id": 2,
        "ends_on": D(2020, 9, 30),
        "starts_on": D(2020, 10, 1),
        "new_cadre_id": 6,
        "as_of": AS_OF,
    }
    call.update(overrides)
    return replace_first_secretary(session, actor=actor, **call)


def _add(session: Session, actor: Actor | None = EDITOR_A, **overrides: Any) -> Any:
    call: dict[str, Any] = {"village_code": A2, "starts_on": D(2020, 10, 1), "cadre_id": 6, "as_of": AS_OF}
    call.update(overrides)
    return add_team_member(session, actor=actor, **call)


def _end(session: Session, actor: Actor | None = EDITOR_A, **overrides: Any) -> Any:
    call: dict[str, Any] = {"village_code": A1, "posting_id": 8, "ends_on": D(2020, 10, 1), "as_of": AS_OF}
    call.update(overrides)
    return end_team_member(session, actor=actor, **call)


def _product(session: Session, actor: Actor | None = EDITOR_A, **overrides: Any) -> int:
    call: dict[str, Any] = {
        "village_code": A2,
        "expected_version": 1,
        "product_zh": " 高山茶叶 ",
        "product_en": "Highland tea",
        "industry_code": "vegetables",
        "reason": None,
    }
    call.update(overrides)
    return update_signature_product(session, actor=actor, **call)


# --- the first secretary ------------------------------------------------------------------------


def test_replacing_c2_with_trained_c6_ends_one_term_opens_another_and_raises_coverage(
    session: Session,
) -> None:
    frame = coverage_by_town(session)
    assert (int(frame["trained"].sum()), int(frame["serving"].sum())) == (3, 5)

    change = _replace(session, reason="派出单位轮换")

    assert (change.village_code, change.cadre_id, change.ended_posting_id) == (A2, 6, 2)
    assert change.team_size == 1 and change.below_minimum
    ended = session.get(Posting, 2, populate_existing=True)
    assert ended is not None and ended.end_date == D(2020, 9, 30)
    assert _open(session, A2) == [(6, "first_secretary", D(2020, 10, 1))]
    frame = coverage_by_town(session)  # c2 (untrained) out, c6 (trained) in: 4 of 5
    assert (int(frame["trained"].sum()), int(frame["serving"].sum())) == (4, 5)
    audits = _audits(session)
    assert [(a.username, a.action, a.table_name, a.record_key, a.reason) for a in audits] == [
        ("ed-a", "village.posting", "postings", A2, "派出单位轮换"),
        ("ed-a", "village.posting", "postings", A2, "派出单位轮换"),
    ]
    assert '"end_date": null' in (audits[0].old_values or "")
    assert '"end_date": "2020-09-30"' in (audits[0].new_values or "")
    assert audits[1].old_values is None and '"role": "first_secretary"' in (audits[1].new_values or "")
    assert data_version(session) == "2"


def test_a_new_person_is_added_trimmed_and_audited(session: Session) -> None:
    change = _replace(session, new_cadre_id=None, new_cadre=WANG)
    cadre = session.get(Cadre, change.cadre_id)
    assert cadre is not None
    assert (cadre.name, cadre.gender, cadre.birth_year, cadre.sent_by_unit_zh) == (
        "王五",
        "M",
        1980,
        "县农业农村局",
    )
    tables = [(a.table_name, a.record_key) for a in _audits(session)]
    assert tables == [("postings", A2), ("cadres", str(cadre.id)), ("postings", A2)]


def test_a_village_without_a_secretary_gets_one_appointed(session: Session) -> None:
    change = _replace(session, EDITOR_C, village_code=C1, expected_posting_id=None, ends_on=None)
    assert change.ended_posting_id is None
    assert _open(session, C1) == [(6, "first_secretary", D(2020, 10, 1))]


def test_a_term_under_two_years_needs_a_reason(session: Session) -> None:
    call = {
        "village_code": B1,
        "expected_posting_id": 6,
        "ends_on": D(2020, 10, 1),
        "starts_on": D(2020, 10, 2),
    }
    before = _snapshot(session)
    with pytest.raises(ValidationError) as caught:
        _replace(session, EDITOR_B, **call)
    assert caught.value.errors == {"reason": "staff.error.reason_short_term"}
    assert caught.value.params_for("reason") == {"start": "2019-07-01", "full": "2021-07-01", "years": 2}
    assert _snapshot(session) == before
    _replace(session, EDITOR_B, **call, reason="因病调回原单位")
    assert _open(session, B1) == [(6, "first_secretary", D(2020, 10, 2))]


TOO_LONG_NAME = "王" * 41


@pytest.mark.parametrize(
    ("overrides", "field", "key", "params"),
    [
        ({"village_code": "000"}, "village_code", "staff.error.village_unknown", {}),
        ({"village_code": 349901100202}, "village_code", "staff.error.village_unknown", {}),
        ({"ends_on": D(2018, 2, 1)}, "ends_on", "staff.error.end_before_start", {"start": "2018-03-01"}),
        ({"ends_on": D(2020, 11, 1)}, "ends_on", "updates.error.date_in_future", {"as_of": "2020-10-31"}),
        ({"ends_on": D(2013, 12, 31)}, "ends_on", "updates.error.date_too_early", {"earliest": "2014-01-01"}),
        ({"ends_on": "2020-09-30"}, "ends_on", "updates.error.date_invalid", {}),
        ({"ends_on": None}, "ends_on", "updates.error.date_invalid", {}),
        (
            {"starts_on": D(2020, 9, 1)},
            "starts_on",
            "staff.error.start_before_end",
            {"ends_on": "2020-09-30"},
        ),
        ({"starts_on": D(2021, 1, 1)}, "starts_on", "updates.error.date_in_future", {"as_of": "2020-10-31"}),
        ({"new_cadre_id": None}, "cadre", "staff.error.cadre_required", {}),
        ({"new_cadre": WANG}, "cadre", "staff.error.cadre_both", {}),
        ({"new_cadre_id": 99}, "cadre", "staff.error.cadre_unknown", {}),
        ({"new_cadre_id": "6"}, "cadre", "staff.error.cadre_unknown", {}),
        (
            {"new_cadre_id": 1},
            "cadre",
            "staff.error.already_posted",
            {"name": "书记1", "village": "A1村", "village_en": "A1 Village"},
        ),
        (
            {"new_cadre_id": 7},  # a team member elsewhere is still posted
            "cadre",
            "staff.error.already_posted",
            {"name": "书记7", "village": "A1村", "village_en": "A1 Village"},
        ),
        ({"new_cadre_id": None, "new_cadre": {"name": "王五"}}, "cadre", "staff.error.cadre_required", {}),
        ({"new_cadre_id": None, "new_cadre": NewCadre(name="  ")}, "name", "staff.error.required", {}),
        (
            {"new_cadre_id": None, "new_cadre": NewCadre(name=TOO_LONG_NAME)},
            "name",
            "staff.error.too_long",
            {"max": 40},
        ),
        ({"new_cadre_id": None, "new_cadre": NewCadre(name="王\n五")}, "name", "staff.error.bad_chars", {}),
        ({"new_cadre_id": None, "new_cadre": NewCadre(name=5)}, "name", "staff.error.not_text", {}),  # type: ignore[arg-type]
        (
            {"new_cadre_id": None, "new_cadre": NewCadre(name="王五", gender="X", unit_zh="县局")},
            "gender",
            "staff.error.gender",
            {},
        ),
        (
            {"new_cadre_id": None, "new_cadre": NewCadre(name="王五", birth_year=1900, unit_zh="县局")},
            "birth_year",
            "staff.error.birth_year",
            {"low": 1950, "high": 2002},
        ),
        (
            {"new_cadre_id": None, "new_cadre": NewCadre(name="王五", birth_year=True, unit_zh="县局")},
            "birth_year",
            "staff.error.birth_year",
            {"low": 1950, "high": 2002},
        ),
        ({"new_cadre_id": None, "new_cadre": NewCadre(name="王五")}, "unit_zh", "staff.error.required", {}),
        (
            {"new_cadre_id": None, "new_cadre": NewCadre(name="王五", unit_zh="县局", unit_en="x" * 121)},
            "unit_en",
            "staff.error.too_long",
            {"max": 120},
        ),
        ({"reason": "说" * 2001}, "reason", "updates.error.text_long", {"max": 2000}),
        ({"reason": "a\x00b"}, "reason", "updates.error.text_chars", {}),
    ],
)
def test_replacement_refusals_name_the_field_and_write_nothing(
    session: Session, overrides: dict[str, Any], field: str, key: str, params: dict[str, Any]
) -> None:
    before = _snapshot(session)
    with pytest.raises(ValidationError) as caught:
        _replace(session, **overrides)
    assert caught.value.errors[field] == key
    assert caught.value.params_for(field) == params
    assert _snapshot(session) == before


def test_appointment_refusals(session: Session) -> None:
    call = {"village_code": C1, "expected_posting_id": None, "ends_on": None}
    with pytest.raises(ValidationError) as caught:
        _replace(session, EDITOR_C, **call, starts_on=D(2017, 6, 1))  # c6 served A1 until 2018-02-28
    assert caught.value.errors == {"starts_on": "staff.error.overlaps"}
    assert caught.value.params_for("starts_on") == {"name": "书记6", "end": "2018-02-28"}
    with pytest.raises(ValidationError) as caught:
        _replace(session, EDITOR_C, **{**call, "ends_on": D(2020, 9, 30)})
    assert caught.value.errors == {"ends_on": "staff.error.nothing_to_end"}
    assert _open(session, C1) == []


def test_messages_name_the_village_in_the_readers_language(session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        _replace(session, new_cadre_id=1)
    set_language("en")
    try:
        assert (
            staff_messages(caught.value, t)["cadre"]
            == "书记1 is still posted to A1 Village; end that posting first."
        )
    finally:
        set_language("zh")


def test_a_replacement_against_another_secretary_than_shown_is_stale(session: Session) -> None:
    before = _snapshot(session)
    with pytest.raises(StaleEdit) as caught:
        _replace(session, expected_posting_id=None)  # the form showed no secretary; c2 serves
    assert caught.value.table == "postings" and caught.value.record_key == A2
    assert caught.value.current == {
        "first_secretary": {"posting_id": 2, "cadre_id": 2, "name": "书记2"},
        "team": [],
    }
    assert _snapshot(session) == before


def test_the_second_of_two_replacements_sees_the_first(session: Session, hand_engine: Engine) -> None:
    first = _replace(session)
    with Session(hand_engine) as other, pytest.raises(StaleEdit) as caught:
        _replace(other, new_cadre_id=None, new_cadre=WANG)
    assert caught.value.current is not None
    assert caught.value.current["first_secretary"] == {
        "posting_id": first.posting_id,
        "cadre_id": 6,
        "name": "书记6",
    }
    assert _open(session, A2) == [(6, "first_secretary", D(2020, 10, 1))]


# --- the work team ------------------------------------------------------------------------------


def test_adding_a_member_brings_a2_to_the_minimum(session: Session) -> None:
    change = _add(session, reason="补充力量")
    assert (change.team_size, change.below_minimum, change.ended_posting_id) == (2, False, None)
    assert _open(session, A2) == [(2, "first_secretary", D(2018, 3, 1)), (6, "team_member", D(2020, 10, 1))]
    entry = _audits(session)[-1]
    assert (entry.table_name, entry.record_key, entry.reason) == ("postings", A2, "补充力量")
    assert '"role": "team_member"' in (entry.new_values or "")
    assert data_version(session) == "2"


def test_adding_a_new_person(session: Session) -> None:
    change = _add(session, cadre_id=None, new_cadre=WANG)
    assert _open(session, A2)[-1] == (change.cadre_id, "team_member", D(2020, 10, 1))


@pytest.mark.parametrize(
    ("overrides", "field", "key"),
    [
        ({"cadre_id": 1}, "cadre", "staff.error.already_posted"),
        ({"cadre_id": None}, "cadre", "staff.error.cadre_required"),
        ({"starts_on": D(2020, 11, 1)}, "starts_on", "updates.error.date_in_future"),
        ({"starts_on": D(2013, 1, 1)}, "starts_on", "updates.error.date_too_early"),
        ({"starts_on": dt.datetime(2020, 10, 1, 8, 0)}, "starts_on", "updates.error.date_invalid"),
        ({"starts_on": D(2018, 1, 1)}, "starts_on", "staff.error.overlaps"),
        ({"village_code": None}, "village_code", "staff.error.village_unknown"),
    ],
)
def test_adding_refusals_write_nothing(
    session: Session, overrides: dict[str, Any], field: str, key: str
) -> None:
    before = _snapshot(session)
    with pytest.raises(ValidationError) as caught:
        _add(session, **overrides)
    assert caught.value.errors[field] == key
    assert _snapshot(session) == before


def test_ending_the_only_team_member_warns_below_the_minimum(session: Session) -> None:
    change = _end(session)
    assert (change.cadre_id, change.posting_id, change.ended_posting_id) == (7, None, 8)
    assert change.team_size == 1 and change.below_minimum
    assert _open(session, A1) == [(1, "first_secretary", D(2018, 3, 1))]
    entry = _audits(session)[-1]
    assert '"end_date": "2020-10-01"' in (entry.new_values or "") and entry.record_key == A1
    assert data_version(session) == "2"


def test_ending_a_short_team_term_needs_a_reason(session: Session) -> None:
    added = _add(session)
    with pytest.raises(ValidationError) as caught:
        _end(session, village_code=A2, posting_id=added.posting_id, ends_on=D(2020, 10, 20))
    assert caught.value.errors == {"reason": "staff.error.reason_short_term"}
    change = _end(
        session, village_code=A2, posting_id=added.posting_id, ends_on=D(2020, 10, 20), reason="借调"
    )
    assert change.team_size == 1


@pytest.mark.parametrize(
    ("overrides", "field", "key"),
    [
        ({"posting_id": 1}, "posting_id", "staff.error.posting_unknown"),  # the first secretary's
        ({"posting_id": 6}, "posting_id", "staff.error.posting_unknown"),  # in another village
        ({"posting_id": 999}, "posting_id", "staff.error.posting_unknown"),
        ({"posting_id": "8"}, "posting_id", "staff.error.posting_unknown"),
        ({"ends_on": D(2018, 1, 1)}, "ends_on", "staff.error.end_before_start"),
        ({"ends_on": D(2020, 12, 1)}, "ends_on", "updates.error.date_in_future"),
        ({"ends_on": "yesterday"}, "ends_on", "updates.error.date_invalid"),
        ({"reason": 42}, "reason", "updates.error.text_invalid"),
    ],
)
def test_ending_refusals_write_nothing(
    session: Session, overrides: dict[str, Any], field: str, key: str
) -> None:
    before = _snapshot(session)
    with pytest.raises(ValidationError) as caught:
        _end(session, **overrides)
    assert caught.value.errors[field] == key
    assert _snapshot(session) == before


def test_ending_a_posting_someone_already_ended_is_stale(session: Session, hand_engine: Engine) -> None:
    _end(session)
    with Session(hand_engine) as other, pytest.raises(StaleEdit) as caught:
        _end(other, ends_on=D(2020, 10, 5))
    assert caught.value.current == {
        "first_secretary": {"posting_id": 1, "cadre_id": 1, "name": "书记1"},
        "team": [],
    }
    assert len(_audits(session)) == 1


# --- the signature product ----------------------------------------------------------------------


def test_the_product_is_stored_trimmed_with_its_industry_and_audited(session: Session) -> None:
    assert _product(session, reason="村两委会议确定") == 2
    village = session.scalars(select(Village).where(Village.code == A2)).one()
    session.refresh(village)
    assert (village.signature_product_zh, village.signature_product_en) == ("高山茶叶", "Highland tea")
    assert village.signature_industry_id == 1 and village.version == 2
    entry = _audits(session)[-1]
    assert (entry.action, entry.table_name, entry.record_key, entry.reason) == (
        "village.product",
        "villages",
        A2,
        "村两委会议确定",
    )
    assert entry.old_values == '{"industry_code": null, "product_en": null, "product_zh": null}'
    assert entry.new_values == (
        '{"industry_code": "vegetables", "product_en": "Highland tea", "product_zh": "高山茶叶"}'
    )
    assert data_version(session) == "2"


def test_an_unchanged_product_writes_nothing(session: Session) -> None:
    _product(session)
    before = _snapshot(session)
    assert _product(session, expected_version=2, product_zh="高山茶叶") == 2
    assert _snapshot(session) == before


def test_the_english_name_and_the_industry_may_be_cleared(session: Session) -> None:
    _product(session)
    assert _product(session, expected_version=2, product_en="  ", industry_code=None) == 3
    village = session.scalars(select(Village).where(Village.code == A2)).one()
    session.refresh(village)
    assert (village.signature_product_en, village.signature_industry_id) == (None, None)


@pytest.mark.parametrize(
    ("overrides", "field", "key", "params"),
    [
        ({"product_zh": "  "}, "product_zh", "staff.error.required", {}),
        ({"product_zh": None}, "product_zh", "staff.error.required", {}),
        ({"product_zh": "茶" * 81}, "product_zh", "staff.error.too_long", {"max": 80}),
        ({"product_zh": "茶\x00叶"}, "product_zh", "staff.error.bad_chars", {}),
        ({"product_zh": "茶\u2028叶"}, "product_zh", "staff.error.bad_chars", {}),
        ({"product_zh": 123}, "product_zh", "staff.error.not_text", {}),
        ({"product_en": "t" * 121}, "product_en", "staff.error.too_long", {"max": 120}),
        ({"product_en": ["tea"]}, "product_en", "staff.error.not_text", {}),
        ({"industry_code": "rice"}, "industry_code", "staff.error.industry_unknown", {"code": "rice"}),
        ({"industry_code": 1}, "industry_code", "staff.error.industry_unknown", {"code": "1"}),
        ({"reason": "说" * 2001}, "reason", "updates.error.text_long", {"max": 2000}),
        ({"village_code": "nowhere"}, "village_code", "staff.error.village_unknown", {}),
    ],
)
def test_product_refusals_name_the_field_and_write_nothing(
    session: Session, overrides: dict[str, Any], field: str, key: str, params: dict[str, Any]
) -> None:
    before = _snapshot(session)
    with pytest.raises(ValidationError) as caught:
        _product(session, **overrides)
    assert caught.value.errors[field] == key
    assert caught.value.params_for(field) == params
    assert _snapshot(session) == before


def test_a_product_changed_since_the_form_opened_is_stale(session: Session, hand_engine: Engine) -> None:
    _product(session)
    before = _snapshot(session)
    with Session(hand_engine) as other, pytest.raises(StaleEdit) as caught:
        _product(other, VILLAGER_A2, product_zh="土鸡")  # the form showed version 1
    assert caught.value.table == "villages" and caught.value.record_key == A2
    assert caught.value.current == {
        "product_zh": "高山茶叶",
        "product_en": "Highland tea",
        "industry_code": "vegetables",
        "version": 2,
    }
    assert _snapshot(session) == before


# --- who may ------------------------------------------------------------------------------------

WRITES: dict[str, Callable[[Session, Actor | None], Any]] = {
    "replace": lambda session, actor: _replace(session, actor),
    "add": lambda session, actor: _add(session, actor),
    "end": lambda session, actor: _end(session, actor),
    "product_a2": lambda session, actor: _product(session, actor),
    "product_a1": lambda session, actor: _product(session, actor, village_code=A1),
}
# (write, actor) → allowed. The postings writes touch town A (A2; A1 for "end").
ALLOWED = {
    "replace": {EDITOR_A},
    "add": {EDITOR_A},
    "end": {EDITOR_A},
    "product_a2": {EDITOR_A, VILLAGER_A2},
    "product_a1": {EDITOR_A, VILLAGER_A1},
}
ACTORS = {
    "admin": ADMIN,
    "leader": LEADER,
    "town_a": EDITOR_A,
    "town_b": EDITOR_B,
    "village_a2": VILLAGER_A2,
    "village_a1": VILLAGER_A1,
    "anonymous": None,
}


@pytest.mark.parametrize("actor_name", sorted(ACTORS))
@pytest.mark.parametrize("write", sorted(WRITES))
def test_permission_matrix(session: Session, write: str, actor_name: str) -> None:
    actor = ACTORS[actor_name]
    before = _snapshot(session)
    if actor in ALLOWED[write]:
        WRITES[write](session, actor)
        assert _snapshot(session) != before
        assert _audits(session)[-1].username == actor.username  # type: ignore[union-attr]
    else:
        with pytest.raises(PermissionDenied):
            WRITES[write](session, actor)
        assert _snapshot(session) == before


# --- hostile input (one SQLite database for the module) ---------------------------------------

HOSTILE_STRINGS = [
    "'; DROP TABLE postings; --",
    "Robert'); DROP TABLE villages;--",
    "%s%s{0}{name}",
    "",
    "   ",
    "\t\n",
    "\x00",
    "茶\x00叶",
    "\ud800",
    "a\u2028b",
    "\u202e反转",
    "\u3000茶叶\u3000",
    "茶" * 80,
    "茶" * 81,
    "t" * 121,
    "👩‍🌾" * 10,
]
hostile = st.one_of(
    st.text(max_size=50),
    st.text(st.characters(categories=["Cc", "Cs", "Cf", "Zs", "Zl", "Lo"]), max_size=20),
    st.builds(lambda chunk, times: chunk * times, st.text(min_size=1, max_size=3), st.integers(1, 200)),
    st.sampled_from(HOSTILE_STRINGS),
    st.none(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.binary(max_size=6),
    st.lists(st.text(max_size=3), max_size=2),
)
plausible = st.text(st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"]), min_size=1, max_size=30)
odd_dates = st.one_of(
    st.dates(min_value=D(1990, 1, 1), max_value=D(2030, 12, 31)),
    st.datetimes(min_value=dt.datetime(2015, 1, 1), max_value=dt.datetime(2021, 1, 1)),
    st.sampled_from(["2020-10-01", "", None, 20201001, D(2014, 1, 1), AS_OF]),
)


def half(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.booleans().flatmap(lambda ok: good if ok else bad)


@contextmanager
def _hand_county(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_hand_county(session)
        store_accounts(session, *module_actors(globals()))
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def hostile_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The hand county once per module on each backend (PostgreSQL refuses NUL where SQLite stores it)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("hostile_villages") / "villages.db"
        with _hand_county(f"sqlite:///{path}") as engine:
            yield engine
        return
    server = request.getfixturevalue("postgres_server")
    with server.database() as url, _hand_county(url) as engine:
        yield engine


def _bad_text(text: str | None, max_len: int) -> bool:
    import unicodedata

    if text is None:
        return False
    return (
        text != text.strip()
        or not text
        or len(text) > max_len
        or any(unicodedata.category(ch) in {"Cc", "Cs", "Zl", "Zp"} for ch in text)
    )


def _no_bad_rows(session: Session) -> None:
    """Every stored product, cadre and posting is one a valid form could have produced."""
    session.rollback()
    for zh, en in session.execute(select(Village.signature_product_zh, Village.signature_product_en)):
        assert not _bad_text(zh, 80) and not _bad_text(en, 120)
    for name, gender, born, unit_zh, unit_en in session.execute(
        select(Cadre.name, Cadre.gender, Cadre.birth_year, Cadre.sent_by_unit_zh, Cadre.sent_by_unit_en)
    ):
        assert not _bad_text(name, 40) and not _bad_text(unit_zh, 80) and not _bad_text(unit_en, 120)
        assert gender in (None, "M", "F") and (born is None or 1950 <= born <= 2002)
    for start, end in session.execute(select(Posting.start_date, Posting.end_date)):
        assert type(start) is dt.date and D(2014, 1, 1) <= start <= AS_OF
        assert end is None or (type(end) is dt.date and start <= end <= AS_OF)
    open_secretaries = session.execute(
        select(Posting.village_id, func.count())
        .where(Posting.role == "first_secretary", Posting.end_date.is_(None))
        .group_by(Posting.village_id)
    ).all()
    assert all(count == 1 for _, count in open_secretaries)


def _counts(session: Session) -> tuple[int, int, int, str]:
    session.rollback()
    return (
        session.scalar(select(func.count()).select_from(Posting)) or 0,
        session.scalar(select(func.count()).select_from(Cadre)) or 0,
        session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        data_version(session),
    )


HYPOTHESIS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@HYPOTHESIS
@given(
    product_zh=half(plausible, hostile),
    product_en=st.one_of(st.none(), half(plausible, hostile)),
    industry_code=st.one_of(st.none(), st.sampled_from(["vegetables", "pv_shares", "", "rice"]), hostile),
    reason=st.one_of(st.none(), half(plausible, hostile)),
    village_code=half(st.just(A1), hostile),
)
def test_hostile_products_are_stored_clean_or_refused(
    hostile_engine: Engine,
    product_zh: Any,
    product_en: Any,
    industry_code: Any,
    reason: Any,
    village_code: Any,
) -> None:
    with Session(hostile_engine) as session:
        before = _counts(session)
        version = session.scalar(select(Village.version).where(Village.code == A1))
        try:
            new_version = _product(
                session,
                village_code=village_code,
                expected_version=version,
                product_zh=product_zh,
                product_en=product_en,
                industry_code=industry_code,
                reason=reason,
            )
        except ValidationError as refused:
            event(f"refused: {sorted(refused.errors)}")
            assert _counts(session) == before
        else:
            event("accepted")
            village = session.scalars(select(Village).where(Village.code == A1)).one()
            session.refresh(village)
            assert village.signature_product_zh == product_zh.strip()
            assert village.version == new_version
        _no_bad_rows(session)


# Either every field plausible (so acceptance is exercised) or each one plausible or hostile.
clean_person = st.fixed_dictionaries(
    {
        "name": plausible,
        "gender": st.sampled_from([None, "M", "F"]),
        "birth_year": st.one_of(st.none(), st.integers(1950, 2002)),
        "unit_zh": plausible,
        "unit_en": st.one_of(st.none(), plausible),
        "starts_on": st.dates(min_value=D(2019, 8, 1), max_value=AS_OF),
    }
)
any_person = st.fixed_dictionaries(
    {
        "name": half(plausible, hostile),
        "gender": st.one_of(st.sampled_from([None, "M", "F"]), hostile),
        "birth_year": st.one_of(st.none(), st.integers(1900, 2030), hostile),
        "unit_zh": half(plausible, hostile),
        "unit_en": st.one_of(st.none(), hostile),
        "starts_on": half(st.dates(min_value=D(2019, 8, 1), max_value=AS_OF), odd_dates),
    }
)


@HYPOTHESIS
@given(fields=half(clean_person, any_person))
def test_hostile_new_team_members_are_stored_clean_or_refused(
    hostile_engine: Engine, fields: dict[str, Any]
) -> None:
    starts_on, name = fields.pop("starts_on"), fields["name"]
    person = NewCadre(**fields)
    with Session(hostile_engine) as session:
        before = _counts(session)
        try:
            change = _add(
                session, EDITOR_B, village_code=B1, cadre_id=None, new_cadre=person, starts_on=starts_on
            )
        except ValidationError as refused:
            event(f"refused: {sorted(refused.errors)}")
            assert _counts(session) == before
        else:
            event("accepted")
            cadre = session.get(Cadre, change.cadre_id)
            assert cadre is not None and cadre.name == name.strip()
            assert _counts(session)[:3] == (before[0] + 1, before[1] + 1, before[2] + 2)
        _no_bad_rows(session)


clean_replacement = st.fixed_dictionaries(
    {
        "ends_in": st.integers(0, 60),  # days after the serving secretary began (capped at as_of)
        "gap": st.integers(0, 20),  # days from that end to the new start (capped at as_of)
        "reason": plausible,
        "pick": st.integers(0, 20),  # which free cadre
    }
)
any_replacement = st.fixed_dictionaries(
    {
        "ends_on": half(st.dates(min_value=D(2020, 1, 1), max_value=AS_OF), odd_dates),
        "starts_on": half(st.dates(min_value=D(2020, 1, 1), max_value=AS_OF), odd_dates),
        "reason": st.one_of(st.none(), half(plausible, hostile)),
        "cadre_id": st.one_of(st.none(), st.integers(-2, 12), hostile),
    }
)


def _clean_choice(session: Session, fields: dict[str, Any], serving_since: dt.date) -> dict[str, Any]:
    """A clean example's dates and cadre, worked out against the database as it is now."""
    free = list(
        session.scalars(
            select(Cadre.id).where(~Cadre.id.in_(select(Posting.cadre_id).where(Posting.end_date.is_(None))))
        )
    )
    ends_on = min(serving_since + dt.timedelta(days=fields["ends_in"]), AS_OF)
    return {
        "ends_on": ends_on,
        "starts_on": min(ends_on + dt.timedelta(days=fields["gap"]), AS_OF),
        "reason": fields["reason"],
        "cadre_id": free[fields["pick"] % len(free)] if free else None,
    }


@HYPOTHESIS
@given(fields=half(clean_replacement, any_replacement))
def test_hostile_replacements_keep_one_secretary_and_ordered_dates(
    hostile_engine: Engine, fields: dict[str, Any]
) -> None:
    with Session(hostile_engine) as session:
        before = _counts(session)
        expected, since = session.execute(
            select(Posting.id, Posting.start_date)
            .join(Village, Village.id == Posting.village_id)
            .where(Village.code == A2, Posting.role == "first_secretary", Posting.end_date.is_(None))
        ).one()
        if "pick" in fields:
            fields = _clean_choice(session, fields, since)
        try:
            change = _replace(
                session,
                expected_posting_id=expected,
                ends_on=fields["ends_on"],
                starts_on=fields["starts_on"],
                new_cadre_id=fields["cadre_id"],
                reason=fields["reason"],
            )
        except ValidationError as refused:
            event(f"refused: {sorted(refused.errors)}")
            assert _counts(session) == before
        else:
            event("accepted")
            assert change.ended_posting_id == expected
            assert _open(session, A2)[0][:2] == (fields["cadre_id"], "first_secretary")
        _no_bad_rows(session)
