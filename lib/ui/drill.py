"""Drilling down by click: a town picked on a ranking bar, a table row or the map narrows every
panel to it (`reader.drill_to_town`, kept in the link so the browser's Back returns); a village
picked opens its page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from lib.ui import reader

VILLAGE_PAGE = "pages/village.py"
_PENDING_VILLAGE = "drill_village"


def open_village(code: str) -> None:
    """A callback: open the village's page once the run that follows gets to `follow()`
    (a callback cannot change the page)."""
    st.session_state[_PENDING_VILLAGE] = code


def follow(filters: reader.Filters) -> None:
    """Open the page of a village picked since the last run, if any."""
    code = st.session_state.pop(_PENDING_VILLAGE, None)
    if code:
        params = {"code": code, "lang": filters.lang, "town": list(filters.town_codes)}
        st.switch_page(VILLAGE_PAGE, query_params={k: v for k, v in params.items() if v})


def table(
    frame: Any, codes: Sequence[str], *, key: str, on_pick: Callable[[str], None], **options: Any
) -> None:
    """A dataframe whose row, when clicked, calls `on_pick` with that row's code (`codes`, in the
    frame's order; a sorted view still reports the original row)."""
    picks_key = f"{key}_picks"

    def picked() -> None:
        rows = st.session_state[picks_key]["selection"].get("rows") or []
        if rows and 0 <= rows[0] < len(codes):
            on_pick(codes[rows[0]])

    st.dataframe(
        frame, key=picks_key, on_select=picked, selection_mode="single-row", hide_index=True, **options
    )
