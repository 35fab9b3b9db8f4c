"""Long lists paged in SQL: the pager, the paged table and the note on what a download holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from lib.core.i18n import format_count, t

PAGE_SIZE = 200  # rows of a long list shown at once


EXPORT_LIMIT = 100_000  # rows of a long list an Excel download holds at most


def _turn_page(key: str, step: int, pages: int) -> None:
    st.session_state[key] = min(max(int(st.session_state.get(key, 0)) + step, 0), pages - 1)


def pager(total: int, *, key: str, page_size: int | None = None) -> int:
    """Show "Rows 1–200 of 59,812" with previous / next buttons for a list of `total` rows paged in SQL;
    returns the offset of the page to show. The page number (from 0) is kept in session state
    under `key`, clamped when the list gets shorter. `page_size` defaults to PAGE_SIZE."""
    page_size = page_size or PAGE_SIZE
    pages = max(1, -(-total // page_size))
    page = min(max(int(st.session_state.get(key, 0)), 0), pages - 1)
    st.session_state[key] = page
    offset = page * page_size
    line = t(
        "pager.rows",
        first=format_count(offset + 1 if total else 0),
        last=format_count(min(offset + page_size, total)),
        total=format_count(total),
    )
    if pages == 1:
        st.caption(line)
        return offset
    text, previous, following = st.columns([4, 1, 1], vertical_alignment="center")
    text.caption(f"{line} · {t('pager.page', page=page + 1, pages=format_count(pages))}")
    previous.button(
        t("pager.previous"),
        key=f"{key}_previous",
        disabled=page == 0,
        on_click=_turn_page,
        args=(key, -1, pages),
        width="stretch",
    )
    following.button(
        t("pager.next"),
        key=f"{key}_next",
        disabled=page == pages - 1,
        on_click=_turn_page,
        args=(key, 1, pages),
        width="stretch",
    )
    return offset


def paged_table(
    total: int, rows: Callable[[int, int], Any], *, key: str, height: int = 360, page_size: int | None = None
) -> None:
    """One page of a long list: the pager, then `rows(limit, offset)` (a labelled frame) as a table."""
    page_size = page_size or PAGE_SIZE
    offset = pager(total, key=key, page_size=page_size)
    st.dataframe(rows(page_size, offset), hide_index=True, width="stretch", height=height)


def export_note(total: int) -> None:
    """A note under a long list's download when the workbook holds only its first EXPORT_LIMIT rows."""
    if total > EXPORT_LIMIT:
        st.caption(t("pager.export_capped", limit=format_count(EXPORT_LIMIT), total=format_count(total)))
