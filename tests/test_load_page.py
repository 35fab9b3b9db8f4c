"""The Load data page and the setup checklist under AppTest, on an empty install (DEMO=0): what is
missing is said, an administrator loads the sample county's files step by step, maps a header the
loader does not know, and the second load of a file changes nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.core import config
from lib.core.db import make_engine
from lib.core.i18n import set_language
from lib.core.models import AuditEntry, Household, Town, Village
from lib.rules import permissions
from lib.services import auth
from lib.services.accounts import create_user_service
from tests.db_fixtures import _nothing, copy_database
from tests.support.apptest import AppFactory

PAGE = "pages/load.py"
SAMPLES = config.ROOT / "data" / "samples"


@pytest.fixture
def url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty, migrated database (a copy of one migrated once per worker) with one administrator
    (made on the command line)."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    sqlite_url = copy_database(request, "sqlite", "empty", _nothing)
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        create_user_service(
            session,
            actor=permissions.COMMAND_LINE,
            username="ada",
            password="ada-password",
            display_name="Ada",
            role="admin",
        )
    engine.dispose()
    return sqlite_url


def _count(url: str, model: type) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(model)) or 0
    engine.dispose()
    return int(count)


def _sign_in(at: AppTest) -> AppTest:
    at.sidebar.text_input(key="sign_in_username").input("ada")
    at.sidebar.text_input(key="sign_in_password").input("ada-password")
    return next(b for b in at.sidebar.button if b.label == "Sign in").click().run()


def _upload(at: AppTest, kind: str, name: str, data: bytes | None = None) -> AppTest:
    set_language("en")  # AppTest formats the chosen option in the test's own language
    at.selectbox(key="load_kind").set_value(kind).run()
    uploader: Any = at.get("file_uploader")[0]  # AppTest has no typed file_uploader element
    uploader.set_value(
        (name, data if data is not None else (SAMPLES / name).read_bytes(), "application/octet-stream")
    )
    return at.run()


def _metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def _confirm(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.label == "Load").click().run()


def test_an_empty_install_opens_on_the_checklist(open_app: AppFactory, url: str) -> None:
    at = open_app(url, "app.py", lang="en")
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert any(text.startswith("**2. Load the divisions (towns and villages)**") for text in texts)
    assert "**1. Create the first administrator** · 1 administrators" in texts
    assert any("· No towns or villages yet" in text for text in texts)
    assert "python -m lib.load divisions 区划.xlsx" in [c.value for c in at.code]
    assert not at.get("arrow_vega_lite_chart") and not at.get("deck_gl_json_chart")  # no empty charts


def test_only_an_administrator_sees_the_loader(open_app: AppFactory, url: str) -> None:
    at = open_app(url, PAGE, lang="en")
    assert not at.exception
    assert at.info[0].value.startswith("Only an administrator may load")
    assert not at.get("file_uploader")


def test_an_administrator_loads_the_sample_county_and_a_second_load_changes_nothing(
    open_app: AppFactory, url: str
) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"))
    at = _upload(at, "divisions", "divisions.csv")
    assert not at.exception
    assert _metrics(at) == {"To add": "10", "To change": "0", "Unchanged": "0", "Not in the file": "0"}
    at = _confirm(at)
    assert [s.value for s in at.success] == ["Loaded: 10 added, 0 changed."]
    assert (_count(url, Town), _count(url, Village)) == (3, 7)

    at = _upload(at, "households", "households.xlsx")
    assert _metrics(at)["To add"] == "24"
    assert "Columns not read: 序号, 联系电话, 开户银行" in [c.value for c in at.caption]
    at = _confirm(at)
    assert _count(url, Household) == 24
    audits = _count(url, AuditEntry)

    at = _upload(at, "households", "households.xlsx")
    assert _metrics(at) == {"To add": "0", "To change": "0", "Unchanged": "24", "Not in the file": "0"}
    assert not [b for b in at.button if b.label == "Load"]
    assert _count(url, AuditEntry) == audits


def test_a_header_the_loader_does_not_know_is_mapped_once_and_kept(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en"))
    at = _confirm(_upload(at, "divisions", "divisions.csv"))
    book = load_workbook(io.BytesIO((SAMPLES / "households.xlsx").read_bytes()))
    sheet = book.worksheets[0]
    assert sheet["H2"].value == "家庭人口数"
    sheet["H2"].value = "在册人数"  # a county's own word for the household's members
    buffer = io.BytesIO()
    book.save(buffer)
    at = _upload(at, "households", "renamed.xlsx", buffer.getvalue())
    assert not at.exception
    problems = " ".join(at.dataframe[0].value.iloc[:, 2])
    assert "Members" in problems, problems
    box = at.selectbox(key="load_map_households_7")
    assert box.label == 'Column "在册人数" of the file' and box.value == ""
    set_language("en")
    box.set_value("members")
    at = next(b for b in at.button if b.label == "Save and read again").click().run()
    assert not at.exception
    assert _metrics(at)["To add"] == "24"
    # next month's file with the same header maps itself
    at = _upload(at, "households", "renamed-again.xlsx", buffer.getvalue())
    assert at.selectbox(key="load_map_households_7").value == "members"


@pytest.mark.parametrize(
    "page",
    [
        "app.py",
        "pages/map.py",
        "pages/industry.py",
        "pages/assessment.py",
        "pages/training.py",
        "pages/slideshow.py",
        "pages/updates.py",
        "pages/data.py",
        "pages/village.py",
        "pages/admin.py",
        PAGE,
    ],
)
def test_every_page_of_an_empty_install_says_what_to_do_without_a_traceback(
    open_app: AppFactory, url: str, page: str
) -> None:
    at = _sign_in(open_app(url, page, lang="en"))
    assert not at.exception
    assert not at.get("arrow_vega_lite_chart"), "an empty chart"
    shown = [*(e.value for e in at.info), *(m.value for m in at.markdown), *(e.value for e in at.error)]
    assert shown, "nothing says what to do"
