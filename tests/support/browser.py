"""The app server, Debian's Chromium through Playwright, and a guard that keeps pages offline.

- `running_app(database_url, **env)` serves the Streamlit app on a free loopback port and yields its
  base URL; the server is stopped afterwards.
- `launch_chromium()` starts headless Chromium from /usr/bin/chromium (never `playwright install`).
- `OfflineGuard` records and blocks every request a page makes to anything but this machine; the
  dashboard must work on a county intranet with no internet (no tiles, fonts or CDNs).
"""

from __future__ import annotations

import atexit
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any
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
    process: subprocess.Popen[bytes] | _ForkedServer
    if _fork_servers:
        process = _zygote().start(command[3:], server_env, stdout_path, stderr_path)
    else:
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
    process: subprocess.Popen[bytes] | _ForkedServer, base_url: str, stdout_path: Path, stderr_path: Path
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


def _stop(process: subprocess.Popen[bytes] | _ForkedServer) -> None:
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


def _signal_group(process: subprocess.Popen[bytes] | _ForkedServer, sig: signal.Signals) -> None:
    # start_new_session=True made the server the leader of its own group: this reaches only it
    # and anything it started.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


# --- servers forked from a warm process (tests/support/app_zygote.py) ------------------------------

_fork_servers = False
_zygote_lock = threading.Lock()
_zygote_process: _Zygote | None = None


def fork_servers_from_a_warm_process(enabled: bool = True) -> None:
    """Start `running_app`'s servers by forking tests/support/app_zygote.py, which has imported
    Streamlit and the pages' libraries once, instead of `python -m streamlit run` (~5 s of imports
    each, mostly on the first request). Each server still starts Streamlit's server and runtime
    afresh. The test suite turns this on; benchmarks keep the real command."""
    global _fork_servers
    _fork_servers = enabled


class _ForkedServer:
    """The part of Popen's interface `running_app` uses, for a server the zygote forked (the zygote
    reaps it, so its exit code is not known here)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | str | None = None

    def poll(self) -> int | str | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = "unknown (forked by tests/support/app_zygote.py)"
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | str:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"app server {self.pid}", timeout or 0)
            time.sleep(0.05)
        return code


class _Zygote:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.app_zygote"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._read()  # {"ready": true}: the imports are done
        atexit.register(self.close)

    def start(self, args: list[str], env: dict[str, str], stdout: Path, stderr: Path) -> _ForkedServer:
        request = {
            "args": args,
            "env": env,
            "cwd": str(REPO_ROOT),
            "stdout": str(stdout),
            "stderr": str(stderr),
        }
        with self._lock:
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            return _ForkedServer(int(self._read()["pid"]))

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise AppServerError(f"tests/support/app_zygote.py exited (code {self._process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(APP_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def _zygote() -> _Zygote:
    global _zygote_process
    with _zygote_lock:
        if _zygote_process is None:
            _zygote_process = _Zygote()
        return _zygote_process


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


def world_px(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """Web Mercator pixel coordinates at `zoom` (deck.gl's 512-pixel world): a map point's place on
    the canvas is the canvas centre plus its offset from the view's centre."""
    size = 512 * 2**zoom
    x = (lon + 180) / 360 * size
    y = (1 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2 * size
    return x, y
