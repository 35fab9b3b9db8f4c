"""Pieces shared by the read-side modules: filters, stage ranks, towns, and database facts."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import ColumnElement, Select, Subquery, case, func, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from lib.core.domain import POVERTY_LINE_BY_YEAR, SEARCH_MAX, PlanStage, poverty_line
from lib.core.models import Meta, Town, VerificationVisit

AnySelect = Select[*tuple[Any, ...]]
GroupKey = ColumnElement[int] | InstrumentedAttribute[int]  # what per-town/-village counts group by
SelectT = TypeVar("SelectT", bound=AnySelect)  # any Select that involves Town


# What a search box may hold (characters): longer searches are cut to this in the queries, and the
# boxes stop typing there. SQLite refuses LIKE patterns over 50,000 bytes, and a village search
# compares every word with every name.


# The longest code a query parameter may name (Village.code is String(12), Industry.code String(30));
# a longer one names nothing and is not looked up.
CODE_MAX = 30


def months_before(day: dt.date, months: int) -> dt.date:
    """The date `months` calendar months before `day`, its day clamped to the month's length."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_visits(
    as_of: dt.date, only: ColumnElement[bool] | None = None, *, answered_only: bool = False
) -> Subquery:
    """Each household's latest visit up to `as_of` (of those that asked about satisfaction, if
    so): household_id, visited_on, ledger_verified, satisfied. `only` narrows the visits read."""
    ranked = select(
        VerificationVisit.household_id.label("household_id"),
        VerificationVisit.visited_on.label("visited_on"),
        VerificationVisit.ledger_verified.label("ledger_verified"),
        VerificationVisit.satisfied.label("satisfied"),
        func.row_number()
        .over(
            partition_by=VerificationVisit.household_id,
            order_by=(VerificationVisit.visited_on.desc(), VerificationVisit.id.desc()),
        )
        .label("position"),
    ).where(VerificationVisit.visited_on <= as_of)
    if only is not None:
        ranked = ranked.where(only)
    if answered_only:
        ranked = ranked.where(VerificationVisit.satisfied.is_not(None))
    inner = ranked.subquery()
    return select(inner).where(inner.c.position == 1).subquery()


def bounded_search(text: str | None) -> str | None:
    """`text` trimmed and cut to SEARCH_MAX characters; None when blank."""
    if not isinstance(text, str):
        return None
    return text.strip()[:SEARCH_MAX].strip() or None


def town_filter(stmt: SelectT, town_codes: Sequence[str] | None) -> SelectT:
    """Restrict a statement that already involves `Town` to the given town codes (none = all)."""
    if town_codes:
        return stmt.where(Town.code.in_(list(town_codes)))
    return stmt


def rows_frame(session: Session, stmt: AnySelect, columns: Sequence[str]) -> pd.DataFrame:
    """Run `stmt` and return its rows with `columns` (also when there are none)."""
    return pd.DataFrame(session.execute(stmt).all(), columns=list(columns))


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many of an aggregate's rows meet `condition` (a SUM of CASE, on both databases)."""
    return func.sum(case((condition, 1), else_=0))


def poverty_line_sql(year: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[int]:
    """`lib.core.domain.poverty_line(year)` as a SQL expression."""
    known = sorted(POVERTY_LINE_BY_YEAR)
    outside = case((year > known[-1], poverty_line(known[-1])), else_=poverty_line(known[0]))
    return case(POVERTY_LINE_BY_YEAR, value=year, else_=outside)


def result_frame(session: Session, stmt: AnySelect) -> pd.DataFrame:
    """Run `stmt`; its rows as a frame named by the statement's column labels (also when empty).

    A frame from row mappings took ~3× longer for a province's 30,000 villages."""
    result = session.connection().execute(stmt)  # Core rows: the ORM's row processing cost as much again
    keys = list(result.keys())
    rows = [tuple(row) for row in result]  # plain tuples: pandas reads them several times faster
    if not rows:
        return pd.DataFrame(columns=keys)
    return pd.DataFrame.from_records(rows, columns=keys)


CHUNK_ROWS = 5_000  # rows a download reads at a time (a few MB of frame at most)


def frames_in_chunks(session: Session, stmt: AnySelect, columns: Sequence[str]) -> Iterator[pd.DataFrame]:
    """Run `stmt` once and yield its rows CHUNK_ROWS at a time, each chunk a frame with `columns`
    (one empty frame when there are none): for downloads of whole lists, which never hold them all.

    PostgreSQL keeps the rows in a server-side cursor; SQLite steps through them as they are read.
    """
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL plans a cursor for its first 10% of rows (cursor_tuple_fraction): for a
        # province's 100,000 single-link households that fast-start plan took 52 s, against 15 s
        # for the plan of the whole list. A download reads every row.
        session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
    result = session.execute(stmt.execution_options(yield_per=CHUNK_ROWS))
    empty = True
    for rows in result.partitions():
        empty = False
        yield pd.DataFrame(rows, columns=list(columns))
    if empty:
        yield pd.DataFrame(columns=list(columns))


def stage_rank(column: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[int]:
    """1 for planned … 4 for stable income, as a SQL expression."""
    return case({stage.value: stage.rank for stage in PlanStage}, value=column, else_=0)


def towns(session: Session) -> pd.DataFrame:
    """All towns in code order: code, name_zh, name_en."""
    rows = session.execute(select(Town.code, Town.name_zh, Town.name_en).order_by(Town.code)).all()
    return pd.DataFrame(rows, columns=["code", "name_zh", "name_en"])


# app_meta key of the secret that keys sign-in names (lib.services.auth.name_key): never among the facts.
SIGN_IN_SECRET_KEY = "sign_in_name_key"


def meta(session: Session) -> dict[str, str]:
    """The app_meta facts: data_version, dataset ("demo" on demo data), as_of, … (no secrets)"""
    rows = session.execute(select(Meta.key, Meta.value).where(Meta.key != SIGN_IN_SECRET_KEY)).all()
    return {key: value for key, value in rows}


DATA_VERSION_KEY = "data_version"


def data_version(session: Session) -> str:
    """The counter every write bumps; caches key on it."""
    return session.scalar(select(Meta.value).where(Meta.key == DATA_VERSION_KEY)) or "0"


COUNTY_CODE_LENGTH = 6  # a town code's first six digits are its county's (administrative division code)


def county_count(session: Session) -> int:
    """How many counties the towns belong to (1 for a county's own database, 10 for the demo city)."""
    county = func.substr(Town.code, 1, COUNTY_CODE_LENGTH)
    return int(session.scalar(select(func.count(func.distinct(county)))) or 0)
