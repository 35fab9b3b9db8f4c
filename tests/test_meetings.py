"""Promotion meetings and their decisions: the services (every role allowed and refused, stale
edits, hostile text, audit rows) and the queries (where each decision stands, measured progress).

The story, on the hand county (tests/hand_county.py; data as of 2020-10-31, "verified" = the
latest visit up to then verified the ledger and was on or after 2019-10-31): the county's 79th
promotion meeting (第79次全县脱贫攻坚推进会) on 2020-09-10, conveyed by town A's promotion meeting
on 2020-09-14, which decided:

  T1 work teams verify every household's ledger in A1 and A2 by 2020-12-31, measured by the
     verified share (target 100%);
  T2 the town office refines assistance measures and readies data for the third-party assessment
     by 2020-10-15 (not measured; not started → late on 2020-10-31);
  T3 everyone builds the 5A scenic area's tourism chain (no deadline, not started);
  T4 explore "company + cooperative (base) + poor households" (in progress).

By hand, from hand_county.py's docstring:
  verified share of A1 + A2: households h1 h2 h3 (A1), h4 h5 (A2) = 5; verified h1 (2020-06-01)
     and h3 (2020-07-03, after a failed 2020-06-03 visit); h2's latest visit found problems, h4
     and h5 never visited → 2 of 5 = 0.4. A visit to h5 verifying its ledger on 2020-10-20 → 3/5.
  exited share of town A (a task of A's meeting without places): h1 h2 h6 of h1–h6 → 3/6.
  plan share of A1: with labour h1 (2), h3 (2) (h2 has none), both with a plan → 2/2; of A1 + A2:
     plus h4 (no plan), h5 (a plan) → 3/4.
  stable share of B1 + B2: with a plan h7 (producing), h9 (stable) → 1/2.
  training share of the county (a county task without places): serving c1 c2 c3 c4 c5, trained
     c1 c4 c5 → 3/5; of town A: c1 c2 c3, trained c1 → 1/3.
  verified share of the county: h1 h3 h7 of 9 → 3/9.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.domain import Role, TaskMeasure
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.figures import SHARE_PARTS
from lib.core.i18n import CATALOGS
from lib.core.models import AuditEntry, Meeting, MeetingTask, MeetingTaskNote, MeetingTaskPlace, Meta
from lib.queries import meetings as queries
from lib.queries import rollups
from lib.queries.common import data_version
from lib.rules.meetings import LATE, may_report_progress, task_standing
from lib.rules.permissions import Actor
from lib.services import households
from lib.services import meetings as services
from tests.db_fixtures import copy_database
from tests.hand_county import load_hand_county
from tests.planted_text import payload
from tests.support.accounts import module_actors, store_accounts
from tests.support.concurrency import race

D = dt.date
AS_OF = D(2020, 10, 31)
TOWN_A, TOWN_B = "349901100", "349901101"
A1, A2, A3, B1, B2 = "349901100201", "349901100202", "349901100203", "349901101204", "349901101205"

ADMIN = Actor(user_id=None, username="admin", display_name="Admin", role=Role.ADMIN)
LEADER = Actor(user_id=None, username="lead", display_name="Lead", role=Role.LEADER)
EDITOR_A = Actor(user_id=None, username="ed-a", display_name="Ed A", role=Role.TOWN_EDITOR, town_code=TOWN_A)
EDITOR_B = Actor(user_id=None, username="ed-b", display_name="Ed B", role=Role.TOWN_EDITOR, town_code=TOWN_B)
VILLAGER_A1 = Actor(
    user_id=None,
    username="vil-a1",
    display_name="Vil A1",
    role=Role.VILLAGE_EDITOR,
    town_code=TOWN_A,
    village_code=A1,
)
VILLAGER_A2 = Actor(
    user_id=None,
    username="vil-a2",
    display_name="Vil A2",
    role=Role.VILLAGE_EDITOR,
    town_code=TOWN_A,
    village_code=A2,
)


# Every behaviour is checked once on SQLite; PostgreSQL runs the story, measured progress, one
# column of the permission matrix, stale edits, the refusals where its text rules differ (NUL) and
# the two-writers tests (its locks), so the module stays well under 40 s on two workers.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


# --- the story ----------------------------------------------------------------------------------


def _county_meeting(session: Session, actor: Actor | None = ADMIN, **overrides: Any) -> int:
    call: dict[str, Any] = {
        "level": "county",
        "town_code": None,
        "name": "全县脱贫攻坚推进会",
        "number": 79,
        "held_on": D(2020, 9, 10),
        "attending": "各乡镇党委、政府；县扶贫办；县直各帮扶单位",
        "as_of": AS_OF,
    }
    call.update(overrides)
    return services.record_meeting(session, actor=actor, **call)


def _town_meeting(session: Session, actor: Actor | None = EDITOR_A, **overrides: Any) -> int:
    call: dict[str, Any] = {
        "level": "town",
        "town_code": TOWN_A,
        "name": "甲镇脱贫攻坚推进会",
        "number": None,
        "held_on": D(2020, 9, 14),
        "attending": "镇村干部、驻村工作队",
        "conveys_id": None,
        "as_of": AS_OF,
    }
    call.update(overrides)
    return services.record_meeting(session, actor=actor, **call)


def _task(session: Session, meeting_id: int, actor: Actor | None = EDITOR_A, **overrides: Any) -> int:
    call: dict[str, Any] = {
        "meeting_id": meeting_id,
        "what": "工作队逐户核实台账",
        "responsible_unit": "各驻村工作队",
        "responsible_person": None,
        "deadline": D(2020, 12, 31),
    }
    call.update(overrides)
    return services.add_task(session, actor=actor, **call)


@dataclass(frozen=True)
class Story:
    """The ids the story's meetings and tasks get in a fresh copy of the hand county (see the
    module's docstring; `_record_story` checks them): c_all, c_b and c_a2 are the county meeting's
    own decisions (concerning the whole county, town B, village A2), for the permission table."""

    county: int = 1
    town: int = 2
    t1: int = 1
    t2: int = 2
    t3: int = 3
    t4: int = 4
    c_all: int = 5
    c_b: int = 6
    c_a2: int = 7


def _record_story(session: Session) -> None:
    county = _county_meeting(session)
    town = _town_meeting(session, conveys_id=county)
    ids = [
        county,
        town,
        _task(session, town, village_codes=[A2, A1], measure="verified_share"),
        _task(
            session,
            town,
            what="细化帮扶措施，准备第三方评估数据",
            responsible_unit="镇扶贫办",
            responsible_person="李主任",
            deadline=D(2020, 10, 15),
        ),
        _task(session, town, what="全镇共建5A景区旅游产业链", responsible_unit="全镇", deadline=None),
        _task(
            session,
            town,
            what="探索“公司+合作社（基地）+贫困户”模式",
            responsible_unit="镇农业站",
            deadline=None,
            status="in_progress",
        ),
        _task(
            session,
            county,
            ADMIN,
            what="全县培训第一书记",
            responsible_unit="县委组织部",
            measure="training_share",
        ),
        _task(session, county, ADMIN, responsible_unit="乙镇", town_codes=[TOWN_B]),
        _task(session, county, ADMIN, responsible_unit="A2村工作队", village_codes=[A2]),
    ]
    story = Story()
    assert ids == [
        story.county,
        story.town,
        story.t1,
        story.t2,
        story.t3,
        story.t4,
        story.c_all,
        story.c_b,
        story.c_a2,
    ]


def _hand_county_with_accounts(engine: Engine) -> None:
    with Session(engine) as session:
        load_hand_county(session)
        store_accounts(session, *module_actors(globals()))


def _hand_county_with_story(engine: Engine) -> None:
    _hand_county_with_accounts(engine)
    with Session(engine) as session:
        _record_story(session)


@pytest.fixture
def engine(request: pytest.FixtureRequest, backend: str) -> Iterator[Engine]:
    """The hand county with the module's accounts, and with the story recorded when the test asks
    for `story`: each built once per worker and copied for each test."""
    if "story" in request.fixturenames:
        url = copy_database(request, backend, "meetings_story", _hand_county_with_story)
    else:
        url = copy_database(request, backend, "meetings_accounts", _hand_county_with_accounts)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def story() -> Story:
    return Story()


def _standing(session: Session, meeting_id: int, task_id: int, as_of: dt.date = AS_OF) -> Any:
    session.rollback()
    return next(
        task for task in queries.meeting_tasks(session, meeting_id, as_of=as_of) if task.id == task_id
    )


def _snapshot(session: Session) -> tuple[Any, ...]:
    """Everything a refused write must leave alone."""
    session.rollback()
    rows = []
    for model in (Meeting, MeetingTask, MeetingTaskPlace, MeetingTaskNote):
        table = model.__table__
        rows.append(sorted(tuple(row) for row in session.execute(select(table))))  # type: ignore[arg-type]
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    return *rows, audits, data_version(session)


def _audits(session: Session) -> list[AuditEntry]:
    session.rollback()
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


# --- the story as the queries read it ------------------------------------------------------------


def test_the_story_reads_back_with_where_each_decision_stands(session: Session, story: Story) -> None:
    town = queries.meeting(session, story.town)
    assert town is not None
    assert (town.level, town.town_code, town.town_name_zh, town.name, town.number, town.held_on) == (
        "town",
        TOWN_A,
        "甲镇",
        "甲镇脱贫攻坚推进会",
        None,
        D(2020, 9, 14),
    )
    assert town.conveys is not None
    assert (town.conveys.id, town.conveys.level, town.conveys.name, town.conveys.number) == (
        story.county,
        "county",
        "全县脱贫攻坚推进会",
        79,
    )
    assert town.tasks == 4 and town.version == 1

    tasks = queries.meeting_tasks(session, story.town, as_of=AS_OF)
    assert [(t.id, t.status, t.standing) for t in tasks] == [
        (story.t1, "not_started", "not_started"),
        (story.t2, "not_started", LATE),  # due 2020-10-15, nothing done by 2020-10-31
        (story.t3, "not_started", "not_started"),
        (story.t4, "in_progress", "in_progress"),
    ]
    t1 = tasks[0]
    assert [(p.level, p.code, p.name_zh, p.town_code) for p in t1.places] == [
        ("village", A1, "A1村", TOWN_A),
        ("village", A2, "A2村", TOWN_A),
    ]
    assert t1.progress is not None and (t1.progress.part, t1.progress.whole) == (2, 5)
    assert t1.progress.share == pytest.approx(0.4) and t1.target == 1.0 and not t1.progress.reached
    assert tasks[1].progress is None and tasks[1].responsible_person == "李主任"
    # On the deadline itself T2 is not yet late.
    assert _standing(session, story.town, story.t2, as_of=D(2020, 10, 15)).standing == "not_started"


@SQLITE_ONLY
def test_the_meetings_list_newest_first_and_by_town(session: Session, story: Story) -> None:
    every = [m.id for m in queries.list_meetings(session)]
    assert every == [story.town, story.county]
    assert [m.id for m in queries.list_meetings(session, town_codes=[TOWN_B])] == [story.county]
    assert queries.list_meetings(session, town_codes=[TOWN_B], include_county=False) == []
    assert [m.id for m in queries.list_meetings(session, level="county", until=D(2020, 9, 14))] == [
        story.county
    ]
    assert queries.list_meetings(session, since=D(2020, 9, 11), level="county") == []
    assert [m.id for m in queries.list_meetings(session, limit=1, offset=1)] == [story.county]


def test_the_last_meeting_before_a_day_and_where_its_decisions_stand(session: Session, story: Story) -> None:
    assert (
        queries.latest_meeting_before(session, day=D(2020, 9, 14), town_codes=[TOWN_A]) is None
    )  # not on it
    last = queries.last_meeting_standing(session, day=D(2020, 11, 2), town_codes=[TOWN_A])
    assert last is not None and last.meeting.id == story.town and last.as_of == AS_OF  # the data's date
    counts = {standing: last.count(standing) for standing in ("not_started", "in_progress", LATE, "done")}
    assert counts == {"not_started": 2, "in_progress": 1, LATE: 1, "done": 0}
    county = queries.last_meeting_standing(session, day=D(2020, 9, 14))
    assert county is not None and county.meeting.id == story.county
    assert queries.latest_meeting_before(session, day=D(2020, 9, 10)) is None
    assert queries.latest_meeting_before(session, day=D(2020, 11, 1), town_codes=[TOWN_B]) is None


def test_the_tasks_a_town_or_a_village_reports_on(session: Session, story: Story) -> None:
    """Town A: its own meeting's four, and the county's decision naming A2; B: the county's naming
    B; A1: T1; A2: T1 and the county's. Done ones only when asked for."""

    def ids(**where: Any) -> list[int]:
        return [task.id for task in queries.tasks_concerning(session, **where, as_of=AS_OF)]

    assert ids(town_code=TOWN_A) == [story.t1, story.t2, story.t3, story.t4, story.c_a2]
    assert ids(town_code=TOWN_B) == [story.c_b]
    assert ids(town_code=TOWN_A, village_code=A1) == [story.t1]
    assert ids(town_code=TOWN_A, village_code=A2) == [story.t1, story.c_a2]
    _note(session, EDITOR_A, story.t3, status="done", expected_version=1)
    assert story.t3 not in ids(town_code=TOWN_A)
    assert story.t3 in ids(town_code=TOWN_A, include_done=True)


