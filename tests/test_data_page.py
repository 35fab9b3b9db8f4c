"""The import & export page under AppTest: who sees what, a real upload checked row by row, an
all-or-nothing import that the Overview reflects, and the exports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.core.db import make_engine
from lib.core.models import AuditEntry, User, VerificationVisit
from lib.files import imports
from lib.rules import permissions
from lib.services import auth
from lib.services.accounts import create_user_service
from tests.support.apptest import AppFactory
from tests.support.workbooks import xfd_file

PAGE = "pages/data.py"
A2 = "349901100202"  # households h4 (HAND0004) and h5 (HAND0005), neither verified


@pytest.fixture
def url(hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        for username, role, village in (("vera", "village_editor", A2), ("lee", "leader", None)):
            create_user_service(
                session,
                actor=permissions.COMMAND_LINE,
                username=username,
                password=f"{username}-password",
                display_name="Vera Li" if username == "vera" else "Lee",
                role=role,
                village_code=village,
            )
    engine.dispose()
    return hand_sqlite_url


def _sign_in(at: AppTest, username: str):
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(f"{username}-password")
    return next(b for b in at.sidebar.button if b.label == "Sign in").click().run()


def _visits_file(*rows: list[object], lang: str = "en") -> bytes:
    book = load_workbook(io.BytesIO(imports.template_bytes("visits", lang=lang)))
    sheet = book.worksheets[0]
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _count(url: str, model: type) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(model)) or 0
    engine.dispose()
    return count


def _downloads(at: AppTest) -> list[str]:
    return [element.proto.label for element in at.get("download_button")]


def test_signed_out_users_see_a_sign_in_notice_and_public_exports(open_app: AppFactory, url: str) -> None:
    at = open_app(url, PAGE, lang="en")
    assert not at.exception
    assert at.title[0].value == "Import & export"
    assert at.info[0].value.startswith("Sign in first")
    assert not at.get("file_uploader")
    assert _downloads(at) == ["Download Excel", "Download Excel"]  # towns, villages; no change log


def test_leaders_may_download_templates_but_not_import(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "lee")
    assert not at.exception
    assert "Your account reads the data" in at.info[0].value
    assert "Download the template" in _downloads(at)
    assert len([label for label in _downloads(at) if label == "Download Excel"]) == 3  # + change log
    assert not at.get("file_uploader")


def test_a_bad_row_is_reported_and_nothing_is_imported(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"), "vera")
    assert "Download the template" in _downloads(at)
    before = _count(url, VerificationVisit)
    data = _visits_file(
        ["HAND0004", dt.date(2020, 10, 1), "Vera Li", "yes"],
        ["HAND0005", "2020-10-02", "Vera Li", "no"],  # not verified, but no problems written
    )
    at.get("file_uploader")[0].set_value(("visits.xlsx", data, "application/octet-stream"))
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "1 rows ready, 1 rows with problems: nothing imported. Correct them and upload the file again."
    ]
    report = at.dataframe[0].value
    assert list(report["row"]) == ["3"]
    assert list(report["column"]) == ["E · Problems found"]
    assert not [b for b in at.button if b.label.startswith("Import")]
    assert _count(url, VerificationVisit) == before


def test_a_file_refused_whole_shows_a_blank_row_cell(open_app: AppFactory, url: str) -> None:
    """A problem with the whole file has no row: its cell is blank text, not a missing number, which
    Streamlit's table draws as "None"."""
    at = _sign_in(open_app(url, PAGE, lang="en"), "vera")
    at.get("file_uploader")[0].set_value(("wide.xlsx", xfd_file(blank=50), "application/octet-stream"))
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["The file could not be read: nothing imported."]
    report = at.dataframe[0].value
    assert list(report["row"]) == [""]
    assert "XFD" in report["problem"][0]


