"""City and province demos (issue 8): a run of counties, deterministic, with the advertised sizes.

A full city takes a minute and a province many; these tests build two or three counties of each
and check the per-county figures that the scales multiply.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib import demo
from lib.core.db import make_engine
from lib.core.domain import PostingRole
from lib.core.models import Attendance, Cadre, Household, Meta, Posting, Town, TrainingSession, User, Village
from lib.core.schema import upgrade
from lib.demo import county
from lib.files.briefing import build_slides
from lib.present import geo
from lib.queries import boundaries

# All on one pytest-xdist worker (--dist loadgroup): the two counties' rows (~11 s) are built once, not by
# each worker that runs one of its tests.
pytestmark = pytest.mark.xdist_group("test_demo_scale")


@pytest.fixture(scope="module")
def two_counties() -> tuple[county._Rows, dict[str, int]]:
    return demo.build_rows(scale="city", seed=42, counties=2)


def test_same_seed_gives_the_same_city(two_counties: tuple[county._Rows, dict[str, int]]) -> None:
    rows = two_counties[0]
    again, _ = demo.build_rows(scale="city", seed=42, counties=2)
    assert list(again.tables) == list(rows.tables)
    for model, table in again.tables.items():
        assert table == rows.tables[model], model.__name__
    # Another seed: its first county's households already differ.
    other, _ = demo.build_rows(scale="city", seed=7, counties=1)
    households = other.tables[Household]
    assert households != rows.tables[Household][: len(households)]


def test_counties_have_their_own_codes_and_places(two_counties: tuple[county._Rows, dict[str, int]]) -> None:
    rows, _ = two_counties
    towns = rows.tables[Town]
    assert Counter(t["code"][:6] for t in towns) == {"349901": 25, "349902": 25}
    assert len({t["code"] for t in towns}) == 50
    assert len({t["name_zh"] for t in towns}) == 50  # county 2's towns carry its name
    villages = rows.tables[Village]
    assert len({v["code"] for v in villages}) == len(villages)
    assert len({h["archive_no"] for h in rows.tables[Household]}) == len(rows.tables[Household])
    ids = [h["head_id_number"] for h in rows.tables[Household]]
    assert len(set(ids)) == len(ids)
    # Every located village lies in its own (moved) town outline.
    rings = {}
    for index in (1, 2):
        for feature in geo.moved_towns(index)["features"]:
            rings[feature["properties"]["code"]] = geo.town_ring(feature)
    town_code = {t["id"]: t["code"] for t in towns}
    located = [v for v in villages if v["lon"] is not None]
    assert all(geo.point_in_polygon(v["lon"], v["lat"], rings[town_code[v["town_id"]]]) for v in located)


def test_city_sizes_are_as_advertised(two_counties: tuple[county._Rows, dict[str, int]]) -> None:
    rows, facts = two_counties
    spec = demo.SCALE_SPECS["city"]
    villages_per_county = rows.count(Village) / 2
    households_per_county = rows.count(Household) / 2
    assert 3_300 <= villages_per_county * spec.counties <= 3_900
    assert 270_000 <= households_per_county * spec.counties <= 330_000
    serving = [
        p
        for p in rows.tables[Posting]
        if p["role"] == PostingRole.FIRST_SECRETARY.value and p["end_date"] is None
    ]
    first_secretaries = {
        p["cadre_id"] for p in rows.tables[Posting] if p["role"] == PostingRole.FIRST_SECRETARY.value
    }
    assert len(serving) == rows.count(Village)
    # ~4,600 over the years (README): one per village and the 2015–2020 turnover
    assert 4_100 <= len(first_secretaries) / 2 * spec.counties <= 5_100
    province = demo.SCALE_SPECS["province"]
    assert 28_000 <= villages_per_county * province.counties <= 32_000
    assert (
        households_per_county / spec.households_factor * province.households_factor * province.counties
        >= 2.7e6
    )
    # each county trains its own 371: 321 in the rotation, 50 others in the Bijie class
    assert (facts["rotation_2019"], facts["development_class_2019"]) == (2 * 321, 2 * 50)
    assert facts["trained_2019"] == 2 * 371


def test_each_county_holds_its_own_training_sessions(
    two_counties: tuple[county._Rows, dict[str, int]],
) -> None:
    rows, _ = two_counties
    sessions = rows.tables[TrainingSession]
    assert [s["id"] for s in sessions] == list(range(1, 9))
    attendance_ids = [a["id"] for a in rows.tables[Attendance]]
    assert attendance_ids == list(range(1, len(attendance_ids) + 1))
    cadre_ids = {c["id"] for c in rows.tables[Cadre]}
    assert {a["cadre_id"] for a in rows.tables[Attendance]} <= cadre_ids


def test_generate_streams_a_small_city_into_sqlite(
    two_counties: tuple[county._Rows, dict[str, int]], tmp_path: pytest.TempPathFactory
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/city.db")
    upgrade(engine)
    expected, _ = two_counties
    with Session(engine) as session:
        summary = demo.generate(session, scale="city", seed=42, counties=2)
        session.commit()
        assert (
            summary.households
            == expected.count(Household)
            == session.scalar(select(func.count(Household.id)))
        )
        assert summary.villages == session.scalar(select(func.count(Village.id)))
        assert session.scalar(select(Meta.value).where(Meta.key == "demo_scale")) == "city"
        assert session.scalar(select(func.count(User.id))) == len(demo.DEMO_ACCOUNTS)

        # The outlines stored are the shipped county's moved onto each county's place.
        towns, counties = boundaries.stored_outlines(session)
        moved_towns, moved_counties = geo.region_outlines(2)
        for stored, moved in ((towns, moved_towns), (counties, moved_counties)):
            assert [(f["properties"]["code"], f["geometry"]) for f in stored["features"]] == [
                (f["properties"]["code"], f["geometry"]) for f in moved["features"]
            ]
        # The meeting deck's map shows both counties, each with its 25 towns.
        slides = build_slides(session, town_codes=None, as_of=dt.date(2020, 10, 31), lang="en")
        spec = json.loads(next(slide.spec for slide in slides if slide.key == "map") or "{}")
        shapes = [layer for layer in spec["layer"] if layer["mark"]["type"] == "geoshape"]
        rows = sorted(len(spec["datasets"][layer["data"]["name"]]) for layer in shapes)
        assert rows == [2, 50]
    engine.dispose()


def test_county_offsets_place_counties_on_a_grid() -> None:
    assert geo.county_offset(1) == (0.0, 0.0)
    assert geo.county_code(12) == "349912"
    moved = geo.moved_towns(12)
    shipped = geo.load_towns()
    dlon, dlat = geo.county_offset(12)
    first, original = moved["features"][0], shipped["features"][0]
    assert first["properties"]["code"] == "349912" + original["properties"]["code"][6:]
    lon0, lat0 = original["geometry"]["coordinates"][0][0]
    assert first["geometry"]["coordinates"][0][0] == [round(lon0 + dlon, 5), round(lat0 + dlat, 5)]
    towns, counties = geo.region_outlines(3)
    assert len(towns["features"]) == 3 * len(shipped["features"]) and len(counties["features"]) == 3


def test_the_first_counties_of_a_region_form_a_near_square_block() -> None:
    """A city's 10 counties sit 4 columns by 3 rows; the first 9 make a 3 × 3 square."""
    cells = [
        (round(dlon / geo.COUNTY_STEP_LON), round(-dlat / geo.COUNTY_STEP_LAT))
        for dlon, dlat in (geo.county_offset(i) for i in range(1, 11))
    ]
    assert len(set(cells)) == 10  # no two counties on one place
    assert {cell for cell in cells[:9]} == {(c, r) for c in range(3) for r in range(3)}
    assert cells[9] == (3, 0)
    assert max(c for c, _ in cells) + 1 == 4 and max(r for _, r in cells) + 1 == 3
