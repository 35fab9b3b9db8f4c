"""Whether the rollup tables may be read instead of aggregating the base tables.

The rollups (village_household_counts, household_derived_facts; kept by lib/services/rollups.py)
are current when app_meta's rollup_version equals its data version: every write bumps the data
version, and only a write that also refreshed what it changed carries rollup_version along. The
derived facts are worked out as of one date (rollup_as_of), so they serve only that date, and the
village counts' verified households for one `VerifiedWindow` (rollup_verified_window), so they
serve only while the data's date and VERIFIED_WITHIN_MONTHS are those they were counted with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.models import Meta
from lib.queries.common import DATA_VERSION_KEY, months_before

ROLLUP_VERSION_KEY = "rollup_version"
ROLLUP_AS_OF_KEY = "rollup_as_of"
ROLLUP_VERIFIED_KEY = "rollup_verified_window"
AS_OF_KEY = "as_of"


@dataclass(frozen=True)
class VerifiedWindow:
    """What "verified" means, on every page: a household's ledger is verified when its latest visit
    up to `as_of` verified it and was on or after `since` (the assessment's verified_current)."""

    since: dt.date
    as_of: dt.date

    @property
    def key(self) -> str:
        return f"{self.since.isoformat()}/{self.as_of.isoformat()}"

    @classmethod
    def from_key(cls, key: str) -> VerifiedWindow:
        since, as_of = key.split("/")
        return cls(since=dt.date.fromisoformat(since), as_of=dt.date.fromisoformat(as_of))


def data_as_of(session: Session) -> dt.date:
    """The data's "as of" date (app_meta), today when the data does not say."""
    value = session.scalar(select(Meta.value).where(Meta.key == AS_OF_KEY))
    try:
        return dt.date.fromisoformat(value) if value else dt.date.today()
    except ValueError:
        return dt.date.today()


def verified_window(session: Session) -> VerifiedWindow:
    """The window for the data's date and VERIFIED_WITHIN_MONTHS (calendar months before it)."""
    as_of = data_as_of(session)
    return VerifiedWindow(since=months_before(as_of, config.verified_within_months()), as_of=as_of)


def _facts(session: Session) -> dict[str, str]:
    keys = (DATA_VERSION_KEY, ROLLUP_VERSION_KEY, ROLLUP_AS_OF_KEY, ROLLUP_VERIFIED_KEY)
    rows = session.execute(select(Meta.key, Meta.value).where(Meta.key.in_(keys))).all()
    return {key: value for key, value in rows}


def counts_ready(session: Session) -> bool:
    """The village household counts match the data and count verified households in the window
    the data's date and the setting give now."""
    facts = _facts(session)
    return (
        ROLLUP_VERSION_KEY in facts
        and facts[ROLLUP_VERSION_KEY] == facts.get(DATA_VERSION_KEY)
        and facts.get(ROLLUP_VERIFIED_KEY) == verified_window(session).key
    )


def facts_ready(session: Session, as_of: dt.date) -> bool:
    """The household derived facts match the data and were worked out as of `as_of`."""
    facts = _facts(session)
    return (
        ROLLUP_VERSION_KEY in facts
        and facts[ROLLUP_VERSION_KEY] == facts.get(DATA_VERSION_KEY)
        and facts.get(ROLLUP_AS_OF_KEY) == as_of.isoformat()
    )
