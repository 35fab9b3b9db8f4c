"""Excel imports: which record types can be imported, their templates, and reading an upload.

Pure: no streamlit and no SQL. A record type names its columns (headers in both languages, type,
required or not, help text) and how a row's values become the keyword arguments of the service
that stores its records (`lib.services.imports.IMPORTERS`: one per type). `template_bytes` writes
a type's .xlsx template; `parse_upload` reads a filled one into clean rows and `Problem`s (row,
column, label key + parameters), never raising on a bad file.
`lib.services.imports` then runs the rows through the services, all or nothing. Adding a record
type is one `RecordType(...)` entry in `REGISTRY` and its importer in `IMPORTERS`.

Reading is bounded: a sheet wider or longer than the template allows is refused from its stated
size before a cell is read, only the columns a template can have are read, reading stops at the
row cap whatever the sheet claims, and a parse that runs past its time limit (also while
openpyxl loads the workbook) is refused with "the file took too long to read".
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import itertools
import json
import math
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from lib.core.domain import (
    EXIT_STEPS,
    FREE_TEXT_MAX,
    HOUSEHOLD_FLAGS,
    INCOME_MAX,
    VISITOR_NAME_MAX,
    PlanStage,
)
from lib.core.i18n import CATALOGS
from lib.files.excel import FORMULA_START, put
from lib.rules.permissions import HOUSEHOLD_UPDATE, PLAN_UPDATE, VISIT_RECORD

MAX_BYTES = 5 * 1024 * 1024  # an upload larger than this is refused before it is opened
MAX_UNPACKED = 100 * 1024 * 1024  # the xlsx (a zip) unpacked; guards against zip bombs
MAX_ROWS = 5000  # data rows in one file
TEXT_MAX = 2000  # any text cell
INT_MAX = 2_147_483_647  # fits every database's INTEGER
HEADER_SEARCH_ROWS = 20  # the header is the first non-blank row among these
# A sheet may reach this many columns past its template's (a notes column, a stray value: those
# are reported cell by cell) and this many rows past the header rows and MAX_ROWS (blank or
# formatted rows below the data); a sheet larger than that is refused before a cell is read.
# Only that many columns and rows are ever read: a stray cell at XFD1048576 costs nothing.
COLUMN_MARGIN = 20
ROW_MARGIN = 1000
# A parse that takes longer is refused. A 5,000-row status file (17 columns) takes ~1 s of CPU
# (~2 s with formulas, read twice); the limit leaves room for a busy server.
PARSE_SECONDS = 30.0
# openpyxl turns every shared string into an object when it opens a workbook (~10 µs each): a
# filled template holds a few thousand (archive numbers, names, notes), more is refused unread.
MAX_SHARED_STRINGS = 100_000
SCAN_CHUNK = 1024 * 1024  # bytes of unpacked XML the pre-scan looks at a time
TEMPLATE_ROWS = 1000  # rows of the template that carry drop-down lists and date formats
SHOWN_MAX = 40  # a cell value quoted in a message is cut to this many characters

Kind = Literal["text", "int", "date", "bool", "choice", "info", "value"]
LANGUAGES = ("zh", "en")
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls files and password-protected .xlsx
EXCEL_ERROR = re.compile(r"#(DIV/0!|N/A|NAME\?|NULL!|NUM!|REF!|VALUE!|SPILL!|CALC!|GETTING_DATA)")
DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
INT_TEXT = re.compile(r"[+-]?\d+(?:\.0*)?")
# Excel serial numbers of 2000-01-01 … 2099-12-31: a plain number in this range in a date column
# is a date whose cell lost its date format.
SERIAL_MIN, SERIAL_MAX = 36526, 73050
TRUE_WORDS = frozenset({"是", "对", "有", "yes", "y", "true", "t", "1", "√", "✓", "✔"})
FALSE_WORDS = frozenset({"否", "不", "无", "没有", "no", "n", "false", "f", "0", "×", "✗", "✘"})


def label(lang: str, key: str, /, **params: Any) -> str:
    """The label for `key` in `lang` (not the page's language: templates name theirs)."""
    catalog = CATALOGS[lang if lang in CATALOGS else "zh"]
    if params.get("n") == 1 and f"{key}.one" in catalog:
        key = f"{key}.one"
    text = catalog.get(key) or CATALOGS["en"].get(key) or key
    return text.format(**params) if params else text


def normalize(text: object) -> str:
    """A header or word as compared: NFKC, no surrounding space or required marker, one space, no case."""
    value = unicodedata.normalize("NFKC", str(text)).strip().rstrip("*").strip()
    return re.sub(r"\s+", " ", value).casefold()


# --- the registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a record type's sheet; its headers are the `data.col.<code>` labels."""

    code: str
    kind: Kind
    required: bool = False
    help_key: str = ""  # defaults to data.colhelp.<code>
    choices: tuple[str, ...] = ()  # codes, for kind "choice"
    choice_key: str = ""  # label key prefix of a choice's name: f"{choice_key}{code}"
    max_length: int = TEXT_MAX
    minimum: int = 0
    maximum: int = INT_MAX
    aliases: tuple[str, ...] = ()  # more headers read as this column (a county's files' own words)
    # For kind "value": the cell's value from a rule; a ValueError carrying `key` (and `params`)
    # becomes the cell's problem.
    parse: Callable[[Any], Any] | None = None
    header_key: str = ""  # the label key of its header; by default data.col.<code>

    @property
    def label_key(self) -> str:
        return self.header_key or f"data.col.{self.code}"

    def header(self, lang: str) -> str:
        return label(lang, self.label_key) + ("*" if self.required else "")

    def headers(self) -> set[str]:
        """Every header read as this column: its label in either language, or its code."""
        names = {normalize(label(lang, self.label_key)) for lang in LANGUAGES} | {normalize(self.code)}
        return names | {normalize(alias) for alias in self.aliases}

    def choice_label(self, lang: str, code: str) -> str:
        return label(lang, f"{self.choice_key}{code}")

    def help(self, lang: str) -> str:
        return label(lang, self.help_key or f"data.colhelp.{self.code}")


@dataclass(frozen=True)
class RecordType:
    """An importable record type: its columns and how its rows become a service's arguments.

    The service that stores its records is `lib.services.imports.IMPORTERS[code]`.
    `build(values, ids)` turns a row's values (column code → value) and the ids its `lookups`
    resolved (column code → id) into the service's keyword arguments, less
    `actor` and `as_of`. `fields` maps the service's error fields to columns; `unique` names the
    columns no two rows of a file may share: rows of one file are checked each on its own, so
    two rows that would change the same record must be refused here.
    """

    code: str
    action: str
    columns: tuple[Column, ...]
    build: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]
    lookups: Mapping[str, str] = field(default_factory=dict)  # column code → lookup name
    fields: Mapping[str, str] = field(default_factory=dict)  # service field → column code
    unique: tuple[str, ...] = ()
    prefilled: bool = False  # the template holds the user's records with their current values
    # A county's exports carry many columns we do not read: when set, unknown headers are listed
    # (Upload.ignored), not refused, and the sheet may be this many columns wide.
    ignore_unknown: bool = False
    max_width: int = 0

    @property
    def title_key(self) -> str:
        return f"data.type.{self.code}"

    def column(self, code: str) -> Column:
        return next(column for column in self.columns if column.code == code)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(column.code for column in self.columns)

    def column_for(self, service_field: str) -> str | None:
        """The column a service error about `service_field` belongs to (None: the whole row)."""
        if service_field in self.fields:
            return self.fields[service_field]
        return service_field if service_field in self.codes else None


