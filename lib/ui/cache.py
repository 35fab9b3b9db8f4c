"""The cached engine and queries: results keyed on the database URL and its data version, so a
write by one user (which bumps the version) refreshes every user's views on their next run; and
what a page shows when the database fails or a save fails unforeseen.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, NoReturn, TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.db import DatabaseError, error_summary, explain_failure, make_engine
from lib.core.i18n import get_language, set_language, t
from lib.present.markup import t_md
from lib.queries import common

T = TypeVar("T")


_log = logging.getLogger(__name__)


STATE_SAVE_FAILED = "save_failed"  # a save failed unforeseen: the next run shows the app's message


SAVE_LOG = logging.getLogger("dashboard.saves")


# Read once per script run by the shell, so a page's queries cost no extra round trip for it.
_run_version: ContextVar[str | None] = ContextVar("run_version", default=None)


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    return engine_for(config.database_url())


def _call(url: str, target: str, frozen: tuple[tuple[str, Any], ...]) -> Any:
    module_name, _, name = target.partition(":")
    function = getattr(importlib.import_module(module_name), name)
    with Session(engine_for(url)) as session:
        return function(session, **dict(frozen))


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_call(url: str, version: str, target: str, frozen: tuple[tuple[str, Any], ...]) -> Any:
    return _call(url, target, frozen)


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_freeze(item) for item in value)
    return value


def fail(error: DatabaseError) -> NoReturn:
    """Show the database error (never its address: the server log gets that) and stop the page."""
    _log.warning("%s", error)
    if error.key == "error.db_query_failed":
        st.error(f"**{t('error.title_query')}**\n\n{t(error.key)}", icon=":material/error:")
    else:
        st.error(
            f"**{t('error.title')}**\n\n{t_md(error.key, **error.params)}\n\n{t('error.hint')}",
            icon=":material/error:",
        )
    st.stop()
    raise AssertionError("unreachable")  # st.stop raises; this keeps type checkers content


def data_version() -> str:
    """The current data version; shows a clear error and stops the page if the database fails."""
    url = config.database_url()
    try:
        with Session(engine_for(url)) as session:
            return common.data_version(session)
    except DatabaseError as error:
        fail(error)
    except SQLAlchemyError as exc:
        fail(explain_failure(exc, url))


def save_failed(exc: BaseException) -> None:
    """A save failed for a reason the services do not foresee (the database refused, went away or
    broke a rule of its own): log it without the row's values (`lib.core.db.error_summary`, and the
    stack without the error's own message), and show the app's message at the top of the next run
    instead of Streamlit's crash box. Nothing was saved: the service's transaction rolled back."""
    SAVE_LOG.error(
        "A save failed: %s\n%s", error_summary(exc), "".join(traceback.format_tb(exc.__traceback__)).rstrip()
    )
    st.session_state[STATE_SAVE_FAILED] = True


def show_save_failure() -> None:
    """The message for a save that failed in the run before (once)."""
    if st.session_state.pop(STATE_SAVE_FAILED, False):
        st.error(f"**{t('error.save_failed_title')}**\n\n{t('error.save_failed')}", icon=":material/error:")


def refresh_data_version() -> None:
    """Read the data version for the rest of this run: once at its start (the shell), and again in a
    fragment's round (the slideshow)."""
    _run_version.set(data_version())


