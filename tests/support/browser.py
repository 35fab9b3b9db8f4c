"""The app server, Debian's Chromium through Playwright, and a guard that keeps pages offline.

- `running_app(database_url, **env)` serves the Streamlit app on a free loopback port and yields its
  base URL; the server is stopped afterwards.
- `launch_chromium()` starts headless Chromium from /usr/bin/chromium (never `playwright install`).
- `OfflineGuard` records and blocks every request a page makes to anything but this machine; the
  dashboard must work on a county intranet with no internet (no tiles, fonts or CDNs).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tests.support import Availability, free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, Route, WebSocket, WebSocketRoute

REPO_ROOT = Path(__file__).resolve().parents[2]

ENV_CHROMIUM = "TEST_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
CHROMIUM_INSTALL_HINT = "install Debian's chromium"

APP_START_TIMEOUT_S = 60.0
APP_STOP_TIMEOUT_S = 10.0

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


class ChromiumUnavailable(Exception):
    """No Chromium (or no Playwright) to test with; the message says why."""


class AppServerError(Exception):
    """The app server did not come up; the message carries what it printed."""


# --- the app server -----------------------------------------------------------------------------


@contextmanager
def running_app(database_url: str, *, script: str | Path = "app.py", **env: str) -> Iterator[str]:
    """Serve `script` (default the app) on a free loopback port; yields e.g. http://127.0.0.1:PORT.

    The server gets this process's environment plus DATABASE_URL and `env`, runs from the repo
    root, and is stopped (terminate, then kill) when the block ends.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    server_env = {**os.environ, "DATABASE_URL": database_url, **env}
    log_dir = Path(tempfile.mkdtemp(prefix="streamlit-test-"))
    stdout_path, stderr_path = log_dir / "stdout.log", log_dir / "stderr.log"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=server_env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        _wait_until_healthy(process, base_url, stdout_path, stderr_path)
        yield base_url
    finally:
        _stop(process)
        shutil.rmtree(log_dir, ignore_errors=True)


def _wait_until_healthy(
    process: subprocess.Popen[bytes], base_url: str, stdout_path: Path, stderr_path: Path
) -> None:
    health_url = f"{base_url}/_stcore/health"
    # No proxy: an http_proxy in the environment must not swallow loopback requests.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + APP_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AppServerError(
                f"streamlit exited with code {process.returncode} before answering {health_url}\n"
                f"{_output(stdout_path, stderr_path)}"
            )
        try:
            with opener.open(health_url, timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise AppServerError(
        f"streamlit did not answer {health_url} within {APP_START_TIMEOUT_S:.0f} s\n"
        f"{_output(stdout_path, stderr_path)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server's process group, then kill it if it does not go within the timeout."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(APP_STOP_TIMEOUT_S)
            return
        except subprocess.TimeoutExpired:
            pass
    _signal_group(process, signal.SIGKILL)
    process.wait()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # start_new_session=True made the server the leader of its own group: this reaches only it
    # and anything it started.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _output(stdout_path: Path, stderr_path: Path, lines: int = 40) -> str:
    parts = []
    for label, path in (("stderr", stderr_path), ("stdout", stdout_path)):
        text = path.read_text(errors="replace").strip() if path.exists() else ""
        tail = "\n".join(text.splitlines()[-lines:]) or "(empty)"
        parts.append(f"--- {label} ---\n{tail}")
    return "\n".join(parts)


# --- Chromium -----------------------------------------------------------------------------------


def chromium_path() -> Path:
    """The Chromium to drive (TEST_CHROMIUM, default /usr/bin/chromium); raises if it is missing."""
    path = Path(os.environ.get(ENV_CHROMIUM) or DEFAULT_CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise ChromiumUnavailable(f"{path} not found ({CHROMIUM_INSTALL_HINT})")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        raise ChromiumUnavailable(f"Playwright for Python is not installed ({exc})") from exc
    return path


def probe() -> Availability:
    """Whether `launch_chromium()` would find a browser, without starting it."""
    try:
        return Availability(True, str(chromium_path()))
    except ChromiumUnavailable as exc:
        return Availability(False, str(exc))


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright; raises ChromiumUnavailable when missing."""
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(path), args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


# --- staying offline ----------------------------------------------------------------------------


def is_local_url(url: str) -> bool:
    """True for this machine (127.0.0.1, localhost, [::1]) and for data:, blob:, about: URLs."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return parts.hostname in LOCAL_HOSTS


def is_outside_url(url: str) -> bool:
    return not is_local_url(url)


class OfflineGuard:
    """Records, and blocks, every request a page makes to an address outside this machine.

    Covers requests the page makes (documents, scripts, images, fonts, fetch/XHR) and WebSockets.
    """

    def __init__(self) -> None:
        self.outside_requests: list[str] = []
        """Each outside URL the page asked for, once, in order."""

    def attach(self, page: Page) -> None:
        page.on("request", self._on_request)
        page.on("websocket", self._on_websocket)
        page.route(is_outside_url, self._block)
        page.route_web_socket(is_outside_url, self._block_websocket)

    def assert_offline(self) -> None:
        """Fail, listing the addresses, if the page tried to reach anything outside this machine."""
        addresses = self.outside_requests
        assert not addresses, (
            f"The page tried to reach {len(addresses)} address(es) outside this machine "
            "(blocked; the dashboard must work without internet):\n  " + "\n  ".join(addresses)
        )

    def _record(self, url: str) -> None:
        if is_outside_url(url) and url not in self.outside_requests:
            self.outside_requests.append(url)

    def _on_request(self, request: Request) -> None:
        self._record(request.url)

    def _on_websocket(self, websocket: WebSocket) -> None:
        self._record(websocket.url)

    def _block(self, route: Route) -> None:
        route.abort("blockedbyclient")

    def _block_websocket(self, websocket: WebSocketRoute) -> None:
        # Not connecting it to the server keeps it off the network; record it in case the page
        # event does not fire for a socket that never reaches the network.
        self._record(websocket.url)
        websocket.close(code=1008, reason="blocked by the test's offline guard")
