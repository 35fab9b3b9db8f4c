"""Every save checks who is saving at the moment of saving (issue 15, item 1).

A form keeps the account as it was when the form was drawn. Here an account is read (as a form
would hold it), then deactivated, demoted to county leader or moved to another town before it
saves: every write service refuses it, writes nothing, and accepts the same call once the account
is as it was. Before the fix the services trusted the Actor they were given and saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core.errors import PermissionDenied
from lib.core.models import AuditEntry, User
from lib.files import imports
from lib.queries.common import data_version
from lib.rules.permissions import COMMAND_LINE, Actor
from lib.services import accounts, auth, households, industry, training, villages
from lib.services import imports as import_service
from lib.services.villages import NewCadre
from tests.hand_county import UPCOMING_SESSION, add_upcoming_session
from tests.support.accounts import created_actor

D = dt.date
AS_OF = D(2020, 10, 31)
TOWN_A, TOWN_B = "349901100", "349901101"
A1, A2, B1 = "349901100201", "349901100202", "349901101204"
H3, PLAN_H3 = 3, 4


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def county(hand_engine: Engine) -> Engine:
    """The hand county with an upcoming training session (for enrolments)."""
    with Session(hand_engine) as session:
        add_upcoming_session(session, capacity=10)
    return hand_engine


def _change(engine: Engine, actor: Actor, **profile: Any) -> None:
    """An administrator changes the account after the form was drawn."""
    assert actor.user_id is not None
    current: dict[str, Any] = {
        "display_name": actor.display_name,
        "role": actor.role.value,
        "town_code": actor.town_code if actor.village_code is None else None,
        "village_code": actor.village_code,
        "is_active": True,
    }
    with Session(engine) as session:
        accounts.update_user_service(
            session, actor=COMMAND_LINE, user_id=actor.user_id, **(current | profile)
        )


def _visible_state(engine: Engine) -> tuple[int, str]:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0), data_version(session)


# --- one valid write per service, as the role that may make it ---------------------------------

Write = Callable[[Session, Actor], object]


def _visit(session: Session, actor: Actor) -> object:
    return households.record_visit(
        session,
        actor=actor,
        household_id=H3,
        visited_on=D(2020, 10, 20),
        visitor_name="王核验",
        ledger_verified=True,
        problems=None,
        satisfied=True,
        as_of=AS_OF,
    )


def _status(session: Session, actor: Actor) -> object:
    return households.update_household_status(
        session,
        actor=actor,
        household_id=H3,
        expected_version=1,
        status="poor",
        flags={"safe_water": True},
        exit_steps={},
        reason=None,
        as_of=AS_OF,
    )


def _new_plan(session: Session, actor: Actor) -> object:
    return industry.create_plan(
        session,
        actor=actor,
        household_id=H3,
        industry_code="vegetables",
        stage="planned",
        planned_on=D(2020, 3, 1),
        started_on=None,
        partner_org_id=None,
        expected_income=3000,
        actual_income=None,
        reason=None,
        as_of=AS_OF,
    )


def _plan(session: Session, actor: Actor) -> object:
    return industry.update_plan(
        session,
        actor=actor,
        plan_id=PLAN_H3,
        expected_version=1,
        industry_code="vegetables",
        stage="started",
        planned_on=D(2018, 3, 1),
        started_on=D(2020, 10, 1),
        partner_org_id=None,
        expected_income=None,
        actual_income=None,
        reason=None,
        as_of=AS_OF,
    )


def _product(session: Session, actor: Actor) -> object:
    return villages.update_signature_product(
        session,
        actor=actor,
        village_code=A1,
        expected_version=1,
        product_zh="高山茶叶",
        product_en="Highland tea",
        industry_code="vegetables",
    )


def _secretary(session: Session, actor: Actor) -> object:
    return villages.replace_first_secretary(
        session,
        actor=actor,
        village_code=A2,
        expected_posting_id=2,
        ends_on=D(2020, 9, 30),
        starts_on=D(2020, 10, 1),
        new_cadre_id=6,
        reason="派出单位轮换",
        as_of=AS_OF,
    )


def _team_member(session: Session, actor: Actor) -> object:
    new = NewCadre(name="王五", gender="M", birth_year=1980, unit_zh="县农业农村局", unit_en=None)
    return villages.add_team_member(
        session, actor=actor, village_code=A2, starts_on=D(2020, 10, 1), new_cadre=new, as_of=AS_OF
    )


def _end_member(session: Session, actor: Actor) -> object:
    return villages.end_team_member(
        session,
        actor=actor,
        village_code=A1,
        posting_id=8,
        ends_on=D(2020, 10, 1),
        reason="调回原单位",
        as_of=AS_OF,
    )


def _enrol(session: Session, actor: Actor) -> object:
    return training.enrol(session, actor=actor, allocations=[(2, UPCOMING_SESSION)], as_of=AS_OF)


def _attendance(session: Session, actor: Actor) -> object:
    return training.record_attendance(
        session, actor=actor, session_id=1, marks={2: "attended"}, expected={2: "absent"}, as_of=AS_OF
    )


def _browse(session: Session, actor: Actor) -> object:
    return accounts.set_browse_without_sign_in(session, actor=actor, enabled=True)


def _reset_password(session: Session, actor: Actor) -> object:
    target = session.scalar(select(User.id).where(User.username == "someone"))
    assert target is not None
    return accounts.reset_password_service(session, actor=actor, user_id=target, password="another-password")


def _create_account(session: Session, actor: Actor) -> object:
    return accounts.create_user_service(
        session, actor=actor, username="newcomer", password="password-123", display_name="新人", role="leader"
    )


def _import(session: Session, actor: Actor) -> object:
    upload = imports.Upload(
        imports.VISITS,
        (
            imports.Row(
                2,
                {
                    "archive_no": "HAND0003",
                    "visited_on": D(2020, 10, 20),
                    "visitor_name": "王核验",
                    "ledger_verified": True,
                    "problems": None,
                    "satisfied": True,
                    "found_unregistered_need": False,
                },
            ),
        ),
        (),
        1,
    )
    report = import_service.run_import(
        session, actor=actor, record_type=imports.VISITS, rows=upload, as_of=AS_OF, file_name="visits.xlsx"
    )
    if not report.committed:
        raise PermissionDenied(imports.VISITS.action, username=actor.username)
    return report


# (write, role, town, village): each is allowed for that account as it was when the form was drawn
WRITES: dict[str, tuple[Write, str, str | None, str | None]] = {
    "visit": (_visit, "village_editor", None, A1),
    "status": (_status, "village_editor", None, A1),
    "new plan": (_new_plan, "village_editor", None, A1),
    "plan": (_plan, "town_editor", TOWN_A, None),
    "product": (_product, "village_editor", None, A1),
    "first secretary": (_secretary, "town_editor", TOWN_A, None),
    "team member": (_team_member, "town_editor", TOWN_A, None),
    "end team member": (_end_member, "town_editor", TOWN_A, None),
    "enrol": (_enrol, "town_editor", TOWN_A, None),
    "attendance": (_attendance, "town_editor", TOWN_A, None),
    "import": (_import, "village_editor", None, A1),
    "browse setting": (_browse, "admin", None, None),
    "password reset": (_reset_password, "admin", None, None),
    "new account": (_create_account, "admin", None, None),
}
CHANGES: dict[str, dict[str, Any]] = {
    "deactivated": {"is_active": False},
    "demoted to leader": {"role": "leader", "town_code": None, "village_code": None},
    "moved to town B": {"town_code": TOWN_B, "village_code": None},
}


def _moved(role: str) -> dict[str, Any]:
    return {"town_code": None, "village_code": B1} if role == "village_editor" else CHANGES["moved to town B"]


def _cases() -> Iterator[Any]:
    for name in WRITES:
        for change in CHANGES:
            if change == "moved to town B" and WRITES[name][1] == "admin":
                continue  # administrators work county-wide
            yield pytest.param(name, change, id=f"{name}-{change}")


@pytest.mark.parametrize(("write", "change"), list(_cases()))
def test_a_save_checks_the_account_as_it_is_when_saving(county: Engine, write: str, change: str) -> None:
    work, role, town, village = WRITES[write]
    if write == "password reset":
        created_actor(county, "someone", "leader")
    if role == "admin":
        created_actor(county, "other-admin", "admin")  # so this one is not the last administrator
    held = created_actor(county, "editor", role, town=town, village=village)  # the form is drawn
    profile = _moved(role) if change == "moved to town B" else CHANGES[change]
    _change(county, held, **profile)  # an administrator changes the account
    before = _visible_state(county)

    with Session(county) as session, pytest.raises(PermissionDenied):
        work(session, held)  # the form is submitted
    assert _visible_state(county) == before  # nothing written: no audit row, no new data version

    _change(county, held)  # the account as it was: the same submission is accepted
    with Session(county) as session:
        work(session, held)
    assert _visible_state(county)[0] > before[0]


def test_a_renamed_actor_is_not_the_account(county: Engine) -> None:
    """Who is acting is the account's id and name together: an Actor whose name does not match
    the account with its id (as after a database restore) is refused."""
    held = created_actor(county, "editor", "village_editor", village=A1)
    impostor = Actor(
        user_id=held.user_id,
        username="someone-else",
        display_name=held.display_name,
        role=held.role,
        town_code=held.town_code,
        village_code=held.village_code,
    )
    with Session(county) as session, pytest.raises(PermissionDenied):
        _visit(session, impostor)
