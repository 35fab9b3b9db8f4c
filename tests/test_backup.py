"""`python -m lib.admin backup|restore`: a consistent copy while people save, restored only into an
empty database, on real SQLite files and a real PostgreSQL server (tests/support/postgres.py).

PostgreSQL restores go into a second database made with CREATE DATABASE on the test server: the
role in TEST_POSTGRES_URL has CREATEDB (.ci/run makes it so), the throwaway cluster's is a superuser.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from lib import admin
from lib.core import config
from lib.core.db import begin_write, make_engine
from lib.core.models import Meta
from lib.core.schema import head_revision, upgrade
from lib.queries.common import DATA_VERSION_KEY
from tests.hand_county import load_hand_county
from tests.support import postgres

DATA_VERSION = "41"  # the hand county's data version is 1; a value no fresh database has
OLD_REVISION = "0003"  # a migration older than head, for a backup made by an older version

Cli = Callable[..., tuple[int, str, str]]


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run `admin.main(argv)` against a DATABASE_URL; returns (exit code, stdout, stderr)."""

    def run(url: str, *argv: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", url)
        code = admin.main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def new_database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Callable[[str], str]:
    """Make a new, empty database on the test's backend: a SQLite file name in tmp_path (the file
    is not made), or a PostgreSQL database made with CREATE DATABASE and dropped after the test."""

    def make(name: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / name}.db"
        server: postgres.PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database()
        request.addfinalizer(lambda: server.drop_database(url))
        return url

    return make


def _backup_file(backend: str, folder: Path, name: str = "backup") -> Path:
    return folder / (f"{name}.db" if backend == "sqlite" else f"{name}.dump")


def _hand_county(url: str) -> None:
    """Migrate `url` and load the hand-worked county, with data version DATA_VERSION."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            load_hand_county(session)
            session.execute(update(Meta).where(Meta.key == DATA_VERSION_KEY).values(value=DATA_VERSION))
            session.commit()
    finally:
        engine.dispose()


def _everything(url: str) -> dict[str, list[str]]:
    """Every table's rows (as sorted reprs), by table name."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            everything: dict[str, list[str]] = {}
            for name in inspect(conn).get_table_names():
                quoted = conn.dialect.identifier_preparer.quote(name)
                rows = conn.execute(text(f"SELECT * FROM {quoted}")).all()
                everything[name] = sorted(repr(tuple(row)) for row in rows)
            return everything
    finally:
        engine.dispose()


def _contents(url: str) -> admin.Contents:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return admin.read_contents(conn)
    finally:
        engine.dispose()


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ")
    return lines[0]


def _no_partial_files(folder: Path) -> None:
    assert [path.name for path in folder.iterdir() if path.name.endswith(".partial")] == []


# --- round trip ---------------------------------------------------------------------------------


def test_round_trip_keeps_every_row_and_the_data_version(
    backend: str, new_database: Callable[[str], str], tmp_path: Path, cli: Cli
) -> None:
    source = new_database("source")
    _hand_county(source)
    path = _backup_file(backend, tmp_path)

    code, out, err = cli(source, "backup", str(path))
    assert (code, err) == (0, "")
    before = _contents(source)
    assert out.startswith(f"Backed up {make_url(source).render_as_string(hide_password=True)} to {path}: ")
    assert (
        f"{len(before.rows)} tables, {sum(before.rows.values()):,} rows, data version {DATA_VERSION}." in out
    )
    assert path.stat().st_mode & 0o077 == 0  # names and ID numbers: readable by its owner only
    _no_partial_files(tmp_path)

    target = new_database("target")
    code, out, err = cli(target, "restore", str(path))
    assert (code, err) == (0, "")
    assert f"data version {DATA_VERSION}, migration {head_revision()}." in out

    after = _contents(target)
    assert after.rows == before.rows
    assert sum(after.rows.values()) > 50 and after.rows["towns"] == 3
    assert after.data_version == before.data_version == DATA_VERSION
    assert _everything(target) == _everything(source)


def test_restore_brings_an_older_backup_up_to_date_in_a_migrated_empty_database(
    backend: str, new_database: Callable[[str], str], tmp_path: Path, cli: Cli
) -> None:
    """An older version's backup into a database `make run DEMO=0` prepared (migrated, empty,
    app_meta holding a setting): restored, then migrated to head."""
    source = new_database("old")
    engine = make_engine(source)
    upgrade(engine, OLD_REVISION)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO app_meta (key, value) VALUES ('data_version', '7'), ('as_of', '2019-12-31')")
        )
    engine.dispose()
    path = _backup_file(backend, tmp_path)
    assert cli(source, "backup", str(path))[0] == 0

    target = new_database("prepared")
    engine = make_engine(target)
    upgrade(engine)  # head: tables the old backup lacks are there, empty
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO app_meta (key, value) VALUES ('browse_without_sign_in', '0')"))
    engine.dispose()

    code, out, err = cli(target, "restore", str(path))
    assert (code, err) == (0, "")
    assert f"data version 7, migrated from {OLD_REVISION} to {head_revision()}." in out
    restored = _contents(target)
    assert restored.revision == head_revision()
    assert restored.data_version == "7"
    assert set(restored.rows) == set(_contents(new_migrated(new_database("fresh"))).rows)
    assert sorted(_everything(target)["app_meta"]) == ["('as_of', '2019-12-31')", "('data_version', '7')"]


