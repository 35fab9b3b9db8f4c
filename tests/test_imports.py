"""Excel imports: templates in both languages, reading real .xlsx files (good, odd and broken),
and the all-or-nothing import through the real services on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core.i18n import CATALOGS, set_language, t
from lib.core.models import AuditEntry, Household, IndustryPlan, Meta, VerificationVisit
from lib.files import imports
from lib.files.imports import HOUSEHOLD_STATUS, VISITS, Problem, parse_upload, template_bytes
from lib.queries import common
from lib.queries.imports import household_status_rows
from lib.rules.permissions import Actor
from lib.services import households
from lib.services.auth import Role
from lib.services.imports import check_import, run_import
from tests.support.accounts import module_actors, store_accounts

AS_OF = dt.date(2020, 10, 31)
TOWN_A = "349901100"
A2 = "349901100202"  # h4 (HAND0004, monitored) and h5 (HAND0005, poor): neither verified
VERA = Actor(
    user_id=None,
    username="vera",
    display_name="Vera Li",
    role=Role.VILLAGE_EDITOR,
    town_code=TOWN_A,
    village_code=A2,
)
TOM = Actor(user_id=None, username="tom", display_name="Tom", role=Role.TOWN_EDITOR, town_code=TOWN_A)
LEE = Actor(user_id=None, username="lee", display_name="Lee", role=Role.LEADER)


@pytest.fixture
def hand_engine(hand_engine: Engine) -> Engine:
    """The hand county with an account for each of this module's Actors."""
    with Session(hand_engine) as session:
        store_accounts(session, *module_actors(globals()))
    return hand_engine


# --- helpers --------------------------------------------------------------------------------------


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filled(
    kind: imports.RecordType, rows: Sequence[Sequence[Any]], *, lang: str = "en", **extra: Any
) -> bytes:
    """The type's template with `rows` appended under its headers."""
    book = load_workbook(io.BytesIO(template_bytes(kind, lang=lang, **extra)))
    sheet = book.worksheets[0]
    start = sheet.max_row + 1 if extra.get("rows") else 2
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=start + offset, column=column, value=value)
    return _save(book)


def sheet_file(rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    return _save(book)


def visit(
    archive: str | None = "HAND0004", day: Any = dt.date(2020, 10, 1), verified: Any = "yes", **more: Any
) -> list[Any]:
    return [
        archive,
        day,
        more.get("visitor", "Vera Li"),
        verified,
        more.get("problems"),
        more.get("satisfied"),
    ]


def keys(problems: Sequence[Problem]) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, p.key) for p in problems]


def counts(engine: Engine) -> tuple[int, int, str]:
    with Session(engine) as session:
        visits = session.scalar(select(func.count()).select_from(VerificationVisit)) or 0
        audits = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        return visits, audits, common.data_version(session)


@pytest.fixture
def english() -> None:
    set_language("en")


# --- templates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", list(imports.REGISTRY.values()), ids=lambda k: k.code)
def test_templates_open_with_their_headers_and_instructions(kind: imports.RecordType, lang: str) -> None:
    book = load_workbook(io.BytesIO(template_bytes(kind, lang=lang)))
    data, help_sheet = book.worksheets
    assert data.title == CATALOGS[lang]["data.sheet.data"]
    assert help_sheet.title == CATALOGS[lang]["data.sheet.instructions"]
    headers = [cell.value for cell in data[1]]
    assert headers == [column.header(lang) for column in kind.columns]
    assert all(cell.font.bold for cell in data[1])
    assert data.freeze_panes == "B2"
    assert book.properties.subject == kind.code
    lists = [v for v in data.data_validations.dataValidation if v.type == "list"]
    choice_like = [c for c in kind.columns if c.kind in ("bool", "choice")]
    assert len(lists) == len(choice_like)
    yes_no = f'"{CATALOGS[lang]["data.bool.yes"]},{CATALOGS[lang]["data.bool.no"]}"'
    assert any(v.formula1 == yes_no for v in lists) == any(c.kind == "bool" for c in kind.columns)
    help_text = [str(cell.value) for row in help_sheet.iter_rows() for cell in row if cell.value]
    for column in kind.columns:
        assert CATALOGS[lang][column.label_key] in help_text
        assert column.help(lang) in help_text
    for index, column in enumerate(kind.columns, start=1):
        if column.kind == "date":
            letter = data.cell(row=1, column=index).column_letter
            assert data.column_dimensions[letter].number_format == "yyyy-mm-dd"


