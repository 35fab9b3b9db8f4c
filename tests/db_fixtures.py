"""Database fixtures: a migrated database on SQLite and PostgreSQL, empty or with the hand county."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.models import Base
from lib.core.schema import upgrade
from tests.hand_county import load_hand_county
from tests.support import postgres

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

Build = Callable[[Engine], None]


class DatabaseCopies:
    """SQLite databases built once per test worker and copied (the file) for each test."""

    def __init__(self, make_url_for: Callable[[str], str]) -> None:
        self._make_url_for = make_url_for
        self.originals: dict[str, str] = {}

    def original(self, key: str, build: Build) -> str:
        """The database `build` filled in a migrated one, built the first time `key` is asked for."""
        if key not in self.originals:
            url = self._make_url_for(key)
            for engine in _migrated(url):
                build(engine)
            # Disposed now: SQLite's WAL is folded into the file.
            self.originals[key] = url
        return self.originals[key]


class RestorableDatabases:
    """PostgreSQL databases kept for the whole run and handed to one test at a time, each put back
    as its `key`'s `build` left it before the next test: its rows deleted and copied back from the
    schema test_pristine, its sequences set back (tens of milliseconds). Copying a database with
    CREATE DATABASE … TEMPLATE took 0.14 s at first and 0.4–0.5 s after a few hundred copies.

    A test that changed the database's shape (tables, indexes, triggers, functions, the migration)
    or left locks behind gets a newly built one next time instead.
    """

    def __init__(self, server: postgres.PostgresServer) -> None:
        self._server = server
        self._idle: dict[str, list[_Restorable]] = {}
        self._in_use: dict[str, tuple[str, _Restorable]] = {}
        self._all: list[str] = []

    def check_out(self, key: str, build: Build) -> str:
        """A database holding what `build` fills a migrated one with; call `check_in` after."""
        idle = self._idle.setdefault(key, [])
        while idle:
            database = idle.pop()
            if postgres.restore(database.url, database.restore_sql, database.shape):
                self._in_use[database.url] = (key, database)
                return database.url
            self._drop(database.url)
        url = self._server.create_database()
        self._all.append(url)
        for engine in _migrated(url):
            build(engine)
            restore_sql, shape = postgres.snapshot(
                engine, [table.name for table in Base.metadata.sorted_tables]
            )
        database = _Restorable(url, restore_sql, shape)
        self._in_use[url] = (key, database)
        return url

    def check_in(self, url: str) -> None:
        key, database = self._in_use.pop(url)
        self._idle[key].append(database)

    def close(self) -> None:
        for url in list(self._all):
            self._drop(url)

    def _drop(self, url: str) -> None:
        self._server.drop_database(url)
        self._all.remove(url)


@dataclass(frozen=True)
class _Restorable:
    url: str
    restore_sql: str
    shape: str


@pytest.fixture(scope="session")
def sqlite_originals(tmp_path_factory: pytest.TempPathFactory) -> DatabaseCopies:
    folder = tmp_path_factory.mktemp("originals")
    return DatabaseCopies(lambda key: f"sqlite:///{folder / key}.db")


@pytest.fixture(scope="session")
def postgres_originals(postgres_server: postgres.PostgresServer) -> Iterator[RestorableDatabases]:
    databases = RestorableDatabases(postgres_server)
    yield databases
    databases.close()


def copy_database(
    request: pytest.FixtureRequest, backend: str, key: str, build: Build, folder: Path | None = None
) -> str:
    """The URL of a new copy of the database `build` fills (once per worker for each `key`).

    SQLite's copy is the file test.db in `folder`, by default the test's own temporary folder.
    PostgreSQL's is a database of the worker's own for `key`, put back as `build` left it before
    each test (see RestorableDatabases).
    """
    if backend == "sqlite":
        original = request.getfixturevalue("sqlite_originals").original(key, build)
        copy = (folder or request.getfixturevalue("tmp_path")) / "test.db"
        shutil.copyfile(make_url(original).database or "", copy)
        return f"sqlite:///{copy}"
    databases: RestorableDatabases = request.getfixturevalue("postgres_originals")
    url = databases.check_out(key, build)
    request.addfinalizer(lambda: databases.check_in(url))
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that uses it runs once on "sqlite" and once on "postgresql"."""
    return str(request.param)


