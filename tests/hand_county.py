"""A tiny county whose every figure was worked out by hand; tests compare queries against it.

Towns: A (349901100) with villages A1 (poor, exited 2019), A2 (poor, due 2020), A3 (not poor);
B (349901101) with B1 (poor, exited 2018), B2 (not poor); C (349901102) with no villages.

Households (members, labour, status) — plans (stage) — visits (verified?):
  A1: h1 (3, 2, exited)    stable + started (two plans) — verified
      h2 (2, 0, exited)    producing (fund shares)       — visited, not verified
      h3 (4, 2, poor)      planned                       — not verified, then verified
  A2: h4 (1, 1, monitored) —                             —
      h5 (5, 3, poor)      started                       —
  A3: h6 (2, 1, exited)    —                             —
  B1: h7 (3, 1, exited)    producing                     — verified
      h8 (2, 2, exited)    —                             —
  B2: h9 (6, 2, poor)      stable                        — visited, not verified

First secretaries: c1 serves A1, trained (phase 1, attended); c2 serves A2, enrolled but absent;
c3 serves A3, only went on the (not required) study tour; c4 served B1 until 2019 and now serves
B2, trained; c5 serves B1, trained (phase 2); c6 served A1 until 2019, trained, gone;
c7 is a team member in A1, trained (not a first secretary).

By hand:
  town A: villages 3, poor 2, poor exited 1; households 6 (exited 3, poor 2, monitored 1);
          people 17, exited 7; with labour 5, of them with a plan 3; with a plan 4;
          stages 1/1/1/1; verified 2; secretaries serving 3, trained 1.
          shares: exited 0.5, plan 0.6, stable 0.25, verified 1/3, training 1/3;
          progress (0.5 + 0.6 + 1/3 + 1/3) / 4 = 0.441667.
  town B: villages 2, poor 1, exited 1; households 3 (exited 2, poor 1); people 11, exited 5;
          with labour 3, with a plan 2 (both with labour); stages 0/0/1/1; verified 1;
          secretaries serving 2, trained 2. shares: 2/3, 2/3, 0.5, 1/3, 1.0; progress 2/3.
  town C: all zero; shares and progress undefined (NaN).
  county: villages 5 (poor 3, exited 2); households 9, exited 5; people 28, exited 12;
          labour 8, with plan 5 → 0.625; with plan 6; stages 1/1/2/2; verified 3 of 9;
          secretaries 5, trained 3 → 0.6.

Outlines (table boundaries), drawn by hand as rectangles (west, south, east, north) around the
villages' points: A (116.05, 32.55, 116.25, 32.65) holds A1 (116.1) and A2 (116.2); B (116.25,
32.55, 116.55, 32.65) holds B1 (116.4) and B2 (116.5); C (116.05, 32.65, 116.55, 32.75) is empty;
the county 349901 is their union (116.05, 32.55, 116.55, 32.75). Each town's label point is its
lon/lat.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.orm import Session

from lib.core.models import (
    Attendance,
    Boundary,
    Cadre,
    Household,
    Industry,
    IndustryPlan,
    Meta,
    Posting,
    Town,
    TrainingProgramme,
    TrainingSession,
    VerificationVisit,
    Village,
)
from lib.core.schema import advance_id_sequences
from lib.services import rollups

D = dt.date

# (west, south, east, north) of each outline, by its stored code (see the docstring).
OUTLINES = {
    "349901100": (116.05, 32.55, 116.25, 32.65),
    "349901101": (116.25, 32.55, 116.55, 32.65),
    "349901102": (116.05, 32.65, 116.55, 32.75),
    "349901": (116.05, 32.55, 116.55, 32.75),
}
# Where each outline's name is written: the town's own lon/lat, the county's middle.
LABEL_POINTS = {
    "349901100": (116.1, 32.6),
    "349901101": (116.3, 32.6),
    "349901102": (116.2, 32.7),
    "349901": (116.3, 32.65),
}


def rectangle(west: float, south: float, east: float, north: float) -> str:
    """A GeoJSON Polygon (counter-clockwise, closed) as the boundaries table stores it."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"coordinates": [ring], "type": "Polygon"}, separators=(",", ":"))