def test_headers_differ_between_languages_and_never_repeat() -> None:
    for kind in imports.REGISTRY.values():
        for lang in ("zh", "en"):
            headers = [column.header(lang) for column in kind.columns]
            assert len(set(headers)) == len(headers)
        every = [name for column in kind.columns for name in column.headers()]
        assert len(set(every)) == len(every)  # no header means two columns


def test_a_template_in_either_language_reads_back_empty() -> None:
    for lang in ("zh", "en"):
        upload = parse_upload(template_bytes(VISITS, lang=lang), VISITS)
        assert keys(upload.problems) == [(None, None, "data.error.no_rows")]


def test_the_status_template_holds_the_users_households_and_versions(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        frame = household_status_rows(session, village_code=A2)
    assert list(frame["archive_no"]) == ["HAND0004", "HAND0005"]
    rows = [
        {**record, "village": record["village_en"], "head_name": "户*"} for record in frame.to_dict("records")
    ]
    book = load_workbook(io.BytesIO(template_bytes(HOUSEHOLD_STATUS, lang="zh", rows=rows)))
    sheet = book.worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2, max_row=3)]
    assert values[0][:4] == ["HAND0004", "A2 Village", "户*", "监测户"]
    assert values[0][-1] == 1  # the version
    upload = parse_upload(_save(book), HOUSEHOLD_STATUS)
    assert not upload.problems
    assert [dict(row.values)["status"] for row in upload.rows] == ["monitored", "poor"]
    with Session(hand_engine) as session:
        report = check_import(session, actor=VERA, record_type=HOUSEHOLD_STATUS, rows=upload, as_of=AS_OF)
    assert report.ok  # unchanged values pass (and write nothing)


# --- reading cells ------------------------------------------------------------------------------


def test_cells_of_every_kind_are_read_generously(english: None) -> None:
    data = filled(
        VISITS,
        [
            ["HAND0004", dt.datetime(2020, 10, 1), "Vera", True, None, "是", "否"],
            ["HAND0005", "2020-10-02", "Vera", "TRUE", None, "no", 0],
            [4004, "2020/10/3", "  Vera  ", 1, None, "Yes", "FALSE"],
            [None, None, None, None, None, None, None],  # blank rows are skipped
            ["HAND0001", "2020年10月4日", "Vera", "否", "缺页", None, "y"],
            ["HAND0002", 44109, "Vera", "0", "缺页", "", 1],  # a date cell that lost its format
        ],
    )
    upload = parse_upload(data, VISITS)
    assert not upload.problems
    assert upload.row_count == 5
    values = [dict(row.values) for row in upload.rows]
    assert [row.number for row in upload.rows] == [2, 3, 4, 6, 7]
    assert [v["visited_on"] for v in values] == [dt.date(2020, 10, d) for d in (1, 2, 3, 4, 5)]
    assert [v["ledger_verified"] for v in values] == [True, True, True, False, False]
    assert [v["satisfied"] for v in values] == [True, False, True, None, None]
    assert [v["found_unregistered_need"] for v in values] == [False, False, False, True, True]
    assert values[2]["archive_no"] == "4004" and values[2]["visitor_name"] == "Vera"


