"""The hand county with Markdown and HTML planted in every free-text field, for the "text stays
text" tests (tests/test_text_stays_text.py under AppTest, tests/test_browser_text.py in Chromium).

Every value people or an import can type — names of towns, villages, heads, helpers, cadres,
organisations, industries, programmes, topics and places, units, signature products, visitors,
visit problems, stage-change reasons, account names, change-log rows, send-back comments and
resolutions, failed sign-in names — becomes `payload(tag)`: a Markdown image, an HTML image and a
Markdown link to an outside address, a Streamlit colour, badge and icon directive, LaTeX, bold and a
bare URL, led by a `tag` that says which field it is (archive numbers, which must stay short, hold
only an image: `archive_payload`). Rendered as Markdown, the page would fetch
from OUTSIDE_HOST or link to it; shown as text, the payload reads exactly as planted.
"""

from __future__ import annotations

import datetime as dt
import json

from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lib.core.models import (
    AuditEntry,
    Cadre,
    CorrectionRequest,
    Household,
    Industry,
    Meeting,
    MeetingTask,
    MeetingTaskNote,
    MeetingTaskPlace,
    Meta,
    Organisation,
    OrganisationLink,
    PlanStageChange,
    SessionTopic,
    Town,
    TrainingProgramme,
    TrainingSession,
    TrainingTopic,
    User,
    VerificationVisit,
    Village,
)
from lib.services import accounts, auth, rollups
from tests.hand_county import load_hand_county

OUTSIDE_HOST = "203.0.113.9"  # TEST-NET-3: never a real host
WORD_JOINER = "\u2060"  # lib.present.markup breaks bare URLs and shortcodes with it; invisible on the page

TOWN_A, TOWN_B = "349901100", "349901101"
A1, A2, B1 = "349901100201", "349901100202", "349901101204"
PASSWORD = "planted-password"
# username → (role, place); display names are payloads too
ACCOUNTS = {
    "ada": ("admin", None),
    "tess": ("town_editor", TOWN_A),
    "vera": ("village_editor", A1),
}


def payload(tag: str) -> str:
    """Markdown and HTML that would reach OUTSIDE_HOST if rendered, led by `tag`."""
    url = f"http://{OUTSIDE_HOST}/{tag}"
    return (
        f'{tag} ![p]({url}.png) <img src="{url}-i.png"> [Sign in again]({url}) '
        f":red[{tag}] :orange-badge[{tag}] :material/home: $x^2$ **b** {url}/bare"
    )


def archive_payload(number: int) -> str:
    """A Markdown image in a household's archive number, which must fit its 24 characters (it
    becomes the key of audit rows)."""
    return f"![{number}](http://{OUTSIDE_HOST})"


ARCHIVES = {f"archive-{number}": archive_payload(number) for number in range(1, 10)}


# Plants that fit where a value is bounded: a link's ?code= (lib.queries.common.CODE_MAX, 30) and a
# search box (SEARCH_MAX, 100); longer ones are refused or cut before any page shows them.
SHORT = {
    "param": f"![param](http://{OUTSIDE_HOST})",
    "search": f'search ![p](http://{OUTSIDE_HOST}/s.png) <img src="http://{OUTSIDE_HOST}/i"> :red[s] $x^2$',
}


def planted(tag: str) -> str:
    """What was planted under `tag`."""
    return ARCHIVES.get(tag) or SHORT.get(tag) or payload(tag)


def shown(text: str) -> str:
    """A page's text as people read it (the word joiners lib.present.markup inserts are invisible)."""
    return text.replace(WORD_JOINER, "")


def _meetings(session: Session) -> None:
    """The county's meeting and town A's conveying it, with a decision on A1 and a progress note."""
    county = Meeting(
        level="county", name=payload("meeting-name"), number=79, held_on=dt.date(2020, 9, 10),
        attending=payload("meeting-attending"), created_by="ada",
    )  # fmt: skip
    session.add(county)
    session.flush()
    town_a = session.scalars(select(Town).where(Town.code == TOWN_A)).one()
    town = Meeting(
        level="town", town_id=town_a.id, name=payload("town-meeting"), held_on=dt.date(2020, 9, 14),
        attending=payload("town-attending"), conveys_id=county.id, created_by="tess",
    )  # fmt: skip
    session.add(town)
    session.flush()
    task = MeetingTask(
        meeting_id=town.id, what=payload("task-what"), responsible_unit=payload("task-unit"),
        responsible_person=None, deadline=dt.date(2020, 12, 31), status="in_progress",
        measure="verified_share", target=1.0, created_by="tess",
    )  # fmt: skip
    session.add(task)
    session.flush()
    a1 = session.scalars(select(Village).where(Village.code == A1)).one()
    session.add(MeetingTaskPlace(task_id=task.id, village_id=a1.id))
    session.add(
        MeetingTaskNote(
            task_id=task.id, noted_on=dt.date(2020, 10, 1), text=payload("task-note"), username="tess"
        )
    )