def load_hand_county(session: Session) -> None:
    """Insert the hand-worked county into an empty, migrated database and commit."""
    towns = {
        "A": Town(id=1, code="349901100", name_zh="甲镇", name_en="Jia Town", lon=116.1, lat=32.6),
        "B": Town(id=2, code="349901101", name_zh="乙镇", name_en="Yi Town", lon=116.3, lat=32.6),
        "C": Town(id=3, code="349901102", name_zh="丙乡", name_en="Bing Township", lon=116.2, lat=32.7),
    }
    session.add_all(towns.values())
    session.flush()
    session.add_all(
        Boundary(
            code=code,
            level="county" if len(code) == 6 else "town",
            geometry=rectangle(*box),
            lon=LABEL_POINTS[code][0],
            lat=LABEL_POINTS[code][1],
            source="tests/hand_county.py",
        )
        for code, box in OUTLINES.items()
    )
    village_specs = [
        ("A1", "A", True, 2019, 2019),
        ("A2", "A", True, 2020, None),
        ("A3", "A", False, None, None),
        ("B1", "B", True, 2018, 2018),
        ("B2", "B", False, None, None),
    ]
    villages: dict[str, Village] = {}
    for number, (key, town, poor, planned, actual) in enumerate(village_specs, start=1):
        villages[key] = Village(
            id=number,
            code=f"{towns[town].code}{200 + number}",
            town_id=towns[town].id,
            name_zh=f"{key}村",
            name_en=f"{key} Village",
            lon=None if key == "A3" else 116.0 + number / 10,
            lat=None if key == "A3" else 32.6,
            is_poor=poor,
            planned_exit_year=planned,
            actual_exit_year=actual,
            population=1000 * number,
        )
    session.add_all(villages.values())
    session.flush()

    household_specs = [
        ("h1", "A1", 3, 2, "exited"),
        ("h2", "A1", 2, 0, "exited"),
        ("h3", "A1", 4, 2, "poor"),
        ("h4", "A2", 1, 1, "monitored"),
        ("h5", "A2", 5, 3, "poor"),
        ("h6", "A3", 2, 1, "exited"),
        ("h7", "B1", 3, 1, "exited"),
        ("h8", "B1", 2, 2, "exited"),
        ("h9", "B2", 6, 2, "poor"),
    ]
    households: dict[str, Household] = {}
    for number, (key, village, members, labour, status) in enumerate(household_specs, start=1):
        households[key] = Household(
            id=number,
            archive_no=f"HAND{number:04d}",
            village_id=villages[village].id,
            head_name=f"户主{number}",
            members=members,
            labour_count=labour,
            status=status,
            housing_grade="A",
            primary_cause="illness",
        )
    session.add_all(households.values())
    session.flush()

    crops = Industry(id=1, code="vegetables", category="planting", name_zh="蔬菜", name_en="Vegetables")
    shares = Industry(id=2, code="pv_shares", category="shares", name_zh="光伏收益", name_en="PV shares")
    session.add_all([crops, shares])
    session.flush()
    plan_specs = [
        ("h1", crops, "stable"),
        ("h1", crops, "started"),
        ("h2", shares, "producing"),
        ("h3", crops, "planned"),
        ("h5", crops, "started"),
        ("h7", crops, "producing"),
        ("h9", crops, "stable"),
    ]
    for number, (household, industry, stage) in enumerate(plan_specs, start=1):
        session.add(
            IndustryPlan(
                id=number,
                household_id=households[household].id,
                industry_id=industry.id,
                stage=stage,
                planned_on=D(2018, 3, 1),
                stage_since=D(2019, 5, 1),
            )
        )

    visit_specs = [
        ("h1", D(2020, 6, 1), True),
        ("h2", D(2020, 6, 2), False),
        ("h3", D(2020, 6, 3), False),
        ("h3", D(2020, 7, 3), True),
        ("h7", D(2020, 6, 5), True),
        ("h9", D(2020, 6, 6), False),
    ]
    for number, (household, visited_on, verified) in enumerate(visit_specs, start=1):
        session.add(
            VerificationVisit(
                id=number,
                household_id=households[household].id,
                visited_on=visited_on,
                visitor_name="核验员",
                ledger_verified=verified,
                problems=None if verified else "收入台账缺页",
                satisfied=True,
            )
        )

    cadres = {
        key: Cadre(id=number, name=f"书记{number}")
        for number, key in enumerate(["c1", "c2", "c3", "c4", "c5", "c6", "c7"], start=1)
    }
    session.add_all(cadres.values())
    session.flush()
    posting_specs = [
        ("c1", "A1", "first_secretary", D(2018, 3, 1), None),
        ("c2", "A2", "first_secretary", D(2018, 3, 1), None),
        ("c3", "A3", "first_secretary", D(2018, 3, 1), None),
        ("c4", "B1", "first_secretary", D(2017, 3, 1), D(2019, 6, 30)),
        ("c4", "B2", "first_secretary", D(2019, 7, 1), None),
        ("c5", "B1", "first_secretary", D(2019, 7, 1), None),
        ("c6", "A1", "first_secretary", D(2016, 3, 1), D(2018, 2, 28)),
        ("c7", "A1", "team_member", D(2018, 3, 1), None),
    ]
    for number, (cadre, village, role, start, end) in enumerate(posting_specs, start=1):
        session.add(
            Posting(
                id=number,
                cadre_id=cadres[cadre].id,
                village_id=villages[village].id,
                role=role,
                start_date=start,
                end_date=end,
            )
        )

    rotation = TrainingProgramme(
        id=1, code="rotation", kind="rotation", name_zh="轮训", name_en="Rotation", year=2019, required=True
    )
    tour = TrainingProgramme(
        id=2, code="tour", kind="study_tour", name_zh="考察", name_en="Tour", year=2019, required=False
    )
    session.add_all([rotation, tour])
    session.flush()
    phase1 = TrainingSession(
        id=1,
        programme_id=1,
        phase=1,
        place_zh="党校",
        place_en="Party School",
        start_date=D(2019, 4, 15),
        end_date=D(2019, 4, 19),
        days=5,
        capacity=10,
    )
    phase2 = TrainingSession(
        id=2,
        programme_id=1,
        phase=2,
        place_zh="党校",
        place_en="Party School",
        start_date=D(2019, 9, 16),
        end_date=D(2019, 9, 20),
        days=5,
        capacity=10,
    )
    tour_session = TrainingSession(
        id=3,
        programme_id=2,
        phase=1,
        place_zh="毕节",
        place_en="Bijie",
        start_date=D(2019, 11, 4),
        end_date=D(2019, 11, 8),
        days=5,
        capacity=5,
    )
    session.add_all([phase1, phase2, tour_session])
    session.flush()
    attendance_specs = [
        ("c1", 1, "attended"),
        ("c2", 1, "absent"),
        ("c3", 3, "attended"),
        ("c4", 1, "attended"),
        ("c5", 2, "attended"),
        ("c6", 1, "attended"),
        ("c7", 2, "attended"),
    ]
    for number, (cadre, session_id, status) in enumerate(attendance_specs, start=1):
        session.add(Attendance(id=number, session_id=session_id, cadre_id=cadres[cadre].id, status=status))

    session.add_all([Meta(key="data_version", value="1"), Meta(key="as_of", value="2020-10-31")])
    session.add(Meta(key="browse_without_sign_in", value="1"))  # page tests browse it signed out
    session.flush()
    advance_id_sequences(session)  # the rows above have explicit ids; later rows must not collide
    rollups.rebuild(session)  # as a bulk load does: pages read the rollups
    session.commit()


UPCOMING_SESSION = 10  # the id `add_upcoming_session` gives its session


def add_upcoming_session(session: Session, *, capacity: int) -> None:
    """Add (and commit) a third rotation phase, 16–20 November 2020 at the Party School, with
    `capacity` seats: not yet started on the county's as-of date, so first secretaries may enrol."""
    session.add(
        TrainingSession(
            id=UPCOMING_SESSION,
            programme_id=1,
            phase=3,
            place_zh="党校",
            place_en="Party School",
            start_date=dt.date(2020, 11, 16),
            end_date=dt.date(2020, 11, 20),
            days=5,
            capacity=capacity,
        )
    )
    session.commit()