def test_whole_numbers_may_be_floats_or_text_but_not_fractions() -> None:
    version = HOUSEHOLD_STATUS.column("version")
    assert imports.convert(version, 3.0) == 3
    assert imports.convert(version, " 3 ") == 3
    assert imports.convert(version, "3.0") == 3
    assert imports.convert(version, "1,234") == 1234
    for bad, key in (
        (3.5, "data.error.not_whole"),
        ("3.5", "data.error.not_whole"),
        ("three", "data.error.not_number"),
        (True, "data.error.not_number"),
        (0, "data.error.number_range"),
        (10**20, "data.error.number_range"),
        (float("nan"), "data.error.not_number"),
        ("1e400", "data.error.not_number"),
    ):
        with pytest.raises(imports._CellError) as raised:
            imports.convert(version, bad)
        assert raised.value.key == key, bad


def test_dates_and_choices_refuse_what_they_cannot_read() -> None:
    day = VISITS.column("visited_on")
    for bad in ("2020-02-30", "next week", 2020, True, dt.time(9, 30), "20201001"):
        with pytest.raises(imports._CellError) as raised:
            imports.convert(day, bad)
        assert raised.value.key == "data.error.not_date", bad
    status = HOUSEHOLD_STATUS.column("status")
    assert imports.convert(status, "已脱贫") == "exited"
    assert imports.convert(status, " Monitored ") == "monitored"
    with pytest.raises(imports._CellError) as raised:
        imports.convert(status, "rich")
    assert raised.value.key == "data.error.choice"
    set_language("en")
    text = imports.problem_text(Problem(2, "status", raised.value.key, raised.value.params), t)
    assert text == "“rich” is not one of: Poor / Exited / Monitored."


def test_each_bad_cell_is_reported_with_its_row_column_and_letter(english: None) -> None:
    upload = parse_upload(
        filled(
            VISITS,
            [
                visit(),
                visit(day="2020-13-01", verified="perhaps"),
                visit(archive=None),
                visit(visitor="x" * 41),
            ],
        ),
        VISITS,
    )
    assert keys(upload.problems) == [
        (3, "visited_on", "data.error.not_date"),
        (3, "ledger_verified", "data.error.not_bool"),
        (4, "archive_no", "data.error.required"),
        (5, "visitor_name", "data.error.text_long"),
    ]
    assert [p.letter for p in upload.problems] == ["B", "D", "A", "C"]
    assert [row.number for row in upload.rows] == [2]
    assert upload.row_count == 4
    frame = imports.report_frame(imports.ImportReport(VISITS, upload.row_count, list(upload.problems)), t)
    assert list(frame.columns) == ["row", "column", "problem"]
    assert frame.iloc[0].tolist() == [
        3,
        "B · Visit date",
        "“2020-13-01” is not a date; write it like 2020-06-01.",
    ]


def test_formulas_are_read_through_their_cached_values() -> None:
    book = load_workbook(io.BytesIO(template_bytes(VISITS, lang="en")))
    sheet = book.worksheets[0]
    for row, values in enumerate(
        [visit(day="=DATE(2020,10,1)"), visit(archive="HAND0005", day="=DATE(2020,10,2)")], 2
    ):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
    raw = _save(book)
    # openpyxl writes formulas without results; give the first one the value Excel would cache.
    parts = {}
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name)
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml = xml.replace("<f>DATE(2020,10,1)</f><v></v>", "<f>DATE(2020,10,1)</f><v>44105</v>")
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    upload = parse_upload(buffer.getvalue(), VISITS)
    assert keys(upload.problems) == [(3, "visited_on", "data.error.formula")]
    assert dict(upload.rows[0].values)["visited_on"] == dt.date(2020, 10, 1)


def test_excel_error_values_are_reported() -> None:
    upload = parse_upload(filled(VISITS, [visit(day="#N/A")]), VISITS)
    assert keys(upload.problems) == [(2, "visited_on", "data.error.excel_error")]


# --- broken and odd files -------------------------------------------------------------------------


def _cfb(encrypted: bool) -> bytes:
    """The start of an OLE compound file, as Excel writes password-protected .xlsx and old .xls."""
    header = imports.CFB_MAGIC + bytes(512 - len(imports.CFB_MAGIC))
    name = ("EncryptedPackage" if encrypted else "Workbook").encode("utf-16-le")
    return header + name.ljust(512, b"\0")