# --- measured progress ----------------------------------------------------------------------------


@pytest.fixture(params=["rollups current", "rollups stale"])
def rollup_state(session: Session, request: pytest.FixtureRequest) -> str:
    """The hand county read from its rollups, or (stale) from the base tables."""
    if request.param == "rollups stale":
        session.execute(update(Meta).where(Meta.key == rollups.ROLLUP_VERSION_KEY).values(value="0"))
        session.commit()
    assert rollups.counts_ready(session) is (request.param == "rollups current")
    return str(request.param)


def test_the_verified_share_of_a1_and_a2_follows_a_verification_visit(
    session: Session, story: Story, rollup_state: str
) -> None:
    services.update_task(
        session,
        actor=EDITOR_A,
        task_id=story.t1,
        expected_version=1,
        what="工作队逐户核实台账",
        responsible_unit="各驻村工作队",
        responsible_person=None,
        deadline=D(2020, 12, 31),
        village_codes=[A1, A2],
        measure="verified_share",
        target=0.6,
        status="in_progress",
    )
    before = _standing(session, story.town, story.t1)
    assert before.progress is not None
    assert (before.progress.part, before.progress.whole, before.standing) == (2, 5, "in_progress")

    households.record_visit(
        session,
        actor=VILLAGER_A2,
        household_id=5,  # h5, in A2
        visited_on=D(2020, 10, 20),
        visitor_name="核验员",
        ledger_verified=True,
        problems=None,
        satisfied=True,
        as_of=AS_OF,
    )
    after = _standing(session, story.town, story.t1)
    assert after.progress is not None
    assert (after.progress.part, after.progress.whole) == (3, 5)
    assert after.progress.share == pytest.approx(0.6)
    assert after.status == "in_progress" and after.standing == "done"  # 3/5 reaches its target of 0.6


