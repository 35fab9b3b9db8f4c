"""Shared fixtures. The machinery behind them lives in tests/support.

Real PostgreSQL and real Chromium: tests that use them are marked `postgres` / `browser`
automatically and skip, saying why, when the machine lacks them; with CI=true they fail instead,
so CI never goes green by skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn

import pytest

from tests.briefing_support import SlideCache, hand_county_engine
from tests.db_fixtures import *  # noqa: F403  (database fixtures shared by every test module)
from tests.support import browser, postgres

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# A test that uses any of these fixtures (directly or through another fixture) gets the marker.
MARKER_FIXTURES = {
    "postgres": frozenset({"postgres_server", "postgres_url"}),
    "browser": frozenset({"chromium_browser", "offline_page"}),
}
# What each marker's tests need, as named in skip messages and the report header.
NEEDS = {"postgres": "PostgreSQL", "browser": "Chromium"}
SUMMARY_LABELS = {"postgres": "PostgreSQL tests", "browser": "browser tests"}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _unavailable(marker: str, reason: str) -> NoReturn:
    """Skip for want of what `marker`'s tests need, or fail when CI=true."""
    message = f"{NEEDS[marker]} not available: {reason}"
    if _in_ci():
        pytest.fail(f"{message} (CI=true, so this fails instead of skipping)", pytrace=False)
    pytest.skip(message)


# --- hooks --------------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    # App servers forked from one process that imported Streamlit and the pages' libraries once
    # (tests/support/app_zygote.py), each still a freshly started Streamlit server and runtime.
    browser.fork_servers_from_a_warm_process()


def pytest_report_header() -> list[str]:
    missing = "FAIL (CI=true)" if _in_ci() else "skip"
    lines = []
    for marker, found in (("postgres", postgres.probe()), ("browser", browser.probe())):
        outcome = "run" if found.found else missing
        state = "found" if found.found else "not found"
        lines.append(f"{NEEDS[marker]}: {state}, {found.detail} -> {marker} tests {outcome}")
    return lines


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        for marker, marker_fixtures in MARKER_FIXTURES.items():
            if fixtures & marker_fixtures:
                item.add_marker(marker)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Read from the reports, not from the fixtures: under pytest-xdist they skip in the workers.
    lines = []
    for marker, needs in NEEDS.items():
        prefix = f"{needs} not available: "
        reasons: dict[str, int] = {}
        for report in terminalreporter.stats.get("skipped", []):
            reason = _skip_reason(report)
            if marker in getattr(report, "keywords", {}) and reason.startswith(prefix):
                reason = reason.removeprefix(prefix)
                reasons[reason] = reasons.get(reason, 0) + 1
        label = SUMMARY_LABELS[marker]
        lines += [f"{label} skipped: {reason} ({n} tests)" for reason, n in reasons.items()]
    if lines:
        terminalreporter.section("infrastructure not found", sep="-", yellow=True)
        for line in lines:
            terminalreporter.write_line(line, yellow=True)


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return ""


# --- shared, read-only ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hand_slides(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlideCache]:
    """The hand county's meeting slides, each language and selection built once per worker
    (test_briefing and test_deck read the same ones; rendering a set takes seconds)."""
    engine = hand_county_engine(tmp_path_factory.mktemp("hand-slides"))
    yield SlideCache(engine)
    engine.dispose()


# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.PostgresServer]:
    """A PostgreSQL server for the whole session: TEST_POSTGRES_URL's or a throwaway cluster.

    Found but unusable (a bad TEST_POSTGRES_URL, a cluster that won't start) is an error, not a skip.
    """
    availability = postgres.probe()
    if not availability.found:
        _unavailable("postgres", availability.detail)
    with postgres.postgres_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: postgres.PostgresServer) -> Iterator[str]:
    """SQLAlchemy URL of a fresh empty database, dropped after the test."""
    with postgres_server.database() as url:
        yield url


# --- Chromium -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """Headless Debian Chromium, one for the whole session."""
    availability = browser.probe()
    if not availability.found:
        _unavailable("browser", availability.detail)
    from playwright.sync_api import expect

    # An assertion waits up to 15 s for the page (Playwright's default is 5): a Streamlit rerun that
    # redraws a map or a grid took longer than 5 s on a busy 2-CPU machine running two workers.
    expect.set_options(timeout=15_000)
    with browser.launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def offline_page(chromium_browser: Browser) -> Iterator[Page]:
    """A page in a fresh context that may reach only this machine; fails if it tried more."""
    context = chromium_browser.new_context()
    guard = browser.OfflineGuard()
    try:
        page = context.new_page()
        guard.attach(page)
        yield page
    finally:
        context.close()
    guard.assert_offline()
