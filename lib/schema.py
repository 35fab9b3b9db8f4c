"""Create and migrate the schema with Alembic, from code (prestart, demo CLI, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib import config
from lib.db import enable_wal
from lib.models import Town

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