def _corrupt() -> bytes:
    data = bytearray(template_bytes(VISITS, lang="en"))
    data[200:400] = bytes(200)
    return bytes(data)


def _word_like() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (imports.MAX_UNPACKED + 1))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "data.error.empty_file"),
        (b"archive_no,visited_on\nHAND0004,2020-10-01\n", "data.error.not_xlsx"),
        (_cfb(encrypted=True), "data.error.encrypted"),
        (_cfb(encrypted=False), "data.error.legacy_xls"),
        (b"PK\x03\x04 not really a zip", "data.error.corrupt"),
        (_corrupt(), "data.error.corrupt"),
        (_word_like(), "data.error.not_xlsx"),
        (_bomb(), "data.error.unpacked_too_large"),
        (sheet_file([]), "data.error.no_header"),
        (sheet_file([["Archive no.", "Visit date", "Visitor", "Ledger verified"]]), "data.error.no_rows"),
        (sheet_file([["Archive no.", "Visitor", "Ledger verified"], ["HAND0004", "Vera", "yes"]]),
         "data.error.missing_columns"),
        (filled(HOUSEHOLD_STATUS, []), "data.error.other_type"),
    ],
    ids=[
        "empty", "csv", "encrypted", "xls", "not-a-zip", "damaged", "word", "zip-bomb", "blank-sheet",
        "header-only", "missing-column", "another-type",
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_read_is_one_clear_problem(data: bytes, key: str) -> None:
    upload = parse_upload(data, VISITS)
    assert upload.rows == ()
    assert [p.key for p in upload.problems][-1] == key
    assert all(p.row is None for p in upload.problems)
    set_language("en")
    for problem in upload.problems:
        text = imports.problem_text(problem, t)
        assert text and not text.startswith("data.") and "{" not in text


def test_wrong_headers_are_named(english: None) -> None:
    data = sheet_file([["档案号", "Visit date*", "Visitor", "Visitor", "Notes"], ["HAND0004"]])
    upload = parse_upload(data, VISITS)
    texts = [imports.problem_text(p, t) for p in upload.problems]
    assert texts == [
        "The header “Visitor” appears twice.",
        "Required columns missing: Ledger verified.",
        "Columns not recognised: Notes. Use the template's headers.",
    ]


def test_values_under_no_header_are_reported() -> None:
    data = filled(VISITS, [[*visit(), None, "stray"]])
    upload = parse_upload(data, VISITS)
    assert [(p.row, p.letter, p.key) for p in upload.problems] == [(2, "H", "data.error.headerless")]


def test_headers_may_come_in_any_order_and_language_below_a_title() -> None:
    data = sheet_file(
        [
            ["入户核验 2020 年 10 月"],
            [],
            ["台账已核实", "visitor_name", "ARCHIVE NO.", "核验日期*"],
            ["是", "Vera", "HAND0004", "2020-10-01"],
        ]
    )
    upload = parse_upload(data, VISITS)
    assert not upload.problems
    assert upload.rows[0].number == 4
    assert upload.letters["archive_no"] == "C"


def test_size_and_row_caps() -> None:
    small = filled(VISITS, [visit()])
    upload = parse_upload(small, VISITS, max_bytes=len(small) - 1)
    assert keys(upload.problems) == [(None, None, "data.error.too_large")]
    assert parse_upload(bytes(imports.MAX_BYTES + 1), VISITS).problems[0].key == "data.error.too_large"
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([column.header("en") for column in VISITS.columns])
    for number in range(imports.MAX_ROWS + 1):
        sheet.append([f"H{number}", "2020-10-01", "Vera", "yes"])
    many = _save(book)  # type: ignore[arg-type]
    assert keys(parse_upload(many, VISITS).problems) == [(None, None, "data.error.too_many_rows")]


# --- importing ----------------------------------------------------------------------------------


def test_a_filled_template_imports_with_audit_rows_and_a_new_data_version(hand_engine: Engine) -> None:
    before = counts(hand_engine)
    upload = parse_upload(
        filled(
            VISITS, [visit(), visit("HAND0005", verified="no", problems="收入台账缺少务工收入")], lang="zh"
        ),
        VISITS,
    )
    with Session(hand_engine) as session:
        checked = check_import(session, actor=VERA, record_type="visits", rows=upload, as_of=AS_OF)
    assert checked.ok and checked.ready == 2 and not checked.committed
    assert counts(hand_engine) == before  # a check stores nothing
    with Session(hand_engine) as session:
        report = run_import(
            session, actor=VERA, record_type="visits", rows=upload, as_of=AS_OF, file_name="a.xlsx"
        )
    assert report.committed and report.imported == 2 and not report.problems
    visits, audits, version = counts(hand_engine)
    assert visits == before[0] + 2
    assert audits == before[1] + 3  # one per visit, one for the import
    assert int(version) > int(before[2])
    with Session(hand_engine) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(3)).all()
        assert [(e.username, e.table_name) for e in entries] == [
            ("vera", "imports"),
            ("vera", "verification_visits"),
            ("vera", "verification_visits"),
        ]
        assert '"rows": 2' in (entries[0].new_values or "")
        stored = session.scalars(
            select(VerificationVisit).order_by(VerificationVisit.id.desc()).limit(2)
        ).all()
        assert {v.problems for v in stored} == {None, "收入台账缺少务工收入"}


