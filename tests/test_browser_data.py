"""A village editor downloads the visits template, uploads it filled in a real browser: a bad row
is reported and nothing imported; the corrected file imports and the Overview's verified share moves."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from lib.services import auth
from tests.support.accounts import add_village_editor
from tests.support.browser import running_app

A2 = "349901100202"  # households h4 (HAND0004) and h5 (HAND0005), neither verified yet


@pytest.fixture
def with_village_editor(hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    add_village_editor(hand_sqlite_url, A2)
    return hand_sqlite_url


def _filled(template: bytes, rows: list[list[object]], path: Path) -> Path:
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _upload(page: Page, path: Path) -> None:
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(str(path))


def test_template_upload_report_and_import(
    with_village_editor: str, offline_page: Page, tmp_path: Path
) -> None:
    page = offline_page
    with running_app(with_village_editor) as base_url:
        page.goto(f"{base_url}/data?lang=en")
        expect(page.get_by_text("Sign in first (left)")).to_be_visible(timeout=30_000)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("textbox", name="Username").fill("vera")
        sidebar.get_by_role("textbox", name="Password").fill("vera-password")
        sidebar.get_by_role("button", name="Sign in").click()
        expect(sidebar.get_by_text("Vera Li")).to_be_visible(timeout=15_000)

        with page.expect_download(timeout=30_000) as caught:
            page.get_by_role("button", name="Download the template").click()
        download = caught.value
        assert download.suggested_filename == "visits_template_en.xlsx"
        template = Path(download.path()).read_bytes()
        headers = [cell.value for cell in load_workbook(io.BytesIO(template)).worksheets[0][1]]
        assert headers[:4] == ["Archive no.*", "Visit date*", "Visitor*", "Ledger verified*"]

        bad = _filled(
            template,
            [
                ["HAND0004", dt.date(2020, 10, 1), "Vera Li", "yes"],
                ["HAND0005", "2020-10-02", "Vera Li", "maybe"],
            ],
            tmp_path / "bad.xlsx",
        )
        _upload(page, bad)
        expect(page.get_by_text("1 rows ready, 1 rows with problems: nothing imported.")).to_be_visible(
            timeout=30_000
        )
        expect(page.get_by_role("button", name="Import")).to_have_count(0)

        good = _filled(
            template, [["HAND0004", dt.date(2020, 10, 1), "Vera Li", "yes"]], tmp_path / "good.xlsx"
        )
        _upload(page, good)
        expect(page.get_by_text("The 1 row passed the check and is ready to import.")).to_be_visible(
            timeout=30_000
        )
        page.get_by_role("button", name="Import 1 row").click()
        expect(page.get_by_text("Imported 1 row (Verification visits)")).to_be_visible(timeout=30_000)

        sidebar.get_by_role("link", name="Overview").click()
        expect(
            page.get_by_test_id("stMetric").filter(has_text="Verified").get_by_test_id("stMetricValue")
        ).to_have_text("44.4%", timeout=15_000)  # 4 of 9 (3 of 9 before)
