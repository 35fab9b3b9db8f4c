"""An upload never stops everyone else: a file is checked in a read transaction (no write lock, no
writes, a few queries however many rows) and imported, when the user confirms, in one short write
transaction with one data-version bump; a row made wrong between the two is named and nothing is
stored. On SQLite and PostgreSQL.

How long a 5,000-row file takes is timed by `make bench` (bench/uploads.py), not here."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.models import AuditEntry, Household, IndustryPlan, VerificationVisit
from lib.files import imports
from lib.files.imports import HOUSEHOLD_STATUS, INDUSTRY_PLANS, VISITS, Row
from lib.queries.common import data_version
from lib.rules.permissions import Actor
from lib.services.auth import Role
from lib.services.households import record_visit, update_household_status
from lib.services.imports import check_import, run_import
from tests.support.accounts import module_actors, store_accounts

AS_OF = dt.date(2020, 10, 31)
TOWN_A = "349901100"
A2 = "349901100202"  # h4 (HAND0004) and h5 (HAND0005)
VERA = Actor(
    user_id=None,
    username="vera",
    display_name="Vera Li",
    role=Role.VILLAGE_EDITOR,
    town_code=TOWN_A,
    village_code=A2,
)
TOM = Actor(user_id=None, username="tom", display_name="Tom", role=Role.TOWN_EDITOR, town_code=TOWN_A)
WRITES = ("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "RELEASE")


@pytest.fixture
def hand_engine(hand_engine: Engine) -> Engine:
    with Session(hand_engine) as session:
        store_accounts(session, *module_actors(globals()))
    return hand_engine


def visits(count: int) -> list[Row]:
    """`count` good visit rows for h4 and h5 (Excel rows 2, 3, …), no two alike."""
    return [
        Row(
            number + 2,
            {
                "archive_no": ("HAND0004", "HAND0005")[number % 2],
                "visited_on": dt.date(2020, 1, 1) + dt.timedelta(days=number // 2 % 300),
                "visitor_name": f"Vera Li {number // 600}",
                "ledger_verified": True,
                "problems": None,
                "satisfied": None,
                "found_unregistered_need": False,
            },
        )
        for number in range(count)
    ]


def statuses(*archives: str, version: int = 1) -> list[Row]:
    flags = {flag: False for flag in ("no_worry_food", "no_worry_clothing", "guarantee_education")}
    flags |= {"guarantee_medical": False, "guarantee_housing": True, "safe_water": True}
    return [
        Row(number, {"archive_no": archive, "status": "poor", **flags, "version": version})
        for number, archive in enumerate(archives, start=2)
    ]


PLANS = [
    Row(
        2,
        {
            "archive_no": "HAND0004",
            "industry": "vegetables",
            "stage": "planned",
            "planned_on": dt.date(2020, 3, 1),
        },
    ),
    Row(
        3,
        {
            "archive_no": "HAND0005",
            "industry": "vegetables",
            "stage": "planned",
            "planned_on": dt.date(2020, 4, 1),
        },
    ),
]


class Statements:
    """The SQL `engine` runs while recording."""

    def __init__(self, engine: Engine) -> None:
        self.seen: list[str] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.on:
            self.seen.append(" ".join(statement.split()))

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        self.seen, self.on = [], True
        try:
            yield self.seen
        finally:
            self.on = False


def writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.split(" ", 1)[0].upper() in WRITES or s.upper() == "BEGIN IMMEDIATE"]


def state(engine: Engine) -> tuple[int, int, int, str, list[tuple[Any, ...]]]:
    with Session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(VerificationVisit)) or 0,
            session.scalar(select(func.count()).select_from(IndustryPlan)) or 0,
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            data_version(session),
            [
                tuple(row)
                for row in session.execute(select(Household.id, Household.status, Household.version))
            ],
        )


def impatient_engine(url: str) -> Engine:
    """An engine that gives up on a lock at once (SQLite: 50 ms; PostgreSQL: 1 s), not after 10 s."""
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _impatient(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA busy_timeout = 50")
        else:
            cursor.execute("SET lock_timeout = '1s'")
            dbapi_connection.commit()
        cursor.close()

    return engine


def test_a_save_goes_through_while_a_file_is_checked(hand_engine: Engine) -> None:
    """A form's save, in another thread, at the end of a 5,000-row check (its transaction still open).

    Before: the check ran each row through its service in one BEGIN IMMEDIATE transaction
    (5,000 rows held SQLite's write lock for 151-161 s; on PostgreSQL the data version's row).
    """
    other = impatient_engine(hand_engine.url.render_as_string(hide_password=False))
    outcome: list[object] = []

    def save() -> None:
        with Session(other) as session:
            try:
                outcome.append(
                    record_visit(
                        session,
                        actor=TOM,
                        household_id=1,
                        visited_on=AS_OF,
                        visitor_name="Tom",
                        ledger_verified=True,
                        problems=None,
                        satisfied=True,
                        as_of=AS_OF,
                    )
                )
            except Exception as exc:
                outcome.append(exc)

    def save_in_another_thread(*_: object) -> None:
        if not outcome:
            thread = threading.Thread(target=save)
            thread.start()
            thread.join()

    event.listen(hand_engine, "rollback", save_in_another_thread)
    event.listen(hand_engine, "commit", save_in_another_thread)
    try:
        with Session(hand_engine) as session:
            report = check_import(session, actor=VERA, record_type=VISITS, rows=visits(5000), as_of=AS_OF)
    finally:
        event.remove(hand_engine, "rollback", save_in_another_thread)
        event.remove(hand_engine, "commit", save_in_another_thread)
        other.dispose()
    assert report.ok and not report.committed
    assert len(outcome) == 1 and isinstance(outcome[0], int), outcome


@pytest.mark.parametrize(
    ("kind", "actor", "rows"),
    [
        (VISITS, VERA, visits(300)),
        (HOUSEHOLD_STATUS, TOM, statuses("HAND0004", "HAND0005")),
        (INDUSTRY_PLANS, VERA, PLANS),
    ],
    ids=["visits", "status", "plans"],
)
def test_a_check_reads_in_a_few_queries_and_writes_nothing(
    hand_engine: Engine, kind: imports.RecordType, actor: Actor, rows: list[Row]
) -> None:
    statements = Statements(hand_engine)
    before = state(hand_engine)
    with Session(hand_engine) as session, statements.recording() as seen:
        report = check_import(session, actor=actor, record_type=kind, rows=rows, as_of=AS_OF)
    assert report.ok, report.problems
    assert writes(seen) == []
    assert len(seen) <= 8, seen  # the account, the lookups, what the rows need: not a query a row
    with Session(hand_engine) as session, statements.recording() as few:
        check_import(session, actor=actor, record_type=kind, rows=rows[:1], as_of=AS_OF)
    assert len(seen) == len(few)
    assert state(hand_engine) == before


def test_an_import_is_one_write_transaction_with_one_data_version_bump(hand_engine: Engine) -> None:
    statements = Statements(hand_engine)
    before = state(hand_engine)
    with Session(hand_engine) as session, statements.recording() as few:
        assert run_import(session, actor=VERA, record_type=VISITS, rows=visits(3), as_of=AS_OF).committed
    with Session(hand_engine) as session, statements.recording() as many:
        report = run_import(session, actor=VERA, record_type=VISITS, rows=visits(300)[3:], as_of=AS_OF)
    assert report.committed and report.imported == 297
    after = state(hand_engine)
    assert after[0] == before[0] + 300
    assert after[2] == before[2] + 300 + 2  # an audit row a visit, one an import
    assert int(after[3]) == int(before[3]) + 2  # one bump an import
    if hand_engine.dialect.name == "sqlite":
        assert [s for s in many if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert len(writes(many)) == len(writes(few))  # the rows go in a few statements, not one a row


def test_a_row_made_wrong_between_check_and_import_is_named_and_nothing_is_stored(
    hand_engine: Engine,
) -> None:
    rows = statuses("HAND0004", "HAND0005")
    with Session(hand_engine) as session:
        assert check_import(session, actor=TOM, record_type=HOUSEHOLD_STATUS, rows=rows, as_of=AS_OF).ok
    with Session(hand_engine) as session:  # someone saves h5 through its form meanwhile
        update_household_status(
            session, actor=VERA, household_id=5, expected_version=1, status="poor",
            flags={"safe_water": True}, exit_steps={}, reason=None, as_of=AS_OF,
        )  # fmt: skip
    before = state(hand_engine)
    with Session(hand_engine) as session:
        report = run_import(session, actor=TOM, record_type=HOUSEHOLD_STATUS, rows=rows, as_of=AS_OF)
    assert not report.committed and report.imported == 0
    assert [(p.row, p.column, p.key, dict(p.params)) for p in report.problems] == [
        (3, "version", "data.error.stale", {"archive": "HAND0005", "version": 2})
    ]
    assert state(hand_engine) == before


def test_an_account_moved_between_check_and_import_imports_nothing(hand_engine: Engine) -> None:
    from lib.core.models import User, Village

    with Session(hand_engine) as session:
        assert check_import(session, actor=VERA, record_type=VISITS, rows=visits(4), as_of=AS_OF).ok
    with Session(hand_engine) as session:
        user = session.scalars(select(User).where(User.username == "vera")).one()
        user.village_id = session.scalars(select(Village.id).where(Village.code == "349901100201")).one()
        session.commit()
    before = state(hand_engine)
    with Session(hand_engine) as session:
        report = run_import(session, actor=VERA, record_type=VISITS, rows=visits(4), as_of=AS_OF)
    assert not report.committed
    assert [(p.row, p.key) for p in report.problems] == [(n, "data.error.not_allowed") for n in (2, 3, 4, 5)]
    assert state(hand_engine) == before
