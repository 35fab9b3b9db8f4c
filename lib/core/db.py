"""Engine and session factory for SQLite and PostgreSQL, and clear errors when the URL is wrong.

SQLite transactions are ours, not pysqlite's: pysqlite starts a transaction only at the first
write, so the reads a write depends on (is this the last admin? is a seat free?) ran outside it, and
a SAVEPOINT before the first write became the outermost transaction. Here every transaction starts
with an explicit BEGIN; a write starts with BEGIN IMMEDIATE (`begin_write`), which takes SQLite's
write lock before its first read, so two writers run one after the other, as PostgreSQL's row locks
make them. Reads stay BEGIN DEFERRED and never wait for writers (WAL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DisconnectionError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from lib.core import config

SQLITE_BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 20
POOL_OVERFLOW = 20


class DatabaseError(Exception):
    """A database problem worth one clear sentence to a user; `key` and `params` feed `t()`."""

    def __init__(self, key: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


def describe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1] if "@" in url else url


SQLITE_BEGIN = "sqlite_begin"  # execution option: how a transaction on this connection begins
_SQLITE_BEGIN_MODES = ("DEFERRED", "IMMEDIATE")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # pysqlite emits no BEGIN of its own: _sqlite_begin does
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


_WRITING = "sqlite_writing"  # connection info: this transaction began IMMEDIATE
_CHANGES_AT_BEGIN = "sqlite_changes_at_begin"  # connection info: total_changes when it began


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    if mode not in _SQLITE_BEGIN_MODES:
        raise ValueError(f"{SQLITE_BEGIN} must be one of {_SQLITE_BEGIN_MODES}, not {mode!r}")
    conn.exec_driver_sql(f"BEGIN {mode}")
    conn.info[_WRITING] = mode == "IMMEDIATE"
    conn.info[_CHANGES_AT_BEGIN] = _total_changes(conn)


def _total_changes(conn: Connection) -> int:
    return int(conn.connection.dbapi_connection.total_changes)  # type: ignore[union-attr]


def begin_write(session: Session) -> None:
    """Start `session`'s transaction as a write: BEGIN IMMEDIATE on SQLite, so no other writer
    runs until it ends and what it reads stays true until it commits (PostgreSQL: its writes lock
    the rows they depend on with SELECT … FOR UPDATE).

    A session whose transaction is open goes on in it when that is safe: on PostgreSQL always; on
    SQLite when it began IMMEDIATE or has written (a write takes SQLite's write lock until the end).
    A SQLite transaction that has only read is ended first (it wrote nothing), so the write's reads
    come after the lock; one holding unflushed changes is a programming error.
    """
    if session.in_transaction():
        conn = session.connection()
        if (
            conn.dialect.name != "sqlite"
            or conn.info.get(_WRITING)
            or _total_changes(conn) != conn.info.get(_CHANGES_AT_BEGIN)
        ):
            return
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("a write must begin its own transaction: this session holds unsaved changes")
        session.commit()
    session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})


def holds_write_lock(session: Session) -> bool:
    """Whether `session` is in a SQLite transaction begun by `begin_write` (BEGIN IMMEDIATE): no
    other connection writes until it ends."""
    conn = session.connection()
    return conn.dialect.name == "sqlite" and bool(conn.info.get(_WRITING))


def make_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default: the configured DATABASE_URL).

    Raises DatabaseError for a malformed URL or an unknown driver; does not connect.
    """
    url = url or config.database_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(
            "error.db_url_malformed",
            f"DATABASE_URL is not a valid database address: {describe_url(url)!r}",
            url=describe_url(url),
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseError(
            "error.db_url_unsupported",
            f"DATABASE_URL names an unsupported database {backend!r}; use sqlite:/// or postgresql+psycopg://",
            backend=backend,
        )
    # One connection per script thread that is reading: Streamlit runs each session's script in
    # its own thread. SQLAlchemy's default (5, and 10 more opened and closed again on demand)
    # made 30 leaders at once connect and disconnect on most runs. Errors name the statement but
    # never the row's values (names, ID numbers) in logs or messages.
    kwargs: dict[str, Any] = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW, "hide_parameters": True}
    new_sqlite_file: Path | None = None
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database)
            if not path.parent.exists():
                raise DatabaseError(
                    "error.db_dir_missing",
                    f"The folder for the SQLite file does not exist: {path.parent}",
                    path=str(path.parent),
                )
            if not path.exists():
                new_sqlite_file = path
    else:
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs["pool_pre_ping"] = True
        # JIT compiling took ~0.5 s of a 3 s province-wide aggregate and pays off only for
        # queries far longer than a dashboard's.
        kwargs["connect_args"] = {"connect_timeout": 5, "options": "-c jit=off"}
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise DatabaseError(
            "error.db_url_unsupported",
            f"DATABASE_URL names a driver that is not installed: {parsed.drivername!r}",
            backend=parsed.drivername,
        ) from exc
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
        if new_sqlite_file is not None:
            enable_wal(engine)
    return engine


