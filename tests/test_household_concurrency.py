"""Four writers at once, each with its own engine and session, on the same and on different households.

Every thread records 10 visits and makes 5 status updates (toggling safe water, with the version
read just before writing), half on the shared household h3 and half on its own. Accepted writes
must all be in the tables and the audit log, refused ones must be reported as StaleEdit (only
possible on the shared household), and the data version must count every accepted write once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.domain import Role
from lib.core.errors import StaleEdit
from lib.core.models import AuditEntry, Household, VerificationVisit
from lib.queries.common import data_version
from lib.rules.permissions import Actor
from lib.services.households import record_visit, update_household_status
from tests.support.accounts import module_actors, store_accounts

AS_OF = dt.date(2020, 10, 31)
EDITOR_A = Actor(
    user_id=None, username="ed-a", display_name="Ed A", role=Role.TOWN_EDITOR, town_code="349901100"
)
SHARED = 3  # h3, in town A
OWN = [1, 2, 5, 6]  # one more town A household per thread
THREADS = 4
VISITS, UPDATES = 10, 5


@pytest.fixture
def hand_engine(hand_engine: Engine) -> Engine:
    """The hand county with an account for each of this module's Actors."""
    with Session(hand_engine) as session:
        store_accounts(session, *module_actors(globals()))
    return hand_engine


@dataclass
class Outcome:
    thread: int
    kind: str  # "visit" | "update"
    household_id: int
    value: int | None = None  # the visit id, or the new version
    error: Exception | None = None


def _worker(url: str, number: int, start: threading.Barrier, out: list[Outcome]) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            start.wait()
            for step in range(VISITS + UPDATES):
                kind = "update" if step % 3 == 2 else "visit"
                household_id = SHARED if step % 2 == 0 else OWN[number]
                outcome = Outcome(number, kind, household_id)
                try:
                    if kind == "visit":
                        outcome.value = record_visit(
                            session,
                            actor=EDITOR_A,
                            household_id=household_id,
                            visited_on=dt.date(2020, 10, 1 + step),
                            visitor_name=f"线程{number}-{step}",
                            ledger_verified=True,
                            problems=None,
                            satisfied=True,
                            as_of=AS_OF,
                        )
                    else:
                        version, water, status = session.execute(
                            select(Household.version, Household.safe_water, Household.status).where(
                                Household.id == household_id
                            )
                        ).one()
                        outcome.value = update_household_status(
                            session,
                            actor=EDITOR_A,
                            household_id=household_id,
                            expected_version=version,
                            status=status,
                            flags={"safe_water": not water},
                            exit_steps={},
                            reason=f"线程{number}",
                            as_of=AS_OF,
                        )
                except Exception as exc:  # every refusal is collected and checked below
                    session.rollback()
                    outcome.error = exc
                out.append(outcome)
    finally:
        engine.dispose()


def test_concurrent_visits_and_updates_lose_nothing(hand_engine: Engine) -> None:
    url = hand_engine.url.render_as_string(hide_password=False)
    start = threading.Barrier(THREADS)
    results: list[list[Outcome]] = [[] for _ in range(THREADS)]
    threads = [
        threading.Thread(target=_worker, args=(url, number, start, results[number]))
        for number in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    outcomes = [outcome for per_thread in results for outcome in per_thread]
    # Every submission came back as accepted or refused: no exception escaped a thread.
    assert [len(per_thread) for per_thread in results] == [VISITS + UPDATES] * THREADS
    accepted = [o for o in outcomes if o.error is None]
    refused = [o for o in outcomes if o.error is not None]
    # Refusals are stale edits of the shared household, reported with its current values.
    assert all(isinstance(o.error, StaleEdit) for o in refused), [repr(o.error) for o in refused]
    assert all(o.kind == "update" and o.household_id == SHARED for o in refused)
    assert all(isinstance(o.error, StaleEdit) and o.error.current is not None for o in refused)
    assert any(o.kind == "update" and o.household_id == SHARED for o in accepted)

    with Session(hand_engine) as session:
        visits = [o for o in accepted if o.kind == "visit"]
        assert len(visits) == VISITS * THREADS  # a visit never conflicts
        stored = {
            visit_id: household_id
            for visit_id, household_id in session.execute(
                select(VerificationVisit.id, VerificationVisit.household_id)
            )
        }
        assert {o.value: o.household_id for o in visits}.items() <= stored.items()
        visit_audits = set(
            session.scalars(
                select(AuditEntry.record_key).where(AuditEntry.table_name == "verification_visits")
            )
        )
        assert visit_audits == {str(o.value) for o in visits}

        updates = Counter(o.household_id for o in accepted if o.kind == "update")
        for household_id in [SHARED, *OWN]:
            household = session.get(Household, household_id)
            assert household is not None
            audits = session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.table_name == "households", AuditEntry.record_key == household.archive_no)
            )
            assert audits == updates[household_id]
            assert household.version == 1 + updates[household_id]
            versions = sorted(
                o.value or 0 for o in accepted if o.kind == "update" and o.household_id == household_id
            )
            assert versions == list(range(2, 2 + updates[household_id]))
            # safe water was toggled once per accepted update, from False
            assert household.safe_water is (updates[household_id] % 2 == 1)
        for household_id in OWN:
            assert updates[household_id] == sum(
                1 for step in range(VISITS + UPDATES) if step % 3 == 2 and step % 2
            )

        assert data_version(session) == str(1 + len(accepted))
