"""Keep the rollup tables (village_household_counts, village_income_years, village_plan_stages,
organisation_village_links, household_derived_facts) in step with the data.

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
from typing import cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from lib.core.models import (
    Base,
    Household,
    HouseholdDerivedFacts,
    Meta,
    OrganisationVillageLinks,
    Village,
    VillageHouseholdCounts,
    VillageIncomeYear,
    VillagePlanStages,
)
from lib.queries.assessment import STORED_COLUMNS, stored_checks
from lib.queries.common import AnySelect, data_version
from lib.queries.industry import (
    households_in_product,
    income_by_village_year,
    links_by_organisation_village,
    plan_stages_by_village,
)
from lib.queries.overview import HOUSEHOLD_COUNT_COLUMNS, correlated_best_stage, household_counts
from lib.queries.rollups import (
    ROLLUP_AS_OF_KEY,
    ROLLUP_VERIFIED_KEY,
    ROLLUP_VERSION_KEY,
    VerifiedWindow,
    counts_ready,
    verified_window,
)

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


def _replace_rows(
    session: Session, model: type[Base], key: str, ids: Sequence[int] | None, source: AnySelect
) -> None:
    """Delete `model`'s rows whose `key` is in `ids` (all rows when None); insert `source`'s rows
    (its column names are the table's)."""
    table = cast(Table, model.__table__)
    if ids is not None:
        session.execute(delete(table).where(table.c[key].in_(list(ids))))
    else:
        session.execute(delete(table))
    inner = source.subquery()
    session.execute(insert(table).from_select([column.name for column in inner.c], select(*inner.c)))


def _store_village_rollups(
    session: Session, village_ids: Sequence[int] | None, verified: VerifiedWindow
) -> None:
    """The per-village rollups of these villages (all when None): household counts (verified
    households in `verified`) with the households in the signature product, income years, plans by
    category and stage, organisation links."""
    counts = household_counts(
        Village.id,
        None,
        village_ids=village_ids,
        correlated=correlated_best_stage(session),
        verified=verified,
    ).subquery()
    _replace_rows(
        session,
        VillageHouseholdCounts,
        "village_id",
        village_ids,
        select(counts.c.key.label("village_id"), *(counts.c[name] for name in HOUSEHOLD_COUNT_COLUMNS)),
    )
    in_product = households_in_product(village_ids).subquery()
    session.execute(
        update(VillageHouseholdCounts)
        .where(VillageHouseholdCounts.village_id == in_product.c.village_id)
        .values(households_in_product=in_product.c.households_in_product)
    )
    _replace_rows(session, VillageIncomeYear, "village_id", village_ids, income_by_village_year(village_ids))
    _replace_rows(session, VillagePlanStages, "village_id", village_ids, plan_stages_by_village(village_ids))
    _replace_rows(
        session,
        OrganisationVillageLinks,
        "village_id",
        village_ids,
        links_by_organisation_village(village_ids),
    )


def _store_facts(session: Session, as_of: dt.date, household_ids: Sequence[int] | None) -> None:
    facts = stored_checks(as_of, household_ids).subquery()
    _replace_rows(
        session,
        HouseholdDerivedFacts,
        "household_id",
        household_ids,
        select(*(facts.c[name] for name in STORED_COLUMNS)),
    )


def rebuild(session: Session) -> None:
    """Work out both rollups afresh and mark them current; the caller commits."""
    as_of = _as_of(session)
    verified = verified_window(session)
    _store_village_rollups(session, None, verified)
    _set_meta(session, ROLLUP_VERIFIED_KEY, verified.key)
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
    if counts_ready(session) and stored_as_of == (as_of.isoformat() if as_of else None):  # and the window
        return False
    rebuild(session)
    return True


def refresh(session: Session, household_ids: Sequence[int], village_ids: Sequence[int] = ()) -> None:
    """Work out again the rollup rows of these households, of their villages and of `village_ids`."""
    ids = sorted({int(i) for i in household_ids})
    villages = {int(i) for i in village_ids}
    if not ids and not villages:
        return
    session.flush()
    if ids:
        villages |= set(session.scalars(select(Household.village_id).where(Household.id.in_(ids))).all())
    stored_window = session.scalar(select(Meta.value).where(Meta.key == ROLLUP_VERIFIED_KEY))
    window = verified_window(session)
    if stored_window and stored_window != window.key:  # the rows stay as they were counted
        window = VerifiedWindow.from_key(stored_window)
    _store_village_rollups(session, sorted(villages), window)
    stored_as_of = session.scalar(select(Meta.value).where(Meta.key == ROLLUP_AS_OF_KEY))
    if stored_as_of and ids:
        _store_facts(session, dt.date.fromisoformat(stored_as_of), ids)


def carry_forward(
    session: Session, new_version: str, household_ids: Sequence[int], village_ids: Sequence[int] = ()
) -> None:
    """After a write bumped the data version to `new_version`: if the rollups matched the version
    before, refresh what the write changed and mark them current again; stale rollups stay stale
    (pages read the base tables until the next rebuild)."""
    stored = session.scalar(select(Meta.value).where(Meta.key == ROLLUP_VERSION_KEY))
    if stored is None or not new_version.isdigit() or stored != str(int(new_version) - 1):
        return
    refresh(session, household_ids, village_ids)
    _set_meta(session, ROLLUP_VERSION_KEY, new_version)
