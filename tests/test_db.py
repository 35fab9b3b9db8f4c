"""The database layer: URLs, clear errors, SQLite pragmas, and the prestart command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from lib.core import config, schema
from lib.core.db import DatabaseError, check_connection, make_engine

ROOT = config.ROOT


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("nonsense", "error.db_url_malformed"),
        ("mysql://user@localhost/db", "error.db_url_unsupported"),
        ("postgresql+nodriver://u@localhost/db", "error.db_url_unsupported"),
        ("sqlite:////no/such/folder/county.db", "error.db_dir_missing"),
    ],
)
def test_bad_urls_raise_one_clear_error(url: str, key: str) -> None:
    with pytest.raises(DatabaseError) as caught:
        make_engine(url)
    assert caught.value.key == key
    assert "Traceback" not in str(caught.value)


def test_unreachable_server_is_reported_without_the_password() -> None:
    engine = make_engine("postgresql+psycopg://dashboard:s3cret@127.0.0.1:1/county")
    with pytest.raises(DatabaseError) as caught:
        check_connection(engine)
    assert caught.value.key == "error.db_unreachable"
    assert "s3cret" not in str(caught.value)
    assert "127.0.0.1:1" in str(caught.value)


def test_plain_postgresql_url_uses_psycopg3() -> None:
    assert make_engine("postgresql://u@127.0.0.1/x").dialect.driver == "psycopg"


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000


def _writer_kept_out(engine: Engine) -> bool:
    """Whether another connection's write is refused at once (SQLite's write lock is held)."""
    from sqlalchemy.exc import OperationalError

    try:
        with engine.begin() as other:
            other.exec_driver_sql("PRAGMA busy_timeout = 50")
            other.exec_driver_sql("INSERT INTO app_meta (key, value) VALUES ('probe', '1')")
            other.exec_driver_sql("DELETE FROM app_meta WHERE key = 'probe'")
    except OperationalError:
        return True
    return False


def test_a_sqlite_write_holds_the_lock_from_its_first_statement(sqlite_url: str) -> None:
    """pysqlite began a transaction only at the first write, so a write's reads ran outside it and a
    SAVEPOINT before the first write became the outermost transaction; begin_write takes the lock
    first, and savepoints nest."""
    from sqlalchemy.orm import Session

    from lib.core.db import begin_write

    engine = make_engine(sqlite_url)
    schema.upgrade(engine)
    with Session(engine) as session:
        session.execute(text("SELECT count(*) FROM app_meta"))  # a read first: begin_write ends it
        assert not _writer_kept_out(engine)
        begin_write(session)
        session.execute(text("SELECT count(*) FROM app_meta"))
        assert _writer_kept_out(engine)  # held from the read on, before any write
        savepoint = session.begin_nested()
        session.execute(text("INSERT INTO app_meta (key, value) VALUES ('inner', '1')"))
        savepoint.commit()  # RELEASE: still inside the outer transaction
        session.rollback()
        assert session.scalar(text("SELECT count(*) FROM app_meta WHERE key = 'inner'")) == 0
        session.rollback()

        session.execute(text("INSERT INTO app_meta (key, value) VALUES ('first', '1')"))
        begin_write(session)  # it has written, so it holds the lock: it goes on in its transaction
        session.commit()
        assert session.scalar(text("SELECT count(*) FROM app_meta WHERE key = 'first'")) == 1
        session.rollback()

        from lib.core.models import Meta

        session.execute(text("SELECT 1"))
        session.add(Meta(key="pending", value="1"))
        with pytest.raises(RuntimeError, match="unsaved changes"):
            begin_write(session)
        session.rollback()
    engine.dispose()


def test_foreign_keys_are_enforced(empty_engine: Engine) -> None:
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    from lib.core.models import Village

    with Session(empty_engine) as session, pytest.raises(IntegrityError):
        session.add(Village(code="1", town_id=999, name_zh="无", name_en="None"))
        session.commit()


def _prestart(url: str, tmp_path: Path, demo: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "DEMO": demo}
    return subprocess.run(
        [sys.executable, "-m", "lib.prestart"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "url", ["nonsense", "postgresql+psycopg://u:p@127.0.0.1:1/x", "sqlite:////no/such/folder/x.db"]
)
def test_prestart_exits_non_zero_with_one_line_and_no_traceback(url: str, tmp_path: Path) -> None:
    result = _prestart(url, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_prestart_migrates_an_empty_database_and_keeps_it_empty_with_demo_0(
    sqlite_url: str, tmp_path: Path
) -> None:
    result = _prestart(sqlite_url, tmp_path, demo="0")
    assert result.returncode == 0, result.stderr
    assert "DEMO=0" in result.stdout
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM towns")).scalar() == 0
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert revision == schema.head_revision()
