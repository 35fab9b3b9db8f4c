"""Excel workbooks to download, written row by row, with values only.

Every workbook the app writes goes through `cell_value`: cells hold values, never formulas, and text
that a spreadsheet could take for a formula gets an apostrophe in front (see `cell_value`).
Workbooks are written row by row (openpyxl's write-only mode), so a long list given in chunks
(`Sheet.chunks`) never holds more than one chunk in memory besides the file being built.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A text cell starting with one of these can be taken for a formula by Excel, LibreOffice or a
# program reading a CSV saved from the file: OWASP's CSV-injection list (= + - @ tab, carriage
# return) and ASVS 5.0 1.2.10 (NUL, dropped anyway as no .xlsx can hold it), with line feed too.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
TEXT_MAX = 32_767  # characters Excel keeps in a cell; longer text makes it call the file damaged
DATE_FORMAT = "YYYY-MM-DD"  # as pandas wrote dates and times before the workbooks were streamed
DATETIME_FORMAT = "YYYY-MM-DD HH:MM:SS"
HEADER_FONT = Font(bold=True)
WIDTH_ROWS = 500  # a column is as wide as its header and its longest value in the first 500 rows


def cell_value(value: object) -> Any:
    """`value` as an Excel cell may hold it, never as a formula: the one helper every writer uses.

    Text loses the control characters no .xlsx can hold and, when it starts with `= + - @`, a tab,
    a carriage return or a line feed, gets an apostrophe in front (OWASP's advice), so
    `=HYPERLINK(…)` shows as `'=HYPERLINK(…)` and nothing is evaluated. Numbers (negative ones too),
    booleans, dates and times stay what they are; missing values (None, NaN, NaT, NA) are empty;
    anything else is written as its text.
    """
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, bool | dt.date | dt.time | dt.timedelta):
        return value
    if isinstance(value, numbers.Number):
        if isinstance(value, float) and not math.isfinite(value):
            return None if math.isnan(value) else _text("inf" if value > 0 else "-inf")
        return value
    return _text(value if isinstance(value, str) else str(value))


def _text(text: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if text.startswith(FORMULA_START):
        text = "'" + text
    return text[:TEXT_MAX]


def put(cell: Cell, value: object) -> Cell:
    """Store `value` in an openpyxl cell through `cell_value`, text always as text (not a formula,
    nor an error code such as "#N/A"); returns the cell."""
    cell.value = cell_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


@dataclass(frozen=True)
class Sheet:
    """One sheet: optional title lines, a blank row, then a table given as frames with the same
    columns (`chunks`, read one at a time; at least one, empty for an empty table). The column
    widths follow the header and the first chunk's first 500 rows."""

    name: str
    chunks: Iterable[pd.DataFrame]
    title_lines: Sequence[str] = ()


def workbook_bytes(sheets: Iterable[Sheet]) -> bytes:
    """An .xlsx workbook of `sheets`, written row by row: headers bold, columns sized to their
    content, the header row frozen, dates as YYYY-MM-DD."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(workbook, sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def excel_bytes(
    sheets: Mapping[str, pd.DataFrame], *, title_lines: Mapping[str, list[str]] | None = None
) -> bytes:
    """An .xlsx workbook with one sheet per frame; optional title lines above each table."""
    return workbook_bytes(
        Sheet(name, [frame], (title_lines or {}).get(name, [])) for name, frame in sheets.items()
    )


def _width(values: Iterable[str]) -> float:
    widest = max(len(v) + sum(1 for ch in v if ord(ch) > 0x2E80) for v in values)
    return min(max(widest + 2, 8), 60)


def _write_sheet(workbook: Workbook, spec: Sheet) -> None:
    chunks: Iterator[pd.DataFrame] = iter(spec.chunks)
    leading = [next(chunks)]  # the chunks holding the first WIDTH_ROWS rows, which size the columns
    while sum(len(frame) for frame in leading) < WIDTH_ROWS and (more := next(chunks, None)) is not None:
        leading.append(more)
    first = leading[0]
    head = pd.concat([frame.head(WIDTH_ROWS) for frame in leading]).head(WIDTH_ROWS)
    sheet = workbook.create_sheet(spec.name[:31])
    lines = list(spec.title_lines)
    start = len(lines) + (1 if lines else 0)  # rows above the header
    # A write-only sheet takes its widths and frozen panes before its first row.
    for index, column in enumerate(first.columns, start=1):
        values = [str(column), *(str(v) for v in head.iloc[:, index - 1])]
        sheet.column_dimensions[get_column_letter(index)].width = _width(values)
    sheet.freeze_panes = f"A{start + 2}"
    for number, line in enumerate(lines, start=1):
        title = put(Cell(sheet, row=1, column=1), line)
        title.font = Font(bold=number == 1, size=14 if number == 1 else 11)
        sheet.append([title])
    if lines:
        sheet.append([])
    headers = []
    for column in first.columns:
        header = put(Cell(sheet, row=1, column=1), column)
        header.font = HEADER_FONT
        headers.append(header)
    sheet.append(headers)
    for frame in itertools.chain(leading, chunks):
        for row in frame.itertuples(index=False, name=None):
            sheet.append([_data_cell(sheet, value) for value in row])


def _data_cell(sheet: Any, value: object) -> Cell | None:
    """A row's cell: every value gets a cell of its own (a write-only sheet otherwise reuses one
    cell for plain values, which then keeps the style of the cell before it)."""
    value = cell_value(value)
    if value is None:
        return None
    cell = Cell(sheet, row=1, column=1, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, dt.date):
        cell.number_format = DATETIME_FORMAT if isinstance(value, dt.datetime) else DATE_FORMAT
    return cell
