"""Hostile input to the household services: either stored exactly (trimmed) or refused, never a crash.

One migrated SQLite database with the hand county per test module; each example counts rows
before and after, so a refusal that stored anything, or an acceptance that stored something else,
fails. Values: random unicode, very long, blank, SQL-like, control characters, lone surrogates,
and wrong types (None, numbers, bytes, lists) where text is expected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.domain import Role
from lib.core.errors import ValidationError
from lib.core.models import AuditEntry, Household, VerificationVisit
from lib.core.schema import upgrade
from lib.queries.common import data_version
from lib.rules.permissions import Actor
from lib.services.households import record_visit, update_household_status
from tests.hand_county import load_hand_county
from tests.support.accounts import module_actors, store_accounts

AS_OF = dt.date(2020, 10, 31)
EDITOR_A = Actor(
    user_id=None, username="ed-a", display_name="Ed A", role=Role.TOWN_EDITOR, town_code="349901100"
)
H3 = 3

HOSTILE_STRINGS = [
    "'; DROP TABLE households; --",
    "Robert'); DROP TABLE verification_visits;--",
    '" OR 1=1 --',
    "%s%s%s",
    "{0}{name}",
    "",
    "   ",
    "\t\n\r",
    "\x00",
    "王\x00五",
    "\ud800",
    "a\u2028b",
    "\u202e反转文字",
    "\u3000张三\u3000",
    "王" * 40,
    "王" * 41,
    "问" * 2000,
    "问" * 2001,
    "👩‍🌾" * 10,
]

hostile_text = st.one_of(
    st.text(max_size=60),
    st.text(st.characters(categories=["Cc", "Cs", "Cf", "Zs", "Zl", "Lo"]), max_size=30),
    st.builds(lambda chunk, times: chunk * times, st.text(min_size=1, max_size=4), st.integers(1, 700)),
    st.sampled_from(HOSTILE_STRINGS),
    st.none(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.binary(max_size=8),
    st.lists(st.text(max_size=3), max_size=2),
)

# Half plausible, half hostile, so both acceptance and refusal are exercised in 50 examples.


def half(good: st.SearchStrategy[object], bad: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.booleans().flatmap(lambda ok: good if ok else bad)


plausible_text = st.text(st.characters(exclude_categories=["Cc", "Cs"]), min_size=1, max_size=40)
mostly_text = half(plausible_text, hostile_text)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as session:
        load_hand_county(session)
        store_accounts(session, *module_actors(globals()))
    yield engine
    engine.dispose()


def _counts(session: Session) -> tuple[int, int, int, str]:
    """Households, visits, audit rows and the data version as the database has them now."""
    session.rollback()
    households = session.scalar(select(func.count()).select_from(Household)) or 0
    visits = session.scalar(select(func.count()).select_from(VerificationVisit)) or 0
    audits = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return households, visits, audits, data_version(session)


@settings(max_examples=50, deadline=None)
@given(visitor_name=mostly_text, problems=mostly_text, ledger_verified=st.booleans())
def test_record_visit_stores_trimmed_text_or_refuses(
    engine: Engine, visitor_name: object, problems: object, ledger_verified: bool
) -> None:
    with Session(engine) as session:
        before = _counts(session)
        try:
            visit_id = record_visit(
                session,
                actor=EDITOR_A,
                household_id=H3,
                visited_on=dt.date(2020, 10, 1),
                visitor_name=visitor_name,  # type: ignore[arg-type]
                ledger_verified=ledger_verified,
                problems=problems,  # type: ignore[arg-type]
                satisfied=None,
                as_of=AS_OF,
            )
        except ValidationError as refused:
            event(f"refused: {sorted(refused.errors)}")
            assert _counts(session) == before
            return
        event("accepted")
        assert isinstance(visitor_name, str)
        assert problems is None or isinstance(problems, str)
        visit = session.get(VerificationVisit, visit_id, populate_existing=True)
        assert visit is not None
        assert visit.visitor_name == visitor_name.strip()
        assert visit.problems == ((problems or "").strip() or None)
        households, visits, audits, version = _counts(session)
        assert (households, visits, audits) == (before[0], before[1] + 1, before[2] + 1)
        assert int(version) == int(before[3]) + 1


@settings(max_examples=50, deadline=None)
@given(
    status=half(st.sampled_from(["poor", "monitored", "exited"]), hostile_text),
    reason=st.one_of(st.none(), mostly_text),
    water=half(st.booleans(), hostile_text),
)
def test_update_household_status_changes_exactly_what_it_says_or_refuses(
    engine: Engine, status: object, reason: object, water: object
) -> None:
    with Session(engine) as session:
        before = _counts(session)
        household = session.get(Household, H3, populate_existing=True)
        assert household is not None
        version, old_status = household.version, household.status
        try:
            new_version = update_household_status(
                session,
                actor=EDITOR_A,
                household_id=H3,
                expected_version=version,
                status=status,  # type: ignore[arg-type]
                flags={"safe_water": water},  # type: ignore[dict-item]
                exit_steps={},
                reason=reason,  # type: ignore[arg-type]
                as_of=AS_OF,
            )
        except ValidationError as refused:
            event(f"refused: {sorted(refused.errors)}")
            assert _counts(session) == before
            household = session.get(Household, H3, populate_existing=True)
            assert household is not None and household.version == version
            return
        event("accepted")
        household = session.get(Household, H3, populate_existing=True)
        assert household is not None
        assert household.status == status and isinstance(water, bool) and household.safe_water is water
        changed = new_version != version
        assert household.version == new_version == version + changed
        assert _counts(session)[2:] == (before[2] + changed, str(int(before[3]) + changed))
        if changed:
            audit = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
            assert audit.reason == ((reason.strip() or None) if isinstance(reason, str) else None)
            assert old_status == status or '"status"' in (audit.new_values or "")
