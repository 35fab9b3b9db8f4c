"""The meetings page under AppTest, on the hand county with town A's meeting of 2020-09-14 (it
conveys the county's 79th) and one decision measured by the verified share of A1 and A2 (2 of 5,
tests/test_meetings.py works it out): a leader reads it and gets no form, town A's editor adds a
decision (saved with its audit row), a decision without its text is refused by field and writes
nothing, a progress note is saved, and the slideshow's problems slide is saved as a new meeting's
decisions in one click."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.core.db import make_engine
from lib.core.models import AuditEntry, Meeting, MeetingTask, MeetingTaskNote
from lib.files import briefing
from lib.queries import meetings as queries
from lib.rules import permissions
from lib.services import auth
from lib.services import meetings as services
from lib.services.accounts import create_user_service
from tests.db_fixtures import copy_database
from tests.hand_county import load_hand_county
from tests.support.apptest import AppFactory

PAGE = "pages/meetings.py"
TOWN_A = "349901100"
A1, A2 = "349901100201", "349901100202"
AS_OF = dt.date(2020, 10, 31)
ACCOUNTS = {"lee": ("leader", None), "tess": ("town_editor", TOWN_A)}


def _story(engine: Engine) -> None:
    with Session(engine) as session:
        load_hand_county(session)
        for username, (role, home) in ACCOUNTS.items():
            create_user_service(
                session,
                actor=permissions.COMMAND_LINE,
                username=username,
                password=f"{username}-password",
                display_name=username,
                role=role,
                town_code=home,
            )
    admin = permissions.COMMAND_LINE
    with Session(engine) as session:
        county = services.record_meeting(
            session, actor=admin, level="county", town_code=None, name="全县脱贫攻坚推进会", number=79,
            held_on=dt.date(2020, 9, 10), attending=None, as_of=AS_OF,
        )  # fmt: skip
        town = services.record_meeting(
            session, actor=admin, level="town", town_code=TOWN_A, name="甲镇脱贫攻坚推进会", number=None,
            held_on=dt.date(2020, 9, 14), attending="镇村干部、驻村工作队", conveys_id=county, as_of=AS_OF,
        )  # fmt: skip
        services.add_task(
            session, actor=admin, meeting_id=town, what="工作队逐户核实台账", responsible_unit="各驻村工作队",
            deadline=dt.date(2020, 12, 31), village_codes=[A1, A2], measure="verified_share",
        )  # fmt: skip


@pytest.fixture
def url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return copy_database(request, "sqlite", "meetings_page", _story)


def _sign_in(at: AppTest, username: str) -> AppTest:
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(f"{username}-password")
    at = next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception
    return at


def _count(url: str, model: type[MeetingTask] | type[MeetingTaskNote]) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(model)) or 0
    engine.dispose()
    return count


def _button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def test_a_leader_reads_the_decisions_and_gets_no_form(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en", town=TOWN_A), "lee")
    assert at.selectbox(key="mt_meeting").value == 2  # town A's meeting, the newest
    assert [s.value for s in at.subheader] == ["甲镇脱贫攻坚推进会"]
    captions = " ".join(c.value for c in at.caption)
    assert "Conveys the 全县脱贫攻坚推进会 (no. 79) (2020-09-10)" in captions
    tasks = at.dataframe[0].value
    assert list(tasks["what"]) == ["工作队逐户核实台账"]
    assert list(tasks["progress"]) == ["Verified share 2/5 (40.0%, target 100.0%)"]
    assert list(tasks["standing"]) == ["Not started"]
    assert "Your account reads" in at.info[-1].value
    labels = {b.label for b in at.button}
    assert not labels & {"Add the decision", "Record the meeting", "Note progress"}


def test_the_town_editor_adds_a_decision_and_bad_input_changes_nothing(
    open_app: AppFactory, url: str
) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en", town=TOWN_A), "tess")
    before = _count(url, MeetingTask)
    prefix = "mt_task_2"
    at.text_input(key=f"{prefix}_unit").input("镇扶贫办")
    _button(at, "Add the decision").click().run()  # no decision text
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors == ["Not saved: correct the fields marked below.", "Required."]
    assert _count(url, MeetingTask) == before

    at.text_area(key=f"{prefix}_what").input("细化帮扶措施，准备第三方评估数据")
    at.multiselect(key=f"{prefix}_places").select(A2)
    at.selectbox(key=f"{prefix}_measure").set_value("verified_share")
    at.number_input(key=f"{prefix}_target").set_value(80)
    _button(at, "Add the decision").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Decision added."]
    assert _count(url, MeetingTask) == before + 1
    tasks = at.dataframe[0].value
    assert list(tasks["what"])[-1] == "细化帮扶措施，准备第三方评估数据"
    # A2: h4 and h5, neither verified.
    assert list(tasks["progress"])[-1] == "Verified share 0/2 (0.0%, target 80.0%)"
    engine = make_engine(url)
    with Session(engine) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and (entry.username, entry.table_name) == ("tess", "meeting_tasks")
    engine.dispose()


def test_the_town_editor_notes_progress_and_sets_the_status(open_app: AppFactory, url: str) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en", town=TOWN_A), "tess")
    prefix = "mt_note_1"
    _button(at, "Note progress").click().run()  # no text
    assert "Required." in [e.value for e in at.error]
    assert _count(url, MeetingTaskNote) == 0
    at.text_area(key=f"{prefix}_text").input("A1 已核实 2 户")
    at.selectbox(key=f"{prefix}_status").set_value("in_progress")
    _button(at, "Note progress").click().run()
    assert [s.value for s in at.success] == ["Progress noted."]
    assert _count(url, MeetingTaskNote) == 1
    assert list(at.dataframe[0].value["standing"]) == ["In progress"]
    assert list(at.dataframe[1].value["text"]) == ["A1 已核实 2 户"]


SAVE_NEXT_STEPS = "Save as the new meeting's decisions"


def test_the_problems_slide_is_saved_as_a_new_meetings_decisions_in_one_click(
    open_app: AppFactory, url: str
) -> None:
    """On town A's slideshow its editor saves the problems slide's lines as a meeting dated the data's
    date (2020-10-31), one decision per line; a leader gets no such button."""
    at = _sign_in(open_app(url, "pages/slideshow.py", lang="en", town=TOWN_A), "lee")
    assert SAVE_NEXT_STEPS not in [b.label for b in at.button]

    at = _sign_in(open_app(url, "pages/slideshow.py", lang="en", town=TOWN_A), "tess")
    before = _count(url, MeetingTask)
    _button(at, SAVE_NEXT_STEPS).click().run()
    assert not at.exception, at.exception
    engine = make_engine(url)
    with Session(engine) as session:
        steps = briefing.next_steps(session, town_codes=[TOWN_A], as_of=AS_OF, lang="en")
        newest = queries.list_meetings(session, town_codes=[TOWN_A], include_county=False)[0]
        tasks = queries.meeting_tasks(session, newest.id, as_of=AS_OF)
    engine.dispose()
    assert [s.value for s in at.success] == [f"Recorded the new meeting with {len(steps)} decisions."]
    assert (newest.held_on, newest.town_code, newest.tasks) == (AS_OF, TOWN_A, len(steps)) and steps
    assert _count(url, MeetingTask) == before + len(steps)
    assert [(t.what, t.measure) for t in tasks] == [(s.what, s.measure) for s in steps]


def test_an_edit_of_a_decision_someone_changed_since_is_refused_and_shows_theirs(
    open_app: AppFactory, url: str
) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en", town=TOWN_A), "tess")
    engine = make_engine(url)
    with Session(engine) as session:  # someone else saves decision 1 after tess's form was drawn
        services.update_task(
            session, actor=permissions.COMMAND_LINE, task_id=1, expected_version=1, what="工作队逐户核实台账",
            responsible_unit="镇扶贫办", responsible_person=None, deadline=dt.date(2020, 12, 31),
            village_codes=[A1, A2], measure="verified_share", target=1.0, status="in_progress",
        )  # fmt: skip
    at.text_input(key="mt_edit_1_1_unit").input("各村党支部")
    _button(at, "Save the decision").click().run()
    assert not at.exception, at.exception
    assert [w.value for w in at.warning] == [
        "Not saved: someone changed this decision just now; look at it again and resubmit."
    ]
    with Session(engine) as session:
        stored = session.get(MeetingTask, 1)
        assert stored is not None and (stored.responsible_unit, stored.version) == ("镇扶贫办", 2)
    engine.dispose()
    assert at.text_input(key="mt_edit_1_2_unit").value == "镇扶贫办"  # the form now shows theirs

    _button(at, "Delete the decision").click().run()
    assert [s.value for s in at.success] == ["Decision deleted."]
    assert _count(url, MeetingTask) == 0


def test_the_town_editor_changes_the_meeting_and_a_stale_change_is_refused(
    open_app: AppFactory, url: str
) -> None:
    at = _sign_in(open_app(url, PAGE, lang="en", town=TOWN_A), "tess")
    at.text_input(key="mt_meeting_edit_2_1_name").input("甲镇第二次脱贫攻坚推进会")
    at.text_input(key="mt_meeting_edit_2_1_number").input("2")
    _button(at, "Save the meeting").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Meeting changed."]
    engine = make_engine(url)
    with Session(engine) as session:
        stored = session.get(Meeting, 2)
        assert stored is not None
        assert (stored.name, stored.number, stored.version) == ("甲镇第二次脱贫攻坚推进会", 2, 2)
        # someone else changes it after tess's form (version 2) was drawn
        services.update_meeting(
            session, actor=permissions.COMMAND_LINE, meeting_id=2, expected_version=2, name="甲镇推进会",
            number=2, held_on=dt.date(2020, 9, 14), attending=None, conveys_id=1, as_of=AS_OF,
        )  # fmt: skip
    at.text_input(key="mt_meeting_edit_2_2_number").input("abc")
    _button(at, "Save the meeting").click().run()
    assert not at.exception, at.exception
    assert [w.value for w in at.warning] == [
        "Not saved: someone changed this meeting just now; look at it again and resubmit."
    ]
    with Session(engine) as session:
        stored = session.get(Meeting, 2)
        assert stored is not None and (stored.name, stored.version) == ("甲镇推进会", 3)
    engine.dispose()
    assert at.text_input(key="mt_meeting_edit_2_3_name").value == "甲镇推进会"  # the form shows theirs
