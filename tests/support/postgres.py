"""A PostgreSQL server for tests: the one in TEST_POSTGRES_URL, or a throwaway cluster.

Starting a cluster takes seconds, so start one server per test session with `postgres_server()`
and take a fresh database per test from it with `PostgresServer.database()` (CREATE DATABASE is
fast). `postgres_database()` does both at once for scripts.

- `TEST_POSTGRES_URL` set: that server is used; its URL names a database the role can connect to,
  and the role needs CREATEDB. Each fresh database is created there and dropped afterwards.
- Otherwise `initdb` is looked for in `TEST_POSTGRES_BIN_DIR` if set (only there), else on PATH,
  else in the newest `/usr/lib/postgresql/*/bin` (Debian). A cluster is made in a temporary
  directory, listens on a free loopback port, trusts local connections, and is removed at the end.
  PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` OS user.

Every test database is UTF8 with the C collation: text sorts by code point, as in SQLite, so both
databases order rows the same way.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from tests.support import Availability, free_port

ENV_URL = "TEST_POSTGRES_URL"
ENV_BIN_DIR = "TEST_POSTGRES_BIN_DIR"
DEBIAN_BIN_DIRS = Path("/usr/lib/postgresql")
CLUSTER_OS_USER = "postgres"
START_TIMEOUT_S = 60
START_ATTEMPTS = 3
CONNECT_TIMEOUT_S = 5
DROP_ATTEMPTS = 20
DROP_RETRY_S = 0.25

INSTALL_HINT = "install Debian's postgresql or set TEST_POSTGRES_URL"

CLUSTER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "log_min_messages": "warning",
}


class PostgresUnavailable(Exception):
    """No PostgreSQL to test against; the message says why and how to get one."""


class PostgresError(Exception):
    """A PostgreSQL was found but could not be used: a real failure, not a reason to skip."""


@dataclass(frozen=True)
class PostgresServer:
    """A running server in which tests may create and drop databases."""

    admin_url: str
    """SQLAlchemy URL of a database to connect to for CREATE/DROP DATABASE."""
    description: str
    """What this server is, password hidden, for reports."""

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"test_{uuid.uuid4().hex[:16]}"
        with _autocommit_engine(self.admin_url) as engine, engine.connect() as conn:
            conn.execute(
                text(
                    f'CREATE DATABASE "{name}" TEMPLATE template0 '
                    "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
                )
            )
        return _render(make_url(self.admin_url).set(database=name))

    def drop_database(self, url: str) -> None:
        """Drop a database made by `create_database`, ending any connection still open to it."""
        name = _harness_database(url)
        with _autocommit_engine(self.admin_url) as engine, engine.connect() as conn:
            for attempt in range(DROP_ATTEMPTS):
                try:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    return
                except DBAPIError:
                    # An autovacuum worker (a superuser's process) may be visiting the new
                    # database; a non-superuser test role cannot end it, so wait for it to finish.
                    if attempt == DROP_ATTEMPTS - 1:
                        raise
                    time.sleep(DROP_RETRY_S)

    def database_names(self) -> set[str]:
        with _autocommit_engine(self.admin_url) as engine, engine.connect() as conn:
            return set(conn.scalars(text("SELECT datname FROM pg_database")))

    @contextmanager
    def database(self) -> Iterator[str]:
        """A fresh empty database for the duration of the block; yields its SQLAlchemy URL."""
        url = self.create_database()
        try:
            yield url
        finally:
            self.drop_database(url)


def find_initdb() -> Path | None:
    """`initdb` from TEST_POSTGRES_BIN_DIR if set, else PATH, else the newest Debian version."""
    bin_dir = os.environ.get(ENV_BIN_DIR)
    if bin_dir:
        return _usable_bin_dir(Path(bin_dir))
    on_path = shutil.which("initdb")
    if on_path:
        found = _usable_bin_dir(Path(on_path).resolve().parent)
        if found:
            return found
    for version_dir in sorted(DEBIAN_BIN_DIRS.glob("*/bin"), key=_version_key, reverse=True):
        found = _usable_bin_dir(version_dir)
        if found:
            return found
    return None


def not_found_reason() -> str:
    bin_dir = os.environ.get(ENV_BIN_DIR)
    if bin_dir:
        return f"initdb and pg_ctl not found in {ENV_BIN_DIR}={bin_dir} ({INSTALL_HINT})"
    return f"initdb not found on PATH or in {DEBIAN_BIN_DIRS}/*/bin ({INSTALL_HINT})"


def probe() -> Availability:
    """What `postgres_server()` would use, without connecting or starting anything."""
    url = os.environ.get(ENV_URL)
    if url:
        return Availability(True, f"{ENV_URL}={_hide_password(url)}")
    initdb = find_initdb()
    if initdb is None:
        return Availability(False, not_found_reason())
    return Availability(True, f"throwaway cluster made with {initdb}")


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """The server to test against, for the duration of the block.

    Raises PostgresUnavailable when there is none, PostgresError when one was found but fails.
    """
    url = os.environ.get(ENV_URL)
    if url:
        yield _external_server(url)
        return
    initdb = find_initdb()
    if initdb is None:
        raise PostgresUnavailable(not_found_reason())
    with _throwaway_cluster(initdb.parent) as server:
        yield server


@contextmanager
def postgres_database() -> Iterator[str]:
    """One fresh database on a server started for it; fine for scripts, slow for many tests."""
    with postgres_server() as server, server.database() as url:
        yield url


# --- the server named by TEST_POSTGRES_URL ------------------------------------------------------


def _external_server(raw_url: str) -> PostgresServer:
    try:
        url = make_url(raw_url)
    except ArgumentError as exc:
        raise PostgresError(f"{ENV_URL} is not a database URL: {_hide_password(raw_url)!r}") from exc
    if url.get_backend_name() != "postgresql":
        raise PostgresError(f"{ENV_URL} must be a postgresql:// URL, not {url.drivername}://")
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    server = PostgresServer(admin_url=_render(url), description=f"{ENV_URL}={_hide_password(raw_url)}")
    try:
        with _autocommit_engine(server.admin_url) as engine, engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise PostgresError(f"cannot connect to {server.description}: {_first_line(exc)}") from exc
    return server


# --- a throwaway cluster ------------------------------------------------------------------------


@contextmanager
def _throwaway_cluster(bin_dir: Path) -> Iterator[PostgresServer]:
    run_as = _run_as_cluster_owner()
    base = Path(tempfile.mkdtemp(prefix="pytest-postgres-", dir=_temp_parent()))
    try:
        if run_as:
            owner = pwd.getpwnam(CLUSTER_OS_USER)
            os.chown(base, owner.pw_uid, owner.pw_gid)
        data = base / "data"
        _run(
            [
                *run_as,
                str(bin_dir / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                "postgres",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            cwd=base,
            what="initdb",
        )
        port = _start(bin_dir, base, data, run_as)
        try:
            yield PostgresServer(
                admin_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
                description=f"throwaway cluster on 127.0.0.1:{port} in {base} ({bin_dir})",
            )
        finally:
            subprocess.run(
                [*run_as, str(bin_dir / "pg_ctl"), "--pgdata", str(data), "--mode", "immediate", "stop"],
                cwd=base,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _start(bin_dir: Path, base: Path, data: Path, run_as: list[str]) -> int:
    """Start the cluster on a free port (retrying if another process takes it first)."""
    conf = data / "postgresql.conf"
    original_conf = conf.read_text()
    log = base / "server.log"
    for attempt in range(1, START_ATTEMPTS + 1):
        port = free_port()
        settings = {**CLUSTER_SETTINGS, "port": str(port), "unix_socket_directories": f"'{base}'"}
        conf.write_text(
            original_conf
            + "\n# pytest throwaway cluster\n"
            + "".join(f"{key} = {value}\n" for key, value in settings.items())
        )
        result = subprocess.run(
            [
                *run_as,
                str(bin_dir / "pg_ctl"),
                "--pgdata",
                str(data),
                "--log",
                str(log),
                "--wait",
                "--timeout",
                str(START_TIMEOUT_S),
                "start",
            ],
            cwd=base,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            return port
        server_log = _tail(log)
        if "could not bind" not in server_log or attempt == START_ATTEMPTS:
            raise PostgresError(
                f"pg_ctl start failed (exit {result.returncode}): {result.stderr.strip()}\n"
                f"server log {log}:\n{server_log}"
            )
    raise AssertionError("unreachable")


def _run_as_cluster_owner() -> list[str]:
    """The command prefix that runs a program as the cluster's OS user; empty unless we are root."""
    if os.geteuid() != 0:
        return []
    try:
        owner = pwd.getpwnam(CLUSTER_OS_USER)
    except KeyError as exc:
        raise PostgresError(
            f"running as root, and PostgreSQL refuses root, but there is no {CLUSTER_OS_USER!r} OS user "
            "to run it as (Debian's postgresql package creates it)"
        ) from exc
    if shutil.which("runuser"):
        return ["runuser", "-u", CLUSTER_OS_USER, "--"]
    if shutil.which("setpriv"):
        return [
            "setpriv",
            f"--reuid={owner.pw_uid}",
            f"--regid={owner.pw_gid}",
            "--init-groups",
            "--",
        ]
    raise PostgresError("running as root, and neither runuser nor setpriv is there to drop to 'postgres'")


