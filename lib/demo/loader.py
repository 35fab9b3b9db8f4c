"""Loading the demo into a database: bulk inserts (COPY on PostgreSQL), the meta rows, rollups;
and the checks and reset around it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from lib.core.models import (
    Attendance,
    Base,
    Cadre,
    Household,
    HouseholdCause,
    HouseholdIncome,
    Industry,
    IndustryPlan,
    Meta,
    Organisation,
    OrganisationLink,
    PlanStageChange,
    Posting,
    Town,
    TrainingSession,
    User,
    VerificationVisit,
    Village,
)
from lib.core.schema import advance_id_sequences
from lib.demo import history, meetings
from lib.demo.catalogues import Row
from lib.demo.county import (
    AS_OF,
    INSERT_ORDER,
    DemoSummary,
    _chunks,
    _meta,
    _Rows,
    demo_account_rows,
    iter_rows,
)
from lib.services import rollups


def _copy_rows(session: Session, model: type[Base], rows: list[Row]) -> None:
    """PostgreSQL: COPY the rows in (several times faster than INSERT for large tables)."""
    table = Base.metadata.tables[model.__tablename__]
    names = list(rows[0])
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name not in names and default is not None and getattr(default, "is_scalar", False):
            defaults[column.name] = getattr(default, "arg", None)
    columns = [*names, *defaults]
    extra = tuple(defaults.values())
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    quoted = ", ".join(f'"{c}"' for c in columns)
    with dbapi.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row((*(row[name] for name in names), *extra))


def _insert_rows(session: Session, rows: _Rows) -> None:
    postgres = session.get_bind().dialect.name == "postgresql"
    for model in INSERT_ORDER:
        table_rows = rows.tables.get(model, [])
        if not table_rows:
            continue
        if postgres and len(table_rows) > 1_000:
            session.flush()
            _copy_rows(session, model, table_rows)
            continue
        # The table's Core insert, not the ORM's: the ORM leaves a None out of a row's columns,
        # so rows differing only in where their Nones fall were sent one statement each (116,000
        # statements for a two-county city). Like COPY above, a None is stored as NULL.
        table = Base.metadata.tables[model.__tablename__]
        for chunk in _chunks(table_rows):
            session.execute(insert(table), chunk)


def _insert_demo_accounts(session: Session, rows: _Rows) -> int:
    """Insert the demo accounts unless accounts exist already (e.g. an admin made with lib.admin)."""
    if has_data(session, models=[User]):
        return 0
    accounts = demo_account_rows(rows)
    session.execute(insert(User), accounts)
    advance_id_sequences(session)
    return len(accounts)


def generate(
    session: Session,
    *,
    scale: str = "county",
    seed: int = 42,
    counties: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Insert a full demo dataset into an empty, migrated database; the caller commits.

    Larger scales are built and inserted a county at a time, so memory stays that of one county.
    """
    if has_data(session, models=INSERT_ORDER):
        raise ValueError("the database already has data; reset it first")
    counts: dict[type[Base], int] = {}
    accounts = 0
    accounts_done = False
    for number, (rows, _facts) in enumerate(iter_rows(scale=scale, seed=seed, counties=counties)):
        _insert_rows(session, rows)
        for model, table_rows in rows.tables.items():
            counts[model] = counts.get(model, 0) + len(table_rows)
        if Town in rows.tables and not accounts_done:
            accounts = _insert_demo_accounts(session, rows)
            accounts_done = True
        if progress is not None and number:
            progress(f"county {number}: {counts.get(Household, 0):,} households so far")
    advance_id_sequences(session)
    _meta(session, scale=scale, seed=seed)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))  # fresh tables have no statistics to plan the rollups with
    rollups.rebuild(session)
    history.add_history(session, as_of=AS_OF, seed=seed)
    meetings.add_meetings(session)
    return DemoSummary(
        towns=counts.get(Town, 0),
        villages=counts.get(Village, 0),
        households=counts.get(Household, 0),
        household_causes=counts.get(HouseholdCause, 0),
        household_incomes=counts.get(HouseholdIncome, 0),
        industries=counts.get(Industry, 0),
        industry_plans=counts.get(IndustryPlan, 0),
        plan_stage_changes=counts.get(PlanStageChange, 0),
        organisations=counts.get(Organisation, 0),
        organisation_links=counts.get(OrganisationLink, 0),
        cadres=counts.get(Cadre, 0),
        postings=counts.get(Posting, 0),
        training_sessions=counts.get(TrainingSession, 0),
        attendance=counts.get(Attendance, 0),
        verification_visits=counts.get(VerificationVisit, 0),
        accounts=accounts,
    )


def has_data(session: Session, *, models: Sequence[type[Base]] | None = None) -> bool:
    """True when any of `models`' tables (default: every table but app_meta) holds a row."""
    tables = (
        [model.__table__ for model in models]
        if models is not None
        else [t for t in Base.metadata.sorted_tables if t.name != Meta.__tablename__]
    )
    for table in tables:
        if session.execute(select(func.count()).select_from(select(table).limit(1).subquery())).scalar():
            return True
    return False


def reset(session: Session) -> None:
    """Delete every row of every table, children first; the schema stays. The caller commits."""
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))
