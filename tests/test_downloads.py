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
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from lib import auth, export, imports
from lib.db import make_engine
from lib.models import (
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
from lib.services import rollups
from lib.services.accounts import create_user_service
from tests.support.apptest import open_tab

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


def _offending(data: bytes) -> list[str]:
    """Every formula cell, and every text cell starting with a dangerous character, of a workbook."""
    book = load_workbook(io.BytesIO(data), data_only=False)
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (
                    isinstance(cell.value, str) and cell.value.startswith(DANGEROUS)
                ):
                    found.append(f"{sheet.title}!{cell.coordinate}={cell.value!r}")
    return found


def _texts(data: bytes) -> set[str]:
    book = load_workbook(io.BytesIO(data))
    return {
        cell.value
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
    assert [row[0] for row in rows] == [*("'" + p for p in PAYLOADS), "plain", None, None]
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
                    setattr(row, column, payload(row.id + number, length))
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
                actor=auth.COMMAND_LINE,
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

    def recording_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):  # type: ignore[no-untyped-def]
        if (file_name or "").endswith(".xlsx"):
            found.append((file_name, data_callable))
        return add_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    def recording_add(self, data, mimetype, coordinates, file_name=None, **kwargs):  # type: ignore[no-untyped-def]
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
        ("views/industry_page.py", "industry_tab"),
        ("views/training_page.py", "training_tab"),
        ("views/assessment_page.py", "assessment_tab"),
    ):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        _tabs(at, key)
    at.switch_page("views/map_page.py").run()
    at.session_state["map_level"] = "town"
    at.run()
    assert not at.exception, at.exception
    at.query_params.clear()
    at.query_params.update({"lang": "en", "code": "349901100201"})
    at.switch_page("views/village_page.py").run()
    assert not at.exception, at.exception
    at.query_params.clear()
    at.query_params["lang"] = "en"
    at.switch_page("views/data_page.py").run()
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
    at.get("file_uploader")[0].set_value(("visits.xlsx", buffer.getvalue(), "application/octet-stream"))
    at.run()
    assert not at.exception, at.exception


def test_no_download_writes_a_formula(open_app, planted_url: str, downloads) -> None:  # type: ignore[no-untyped-def]
    at = open_app(planted_url, lang="en")
    assert not at.exception, at.exception
    _visit_every_download(at)
    _upload_a_bad_file(open_app(planted_url, "views/data_page.py", lang="en"))
    built: list[tuple[str, bytes]] = [(name, make()) for name, make in downloads]
    expected_files = [
        "industry_gaps_2020-10-31.xlsx",
        "single_link_2020-10-31.xlsx",
        "assessment_issues_2020-10-31.xlsx",
        "mock_assessment_2020_2020-10-31.xlsx",
        "map_exit_status_village.xlsx",
        "map_exit_status_town.xlsx",
        "towns_2020-10-31.xlsx",
        "villages_2020-10-31.xlsx",
        "change_log_2020-10-31.xlsx",
        "visits_template_en.xlsx",
        "household_status_template_en.xlsx",
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
