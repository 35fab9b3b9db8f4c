"""Keep the rollup tables (village_household_counts, household_derived_facts) in step with the data.

`rebuild` works both out from the base tables (after a bulk load, or when `python -m lib.prestart`
finds them stale); `bump_data_version(session, households=…)` (lib/services/common.py) calls
`refresh` for the households a write changed, inside the write's transaction and after the data
version's row lock is taken, so concurrent writers refresh one after the other and a rollup row is
never worked out from a snapshot that misses another writer's change. lib/queries/rollups.py says
when the rollups may be read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from lib.models import Household, HouseholdDerivedFacts, Meta, Village, VillageHouseholdCounts
from lib.queries.assessment import STORED_COLUMNS, stored_checks
from lib.queries.common import data_version
from lib.queries.overview import HOUSEHOLD_COUNT_COLUMNS, correlated_best_stage, household_counts
from lib.queries.rollups import ROLLUP_AS_OF_KEY, ROLLUP_VERSION_KEY, counts_ready

AS_OF_KEY = "as_of"


def _set_meta(session: Session, key: str, value: str) -> None:
    session.execute(delete(Meta).where(Meta.key == key))
    session.execute(insert(Meta).values(key=key, value=value))


def _as_of(session: Session) -> dt.date | None:
    value = session.scalar(select(Meta.value).where(Meta.key == AS_OF_KEY))
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _store_counts(session: Session, village_ids: Sequence[int] | None) -> None:
    if village_ids is not None:
        session.execute(
            delete(VillageHouseholdCounts).where(VillageHouseholdCounts.village_id.in_(list(village_ids)))
        )
    else:
        session.execute(delete(VillageHouseholdCounts))
    counts = household_counts(
        Village.id, None, village_ids=village_ids, correlated=correlated_best_stage(session)
    ).subquery()
    session.execute(
        insert(VillageHouseholdCounts).from_select(
            ["village_id", *HOUSEHOLD_COUNT_COLUMNS],
            select(counts.c.key, *(counts.c[name] for name in HOUSEHOLD_COUNT_COLUMNS)),
        )
    )


def _store_facts(session: Session, as_of: dt.date, household_ids: Sequence[int] | None) -> None:
    if household_ids is not None:
        session.execute(
            delete(HouseholdDerivedFacts).where(HouseholdDerivedFacts.household_id.in_(list(household_ids)))
        )
    else:
        session.execute(delete(HouseholdDerivedFacts))
    facts = stored_checks(as_of, household_ids).subquery()
    session.execute(
        insert(HouseholdDerivedFacts).from_select(
            STORED_COLUMNS, select(*(facts.c[name] for name in STORED_COLUMNS))
        )
    )


def rebuild(session: Session) -> None:
    """Work out both rollups afresh and mark them current; the caller commits."""
    as_of = _as_of(session)
    _store_counts(session, None)
    session.execute(delete(HouseholdDerivedFacts))
    session.execute(delete(Meta).where(Meta.key == ROLLUP_AS_OF_KEY))
    if as_of is not None:
        _store_facts(session, as_of, None)
        _set_meta(session, ROLLUP_AS_OF_KEY, as_of.isoformat())
    _set_meta(session, ROLLUP_VERSION_KEY, data_version(session))


def ensure_current(session: Session) -> bool:
    """Rebuild the rollups if they do not match the data (or its as-of date); True if it did."""
    as_of = _as_of(session)
    stored_as_of = session.scalar(select(Meta.value).where(Meta.key == ROLLUP_AS_OF_KEY))
    if counts_ready(session) and stored_as_of == (as_of.isoformat() if as_of else None):
        return False
    rebuild(session)
    return True


def refresh(session: Session, household_ids: Sequence[int]) -> None:
    """Work out again the rollup rows of these households and of their villages."""
    ids = sorted({int(i) for i in household_ids})
    if not ids:
        return
    session.flush()
    village_ids = sorted(
        session.scalars(select(Household.village_id).where(Household.id.in_(ids)).distinct()).all()
    )
    _store_counts(session, village_ids)
    stored_as_of = session.scalar(select(Meta.value).where(Meta.key == ROLLUP_AS_OF_KEY))
    if stored_as_of:
        _store_facts(session, dt.date.fromisoformat(stored_as_of), ids)


def carry_forward(session: Session, new_version: str, household_ids: Sequence[int]) -> None:
    """After a write bumped the data version to `new_version`: if the rollups matched the version
    before, refresh what the write changed and mark them current again; stale rollups stay stale
    (pages read the base tables until the next rebuild)."""
    stored = session.scalar(select(Meta.value).where(Meta.key == ROLLUP_VERSION_KEY))
    if stored is None or not new_version.isdigit() or stored != str(int(new_version) - 1):
        return
    refresh(session, household_ids)
    _set_meta(session, ROLLUP_VERSION_KEY, new_version)