@pytest.fixture
def sqlite_url(tmp_path: pytest.TempPathFactory) -> str:
    """A SQLite file in the test's own temporary folder (never data/'s file)."""
    return f"sqlite:///{tmp_path}/test.db"


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    """An empty database URL, once on SQLite and once on PostgreSQL."""
    if backend == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


def _migrated(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _nothing(engine: Engine) -> None:
    pass


def _hand_county(engine: Engine) -> None:
    with Session(engine) as session:
        load_hand_county(session)


SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SAMPLE_FILES = {"divisions": "divisions.csv", "households": "households.xlsx"}
SAMPLES_AS_OF = dt.date(2020, 6, 30)


def _sample_county(engine: Engine) -> None:
    """data/samples' divisions, then its households, loaded as the command line loads them."""
    from lib.files.loads import read_file
    from lib.rules.permissions import COMMAND_LINE
    from lib.services.loading import run_load

    for kind, name in SAMPLE_FILES.items():
        with Session(engine) as session:
            report = run_load(
                session,
                actor=COMMAND_LINE,
                kind=kind,
                upload=read_file((SAMPLES / name).read_bytes(), kind),
                as_of=SAMPLES_AS_OF,
            )
        assert report.committed, [(p.row, p.column, p.key) for p in report.problems]


def sample_county_url(request: pytest.FixtureRequest, backend: str) -> str:
    """A copy of the sample county (data/samples' divisions and households, loaded as of
    2020-06-30 by the command line): loaded once per worker, not once per test (~0.5 s each)."""
    return copy_database(request, backend, "samples", _sample_county)


def _engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def empty_engine(request: pytest.FixtureRequest, backend: str) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    yield from _engine(copy_database(request, backend, "empty", _nothing))


@pytest.fixture
def hand_engine(request: pytest.FixtureRequest, backend: str) -> Iterator[Engine]:
    """The hand-worked county (tests/hand_county.py) on each backend."""
    yield from _engine(copy_database(request, backend, "hand", _hand_county))


@pytest.fixture
def sample_county_engine(request: pytest.FixtureRequest, backend: str) -> Iterator[Engine]:
    """The sample county (see `sample_county_url`) on each backend."""
    yield from _engine(sample_county_url(request, backend))


@pytest.fixture
def hand_sqlite_url(request: pytest.FixtureRequest) -> str:
    """A SQLite URL holding the hand-worked county (for page and browser tests)."""
    return copy_database(request, "sqlite", "hand", _hand_county)


@pytest.fixture(scope="module")
def module_hand_sqlite_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The hand-worked county in a SQLite file the whole module shares (one server for its tests)."""
    return copy_database(request, "sqlite", "hand", _hand_county, folder=tmp_path_factory.mktemp("module"))


@pytest.fixture
def clean_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch, clean_streamlit_caches: None):
    """Run app.py under AppTest against a database URL, with query params, optionally on a page.

    `open_app(url, page="pages/map.py", lang="en")` returns the finished run of that page
    (AppTest can switch pages only after a first run).
    """
    from streamlit.testing.v1 import AppTest

    from lib.core import config

    def run(url: str, page: str | None = None, **params: str | list[str]) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", url)
        at = AppTest.from_file(str(config.ROOT / "app.py"), default_timeout=60)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        if page is not None and page != "app.py":
            at.switch_page(page)
            at.run()
        return at

    return run


@pytest.fixture(scope="session")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The demo county (seed 42) in a SQLite file, built once per test run (by the first pytest-xdist
    worker that asks; the others wait for it: ~12 s each saved); read it, don't change it."""
    from lib import demo

    folder = _run_folder(tmp_path_factory)
    path = folder / "demo-county-42.db"
    with _exclusive(folder / "demo-county-42.lock"):
        if not path.exists():
            building = folder / "demo-county-42.building.db"
            for engine in _migrated(f"sqlite:///{building}"):
                with Session(engine) as session:
                    demo.generate(session, scale="county", seed=42)
                    session.commit()
            # Disposed: SQLite's WAL is folded into the file, so it can be renamed.
            building.rename(path)
    yield from _engine(f"sqlite:///{path}")


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this test run that every pytest-xdist worker shares (the base temporary folder
    of a run without workers)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (shared by the run's worker processes) for the block."""
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
