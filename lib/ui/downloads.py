"""Excel downloads of the tables pages show: one button, the workbook built only when clicked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from lib.core.i18n import CATALOGS, t
from lib.files import export


def _label(key_or_label: str) -> str:
    return t(key_or_label) if key_or_label in CATALOGS["en"] else key_or_label


def excel_format(printf: str | None) -> str | None:
    """The Excel number format for a column shown with `st.column_config` format `printf`:
    "%.1f%%" (a percentage written 0–100) → "0.0%" (the cell then holds the share, 0–1); "%d" and
    "localized" → whole numbers with separators. None for other formats."""
    if not printf:
        return None
    if printf.endswith("%%") and printf.startswith("%."):
        decimals = int(printf[2 : printf.index("f")]) if "f" in printf else 0
        return "0" + ("." + "0" * decimals if decimals else "") + "%"
    if printf in ("%d", "localized"):
        return "#,##0"
    return None


def _configured(column_config: Mapping[str, Any] | None) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for column, config in (column_config or {}).items():
        if isinstance(config, Mapping):
            yield column, config


def number_formats(column_config: Mapping[str, Any] | None) -> dict[str, str]:
    """Header → Excel number format, for the columns `column_config` formats."""
    formats = {}
    for column, config in _configured(column_config):
        number_format = excel_format((config.get("type_config") or {}).get("format"))
        if number_format is not None:
            formats[str(config.get("label") or column)] = number_format
    return formats


def labelled(frame: pd.DataFrame, column_config: Mapping[str, Any] | None) -> pd.DataFrame:
    """`frame` with the headers a page's `column_config` gives it; link and hidden columns dropped.
    Percentages shown 0–100 are written as shares (87.6 → 0.876, which "0.0%" shows as 87.6%).

    A config value may be a label, None (hidden) or an `st.column_config` column (its `label`).
    """
    if not column_config:
        return frame
    names: dict[str, str] = {}
    dropped: list[str] = []
    for column in frame.columns:
        config = column_config.get(column, column)
        if config is None:
            dropped.append(column)
        elif isinstance(config, str):
            names[column] = config
        elif isinstance(config, Mapping):
            kind = (config.get("type_config") or {}).get("type")
            if kind == "link":
                dropped.append(column)
            else:
                names[column] = str(config.get("label") or column)
    shown = frame.drop(columns=dropped)
    shares = [
        column
        for column, config in _configured(column_config)
        if column in shown.columns
        and (excel_format((config.get("type_config") or {}).get("format")) or "").endswith("%")
    ]
    if shares:
        shown = shown.assign(
            **{column: pd.to_numeric(shown[column], errors="coerce") / 100 for column in shares}
        )
    return shown.rename(columns=names)


def excel_download(
    label: str,
    data: pd.DataFrame | Mapping[str, pd.DataFrame] | Callable[[], Iterable[pd.DataFrame]],
    *,
    file_name: str,
    key: str,
    title_lines: Sequence[str] | Mapping[str, list[str]] | None = None,
    column_config: Mapping[str, Any] | None = None,
) -> None:
    """A download button for one table (or several, one sheet each) as an .xlsx workbook.

    `label` is a label key or a finished label. A single table's sheet is named after the file;
    `title_lines` go above its table (a list) or above each named sheet (a mapping). A single
    table may also be a callable giving its rows in chunks (frames), called only when clicked and
    written chunk by chunk. `column_config` (as given to `st.dataframe`) supplies the headers.
    """
    if isinstance(data, pd.DataFrame) or callable(data):
        sheet = file_name.rsplit(".", 1)[0][:31] or "data"
        tables: dict[str, pd.DataFrame | Callable[[], Iterable[pd.DataFrame]]] = {sheet: data}
        titles = {sheet: list(title_lines)} if isinstance(title_lines, Sequence) and title_lines else {}
    else:
        tables = {name[:31]: frame for name, frame in data.items()}
        titles = {name[:31]: list(lines) for name, lines in (title_lines or {}).items()}  # type: ignore[union-attr]

    formats = number_formats(column_config)

    def chunks(table: pd.DataFrame | Callable[[], Iterable[pd.DataFrame]]) -> Iterator[pd.DataFrame]:
        for frame in table() if callable(table) else [table]:
            yield labelled(frame, column_config)

    def build() -> bytes:
        return export.workbook_bytes(
            export.Sheet(name, chunks(table), titles.get(name, []), formats) for name, table in tables.items()
        )

    st.download_button(
        _label(label),
        data=build,
        file_name=file_name,
        mime=export.EXCEL_MIME,
        key=key,
        on_click="ignore",
        icon=":material/download:",
        type="tertiary",
    )