def _visit_kwargs(values: Mapping[str, Any], ids: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "household_id": ids["archive_no"],
        "visited_on": values.get("visited_on"),
        "visitor_name": values.get("visitor_name") or "",
        "ledger_verified": values.get("ledger_verified"),
        "problems": values.get("problems"),
        "satisfied": values.get("satisfied"),
        "found_unregistered_need": bool(values.get("found_unregistered_need")),
    }


def _status_kwargs(values: Mapping[str, Any], ids: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "household_id": ids["archive_no"],
        "expected_version": values.get("version"),
        "status": values.get("status"),
        "flags": {flag: values.get(flag) for flag in HOUSEHOLD_FLAGS},
        "exit_steps": {step: values.get(step) for step in EXIT_STEPS},
        "reason": values.get("reason"),
    }


VISITS = RecordType(
    code="visits",
    action=VISIT_RECORD,
    columns=(
        Column("archive_no", "text", required=True, max_length=24),
        Column("visited_on", "date", required=True),
        Column("visitor_name", "text", required=True, max_length=VISITOR_NAME_MAX),
        Column("ledger_verified", "bool", required=True),
        Column("problems", "text", max_length=FREE_TEXT_MAX),
        Column("satisfied", "bool"),
        Column("found_unregistered_need", "bool"),
    ),
    build=_visit_kwargs,
    lookups={"archive_no": "household"},
    fields={"household_id": "archive_no"},
    unique=("archive_no", "visited_on", "visitor_name"),
)

HOUSEHOLD_STATUS = RecordType(
    code="household_status",
    action=HOUSEHOLD_UPDATE,
    columns=(
        Column("archive_no", "text", required=True, max_length=24),
        Column("village", "info"),
        Column("head_name", "info"),
        Column(
            "status",
            "choice",
            required=True,
            choices=("poor", "exited", "monitored"),
            choice_key="village.status.",
        ),
        *(Column(flag, "bool", required=True, help_key="data.colhelp.flag") for flag in HOUSEHOLD_FLAGS),
        *(Column(step, "date", help_key="data.colhelp.step") for step in EXIT_STEPS),
        Column("reason", "text", max_length=FREE_TEXT_MAX),
        Column("version", "int", required=True, minimum=1),
    ),
    build=_status_kwargs,
    lookups={"archive_no": "household"},
    fields={"household_id": "archive_no", "expected_version": "version"},
    unique=("archive_no",),
    prefilled=True,
)


def _plan_kwargs(values: Mapping[str, Any], ids: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "household_id": ids["archive_no"],
        "industry_code": ids.get("industry", values.get("industry")),
        "stage": values.get("stage"),
        "planned_on": values.get("planned_on"),
        "started_on": values.get("started_on"),
        "stage_changed_on": values.get("stage_changed_on"),
        "partner_org_id": None,
        "expected_income": values.get("expected_income"),
        "actual_income": values.get("actual_income"),
        "reason": values.get("reason"),
    }


INDUSTRY_PLANS = RecordType(
    code="industry_plans",
    action=PLAN_UPDATE,
    columns=(
        Column("archive_no", "text", required=True, max_length=24),
        Column("industry", "text", required=True, max_length=60),
        Column(
            "stage",
            "choice",
            required=True,
            choices=tuple(stage.value for stage in PlanStage),
            choice_key="stage.",
        ),
        Column("planned_on", "date", required=True),
        Column("started_on", "date"),
        Column("stage_changed_on", "date"),
        Column("expected_income", "int", maximum=INCOME_MAX),
        Column("actual_income", "int", maximum=INCOME_MAX),
        Column("reason", "text", max_length=FREE_TEXT_MAX),
    ),
    build=_plan_kwargs,
    lookups={"archive_no": "household", "industry": "industry"},
    fields={"household_id": "archive_no", "partner_org_id": "industry"},
    unique=("archive_no", "industry", "planned_on"),
)

# Training attendance (lib.services.training.record_attendance) marks a whole session's roster
# at once; it can join here as one more entry (a row per cadre and session) when it is wanted.
REGISTRY: dict[str, RecordType] = {kind.code: kind for kind in (VISITS, HOUSEHOLD_STATUS, INDUSTRY_PLANS)}


