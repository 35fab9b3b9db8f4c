"""Accounts, settings and backups from the command line, against DATABASE_URL.

    python -m lib.admin create-user --username admin --role admin --display-name "系统管理员"
    python -m lib.admin create-user --username balihe --role town_editor --town 349901105 \\
        --display-name "八里河镇录入员" --password-stdin < password.txt
    python -m lib.admin list-users
    python -m lib.admin set-browse on|off    # may anyone browse the dashboards without signing in?
    python -m lib.admin rebuild-rollups      # after loading data with SQL, outside the app and lib.demo
    python -m lib.admin snapshot [--date 2024-05-31]   # keep the towns' key figures (cron: month end)
    python -m lib.admin unlock USERNAME      # a name paused by failed sign-ins may try again now
    python -m lib.admin unlock --address 10.0.0.7   # … or an address
    python -m lib.admin backup /backups/dashboard-2024-05-01.db [--force]   # safe while users save
    python -m lib.admin restore /backups/dashboard-2024-05-01.db            # into an EMPTY database

The password comes from standard input (`--password-stdin`, one line) or is asked for twice.
Whoever can run this against the database already controls it, so the command line acts as an
admin (audit rows say "cli"): it makes the first admin, and more accounts when needed.
The account commands migrate the database first; `backup` leaves the database as it is, and
`restore` migrates what it restored. A SQLite database is backed up to a SQLite file (the online
backup API), a PostgreSQL one to a `pg_dump --format=custom` archive (needs postgresql-client).
Errors are one line on stderr and a non-zero exit: 1 for the database (or a missing tool),
2 for refused input (an existing backup file, a file that is no backup, a database that is not
empty).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, column, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from lib.core import config
from lib.core.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    DatabaseError,
    begin_write,
    check_connection,
    describe_url,
    explain_failure,
    make_engine,
)
from lib.core.domain import Role
from lib.core.errors import ServiceError, ValidationError
from lib.core.models import Meta, User
from lib.core.schema import ALEMBIC_INI, head_revision, upgrade
from lib.queries.accounts import browse_without_sign_in
from lib.queries.common import DATA_VERSION_KEY
from lib.rules.permissions import COMMAND_LINE, Actor
from lib.services import rollups, snapshots
from lib.services.accounts import clear_sign_in_failures, create_user_service, set_browse_without_sign_in
from lib.services.auth import actor_for, normalize_username

# ValidationError's fields, as this command's options
OPTIONS = {
    "username": "--username",
    "password": "password",
    "display_name": "--display-name",
    "role": "--role",
    "town_code": "--town",
    "village_code": "--village",
}


class CliError(Exception):
    """A refusal worth one line (exit 2)."""


class OperationFailed(Exception):
    """The database, or a tool it needs (pg_dump, pg_restore), could not do its part (exit 1)."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    try:
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
    except (EOFError, KeyboardInterrupt) as exc:
        raise CliError("no password given") from exc
    if first != second:
        raise CliError("the two passwords differ; nothing was written")
    return first


def _open() -> Engine:
    engine = make_engine(config.database_url())
    check_connection(engine)
    upgrade(engine)
    return engine


def create_user(args: argparse.Namespace, engine: Engine) -> int:
    password = _read_password(args.password_stdin)
    with Session(engine) as session:
        user = create_user_service(
            session,
            actor=COMMAND_LINE,
            username=args.username,
            password=password,
            display_name=args.display_name,
            role=args.role,
            town_code=args.town,
            village_code=args.village,
            can_see_names=args.can_see_names,
            reason="python -m lib.admin create-user",
        )
        actor = actor_for(session, user)
    print(f"Created {_describe(actor)} in {describe_url(str(engine.url))}.")
    return 0


def _describe(actor: Actor) -> str:
    where = actor.village_code or actor.town_code
    scope = f" for {where}" if where else ""
    return f'the {actor.role.value} account "{actor.username}" ({actor.display_name}){scope}'