def test_a_good_file_imports_and_the_overview_moves(open_app: AppFactory, url: str) -> None:
    at = open_app(url, lang="en")
    verified = next(m for m in at.metric if m.label == "Verified")
    assert verified.value == "33.3%"  # 3 of 9 households
    at = _sign_in(at, "vera")
    at.switch_page(PAGE).run()
    data = _visits_file(["HAND0004", dt.date(2020, 10, 1), "Vera Li", "yes", None, "yes"])
    at.get("file_uploader")[0].set_value(("visits.xlsx", data, "application/octet-stream"))
    at.run()
    assert [s.value for s in at.success] == ["The 1 row passed the check and is ready to import."]
    before = _count(url, AuditEntry)
    next(b for b in at.button if b.label == "Import 1 row").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Imported 1 row (Verification visits); every page shows it now."]
    assert _count(url, AuditEntry) == before + 2  # the visit and the import
    assert not at.get("file_uploader")[0].value  # a fresh uploader for the next file
    at.switch_page("app.py").run()
    verified = next(m for m in at.metric if m.label == "Verified")
    assert verified.value == "44.4%"  # 4 of 9


def test_lists_on_the_pages_have_excel_downloads(open_app: AppFactory, url: str) -> None:
    at = open_app(url, lang="en")
    keys = [element.proto.id for element in at.get("download_button")]
    assert any("dl_towns" in key for key in keys) and any("dl_due" in key for key in keys)
    at = open_app(url, "pages/village.py", lang="en", code=A2)
    assert not at.exception
    assert len(at.get("download_button")) >= 3


def test_downloads_take_their_headers_from_the_column_config() -> None:
    import pandas as pd
    import streamlit as st

    from lib.files import export
    from lib.ui.downloads import labelled, number_formats

    frame = pd.DataFrame(
        {"town": ["甲镇"], "share": [44.4], "map": ["/map?town=1"], "secret": [1], "households": [12345]}
    )
    config = {
        "town": "Town",
        "share": st.column_config.ProgressColumn("Verified", format="%.1f%%"),
        "map": st.column_config.LinkColumn("Map"),
        "secret": None,
        "households": st.column_config.NumberColumn("Households", format="localized"),
    }
    shown = labelled(frame, config)
    assert list(shown.columns) == ["Town", "Verified", "Households"]
    sheet = export.Sheet("towns", [shown], (), number_formats(config))
    book = load_workbook(io.BytesIO(export.workbook_bytes([sheet])))
    assert [c.value for c in book["towns"][1]] == ["Town", "Verified", "Households"]
    # numbers stay numbers, shown as people read them: a share as a percentage, a count with separators
    assert [c.value for c in book["towns"][2]] == ["甲镇", pytest.approx(0.444), 12345]
    assert [c.number_format for c in book["towns"][2]][1:] == ["0.0%", "#,##0"]


def test_rows_made_wrong_between_check_and_import_are_shown(open_app: AppFactory, url: str) -> None:
    """The check passes; someone saves a household before the import is confirmed: nothing is
    imported, and the report names the row and why."""
    from lib.queries.imports import household_status_rows
    from lib.services.households import update_household_status

    engine = make_engine(url)
    with Session(engine) as session:
        records = household_status_rows(session, village_code=A2).to_dict("records")
    rows = [{**record, "village": record["village_en"]} for record in records]
    data = imports.template_bytes("household_status", lang="en", rows=rows)
    at = _sign_in(open_app(url, PAGE, lang="en"), "vera")
    at.selectbox(key="data_type").set_value("household_status").run()
    at.get("file_uploader")[0].set_value(("status.xlsx", data, "application/octet-stream"))
    at.run()
    assert [s.value for s in at.success] == ["All 2 rows passed the check and are ready to import."]
    with Session(engine) as session:
        vera = auth.load_actor(session, session.scalar(select(User.id).where(User.username == "vera")))
        update_household_status(
            session, actor=vera, household_id=5, expected_version=1, status="poor",
            flags={"safe_water": True}, exit_steps={}, reason=None, as_of=dt.date(2020, 10, 31),
        )  # fmt: skip
    engine.dispose()
    audits = _count(url, AuditEntry)
    next(b for b in at.button if b.label == "Import 2 rows").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The data changed after the check: nothing imported. The rows below say what is wrong now.",
        "1 rows ready, 1 rows with problems: nothing imported. Correct them and upload the file again.",
    ]
    report = at.dataframe[0].value
    assert list(report["row"]) == ["3"] and list(report["column"]) == ["Q · Version"]
    assert report["problem"][0].startswith("HAND0005 changed after you downloaded the template")
    assert not [b for b in at.button if b.label.startswith("Import")]
    assert _count(url, AuditEntry) == audits