def record_type(code: str | RecordType) -> RecordType:
    """The registered type for `code` (KeyError for an unknown one)."""
    return code if isinstance(code, RecordType) else REGISTRY[code]


# --- problems and reports -----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an upload: where (Excel row, column code, column letter) and what.

    `row` None means the whole file; `column` None the whole row. `key` and `params` feed `t()`
    through `problem_text` (parameters stay language-neutral: column codes, values, numbers).
    """

    row: int | None
    column: str | None
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    letter: str | None = None


@dataclass(frozen=True)
class Row:
    """One data row read cleanly: its Excel row number and its values by column code."""

    number: int
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Upload:
    """What `parse_upload` read: the clean rows, every problem, and how many data rows there were.

    `cells_read`: how many cells of the data sheet the parse looked at (blank ones included).
    """

    record_type: RecordType
    rows: tuple[Row, ...]
    problems: tuple[Problem, ...]
    row_count: int
    letters: Mapping[str, str] = field(default_factory=dict)  # column code → Excel column letter
    cells_read: int = 0
    headers: tuple[str, ...] = ()  # the header row's texts as written (for mapping them on screen)
    ignored: tuple[str, ...] = ()  # headers read as no column (kinds with `ignore_unknown`)


@dataclass
class ImportReport:
    """The outcome of checking (or importing) a file: every problem, and how many rows went in."""

    record_type: RecordType
    row_count: int
    problems: list[Problem]
    imported: int = 0
    committed: bool = False

    @property
    def bad_rows(self) -> int:
        return len({problem.row for problem in self.problems if problem.row is not None})

    @property
    def file_refused(self) -> bool:
        return any(problem.row is None for problem in self.problems)

    @property
    def ready(self) -> int:
        return 0 if self.file_refused else self.row_count - self.bad_rows

    @property
    def ok(self) -> bool:
        return not self.problems and self.row_count > 0


def _shown(value: object) -> str:
    text = value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)
    text = "".join(ch if ch.isprintable() else "�" for ch in text)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def problem_text(problem: Problem, translate: Callable[..., str], kind: RecordType | None = None) -> str:
    """The problem in the reader's language; column codes and choice codes become their labels."""
    params = dict(problem.params)
    for name in ("columns", "fields"):
        codes = params.pop(name, None)
        if codes:
            labels = [column_label(str(code), translate, kind) for code in codes]
            params["names" if name == "columns" else "missing"] = ", ".join(labels)
    choices = params.pop("choice_keys", None)
    if choices:
        params["choices"] = " / ".join(translate(key) for key in choices)
    type_code = params.pop("type_code", None)
    if type_code:
        params["type"] = translate(f"data.type.{type_code}")
    try:
        return translate(problem.key, **params)
    except (KeyError, IndexError, ValueError):
        return translate(problem.key)


def column_label(code: str, translate: Callable[..., str], kind: RecordType | None = None) -> str:
    if kind is not None and code in kind.codes:
        return translate(kind.column(code).label_key)
    for key in (f"data.col.{code}", f"updates.field.{code}"):
        if key in CATALOGS["en"]:
            return translate(key)
    return code


def column_text(problem: Problem, translate: Callable[..., str], kind: RecordType | None = None) -> str:
    """Where the problem is, as "C · Visit date"; "" for the whole row or file."""
    name = column_label(problem.column, translate, kind) if problem.column else ""
    return " · ".join(part for part in (problem.letter, name) if part)


def report_frame(report: ImportReport, translate: Callable[..., str]) -> pd.DataFrame:
    """The report as a table: row (blank = the whole file), column, problem; in row order."""
    ordered = sorted(report.problems, key=lambda p: (p.row or 0, p.letter or "", p.column or ""))
    return pd.DataFrame(
        {
            "row": pd.array([p.row for p in ordered], dtype="Int64"),
            "column": [column_text(p, translate, report.record_type) for p in ordered],
            "problem": [problem_text(p, translate, report.record_type) for p in ordered],
        }
    )


def rows_hash(kind: RecordType, rows: Iterable[Row]) -> str:
    """A hash of a file's rows as read, in any order (not of its bytes: the same rows saved again,
    or typed into the other language's template, are the same file)."""
    lines = sorted(json.dumps(row.values, sort_keys=True, default=str, ensure_ascii=False) for row in rows)
    digest = hashlib.sha256(kind.code.encode())
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def duplicate_problems(kind: RecordType, rows: Iterable[Row]) -> list[Problem]:
    """A problem for each row repeating an earlier one on the type's `unique` columns."""
    if not kind.unique:
        return []
    seen: dict[tuple[Any, ...], int] = {}
    problems = []
    for row in rows:
        key = tuple(
            normalize(value) if isinstance(value, str) else value
            for value in (row.values.get(code) for code in kind.unique)
        )
        if any(value is None for value in key):
            continue
        if key in seen:
            problems.append(
                Problem(row.number, kind.unique[0], "data.error.duplicate_row", {"first": seen[key]})
            )
        else:
            seen[key] = row.number
    return problems


# --- templates ----------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
REQUIRED_FILL = PatternFill("solid", fgColor="F6D9A8")