def query(function: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a `lib.queries` function `(session, **kwargs)`, cached on the data version."""
    url = config.database_url()
    target = f"{function.__module__}:{function.__name__}"
    frozen = tuple(sorted((key, _freeze(value)) for key, value in kwargs.items()))
    try:
        version = _run_version.get() or data_version()
        return _cached_call(url, version, target, frozen)  # type: ignore[no-any-return]
    except DatabaseError as error:
        fail(error)
    except SQLAlchemyError as exc:
        fail(explain_failure(exc, url))


# Few entries: a province's outlines are megabytes (2,100 towns), which st.cache_data would copy
# on every read; kept, not copied.
@st.cache_resource(show_spinner=False, max_entries=4)
def _shared_call(url: str, version: str, target: str, frozen: tuple[tuple[str, Any], ...]) -> Any:
    return _call(url, target, frozen)


def shared(function: Callable[..., T], /, **kwargs: Any) -> T:
    """`query` for a large result that pages only read (the map's outlines): cached on the data
    version like `query`, but kept and shared between sessions rather than copied on every read.
    Read it, never change it."""
    url = config.database_url()
    target = f"{function.__module__}:{function.__name__}"
    frozen = tuple(sorted((key, _freeze(value)) for key, value in kwargs.items()))
    try:
        version = _run_version.get() or data_version()
        return _shared_call(url, version, target, frozen)  # type: ignore[no-any-return]
    except DatabaseError as error:
        fail(error)
    except SQLAlchemyError as exc:
        fail(explain_failure(exc, url))


# Few entries: a province's map model is tens of MB, and it is kept, not copied.
@st.cache_resource(show_spinner=False, max_entries=12)
def _memo(
    version: str, lang: str, name: str, key: tuple[tuple[str, Any], ...], _build: Callable[[], Any]
) -> Any:
    return _build()


def memo(name: str, build: Callable[[], T], /, **key: Any) -> T:
    """`build()`, kept for the data version, the language and `key` (which must name everything
    the result depends on besides those two): for what a page derives from its query results and
    costs more to remake than to keep, such as a province's map. The result is shared between
    sessions, not copied: read it, never change it."""
    frozen = tuple(sorted((item, _freeze(value)) for item, value in key.items()))
    version = _run_version.get() or data_version()
    return _memo(version, get_language(), name, frozen, build)  # type: ignore[no-any-return]


# Many entries: a page's tables, charts and labels, kilobytes each (a province's village labels a
# few MB). Every save starts a new data version, so entries of older ones go after an hour.
@st.cache_resource(show_spinner=False, max_entries=256, ttl=3600)
def _derived(
    version: str, lang: str, name: str, key: tuple[tuple[str, Any], ...], _build: Callable[[], Any]
) -> Any:
    return _build()


def derived(name: str, build: Callable[[], T], /, **key: Any) -> T:
    """`memo` for the small things a page works out from its query results on every run (a table
    in the reader's language, a chart, a picker's labels): the same for every leader until the
    data changes. Kept for the data version, the language and `key` (everything else it depends
    on); shared between sessions, not copied: read it, never change it."""
    frozen = tuple(sorted((item, _freeze(value)) for item, value in key.items()))
    version = _run_version.get() or data_version()
    return _derived(version, get_language(), name, frozen, build)  # type: ignore[no-any-return]


def fresh(function: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a `lib.queries` function `(session, **kwargs)` now, uncached (for account data, whose
    writes do not move the data version); a database failure shows the usual error and stops."""
    url = config.database_url()
    try:
        with Session(engine_for(url)) as session:
            return function(session, **kwargs)
    except DatabaseError as error:
        fail(error)
    except SQLAlchemyError as exc:
        fail(explain_failure(exc, url))


def streamed(function: Callable[..., Iterator[T]], /, **kwargs: Any) -> Iterator[T]:
    """Run a `lib.queries` generator `(session, **kwargs)` now, uncached, yielding what it yields
    (a download's chunks) while its session stays open; a database failure shows the usual error."""
    url = config.database_url()
    try:
        with Session(engine_for(url)) as session:
            yield from function(session, **kwargs)
    except DatabaseError as error:
        fail(error)
    except SQLAlchemyError as exc:
        fail(explain_failure(exc, url))


def in_current_language(build: Callable[[], T]) -> Callable[[], T]:
    """`build` run later in this user's language.

    A download button whose data is a callable runs it when clicked, in another thread where the
    language is the default; labels built inside it would come out in Chinese for English users.
    """
    language = get_language()

    def run() -> T:
        previous = get_language()
        set_language(language)
        try:
            return build()
        finally:
            set_language(previous)

    return run
