"""Create and migrate the schema with Alembic, from code (prestart, demo CLI, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.db import enable_wal
from lib.core.models import Base, Town

ALEMBIC_INI = config.ROOT / "alembic.ini"


def alembic_config(engine: Engine) -> Config:
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(config.ROOT / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the newest)."""
    enable_wal(engine)
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)


def is_empty(session: Session) -> bool:
    """True when no town has been loaded yet."""
    return (session.scalar(select(func.count()).select_from(Town)) or 0) == 0


def advance_id_sequences(session: Session) -> None:
    """On PostgreSQL, move every table's `id` sequence past the ids already in it.

    Loaders that insert explicit ids (the demo, test fixtures, imports) leave a SERIAL sequence at
    its start, so the next row added without an id would collide; SQLite needs nothing.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        if [column.name for column in table.primary_key.columns] != ["id"]:
            continue
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
            )
        )


def head_revision() -> str:
    """The newest migration's revision id (what `upgrade` brings a database to)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head()
    assert head is not None
    return head
