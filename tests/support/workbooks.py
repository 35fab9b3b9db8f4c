"""Upload files built at test time: a filled visits template of any length, and hostile sheets
written as XML into the template's zip (stray cells at column XFD, blank styled rows by the
hundred thousand, a sheet whose <dimension> lies, a huge sharedStrings part). Small on disk:
XML this repetitive deflates a hundredfold. tests/ and bench/ share them."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from lib.files import imports

SHEET = "xl/worksheets/sheet1.xml"
LAST_COLUMN = "XFD"  # column 16,384, the last Excel has
LAST_ROW = 1_048_576
KEEP = "keep"  # `dimension=KEEP`: leave the template's <dimension> as it is


def filled(kind: imports.RecordType | str, rows: Sequence[Sequence[Any]], *, lang: str = "en") -> bytes:
    """The type's template with `rows` under its headers (openpyxl, as a user's Excel would save it)."""
    book = load_workbook(io.BytesIO(imports.template_bytes(kind, lang=lang)))
    sheet = book.worksheets[0]
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=number, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def visit_rows(archives: Sequence[str], count: int, *, seed: int = 15) -> list[list[Any]]:
    """`count` good visit rows spread over `archives` (no two alike: day and visitor differ)."""
    pick = random.Random(seed)
    rows: list[list[Any]] = []
    for number in range(count):
        verified = pick.random() < 0.8
        rows.append(
            [
                archives[number % len(archives)],
                dt.date(2020, 1, 1) + dt.timedelta(days=number // len(archives) % 300),
                f"核验员{number // (len(archives) * 300) + 1}",
                "是" if verified else "否",
                None if verified else "收入台账缺少务工收入",
                pick.choice(["是", "否", None]),
                None,
            ]
        )
    return rows


def _cells(row: int, letters: Iterable[str], style: int = 1) -> str:
    return "".join(f'<c r="{letter}{row}" s="{style}"/>' for letter in letters)


def blank_rows(first: int, count: int, letters: Sequence[str]) -> Iterator[str]:
    """`count` rows from row `first` holding only styled blank cells in columns `letters`."""
    for row in range(first, first + count):
        yield f'<row r="{row}">{_cells(row, letters)}</row>'


def data_rows(first: int, rows: Sequence[Sequence[Any]]) -> Iterator[str]:
    """Rows of values as inline strings (dates as text), from row `first`."""
    for offset, values in enumerate(rows):
        row = first + offset
        cells = "".join(
            f'<c r="{get_column_letter(column)}{row}" t="inlineStr"><is><t>{_text(value)}</t></is></c>'
            for column, value in enumerate(values, start=1)
            if value is not None
        )
        yield f'<row r="{row}">{cells}</row>'


def _text(value: Any) -> str:
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;")


def rewrite(
    template: bytes,
    *,
    rows: Iterable[str] = (),
    dimension: str | None = KEEP,
    shared_strings: Iterable[str] | None = None,
) -> bytes:
    """`template` (an .xlsx) with `rows` (XML) added at the end of its first sheet's data, its
    <dimension> set to `dimension` (None: removed; KEEP: as it was) and, when given, a
    sharedStrings part holding `shared_strings`. The sheet is streamed into the zip."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zip_,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == SHEET:
                xml = content.decode().replace("<sheetData/>", "<sheetData></sheetData>")
                if dimension is None:
                    xml = re.sub(r"<dimension [^>]*/>", "", xml)
                elif dimension != KEEP:
                    xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>', xml)
                head, tail = xml.split("</sheetData>", 1)
                with zip_.open(SHEET, "w", force_zip64=True) as sheet:
                    sheet.write(head.encode())
                    chunk: list[str] = []
                    for row in rows:
                        chunk.append(row)
                        if len(chunk) >= 2000:
                            sheet.write("".join(chunk).encode())
                            chunk = []
                    sheet.write("".join(chunk).encode())
                    sheet.write(b"</sheetData>" + tail.encode())
                continue
            if shared_strings is not None and info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            if shared_strings is not None and info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas.'
                    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
                )
            zip_.writestr(info, content)
        if shared_strings is not None:
            with zip_.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
                for text in shared_strings:
                    part.write(f"<si><t>{_text(text)}</t></si>".encode())
                part.write(b"</sst>")
    return out.getvalue()


def template(kind: imports.RecordType | str = "visits") -> bytes:
    return imports.template_bytes(kind, lang="en")


def xfd_file(blank: int = 10_000, *, good: Sequence[Sequence[Any]] = ()) -> bytes:
    """A visits file whose `blank` rows after its `good` ones hold a styled blank cell at column
    XFD, as a sheet formatted across whole rows does; its dimension says so (A1:XFD…)."""
    first = 2 + len(good)
    return rewrite(
        template(),
        rows=[*data_rows(2, good), *blank_rows(first, blank, [LAST_COLUMN])],
        dimension=f"A1:{LAST_COLUMN}{first + blank - 1}",
    )


def tall_file(blank: int, *, dimension: str | None = KEEP, good: Sequence[Sequence[Any]] = ()) -> bytes:
    """A visits file with `blank` rows of styled blank cells across the template's columns after
    its `good` rows; `dimension` None leaves the sheet without one, KEEP states the true extent."""
    first = 2 + len(good)
    letters = [get_column_letter(n) for n in range(1, len(imports.VISITS.columns) + 1)]
    if dimension == KEEP:
        dimension = f"A1:{letters[-1]}{first + blank - 1}"
    return rewrite(
        template(),
        rows=[*data_rows(2, good), *blank_rows(first, blank, letters)],
        dimension=dimension,
    )


def far_cell_file(good: Sequence[Sequence[Any]], *, dimension: str | None) -> bytes:
    """A visits file with `good` rows and one styled blank cell at XFD1048576, the last cell a
    sheet has; `dimension` as the file claims it (None: no dimension)."""
    return rewrite(
        template(),
        rows=[*data_rows(2, good), f'<row r="{LAST_ROW}">{_cells(LAST_ROW, [LAST_COLUMN])}</row>'],
        dimension=dimension,
    )


def shared_strings_file(count: int, *, good: Sequence[Sequence[Any]] = ()) -> bytes:
    """A visits file carrying `count` distinct shared strings that no cell uses."""
    return rewrite(
        template(),
        rows=data_rows(2, good),
        shared_strings=(f"字符串{number:09d}" for number in range(count)),
    )
