"""Every Excel file the app writes holds values, never formulas (issue 15, item 3).

Text that people typed and that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
written as text with an apostrophe in front (OWASP's CSV-injection advice), so no spreadsheet
evaluates `=HYPERLINK(…)` or `=cmd|' /C calc'!A0`; numbers, negative ones too, stay numbers.
The page test plants such values in every free-text field of the hand county that reaches a
download and builds every download through the callable its button holds.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from lib.core.db import make_engine
from lib.core.models import (
    AuditEntry,
    Cadre,
    Household,
    Industry,
    Meta,
    Organisation,
    OrganisationLink,
    Town,
    TrainingProgramme,
    TrainingSession,
    User,
    VerificationVisit,
    Village,
)
from lib.files import export, imports
from lib.rules import permissions
from lib.services import auth, rollups
from lib.services.accounts import create_user_service
from tests.support.apptest import AppFactory, open_tab

# What a spreadsheet may take for the start of a formula (OWASP: = + - @ tab carriage return;
# a line feed and NUL as well).
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-3+4",
    "@SUM(1)",
    "\t=1",
    "\r=1",
]


def _shown(value: Any) -> Any:
    """A cell's text as a spreadsheet shows it: OOXML's _xHHHH_ escapes (a carriage return is
    stored as _x000D_) decoded, which openpyxl leaves as they are."""
    if not isinstance(value, str):
        return value
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda match: chr(int(match.group(1), 16)), value)


def _offending(data: bytes) -> list[str]:
    """Every formula cell, and every text cell starting with a dangerous character, of a workbook."""
    book = load_workbook(io.BytesIO(data), data_only=False)
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                text = _shown(cell.value)
                if cell.data_type == "f" or (isinstance(text, str) and text.startswith(DANGEROUS)):
                    found.append(f"{sheet.title}!{cell.coordinate}={cell.value!r}")
    return found


def _texts(data: bytes) -> set[str]:
    book = load_workbook(io.BytesIO(data))
    return {
        _shown(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }


# --- the one helper ------------------------------------------------------------------------------


def test_text_that_looks_like_a_formula_is_written_as_text() -> None:
    frame = pd.DataFrame(
        {
            "text": [*PAYLOADS, "plain", "", None],
            "number": [-3, -2.5, 0, 1, 2, 3, 4, 5, 6, 7],
        }
    )
    data = export.excel_bytes({"list": frame}, title_lines={"list": ["=1+1", "@scope"]})
    assert _offending(data) == []
    sheet = load_workbook(io.BytesIO(data))["list"]
    assert sheet["A1"].value == "'=1+1" and sheet["A2"].value == "'@scope"
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    assert [_shown(row[0]) for row in rows] == [*("'" + p for p in PAYLOADS), "plain", None, None]
    assert [row[1] for row in rows] == [-3, -2.5, 0, 1, 2, 3, 4, 5, 6, 7]  # numbers stay numbers
    assert sheet["B5"].data_type == "n"


def test_cell_value_neutralises_text_only() -> None:
    assert export.cell_value("=1+1") == "'=1+1"
    assert export.cell_value("-5") == "'-5"  # text, even when it reads as a number
    assert export.cell_value(-5) == -5
    assert export.cell_value(-0.5) == -0.5
    assert export.cell_value("'=1+1") == "'=1+1"  # already safe: left as it is
    assert export.cell_value("a\x00b\x07c") == "abc"  # characters an .xlsx cannot hold
    assert export.cell_value("\x00=1") == "'=1"
    assert export.cell_value(float("nan")) is None
    assert export.cell_value(pd.NaT) is None
    assert export.cell_value(dt.date(2020, 1, 2)) == dt.date(2020, 1, 2)
    assert export.cell_value(True) is True


def test_templates_prefilled_with_such_text_hold_no_formula() -> None:
    rows = [
        {
            "archive_no": "=cmd|' /C calc'!A0",
            "village": '=HYPERLINK("http://x","y")',
            "head_name": "@SUM(1)",
            "status": "poor",
            "version": 1,
        }
    ]
    for lang in ("zh", "en"):
        data = imports.template_bytes(imports.HOUSEHOLD_STATUS, lang=lang, rows=rows)
        assert _offending(data) == []
        assert {"'=cmd|' /C calc'!A0", "'@SUM(1)"} <= _texts(data)


def test_a_neutralised_archive_number_reads_back_as_it_was() -> None:
    """A prefilled template goes back in unchanged: the apostrophe the download added comes off."""
    rows = [{"archive_no": "-0001", "village": "v", "head_name": "h", "status": "poor", "version": 1}]
    for column in imports.HOUSEHOLD_STATUS.columns:
        if column.kind == "bool":
            rows[0][column.code] = True
    upload = imports.parse_upload(
        imports.template_bytes(imports.HOUSEHOLD_STATUS, lang="en", rows=rows), imports.HOUSEHOLD_STATUS
    )
    assert [row.values["archive_no"] for row in upload.rows] == ["-0001"]


# --- every download of every page -------------------------------------------------------------


def _plant(url: str) -> None:
    """Put a payload into every free-text field of the hand county that a download shows, add an
    organisation with one single-link household and a signature product, and audit rows."""
    engine = make_engine(url)
    with Session(engine) as session:

        def payload(number: int, length: int) -> str:
            return PAYLOADS[number % len(PAYLOADS)][:length]

        for model, columns, length in (
            (Town, ("name_zh", "name_en"), 60),
            (Village, ("name_zh", "name_en", "signature_product_zh", "signature_product_en"), 60),
            (Household, ("head_name", "helper_name", "helper_unit"), 40),
            (Industry, ("name_zh", "name_en"), 40),
            (Cadre, ("name", "sent_by_unit_zh", "sent_by_unit_en"), 40),
            (TrainingProgramme, ("name_zh", "name_en"), 80),
            (TrainingSession, ("place_zh", "place_en"), 80),
            (VerificationVisit, ("visitor_name", "problems"), 40),
            (User, ("display_name",), 60),
            (AuditEntry, ("reason", "old_values", "new_values"), 200),
        ):
            for row in session.scalars(select(model)).all():
                for number, column in enumerate(columns):
                    setattr(row, column, payload(cast(Any, row).id + number, length))
        for household in session.scalars(select(Household)).all():
            household.archive_no = f"{payload(household.id, 16)}{household.id:04d}"[:24]
        session.execute(update(Village).where(Village.id == 1).values(signature_industry_id=1))
        organisation = Organisation(
            id=1, kind="enterprise", name_zh=PAYLOADS[1], name_en=PAYLOADS[1], town_id=1, industry_id=1
        )
        session.add(organisation)
        session.flush()
        session.add(
            OrganisationLink(
                id=1, organisation_id=1, household_id=1, benefit_type="wages", annual_amount=-1200
            )
        )
        session.execute(update(Meta).where(Meta.key == "data_version").values(value="2"))
        session.flush()
        rollups.rebuild(session)
        session.commit()
    engine.dispose()


@pytest.fixture
def planted_url(hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        for username, role, town in (("ada", "admin", None), ("tom", "town_editor", "349901100")):
            create_user_service(
                session,
                actor=permissions.COMMAND_LINE,
                username=username,
                password=f"{username}-password",
                display_name=username.title(),
                role=role,
                town_code=town,
                can_see_names=True,
                reason="first accounts",
            )
    engine.dispose()
    _plant(hand_sqlite_url)
    return hand_sqlite_url


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Callable[[], Any]]]]:
    """Every .xlsx download button's file name and data as the page handed it to Streamlit: the
    callable a click runs (or the bytes of a button given them at once)."""
    found: list[tuple[str, Callable[[], Any]]] = []
    add_deferred = MediaFileManager.add_deferred
    add = MediaFileManager.add

    def recording_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        if (file_name or "").endswith(".xlsx"):
            found.append((file_name, data_callable))
        return add_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    def recording_add(self, data, mimetype, coordinates, file_name=None, **kwargs):
        if (file_name or "").endswith(".xlsx"):
            found.append((file_name, lambda: data))
        return add(self, data, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", recording_deferred)
    monkeypatch.setattr(MediaFileManager, "add", recording_add)
    yield found


def _tabs(at: AppTest, key: str) -> None:
    for label in [tab.label for tab in at.tabs]:
        open_tab(at, key, label)


def _sign_in(at: AppTest, username: str) -> None:
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(f"{username}-password")
    next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception


def _visit_every_download(at: AppTest) -> None:
    """As the administrator, open every page and tab that offers an Excel download."""
    _sign_in(at, "ada")
    for page, key in (
        ("pages/industry.py", "industry_tab"),
        ("pages/training.py", "training_tab"),
        ("pages/assessment.py", "assessment_tab"),
    ):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        _tabs(at, key)
    at.switch_page("pages/map.py").run()
    at.session_state["map_level"] = "town"
    at.run()
    assert not at.exception, at.exception
    at.query_params.clear()
    at.query_params.update({"lang": "en", "code": "349901100201"})
    at.switch_page("pages/village.py").run()
    assert not at.exception, at.exception
    at.query_params.clear()
    at.query_params["lang"] = "en"
    at.switch_page("pages/data.py").run()
    for code in imports.REGISTRY:
        at.selectbox(key="data_type").set_value(code).run()
        assert not at.exception, at.exception


def _upload_a_bad_file(at: AppTest) -> None:
    """As a town editor, upload visits with formula-like text: the report of problems downloads."""
    _sign_in(at, "tom")
    at.selectbox(key="data_type").set_value("household_status").run()  # prefilled with town A's households
    at.selectbox(key="data_type").set_value("visits").run()
    bad = imports.template_bytes("visits", lang="en")
    book = load_workbook(io.BytesIO(bad))
    book.worksheets[0].append(["=cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "=1+1"])
    buffer = io.BytesIO()
    book.save(buffer)
    uploader: Any = at.get("file_uploader")[0]
    uploader.set_value(("visits.xlsx", buffer.getvalue(), "application/octet-stream"))
    at.run()
    assert not at.exception, at.exception


def test_no_download_writes_a_formula(open_app: AppFactory, planted_url: str, downloads) -> None:
    at = open_app(planted_url, lang="en")
    assert not at.exception, at.exception
    _visit_every_download(at)
    _upload_a_bad_file(open_app(planted_url, "pages/data.py", lang="en"))
    built: list[tuple[str, bytes]] = [(name, make()) for name, make in downloads]
    expected_files = [  # every page's Excel downloads on the hand county, templates and a report
        *(f"349901100201_{table}.xlsx" for table in ("households", "households_by_stage", "industry")),
        *(f"349901100201_{table}.xlsx" for table in ("links", "plans", "team", "team_history", "verify")),
        "towns.xlsx",
        "villages_due.xlsx",
        "industry_gaps_2020-10-31.xlsx",
        "single_link_2020-10-31.xlsx",
        "products_2020-10-31.xlsx",
        "organisations_2020-10-31.xlsx",
        "assessment_issues_2020-10-31.xlsx",
        "mock_assessment_2020_2020-10-31.xlsx",
        *(f"training_{table}_2020-10-31.xlsx" for table in ("phases", "sessions", "tours", "waiting")),
        "map_exit_status_village.xlsx",
        "map_exit_status_town.xlsx",
        "towns_2020-10-31.xlsx",
        "villages_2020-10-31.xlsx",
        "change_log_2020-10-31.xlsx",
        "visits_template_en.xlsx",
        "household_status_template_en.xlsx",
        "industry_plans_template_en.xlsx",
        "visits_problems.xlsx",
    ]
    assert set(expected_files) <= {name for name, _ in built}, sorted(name for name, _ in built)
    offending = [(name, cells) for name, data in built if (cells := _offending(data))]
    assert offending == []
    # The planted text reached the downloads (neutralised), so the check above looked at it.
    texts: dict[str, set[str]] = {}
    for name, data in built:
        texts.setdefault(name, set()).update(_texts(data))
    assert {"'" + payload for payload in PAYLOADS} <= set().union(*texts.values())
    assert any(text.startswith("'=HYPERLINK") for text in texts["industry_gaps_2020-10-31.xlsx"])
    assert any(text.startswith("'=cmd|") for text in texts["single_link_2020-10-31.xlsx"])
    assert any(text.startswith("'") for text in texts["change_log_2020-10-31.xlsx"])
    assert any(text.startswith("'") for text in texts["household_status_template_en.xlsx"])
    assert any(text.startswith("'") for text in texts["mock_assessment_2020_2020-10-31.xlsx"])


# --- long lists: streamed, with the rows, labels and formats they had ---------------------------


def _before_streaming(sheets: dict[str, pd.DataFrame], titles: dict[str, list[str]]) -> bytes:
    """A workbook as the downloads were written before they were streamed (pandas' to_excel into
    openpyxl, then title lines, bold headers, frozen panes and widths): the reference."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            lines = titles.get(name, [])
            start = len(lines) + (1 if lines else 0)
            frame.to_excel(writer, sheet_name=name, index=False, startrow=start)
            sheet = writer.sheets[name]
            for row, line in enumerate(lines, start=1):
                sheet.cell(row=row, column=1, value=line).font = Font(
                    bold=row == 1, size=14 if row == 1 else 11
                )
            for cell in sheet[start + 1]:
                cell.font = Font(bold=True)
            sheet.freeze_panes = sheet.cell(row=start + 2, column=1)
            for index, column in enumerate(frame.columns, start=1):
                values = [str(column), *(str(v) for v in frame[column].head(500))]
                width = max(len(v) + sum(1 for ch in v if ord(ch) > 0x2E80) for v in values)
                sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    return buffer.getvalue()


