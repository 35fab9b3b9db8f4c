"""The Alembic migration builds the schema from empty, matches the models, and goes back down."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from lib.core.db import make_engine
from lib.core.models import Base
from lib.core.schema import downgrade, upgrade


def test_migration_from_empty_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []
    engine.dispose()


def test_downgrade_removes_everything_and_upgrade_again_works(empty_engine: Engine) -> None:
    downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine)
    assert "households" in inspect(empty_engine).get_table_names()