def new_migrated(url: str) -> str:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


# --- a copy while people save -------------------------------------------------------------------

PADDING_ROWS = 6_000  # ~3 MB: hundreds of backup steps at PAGES_PER_STEP = 4
WRITER_START = int(DATA_VERSION)


def _writer(url: str, stop: threading.Event, done: list[int], failures: list[BaseException]) -> None:
    """Save in a loop as the app does: each transaction adds a probe row and bumps the data
    version to match, so a consistent copy has data version - 41 == probe rows."""
    engine = make_engine(url)
    try:
        while not stop.is_set():
            with Session(engine) as session:
                begin_write(session)
                n = done[0] + 1
                session.execute(text("INSERT INTO probe_log (n) VALUES (:n)"), {"n": n})
                session.execute(
                    update(Meta).where(Meta.key == DATA_VERSION_KEY).values(value=str(WRITER_START + n))
                )
                session.execute(
                    text("UPDATE probe_padding SET payload = :p WHERE id = :id"), {"p": f"w{n}", "id": n}
                )
                session.commit()
            done[0] = n
    except BaseException as exc:  # reported by the test
        failures.append(exc)
    finally:
        engine.dispose()


def test_backup_while_another_connection_saves_is_consistent(
    backend: str,
    new_database: Callable[[str], str],
    tmp_path: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live = new_database("live")
    _hand_county(live)
    engine = make_engine(live)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE probe_log (n INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE probe_padding (id INTEGER PRIMARY KEY, payload TEXT)"))
        conn.execute(
            text("INSERT INTO probe_padding (id, payload) VALUES (:id, :payload)"),
            [{"id": i, "payload": f"{i:06d}" * 80} for i in range(1, PADDING_ROWS + 1)],
        )
    engine.dispose()
    monkeypatch.setattr(admin, "PAGES_PER_STEP", 4)  # many steps, so saves fall between them

    stop, done = threading.Event(), [0]
    failures: list[BaseException] = []
    writer = threading.Thread(target=_writer, args=(live, stop, done, failures), daemon=True)
    writer.start()
    try:
        deadline = time.monotonic() + 30
        while done[0] < 5 and not failures and time.monotonic() < deadline:
            time.sleep(0.01)
        path = _backup_file(backend, tmp_path)
        started_at = done[0]
        code, out, err = cli(live, "backup", str(path))
        finished_at = done[0]
        time.sleep(0.05)  # and saves go on after it
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not failures, failures  # no save waited in vain or failed while the copy ran
    assert (code, err) == (0, ""), err
    assert finished_at > started_at, "no save happened while the backup ran; the test proves nothing"
    assert done[0] > finished_at

    if backend == "sqlite":
        copy = f"sqlite:///{path}"
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert raw.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file, no -wal
        raw.close()
        assert not Path(f"{path}-wal").exists()
    else:
        copy = new_database("copy")
        assert cli(copy, "restore", str(path))[0] == 0
    contents = _contents(copy)
    probes = contents.rows["probe_log"]
    assert started_at <= probes <= finished_at
    assert contents.data_version == str(WRITER_START + probes)  # one snapshot: version and rows agree
    assert f"data version {contents.data_version}." in out
    assert contents.rows["towns"] == 3 and contents.rows["probe_padding"] == PADDING_ROWS
    engine = make_engine(copy)
    with Session(engine) as session:  # openable by the app's own engine
        assert session.scalar(select(Meta.value).where(Meta.key == DATA_VERSION_KEY)) == contents.data_version
    engine.dispose()


# --- refusals -----------------------------------------------------------------------------------


def test_restore_into_a_database_that_holds_data_is_refused_and_changes_nothing(
    backend: str, new_database: Callable[[str], str], tmp_path: Path, cli: Cli
) -> None:
    source = new_database("source")
    _hand_county(source)
    path = _backup_file(backend, tmp_path)
    assert cli(source, "backup", str(path))[0] == 0

    county = new_database("county")
    engine = make_engine(county)
    upgrade(engine)
    with Session(engine) as session:
        load_hand_county(session)  # data version 1: another county's data
    engine.dispose()
    before = _everything(county)

    code, out, err = cli(county, "restore", str(path))
    assert (code, out) == (2, "")
    line = _one_error_line(err)
    assert "already holds data (towns: 3 rows" in line and "nothing was changed" in line
    assert _everything(county) == before


def _random_bytes(path: Path) -> None:
    path.write_bytes(random.Random(7).randbytes(50_000))


def _workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["户编号", "户主姓名"])  # type: ignore[union-attr]
    book.save(path)


def _empty_file(path: Path) -> None:
    path.write_bytes(b"")


def _other_sqlite_database(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('not a dashboard')")
    conn.close()


def _pg_dump_header_only(path: Path) -> None:
    path.write_bytes(b"PGDMP" + bytes(200))


NOT_BACKUPS: dict[str, tuple[Callable[[Path], None], str]] = {
    "random bytes": (_random_bytes, "is not a backup (neither a SQLite database nor a pg_dump archive)"),
    "an empty file": (_empty_file, "is not a backup"),
    "an Excel workbook": (_workbook, "is not a backup (neither a SQLite database nor a pg_dump archive)"),
    "a SQLite file without app_meta": (
        _other_sqlite_database,
        "no backup of this dashboard (it has no app_meta",
    ),
    "a PostgreSQL archive": (
        _pg_dump_header_only,
        "is a PostgreSQL backup (pg_dump) but DATABASE_URL is not",
    ),
}


@pytest.mark.parametrize("kind", NOT_BACKUPS)
def test_sqlite_restore_refuses_a_file_that_is_no_sqlite_backup(kind: str, tmp_path: Path, cli: Cli) -> None:
    make, expected = NOT_BACKUPS[kind]
    path = tmp_path / "upload.bin"
    make(path)
    target = tmp_path / "target.db"
    code, out, err = cli(f"sqlite:///{target}", "restore", str(path))
    assert (code, out) == (2, "")
    line = _one_error_line(err)
    assert expected in line and "nothing was changed" in line
    assert not target.exists()  # checked before the database was touched


def test_sqlite_restore_refuses_a_damaged_or_missing_backup(tmp_path: Path, cli: Cli) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    _hand_county(source)
    path = tmp_path / "backup.db"
    assert cli(source, "backup", str(path))[0] == 0
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    target = tmp_path / "target.db"
    for bad, expected in ((damaged, "damaged.db is "), (tmp_path / "missing.db", "there is no file")):
        code, _, err = cli(f"sqlite:///{target}", "restore", str(bad))
        assert code == 2
        assert expected in _one_error_line(err)
    assert not target.exists()


def test_postgres_restore_refuses_a_file_that_is_no_backup_and_changes_nothing(
    postgres_url: str, tmp_path: Path, cli: Cli, request: pytest.FixtureRequest
) -> None:
    server: postgres.PostgresServer = request.getfixturevalue("postgres_server")
    source = server.create_database()
    request.addfinalizer(lambda: server.drop_database(source))
    _hand_county(source)
    archive = tmp_path / "backup.dump"
    assert cli(source, "backup", str(archive))[0] == 0
    truncated = tmp_path / "truncated.dump"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    sqlite_backup = tmp_path / "backup.db"
    sqlite_source = f"sqlite:///{tmp_path / 'source.db'}"
    _hand_county(sqlite_source)
    assert cli(sqlite_source, "backup", str(sqlite_backup))[0] == 0
    other = server.create_database()  # a database that is not the dashboard's
    request.addfinalizer(lambda: server.drop_database(other))
    engine = make_engine(other)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (body text)"))
    engine.dispose()
    foreign = tmp_path / "foreign.dump"
    env = admin.pg_environment(other)
    subprocess.run(["pg_dump", "--format=custom", f"--file={foreign}"], env=env, check=True)
    random_file = tmp_path / "random.dump"
    _random_bytes(random_file)
    workbook = tmp_path / "households.xlsx"
    _workbook(workbook)

    cases = {
        random_file: "is not a backup (neither",
        workbook: "is not a backup (neither",
        sqlite_backup: "is a SQLite backup but DATABASE_URL is not a SQLite database",
        truncated: "truncated.dump is ",
        foreign: "is a pg_dump archive but no backup of this dashboard",
    }
    for path, expected in cases.items():
        code, out, err = cli(postgres_url, "restore", str(path))
        assert (code, out) == (2, ""), path
        line = _one_error_line(err)
        assert expected in line and "nothing was changed" in line, line
    assert _contents(postgres_url).rows == {}


def test_backup_refuses_an_existing_file_without_force(tmp_path: Path, cli: Cli) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    _hand_county(source)
    path = tmp_path / "backup.db"
    path.write_bytes(b"last night's backup")

    code, out, err = cli(source, "backup", str(path))
    assert (code, out) == (2, "")
    assert (
        _one_error_line(err)
        == f"Error: {path} already exists; pass --force to replace it (nothing was written)"
    )
    assert path.read_bytes() == b"last night's backup"
    _no_partial_files(tmp_path)

    code, out, err = cli(source, "backup", "--force", str(path))
    assert (code, err) == (0, "")
    assert path.read_bytes().startswith(admin.SQLITE_HEADER)
    assert _contents(f"sqlite:///{path}").data_version == DATA_VERSION


def test_backup_refuses_to_write_over_the_database_or_into_a_missing_folder(tmp_path: Path, cli: Cli) -> None:
    database = tmp_path / "county.db"
    _hand_county(f"sqlite:///{database}")
    before = _everything(f"sqlite:///{database}")
    for path, expected in (
        (database, "is the database itself"),
        (tmp_path / "no-such-folder" / "backup.db", "does not exist; nothing was written"),
        (tmp_path, "is a folder"),
    ):
        code, _, err = cli(f"sqlite:///{database}", "backup", "--force", str(path))
        assert code == 2
        assert expected in _one_error_line(err)
    assert _everything(f"sqlite:///{database}") == before


def test_backup_of_a_missing_or_unreachable_database_is_one_line(tmp_path: Path, cli: Cli) -> None:
    missing = tmp_path / "missing.db"
    code, _, err = cli(f"sqlite:///{missing}", "backup", str(tmp_path / "backup.db"))
    assert code == 1
    assert "there is no SQLite database at" in _one_error_line(err)
    assert not missing.exists() and not (tmp_path / "backup.db").exists()

    unreachable = "postgresql+psycopg://someone:secret@127.0.0.1:1/county"
    code, _, err = cli(unreachable, "backup", str(tmp_path / "backup.dump"))
    assert code == 1
    line = _one_error_line(err)
    assert "Cannot reach the database" in line and "secret" not in line
    assert list(tmp_path.iterdir()) == []


def test_without_postgresql_client_the_message_says_what_to_install(
    postgres_url: str, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PATH names an empty folder: a real machine without pg_dump and pg_restore, not a mock."""
    _hand_county(postgres_url)
    archive = tmp_path / "backup.dump"
    assert cli(postgres_url, "backup", str(archive))[0] == 0  # made while the tools are there
    target_folder = tmp_path / "out"
    target_folder.mkdir()
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    code, out, err = cli(postgres_url, "backup", str(target_folder / "backup.dump"))
    assert (code, out) == (1, "")
    assert err == "Error: pg_dump is not installed; install postgresql-client\n"
    assert list(target_folder.iterdir()) == []

    code, out, err = cli(postgres_url, "restore", str(archive))
    assert (code, out) == (1, "")
    assert err == "Error: pg_restore is not installed; install postgresql-client\n"


def test_the_password_goes_to_pg_dump_in_the_environment() -> None:
    """pg_dump and pg_restore get the connection from libpq's variables; their command lines
    (visible to anyone with `ps`) carry only file names, options and the database's name."""
    url = "postgresql+psycopg://county:p%40ss%20word@db.example:6543/dashboard?sslmode=require"
    env = admin.pg_environment(url)
    assert env["PGHOST"] == "db.example"
    assert env["PGPORT"] == "6543"
    assert env["PGUSER"] == "county"
    assert env["PGPASSWORD"] == "p@ss word"
    assert env["PGDATABASE"] == "dashboard"
    assert env["PGSSLMODE"] == "require"
    socket = admin.pg_environment("postgresql+psycopg://county@/dashboard?host=/run/postgresql")
    assert socket["PGHOST"] == "/run/postgresql"


# --- a real command -----------------------------------------------------------------------------


def test_backup_and_restore_as_real_commands(tmp_path: Path) -> None:
    source = tmp_path / "county.db"
    _hand_county(f"sqlite:///{source}")
    path = tmp_path / "dashboard-2024-05-01.db"

    def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lib.admin", *args],
            cwd=config.ROOT,
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
        )

    result = run(f"sqlite:///{source}", "backup", str(path))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"Backed up sqlite:///{source} to {path}: ")
    assert f"data version {DATA_VERSION}." in result.stdout

    restored = tmp_path / "restored.db"
    result = run(f"sqlite:///{restored}", "restore", str(path))
    assert (result.returncode, result.stderr) == (0, "")
    assert _everything(f"sqlite:///{restored}") == _everything(f"sqlite:///{source}")
