"""A village editor signs in, records a verification visit, and the Overview's verified share moves."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page, expect

from lib.services import auth
from tests.support.accounts import add_village_editor
from tests.support.browser import running_app

A2 = "349901100202"  # households h4 (monitored) and h5 (poor), neither verified yet


@pytest.fixture
def with_village_editor(hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    add_village_editor(hand_sqlite_url, A2)
    return hand_sqlite_url


def _verified(page: Page) -> str:
    tile = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text("Verified", exact=True)
    )
    return tile.get_by_test_id("stMetricValue").inner_text().strip()


def test_village_editor_records_a_visit_and_the_overview_updates(
    with_village_editor: str, offline_page: Page
) -> None:
    page = offline_page
    with running_app(with_village_editor) as base_url:
        page.goto(f"{base_url}/?lang=en")
        expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=30_000)
        assert _verified(page) == "33.3%"  # 3 of 9 households

        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("textbox", name="Username").fill("vera")
        sidebar.get_by_role("textbox", name="Password").fill("vera-password")
        sidebar.get_by_role("button", name="Sign in").click()
        expect(sidebar.get_by_text("Vera Li")).to_be_visible(timeout=15_000)

        sidebar.get_by_role("link", name="Updates").click()
        expect(page.get_by_role("heading", name="Updates", level=1)).to_be_visible(timeout=15_000)
        expect(page.get_by_role("combobox", name="Household")).to_be_visible(timeout=15_000)
        page.get_by_role("button", name="Save the visit").click()
        expect(page.get_by_text("Saved the visit to HAND0004.")).to_be_visible(timeout=15_000)

        sidebar.get_by_role("link", name="Overview").click()
        expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=15_000)
        expect(
            page.get_by_test_id("stMetric").filter(has_text="Verified").get_by_test_id("stMetricValue")
        ).to_have_text("44.4%", timeout=15_000)  # 4 of 9