def _cell_value(column: Column, value: Any, lang: str) -> Any:
    """A prefilled value as the template shows it (yes/no and choices as words in `lang`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if column.kind == "bool":
        return label(lang, "data.bool.yes" if value else "data.bool.no")
    if column.kind == "choice":
        return column.choice_label(lang, str(value))
    if column.kind == "date" and isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _kind_text(column: Column, lang: str) -> str:
    if column.kind == "choice":
        names = " / ".join(column.choice_label(lang, code) for code in column.choices)
        return label(lang, "data.kind.choice", choices=names)
    return label(lang, f"data.kind.{column.kind}")


def template_bytes(kind: RecordType | str, *, lang: str, rows: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """The type's .xlsx template in `lang`: a data sheet (bold frozen headers, drop-down lists for
    yes/no and choices, date formats), optionally prefilled with `rows` (column code → value), and
    an instructions sheet explaining each column.
    """
    kind = record_type(kind)
    workbook = Workbook()
    workbook.properties.subject = kind.code  # names the type, so a file for another type is recognised
    workbook.properties.title = label(lang, kind.title_key)
    workbook.properties.creator = label(lang, "app.title")
    sheet = workbook.active
    assert sheet is not None
    sheet.title = label(lang, "data.sheet.data")
    last_row = max(TEMPLATE_ROWS, len(rows) + 1)
    yes_no = f'"{label(lang, "data.bool.yes")},{label(lang, "data.bool.no")}"'
    for index, column in enumerate(kind.columns, start=1):
        letter = get_column_letter(index)
        cell = put(sheet.cell(row=1, column=index), column.header(lang))
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in column.header(lang))
        sheet.column_dimensions[letter].width = min(max(width + 2, 12 if column.kind == "date" else 10), 40)
        cells = f"{letter}2:{letter}{last_row}"
        if column.kind in ("bool", "choice"):
            options = (
                yes_no
                if column.kind == "bool"
                else '"' + ",".join(column.choice_label(lang, code) for code in column.choices) + '"'
            )
            check = DataValidation(type="list", formula1=options, allow_blank=not column.required)
        elif column.kind == "info":
            check = None
        else:
            check = DataValidation(allow_blank=True)
        if check is not None:
            check.promptTitle = label(lang, column.label_key)[:32]
            check.prompt = column.help(lang)[:255]
            check.showInputMessage = True
            check.showErrorMessage = column.kind in ("bool", "choice")
            sheet.add_data_validation(check)
            check.add(cells)
        if column.kind == "date":
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
    for number, values in enumerate(rows, start=2):
        for index, column in enumerate(kind.columns, start=1):
            value = _cell_value(column, values.get(column.code), lang)
            cell = put(sheet.cell(row=number, column=index), value)
            if column.kind == "date":
                cell.number_format = "yyyy-mm-dd"
            elif column.kind == "text":
                cell.number_format = "@"
    sheet.freeze_panes = "B2"
    sheet.row_dimensions[1].height = 32
    _instructions(workbook.create_sheet(label(lang, "data.sheet.instructions")), kind, lang)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _instructions(sheet: Any, kind: RecordType, lang: str) -> None:
    put(
        sheet.cell(row=1, column=1), label(lang, "data.help.title", type=label(lang, kind.title_key))
    ).font = Font(bold=True, size=14)
    put(sheet.cell(row=2, column=1), label(lang, f"{kind.title_key}.about"))
    general = [
        label(lang, "data.help.general_1"),
        label(lang, "data.help.general_2", rows=f"{MAX_ROWS:,}", mb=MAX_BYTES // (1024 * 1024)),
        label(lang, "data.help.general_3"),
        label(lang, "data.help.general_4"),
    ]
    for number, line in enumerate(general, start=3):
        put(sheet.cell(row=number, column=1), f"{number - 2}. {line}")
    top = len(general) + 4
    for index, key in enumerate(
        ("data.help.column", "data.help.required", "data.help.kind", "data.help.notes"), 1
    ):
        put(sheet.cell(row=top, column=index), label(lang, key)).font = Font(bold=True)
    for number, column in enumerate(kind.columns, start=top + 1):
        put(sheet.cell(row=number, column=1), label(lang, column.label_key))
        put(
            sheet.cell(row=number, column=2),
            label(lang, "data.help.yes" if column.required else "data.help.no"),
        )
        put(sheet.cell(row=number, column=3), _kind_text(column, lang))
        put(sheet.cell(row=number, column=4), column.help(lang)).alignment = Alignment(wrap_text=True)
    for letter, width in zip("ABCD", (34, 8, 28, 90), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = sheet.cell(row=top + 1, column=1)


# --- reading an upload --------------------------------------------------------------------------


class _CellError(Exception):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(column: Column, value: object) -> str:
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        text = str(int(value))  # a number typed into a text cell: 4001.0 reads as "4001"
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        raise _CellError("data.error.text_kind")
    text = text.strip()
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_START:
        text = text[1:]  # the apostrophe a download puts before text that could pass for a formula
    if len(text) > column.max_length:
        raise _CellError("data.error.text_long", max=column.max_length)
    return text


def _int(column: Column, value: object) -> int:
    number: int
    if isinstance(value, bool):
        raise _CellError("data.error.not_number", value=_shown(value))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _CellError("data.error.not_number", value=_shown(value))
        if not value.is_integer():
            raise _CellError("data.error.not_whole", value=_shown(value))
        number = int(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
        if INT_TEXT.fullmatch(text):
            number = int(text.split(".")[0])
        else:
            try:
                parsed = float(text)
            except ValueError:
                raise _CellError("data.error.not_number", value=_shown(value)) from None
            if not math.isfinite(parsed):
                raise _CellError("data.error.not_number", value=_shown(value))
            if not parsed.is_integer():
                raise _CellError("data.error.not_whole", value=_shown(value))
            number = int(parsed)
    else:
        raise _CellError("data.error.not_number", value=_shown(value))
    if not column.minimum <= number <= column.maximum:
        # years (2013 to 2035) read without a thousands separator
        shown = f"{column.maximum:,}" if column.maximum >= 10_000 else str(column.maximum)
        raise _CellError("data.error.number_range", min=column.minimum, max=shown)
    return number


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if math.isfinite(value) and float(value).is_integer() and SERIAL_MIN <= value <= SERIAL_MAX:
            serial = from_excel(value)
            if isinstance(serial, dt.datetime):
                return serial.date()
        raise _CellError("data.error.not_date", value=_shown(value))
    if isinstance(value, str):
        found = DATE_TEXT.fullmatch(unicodedata.normalize("NFKC", value).strip())
        if found:
            try:
                return dt.date(int(found[1]), int(found[2]), int(found[3]))
            except ValueError:
                pass
    raise _CellError("data.error.not_date", value=_shown(value))


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = normalize(value)
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise _CellError("data.error.not_bool", value=_shown(value))


def _choice(column: Column, value: object) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        word = normalize(value)
        for code in column.choices:
            names = {normalize(code)} | {normalize(column.choice_label(lang, code)) for lang in LANGUAGES}
            if word in names:
                return code
    raise _CellError(
        "data.error.choice",
        value=_shown(value),
        choice_keys=tuple(f"{column.choice_key}{code}" for code in column.choices),
    )


def convert(column: Column, value: object, formula: object = None) -> Any:
    """A cell's value as the column's type (None when blank); raises `_CellError` when it cannot be.

    `formula` is the same cell read without cached values: a formula with no cached result
    is refused rather than read as blank.
    """
    if value is None and (
        (isinstance(formula, str) and formula.startswith("=")) or type(formula).__name__.endswith("Formula")
    ):
        raise _CellError("data.error.formula")
    if isinstance(value, str) and EXCEL_ERROR.fullmatch(value.strip()):
        raise _CellError("data.error.excel_error", value=value.strip())
    if _blank(value):
        if column.required:
            raise _CellError("data.error.required")
        return None
    if column.kind == "text":
        return _text(column, value) or None
    if column.kind == "int":
        return _int(column, value)
    if column.kind == "date":
        return _date(value)
    if column.kind == "bool":
        return _bool(value)
    if column.kind == "choice":
        return _choice(column, value)
    if column.kind == "value" and column.parse is not None:
        try:
            return column.parse(value)
        except ValueError as error:
            raise _CellError(
                getattr(error, "key", "data.error.bad_value"), **getattr(error, "params", {})
            ) from None
    return None  # info columns are not read


def _refused(kind: RecordType, key: str, **params: Any) -> Upload:
    return Upload(kind, (), (Problem(None, None, key, params),), 0)


def _container_problem(data: bytes, max_bytes: int, max_unpacked: int) -> tuple[str, dict[str, Any]] | None:
    """Why the bytes are not an .xlsx we can open, before openpyxl sees them (None: looks fine)."""
    if not data:
        return "data.error.empty_file", {}
    if len(data) > max_bytes:
        return "data.error.too_large", {
            "size": f"{len(data) / 1024 / 1024:.1f}",
            "max": f"{max_bytes / 1024 / 1024:g}",
        }
    if data.startswith(CFB_MAGIC):
        encrypted = "EncryptedPackage".encode("utf-16-le") in data
        return ("data.error.encrypted" if encrypted else "data.error.legacy_xls"), {}
    if not data.startswith(b"PK"):
        return "data.error.not_xlsx", {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return "data.error.corrupt", {}
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names and "[Content_Types].xml" in names:
        return "data.error.not_xlsx", {}  # a Word file, an .ods, …
    if sum(entry.file_size for entry in entries) > max_unpacked:
        return "data.error.unpacked_too_large", {}
    return None


def sheet_limits(kind: RecordType, *, max_rows: int = MAX_ROWS) -> tuple[int, int]:
    """The most columns and rows a data sheet for `kind` may reach (see COLUMN_MARGIN)."""
    return kind.max_width or len(kind.columns) + COLUMN_MARGIN, HEADER_SEARCH_ROWS + max_rows + ROW_MARGIN


def parse_upload(
    data: bytes,
    kind: RecordType | str,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    time_limit: float = PARSE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    mapping: Mapping[str, str] | None = None,
    max_unpacked: int = MAX_UNPACKED,
    max_strings: int = MAX_SHARED_STRINGS,
) -> Upload:
    """Read an uploaded .xlsx for `kind`: its clean rows and every problem found, never raising.

    The data sheet is the one named like the template's (in either language), else the first.
    The header is its first non-blank row; headers may be in either language, in any order.
    Blank rows are skipped; formulas are read through their cached values.

    The work is bounded (`sheet_limits`): a sheet whose stated size is wider or longer is refused
    before its cells are read, only the columns a sheet may have are read, reading stops past the
    rows it may have whatever the sheet states, and after `time_limit` seconds the parse stops
    (checked as the workbook's bytes are read, so also while openpyxl loads shared strings).

    `mapping` (normalised header → column code, "" for none) is read before the columns' own
    headers: the headers a user mapped on screen. A kind with `ignore_unknown` also reads CSV
    (UTF-8 or GB 18030, comma, tab or semicolon separated).
    """
    kind = record_type(kind)
    deadline = _Deadline(time_limit, clock)
    reading = _Options(max_rows=max_rows, mapping=mapping or {}, max_strings=max_strings)
    if kind.ignore_unknown and data and len(data) <= max_bytes and _looks_like_text(data):
        try:
            return _read_csv(data, kind, reading, deadline)
        except _TooSlow:
            return _refused(kind, "data.error.too_slow", seconds=f"{time_limit:g}")
    trouble = _container_problem(data, max_bytes, max_unpacked)
    if trouble is not None:
        return _refused(kind, trouble[0], **trouble[1])
    try:
        return _read(data, kind, reading, deadline=deadline)
    except _TooSlow:
        return _refused(kind, "data.error.too_slow", seconds=f"{time_limit:g}")
    except Exception:
        return _refused(kind, "data.error.corrupt")


class _TooSlow(Exception):
    """The parse ran past its time limit."""


class _TooLong(Exception):
    """The sheet has more rows than it may (found while reading: its stated size said less)."""


class _Deadline:
    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.at = clock() + seconds

    def check(self) -> None:
        if self.clock() >= self.at:
            raise _TooSlow


class _TimedBytes(io.BytesIO):
    """The upload's bytes as openpyxl's zip reader reads them: every read checks the deadline, so
    loading shared strings or one enormous row stops too (zipfile reads the compressed bytes in
    blocks of at least 4 KB: a check at least every few MB of XML)."""

    def __init__(self, data: bytes, deadline: _Deadline) -> None:
        super().__init__(data)
        self.deadline = deadline

    def read(self, size: int | None = -1, /) -> bytes:
        self.deadline.check()
        return super().read(size)


def _open(data: bytes, *, data_only: bool, deadline: _Deadline) -> Any:
    return load_workbook(_TimedBytes(data, deadline), read_only=True, data_only=data_only, keep_links=False)


def _data_sheet(workbook: Any) -> Any:
    names = {normalize(label(lang, "data.sheet.data")) for lang in LANGUAGES}
    sheets = list(workbook.worksheets)
    if not sheets:
        return None
    return next((sheet for sheet in sheets if normalize(sheet.title) in names), sheets[0])


def _other_type(kind: RecordType, subject: object, headers: set[str]) -> str | None:
    """The code of another registered type this file was made for, if it says or looks so."""
    if isinstance(subject, str) and subject in REGISTRY and subject != kind.code:
        return subject
    for other in REGISTRY.values():
        if other is kind:
            continue
        required = [column for column in other.columns if column.required]
        if required and all(column.headers() & headers for column in required):
            return other.code
    return None


@dataclass
class _Part:
    """What the pre-scan found in one part of the zip (counts are close, not exact)."""

    sheet: bool = False  # holds <sheetData>: a worksheet
    dimension: bool = False  # states its size (<dimension>) before its data
    rows: int = 0
    cells: int = 0
    strings: int = 0  # <si> elements: shared strings
    formulas: bool = False


_FORMULA = re.compile(rb"<(?:\w{1,16}:)?f[\s>/]")


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, deadline: _Deadline) -> _Part:
    """Count a part's rows, cells and shared strings and look for formulas, at zlib and C string
    speed: no XML parsing (the whole file unpacked is at most MAX_UNPACKED bytes)."""
    part = _Part()
    head = b""
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(SCAN_CHUNK):
            deadline.check()
            if not part.sheet:
                head = (head + chunk)[-SCAN_CHUNK:]
                if b"sheetData" in head:
                    part.sheet = True
                    before = head[: head.index(b"sheetData")]
                    part.dimension = b"<dimension" in before or b":dimension" in before
            part.rows += sum(chunk.count(tag) for tag in (b"<row ", b"<row>", b":row ", b":row>"))
            part.cells += sum(chunk.count(tag) for tag in (b"<c ", b"<c>", b":c ", b":c>"))
            part.strings += sum(chunk.count(tag) for tag in (b"<si>", b"<si ", b":si>", b":si "))
            part.formulas = part.formulas or _FORMULA.search(tail + chunk) is not None
            tail = chunk[-32:]
    return part


def _scan(data: bytes, deadline: _Deadline) -> list[_Part]:
    with zipfile.ZipFile(_TimedBytes(data, deadline)) as archive:
        return [_scan_part(archive, info, deadline) for info in archive.infolist() if not info.is_dir()]


def _size_problem(kind: RecordType, parts: Sequence[_Part], options: _Options) -> Upload | None:
    """A refusal, before openpyxl opens the file, of more shared strings than a template holds, or
    of a worksheet that states no size (openpyxl would read all of it just to find one) and holds
    more rows or cells than a sheet may."""
    strings = sum(part.strings for part in parts)
    if strings > options.max_strings:
        return _refused(kind, "data.error.too_much_text", n=f"{strings:,}", max=f"{options.max_strings:,}")
    max_rows = options.max_rows
    max_columns, max_sheet_rows = sheet_limits(kind, max_rows=max_rows)
    for part in parts:
        if not part.sheet or part.dimension:
            continue
        if part.rows > max_sheet_rows:
            return _refused(kind, "data.error.sheet_too_long", last=f"{part.rows:,}", max=f"{max_rows:,}")
        if part.cells > max_sheet_rows * max_columns:
            return _refused(
                kind,
                "data.error.sheet_too_big",
                cells=f"{part.cells:,}",
                max=f"{max_sheet_rows * max_columns:,}",
            )
    return None


@dataclass(frozen=True)
class _Options:
    max_rows: int
    mapping: Mapping[str, str]
    max_strings: int


def _read(data: bytes, kind: RecordType, options: _Options, *, deadline: _Deadline) -> Upload:
    parts = _scan(data, deadline)
    refused = _size_problem(kind, parts, options)
    if refused is not None:
        return refused
    values_book = _open(data, data_only=True, deadline=deadline)
    try:
        # Formulas are read twice (cached value, and whether there is one): a file without any is
        # read once (a 5,000-row visits file: 1.0 s of CPU → 0.45 s).
        if not any(part.formulas for part in parts if part.sheet):
            return _read_sheets(kind, values_book, None, options, deadline=deadline)
        formula_book = _open(data, data_only=False, deadline=deadline)
        try:
            return _read_sheets(kind, values_book, formula_book, options, deadline=deadline)
        finally:
            formula_book.close()
    finally:
        values_book.close()


class _Reading:
    """Counts what the parse looked at: rows (from row 1) and cells."""

    def __init__(self) -> None:
        self.rows = 0
        self.cells = 0

    def bounded(
        self, pairs: Iterator[tuple[Any, Any]], *, max_sheet_rows: int, deadline: _Deadline
    ) -> Iterator[tuple[Any, Any]]:
        """`pairs` until the row cap (then `_TooLong`) or the deadline (`_TooSlow`)."""
        for pair in pairs:
            deadline.check()
            self.rows += 1
            if self.rows > max_sheet_rows:
                raise _TooLong
            self.cells += len(pair[0])
            yield pair


def _extent_problem(
    kind: RecordType, sheet: Any, *, max_columns: int, max_sheet_rows: int, max_rows: int
) -> Upload | None:
    """A refusal when the sheet's stated size (its <dimension>) is larger than it may be."""
    columns, rows = sheet.max_column, sheet.max_row  # None when the sheet states no size
    if isinstance(columns, int) and columns > max_columns and kind.ignore_unknown:
        # a county's own file: any columns in any order, so no column is said to be the last one kept
        return _refused(
            kind, "data.error.sheet_too_wide_load", last=get_column_letter(columns), max=f"{max_columns:,}"
        )
    if isinstance(columns, int) and columns > max_columns:
        return _refused(
            kind,
            "data.error.sheet_too_wide",
            last=get_column_letter(columns),
            width=f"{columns:,}",
            template=len(kind.columns),
            keep=get_column_letter(len(kind.columns)),
        )
    if isinstance(rows, int) and rows > max_sheet_rows:
        return _refused(kind, "data.error.sheet_too_long", last=f"{rows:,}", max=f"{max_rows:,}")
    return None


def _find_header(
    kind: RecordType, pairs: Iterator[tuple[Any, Any]], mapping: Mapping[str, str]
) -> tuple[Any, int, Iterator[tuple[Any, Any]]]:
    """The header row (the first with a known header among the first rows, else the first non-blank
    one), its number, and the rows after it."""
    known = {name for column in kind.columns for name in column.headers()} | set(mapping)
    seen: list[tuple[int, tuple[Any, Any]]] = []
    for number, pair in enumerate(pairs, start=1):
        seen.append((number, pair))
        if any(not _blank(value) and normalize(value) in known for value in pair[0]):
            return pair[0], number, pairs
        if number >= HEADER_SEARCH_ROWS:
            break
    first = next(((number, pair) for number, pair in seen if any(not _blank(v) for v in pair[0])), None)
    if first is None:
        return None, 0, pairs
    number, pair = first
    rest = [later for n, later in seen if n > number]
    return pair[0], number, itertools.chain(rest, pairs)


def _read_sheets(
    kind: RecordType, values_book: Any, formula_book: Any | None, options: _Options, *, deadline: _Deadline
) -> Upload:
    max_rows = options.max_rows
    values_sheet = _data_sheet(values_book)
    if values_sheet is None:
        return _refused(kind, "data.error.no_header")
    max_columns, max_sheet_rows = sheet_limits(kind, max_rows=max_rows)
    too_big = _extent_problem(
        kind, values_sheet, max_columns=max_columns, max_sheet_rows=max_sheet_rows, max_rows=max_rows
    )
    if too_big is not None:
        return too_big
    sheets = [values_sheet] if formula_book is None else [values_sheet, formula_book[values_sheet.title]]
    rows = []
    for sheet in sheets:
        # Stated sizes may be wrong (or missing): read rows until the sheet ends or the row cap,
        # and never more columns than the sheet may have.
        sheet.reset_dimensions()
        rows.append(sheet.iter_rows(min_row=1, min_col=1, max_col=max_columns, values_only=True))
    no_formulas = itertools.repeat(())
    reading = _Reading()
    pairs: Iterator[tuple[Any, Any]] = reading.bounded(
        zip(rows[0], rows[1] if len(rows) > 1 else no_formulas, strict=False),
        max_sheet_rows=max_sheet_rows,
        deadline=deadline,
    )
    try:
        upload = _read_rows(kind, values_book.properties.subject, pairs, options)
    except _TooLong:
        upload = _refused(
            kind, "data.error.sheet_too_long", last=f"{max_sheet_rows + 1:,}", max=f"{max_rows:,}"
        )
    return dataclasses.replace(upload, cells_read=reading.cells)


def _read_rows(
    kind: RecordType, subject: object, pairs: Iterator[tuple[Any, Any]], options: _Options
) -> Upload:
    """The upload from a sheet's rows: its header row checked, then the data rows below it read."""
    header, header_row, pairs = _find_header(kind, pairs, options.mapping)
    if header is None:
        return _refused(kind, "data.error.no_header")
    headers = tuple(_shown(text) for text in header if not _blank(text))
    positions, ignored, refused = _header_columns(kind, subject, header, options.mapping)
    if refused is not None:
        return dataclasses.replace(refused, headers=headers)
    upload = _read_data(
        kind, pairs, header=header, header_row=header_row, positions=positions, max_rows=options.max_rows
    )
    return dataclasses.replace(upload, headers=headers, ignored=tuple(ignored))


def _header_positions(
    kind: RecordType, header: Any, mapping: Mapping[str, str]
) -> tuple[dict[str, int], list[str], list[Problem]]:
    """Where each known column is in the header row, the headers no column has, and a problem for
    each column given twice."""
    positions: dict[str, int] = {}
    unknown: list[str] = []
    problems: list[Problem] = []
    by_header = {name: column for column in kind.columns for name in column.headers()}
    by_code = {column.code: column for column in kind.columns}
    for index, text in enumerate(header):
        if _blank(text):
            continue
        name = normalize(text)
        column = by_code.get(mapping[name]) if name in mapping else by_header.get(name)
        if column is None:
            unknown.append(_shown(text))
        elif column.code in positions:
            problems.append(
                Problem(
                    None,
                    column.code,
                    "data.error.duplicate_column",
                    {"name": _shown(text)},
                    get_column_letter(index + 1),
                )
            )
        else:
            positions[column.code] = index
    return positions, unknown, problems


def header_assignment(kind: RecordType, headers: Sequence[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Each header text as written → the column code it is read as ("" for none), as the reader
    reads it: a saved mapping first, then the columns' own headers; a column taken once only."""
    by_header = {name: column.code for column in kind.columns for name in column.headers()}
    assigned: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        name = normalize(header)
        code = mapping[name] if name in mapping else by_header.get(name, "")
        if code and (code in taken or code not in kind.codes):
            code = ""
        assigned[header] = code
        taken.add(code)
    return assigned


def _header_columns(
    kind: RecordType, subject: object, header: Any, mapping: Mapping[str, str]
) -> tuple[dict[str, int], list[str], Upload | None]:
    """The columns' positions, the headers read as no column (kinds that ignore unknown ones), and
    the upload refused for its header when it is another record type's file or has columns
    missing, unknown or given twice (else None)."""
    positions, unknown, problems = _header_positions(kind, header, mapping)
    seen_headers = {normalize(text) for text in header if not _blank(text)}
    other = _other_type(kind, subject, seen_headers)
    missing = tuple(
        column.code for column in kind.columns if column.required and column.code not in positions
    )
    if other is not None and (missing or subject == other):
        return positions, [], _refused(kind, "data.error.other_type", type_code=other)
    if missing:
        problems.append(Problem(None, None, "data.error.missing_columns", {"columns": missing}))
    ignored = unknown if kind.ignore_unknown else []
    if unknown and not kind.ignore_unknown:
        problems.append(Problem(None, None, "data.error.unknown_columns", {"names": ", ".join(unknown[:10])}))
    if problems:
        return positions, ignored, Upload(kind, (), tuple(problems), 0, _letters(positions))
    return positions, ignored, None


def _letters(positions: Mapping[str, int]) -> dict[str, str]:
    """Each column's letter in the sheet, by column code."""
    return {code: get_column_letter(index + 1) for code, index in positions.items()}


def _read_data(
    kind: RecordType,
    pairs: Iterator[tuple[Any, Any]],
    *,
    header: Any,
    header_row: int,
    positions: Mapping[str, int],
    max_rows: int,
) -> Upload:
    """The data rows below the header: blank ones skipped, the rest kept as `Row`s or reported
    cell by cell, refused past `max_rows` or when there are none."""
    letters = _letters(positions)
    rows: list[Row] = []
    problems: list[Problem] = []
    row_count = 0
    headerless: set[int] = set()
    for number, (values, formulas) in enumerate(pairs, start=header_row + 1):
        if all(_blank(value) for value in values) and all(_blank(value) for value in formulas):
            continue
        row_count += 1
        if row_count > max_rows:
            return _refused(kind, "data.error.too_many_rows", max=f"{max_rows:,}")
        read, bad = _row_values(kind, number, values, formulas, positions, letters)
        if not kind.ignore_unknown:
            bad += _headerless_cells(header, number, values, headerless)
        problems += bad
        if not bad:
            rows.append(Row(number, read))
    if row_count == 0:
        return _refused(kind, "data.error.no_rows")
    return Upload(kind, tuple(rows), tuple(problems), row_count, letters)


def _row_values(
    kind: RecordType,
    number: int,
    values: Sequence[Any],
    formulas: Sequence[Any],
    positions: Mapping[str, int],
    letters: Mapping[str, str],
) -> tuple[dict[str, Any], list[Problem]]:
    """One data row's converted values by column code, and a problem for each cell that does not
    convert."""
    read: dict[str, Any] = {}
    problems: list[Problem] = []
    for column in kind.columns:
        if column.kind == "info":
            continue
        position = positions.get(column.code)
        value = values[position] if position is not None and position < len(values) else None
        formula = formulas[position] if position is not None and position < len(formulas) else None
        try:
            read[column.code] = convert(column, value, formula)
        except _CellError as error:
            problems.append(Problem(number, column.code, error.key, error.params, letters.get(column.code)))
    return read, problems


def _headerless_cells(header: Any, number: int, values: Sequence[Any], reported: set[int]) -> list[Problem]:
    """A problem for each value in a column without a header, once per column: `reported` holds the
    columns already reported, and gains the new ones."""
    problems: list[Problem] = []
    header_width = len(header)
    for index, value in enumerate(values):
        if (index >= header_width or _blank(header[index])) and not _blank(value) and index not in reported:
            reported.add(index)
            problems.append(Problem(number, None, "data.error.headerless", {}, get_column_letter(index + 1)))
    return problems


# --- CSV ----------------------------------------------------------------------------------------

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel's "CSV UTF-8", and what Chinese Excel saves by default
CSV_SEPARATORS = (",", "\t", ";")


def _looks_like_text(data: bytes) -> bool:
    """Whether the bytes could be a CSV file: no zip or old-Office signature and no NUL bytes."""
    head = data[:4096]
    return not head.startswith((b"PK", CFB_MAGIC)) and b"\x00" not in head


def _decoded(data: bytes) -> str | None:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _read_csv(data: bytes, kind: RecordType, options: _Options, deadline: _Deadline) -> Upload:
    """A CSV file read as a sheet: every cell is text, converted by its column like a typed one."""
    text = _decoded(data)
    if text is None:
        return _refused(kind, "data.error.not_text")
    if "\x00" in text:  # no text file holds one; a database would store it, or refuse it mid-write
        return _refused(kind, "data.error.nul_byte", line=text[: text.index("\x00")].count("\n") + 1)
    first_line = text.split("\n", 1)[0]
    separator = max(CSV_SEPARATORS, key=first_line.count)
    max_columns, max_sheet_rows = sheet_limits(kind, max_rows=options.max_rows)
    try:
        records = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
        reading = _Reading()
        pairs = reading.bounded(
            ((tuple(record[:max_columns]), ()) for record in records),
            max_sheet_rows=max_sheet_rows,
            deadline=deadline,
        )
        upload = _read_rows(kind, None, pairs, options)
    except _TooLong:
        return _refused(
            kind, "data.error.sheet_too_long", last=f"{max_sheet_rows + 1:,}", max=f"{options.max_rows:,}"
        )
    except csv.Error:  # strict: a quote never closed, or text after a closing quote
        return _refused(kind, "data.error.csv_quote", line=records.line_num)
    return dataclasses.replace(upload, cells_read=reading.cells)