def _sheets(data: bytes) -> dict[str, Any]:
    """Each sheet's rows (values), its date cells' formats, bold cells, frozen panes and widths."""
    book = load_workbook(io.BytesIO(data))
    out = {}
    for sheet in book.worksheets:
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        while rows and all(value is None for value in rows[-1]):
            rows.pop()
        out[sheet.title] = {
            "rows": [_trimmed(row) for row in rows],
            "date_formats": {cell.number_format for row in sheet.iter_rows() for cell in row if cell.is_date},
            "bold": [
                (cell.coordinate, cell.font.sz or 11)  # no size: the default, 11
                for row in sheet.iter_rows(max_row=8)
                for cell in row
                if cell.font.b and cell.value is not None
            ],
            "freeze": sheet.freeze_panes,
            "widths": {  # a width may cover a range of columns
                number: dim.width
                for dim in sheet.column_dimensions.values()
                if dim.width and dim.customWidth
                for number in range(dim.min or 1, (dim.max or dim.min or 1) + 1)
            },
        }
    return out


def _trimmed(row: list[Any]) -> list[Any]:
    while row and row[-1] is None:
        row = row[:-1]
    return row


@pytest.fixture
def demo_copy_url(demo_engine: Engine, tmp_path: Path) -> str:
    """A copy of the session's demo county (signing in writes to it)."""
    import shutil

    path = tmp_path / "demo.db"
    shutil.copy(str(demo_engine.url.database), path)
    return f"sqlite:///{path}"