MEASURED: list[tuple[str, list[str], list[str], int, int]] = [
    ("verified_share", [], [A1, A2], 2, 5),
    ("verified_share", [], [], 3, 9),
    ("exited_share", [TOWN_A], [], 3, 6),
    ("plan_share", [], [A1], 2, 2),
    ("plan_share", [], [A1, A2], 3, 4),
    ("stable_share", [], [B1, B2], 1, 2),
    ("training_share", [], [], 3, 5),
    ("training_share", [TOWN_A], [], 1, 3),
]


def test_measured_progress_equals_the_hand_worked_share(
    session: Session, story: Story, rollup_state: str
) -> None:
    """Each of MEASURED (measure, towns, villages, part, whole) as the module's docstring works it out."""
    found = [
        (measure, towns, villages, (progress.part, progress.whole))
        for measure, towns, villages, _, _ in MEASURED
        for progress in [
            queries.measured_progress(session, measure=measure, town_codes=towns, village_codes=villages)
        ]
    ]
    assert found == [(m, towns, villages, (part, whole)) for m, towns, villages, part, whole in MEASURED]


@SQLITE_ONLY
def test_a_task_without_places_counts_its_meetings_town_or_the_county(session: Session, story: Story) -> None:
    exited = _task(session, story.town, what="巩固脱贫成果", measure="exited_share", target=0.5)
    standing = _standing(session, story.town, exited)
    assert standing.places == () and standing.progress is not None
    assert (standing.progress.part, standing.progress.whole, standing.standing) == (3, 6, "done")  # 3/6 = 0.5
    county = _standing(session, story.county, story.c_all)
    assert county.progress is not None and (county.progress.part, county.progress.whole) == (3, 5)
    assert county.standing == "not_started"  # 3/5 of a target of 1.0


def test_the_measures_are_the_overviews_shares() -> None:
    assert {member.value for member in TaskMeasure} == set(SHARE_PARTS)


@pytest.mark.parametrize(
    ("status", "deadline", "share", "target", "standing"),
    [
        ("not_started", D(2020, 10, 30), None, None, LATE),
        ("in_progress", D(2020, 10, 30), 0.5, 1.0, LATE),
        ("in_progress", D(2020, 10, 31), None, None, "in_progress"),  # due today: not yet late
        ("done", D(2020, 1, 1), None, None, "done"),
        ("not_started", D(2020, 1, 1), 0.9, 0.9, "done"),  # measured and reached, though late
        ("not_started", None, None, None, "not_started"),
        ("in_progress", None, None, 1.0, "in_progress"),  # nothing to measure yet (whole 0)
    ],
)
def test_where_a_task_stands(
    status: str, deadline: dt.date | None, share: float | None, target: float | None, standing: str
) -> None:
    assert (
        task_standing(status=status, deadline=deadline, as_of=AS_OF, share=share, target=target) == standing
    )


# --- who may ----------------------------------------------------------------------------------------


def _note(session: Session, actor: Actor | None, task_id: int, **overrides: Any) -> int:
    call: dict[str, Any] = {
        "task_id": task_id,
        "noted_on": D(2020, 10, 20),
        "text": "已完成A1村核实",
        "as_of": AS_OF,
    }
    call.update(overrides)
    return services.add_progress_note(session, actor=actor, **call)


def _update_task(session: Session, actor: Actor | None, task_id: int, **overrides: Any) -> int:
    call: dict[str, Any] = {
        "task_id": task_id,
        "expected_version": 1,
        "what": "工作队逐户核实台账（含监测户）",
        "responsible_unit": "各驻村工作队",
        "responsible_person": None,
        "deadline": D(2020, 12, 31),
        "village_codes": [A1, A2],
        "measure": "verified_share",
        "target": None,
        "status": "in_progress",
    }
    call.update(overrides)
    return services.update_task(session, actor=actor, **call)


def _update_meeting(session: Session, actor: Actor | None, meeting_id: int, **overrides: Any) -> int:
    found = queries.meeting(session, meeting_id)
    assert found is not None
    call: dict[str, Any] = {
        "meeting_id": meeting_id,
        "expected_version": found.version,
        "name": found.name + "（扩大）",
        "number": found.number,
        "held_on": found.held_on,
        "attending": found.attending,
        "conveys_id": found.conveys.id if found.conveys else None,
        "as_of": AS_OF,
    }
    call.update(overrides)
    session.rollback()
    return services.update_meeting(session, actor=actor, **call)