def _temp_parent() -> str | None:
    """Where to make the cluster directory: the usual temp dir, unless the cluster user can't reach it."""
    default = tempfile.gettempdir()
    if os.geteuid() == 0 and not os.stat(default).st_mode & stat.S_IXOTH:
        return "/tmp"
    return None


def _run(command: list[str], *, cwd: Path, what: str) -> None:
    result = subprocess.run(
        command, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise PostgresError(f"{what} failed (exit {result.returncode}): {' '.join(command)}\n{output}")


# --- a database put back as it was ------------------------------------------------------------

PRISTINE_SCHEMA = "test_pristine"

# What a test could change beyond rows: the migration, relations and their columns, constraints,
# triggers and functions in the public schema. Rows and sequences are put back; anything else
# changed means building the database again.
SHAPE_SQL = """
SELECT concat_ws('|',
  (SELECT string_agg(version_num, ',' ORDER BY version_num) FROM public.alembic_version),
  (SELECT string_agg(relname || ':' || relkind::text, ',' ORDER BY relname)
     FROM pg_class WHERE relnamespace = 'public'::regnamespace),
  (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT string_agg(conname, ',' ORDER BY conname)
     FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
  (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal),
  (SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace))
"""


def snapshot(engine: Engine, tables_in_order: list[str]) -> tuple[str, str]:
    """Keep a copy of every table's rows in the schema test_pristine; return the SQL that puts
    the rows and sequences back, and the database's shape (SHAPE_SQL) to check first.

    `tables_in_order` lists the tables parents first (as Base.metadata.sorted_tables), so rows
    are deleted children first and copied back parents first.
    """
    with engine.begin() as conn:
        present = set(conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
        ordered = [table for table in tables_in_order if table in present]
        unknown = present - set(ordered) - {"alembic_version"}
        if unknown:
            raise ValueError(f"tables not in the models, in no known order: {sorted(unknown)}")
        conn.execute(text(f'CREATE SCHEMA "{PRISTINE_SCHEMA}"'))
        filled = []
        for table in ordered:
            conn.execute(text(f'CREATE TABLE "{PRISTINE_SCHEMA}"."{table}" AS TABLE public."{table}"'))
            if conn.scalar(text(f'SELECT EXISTS (SELECT FROM public."{table}")')):
                filled.append(table)
        names = conn.scalars(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"))
        sequences = [
            (name, *conn.execute(text(f'SELECT last_value, is_called FROM public."{name}"')).one())
            for name in names.all()
        ]
        shape = str(conn.scalar(text(SHAPE_SQL)))
    statements = [f'DELETE FROM public."{table}"' for table in reversed(ordered)]
    statements += [
        f'INSERT INTO public."{table}" OVERRIDING SYSTEM VALUE SELECT * FROM "{PRISTINE_SCHEMA}"."{table}"'
        for table in filled
    ]
    for name, last_value, is_called in sequences:
        statements.append(f"SELECT setval('public.\"{name}\"', {int(last_value)}, {bool(is_called)})")
    return ";\n".join(statements), shape


def restore(url: str, restore_sql: str, shape: str) -> bool:
    """Put a `snapshot`'s rows and sequences back in one transaction; False (nothing changed) when
    the database's shape differs or a lock left behind is not released within seconds."""
    uri = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(uri, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            conn.execute("SET lock_timeout = '5s'")
            found = conn.execute(SHAPE_SQL).fetchone()
            if found is None or found[0] != shape:
                conn.rollback()
                return False
            conn.execute(restore_sql)
    except psycopg.Error:
        return False
    return True


# --- small helpers ------------------------------------------------------------------------------


def _harness_database(url: str) -> str:
    """The database name in `url`, which must be one `create_database` made."""
    name = make_url(url).database
    if not name or not name.startswith("test_"):
        raise ValueError(f"Refusing to touch a database this harness did not create: {name!r}")
    return name


@contextmanager
def _autocommit_engine(url: str) -> Iterator[Engine]:
    engine = create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )
    try:
        yield engine
    finally:
        engine.dispose()


def _usable_bin_dir(bin_dir: Path) -> Path | None:
    """`initdb` in `bin_dir` when it and `pg_ctl` are both there and executable."""
    initdb, pg_ctl = bin_dir / "initdb", bin_dir / "pg_ctl"
    if all(tool.is_file() and os.access(tool, os.X_OK) for tool in (initdb, pg_ctl)):
        return initdb
    return None


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    """Sort key for `/usr/lib/postgresql/<version>/bin`: 9.6 < 15 < 16."""
    try:
        return tuple(int(part) for part in bin_dir.parent.name.split("."))
    except ValueError:
        return (-1,)


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.rsplit("@", 1)[-1]


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    message = str(orig if orig is not None else exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