def list_users(engine: Engine) -> int:
    with Session(engine) as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        actors = [(actor_for(session, user), user.is_active) for user in users]
    if not actors:
        print(
            f"No accounts in {describe_url(str(engine.url))} yet; make the first admin with "
            "`python -m lib.admin create-user --username admin --role admin --display-name …`."
        )
        return 0
    rows = [("username", "role", "town", "village", "names", "active", "display name")]
    rows += [
        (
            actor.username,
            actor.role.value,
            actor.town_code or "—",
            actor.village_code or "—",
            "yes" if actor.can_see_names else "no",
            "yes" if active else "no",
            actor.display_name,
        )
        for actor, active in actors
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]))
    return 0


def set_browse(args: argparse.Namespace, engine: Engine) -> int:
    enabled = args.state == "on"
    with Session(engine) as session:
        before = set_browse_without_sign_in(
            session, actor=COMMAND_LINE, enabled=enabled, reason="python -m lib.admin set-browse"
        )
        now = browse_without_sign_in(session)
    where = describe_url(str(engine.url))
    state = "on: anyone may browse" if now else "off: only signed-in users browse"
    change = "already" if before == now else "now"
    print(f"Browsing without signing in is {change} {state} the dashboards in {where}.")
    return 0


def unlock(args: argparse.Namespace, engine: Engine) -> int:
    """Clear the throttle on a username and/or an address (lib.services.auth's sign-in throttling)."""
    if not (args.username or "").strip() and not (args.address or "").strip():
        raise CliError("name a username or --address to unlock")
    where = describe_url(str(engine.url))
    targets = [("username", args.username, "for"), ("address", args.address, "from")]
    for option, value, preposition in targets:
        if not (value or "").strip():
            continue
        shown = normalize_username(value) if option == "username" else value.strip()
        with Session(engine) as session:
            cleared = clear_sign_in_failures(
                session, actor=COMMAND_LINE, reason="python -m lib.admin unlock", **{option: value}
            )
        if cleared:
            print(
                f'Cleared {cleared} recent failed sign-ins {preposition} "{shown}" in {where}: '
                "signing in is no longer paused there."
            )
        else:
            print(f'No recent failed sign-ins {preposition} "{shown}" in {where}: nothing to clear.')
    return 0


def rebuild_rollups(engine: Engine) -> int:
    """Work the rollup tables out afresh from the base tables (lib/services/rollups.py)."""
    started = time.perf_counter()
    with Session(engine) as session:
        begin_write(session)  # while the app runs: no save slips in between the reads and the rows
        rollups.rebuild(session)
        session.commit()
    where = describe_url(str(engine.url))
    print(f"Rollups worked out afresh in {where} in {time.perf_counter() - started:.1f} s.")
    return 0


def snapshot(args: argparse.Namespace, engine: Engine) -> int:
    """Keep every town's key figures dated `--date` (default today), as a month end's."""
    try:
        taken_on = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
    except ValueError as exc:
        raise CliError(f"--date {args.date!r} is not a date (YYYY-MM-DD)") from exc
    with Session(engine) as session:
        rows = snapshots.take_snapshot(session, taken_on=taken_on, reason=snapshots.MONTH_END)
    if rows:
        print(f"Kept the towns' key figures of {taken_on.isoformat()} ({rows:,} figures).")
    else:
        print(f"The towns' key figures of {taken_on.isoformat()} were already kept; nothing changed.")
    return 0


# --- backup and restore ---------------------------------------------------------------------------

SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file
PG_DUMP_HEADER = b"PGDMP"  # the first bytes of a pg_dump custom-format archive
# Pages per step of SQLite's online backup (4 MiB at the default 4 KiB page). On a WAL database
# the copy reads one snapshot from its first page to its last, so saves go on meanwhile and none
# of them makes the copy start again; a step only bounds each call into SQLite.
PAGES_PER_STEP = 1024
# Tables a database may hold rows in and still count as empty for `restore`: the migration's mark
# and app_meta's settings and counters, which the backup brings its own of. Rows anywhere else
# (towns, households, accounts, the audit log) are someone's data, never overwritten.
EMPTY_MAY_HOLD = frozenset({"alembic_version", "app_meta"})
TOOL_MISSING = "{tool} is not installed; install postgresql-client"
# libpq's environment variables for a URL's query options; host, port, user, password and database
# come from the URL itself. Never on a command line, where `ps` shows it to every user.
PG_QUERY_VARIABLES = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}
_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE public (\S+) ", re.MULTILINE)