def load_planted_county(session: Session) -> None:
    """The hand county, then a payload in every free-text field, a sent-back change and accounts."""
    load_hand_county(session)
    for town in session.scalars(select(Town)):
        town.name_zh = town.name_en = payload(f"town-{town.id}")
    for village in session.scalars(select(Village)):
        village.name_zh = village.name_en = payload(f"village-{village.id}")
        village.signature_product_zh = village.signature_product_en = payload(f"product-{village.id}")
    for home in session.scalars(select(Household)):
        home.archive_no = archive_payload(home.id)
        home.head_name = payload(f"head-{home.id}")
        home.head_id_number = payload(f"id-{home.id}")
        home.helper_name = payload(f"helper-{home.id}")
        home.helper_unit = payload(f"helper-unit-{home.id}")
    for industry in session.scalars(select(Industry)):
        industry.name_zh = industry.name_en = payload(f"industry-{industry.id}")
    for cadre in session.scalars(select(Cadre)):
        cadre.name = payload(f"cadre-{cadre.id}")
        cadre.sent_by_unit_zh = cadre.sent_by_unit_en = payload(f"unit-{cadre.id}")
    for programme in session.scalars(select(TrainingProgramme)):
        programme.name_zh = programme.name_en = payload(f"programme-{programme.id}")
    for training in session.scalars(select(TrainingSession)):
        training.place_zh = training.place_en = payload(f"place-{training.id}")
    session.execute(
        update(VerificationVisit).values(visitor_name=payload("visitor"), problems=payload("problems"))
    )
    session.add(TrainingTopic(id=1, code="policy", name_zh=payload("topic"), name_en=payload("topic")))
    session.flush()
    session.add(SessionTopic(session_id=1, topic_id=1))
    session.add(
        Organisation(
            id=1, kind="cooperative", name_zh=payload("org"), name_en=payload("org"), industry_id=1, town_id=1
        )
    )
    session.flush()
    session.add_all(
        [
            OrganisationLink(
                id=1, organisation_id=1, household_id=1, benefit_type="dividend", annual_amount=800
            ),
            OrganisationLink(
                id=2, organisation_id=1, household_id=5, benefit_type="wages", annual_amount=900
            ),
            PlanStageChange(
                plan_id=1,
                from_stage="producing",
                to_stage="stable",
                changed_on=dt.date(2020, 5, 1),
                reason=payload("stage-reason"),
            ),
        ]
    )
    _meetings(session)
    _accounts(session)
    session.flush()
    vera = session.scalars(select(User).where(User.username == "vera")).one()
    tess = session.scalars(select(User).where(User.username == "tess")).one()
    at = dt.datetime(2020, 10, 30, 9, 0)
    changes = [
        AuditEntry(
            user_id=vera.id,
            username=vera.username,
            at=at + dt.timedelta(minutes=number),
            action=payload(f"action-{number}"),
            table_name="households",
            record_key=payload(f"key-{number}"),
            old_values=json.dumps({"problems": payload(f"old-{number}")}),
            new_values=json.dumps({"problems": payload(f"new-{number}")}),
            reason=payload(f"reason-{number}"),
        )
        for number in (1, 2)
    ]
    session.add_all(changes)
    session.flush()
    session.add_all(
        [
            CorrectionRequest(
                audit_id=changes[0].id,
                village_id=1,
                comment=payload("comment-open"),
                requested_by_id=tess.id,
                requested_by=payload("requested-by"),
                requested_at=at + dt.timedelta(hours=1),
            ),
            CorrectionRequest(
                audit_id=changes[1].id,
                village_id=1,
                comment=payload("comment-done"),
                requested_by_id=tess.id,
                requested_by=payload("requested-by"),
                requested_at=at + dt.timedelta(hours=2),
                status="resolved",
                resolved_by=payload("resolved-by"),
                resolved_at=at + dt.timedelta(hours=3),
                resolution=payload("resolution"),
            ),
        ]
    )
    # A name that is no account is kept only as a keyed hash (what /admin lists as "Unknown name").
    auth.record_sign_in_attempt(session, payload("failed-name"), succeeded=False)
    session.execute(update(Meta).where(Meta.key == "data_version").values(value="2"))
    rollups.rebuild(session)
    session.commit()


def _accounts(session: Session) -> None:
    """The accounts the tests sign in with; their shown names are payloads (written past the form's
    length limit, as an import or an older version might have). Hashed cheaply: signing in verifies
    with the parameters stored in the hash."""
    previous, auth._hasher = auth._hasher, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        for username, (role, place) in ACCOUNTS.items():
            user = accounts.create_user(
                session,
                username=username,
                password=PASSWORD,
                display_name=username,
                role=role,
                town_code=place if role == "town_editor" else None,
                village_code=place if role == "village_editor" else None,
                can_see_names=True,
            )
            user.display_name = payload(f"name-{username}")
    finally:
        auth._hasher = previous
