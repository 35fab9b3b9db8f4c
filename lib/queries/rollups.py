"""Whether the rollup tables may be read instead of aggregating the base tables.

The rollups (village_household_counts, household_derived_facts; kept by lib/services/rollups.py)
are current when app_meta's rollup_version equals its data version: every write bumps the data
version, and only a write that also refreshed what it changed carries rollup_version along. The
derived facts are worked out as of one date (rollup_as_of), so they serve only that date.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.models import Meta
from lib.queries.common import DATA_VERSION_KEY

ROLLUP_VERSION_KEY = "rollup_version"
ROLLUP_AS_OF_KEY = "rollup_as_of"


def _facts(session: Session) -> dict[str, str]:
    keys = (DATA_VERSION_KEY, ROLLUP_VERSION_KEY, ROLLUP_AS_OF_KEY)
    rows = session.execute(select(Meta.key, Meta.value).where(Meta.key.in_(keys))).all()
    return {key: value for key, value in rows}


def counts_ready(session: Session) -> bool:
    """The village household counts match the data."""
    facts = _facts(session)
    return ROLLUP_VERSION_KEY in facts and facts[ROLLUP_VERSION_KEY] == facts.get(DATA_VERSION_KEY)


def facts_ready(session: Session, as_of: dt.date) -> bool:
    """The household derived facts match the data and were worked out as of `as_of`."""
    facts = _facts(session)
    return (
        ROLLUP_VERSION_KEY in facts
        and facts[ROLLUP_VERSION_KEY] == facts.get(DATA_VERSION_KEY)
        and facts.get(ROLLUP_AS_OF_KEY) == as_of.isoformat()
    )