WRITES: dict[str, Callable[[Session, Story, Actor | None], Any]] = {
    # The next meetings: the story's own again would be refused as recorded twice.
    "record_county_meeting": lambda s, story, actor: _county_meeting(
        s, actor, number=80, held_on=D(2020, 10, 12)
    ),
    "record_town_a_meeting": lambda s, story, actor: _town_meeting(s, actor, held_on=D(2020, 10, 14)),
    "update_county_meeting": lambda s, story, actor: _update_meeting(s, actor, story.county),
    "update_town_a_meeting": lambda s, story, actor: _update_meeting(s, actor, story.town),
    "add_task_to_county_meeting": lambda s, story, actor: _task(s, story.county, actor),
    "add_task_to_town_a_meeting": lambda s, story, actor: _task(s, story.town, actor),
    "update_town_a_task": lambda s, story, actor: _update_task(s, actor, story.t1),
    "delete_town_a_task": lambda s, story, actor: services.delete_task(
        s, actor=actor, task_id=story.t3, expected_version=1
    ),
    "note_town_a_task_in_a1_a2": lambda s, story, actor: _note(s, actor, story.t1),
    "note_town_a_task_without_places": lambda s, story, actor: _note(
        s, actor, story.t2, status="in_progress", expected_version=1
    ),
    "note_county_task_in_town_b": lambda s, story, actor: _note(s, actor, story.c_b),
    "note_county_task_in_a2": lambda s, story, actor: _note(
        s, actor, story.c_a2, status="done", expected_version=1
    ),
    "note_county_task_without_places": lambda s, story, actor: _note(s, actor, story.c_all),
}
ALLOWED = {
    "record_county_meeting": {ADMIN},
    "record_town_a_meeting": {ADMIN, EDITOR_A},
    "update_county_meeting": {ADMIN},
    "update_town_a_meeting": {ADMIN, EDITOR_A},
    "add_task_to_county_meeting": {ADMIN},
    "add_task_to_town_a_meeting": {ADMIN, EDITOR_A},
    "update_town_a_task": {ADMIN, EDITOR_A},
    "delete_town_a_task": {ADMIN, EDITOR_A},
    "note_town_a_task_in_a1_a2": {ADMIN, EDITOR_A, VILLAGER_A1, VILLAGER_A2},
    "note_town_a_task_without_places": {ADMIN, EDITOR_A},
    "note_county_task_in_town_b": {ADMIN, EDITOR_B},
    "note_county_task_in_a2": {ADMIN, EDITOR_A, VILLAGER_A2},
    "note_county_task_without_places": {ADMIN},
}
ACTORS = {
    "admin": ADMIN,
    "leader": LEADER,
    "town_a": EDITOR_A,
    "town_b": EDITOR_B,
    "village_a1": VILLAGER_A1,
    "village_a2": VILLAGER_A2,
    "anonymous": None,
}


ALLOWED_CELLS = sorted(
    (write, name) for write, allowed in ALLOWED.items() for name, actor in ACTORS.items() if actor in allowed
)
# The PostgreSQL subset: one of each kind of write, by the narrowest role allowed and everyone refused.
POSTGRES_WRITES = ["record_town_a_meeting", "add_task_to_town_a_meeting", "note_county_task_in_a2"]


def _backends_for(cells: list[Any], on_postgres: Callable[[Any], bool]) -> list[Any]:
    postgres = pytest.mark.postgres
    return [
        *(pytest.param("sqlite", *cell, id=f"sqlite-{'-'.join(cell)}") for cell in cells),
        *(
            pytest.param("postgresql", *cell, id=f"postgresql-{'-'.join(cell)}", marks=postgres)
            for cell in cells
            if on_postgres(cell)
        ),
    ]


@pytest.mark.parametrize(
    ("backend", "write", "actor_name"),
    _backends_for(
        ALLOWED_CELLS,
        lambda cell: cell in {("record_town_a_meeting", "town_a"), ("note_county_task_in_a2", "village_a2")},
    ),
)
def test_permission_matrix_allowed(session: Session, story: Story, write: str, actor_name: str) -> None:
    """Each write by each actor ALLOWED: stored, audited under the actor's name, one data version."""
    actor = ACTORS[actor_name]
    before = _snapshot(session)
    WRITES[write](session, story, actor)
    assert _snapshot(session) != before
    assert _audits(session)[-1].username == actor.username  # type: ignore[union-attr]
    assert data_version(session) == str(int(before[-1]) + 1)


@pytest.mark.parametrize(
    ("backend", "write"),
    [
        *(pytest.param("sqlite", write, id=f"sqlite-{write}") for write in sorted(WRITES)),
        *(
            pytest.param("postgresql", write, id=f"postgresql-{write}", marks=pytest.mark.postgres)
            for write in POSTGRES_WRITES
        ),
    ],
)
def test_permission_matrix_refused(session: Session, story: Story, write: str) -> None:
    """Each write by every actor not ALLOWED (tried one after another: a refusal writes nothing)."""
    before = _snapshot(session)
    let_through = []
    for name, actor in sorted(ACTORS.items()):
        if actor in ALLOWED[write]:
            continue
        try:
            WRITES[write](session, story, actor)
        except PermissionDenied:
            pass
        else:
            let_through.append(name)
        assert _snapshot(session) == before, name
    assert let_through == []


def test_the_permission_rule_reads_the_places() -> None:
    """lib.rules.meetings.may_report_progress, which pages ask before offering the note form."""
    assert may_report_progress(VILLAGER_A1, meeting_town_code=None, villages=[(TOWN_A, A1)])
    assert not may_report_progress(VILLAGER_A1, meeting_town_code=TOWN_A)  # A's own meeting, no places
    assert not may_report_progress(VILLAGER_A1, meeting_town_code=None, town_codes=[TOWN_A])  # the town's
    assert may_report_progress(EDITOR_A, meeting_town_code=None, villages=[(TOWN_A, A2)])
    assert not may_report_progress(EDITOR_B, meeting_town_code=TOWN_A, villages=[(TOWN_A, A2)])
    assert may_report_progress(ADMIN, meeting_town_code=None)
    assert not may_report_progress(LEADER, meeting_town_code=TOWN_A, town_codes=[TOWN_A])
    assert not may_report_progress(None, meeting_town_code=TOWN_A)