def test_one_bad_row_among_good_ones_imports_nothing(hand_engine: Engine) -> None:
    before = counts(hand_engine)
    rows = [visit(), visit("HAND0005", day=dt.date(2020, 11, 5)), visit("HAND0005", day=dt.date(2020, 9, 1))]
    upload = parse_upload(filled(VISITS, rows), VISITS)
    assert not upload.problems
    with Session(hand_engine) as session:
        report = run_import(session, actor=VERA, record_type=VISITS, rows=upload, as_of=AS_OF)
    assert not report.committed and report.imported == 0
    assert keys(report.problems) == [(3, "visited_on", "updates.error.date_in_future")]
    assert report.problems[0].letter == "B"
    assert (report.ready, report.bad_rows) == (2, 1)
    assert counts(hand_engine) == before


def test_a_refused_row_is_reported_with_the_services_message(hand_engine: Engine, english: None) -> None:
    upload = parse_upload(filled(VISITS, [visit(verified="no")]), VISITS)
    with Session(hand_engine) as session:
        report = check_import(session, actor=VERA, record_type=VISITS, rows=upload, as_of=AS_OF)
    frame = imports.report_frame(report, t)
    assert frame.iloc[0].tolist() == [
        2,
        "E · Problems found",
        "The ledger was not verified: say what was wrong.",
    ]


def test_households_of_another_village_are_refused_row_by_row(hand_engine: Engine) -> None:
    rows = [visit("HAND0001"), visit(), visit("HAND0009"), visit("NO-SUCH")]
    upload = parse_upload(filled(VISITS, rows), VISITS)
    before = counts(hand_engine)
    with Session(hand_engine) as session:
        report = run_import(session, actor=VERA, record_type=VISITS, rows=upload, as_of=AS_OF)
    assert sorted(keys(report.problems)) == [
        (2, "archive_no", "data.error.not_allowed"),
        (4, "archive_no", "data.error.not_allowed"),
        (5, "archive_no", "data.error.unknown_household"),
    ]
    assert counts(hand_engine) == before


def test_leaders_may_not_import(hand_engine: Engine) -> None:
    upload = parse_upload(filled(VISITS, [visit()]), VISITS)
    with Session(hand_engine) as session:
        report = run_import(session, actor=LEE, record_type=VISITS, rows=upload, as_of=AS_OF)
        anonymous = check_import(session, actor=None, record_type=VISITS, rows=upload, as_of=AS_OF)
    assert keys(report.problems) == keys(anonymous.problems) == [(None, None, "data.error.may_not_import")]


