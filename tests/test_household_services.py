"""Verification visits and household status: permission, validation, stale edits, audit, data version.

The hand county (tests/hand_county.py) plus per-capita incomes: h3 (A1, poor) 3,800 yuan in 2019
(above that year's line of 3,747), h5 (A2, poor) 3,000 in 2019 (below). h4 (A2) has none.
Town A = 349901100 (villages A1 …201, A2 …202), town B = 349901101 (B2 …205, with h9).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from lib.core.domain import EXIT_STEPS, HOUSEHOLD_FLAGS, Role
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.models import AuditEntry, Household, HouseholdIncome, User, VerificationVisit
from lib.queries.common import data_version
from lib.rules.permissions import Actor
from lib.services.households import record_visit, update_household_status
from tests.support.accounts import store_accounts
from tests.support.concurrency import write_before_first_flush

D = dt.date
AS_OF = D(2020, 10, 31)
TOWN_A, TOWN_B = "349901100", "349901101"
A1, A2 = "349901100201", "349901100202"
H1, H3, H4, H5, H9 = 1, 3, 4, 5, 9

EDITOR_A = Actor(user_id=None, username="ed-a", display_name="Ed A", role=Role.TOWN_EDITOR, town_code=TOWN_A)
EDITOR_B = Actor(user_id=None, username="ed-b", display_name="Ed B", role=Role.TOWN_EDITOR, town_code=TOWN_B)
VILLAGER_A1 = Actor(
    user_id=None,
    username="vil-a1",
    display_name="Vil",
    role=Role.VILLAGE_EDITOR,
    town_code=TOWN_A,
    village_code=A1,
)
LEADER = Actor(user_id=None, username="lead", display_name="Lead", role=Role.LEADER)
ADMIN = Actor(user_id=None, username="admin", display_name="Admin", role=Role.ADMIN)

ALL_STEPS = dict(
    zip(
        EXIT_STEPS, [D(2020, 9, 1), D(2020, 9, 5), D(2020, 9, 8), D(2020, 9, 10), D(2020, 9, 20)], strict=True
    )
)
ALL_FLAGS = dict.fromkeys(HOUSEHOLD_FLAGS, True)


@pytest.fixture
def session(hand_engine: Engine) -> Iterator[Session]:
    with Session(hand_engine) as session:
        session.add_all(
            [
                HouseholdIncome(household_id=H3, year=2018, per_capita_income=3000),
                HouseholdIncome(household_id=H3, year=2019, per_capita_income=3800),
                HouseholdIncome(household_id=H5, year=2019, per_capita_income=3000),
            ]
        )
        session.commit()
        store_accounts(session, EDITOR_A, EDITOR_B, VILLAGER_A1, LEADER, ADMIN)
        yield session


def _counts(session: Session) -> tuple[int, int, str]:
    """Visits, audit rows and the data version: what a refused write must leave alone."""
    session.rollback()  # start a fresh read
    visits = session.scalar(select(func.count()).select_from(VerificationVisit))
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    return int(visits or 0), int(audits or 0), data_version(session)


def _household(session: Session, household_id: int) -> Household:
    found = session.get(Household, household_id, populate_existing=True)
    assert found is not None
    return found


def _audits(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _visit(session: Session, **overrides: Any) -> int:
    values: dict[str, Any] = {
        "actor": EDITOR_A,
        "household_id": H3,
        "visited_on": D(2020, 10, 20),
        "visitor_name": "  王核验 ",
        "ledger_verified": True,
        "problems": None,
        "satisfied": True,
        "as_of": AS_OF,
    }
    values.update(overrides)
    return record_visit(session, **values)


def _update(session: Session, **overrides: Any) -> int:
    values: dict[str, Any] = {
        "actor": EDITOR_A,
        "household_id": H3,
        "expected_version": 1,
        "status": "poor",
        "flags": {},
        "exit_steps": {},
        "reason": None,
        "as_of": AS_OF,
    }
    values.update(overrides)
    return update_household_status(session, **values)


# --- record_visit -------------------------------------------------------------------------------


def test_a_visit_is_stored_trimmed_with_an_audit_row_and_a_new_data_version(session: Session) -> None:
    visit_id = _visit(
        session, ledger_verified=False, problems=" 收入台账缺页\n", found_unregistered_need=True
    )
    visit = session.get(VerificationVisit, visit_id)
    assert visit is not None
    assert (visit.household_id, visit.visited_on, visit.visitor_name) == (H3, D(2020, 10, 20), "王核验")
    assert (visit.ledger_verified, visit.problems, visit.satisfied, visit.found_unregistered_need) == (
        False,
        "收入台账缺页",
        True,
        True,
    )
    [audit] = _audits(session)
    assert (audit.username, audit.action, audit.table_name, audit.record_key) == (
        "ed-a",
        "visit.record",
        "verification_visits",
        str(visit_id),
    )
    ed_a = session.scalar(select(User.id).where(User.username == "ed-a"))
    assert audit.user_id == ed_a and audit.old_values is None and audit.reason is None
    assert json.loads(audit.new_values or "") == {
        "household_id": H3,
        "archive_no": "HAND0003",
        "visited_on": "2020-10-20",
        "visitor_name": "王核验",
        "ledger_verified": False,
        "problems": "收入台账缺页",
        "satisfied": True,
        "found_unregistered_need": True,
    }
    assert data_version(session) == "2"


def test_blank_problems_on_a_verified_ledger_are_stored_as_null(session: Session) -> None:
    visit = session.get(VerificationVisit, _visit(session, problems="   ", satisfied=None))
    assert visit is not None and visit.problems is None and visit.satisfied is None


@pytest.mark.parametrize(
    ("overrides", "field", "key", "params"),
    [
        ({"household_id": 999}, "household_id", "updates.error.household_unknown", {}),
        ({"household_id": "3"}, "household_id", "updates.error.household_unknown", {}),
        (
            {"visited_on": D(2020, 11, 1)},
            "visited_on",
            "updates.error.date_in_future",
            {"as_of": "2020-10-31"},
        ),
        (
            {"visited_on": D(2013, 12, 31)},
            "visited_on",
            "updates.error.date_too_early",
            {"earliest": "2014-01-01"},
        ),
        ({"visited_on": "2020-10-20"}, "visited_on", "updates.error.date_invalid", {}),
        ({"visited_on": dt.datetime(2020, 10, 20, 9)}, "visited_on", "updates.error.date_invalid", {}),
        ({"visited_on": None}, "visited_on", "updates.error.date_invalid", {}),
        ({"visitor_name": " \u3000 "}, "visitor_name", "updates.error.visitor_name_required", {}),
        ({"visitor_name": None}, "visitor_name", "updates.error.visitor_name_required", {}),
        ({"visitor_name": 42}, "visitor_name", "updates.error.visitor_name_required", {}),
        ({"visitor_name": "王" * 41}, "visitor_name", "updates.error.visitor_name_long", {"max": 40}),
        ({"visitor_name": "王\x00五"}, "visitor_name", "updates.error.visitor_name_chars", {}),
        ({"visitor_name": "王\n五"}, "visitor_name", "updates.error.visitor_name_chars", {}),
        ({"ledger_verified": False, "problems": None}, "problems", "updates.error.problems_required", {}),
        ({"ledger_verified": False, "problems": " \n "}, "problems", "updates.error.problems_required", {}),
        ({"problems": "x" * 2001}, "problems", "updates.error.text_long", {"max": 2000}),
        ({"problems": "缺页\x07"}, "problems", "updates.error.text_chars", {}),
        ({"problems": "\ud800"}, "problems", "updates.error.text_chars", {}),
        ({"problems": 12}, "problems", "updates.error.text_invalid", {}),
        ({"ledger_verified": "yes"}, "ledger_verified", "updates.error.not_boolean", {}),
        ({"ledger_verified": None}, "ledger_verified", "updates.error.not_boolean", {}),
        ({"satisfied": "no"}, "satisfied", "updates.error.not_boolean", {}),
        ({"found_unregistered_need": 1}, "found_unregistered_need", "updates.error.not_boolean", {}),
    ],
)
def test_visit_refusals_name_the_field_and_write_nothing(
    session: Session, overrides: dict[str, Any], field: str, key: str, params: dict[str, Any]
) -> None:
    before = _counts(session)
    with pytest.raises(ValidationError) as caught:
        _visit(session, **overrides)
    assert caught.value.errors[field] == key
    assert caught.value.params_for(field) == params
    assert _counts(session) == before


def test_every_bad_visit_field_is_reported_at_once(session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        _visit(session, visited_on=D(2021, 1, 1), visitor_name="", ledger_verified=False, problems=None)
    assert caught.value.errors == {
        "visited_on": "updates.error.date_in_future",
        "visitor_name": "updates.error.visitor_name_required",
        "problems": "updates.error.problems_required",
    }


def test_the_longest_allowed_texts_are_stored(session: Session) -> None:
    visit = session.get(VerificationVisit, _visit(session, visitor_name="王" * 40, problems="问" * 2000))
    assert visit is not None and len(visit.visitor_name) == 40 and len(visit.problems or "") == 2000


# --- update_household_status --------------------------------------------------------------------


def test_a_flag_change_audits_only_what_changed_and_returns_the_new_version(session: Session) -> None:
    assert _update(session, flags={"safe_water": True, "no_worry_food": False}, reason=" 改水入户 ") == 2
    household = _household(session, H3)
    assert (household.safe_water, household.no_worry_food, household.version) == (True, False, 2)
    [audit] = _audits(session)
    assert (audit.username, audit.action, audit.table_name, audit.record_key, audit.reason) == (
        "ed-a",
        "household.update",
        "households",
        "HAND0003",
        "改水入户",
    )
    assert json.loads(audit.old_values or "") == {"safe_water": False}
    assert json.loads(audit.new_values or "") == {"safe_water": True}
    assert data_version(session) == "2"


def test_a_household_exits_when_steps_checks_and_income_hold_and_returns_with_a_reason(
    session: Session,
) -> None:
    assert _update(session, status="exited", flags=ALL_FLAGS, exit_steps=ALL_STEPS) == 2
    household = _household(session, H3)
    assert (household.status, household.exit_year, household.exit_removed_on) == (
        "exited",
        2020,
        D(2020, 9, 20),
    )
    audit = _audits(session)[-1]
    old, new = json.loads(audit.old_values or ""), json.loads(audit.new_values or "")
    assert old == {
        "status": "poor",
        "exit_year": None,
        **dict.fromkeys(HOUSEHOLD_FLAGS, False),
        **dict.fromkeys(EXIT_STEPS),
    }
    assert new == {
        "status": "exited",
        "exit_year": 2020,
        **ALL_FLAGS,
        **{name: day.isoformat() for name, day in ALL_STEPS.items()},
    }

    with pytest.raises(ValidationError) as caught:
        _update(session, expected_version=2, status="poor", reason="  ")
    assert caught.value.errors == {"reason": "updates.error.reason_required"}
    assert _update(session, expected_version=2, status="poor", reason="因病返贫") == 3
    household = _household(session, H3)
    assert (household.status, household.exit_year) == ("poor", None)
    audit = _audits(session)[-1]
    assert audit.reason == "因病返贫"
    assert json.loads(audit.old_values or "") == {"status": "exited", "exit_year": 2020}
    assert json.loads(audit.new_values or "") == {"status": "poor", "exit_year": None}
    assert data_version(session) == "3"


def test_exit_is_refused_naming_every_missing_condition(session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        _update(
            session,
            household_id=H5,
            status="exited",
            flags={**ALL_FLAGS, "safe_water": False, "guarantee_housing": False},
            exit_steps={"exit_appraised_on": D(2020, 9, 1), "exit_verified_on": D(2020, 9, 2)},
        )
    error = caught.value
    assert error.errors == {
        "exit_steps": "updates.error.exit_needs_steps",
        "flags": "updates.error.exit_needs_guarantees",
        "status": "updates.error.exit_income_below_line",
    }
    assert error.params_for("exit_steps")["missing"] == "exit_agreed_on, exit_noticed_on, exit_removed_on"
    assert error.params_for("flags")["missing"] == "guarantee_housing, safe_water"
    assert error.params_for("flags")["fields"] == ("guarantee_housing", "safe_water")
    assert error.params_for("status") == {"year": 2019, "income": 3000, "line": 3747}


def test_exit_without_any_income_record_is_refused(session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        _update(session, household_id=H4, status="exited", flags=ALL_FLAGS, exit_steps=ALL_STEPS)
    assert caught.value.errors == {"status": "updates.error.exit_no_income"}


def test_field_messages_name_the_missing_fields_in_the_readers_language(session: Session) -> None:
    from lib.core.i18n import set_language, t
    from lib.services.households import field_messages

    with pytest.raises(ValidationError) as caught:
        _update(session, status="exited", flags={**ALL_FLAGS, "safe_water": False}, exit_steps=ALL_STEPS)
    set_language("en")
    try:
        assert field_messages(caught.value, t)["flags"] == (
            "Exit needs the two no worries, three guarantees and safe water; not yet: Safe drinking water."
        )
    finally:
        set_language("zh")


@pytest.mark.parametrize(
    ("overrides", "field", "key", "params"),
    [
        ({"household_id": 999}, "household_id", "updates.error.household_unknown", {}),
        (
            {"status": "gone"},
            "status",
            "updates.error.status_unknown",
            {"status": "gone", "statuses": "poor, exited, monitored"},
        ),
        (
            {"status": None},
            "status",
            "updates.error.status_unknown",
            {"status": "None", "statuses": "poor, exited, monitored"},
        ),
        ({"flags": {"safe_water": 1}}, "safe_water", "updates.error.not_boolean", {}),
        ({"flags": {"bogus": True}}, "flags", "updates.error.unknown_fields", {"names": "bogus"}),
        (
            {"exit_steps": {"removed": None}},
            "exit_steps",
            "updates.error.unknown_fields",
            {"names": "removed"},
        ),
        (
            {"exit_steps": {"exit_appraised_on": "2020-09-01"}},
            "exit_appraised_on",
            "updates.error.date_invalid",
            {},
        ),
        (
            {"exit_steps": {"exit_appraised_on": D(2020, 11, 1)}},
            "exit_appraised_on",
            "updates.error.date_in_future",
            {"as_of": "2020-10-31"},
        ),
        (
            {"exit_steps": {"exit_appraised_on": D(2013, 1, 1)}},
            "exit_appraised_on",
            "updates.error.date_too_early",
            {"earliest": "2014-01-01"},
        ),
        (
            {"exit_steps": {"exit_appraised_on": D(2020, 9, 5), "exit_verified_on": D(2020, 9, 4)}},
            "exit_verified_on",
            "updates.error.step_out_of_order",
            {"previous": "2020-09-05"},
        ),
        (
            {"exit_steps": {"exit_agreed_on": D(2020, 9, 8)}},
            "exit_appraised_on",
            "updates.error.step_missing",
            {},
        ),
        (
            {"exit_steps": {"exit_agreed_on": D(2020, 9, 8)}},
            "exit_verified_on",
            "updates.error.step_missing",
            {},
        ),
        ({"reason": "x" * 2001}, "reason", "updates.error.text_long", {"max": 2000}),
        ({"reason": "bad\x00"}, "reason", "updates.error.text_chars", {}),
        ({"reason": 5}, "reason", "updates.error.text_invalid", {}),
        ({"household_id": H1, "status": "poor"}, "reason", "updates.error.reason_required", {}),
    ],
)
def test_status_refusals_name_the_field_and_write_nothing(
    session: Session, overrides: dict[str, Any], field: str, key: str, params: dict[str, Any]
) -> None:
    before = _counts(session)
    with pytest.raises(ValidationError) as caught:
        _update(session, **overrides)
    assert caught.value.errors[field] == key
    assert caught.value.params_for(field) == params
    assert _counts(session) == before
    household = _household(
        session, overrides.get("household_id", H3) if overrides.get("household_id") != 999 else H3
    )
    assert household.version == 1


def test_an_undated_step_between_dated_ones_is_refused_even_when_stored(session: Session) -> None:
    _update(session, exit_steps={"exit_appraised_on": D(2020, 9, 1), "exit_verified_on": D(2020, 9, 2)})
    with pytest.raises(ValidationError) as caught:
        _update(session, expected_version=2, exit_steps={"exit_appraised_on": None})
    assert caught.value.errors == {"exit_appraised_on": "updates.error.step_missing"}


def test_no_change_writes_nothing_and_keeps_the_version(session: Session) -> None:
    before = _counts(session)
    assert _update(session, flags={"safe_water": False}) == 1
    assert _counts(session) == before


# --- stale edits --------------------------------------------------------------------------------


def test_a_wrong_expected_version_is_a_stale_edit_with_the_current_values(session: Session) -> None:
    _update(session, flags={"safe_water": True})  # someone saved first: version 2
    before = _counts(session)
    with pytest.raises(StaleEdit) as caught:
        _update(session, expected_version=1, flags={"no_worry_food": True})
    stale = caught.value
    assert (stale.table, stale.record_key, stale.key) == ("households", "HAND0003", "services.stale_edit")
    assert stale.current is not None
    assert stale.current["version"] == 2 and stale.current["safe_water"] is True
    assert stale.current["no_worry_food"] is False and stale.current["status"] == "poor"
    assert _counts(session) == before
    assert _household(session, H3).no_worry_food is False


def test_a_writer_committing_between_read_and_write_is_caught_by_the_version_column(
    hand_engine: Engine, session: Session
) -> None:
    """Another connection bumps the row after the service read it: on PostgreSQL the UPDATE misses →
    StaleEdit; on SQLite the other writer cannot get in at all and the service's save stands."""
    refused = write_before_first_flush(
        session,
        hand_engine,
        update(Household)
        .where(Household.id == H3)
        .values(guarantee_medical=True, version=Household.version + 1),
    )
    before = _counts(session)
    if hand_engine.dialect.name == "sqlite":
        assert _update(session, flags={"safe_water": True}) == 2
        assert refused == ["database is locked"]
        household = _household(session, H3)
        assert (household.safe_water, household.guarantee_medical, household.version) == (True, False, 2)
        return
    with pytest.raises(StaleEdit) as caught:
        _update(session, flags={"safe_water": True})
    assert caught.value.current is not None
    assert caught.value.current["version"] == 2 and caught.value.current["guarantee_medical"] is True
    assert _counts(session) == before
    household = _household(session, H3)
    assert (household.safe_water, household.version) == (False, 2)


