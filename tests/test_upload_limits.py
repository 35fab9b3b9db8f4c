"""No upload ties up the server: hostile sheets are refused from their size before their cells are
read, only the columns a template can have are read, reading stops at the row cap whatever the
sheet claims, and a parse past its time limit is refused. Each file is built here, small on disk.

Bounds are asserted by what the parse looked at (`Upload.cells_read`) and by its refusals, never by
the clock: bench/uploads.py times these files (`make bench`)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from lib.core.i18n import CATALOGS, set_language, t
from lib.files import imports
from lib.files.imports import VISITS, parse_upload
from tests.support import workbooks

GOOD = [
    ["HAND0004", "2020-10-01", "Vera Li", "是"],
    ["HAND0005", "2020-10-02", "Vera Li", "是"],
    ["HAND0004", "2020-10-03", "Vera Li", "是"],
]
MAX_COLUMNS, MAX_SHEET_ROWS = imports.sheet_limits(VISITS)


def keys(upload: imports.Upload) -> list[str]:
    return [problem.key for problem in upload.problems]


def texts(upload: imports.Upload) -> dict[str, str]:
    """The file's one problem in each language."""
    (problem,) = upload.problems
    out = {}
    for lang in ("zh", "en"):
        set_language(lang)
        out[lang] = imports.problem_text(problem, t)
        assert "{" not in out[lang] and out[lang] != CATALOGS[lang][problem.key]
    return out


def test_the_limits_leave_room_for_a_full_file() -> None:
    assert (MAX_COLUMNS, MAX_SHEET_ROWS) == (7 + 20, 20 + 5000 + 1000)


def test_blank_rows_reaching_column_xfd_are_refused_before_a_cell_is_read() -> None:
    """A 100 KB file took 29 s: each of its rows was read 16,384 cells wide."""
    upload = parse_upload(workbooks.xfd_file(2000, good=GOOD), VISITS)
    assert keys(upload) == ["data.error.sheet_too_wide"]
    assert upload.cells_read == 0 and upload.rows == ()
    assert texts(upload) == {
        "zh": "工作表一直延伸到第 XFD 列（共 16,384 列），而模板只有 7 列。"
        "请删除 G 列右边的所有列（或把数据复制到新下载的模板中）后重新上传。",
        "en": "The sheet reaches column XFD (16,384 columns) but the template has 7. Delete every column "
        "right of G (or copy your rows into a fresh template) and upload again.",
    }


def test_thousands_of_blank_formatted_rows_are_refused_before_a_cell_is_read() -> None:
    upload = parse_upload(workbooks.tall_file(20_000, good=GOOD), VISITS)
    assert keys(upload) == ["data.error.sheet_too_long"]
    assert upload.cells_read == 0
    assert "20,004" in texts(upload)["en"]


def test_a_sheet_stating_no_size_is_counted_before_openpyxl_opens_it() -> None:
    """Without a <dimension>, openpyxl reads a whole sheet to look for one when it opens the file."""
    upload = parse_upload(workbooks.tall_file(20_000, good=GOOD, dimension=None), VISITS)
    assert keys(upload) == ["data.error.sheet_too_long"]
    assert upload.cells_read == 0
    assert "20,004" in texts(upload)["en"]


@pytest.mark.parametrize("dimension", ["A1:G4", None], ids=["lying", "none"])
def test_reading_stops_at_the_row_cap_whatever_the_sheet_states(dimension: str | None) -> None:
    """One styled cell at XFD1048576 behind a small (or no) stated size: openpyxl hands over a
    million empty rows; the parse stops after the rows a sheet may have, the template's columns only."""
    upload = parse_upload(workbooks.far_cell_file(GOOD, dimension=dimension), VISITS)
    assert keys(upload) == ["data.error.sheet_too_long"]
    assert upload.cells_read == MAX_SHEET_ROWS * MAX_COLUMNS
    assert f"{MAX_SHEET_ROWS + 1:,}" in texts(upload)["en"]


def test_only_the_columns_a_template_can_have_are_read() -> None:
    """Stray styled cells at XFD in the data rows, behind a stated size that leaves them out."""
    rows = [*workbooks.data_rows(2, GOOD)]
    rows = [row.replace("</row>", f'<c r="XFD{number}" s="1"/></row>') for number, row in enumerate(rows, 2)]
    data = workbooks.rewrite(workbooks.template(), rows=rows, dimension="A1:G4")
    upload = parse_upload(data, VISITS)
    assert not upload.problems and len(upload.rows) == 3
    assert upload.cells_read == 4 * MAX_COLUMNS  # the header and three rows


def test_more_shared_strings_than_a_template_holds_are_refused_unread() -> None:
    upload = parse_upload(workbooks.shared_strings_file(imports.MAX_SHARED_STRINGS + 1, good=GOOD), VISITS)
    assert keys(upload) == ["data.error.too_much_text"]
    assert upload.cells_read == 0
    assert "100,001" in texts(upload)["en"]
    fewer = parse_upload(workbooks.shared_strings_file(2000, good=GOOD), VISITS)
    assert not fewer.problems and len(fewer.rows) == 3


def test_a_parse_past_its_time_limit_is_refused_with_a_clear_message() -> None:
    upload = parse_upload(workbooks.filled(VISITS, GOOD), VISITS, time_limit=0)
    assert keys(upload) == ["data.error.too_slow"]
    assert texts(upload) == {
        "zh": "文件读取时间过长（超过 0 秒），未导入任何数据。"
        "请只保留模板中的数据表，删除多余的空行和空列后重新上传。",
        "en": "The file took too long to read (more than 0 seconds): nothing imported. Keep only the "
        "template's data sheet, delete empty rows and columns, and upload again.",
    }
    assert keys(parse_upload(workbooks.filled(VISITS, GOOD), VISITS)) == []


def test_the_time_limit_holds_while_openpyxl_loads_the_workbook() -> None:
    """The clock is read as the zip's bytes are read, not only between rows: a parse stopped at
    any point (scanning, openpyxl loading shared strings, reading rows) says it took too long,
    never that the file is damaged."""
    data = workbooks.shared_strings_file(30_000, good=GOOD)  # ~1 MB of XML for openpyxl to load
    ticks = 0

    def clock() -> float:  # one second a reading
        nonlocal ticks
        ticks += 1
        return float(ticks)

    assert not parse_upload(data, VISITS, time_limit=10**6, clock=clock).problems
    readings = ticks
    assert readings > 10  # all along, not once a phase
    for limit in range(1, readings, max(1, readings // 8)):
        assert keys(parse_upload(data, VISITS, time_limit=limit, clock=clock)) == ["data.error.too_slow"]


def test_a_sheet_written_without_a_size_still_reads() -> None:
    book = Workbook(write_only=True)  # openpyxl's write-only mode states no <dimension>
    sheet = book.create_sheet()
    sheet.append([column.header("en") for column in VISITS.columns])
    for row in GOOD:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    upload = parse_upload(buffer.getvalue(), VISITS)
    assert not upload.problems and len(upload.rows) == 3