def test_long_list_downloads_keep_their_rows_labels_and_formats(
    open_app: AppFactory, demo_copy_url: str, downloads, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gaps, single-link, issue and change-log downloads of four towns of the demo county,
    read 150 rows at a time, hold cell for cell what the whole lists written at once held."""
    from lib.core import config
    from lib.core.i18n import set_language, t
    from lib.present import assessment_view, industry_view
    from lib.queries import assessment as assessment_queries
    from lib.queries import audit, common, industry
    from lib.ui import paging

    monkeypatch.setattr(common, "CHUNK_ROWS", 150)
    towns = ["349901100", "349901101", "349901102", "349901103"]
    at = open_app(demo_copy_url, lang="en", town=towns)
    at.sidebar.text_input(key="sign_in_username").input("leader")
    at.sidebar.text_input(key="sign_in_password").input("demo-password")
    next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception
    at.switch_page("pages/industry.py").run()
    open_tab(at, "industry_tab", "Gaps")
    open_tab(at, "industry_tab", "Enterprises and cooperatives")
    at.switch_page("pages/assessment.py").run()
    open_tab(at, "assessment_tab", "Data issues")
    at.switch_page("pages/data.py").run()
    assert not at.exception, at.exception
    built = {name: make() for name, make in downloads}

    set_language("en")
    engine = make_engine(demo_copy_url)
    with Session(engine) as session:
        as_of = dt.date.fromisoformat(session.scalar(select(Meta.value).where(Meta.key == "as_of")) or "")
        months = config.stuck_after_months()
        whole = paging.EXPORT_LIMIT
        no_plan, stuck = industry_view.gap_sheet_names(months)
        gaps = {
            no_plan: industry_view.gaps_table(
                industry.gaps_no_plan(session, town_codes=towns, limit=whole), show_names=True
            ),
            stuck: industry_view.stuck_table(
                industry.stuck_plans(session, as_of=as_of, months=months, town_codes=towns, limit=whole),
                show_names=True,
            ),
        }
        single = industry_view.single_link_table(
            industry.single_link_households(session, town_codes=towns, limit=whole), show_names=True
        )
        issues = assessment_view.issue_table(
            assessment_queries.issue_households(session, as_of=as_of, town_codes=towns, limit=whole),
            show_names=True,
        )
        log = audit.change_log(session, limit=5000)
    engine.dispose()
    assert min(len(frame) for frame in [*gaps.values(), single, issues]) > 600  # several chunks each
    from lib.ui.data_forms import CHANGE_LOG_LABELS

    log = log.rename(columns={column: t(key) for column, key in CHANGE_LOG_LABELS.items()})
    expected = {
        f"industry_gaps_{as_of}.xlsx": (gaps, t("industry.no_plan")[:31]),
        f"single_link_{as_of}.xlsx": ({f"single_link_{as_of}": single}, None),
        f"assessment_issues_{as_of}.xlsx": (
            {t("assessment.issues_title"): issues},
            t("assessment.issues_title"),
        ),
        f"change_log_{as_of}.xlsx": ({f"change_log_{as_of}": log}, f"change_log_{as_of}"),
    }
    for name, (sheets, titled) in expected.items():
        got = _sheets(built[name])
        assert list(got) == list(sheets), name
        titles = {}
        if titled:  # the title lines come from the page (title, then where): taken as they are
            rows = got[titled]["rows"]
            titles[titled] = [row[0] for row in rows[: rows.index([]) if [] in rows else 0]]
            assert titles[titled][0] in {
                t("industry.title"),
                t("assessment.title"),
                t("data.export.change_log"),
            }
        want = _sheets(_before_streaming(sheets, titles))
        for sheet in sheets:
            assert got[sheet]["rows"][:60] == want[sheet]["rows"][:60], (name, sheet)  # the first rows
            assert got[sheet]["rows"] == want[sheet]["rows"], (name, sheet)
            assert got[sheet] == want[sheet], (name, sheet)


def test_lists_read_in_chunks_are_the_whole_lists(
    hand_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On both databases: one query read two rows at a time (a server-side cursor on PostgreSQL,
    with the benefit types looked up between chunks) gives the rows of the whole list, in order."""
    from lib.queries import assessment as assessment_queries
    from lib.queries import audit, common, industry

    as_of = dt.date(2020, 10, 31)
    with Session(hand_engine) as session:
        session.add(Organisation(id=1, kind="cooperative", name_zh="合作社", name_en="Co-op", town_id=1))
        session.flush()
        for number, (household, benefit) in enumerate(
            [(1, "wages"), (1, "dividend"), (2, "land_rent"), (5, "wages"), (7, "guaranteed_purchase")],
            start=1,
        ):
            session.add(
                OrganisationLink(
                    id=number,
                    organisation_id=1,
                    household_id=household,
                    benefit_type=benefit,
                    annual_amount=100,
                )
            )
        session.commit()
    monkeypatch.setattr(common, "CHUNK_ROWS", 2)
    lists: list[tuple[Callable[..., Any], Callable[..., Any], dict[str, Any]]] = [
        (industry.gaps_no_plan, industry.gaps_no_plan_chunks, {}),
        (industry.stuck_plans, industry.stuck_plans_chunks, {"as_of": as_of}),
        (industry.single_link_households, industry.single_link_households_chunks, {}),
        (assessment_queries.issue_households, assessment_queries.issue_households_chunks, {"as_of": as_of}),
    ]
    with Session(hand_engine) as session:
        for whole, chunked, options in lists:
            for limit in (None, 3):
                expected = whole(session, limit=limit, **options)
                chunks = list(chunked(session, limit=limit, **options))
                assert [len(chunk) for chunk in chunks][:-1] == [2] * (len(chunks) - 1), whole.__name__
                got = pd.concat(chunks, ignore_index=True)
                assert len(expected) >= 3, whole.__name__
                pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=whole.__name__)
        log = list(audit.change_log_chunks(session))
        assert len(log) == 1 and log[0].empty and list(log[0].columns) == audit.CHANGE_COLUMNS
