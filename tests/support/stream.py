"""A client that speaks Streamlit's own browser protocol: no browser, the same messages.

What Streamlit 1.67's frontend does (frontend/app/src/App.tsx and connection/WebsocketConnection.tsx
in streamlit/streamlit; the server side is streamlit/web/server/starlette/starlette_websocket.py and
streamlit/runtime/app_session.py), and what this client repeats:

1. GET the page's address (index.html), then `/_stcore/health` and `/_stcore/host-config`.
2. Open a websocket at `/_stcore/stream` with the subprotocol "streamlit" (the browser puts its
   XSRF token and any earlier session id in the same header; without them the server starts a new
   session and treats the visitor as signed out of Streamlit's own auth, which this app does not use).
3. Send a `BackMsg` whose `rerun_script` is a `ClientState`: on the first run the page's URL path
   as `page_name` (empty for the main page) and the address's query string; on a click in the
   navigation, the target page's `page_script_hash` (from the `navigation` ForwardMsg) and an
   empty query string (the frontend keeps only embed parameters across a page change). Each
   request lists the hashes of the cacheable messages it already holds, so the server may send a
   `ref_hash` in their place, as it does for a browser.
4. Read `ForwardMsg`s until `script_finished`: FINISHED_SUCCESSFULLY (or a fragment's run) ends the
   run; FINISHED_EARLY_FOR_RERUN means the script asked for another run, so it waits on.

A run's errors are what a user would see as broken: exception elements (Streamlit's crash box),
error alerts (`st.error`, e.g. the app's "cannot reach the database"), a compile error, "page not
found", a closed websocket and no `script_finished` within the timeout.

Widget values are not sent: the server keeps the last value of every widget for the session, so a
page change with no widget states runs as the browser's would (which resends the sidebar's values).
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.typing import Subprotocol

TIMEZONE = "Asia/Shanghai"
TIMEZONE_OFFSET_MIN = -480  # JavaScript's getTimezoneOffset() for UTC+8
LOCALE = "zh-CN"

T = TypeVar("T")


@dataclass
class Run:
    """One script run as the client saw it."""

    page: str
    seconds: float = 0.0
    finished: bool = False
    errors: list[str] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0
    elements: list[Any] = field(default_factory=list)
    """The run's new elements (Element protos), kept when the client was asked to keep them."""

    def texts(self) -> list[str]:
        """Every element's text as the protobuf prints it (headings, markdown, metrics, tables…)."""
        return [str(element) for element in self.elements]


class StreamClient:
    """One browser tab's session: `open()` a page, `goto()` others, `close()`.

    Use from asyncio; `keep_elements=True` keeps each run's elements for assertions.
    """

    def __init__(self, base_url: str, *, timeout: float = 60.0, keep_elements: bool = False) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.keep_elements = keep_elements
        self.pages: dict[str, str] = {}
        """url path ('' for the main page) → page_script_hash, from the navigation message."""
        self.query_string = ""
        self._ws: Any = None
        self._cached: set[str] = set()

    # --- connection ----------------------------------------------------------------------------

    async def open(self, path: str = "", query: str = "") -> Run:
        """Load `/path?query` as a browser would, and run it (the first page of a visit)."""
        url = f"{self.base_url}/{path}" + (f"?{query}" if query else "")
        await asyncio.to_thread(_get, url)
        await asyncio.to_thread(_get, f"{self.base_url}/_stcore/health")
        await asyncio.to_thread(_get, f"{self.base_url}/_stcore/host-config")
        ws_url = self.base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self._ws = await websockets.connect(
            ws_url,
            subprotocols=[Subprotocol("streamlit")],
            max_size=None,
            open_timeout=self.timeout,
        )
        self.query_string = query
        return await self._rerun(path or "/", page_name=path, url=url)

    async def goto(self, path: str) -> Run:
        """Follow a navigation link to the page served at `/path` ('' for the main page)."""
        if path not in self.pages:
            run = Run(page=path or "/")
            run.errors.append(f"no page at /{path} in the navigation ({sorted(self.pages)})")
            return run
        self.query_string = ""
        return await self._rerun(path or "/", page_script_hash=self.pages[path])

    async def rerun(self) -> Run:
        """Run the current page again (the browser's "Rerun"), with the current query string."""
        return await self._rerun("(rerun)")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    # --- one run -------------------------------------------------------------------------------

    async def _rerun(
        self, page: str, *, page_name: str = "", page_script_hash: str = "", url: str = ""
    ) -> Run:
        run = Run(page=page)
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string
        state.page_name = page_name
        state.page_script_hash = page_script_hash
        state.widget_states.SetInParent()
        state.cached_message_hashes.extend(sorted(self._cached))
        state.context_info.timezone = TIMEZONE
        state.context_info.timezone_offset = TIMEZONE_OFFSET_MIN
        state.context_info.locale = LOCALE
        if url:
            state.context_info.url = url
        start = time.perf_counter()
        try:
            await self._ws.send(message.SerializeToString())
            await asyncio.wait_for(self._read_until_finished(run), self.timeout)
        except TimeoutError:
            run.errors.append(f"timeout: no script_finished within {self.timeout:.0f} s")
        except websockets.ConnectionClosed as closed:
            run.errors.append(f"disconnected: {closed}")
            self._ws = None
        run.seconds = time.perf_counter() - start
        return run

    async def _read_until_finished(self, run: Run) -> None:
        while True:
            data = await self._ws.recv()
            run.messages += 1
            run.bytes += len(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if msg.metadata.cacheable:
                self._cached.add(msg.hash)
            if kind == "ref_hash":
                if msg.ref_hash not in self._cached:
                    run.errors.append(f"ref_hash {msg.ref_hash} names a message this client never had")
            elif kind == "delta":
                self._delta(msg, run)
            elif kind == "navigation":
                self.pages = {page.url_pathname: page.page_script_hash for page in msg.navigation.app_pages}
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "page_not_found":
                run.errors.append(f"page not found: {msg.page_not_found.page_name}")
            elif kind == "script_finished":
                status = msg.script_finished
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    run.errors.append("script failed to compile")
                if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    run.finished = status != ForwardMsg.FINISHED_WITH_COMPILE_ERROR
                    return

    def _delta(self, msg: ForwardMsg, run: Run) -> None:
        if msg.delta.WhichOneof("type") != "new_element":
            return
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            run.errors.append(f"exception: {element.exception.type}: {element.exception.message[:200]}")
        elif kind == "alert" and element.alert.format == Alert.ERROR:
            run.errors.append(f"error alert: {element.alert.body[:200]}")
        if self.keep_elements:
            run.elements.append(element)


def _get(url: str) -> None:
    # No proxy: an http_proxy in the environment must not swallow loopback requests.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=30) as response:
        response.read()


class BlockingStreamClient:
    """A `StreamClient` for synchronous code (beside Playwright's sync API, which owns the calling
    thread's event loop): its own event loop runs in its own thread."""

    def __init__(self, base_url: str, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="stream-client", daemon=True)
        self._thread.start()
        self.client = StreamClient(base_url, **options)

    def _wait(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def open(self, path: str = "", query: str = "") -> Run:
        return self._wait(self.client.open(path, query))

    def goto(self, path: str) -> Run:
        return self._wait(self.client.goto(path))

    def rerun(self) -> Run:
        return self._wait(self.client.rerun())

    def close(self) -> None:
        try:
            self._wait(self.client.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
