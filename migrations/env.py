"""Alembic environment: uses the engine handed over by lib.core.schema, else DATABASE_URL."""

from __future__ import annotations

from alembic import context

from lib.core.db import make_engine
from lib.core.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine()
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=str(make_engine().url), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