@SQLITE_ONLY
def test_a_deactivated_editor_is_refused_though_the_form_still_holds_the_account(
    session: Session, story: Story
) -> None:
    from lib.core.models import User

    session.execute(update(User).where(User.username == EDITOR_A.username).values(is_active=False))
    session.commit()
    before = _snapshot(session)
    with pytest.raises(PermissionDenied):
        _task(session, story.town, EDITOR_A)
    assert _snapshot(session) == before


# --- what each write stores and audits -------------------------------------------------------------


@SQLITE_ONLY
def test_recording_audits_each_write_and_bumps_the_data_version(session: Session) -> None:
    version = int(data_version(session))
    county = _county_meeting(session)
    town = _town_meeting(session, conveys_id=county)
    task = _task(session, town, village_codes=[A1], measure="plan_share", target=0.8)
    audits = _audits(session)
    assert [(a.username, a.action, a.table_name, a.record_key) for a in audits] == [
        ("admin", "meeting.record", "meetings", str(county)),
        ("ed-a", "meeting.record", "meetings", str(town)),
        ("ed-a", "meeting.record", "meeting_tasks", str(task)),
    ]
    assert all(a.old_values is None for a in audits)
    assert json.loads(audits[1].new_values or "{}") == {
        "level": "town",
        "town_code": TOWN_A,
        "name": "甲镇脱贫攻坚推进会",
        "number": None,
        "held_on": "2020-09-14",
        "attending": "镇村干部、驻村工作队",
        "conveys_id": county,
    }
    assert json.loads(audits[2].new_values or "{}") == {
        "meeting_id": town,
        "what": "工作队逐户核实台账",
        "responsible_unit": "各驻村工作队",
        "responsible_person": None,
        "deadline": "2020-12-31",
        "status": "not_started",
        "measure": "plan_share",
        "target": 0.8,
        "places": [A1],
    }
    assert data_version(session) == str(version + 3)
    stored = session.get(Meeting, town)
    assert stored is not None and (stored.created_by, stored.version) == ("ed-a", 1)


@SQLITE_ONLY
def test_a_note_with_a_status_is_two_audit_rows_and_one_data_version(session: Session, story: Story) -> None:
    version = int(data_version(session))
    note = _note(session, VILLAGER_A1, story.t1, status="in_progress", expected_version=1)
    audits = _audits(session)[-2:]
    assert [(a.username, a.action, a.table_name, a.record_key) for a in audits] == [
        ("vil-a1", "meeting.progress", "meeting_task_notes", str(story.t1)),
        ("vil-a1", "meeting.progress", "meeting_tasks", str(story.t1)),
    ]
    assert json.loads(audits[0].new_values or "{}") == {
        "note_id": note,
        "noted_on": "2020-10-20",
        "text": "已完成A1村核实",
        "status": "in_progress",
    }
    assert (json.loads(audits[1].old_values or "{}"), json.loads(audits[1].new_values or "{}")) == (
        {"status": "not_started"},
        {"status": "in_progress"},
    )
    assert data_version(session) == str(version + 1)
    t1 = _standing(session, story.town, story.t1)
    assert (t1.status, t1.version) == ("in_progress", 2)
    assert [(n.noted_on, n.text, n.status, n.username) for n in t1.notes] == [
        (D(2020, 10, 20), "已完成A1村核实", "in_progress", "vil-a1")
    ]
    _note(session, VILLAGER_A2, story.t1, noted_on=D(2020, 10, 25), text="A2村已核实h4")  # a note alone
    t1 = _standing(session, story.town, story.t1)
    assert t1.version == 2 and [n.status for n in t1.notes] == ["in_progress", None]


@SQLITE_ONLY
def test_changing_only_a_tasks_places_moves_its_version(session: Session, story: Story) -> None:
    version = _update_task(
        session, EDITOR_A, story.t1, what="工作队逐户核实台账", status="not_started", village_codes=[A1]
    )
    assert version == 2
    t1 = _standing(session, story.town, story.t1)
    assert [p.code for p in t1.places] == [A1]
    assert t1.progress is not None and (t1.progress.part, t1.progress.whole) == (2, 3)  # h1, h3 of h1–h3
    entry = _audits(session)[-1]
    assert (json.loads(entry.old_values or "{}"), json.loads(entry.new_values or "{}")) == (
        {"places": [A1, A2]},
        {"places": [A1]},
    )
    unchanged = _update_task(
        session,
        EDITOR_A,
        story.t1,
        expected_version=2,
        what="工作队逐户核实台账",
        status="not_started",
        village_codes=[A1],
    )
    assert unchanged == 2  # nothing changed, nothing written


@SQLITE_ONLY
def test_deleting_a_task_takes_its_places_and_notes_and_keeps_its_values_in_the_audit(
    session: Session, story: Story
) -> None:
    _note(session, EDITOR_A, story.t1)
    services.delete_task(session, actor=EDITOR_A, task_id=story.t1, expected_version=1, reason="重复录入")
    session.rollback()
    assert session.get(MeetingTask, story.t1) is None
    assert session.scalar(select(func.count()).where(MeetingTaskPlace.task_id == story.t1)) == 0
    assert session.scalar(select(func.count()).where(MeetingTaskNote.task_id == story.t1)) == 0
    entry = _audits(session)[-1]
    assert (entry.table_name, entry.record_key, entry.new_values, entry.reason) == (
        "meeting_tasks",
        str(story.t1),
        None,
        "重复录入",
    )
    assert json.loads(entry.old_values or "{}")["places"] == [A1, A2]
    assert json.loads(entry.old_values or "{}")["notes"] == 1


# --- stale edits -------------------------------------------------------------------------------------


def test_the_second_of_two_meeting_edits_from_version_1_is_stale(
    session: Session, story: Story, engine: Engine
) -> None:
    """Two editors open town A's meeting at version 1; the first saves, the second is refused."""
    _update_meeting(session, EDITOR_A, story.town, expected_version=1, name="甲镇推进会（一）")
    before = _snapshot(session)
    with Session(engine) as other, pytest.raises(StaleEdit) as caught:
        _update_meeting(other, ADMIN, story.town, expected_version=1, name="甲镇推进会（二）")
    assert (caught.value.table, caught.value.record_key) == ("meetings", str(story.town))
    assert caught.value.current is not None
    assert (caught.value.current["name"], caught.value.current["version"]) == ("甲镇推进会（一）", 2)
    assert _snapshot(session) == before


