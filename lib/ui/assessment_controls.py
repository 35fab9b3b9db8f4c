"""The mock assessment's settings on /assessment: seed, sizes per status and draw date.

They start from the query parameters (`seed`, `sample` as "exited-monitored-poor", `drawn`) and
are kept there, so a link reproduces the same visit list.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from lib.core.i18n import t
from lib.rules import assessment
from lib.ui import reader

STATE_SEED = "mock_seed"
STATE_DRAWN = "mock_drawn"
DEFAULT_SEED = 2020
MAX_SEED = 999_999
MAX_SIZE = 500


def _whole(text: str) -> int | None:
    """`text` as a whole number of at most 9 digits, or None (also for "²", which isdigit()
    accepts, and for thousands of digits, which int() refuses)."""
    return int(text) if text.isascii() and text.isdecimal() and len(text) <= 9 else None


def _state_key(status: str) -> str:
    return f"mock_size_{status}"


def _init(as_of: dt.date) -> None:
    params = st.query_params
    if STATE_SEED not in st.session_state:
        seed = _whole(params.get("seed", ""))
        st.session_state[STATE_SEED] = seed if seed is not None and seed <= MAX_SEED else DEFAULT_SEED
    if _state_key(assessment.SAMPLE_STATUSES[0]) not in st.session_state:
        parts = [_whole(part) for part in params.get("sample", "").split("-")]
        valid = len(parts) == len(assessment.SAMPLE_STATUSES) and None not in parts
        for index, status in enumerate(assessment.SAMPLE_STATUSES):
            size = parts[index] if valid else None
            st.session_state[_state_key(status)] = min(
                assessment.DEFAULT_SIZES[status] if size is None else size, MAX_SIZE
            )
    if STATE_DRAWN not in st.session_state:
        try:
            drawn = dt.date.fromisoformat(params.get("drawn", ""))
        except ValueError:
            drawn = as_of
        st.session_state[STATE_DRAWN] = min(drawn, as_of)


def mock_settings(as_of: dt.date) -> tuple[int, dict[str, int], dt.date]:
    """The seed, sizes per status and draw date the user chose (widgets in one row)."""
    _init(as_of)
    columns = st.columns([1, 1, 1, 1, 1.2])
    seed = columns[0].number_input(t("assessment.mock.seed"), min_value=0, max_value=MAX_SEED, key=STATE_SEED)
    sizes = {
        status: int(
            column.number_input(
                t(f"assessment.mock.size.{status}"), min_value=0, max_value=MAX_SIZE, key=_state_key(status)
            )
        )
        for column, status in zip(columns[1:4], assessment.SAMPLE_STATUSES, strict=True)
    }
    drawn = columns[4].date_input(t("assessment.mock.drawn_on"), max_value=as_of, key=STATE_DRAWN)
    drawn_on = drawn if isinstance(drawn, dt.date) else as_of
    reader.sync_params(
        seed=str(int(seed)),
        sample="-".join(str(sizes[s]) for s in assessment.SAMPLE_STATUSES),
        drawn=drawn_on.isoformat(),
    )
    return int(seed), sizes, drawn_on


def mock_in_link() -> bool:
    """Whether the link carries mock-assessment settings (then the page opens on that tab)."""
    return any(param in st.query_params for param in ("seed", "sample", "drawn"))
