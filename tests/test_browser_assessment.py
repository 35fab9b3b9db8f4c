"""A leader opens /assessment in Chromium and reads which towns would fail, and why."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.schema import upgrade
from tests.assessment_county import load_assessment_county
from tests.support.browser import running_app


def test_a_leader_reads_a_towns_readiness(sqlite_url: str, offline_page: Page) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    with Session(engine) as session:
        load_assessment_county(session)
    engine.dispose()
    page = offline_page
    with running_app(sqlite_url) as base_url:
        page.goto(f"{base_url}/assessment?lang=en")
        expect(page.get_by_role("heading", name="Third-party assessment readiness", level=1)).to_be_visible(
            timeout=30_000
        )
        ready = page.get_by_test_id("stMetric").filter(has_text="Towns ready")
        expect(ready.get_by_test_id("stMetricValue")).to_have_text("0 / 2", timeout=15_000)
        expect(
            page.get_by_text(
                "2 towns fall short (an assessment rate beyond its threshold, "
                "or far too few ledgers verified); fix these first:"
            )
        ).to_be_visible()
        jia = page.get_by_role("listitem").filter(has_text="Jia Town")
        expect(jia).to_contain_text("wrong-exit risk 33.3%, above 2.0%")
        yi = page.get_by_role("listitem").filter(has_text="Yi Town")
        expect(yi).to_contain_text("satisfaction 66.7%, below 90.0%")

        page.get_by_role("tab", name="Mock assessment").click()
        expect(page.get_by_text("9 households drawn, 0 visited so far.")).to_be_visible(timeout=15_000)
        assert "seed=2020" in page.url and "sample=15-5-10" in page.url
