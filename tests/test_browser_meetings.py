"""Town A's editor opens /meetings, adds a decision measured by the verified share to the town's
meeting of 2020-09-14, sees it on the slideshow's first slide, and sees its progress move after a
verification visit (town A: h1 and h3 of h1–h6 verified, 2/6; a visit verifying h5's ledger, 3/6)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.models import User
from lib.rules import permissions
from lib.services import auth, households
from lib.services import meetings as services
from lib.services.accounts import create_user_service
from lib.services.auth import load_actor
from tests.support.browser import running_app

TOWN_A = "349901100"
AS_OF = dt.date(2020, 10, 31)


@pytest.fixture
def url(hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The hand county with town A's editor (tess / tess-password) and town A's meeting, no decision yet."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        create_user_service(
            session, actor=permissions.COMMAND_LINE, username="tess", password="tess-password",
            display_name="Tess", role="town_editor", town_code=TOWN_A,
        )  # fmt: skip
        services.record_meeting(
            session, actor=permissions.COMMAND_LINE, level="town", town_code=TOWN_A,
            name="甲镇脱贫攻坚推进会", number=None, held_on=dt.date(2020, 9, 14), attending=None, as_of=AS_OF,
        )  # fmt: skip
    engine.dispose()
    return hand_sqlite_url


def _visit_h5(url: str) -> None:
    """A verification visit to h5 (in A2) that verifies its ledger, recorded as town A's editor."""
    engine = make_engine(url)
    with Session(engine) as session:
        user_id = session.scalars(select(User.id).where(User.username == "tess")).one()
        actor = load_actor(session, user_id)
        households.record_visit(
            session, actor=actor, household_id=5, visited_on=dt.date(2020, 10, 20), visitor_name="核验员",
            ledger_verified=True, problems=None, satisfied=True, as_of=AS_OF,
        )  # fmt: skip
    engine.dispose()


def test_a_decision_added_on_the_meetings_page_opens_the_slideshow(url: str, offline_page: Page) -> None:
    page = offline_page
    with running_app(url) as base_url:
        page.goto(f"{base_url}/meetings?lang=en&town={TOWN_A}")
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("textbox", name="Username").fill("tess")
        sidebar.get_by_role("textbox", name="Password").fill("tess-password")
        sidebar.get_by_role("button", name="Sign in").click()
        expect(sidebar.get_by_text("Tess")).to_be_visible(timeout=15_000)
        expect(page.get_by_role("heading", name="甲镇脱贫攻坚推进会")).to_be_visible(timeout=15_000)

        page.get_by_role("textbox", name="Decision").fill("工作队逐户核实台账")
        page.get_by_role("textbox", name="Responsible unit").fill("各驻村工作队")
        measure = page.get_by_role("combobox", name="Measured by")
        measure.click()
        measure.press_sequentially("Verified")
        page.get_by_role("option", name="Verified share").click()
        page.get_by_role("button", name="Add the decision").click()
        expect(page.get_by_text("Decision added.")).to_be_visible(timeout=15_000)

        page.goto(f"{base_url}/slideshow?lang=en&town={TOWN_A}")
        title = page.get_by_role("heading", name="What we decided on 14 Sep 2020 and where it stands")
        expect(title).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("slide-position")).to_have_text(re.compile(r"^\s*Slide 1 of \d+"))
        bullets = page.get_by_test_id("slide-bullets")
        expect(bullets).to_contain_text("工作队逐户核实台账")
        expect(bullets).to_contain_text("Verified share 2/6 (33.3%, target 100.0%)")

        _visit_h5(url)
        page.reload()
        expect(title).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("slide-bullets")).to_contain_text(
            "Verified share 3/6 (50.0%, target 100.0%)"
        )