@dataclass(frozen=True)
class Contents:
    """What a database (or a backup of one) holds: rows per table, data version, migration."""

    rows: dict[str, int]
    data_version: str | None
    revision: str | None

    def describe(self) -> str:
        version = self.data_version if self.data_version is not None else "none"
        return f"{len(self.rows)} tables, {sum(self.rows.values()):,} rows, data version {version}"


def read_contents(conn: Connection) -> Contents:
    """Count every table's rows, and read the data version and the migration, through `conn`."""
    names = sorted(inspect(conn).get_table_names())
    rows = {name: int(conn.scalar(select(func.count()).select_from(table(name))) or 0) for name in names}
    data_version = None
    if "app_meta" in rows:
        data_version = conn.scalar(select(Meta.value).where(Meta.key == DATA_VERSION_KEY))
    revision = None
    if "alembic_version" in rows:
        revision = conn.scalar(select(column("version_num")).select_from(table("alembic_version")))
    return Contents(rows, data_version, revision)


def pg_environment(url: str) -> dict[str, str]:
    """The environment for pg_dump and pg_restore: this one plus libpq's PGHOST, PGPORT, PGUSER,
    PGPASSWORD and PGDATABASE (and PGSSLMODE, …) from `url`. What the URL leaves out keeps any
    value the environment gives, as it does for the app's own connections."""
    parsed = make_url(url)
    env = dict(os.environ)
    for option, variable in PG_QUERY_VARIABLES.items():
        value = parsed.query.get(option)
        if isinstance(value, str):
            env[variable] = value
    parts = {
        "PGHOST": parsed.host,
        "PGPORT": parsed.port,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
    }
    env.update({variable: str(value) for variable, value in parts.items() if value is not None})
    return env


def _backend(url: str) -> str:
    """The URL's database, "sqlite" or "postgresql", without connecting (or making a SQLite file);
    anything else raises make_engine's one-line DatabaseError."""
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError as exc:
        raise DatabaseError(
            "error.db_url_malformed",
            f"DATABASE_URL is not a valid database address: {describe_url(url)!r}",
        ) from exc
    if backend not in ("sqlite", "postgresql"):
        make_engine(url)  # raises the one-line error for an unsupported database
    return backend


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise CliError(f"backup and restore need a SQLite file, not {describe_url(url)}")
    return Path(database)


def _open_sqlite_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro",
        uri=True,
        isolation_level=None,
        timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
    )