def _status_row(archive: str, version: Any, *, status: str = "monitored", water: str = "yes") -> list[Any]:
    return [
        archive,
        None,
        None,
        status,
        "no",
        "no",
        "no",
        "no",
        "no",
        water,
        None,
        None,
        None,
        None,
        None,
        None,
        version,
    ]


def test_household_status_imports_and_a_stale_row_is_reported(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        records = household_status_rows(session, town_code=TOWN_A).to_dict("records")
    assert [r["version"] for r in records] == [1] * 6
    template_rows = [{**r, "village": r["village_zh"]} for r in records]
    book = load_workbook(io.BytesIO(template_bytes(HOUSEHOLD_STATUS, lang="en", rows=template_rows)))
    sheet = book.worksheets[0]
    safe_water = [c.value for c in sheet[1]].index(HOUSEHOLD_STATUS.column("safe_water").header("en")) + 1
    sheet.cell(row=5, column=safe_water, value="yes")  # h4 (HAND0004) gets safe water
    data = _save(book)
    # someone changes h4 after the download
    with Session(hand_engine) as session:
        households.update_household_status(
            session, actor=VERA, household_id=4, expected_version=1, status="monitored",
            flags={"guarantee_housing": True}, exit_steps={}, reason=None, as_of=AS_OF,
        )  # fmt: skip
    before = counts(hand_engine)
    with Session(hand_engine) as session:
        report = run_import(
            session,
            actor=TOM,
            record_type=HOUSEHOLD_STATUS,
            rows=parse_upload(data, HOUSEHOLD_STATUS),
            as_of=AS_OF,
        )
    assert keys(report.problems) == [(5, "version", "data.error.stale")]
    assert report.problems[0].params == {"archive": "HAND0004", "version": 2}
    assert report.problems[0].letter == "Q"
    assert counts(hand_engine) == before

    fresh = filled(HOUSEHOLD_STATUS, [_status_row("HAND0004", 2), _status_row("HAND0005", 1, status="poor")])
    with Session(hand_engine) as session:
        report = run_import(
            session,
            actor=TOM,
            record_type=HOUSEHOLD_STATUS,
            rows=parse_upload(fresh, HOUSEHOLD_STATUS),
            as_of=AS_OF,
        )
    assert report.committed and report.imported == 2
    with Session(hand_engine) as session:
        h4 = session.get(Household, 4)
        assert h4 is not None and h4.safe_water and h4.guarantee_housing is False and h4.version == 3
        h5 = session.get(Household, 5)
        assert h5 is not None and h5.safe_water and h5.version == 2


def test_the_same_household_twice_in_a_status_file_is_refused(hand_engine: Engine) -> None:
    data = filled(HOUSEHOLD_STATUS, [_status_row("HAND0004", 1), _status_row(" HAND0004 ", 1, water="no")])
    with Session(hand_engine) as session:
        report = check_import(
            session,
            actor=VERA,
            record_type=HOUSEHOLD_STATUS,
            rows=parse_upload(data, HOUSEHOLD_STATUS),
            as_of=AS_OF,
        )
    assert keys(report.problems) == [(3, "archive_no", "data.error.duplicate_row")]
    assert report.problems[0].params == {"first": 2}


def test_an_exit_without_its_steps_names_what_is_missing(hand_engine: Engine, english: None) -> None:
    data = filled(HOUSEHOLD_STATUS, [_status_row("HAND0005", 1, status="exited")])
    with Session(hand_engine) as session:
        report = check_import(
            session,
            actor=VERA,
            record_type=HOUSEHOLD_STATUS,
            rows=parse_upload(data, HOUSEHOLD_STATUS),
            as_of=AS_OF,
        )
    texts = [(p.column, imports.problem_text(p, t)) for p in report.problems]
    assert ("status", "No per-capita income is recorded: cannot exit.") in texts
    steps = next(text for column, text in texts if text.startswith("All five exit steps"))
    assert "Appraised in the village on" in steps
    assert re.search(r"not yet: No worry about food", " ".join(text for _, text in texts))


def test_each_rows_earlier_rows_count_within_the_file(hand_engine: Engine) -> None:
    """Two rows for one household in a visits file are checked in order, like two form saves."""
    upload = parse_upload(filled(VISITS, [visit(), visit(day=dt.date(2020, 10, 2))]), VISITS)
    with Session(hand_engine) as session:
        report = run_import(session, actor=VERA, record_type=VISITS, rows=upload, as_of=AS_OF)
        assert report.committed and report.imported == 2
        meta = session.get(Meta, "data_version")
        assert meta is not None


def test_industry_plans_import_by_industry_name_or_code(hand_engine: Engine) -> None:
    kind = imports.REGISTRY["industry_plans"]
    rows: list[list[Any]] = [
        ["HAND0004", "蔬菜", "started", dt.date(2020, 3, 1), dt.date(2020, 4, 1), None, 3000],
        ["HAND0005", "PV shares", "已规划", "2020-05-01", None, None, None],
        ["HAND0005", "nonsense", "planned", "2020-05-01"],
        ["HAND0005", "vegetables", "stable", "2020-05-01", "2020-06-01"],  # stable needs an actual income
    ]
    with Session(hand_engine) as session:
        plans = session.scalar(select(func.count()).select_from(IndustryPlan))
        report = run_import(
            session, actor=VERA, record_type=kind, rows=parse_upload(filled(kind, rows), kind), as_of=AS_OF
        )
    assert sorted(keys(report.problems)) == [
        (4, "industry", "data.error.unknown_industry"),
        (5, "actual_income", "plans.error.actual_required"),
    ]
    with Session(hand_engine) as session:
        assert session.scalar(select(func.count()).select_from(IndustryPlan)) == plans
        good = filled(kind, rows[:2])
        report = run_import(session, actor=VERA, record_type=kind, rows=parse_upload(good, kind), as_of=AS_OF)
        assert report.committed and report.imported == 2
        stored = session.scalars(select(IndustryPlan).order_by(IndustryPlan.id.desc()).limit(2)).all()
        assert [(p.household_id, p.stage, p.expected_income) for p in stored] == [
            (5, "planned", None),
            (4, "started", 3000),
        ]


def test_every_record_type_has_its_importer() -> None:
    from lib.files.imports import REGISTRY
    from lib.services.imports import IMPORTERS

    assert set(IMPORTERS) == set(REGISTRY)
    assert all(IMPORTERS[code].action == kind.action for code, kind in REGISTRY.items())


def test_a_file_already_imported_is_recognised_and_not_imported_again(hand_engine: Engine) -> None:
    rows = [visit(), visit("HAND0005", verified="no", problems="收入台账缺少务工收入")]
    with Session(hand_engine) as session:
        first = run_import(
            session,
            actor=VERA,
            record_type="visits",
            rows=parse_upload(filled(VISITS, rows), VISITS),
            as_of=AS_OF,
            file_name="十月.xlsx",
        )
    assert first.committed
    before = counts(hand_engine)
    # the same rows saved again in the other language's template, as another file
    again = parse_upload(filled(VISITS, rows, lang="zh"), VISITS)
    with Session(hand_engine) as session:
        checked = check_import(session, actor=VERA, record_type="visits", rows=again, as_of=AS_OF)
        report = run_import(
            session, actor=VERA, record_type="visits", rows=again, as_of=AS_OF, file_name="十月(1).xlsx"
        )
    assert keys(checked.problems) == keys(report.problems) == [(None, None, "data.error.already_imported")]
    assert report.problems[0].params["file"] == "十月.xlsx"
    assert not report.committed and counts(hand_engine) == before
    # one more row makes it another file
    with Session(hand_engine) as session:
        more = run_import(
            session,
            actor=VERA,
            record_type="visits",
            rows=parse_upload(filled(VISITS, [*rows, visit("HAND0004", day=dt.date(2020, 10, 2))]), VISITS),
            as_of=AS_OF,
        )
    assert not [p for p in more.problems if p.key == "data.error.already_imported"]
