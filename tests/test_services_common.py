"""The write side's shared pieces: error objects, audit rows, and the data version counter."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from lib.core.domain import PlanStage, Role
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.i18n import set_language, t
from lib.core.models import AuditEntry, Meta
from lib.rules.permissions import Actor
from lib.services import auth
from lib.services.accounts import create_user
from lib.services.common import DATA_VERSION_KEY, bump_data_version, record_audit


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def session(empty_engine: Engine) -> Iterator[Session]:
    with Session(empty_engine) as session:
        yield session


def _version(session: Session) -> str | None:
    return session.scalar(select(Meta.value).where(Meta.key == DATA_VERSION_KEY))


# --- errors -------------------------------------------------------------------------------------


def test_validation_error_keeps_keys_for_pages_and_reads_in_english() -> None:
    error = ValidationError(
        {"password": "accounts.error.password_short", "town_code": "accounts.error.town_required"},
        {"password": {"min": 8}},
    )
    assert error.errors == {
        "password": "accounts.error.password_short",
        "town_code": "accounts.error.town_required",
    }
    assert error.params_for("password") == {"min": 8} and error.params_for("town_code") == {}
    assert (
        str(error)
        == "password: A password needs at least 8 characters; town_code: A town editor needs a town"
    )
    assert (error.key, error.params) == ("services.invalid", {"n": 2})
    set_language("zh")
    assert error.messages(t)["password"] == "密码至少需要 8 个字符。"
    assert t(error.key, **error.params) == "有 2 项填写有误，未保存任何内容。"
    with pytest.raises(ValueError):
        ValidationError({})


def test_permission_denied_and_stale_edit_say_what_happened() -> None:
    denied = PermissionDenied("training.enrol", username="ted")
    assert (denied.action, denied.username, denied.key) == (
        "training.enrol",
        "ted",
        "services.permission_denied",
    )
    assert str(denied) == "You may not do this (training.enrol); nothing was saved."
    stale = StaleEdit("households", "42", {"status": "exited", "version": 3})
    assert (stale.table, stale.record_key, stale.current) == (
        "households",
        "42",
        {"status": "exited", "version": 3},
    )
    assert "households 42" in str(stale) and stale.key == "services.stale_edit"


# --- audit rows ---------------------------------------------------------------------------------


def test_record_audit_writes_who_what_old_and_new(session: Session) -> None:
    user = create_user(
        session, username="vera", password="a long password", display_name="Vera", role="admin"
    )
    actor = Actor(user.id, "vera", "Vera", Role.ADMIN)
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)
    entry = record_audit(
        session,
        actor=actor,
        action="plan.update",
        table="industry_plans",
        key="17",
        old={"stage": PlanStage.PLANNED, "started_on": None, "expected_income": 6000},
        new={"stage": PlanStage.STARTED, "started_on": dt.date(2020, 5, 1), "note": "黄桃"},
        reason="saplings planted",
    )
    session.commit()
    stored = session.scalars(select(AuditEntry)).one()
    assert stored.id == entry.id
    assert (stored.user_id, stored.username, stored.action) == (user.id, "vera", "plan.update")
    assert (stored.table_name, stored.record_key, stored.reason) == (
        "industry_plans",
        "17",
        "saplings planted",
    )
    assert stored.old_values == '{"expected_income": 6000, "stage": "planned", "started_on": null}'
    assert stored.new_values == '{"note": "黄桃", "stage": "started", "started_on": "2020-05-01"}'
    assert json.loads(stored.new_values)["started_on"] == "2020-05-01"
    assert before <= stored.at <= dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=1)


def test_record_audit_without_actor_is_the_system(session: Session) -> None:
    entry = record_audit(
        session,
        actor=None,
        action="import",
        table="households",
        key="HH0001",
        old={"members": 3},
        new=None,
        reason="",
    )
    session.commit()
    assert (entry.user_id, entry.username) == (None, "system")
    assert (entry.old_values, entry.new_values, entry.reason) == ('{"members": 3}', None, None)


def test_record_audit_refuses_what_does_not_fit(session: Session) -> None:
    with pytest.raises(ValueError):
        record_audit(session, actor=None, action="x" * 21, table="t", key="1", old=None, new=None)
    with pytest.raises(ValueError):
        record_audit(session, actor=None, action="a", table="t", key="k" * 61, old=None, new=None)
    with pytest.raises(TypeError):
        record_audit(session, actor=None, action="a", table="t", key="1", old=None, new={"x": object()})


# --- the data version ---------------------------------------------------------------------------


def test_bump_data_version_starts_at_one_then_counts(session: Session) -> None:
    assert _version(session) is None
    assert bump_data_version(session) == "1"
    assert bump_data_version(session) == "2"
    session.commit()
    assert _version(session) == "2"
    session.execute(delete(Meta))
    session.add(Meta(key=DATA_VERSION_KEY, value="41"))
    session.commit()
    assert bump_data_version(session) == "42"
    session.rollback()  # the bump is part of the caller's transaction
    assert _version(session) == "41"


@pytest.mark.parametrize("start", [None, "7"])
def test_concurrent_bumps_are_never_lost(empty_engine: Engine, start: str | None) -> None:
    """Two threads, 20 bumps each, each bump its own transaction: exactly 40 more."""
    if start is not None:
        with Session(empty_engine) as session:
            session.add(Meta(key=DATA_VERSION_KEY, value=start))
            session.commit()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(20):
                with Session(empty_engine) as session:
                    bump_data_version(session)
                    session.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    with Session(empty_engine) as session:
        assert _version(session) == str(int(start or 0) + 40)