def _sqlite_has_table(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.fetchone() is not None


def _sqlite_problem(conn: sqlite3.Connection) -> str | None:
    """SQLite's quick_check: None when the file is whole, else its first complaint."""
    found = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
    return None if found == ["ok"] else (found[0] if found else "no answer")


def _sqlite_contents(path: Path) -> Contents:
    engine = create_engine("sqlite://", creator=lambda: _open_sqlite_read_only(path), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return read_contents(conn)
    finally:
        engine.dispose()


def _partial_beside(target: Path) -> Path:
    """An empty file (mode 0600) beside `target` to write into, renamed into place when complete."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    except OSError as exc:
        raise CliError(f"cannot write in {target.parent}: {exc.strerror}; nothing was written") from exc
    os.close(handle)
    return Path(name)


def _exists_refusal(target: Path) -> CliError:
    return CliError(f"{target} already exists; pass --force to replace it (nothing was written)")


def _move_into_place(partial: Path, target: Path, *, force: bool) -> None:
    with partial.open("rb") as file:
        os.fsync(file.fileno())
    if force:
        os.replace(partial, target)
    else:
        try:
            os.link(partial, target)  # unlike a rename, never replaces a file that appeared meanwhile
        except FileExistsError as exc:
            raise _exists_refusal(target) from exc
        except OSError:  # a file system without hard links
            if target.exists():
                raise _exists_refusal(target) from None
            os.replace(partial, target)
    try:
        folder = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)  # the new name survives a power cut too
    except OSError:
        pass
    finally:
        os.close(folder)


def _check_backup_target(target: Path, *, force: bool) -> None:
    if not target.parent.is_dir():
        raise CliError(f"the folder {target.parent} does not exist; nothing was written")
    if target.is_dir():
        raise CliError(f"{target} is a folder; name the backup file to write")
    if target.exists() and not force:
        raise _exists_refusal(target)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise OperationFailed(TOOL_MISSING.format(tool=name))
    return found


def _run(command: list[str], *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )


def _complaint(result: subprocess.CompletedProcess[str]) -> str:
    """The first line a failed pg_dump or pg_restore wrote (its error), for a one-line message."""
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if ": error: " in line]
    if errors or lines:
        return (errors or lines)[0]
    if result.returncode < 0:
        return f"{Path(result.args[0]).name} stopped on signal {-result.returncode}"
    return f"exit status {result.returncode}"


def _size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    scaled = float(size)
    for unit in ("KB", "MB", "GB"):
        scaled /= 1000
        if scaled < 1000 or unit == "GB":
            break
    return f"{scaled:.1f} {unit}"


def backup(args: argparse.Namespace, url: str) -> int:
    """Write a consistent copy of DATABASE_URL to args.path, safely while people are saving."""
    target = Path(args.path)
    _check_backup_target(target, force=args.force)
    if _backend(url) == "sqlite":
        contents = _backup_sqlite(_sqlite_path(url), target, force=args.force)
    else:
        contents = _backup_postgres(url, target, force=args.force)
    size = _size(target.stat().st_size)
    print(f"Backed up {describe_url(url)} to {target}: {size}, {contents.describe()}.")
    return 0


def _backup_sqlite(database: Path, target: Path, *, force: bool) -> Contents:
    """SQLite's online backup API into a file beside `target`, renamed into place when complete.

    On a WAL database the copy holds one read snapshot throughout: saves go on while it runs and
    the copy is the database as it was when it began. Without WAL (a file made elsewhere) it
    takes PAGES_PER_STEP pages at a time and lets saves in between, starting again after one.
    """
    if not database.is_file():
        raise OperationFailed(f"there is no SQLite database at {database}; nothing was written")
    if target.exists() and target.samefile(database):
        raise CliError(f"{target} is the database itself; write the backup to another file")
    partial = _partial_beside(target)
    try:
        try:
            source = _open_sqlite_read_only(database)
            try:
                if not _sqlite_has_table(source, "app_meta"):
                    raise OperationFailed(
                        f"{database} is not a dashboard database (it has no app_meta table); "
                        "nothing was written"
                    )
                copy = sqlite3.connect(partial, isolation_level=None)
                try:
                    wal = source.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                    if wal:
                        source.execute("BEGIN")
                        source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot
                    source.backup(copy, pages=PAGES_PER_STEP)
                    if wal:
                        source.execute("COMMIT")
                    copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal
                    problem = _sqlite_problem(copy)
                finally:
                    copy.close()
            finally:
                source.close()
        except sqlite3.Error as exc:
            raise OperationFailed(f"could not back up {database}: {exc}; nothing was written") from exc
        if problem is not None:
            raise OperationFailed(
                f"the copy of {database} failed SQLite's check ({problem}); nothing was written"
            )
        contents = _sqlite_contents(partial)
        _move_into_place(partial, target, force=force)
    finally:
        partial.unlink(missing_ok=True)
    return contents


def _backup_postgres(url: str, target: Path, *, force: bool) -> Contents:
    """`pg_dump --format=custom` into a file beside `target`, renamed into place when complete.

    pg_dump reads one snapshot (saves go on meanwhile), exported from a transaction of ours so that
    the rows counted and the data version reported are those of the archive.
    """
    pg_dump = _tool("pg_dump")
    engine = make_engine(url)
    where = describe_url(url)
    try:
        check_connection(engine)
        partial = _partial_beside(target)
        try:
            with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
                snapshot = str(conn.scalar(text("SELECT pg_export_snapshot()")))
                contents = read_contents(conn)
                if "app_meta" not in contents.rows:
                    raise OperationFailed(
                        f"{where} is not a dashboard database (it has no app_meta table); nothing was written"
                    )
                command = [pg_dump, "--format=custom", f"--file={partial}", f"--snapshot={snapshot}"]
                result = _run([*command, "--no-password"], env=pg_environment(url))
                conn.rollback()
            if result.returncode != 0:
                raise OperationFailed(f"pg_dump could not back up {where}: {_complaint(result)}")
            _move_into_place(partial, target, force=force)
        finally:
            partial.unlink(missing_ok=True)
    finally:
        engine.dispose()
    return contents


def restore(args: argparse.Namespace, url: str) -> int:
    """Restore the backup args.path into the EMPTY database at DATABASE_URL, then migrate it."""
    path = Path(args.path)
    kind = _backup_kind(path)
    backend = _backend(url)
    if kind != backend:
        raise CliError(_mismatch(path, kind))
    revision = _restore_sqlite(path, url) if backend == "sqlite" else _restore_postgres(path, url)
    engine = make_engine(url)
    try:
        upgrade(engine)  # an older backup is brought up to this version's schema
        with engine.connect() as conn:
            contents = read_contents(conn)
    finally:
        engine.dispose()
    migrated = (
        f"migrated from {revision} to {contents.revision}"
        if revision != contents.revision
        else f"migration {contents.revision}"
    )
    print(f"Restored {path} into {describe_url(url)}: {contents.describe()}, {migrated}.")
    return 0


def _backup_kind(path: Path) -> str:
    """The kind of backup `path` is ("sqlite" or "postgresql") by its first bytes, or a refusal."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except FileNotFoundError as exc:
        raise CliError(f"there is no file {path}; nothing was changed") from exc
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}; nothing was changed") from exc
    if head == SQLITE_HEADER:
        return "sqlite"
    if head.startswith(PG_DUMP_HEADER):
        return "postgresql"
    raise CliError(
        f"{path} is not a backup (neither a SQLite database nor a pg_dump archive); nothing was changed"
    )


def _mismatch(path: Path, kind: str) -> str:
    if kind == "sqlite":
        return (
            f"{path} is a SQLite backup but DATABASE_URL is not a SQLite database: restore it into a "
            "new SQLite file (DATABASE_URL=sqlite:///…); nothing was changed"
        )
    return (
        f"{path} is a PostgreSQL backup (pg_dump) but DATABASE_URL is not a PostgreSQL database: "
        "restore it into a new, empty PostgreSQL database; nothing was changed"
    )


def _check_revision(revision: str | None, path: Path) -> None:
    """Refuse a backup without a migration mark or from a newer version than this one."""
    if revision is None:
        raise CliError(f"{path} has no migration mark (alembic_version): not a backup of this dashboard")
    migrations = Config(str(ALEMBIC_INI))
    migrations.set_main_option("script_location", str(config.ROOT / "migrations"))
    try:
        known = ScriptDirectory.from_config(migrations).get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise CliError(
            f"{path} comes from a newer version of the dashboard (migration {revision}; this one goes "
            f"up to {head_revision()}): update this installation first; nothing was changed"
        )


def _refuse_unless_empty(engine: Engine, url: str) -> Contents:
    """What the target database holds, or a refusal when any table but EMPTY_MAY_HOLD has rows."""
    check_connection(engine)
    with engine.connect() as conn:
        contents = read_contents(conn)
    filled = {name: n for name, n in contents.rows.items() if n and name not in EMPTY_MAY_HOLD}
    if filled:
        shown = sorted(filled, key=lambda name: (name != "towns", -filled[name], name))[:3]
        listed = ", ".join(f"{name}: {filled[name]:,} rows" for name in shown)
        more = f" and {len(filled) - len(shown)} more tables" if len(filled) > len(shown) else ""
        raise CliError(
            f"{describe_url(url)} already holds data ({listed}{more}); restore only into an empty "
            "database (a new SQLite file, or a new PostgreSQL database); nothing was changed"
        )
    return contents


def _restore_sqlite(path: Path, url: str) -> str | None:
    """Check the backup, then copy it into the empty target with SQLite's backup API; its migration."""
    try:
        conn = _open_sqlite_read_only(path)
        try:
            problem = _sqlite_problem(conn)
            is_backup = _sqlite_has_table(conn, "app_meta")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise CliError(f"{path} is not a readable SQLite backup ({exc}); nothing was changed") from exc
    if problem is not None:
        raise CliError(f"{path} is damaged (SQLite's check says: {problem}); nothing was changed")
    if not is_backup:
        raise CliError(
            f"{path} is a SQLite database but no backup of this dashboard (it has no app_meta table); "
            "nothing was changed"
        )
    revision = _sqlite_contents(path).revision
    _check_revision(revision, path)
    database = _sqlite_path(url)
    if database.exists() and database.samefile(path):
        raise CliError(f"{path} is the database at DATABASE_URL itself; nothing was changed")
    engine = make_engine(url)  # makes the file when there is none yet (its folder must exist)
    try:
        _refuse_unless_empty(engine, url)
    finally:
        engine.dispose()
    try:
        source = _open_sqlite_read_only(path)
        try:
            target = sqlite3.connect(database, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
            try:
                source.backup(target)  # one step: the target is empty and nobody waits for it
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise OperationFailed(f"could not restore {path} into {database}: {exc}") from exc
    return revision


def _copy_rows(script: str, name: str) -> list[list[str]]:
    """The rows of `name`'s COPY block in a pg_restore script (text format, tab-separated)."""
    rows: list[list[str]] = []
    inside = False
    for line in script.splitlines():
        if not inside:
            inside = line.startswith(f"COPY public.{name} ")
        elif line == "\\.":
            break
        else:
            rows.append(line.split("\t"))
    return rows


def _restore_postgres(path: Path, url: str) -> str | None:
    """Check the archive (all of it), then pg_restore it into the empty target in one transaction."""
    pg_restore = _tool("pg_restore")
    listing = _run([pg_restore, "--list", str(path)])
    if listing.returncode != 0:
        raise CliError(
            f"{path} is not a readable pg_dump archive ({_complaint(listing)}); nothing was changed"
        )
    tables = set(_TOC_TABLE.findall(listing.stdout))
    if "app_meta" not in tables:
        raise CliError(
            f"{path} is a pg_dump archive but no backup of this dashboard (it has no app_meta table); "
            "nothing was changed"
        )
    # Read the whole archive, data too, before touching the database: a damaged one changes nothing.
    whole = _run([pg_restore, f"--file={os.devnull}", str(path)])
    if whole.returncode != 0:
        raise CliError(f"{path} is damaged ({_complaint(whole)}); nothing was changed")
    marks = _run([pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(path)])
    found = _copy_rows(marks.stdout, "alembic_version")
    revision = found[0][0] if found and found[0] else None
    _check_revision(revision, path)
    engine = make_engine(url)
    try:
        present = _refuse_unless_empty(engine, url).rows
        # Empty tables of a newer migration than the backup's: the upgrade after it makes them again.
        newer = sorted(set(present) - tables)
        if newer:
            with engine.begin() as conn:
                quote = conn.dialect.identifier_preparer.quote
                for name in newer:
                    conn.execute(text(f"DROP TABLE IF EXISTS {quote(name)} CASCADE"))
    finally:
        engine.dispose()
    database = make_url(url).database or ""
    # --clean --if-exists: the empty tables a migrated target already has are dropped and made again
    # from the archive, all in the one transaction, so a failure leaves the target as it was.
    command = [pg_restore, "--no-owner", "--no-privileges", "--single-transaction", "--clean", "--if-exists"]
    result = _run([*command, "--no-password", f"--dbname={database}", str(path)], env=pg_environment(url))
    if result.returncode != 0:
        raise OperationFailed(
            f"pg_restore could not restore {path} into {describe_url(url)}: {_complaint(result)} "
            "(one transaction: nothing was restored)"
        )
    return revision


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lib.admin",
        description="Manage accounts and settings in DATABASE_URL, back it up and restore it.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="create an account (the first one: an admin)")
    create.add_argument("--username", required=True, help="3–40 letters, digits, . _ - (case-insensitive)")
    create.add_argument("--role", required=True, help=f"one of {', '.join(Role)}")
    create.add_argument("--display-name", required=True, help="the name shown in the app")
    create.add_argument("--town", metavar="CODE", help="a town editor's town code")
    create.add_argument("--village", metavar="CODE", help="a village editor's village code")
    create.add_argument(
        "--can-see-names", action="store_true", help="may see household heads' names and ID numbers"
    )
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (one line)"
    )
    commands.add_parser("list-users", help="list every account")
    browse = commands.add_parser(
        "set-browse", help="let anyone browse the dashboards without signing in (on), or not (off)"
    )
    browse.add_argument("state", choices=["on", "off"])
    commands.add_parser(
        "rebuild-rollups", help="work out the rollup tables afresh (after loading data outside the app)"
    )
    snapshot_ = commands.add_parser(
        "snapshot", help="keep every town's key figures on a date (run at each month end, e.g. from cron)"
    )
    snapshot_.add_argument("--date", help="the date they are kept for, YYYY-MM-DD (default: today)")
    unlock_ = commands.add_parser(
        "unlock", help="let a username (or an address) paused by failed sign-ins try again at once"
    )
    unlock_.add_argument("username", nargs="?", help="the username (any case) to unlock")
    unlock_.add_argument("--address", help="a client address to unlock (as /admin lists it)")
    backup_ = commands.add_parser(
        "backup",
        help="copy the database to a file while people go on saving "
        "(SQLite: a SQLite file; PostgreSQL: a pg_dump custom archive)",
    )
    backup_.add_argument("path", metavar="PATH", help="the backup file to write")
    backup_.add_argument("--force", action="store_true", help="replace PATH when it exists")
    restore_ = commands.add_parser(
        "restore", help="restore a backup into an EMPTY database, then migrate it to this version"
    )
    restore_.add_argument("path", metavar="PATH", help="a file written by `backup`")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = config.database_url()
    engine: Engine | None = None
    try:
        if args.command == "backup":
            return backup(args, url)
        if args.command == "restore":
            return restore(args, url)
        engine = _open()
        if args.command == "create-user":
            return create_user(args, engine)
        if args.command == "set-browse":
            return set_browse(args, engine)
        if args.command == "rebuild-rollups":
            return rebuild_rollups(engine)
        if args.command == "unlock":
            return unlock(args, engine)
        if args.command == "snapshot":
            return snapshot(args, engine)
        return list_users(engine)
    except DatabaseError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        problems = "; ".join(
            f"{OPTIONS.get(field, field)}: {text.rstrip('.')}" for field, text in exc.messages().items()
        )
        print(f"Error: {problems} (nothing was written)", file=sys.stderr)
        return 2
    except ServiceError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except OperationFailed as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"Error: {explain_failure(exc, url)}", file=sys.stderr)
        return 1
    except OSError as exc:  # a backup file that could not be written or read (disk full, permissions)
        print(f"Error: {exc.strerror or exc}: {exc.filename}", file=sys.stderr)
        return 1
    finally:
        if engine is not None:
            engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
