"""Helpers for pages under AppTest."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

# open_app and the modules' own page fixtures: (url, page, **query params) → the finished run
AppFactory = Callable[..., AppTest]


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Select the tab labelled `label` of the lazy tabs `key` (`lib.ui.widgets.lazy_tabs`: a tab's content
    runs only while it is open) and run the page again."""
    assert label in [tab.label for tab in at.tabs], f"no tab {label!r}"
    at.session_state[key] = label
    at.run()
    assert not at.exception, at.exception
    return at
