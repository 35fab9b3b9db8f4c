"""The demo county: deterministic, true to the work, matching its shipped outlines."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from lib import demo
from lib.core import config
from lib.core.db import make_engine
from lib.core.models import (
    Attendance,
    Base,
    Household,
    Meta,
    Posting,
    SessionTopic,
    Town,
    TrainingProgramme,
    TrainingSession,
    TrainingTopic,
    User,
    Village,
)
from lib.core.schema import upgrade
from lib.demo.__main__ import main as demo_main
from lib.present import geo
from lib.queries import boundaries, overview, training
from tests.support.apptest import AppFactory
from tests.support.cli import run_main

# All on one pytest-xdist worker (--dist loadgroup): the demo county's fingerprint (~3 s) is read once,
# not by each worker that runs one of its tests.
pytestmark = pytest.mark.xdist_group("test_demo")

ROTATION_TOPICS = {
    "funds_management",
    "policy_analysis",
    "rural_preaching",
    "rural_tourism",
    "education",
}


def _load_demo(url: str, seed: int = 42) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        demo.generate(session, scale="county", seed=seed)
        session.commit()
    return engine


# Salted on purpose: the demo accounts' argon2 hashes differ on every run.
UNSEEDED_COLUMNS = {("users", "password_hash")}


def _fingerprint(engine: Engine) -> str:
    """A hash of every row of every table (but UNSEEDED_COLUMNS), each read in primary-key order."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            digest.update(table.name.encode())
            columns = [c for c in table.columns if (table.name, c.name) not in UNSEEDED_COLUMNS]
            for row in conn.execute(select(*columns).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def demo_fingerprint(demo_engine: Engine) -> str:
    """`_fingerprint` of the session's demo county, worked out once (reading every row takes ~3 s)."""
    return _fingerprint(demo_engine)


def test_same_seed_gives_the_same_rows(demo_fingerprint: str, sqlite_url: str) -> None:
    again = _load_demo(sqlite_url)
    assert _fingerprint(again) == demo_fingerprint


def test_postgresql_holds_the_same_rows_as_sqlite(demo_fingerprint: str, postgres_url: str) -> None:
    assert _fingerprint(_load_demo(postgres_url)) == demo_fingerprint


def test_another_seed_gives_other_rows() -> None:
    rows_42, _ = demo.build_rows(seed=42)
    rows_7, _ = demo.build_rows(seed=7)
    assert rows_42.tables[Household] != rows_7.tables[Household]


def test_county_has_the_expected_shape(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        town_names = set(session.scalars(select(Town.name_zh)))
        villages = session.scalar(select(func.count()).select_from(Village))
        households = session.scalar(select(func.count()).select_from(Household))
        facts = {key: value for key, value in session.execute(select(Meta.key, Meta.value))}
    assert len(town_names) == 25 and "八里河镇" in town_names
    assert 300 <= (villages or 0) <= 400
    assert 18_000 <= (households or 0) <= 23_000
    assert facts["dataset"] == "demo" and facts["as_of"] == "2020-10-31"


def _attended(session: Session, session_ids: list[int]) -> set[int]:
    return set(
        session.scalars(
            select(Attendance.cadre_id).where(
                Attendance.session_id.in_(session_ids), Attendance.status == "attended"
            )
        )
    )


def _topics(session: Session, session_id: int) -> set[str]:
    return set(
        session.scalars(
            select(TrainingTopic.code).join(SessionTopic).where(SessionTopic.session_id == session_id)
        )
    )


def test_371_secretaries_trained_in_two_classes_321_and_50_different_people(demo_engine: Engine) -> None:
    """The story: 321 in the ability-enhancement class's two phases, 50 others 5 days in Bijie."""
    with Session(demo_engine) as session:
        rotation = session.scalars(
            select(TrainingSession)
            .join(TrainingProgramme)
            .where(TrainingProgramme.code == "rotation-2019")
            .order_by(TrainingSession.phase)
        ).all()
        assert [s.phase for s in rotation] == [1, 2]
        enhancement = _attended(session, [s.id for s in rotation])
        assert len(enhancement) == 321
        assert [len(_attended(session, [s.id])) for s in rotation] == [160, 161]
        for phase in rotation:
            assert _topics(session, phase.id) == ROTATION_TOPICS
        bijie = session.scalars(
            select(TrainingSession)
            .join(TrainingProgramme)
            .where(TrainingProgramme.code == "bijie-class-2019")
        ).one()
        assert (bijie.start_date, bijie.end_date, bijie.days) == (
            dt.date(2019, 11, 4),
            dt.date(2019, 11, 8),
            5,
        )
        assert (bijie.place_zh, bijie.place_en) == ("贵州省毕节市", "Bijie, Guizhou")
        assert _topics(session, bijie.id) == {"ecommerce", "pilot_path"}
        development = _attended(session, [bijie.id])
        assert len(development) == 50
        assert enhancement.isdisjoint(development)
        assert len(enhancement | development) == 371
        # both classes count as training (the Overview's "trained")
        counted = set(session.scalars(overview.trained_cadres()))
        assert enhancement | development == counted
        first_secretaries = select(Posting.cadre_id).where(Posting.role == "first_secretary")
        assert enhancement | development <= set(session.scalars(first_secretaries))
        # each was in post as a first secretary for the whole of the session they attended
        held = {s.id: s for s in [*rotation, bijie]}
        attended = session.execute(
            select(Attendance.cadre_id, Attendance.session_id).where(
                Attendance.session_id.in_(held), Attendance.status == "attended"
            )
        ).all()
        postings: dict[int, list[Posting]] = {}
        for posting in session.scalars(select(Posting).where(Posting.role == "first_secretary")):
            postings.setdefault(posting.cadre_id, []).append(posting)
        out_of_post = [
            (cadre_id, session_id)
            for cadre_id, session_id in attended
            if not any(
                p.start_date <= held[session_id].start_date
                and (p.end_date is None or p.end_date >= held[session_id].end_date)
                for p in postings.get(cadre_id, [])
            )
        ]
        assert len(attended) == 371 and out_of_post == []


def test_the_training_page_counts_the_two_classes_as_371(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        classes = training.trained_by_class(session, as_of=dt.date(2020, 10, 31))
        total = training.trained_in_classes(session, as_of=dt.date(2020, 10, 31))
    assert classes["programme_code"].tolist() == ["rotation-2019", "bijie-class-2019"]
    assert classes["trained"].tolist() == [321, 50]
    assert classes["sessions"].tolist() == [2, 1]
    assert classes.iloc[1]["days_min"] == classes.iloc[1]["days_max"] == 5
    assert classes.iloc[1]["places_en"] == ["Bijie, Guizhou"]
    assert total.trained == 371


def test_every_village_with_coordinates_lies_in_its_town(demo_engine: Engine) -> None:
    rings = {
        feature["properties"]["code"]: geo.town_ring(feature) for feature in geo.load_towns()["features"]
    }
    with Session(demo_engine) as session:
        rows = session.execute(select(Village.code, Village.lon, Village.lat, Town.code).join(Town)).all()
    located = [row for row in rows if row.lon is not None]
    assert 0 < len(rows) - len(located) <= 5  # a few villages miss coordinates, as real data does
    outside = [
        code
        for code, lon, lat, town in located
        if lon is None or lat is None or not geo.point_in_polygon(lon, lat, rings[town])
    ]
    assert outside == []


def test_the_demo_stores_the_outlines_it_was_built_on(demo_engine: Engine) -> None:
    """The map draws the database's outlines: for the demo, data/geo's, so it looks as it always did."""
    with Session(demo_engine) as session:
        towns, counties = boundaries.stored_outlines(session)
    shipped = {f["properties"]["code"]: f for f in geo.load_towns()["features"]}
    assert {f["properties"]["code"]: f["geometry"] for f in towns["features"]} == {
        code: feature["geometry"] for code, feature in shipped.items()
    }
    for feature in towns["features"]:
        props, original = feature["properties"], shipped[feature["properties"]["code"]]["properties"]
        assert (props["lon"], props["lat"], props["name_zh"], props["name_en"]) == (
            original["lon"],
            original["lat"],
            original["name_zh"],
            original["name_en"],
        )
    (county,) = geo.load_county()["features"]
    assert [(f["properties"]["code"], f["geometry"]) for f in counties["features"]] == [
        ("349901", county["geometry"])
    ]


def test_overview_on_the_demo_shows_towns_that_lag(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        progress = overview.town_progress(session)
    totals = overview.totals(progress)
    assert 0.8 < (totals.exited_share or 0) < 0.95
    assert totals["secretaries_serving"] == totals["villages"]  # one serving first secretary per village
    assert 0.5 < (totals.training_share or 0) < 1.0
    assert progress["training_share"].min() < 0.6 < progress["training_share"].max()
    assert progress["verified_share"].min() < 0.5 < progress["verified_share"].max()


def _real_demo_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m lib.demo …` as a real process: its exit code, its output, no traceback."""
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "lib.demo", *args],
        cwd=config.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _demo_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`lib.demo`'s main(args) in this process (see tests/support/cli.py); the bad-database tests
    keep the process boundary."""
    return run_main(demo_main, args, env={"DATABASE_URL": url})


def test_cli_refuses_to_overwrite_data_without_reset(demo_engine: Engine) -> None:
    result = _demo_cli(demo_engine.url.render_as_string(hide_password=False), "--scale", "county")
    assert result.returncode == 2
    assert "--reset" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["nonsense", "postgresql+psycopg://u:p@127.0.0.1:1/x"])
def test_cli_reports_a_bad_database_in_one_line(url: str, tmp_path: Path) -> None:
    result = _real_demo_cli(url)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_training_page_on_the_demo_agrees_with_the_overview(
    demo_engine: Engine, open_app: AppFactory
) -> None:
    url = demo_engine.url.render_as_string(hide_password=False)
    overview_run = open_app(url, lang="en")
    overview_figure = next(m.value for m in overview_run.metric if m.label == "Trained")
    training_run = open_app(url, "pages/training.py", lang="en")
    assert not training_run.exception
    metrics = {m.label: m.value for m in training_run.metric}
    assert metrics["Coverage"] == overview_figure == "84.7%"
    assert metrics["Secretaries trained"] == "371"
    assert metrics["In selected classes"] == "50"
    captions = [c.value for c in training_run.caption]
    assert "by class 321 + 50; each person once" in captions
    assert "First Secretary Ability-Development Class (Bijie)" in captions


def test_industry_page_on_the_demo_agrees_with_the_overview(
    demo_engine: Engine, open_app: AppFactory
) -> None:
    url = demo_engine.url.render_as_string(hide_password=False)
    overview_metrics = {m.label: m.value for m in open_app(url, lang="en").metric}
    industry_run = open_app(url, "pages/industry.py", lang="en")
    assert not industry_run.exception
    metrics = {m.label: m.value for m in industry_run.metric}
    assert metrics["Plan coverage"] == overview_metrics["With a plan"]
    assert metrics["Stable income"] == overview_metrics["Plans at stable income"]


# --- --reset never deletes a real county's accounts without being told ---------------------------


def _with_a_real_account(engine: Engine) -> str:
    from lib.rules.permissions import COMMAND_LINE
    from lib.services.accounts import create_user_service

    with Session(engine) as session:
        create_user_service(
            session,
            actor=COMMAND_LINE,
            username="admin",  # the demo's name too, but made by lib.admin, not by the demo
            password="county admin password",
            display_name="县管理员",
            role="admin",
        )
    return engine.url.render_as_string(hide_password=False)


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with Session(engine) as session:
        towns = session.scalar(select(func.count()).select_from(Town)) or 0
        users = session.scalar(select(func.count()).select_from(User)) or 0
    engine.dispose()
    return towns, users


def test_reset_refuses_a_database_with_accounts_not_the_demos(hand_engine: Engine) -> None:
    url = _with_a_real_account(hand_engine)
    before = _counts(url)
    result = _demo_cli(url, "--scale", "county", "--reset")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "accounts that are not the demo's" in result.stderr and "admin" in result.stderr
    assert "--i-know" in result.stderr
    assert _counts(url) == before  # nothing deleted


def test_reset_with_i_know_replaces_them(hand_sqlite_url: str) -> None:
    engine = make_engine(hand_sqlite_url)
    _with_a_real_account(engine)
    engine.dispose()
    result = _demo_cli(hand_sqlite_url, "--scale", "county", "--reset", "--i-know")
    assert result.returncode == 0, result.stderr
    towns, users = _counts(hand_sqlite_url)
    assert towns > 3 and users == len(demo.DEMO_ACCOUNTS)


def test_the_demos_own_accounts_are_no_obstacle(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        assert demo.foreign_accounts(session) == []
        session.execute(
            update(User).where(User.username == "leader").values(created_at=dt.datetime(2024, 1, 1))
        )
        assert demo.foreign_accounts(session) == ["leader"]  # made again later: not the demo's
        session.rollback()