# --- permissions --------------------------------------------------------------------------------


def _write(session: Session, action: str, actor: Actor | None, household_id: int) -> None:
    if action == "visit":
        _visit(session, actor=actor, household_id=household_id)
    else:
        _update(session, actor=actor, household_id=household_id, flags={"safe_water": True})


@pytest.mark.parametrize("action", ["visit", "update"])
@pytest.mark.parametrize(
    ("actor", "household_id", "allowed"),
    [
        (EDITOR_A, H3, True),  # town A editor, household in town A
        (EDITOR_A, H5, True),
        (EDITOR_A, H9, False),  # town B household
        (EDITOR_B, H9, True),
        (EDITOR_B, H3, False),
        (VILLAGER_A1, H3, True),  # A1's own household
        (VILLAGER_A1, H5, False),  # same town, village A2
        (VILLAGER_A1, H9, False),
        (LEADER, H3, False),  # leaders read everything and write nothing
        (ADMIN, H3, False),  # admins manage accounts only
        (None, H3, False),  # anonymous
    ],
)
def test_permission_matrix(
    session: Session, action: str, actor: Actor | None, household_id: int, allowed: bool
) -> None:
    before = _counts(session)
    if allowed:
        _write(session, action, actor, household_id)
        visits, audits, version = _counts(session)
        assert (audits, version) == (before[1] + 1, str(int(before[2]) + 1))
        assert visits == before[0] + (action == "visit")
    else:
        with pytest.raises(PermissionDenied) as caught:
            _write(session, action, actor, household_id)
        assert caught.value.action == ("visit.record" if action == "visit" else "household.update")
        assert _counts(session) == before
        assert _household(session, household_id).version == 1


def test_an_unknown_household_is_refused_for_roles_without_the_right_before_it_is_looked_up(
    session: Session,
) -> None:
    with pytest.raises(PermissionDenied):
        _visit(session, actor=LEADER, household_id=999)


# --- the data version ---------------------------------------------------------------------------


def test_each_accepted_write_bumps_the_data_version_by_exactly_one(session: Session) -> None:
    assert data_version(session) == "1"
    _visit(session)
    assert data_version(session) == "2"
    _update(session, flags={"safe_water": True})
    assert data_version(session) == "3"
    with pytest.raises(ValidationError):
        _visit(session, visitor_name="")
    assert data_version(session) == "3"
    _visit(session, actor=VILLAGER_A1, ledger_verified=False, problems="缺签字")
    assert data_version(session) == "4"