def test_the_second_of_two_task_edits_from_version_1_is_stale(
    session: Session, story: Story, engine: Engine
) -> None:
    _update_task(session, EDITOR_A, story.t1, target=0.9)
    before = _snapshot(session)
    with Session(engine) as other, pytest.raises(StaleEdit) as caught:
        _update_task(other, ADMIN, story.t1, deadline=D(2021, 1, 31))
    assert caught.value.current is not None
    assert (caught.value.current["target"], caught.value.current["version"]) == (0.9, 2)
    assert _snapshot(session) == before
    with pytest.raises(StaleEdit):  # a status set with a note names the version it saw
        _note(session, VILLAGER_A1, story.t1, status="done", expected_version=1)
    with pytest.raises(StaleEdit):
        services.delete_task(session, actor=EDITOR_A, task_id=story.t1, expected_version=1)
    assert _snapshot(session) == before
    _note(session, VILLAGER_A1, story.t1, text="核实过半")  # a note alone never conflicts


# --- validation and hostile text ------------------------------------------------------------------

HOSTILE = [
    payload("what"),
    '<img src="http://203.0.113.9/x.png" onerror="alert(1)">',
    '=HYPERLINK("http://203.0.113.9/","点击")',
    "+1-1",
    "@SUM(A1:A9)",
    "'; DROP TABLE meetings; --",
    "**粗体** _斜体_ `代码` # 标题",
]


def test_hostile_text_is_stored_and_read_back_as_typed(session: Session, story: Story) -> None:
    for text in HOSTILE:
        _hostile_round_trip(session, text)


def _hostile_round_trip(session: Session, text: str) -> None:
    one_line = text[: services.NAME_MAX]
    county = _county_meeting(session, name=one_line, attending=text)
    task = _task(
        session,
        county,
        ADMIN,
        what=text,
        responsible_unit=text[: services.UNIT_MAX].strip(),
        responsible_person=text[: services.PERSON_MAX].strip(),
    )
    _note(session, ADMIN, task, text=text)
    found = queries.meeting(session, county)
    assert found is not None and (found.name, found.attending) == (one_line.strip(), text)
    (standing,) = queries.meeting_tasks(session, county, as_of=AS_OF)
    assert standing.what == text and standing.responsible_unit == text[: services.UNIT_MAX].strip()
    assert standing.responsible_person == text[: services.PERSON_MAX].strip()
    assert [note.text for note in standing.notes] == [text]


@SQLITE_ONLY
def test_free_text_keeps_its_line_breaks_and_is_trimmed(session: Session) -> None:
    county = _county_meeting(session, name="  全县推进会  ", attending="县扶贫办\n各乡镇\t政府 ")
    task = _task(session, county, ADMIN, what=" 一、核实台账；\n二、整改问题 ")
    found = queries.meeting(session, county)
    assert found is not None and (found.name, found.attending) == ("全县推进会", "县扶贫办\n各乡镇\t政府")
    assert _standing(session, county, task).what == "一、核实台账；\n二、整改问题"


MEETING_REFUSALS: list[tuple[dict[str, Any], str, str, dict[str, Any]]] = [
    ({"name": "会" * 121}, "name", "meetings.error.too_long", {"max": 120}),
    ({"name": "  "}, "name", "meetings.error.required", {}),
    ({"name": None}, "name", "meetings.error.required", {}),
    ({"name": 79}, "name", "meetings.error.not_text", {}),
    ({"name": "推进会\n第二行"}, "name", "meetings.error.bad_chars", {}),
    ({"name": "推进\x00会"}, "name", "meetings.error.bad_chars", {}),
    ({"name": "推进会\x1b[31m"}, "name", "meetings.error.bad_chars", {}),
    ({"name": "\u202e会进推"}, "name", "forms.error.invisible_char", {"code": "U+202E", "position": 1}),
    ({"name": "推\u200b进会"}, "name", "forms.error.invisible_char", {"code": "U+200B", "position": 2}),
    ({"attending": "单" * 2001}, "attending", "meetings.error.too_long", {"max": 2000}),
    ({"attending": "县扶贫办\x07"}, "attending", "meetings.error.text_chars", {}),
    ({"number": 0}, "number", "meetings.error.number_invalid", {"max": 10_000}),
    ({"number": True}, "number", "meetings.error.number_invalid", {"max": 10_000}),
    ({"number": "79"}, "number", "meetings.error.number_invalid", {"max": 10_000}),
    ({"held_on": D(2020, 11, 1)}, "held_on", "updates.error.date_in_future", {"as_of": "2020-10-31"}),
    ({"held_on": D(2013, 12, 31)}, "held_on", "updates.error.date_too_early", {"earliest": "2014-01-01"}),
    ({"held_on": "2020-09-10"}, "held_on", "updates.error.date_invalid", {}),
    ({"held_on": dt.datetime(2020, 9, 10, 9, 0)}, "held_on", "updates.error.date_invalid", {}),
    ({"level": "city"}, "level", "meetings.error.level_unknown", {}),
    ({"town_code": TOWN_A}, "town_code", "meetings.error.town_for_county", {}),
    ({"conveys_id": 1}, "conveys_id", "meetings.error.conveys_only_town", {}),
]


def _refusals(
    session: Session,
    cases: list[tuple[dict[str, Any], str, str, dict[str, Any] | None]],
    write: Callable[[dict[str, Any]], Any],
) -> None:
    """Each case (overrides, field, label key, its params or None: not checked) refused by field
    with that key, its label in both languages, and nothing written; tried one after another on one
    database (a refusal writes nothing), every mismatch reported at once."""
    before = _snapshot(session)
    wrong: list[tuple[Any, ...]] = []
    for overrides, field, key, params in cases:
        try:
            write(dict(overrides))
        except ValidationError as error:
            got = (error.errors.get(field), error.params_for(field) if params is not None else None)
            if got != (key, params):
                wrong.append((overrides, field, got))
        else:
            wrong.append((overrides, field, "accepted"))
        assert key in CATALOGS["zh"] and key in CATALOGS["en"], key
        assert _snapshot(session) == before, overrides
    assert wrong == []


def test_meeting_refusals_name_the_field_and_write_nothing(session: Session, story: Story) -> None:
    _refusals(session, MEETING_REFUSALS, lambda overrides: _county_meeting(session, **overrides))  # type: ignore[arg-type]


