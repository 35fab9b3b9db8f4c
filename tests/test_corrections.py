"""Send back for correction: who may send back and resolve, validation, stale edits, audit, reads.

Hand county: town A (349901100) holds villages A1 (…201) and A2 (…202); town B (349901101) B2.
Vera edits A2, Ben edits B2 (village editors); Tom edits town A, Tess town B (town editors).
Vera records a visit to h5 (A2) and Tom a visit to h3 (A1): only Vera's is a village's change.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.models import AuditEntry, CorrectionRequest, User
from lib.queries.common import data_version
from lib.queries.corrections import correction_requests, reviewable_changes
from lib.rules.permissions import Actor
from lib.services import accounts, auth
from lib.services.auth import actor_for
from lib.services.corrections import resolve, send_back
from lib.services.households import record_visit

AS_OF = dt.date(2020, 10, 31)
TOWN_A = "349901100"
A2, B2 = "349901100202", "349901101205"
H3, H5, H9 = 3, 5, 9
NOW = dt.datetime(2020, 11, 2, 9, 30)


@pytest.fixture
def county(hand_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, dict[str, Actor]]]:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    specs = {
        "vera": ("village_editor", None, A2),
        "ben": ("village_editor", None, B2),
        "tom": ("town_editor", TOWN_A, None),
        "tess": ("town_editor", "349901101", None),
        "lee": ("leader", None, None),
        "ada": ("admin", None, None),
    }
    actors: dict[str, Actor] = {}
    with Session(hand_engine) as session:
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
    yield hand_engine, actors


def _visit(engine: Engine, actor: Actor, household_id: int) -> int:
    with Session(engine) as session:
        record_visit(
            session,
            actor=actor,
            household_id=household_id,
            visited_on=dt.date(2020, 10, 20),
            visitor_name=actor.display_name,
            ledger_verified=True,
            problems=None,
            satisfied=True,
            as_of=AS_OF,
        )
        entry = session.scalar(select(func.max(AuditEntry.id)))
    assert entry is not None
    return entry


def _send(engine: Engine, actor: Actor | None, audit_id: int, comment: str = "日期写错了") -> int:
    with Session(engine) as session:
        return send_back(session, actor=actor, audit_id=audit_id, comment=comment, now=NOW)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_town_editor_sends_a_village_change_back_and_the_village_sees_it(county) -> None:
    engine, actors = county
    change = _visit(engine, actors["vera"], H5)
    with Session(engine) as session:
        before = data_version(session)
    request_id = _send(engine, actors["tom"], change, "  核验日期与台账不符  ")
    with Session(engine) as session:
        request = session.get(CorrectionRequest, request_id)
        assert request is not None
        assert (request.status, request.comment, request.requested_by) == (
            "open",
            "核验日期与台账不符",
            "tom",
        )
        assert int(data_version(session)) == int(before) + 1
        audit = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert audit is not None
        assert (audit.username, audit.action, audit.table_name) == (
            "tom",
            "correction.request",
            "correction_requests",
        )
        assert json.loads(audit.new_values or "{}")["village_code"] == A2

        village_list = correction_requests(session, village_code=A2, status="open")
        assert list(village_list["comment"]) == ["核验日期与台账不符"]
        assert village_list.loc[0, "table_name"] == "verification_visits"
        assert correction_requests(session, village_code=B2).empty
        review = reviewable_changes(session, town_code=TOWN_A)
        assert list(review["audit_id"]) == [change]
        assert bool(review.loc[0, "sent_back"]) is True
        assert reviewable_changes(session, town_code="349901101").empty


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("tom", True),
        ("tess", False),
        ("vera", False),
        ("ben", False),
        ("lee", False),
        ("ada", False),
        (None, False),
    ],
)
def test_only_the_villages_town_editor_may_send_back(county, who: str | None, allowed: bool) -> None:
    engine, actors = county
    change = _visit(engine, actors["vera"], H5)
    actor = actors[who] if who else None
    if allowed:
        assert _send(engine, actor, change) > 0
    else:
        with pytest.raises(PermissionDenied):
            _send(engine, actor, change)
        assert _count(engine, CorrectionRequest) == 0


def test_refusals_name_the_field_and_write_nothing(county) -> None:
    engine, actors = county
    village_change = _visit(engine, actors["vera"], H5)
    town_change = _visit(engine, actors["tom"], H3)
    audit_rows = _count(engine, AuditEntry)
    cases = [
        (village_change, "   ", "comment", "corrections.error.comment_required"),
        (village_change, "x" * 2001, "comment", "updates.error.text_long"),
        (village_change, "bad\x00text", "comment", "updates.error.text_chars"),
        (town_change, "wrong", "audit_id", "corrections.error.not_village_change"),
        (999_999, "wrong", "audit_id", "corrections.error.change_unknown"),
    ]
    for audit_id, comment, field, key in cases:
        with pytest.raises(ValidationError) as error:
            _send(engine, actors["tom"], audit_id, comment)
        assert error.value.errors == {field: key}
    assert _count(engine, CorrectionRequest) == 0
    assert _count(engine, AuditEntry) == audit_rows

    _send(engine, actors["tom"], village_change)
    with pytest.raises(ValidationError) as error:
        _send(engine, actors["tom"], village_change, "again")
    assert error.value.errors == {"audit_id": "corrections.error.already_open"}
    assert _count(engine, CorrectionRequest) == 1


def test_the_village_resolves_once_and_a_stale_or_foreign_resolve_is_refused(county) -> None:
    engine, actors = county
    request_id = _send(engine, actors["tom"], _visit(engine, actors["vera"], H5))
    with Session(engine) as session:
        with pytest.raises(PermissionDenied):
            resolve(session, actor=actors["ben"], request_id=request_id, expected_version=1, note="done")
        with pytest.raises(PermissionDenied):
            resolve(session, actor=actors["lee"], request_id=request_id, expected_version=1, note="done")
        with pytest.raises(ValidationError) as error:
            resolve(session, actor=actors["vera"], request_id=request_id, expected_version=1, note=" ")
        assert error.value.errors == {"note": "corrections.error.note_required"}
        with pytest.raises(StaleEdit) as stale:
            resolve(session, actor=actors["vera"], request_id=request_id, expected_version=7, note="done")
        assert stale.value.current is not None and stale.value.current["status"] == "open"

        version = resolve(
            session,
            actor=actors["vera"],
            request_id=request_id,
            expected_version=1,
            note="已改正日期",
            now=NOW,
        )
        assert version == 2
        with pytest.raises(StaleEdit):  # Tom's page still shows version 1
            resolve(session, actor=actors["tom"], request_id=request_id, expected_version=1, note="done")
        with pytest.raises(ValidationError) as error:
            resolve(session, actor=actors["tom"], request_id=request_id, expected_version=2, note="done")
        assert error.value.errors == {"request_id": "corrections.error.already_resolved"}

        request = session.get(CorrectionRequest, request_id, populate_existing=True)
        assert request is not None
        assert (request.status, request.resolution, request.resolved_by) == ("resolved", "已改正日期", "vera")
        audit = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert audit is not None and audit.action == "correction.resolve"
        assert json.loads(audit.old_values or "{}")["status"] == "open"
        assert json.loads(audit.new_values or "{}")["status"] == "resolved"
        assert reviewable_changes(session, town_code=TOWN_A)["sent_back"].tolist() == [False]
        assert correction_requests(session, village_code=A2, status="open").empty


def test_a_deactivated_village_editors_change_can_still_be_sent_back(county) -> None:
    engine, actors = county
    change = _visit(engine, actors["vera"], H5)
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.username == "vera"))
        assert user is not None
        user.is_active = False
        session.commit()
    assert _send(engine, actors["tom"], change) > 0