def enable_wal(engine: Engine) -> None:
    """Switch a SQLite file to WAL; persistent, so done once when the file is created."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    raw = engine.raw_connection()  # outside any transaction: SQLite refuses to change mode inside one
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()
    finally:
        raw.close()


def check_connection(engine: Engine) -> None:
    """Connect once; raise DatabaseError with a plain message when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(
            "error.db_unreachable",
            f"Cannot reach the database at {describe_url(str(engine.url))}: {reason}",
            url=describe_url(engine.url.render_as_string(hide_password=True)),
            reason=reason,
        ) from exc
    except SQLAlchemyError as exc:
        raise DatabaseError(
            "error.db_unreachable",
            f"Cannot use the database at {describe_url(str(engine.url))}: {exc}",
            url=describe_url(engine.url.render_as_string(hide_password=True)),
            reason=str(exc).splitlines()[0],
        ) from exc


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


# SQLite result codes (sqlite3's `sqlite_errorname`) and PostgreSQL SQLSTATEs that mean the database
# itself cannot be used, as opposed to one statement failing ("LIKE or GLOB pattern too complex",
# a cancelled query, a constraint): connection exceptions (08…), shutdown, too many connections.
_SQLITE_OUTAGES = ("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_FULL")
_POSTGRES_OUTAGES = ("08", "57P01", "57P02", "57P03", "53300")


def is_outage(exc: SQLAlchemyError) -> bool:
    """Whether `exc` says the database cannot be reached or used at all (not one failed statement)."""
    if isinstance(exc, DisconnectionError | InterfaceError) or getattr(exc, "connection_invalidated", False):
        return True
    orig = getattr(exc, "orig", None)
    sqlite_name = getattr(orig, "sqlite_errorname", None)
    if isinstance(sqlite_name, str):
        return sqlite_name.startswith(_SQLITE_OUTAGES)
    if orig is not None and hasattr(orig, "sqlstate"):
        state = orig.sqlstate
        if state is None:  # raised by psycopg itself: failing to connect, or refusing a value (NUL)
            return isinstance(exc, OperationalError)
        return str(state).startswith(_POSTGRES_OUTAGES)
    return isinstance(exc, OperationalError) and orig is None


def explain_failure(exc: SQLAlchemyError, url: str) -> DatabaseError:
    """Turn an error raised while reading into the one sentence a user should see.

    Only an outage (`is_outage`) is "cannot reach the database"; a statement that failed is
    `error.db_query_failed`, whose label names neither the database's address nor the statement.
    The English message (`str()`, for logs and command lines) keeps the address and the reason.
    """
    text_ = str(getattr(exc, "orig", None) or exc).lower()
    if (
        "no such table" in text_
        or "undefinedtable" in type(getattr(exc, "orig", None)).__name__.lower()
        or ("relation" in text_ and "does not exist" in text_)
    ):
        return DatabaseError(
            "error.db_not_migrated",
            "The database has not been set up: run `make run` or `python -m lib.prestart`.",
        )
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if not is_outage(exc):
        return DatabaseError(
            "error.db_query_failed",
            f"The database at {describe_url(url)} could not answer a request: {reason}",
        )
    return DatabaseError(
        "error.db_unreachable",
        f"Cannot reach the database at {describe_url(url)}: {reason}",
        url=describe_url(url),
        reason=reason,
    )


STATEMENT_SHOWN_MAX = 300  # characters of the SQL statement a log line keeps
# SQLSTATE classes whose messages name things, never values: connection (08), integrity (23),
# transaction state (25), rollback (40), syntax or access (42), resources (53), operator (57).
# Data errors (22) quote the bad value, and raised exceptions (P0) say whatever their code said.
_NAMES_ONLY_CLASSES = frozenset({"08", "23", "25", "40", "42", "53", "57"})


def error_summary(exc: BaseException) -> str:
    """One line for the server log about a failed database call, never the row's values.

    The engines hide bound parameters; beyond that PostgreSQL's DETAIL line ("Failing row contains
    (…)", "Key (…)=(…)"), its data errors ("invalid input syntax …: \"…\"") and raised exceptions
    can quote values, so PostgreSQL errors are logged by SQLSTATE, constraint, table and column,
    with the message only for the classes whose messages hold names alone. SQLite's messages name
    constraints and columns, never values (even a trigger's RAISE takes only a literal).
    """
    parts = [type(exc).__name__]
    orig = getattr(exc, "orig", None)
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg
        sqlstate = getattr(orig, "sqlstate", None) or ""
        parts.append(f"SQLSTATE {sqlstate}")
        if sqlstate[:2] in _NAMES_ONLY_CLASSES and diag.message_primary:
            parts.append(str(diag.message_primary))
        for name in ("constraint_name", "table_name", "column_name"):
            value = getattr(diag, name, None)
            if value:
                parts.append(f"{name.removesuffix('_name')} {value}")
    elif orig is not None:  # sqlite3
        parts.append(str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__)
    statement = getattr(exc, "statement", None)
    if statement:
        parts.append("SQL: " + " ".join(str(statement).split())[:STATEMENT_SHOWN_MAX])
    return " · ".join(parts)