TOWN_MEETING_REFUSALS: list[tuple[dict[str, Any], str, str]] = [
    ({"town_code": None}, "town_code", "meetings.error.town_required"),
    ({"town_code": "349901199"}, "town_code", "meetings.error.town_unknown"),
    ({"town_code": "3499\x0001100"}, "town_code", "meetings.error.town_unknown"),
    ({"conveys_id": "not an id"}, "conveys_id", "meetings.error.conveys_unknown"),
    ({"conveys_id": 999}, "conveys_id", "meetings.error.conveys_unknown"),
    ({"conveys_id": "@town"}, "conveys_id", "meetings.error.conveys_not_county"),
    ({"conveys_id": "@county", "held_on": D(2020, 9, 9)}, "conveys_id", "meetings.error.conveys_later"),
]


def test_town_meeting_refusals(session: Session, story: Story) -> None:
    """A town meeting's town must be known (a NUL in its code too, which PostgreSQL refuses in text);
    what it conveys, a county meeting held on or before it ("@town": the story's town meeting,
    "@county": the county's)."""

    def write(overrides: dict[str, Any]) -> Any:
        conveys = overrides.get("conveys_id")
        if isinstance(conveys, str) and conveys.startswith("@"):
            overrides["conveys_id"] = getattr(story, conveys[1:])
        actor = ADMIN if "town_code" in overrides else EDITOR_A
        return _town_meeting(session, actor, **overrides)

    _refusals(session, [(o, f, k, None) for o, f, k in TOWN_MEETING_REFUSALS], write)


TASK_REFUSALS: list[tuple[dict[str, Any], str, str, dict[str, Any]]] = [
    ({"what": ""}, "what", "meetings.error.required", {}),
    ({"what": "核" * 501}, "what", "meetings.error.too_long", {"max": 500}),
    ({"what": "核实\x00台账"}, "what", "meetings.error.text_chars", {}),
    ({"responsible_unit": None}, "responsible_unit", "meetings.error.required", {}),
    ({"responsible_unit": "单" * 81}, "responsible_unit", "meetings.error.too_long", {"max": 80}),
    ({"responsible_unit": "镇扶贫办\n镇政府"}, "responsible_unit", "meetings.error.bad_chars", {}),
    ({"responsible_person": "李" * 41}, "responsible_person", "meetings.error.too_long", {"max": 40}),
    (
        {"deadline": D(2020, 9, 13)},
        "deadline",
        "meetings.error.deadline_before_meeting",
        {"held_on": "2020-09-14"},
    ),
    ({"deadline": D(2025, 9, 15)}, "deadline", "meetings.error.deadline_too_far", {"latest": "2025-09-14"}),
    ({"deadline": "2020-12-31"}, "deadline", "updates.error.date_invalid", {}),
    (
        {"status": "late"},
        "status",
        "meetings.error.status_unknown",
        {"status": "late", "statuses": "not_started, in_progress, done"},
    ),
    (
        {"measure": "happiness"},
        "measure",
        "meetings.error.measure_unknown",
        {
            "measure": "happiness",
            "measures": "verified_share, plan_share, stable_share, exited_share, training_share",
        },
    ),
    ({"measure": "verified_share", "target": 0}, "target", "meetings.error.target_range", {}),
    ({"measure": "verified_share", "target": 1.5}, "target", "meetings.error.target_range", {}),
    ({"measure": "verified_share", "target": float("nan")}, "target", "meetings.error.target_range", {}),
    ({"measure": "verified_share", "target": True}, "target", "meetings.error.target_range", {}),
    ({"target": 0.9}, "target", "meetings.error.target_without_measure", {}),
    ({"town_codes": [TOWN_A], "village_codes": [A1]}, "places", "meetings.error.places_mixed", {}),
    ({"village_codes": A1}, "places", "meetings.error.places_invalid", {}),
    ({"village_codes": [A1, 5]}, "places", "meetings.error.places_invalid", {}),
    (
        {"village_codes": [A1, "349901100299"]},
        "places",
        "meetings.error.place_unknown",
        {"code": "349901100299"},
    ),
    ({"village_codes": ["x" * 13]}, "places", "meetings.error.place_unknown", {"code": "x" * 13}),
    ({"village_codes": [A1, B1]}, "places", "meetings.error.place_outside_town", {"code": B1}),
    ({"town_codes": [TOWN_B]}, "places", "meetings.error.place_outside_town", {"code": TOWN_B}),
    ({"meeting_id": 999}, "meeting_id", "meetings.error.meeting_unknown", {}),
]


def test_task_refusals_name_the_field_and_write_nothing(session: Session, story: Story) -> None:
    _refusals(
        session,
        TASK_REFUSALS,  # type: ignore[arg-type]
        lambda overrides: _task(session, overrides.pop("meeting_id", story.town), **overrides),
    )


NOTE_REFUSALS: list[tuple[dict[str, Any], str, str]] = [
    ({"text": " "}, "text", "meetings.error.required"),
    ({"text": "进" * 2001}, "text", "meetings.error.too_long"),
    ({"text": "进展\x08"}, "text", "meetings.error.text_chars"),
    ({"noted_on": D(2020, 9, 13)}, "noted_on", "meetings.error.noted_before_meeting"),
    ({"noted_on": D(2020, 11, 1)}, "noted_on", "updates.error.date_in_future"),
    ({"status": "late", "expected_version": 1}, "status", "meetings.error.status_unknown"),
    ({"task_id": 999}, "task_id", "meetings.error.task_unknown"),
    ({"task_id": "1"}, "task_id", "meetings.error.task_unknown"),
]


@SQLITE_ONLY
def test_note_refusals_write_nothing(session: Session, story: Story) -> None:
    _refusals(
        session,
        [(o, f, k, None) for o, f, k in NOTE_REFUSALS],
        lambda overrides: _note(session, EDITOR_A, overrides.pop("task_id", story.t1), **overrides),
    )


@SQLITE_ONLY
def test_a_meeting_cannot_move_past_its_decisions_or_the_meetings_conveying_it(
    session: Session, story: Story
) -> None:
    before = _snapshot(session)
    with pytest.raises(ValidationError) as caught:
        _update_meeting(session, EDITOR_A, story.town, held_on=D(2020, 10, 16))  # T2 due 2020-10-15
    assert caught.value.errors == {"held_on": "meetings.error.held_after_deadline"}
    assert caught.value.params_for("held_on") == {"deadline": "2020-10-15"}
    with pytest.raises(ValidationError) as caught:
        _update_meeting(session, ADMIN, story.county, held_on=D(2020, 9, 15))  # A conveyed it on 09-14
    assert caught.value.errors == {"held_on": "meetings.error.held_after_conveying"}
    assert _snapshot(session) == before
    _note(session, EDITOR_A, story.t3, noted_on=D(2020, 9, 20))
    with pytest.raises(ValidationError) as caught:
        _update_meeting(session, EDITOR_A, story.town, held_on=D(2020, 9, 21))
    assert caught.value.errors == {"held_on": "meetings.error.held_after_note"}
    assert _update_meeting(session, EDITOR_A, story.town, held_on=D(2020, 9, 12)) == 2


