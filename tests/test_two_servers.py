"""Two servers, one PostgreSQL database (a county behind a proxy): a save through one shows on the
other's next rerun, because every run reads app_meta's data version and caches key on it."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.schema import upgrade
from lib.services import auth
from tests.hand_county import load_hand_county
from tests.support.accounts import add_village_editor
from tests.support.browser import running_app
from tests.support.stream import BlockingStreamClient, Run

A2 = "349901100202"  # households h4 (monitored) and h5 (poor), neither verified yet


@pytest.fixture
def hand_postgres_url(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The hand county on PostgreSQL, with a village editor for A2 (vera / vera-password)."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = make_engine(postgres_url)
    upgrade(engine)
    with Session(engine) as session:
        load_hand_county(session)
    engine.dispose()
    add_village_editor(postgres_url, A2)
    return postgres_url


def _metric(run: Run, label: str) -> str:
    """The value of the run's metric tile labelled `label`."""
    values = [
        e.metric.body for e in run.elements if e.WhichOneof("type") == "metric" and e.metric.label == label
    ]
    assert len(values) == 1, f"{label!r} tiles: {values} (errors: {run.errors})"
    return str(values[0])


def test_a_save_through_one_server_shows_on_the_others_next_rerun(
    hand_postgres_url: str, offline_page: Page
) -> None:
    page = offline_page
    with running_app(hand_postgres_url) as server_a, running_app(hand_postgres_url) as server_b:
        leader = BlockingStreamClient(server_b, keep_elements=True)
        try:
            before = leader.open(query="lang=en")
            assert before.finished and not before.errors
            assert _metric(before, "Verified") == "33.3%"  # 3 of 9 households

            page.goto(f"{server_a}/?lang=en")
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.get_by_role("textbox", name="Username").fill("vera")
            sidebar.get_by_role("textbox", name="Password").fill("vera-password")
            sidebar.get_by_role("button", name="Sign in").click()
            expect(sidebar.get_by_text("Vera Li")).to_be_visible(timeout=15_000)
            sidebar.get_by_role("link", name="Updates").click()
            expect(page.get_by_role("combobox", name="Household")).to_be_visible(timeout=15_000)
            page.get_by_role("button", name="Save the visit").click()
            expect(page.get_by_text("Saved the visit to HAND0004.")).to_be_visible(timeout=15_000)

            after = leader.rerun()  # the leader's next rerun on the other server
            assert after.finished and not after.errors
            assert _metric(after, "Verified") == "44.4%"  # 4 of 9
        finally:
            leader.close()
