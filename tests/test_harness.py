"""The test harness itself: a fresh PostgreSQL database per test, one put back as built, and the
offline guard in Chromium."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.support import free_port
from tests.support.browser import OfflineGuard, is_local_url
from tests.support.postgres import PostgresServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

OUTSIDE_IMAGE = "http://198.51.100.1/x.png"  # TEST-NET-2: never routed on the internet
OUTSIDE_SOCKET = "ws://198.51.100.1/socket"
# The smallest valid GIF: 1x1 pixel.
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
PAGES = {
    "local.html": '<!doctype html><title>local</title><img id="pixel" src="/pixel.gif">',
    "outside.html": f'<!doctype html><title>outside</title><img id="outside" src="{OUTSIDE_IMAGE}">',
    "socket.html": (
        "<!doctype html><title>socket</title><script>"
        f'window.socketEvents = []; const socket = new WebSocket("{OUTSIDE_SOCKET}");'
        "socket.onclose = (event) => window.socketEvents.push(`close ${event.code}`);"
        "</script>"
    ),
}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def local_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A few static pages served on a free loopback port; yields the base URL."""
    root: Path = tmp_path_factory.mktemp("site")
    for name, html in PAGES.items():
        (root / name).write_text(html)
    (root / "pixel.gif").write_bytes(PIXEL_GIF)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- PostgreSQL ---------------------------------------------------------------------------------


def test_postgres_url_connects(postgres_url: str) -> None:
    """postgres_url is a psycopg URL of a UTF-8 PostgreSQL database we can query."""
    assert postgres_url.startswith("postgresql+psycopg://")
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT version()")).startswith("PostgreSQL ")
            assert conn.scalar(text("SHOW server_encoding")) == "UTF8"
            assert conn.scalar(text("SELECT CAST(:name AS text)"), {"name": "精准扶贫"}) == "精准扶贫"
    finally:
        engine.dispose()


def test_each_database_is_fresh_empty_and_dropped_after(postgres_server: PostgresServer) -> None:
    """Two databases are distinct and empty; a table in one is absent from the other; both go after."""
    with postgres_server.database() as first, postgres_server.database() as second:
        names = {make_url(first).database, make_url(second).database}
        assert len(names) == 2
        engines = [create_engine(url) for url in (first, second)]
        try:
            assert [inspect(engine).get_table_names() for engine in engines] == [[], []]
            with engines[0].begin() as conn:
                conn.execute(text("CREATE TABLE town (code text PRIMARY KEY)"))
            assert inspect(engines[0]).get_table_names() == ["town"]
            assert inspect(engines[1]).get_table_names() == []
        finally:
            # Left open on purpose for the first: dropping must end connections still open.
            engines[1].dispose()
    assert not names & postgres_server.database_names()
    engines[0].dispose()


# --- the offline guard --------------------------------------------------------------------------


def _rows_and_next_ids(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    from lib.core.models import Base

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = [
                (table.name, *row)
                for table in Base.metadata.sorted_tables
                for row in conn.execute(table.select().order_by(*table.primary_key.columns))
            ]
            sequences = conn.execute(text("SELECT sequencename FROM pg_sequences")).scalars().all()
            next_ids = [
                (name, *conn.execute(text(f'SELECT last_value, is_called FROM "{name}"')).one())
                for name in sorted(sequences)
            ]
    finally:
        engine.dispose()
    return rows, next_ids


def test_a_database_given_again_is_as_built(postgres_server: PostgresServer) -> None:
    """RestorableDatabases: rows and sequences put back for the next test; a changed shape (here a
    trigger) gets a newly built database instead, and every database is dropped at the end."""
    from tests.db_fixtures import RestorableDatabases, _hand_county

    databases = RestorableDatabases(postgres_server)
    try:
        url = databases.check_out("hand", _hand_county)
        built = _rows_and_next_ids(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM verification_visits"))
            conn.execute(text("UPDATE households SET members = members + 1"))
            conn.execute(text("UPDATE industries SET name_en = 'Changed'"))
            conn.execute(  # advances the id sequence
                text(
                    "INSERT INTO industries (code, category, name_zh, name_en) "
                    " VALUES ('x', 'planting', '', '')"
                )
            )
        engine.dispose()
        assert _rows_and_next_ids(url) != built
        databases.check_in(url)

        assert databases.check_out("hand", _hand_county) == url
        assert _rows_and_next_ids(url) == built
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql"
                    " AS $$ BEGIN RETURN NULL; END $$;"
                    "CREATE TRIGGER refuse BEFORE INSERT ON towns FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
        engine.dispose()
        databases.check_in(url)

        rebuilt = databases.check_out("hand", _hand_county)
        assert rebuilt != url and make_url(url).database not in postgres_server.database_names()
        assert _rows_and_next_ids(rebuilt) == built
    finally:
        databases.close()
    assert make_url(rebuilt).database not in postgres_server.database_names()


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8501/map", True),
        ("http://localhost:8501/", True),
        ("ws://127.0.0.1:8501/_stcore/stream", True),
        ("http://[::1]:8501/", True),
        ("data:image/png;base64,AAAA", True),
        ("blob:http://127.0.0.1:8501/0b5e", True),
        ("about:blank", True),
        ("http://198.51.100.1/x.png", False),
        ("https://fonts.googleapis.com/css2?family=Noto", False),
        ("https://127.0.0.1.example.com/", False),
        ("http://10.0.0.5/tiles/1/2/3.png", False),
    ],
)
def test_is_local_url(url: str, local: bool) -> None:
    assert is_local_url(url) is local


def test_offline_guard_records_and_blocks_outside_requests(
    chromium_browser: Browser, local_site: str
) -> None:
    """An <img> on an outside address is recorded, blocked at once, and reported by address."""
    context = chromium_browser.new_context()
    try:
        page = context.new_page()
        guard = OfflineGuard()
        guard.attach(page)
        failures: list[str] = []
        page.on("requestfailed", lambda request: failures.append(f"{request.url} {request.failure}"))
        page.goto(f"{local_site}/outside.html", wait_until="load", timeout=10_000)
        assert guard.outside_requests == [OUTSIDE_IMAGE]
        assert len(failures) == 1
        assert failures[0].startswith(f"{OUTSIDE_IMAGE} net::ERR_BLOCKED_BY_CLIENT")
        assert page.eval_on_selector("#outside", "img => img.naturalWidth") == 0
        with pytest.raises(AssertionError, match=r"outside this machine.*\n  http://198\.51\.100\.1/x\.png"):
            guard.assert_offline()
    finally:
        context.close()


def test_offline_guard_records_and_blocks_outside_websockets(
    chromium_browser: Browser, local_site: str
) -> None:
    """A WebSocket to an outside address is recorded and closed at once, never reaching the network."""
    context = chromium_browser.new_context()
    try:
        page = context.new_page()
        guard = OfflineGuard()
        guard.attach(page)
        page.goto(f"{local_site}/socket.html", wait_until="load", timeout=10_000)
        # Unblocked, a socket to a TEST-NET address would hang connecting; blocked, it closes.
        page.wait_for_function("window.socketEvents.length > 0", timeout=5_000)
        assert page.evaluate("window.socketEvents") == ["close 1008"]
        assert guard.outside_requests == [OUTSIDE_SOCKET]
    finally:
        context.close()


def test_offline_page_allows_this_machine(offline_page: Page, local_site: str) -> None:
    """offline_page loads local pages and images; its teardown finds nothing to report."""
    offline_page.goto(f"{local_site}/local.html", wait_until="load", timeout=10_000)
    assert offline_page.eval_on_selector("#pixel", "img => img.naturalWidth") == 1