# --- two saves at once ----------------------------------------------------------------------------


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_two_edits_of_one_task_at_once_save_one(engine: Engine, story: Story) -> None:
    """Both read version 1 before either writes (tests/support/concurrency.py `race`); the second
    to write is refused with the first one's values, on SQLite (BEGIN IMMEDIATE) as on PostgreSQL
    (the task read FOR UPDATE)."""
    results = race(
        _url(engine),
        lambda session: _update_task(session, EDITOR_A, story.t1, target=0.9),
        lambda session: _update_task(session, ADMIN, story.t1, deadline=D(2021, 1, 31)),
    )
    refused = [result for result in results if isinstance(result, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], StaleEdit), results
    assert refused[0].current is not None and refused[0].current["version"] == 2
    with Session(engine) as session:
        task = session.get(MeetingTask, story.t1)
        assert task is not None and task.version == 2
        assert (task.target, task.deadline) in {(0.9, D(2020, 12, 31)), (1.0, D(2021, 1, 31))}
        changes = session.scalar(
            select(func.count()).where(
                AuditEntry.table_name == "meeting_tasks", AuditEntry.old_values.is_not(None)
            )
        )
    assert changes == 1


def test_a_meeting_moved_while_a_decision_is_added_keeps_deadlines_after_the_meeting(
    engine: Engine, story: Story
) -> None:
    """Alone, each is fine: town A's meeting (2020-09-14, its earliest deadline 2020-10-15) moves to
    2020-09-20; a decision due 2020-09-16 is added. Together the deadline would fall before the
    meeting: whichever saves second is refused."""
    results = race(
        _url(engine),
        lambda session: _update_meeting(session, EDITOR_A, story.town, held_on=D(2020, 9, 20)),
        lambda session: _task(session, story.town, ADMIN, deadline=D(2020, 9, 16)),
    )
    refused = [result for result in results if isinstance(result, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], ValidationError), results
    assert refused[0].errors in (
        {"held_on": "meetings.error.held_after_deadline"},
        {"deadline": "meetings.error.deadline_before_meeting"},
    )
    with Session(engine) as session:
        held_on = session.scalar(select(Meeting.held_on).where(Meeting.id == story.town))
        earliest = session.scalar(
            select(func.min(MeetingTask.deadline)).where(MeetingTask.meeting_id == story.town)
        )
    assert held_on is not None and earliest is not None and earliest >= held_on


# --- the problems slide saved as a new meeting's decisions -----------------------------------------


@SQLITE_ONLY
def test_a_meeting_and_its_decisions_in_one_transaction(session: Session, story: Story) -> None:
    call: dict[str, Any] = {
        "level": "town",
        "town_code": TOWN_A,
        "name": "甲镇脱贫攻坚推进会",
        "number": None,
        "held_on": AS_OF,
        "attending": None,
        "as_of": AS_OF,
    }
    good = services.NewTask(
        "核实A1台账", "A1村工作队", village_codes=(A1,), measure="verified_share", target=0.8
    )
    bad = services.NewTask(" ", "镇扶贫办")
    before = _snapshot(session)
    with pytest.raises(ValidationError) as caught:
        services.record_meeting_with_tasks(session, actor=EDITOR_A, tasks=[good, bad], **call)
    assert caught.value.errors == {"tasks.2.what": "meetings.error.required"}
    assert _snapshot(session) == before  # the meeting and the first decision rolled back too
    with pytest.raises(PermissionDenied):
        services.record_meeting_with_tasks(session, actor=LEADER, tasks=[good], **call)
    assert _snapshot(session) == before

    meeting_id = services.record_meeting_with_tasks(session, actor=EDITOR_A, tasks=[good, good], **call)
    assert [(a.username, a.table_name) for a in _audits(session)[-3:]] == [
        ("ed-a", "meetings"),
        ("ed-a", "meeting_tasks"),
        ("ed-a", "meeting_tasks"),
    ]
    tasks = queries.meeting_tasks(session, meeting_id, as_of=AS_OF)
    assert [(t.what, t.progress.part, t.progress.whole) for t in tasks if t.progress] == [
        ("核实A1台账", 2, 3)
    ] * 2
    # Saved again (the button pressed twice): refused, nothing written.
    before = _snapshot(session)
    with pytest.raises(ValidationError) as caught:
        services.record_meeting_with_tasks(session, actor=EDITOR_A, tasks=[good], **call)
    assert caught.value.errors == {"name": "meetings.error.already_recorded"}
    assert _snapshot(session) == before
    # Another day, or another name, is another meeting.
    other_day = services.record_meeting_with_tasks(
        session, actor=EDITOR_A, tasks=[good], **{**call, "held_on": AS_OF - dt.timedelta(days=1)}
    )
    assert other_day != meeting_id


@SQLITE_ONLY
def test_the_problems_slide_saved_as_decisions_measures_what_it_names(session: Session, story: Story) -> None:
    """Each line of town A's problems slide becomes a decision whose measured progress is that
    measure over the places the line names, counted again independently."""
    from lib.files import briefing

    steps = briefing.next_steps(session, town_codes=[TOWN_A], as_of=AS_OF, lang="zh")
    # (The problems slide lists these very lines: briefing._problems_slide reads next_steps' _problems.)
    assert steps and {step.measure for step in steps} <= set(SHARE_PARTS)
    assert all(code.startswith(TOWN_A) for step in steps for code in (*step.town_codes, *step.village_codes))
    meeting_id = services.record_meeting_with_tasks(
        session,
        actor=EDITOR_A,
        level="town",
        town_code=TOWN_A,
        name="甲镇推进会",
        number=None,
        held_on=AS_OF,
        attending=None,
        tasks=[
            services.NewTask(
                s.what, "各村", village_codes=s.village_codes, measure=s.measure, target=s.target
            )
            for s in steps
        ],
        as_of=AS_OF,
    )
    for step, task in zip(steps, queries.meeting_tasks(session, meeting_id, as_of=AS_OF), strict=True):
        expected = queries.measured_progress(
            session, measure=step.measure, target=step.target,
            town_codes=[] if step.village_codes else [TOWN_A], village_codes=step.village_codes,
        )  # fmt: skip
        assert task.progress == expected
