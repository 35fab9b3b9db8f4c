"""Database fixtures: a migrated database on SQLite and PostgreSQL, empty or with the hand county."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lib.db import make_engine
from lib.schema import upgrade
from tests.hand_county import load_hand_county

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def sqlite_url(tmp_path: pytest.TempPathFactory) -> str:
    """A SQLite file in the test's own temporary folder (never data/'s file)."""
    return f"sqlite:///{tmp_path}/test.db"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


def _migrated(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def empty_engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    yield from _migrated(database_url)


@pytest.fixture
def hand_engine(database_url: str) -> Iterator[Engine]:
    """The hand-worked county (tests/hand_county.py) on each backend."""
    for engine in _migrated(database_url):
        with Session(engine) as session:
            load_hand_county(session)
        yield engine


@pytest.fixture
def hand_sqlite_url(sqlite_url: str) -> Iterator[str]:
    """A SQLite URL holding the hand-worked county (for page and browser tests)."""
    for engine in _migrated(sqlite_url):
        with Session(engine) as session:
            load_hand_county(session)
    yield sqlite_url


@pytest.fixture
def clean_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch, clean_streamlit_caches: None):  # type: ignore[no-untyped-def]
    """Run app.py under AppTest against a database URL, with query params, optionally on a page.

    `open_app(url, page="views/map_page.py", lang="en")` returns the finished run of that page
    (AppTest can switch pages only after a first run).
    """
    from streamlit.testing.v1 import AppTest

    from lib import config

    def run(url: str, page: str | None = None, **params: str | list[str]) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", url)
        at = AppTest.from_file(str(config.ROOT / "app.py"), default_timeout=60)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        if page is not None:
            at.switch_page(page)
            at.run()
        return at

    return run


@pytest.fixture(scope="session")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The demo county (seed 42) in a SQLite file, built once per test run; read it, don't change it."""
    from lib import demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    for engine in _migrated(f"sqlite:///{path}"):
        with Session(engine) as session:
            demo.generate(session, scale="county", seed=42)
            session.commit()
        yield engine
