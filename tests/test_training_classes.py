"""Two classes that both count as training, as the story has them: a secretary trained in either
class is trained, and one trained in both counts once.

The hand county (tests/hand_county.py, unchanged) plus, here:

  topics: funds_management (1), ecommerce (2); s1 and s2 (the rotation's phases) teach funds.
  programme 3 "development": kind study_tour, required (it counts toward coverage), 2019;
      session s4 at 毕节 / Bijie, 2019-11-04…08, 5 days, capacity 5, teaching ecommerce.
  attendance in s4: c1 attended (already in rotation phase 1: trained in both classes),
      c2 attended (absent from phase 1: trained in the second class only), c3 absent.

By hand, as of 2020-10-31 (first secretaries serving now: c1 A1, c2 A2, c3 A3 in town A;
c4 B2, c5 B1 in town B; c6 left in 2018; c7 is a team member, never a first secretary):
  rotation attended: s1 c1, c4, c6 (c2 absent); s2 c5, c7.
      first secretaries trained 4 (c1 c4 c5 c6), of them serving 3 (c1 c4 c5).
  development: c1, c2 → 2, both serving.
  each person once: {c1, c2, c4, c5, c6} = 5 (4 + 2 − c1), serving {c1, c2, c4, c5} = 4.
  coverage: A 2 of 3 (c1, c2), B 2 of 2; county 4 of 5 = 80.0%. Waiting: c3 alone.
  town A alone: rotation 1 (c1), development 2 (c1 c2), once 2. Town B: rotation 2, development 0, once 2.
  as of 2019-10-31 (s4 not begun): rotation only, 4 once, 3 serving.
  required topics (rotation sessions only): funds. Missing: c2 (development only) and c3 (nothing
      counted) lack funds. The development class's ecommerce is not asked of everyone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.models import Attendance, SessionTopic, TrainingProgramme, TrainingSession, TrainingTopic
from lib.queries import overview, training
from tests.db_fixtures import copy_database
from tests.hand_county import load_hand_county
from tests.support.apptest import AppFactory, open_tab

TOWN_A, TOWN_B = "349901100", "349901101"
AS_OF = dt.date(2020, 10, 31)
C1, C2, C3 = 1, 2, 3


def _add_development_class(session: Session) -> None:
    """The rows of the module docstring, on top of the hand county."""
    session.add_all(
        [
            TrainingTopic(id=1, code="funds_management", name_zh="资金管理", name_en="Funds management"),
            TrainingTopic(id=2, code="ecommerce", name_zh="农村电商", name_en="Rural e-commerce"),
            TrainingProgramme(
                id=3,
                code="development",
                kind="study_tour",
                name_zh="能力发展专题培训班",
                name_en="Ability-Development Class",
                year=2019,
                required=True,
            ),
        ]
    )
    session.flush()
    session.add(
        TrainingSession(
            id=4,
            programme_id=3,
            phase=1,
            place_zh="毕节",
            place_en="Bijie",
            start_date=dt.date(2019, 11, 4),
            end_date=dt.date(2019, 11, 8),
            days=5,
            capacity=5,
        )
    )
    session.flush()
    session.add_all(
        [
            SessionTopic(session_id=1, topic_id=1),
            SessionTopic(session_id=2, topic_id=1),
            SessionTopic(session_id=4, topic_id=2),
            Attendance(id=20, session_id=4, cadre_id=C1, status="attended", selected=True),
            Attendance(id=21, session_id=4, cadre_id=C2, status="attended", selected=True),
            Attendance(id=22, session_id=4, cadre_id=C3, status="absent", selected=True),
        ]
    )
    session.commit()


def _classes_county(engine: Engine) -> None:
    with Session(engine) as session:
        load_hand_county(session)
        _add_development_class(session)


@pytest.fixture
def classes_engine(request: pytest.FixtureRequest, backend: str) -> Iterator[Engine]:
    engine = make_engine(copy_database(request, backend, "classes", _classes_county))
    yield engine
    engine.dispose()


@pytest.fixture
def classes_url(request: pytest.FixtureRequest) -> str:
    return copy_database(request, "sqlite", "classes", _classes_county)


def _rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    return list(frame[["programme_code", "trained", "trained_serving"]].itertuples(index=False, name=None))


def test_a_secretary_trained_in_either_class_counts_once(classes_engine: Engine) -> None:
    with Session(classes_engine) as session:
        classes = training.trained_by_class(session, as_of=AS_OF)
        once = training.trained_in_classes(session, as_of=AS_OF)
        by_town = training.coverage_by_town(session)
        totals = overview.totals(overview.town_progress(session))
        waiting = training.waiting_list(session, as_of=AS_OF)
    assert _rows(classes) == [("rotation", 4, 3), ("development", 2, 2)]
    assert (once.trained, once.serving) == (5, 4)  # c1 is in both classes, counted once
    assert by_town.set_index("town_code").loc[[TOWN_A, TOWN_B], "trained"].tolist() == [2, 2]
    assert (totals["secretaries_trained"], totals.training_share) == (once.serving, pytest.approx(0.8))
    assert waiting["cadre_id"].tolist() == [C3]


def test_each_class_apart_with_its_phases_days_and_place(classes_engine: Engine) -> None:
    with Session(classes_engine) as session:
        classes = training.trained_by_class(session, as_of=AS_OF)
    rotation, development = classes.to_dict("records")
    assert (rotation["sessions"], rotation["days_min"], rotation["days_max"]) == (2, 5, 5)
    assert (rotation["start_date"], rotation["end_date"]) == (dt.date(2019, 4, 15), dt.date(2019, 9, 20))
    assert (rotation["places_zh"], rotation["places_en"]) == (["党校"], ["Party School"])
    assert (development["kind"], development["sessions"], development["days_min"]) == ("study_tour", 1, 5)
    assert (development["start_date"], development["end_date"]) == (
        dt.date(2019, 11, 4),
        dt.date(2019, 11, 8),
    )
    assert development["places_en"] == ["Bijie"]


@pytest.mark.parametrize(
    ("towns", "rows", "once"),
    [
        ([TOWN_A], [("rotation", 1, 1), ("development", 2, 2)], (2, 2)),
        ([TOWN_B], [("rotation", 2, 2), ("development", 0, 0)], (2, 2)),
    ],
)
def test_classes_for_selected_towns_count_those_serving_there(
    classes_engine: Engine, towns: list[str], rows: list[tuple[object, ...]], once: tuple[int, int]
) -> None:
    with Session(classes_engine) as session:
        assert _rows(training.trained_by_class(session, as_of=AS_OF, town_codes=towns)) == rows
        assert tuple(training.trained_in_classes(session, as_of=AS_OF, town_codes=towns)) == once


def test_a_class_not_yet_begun_is_not_counted_in_the_classes(classes_engine: Engine) -> None:
    before = dt.date(2019, 10, 31)
    with Session(classes_engine) as session:
        assert _rows(training.trained_by_class(session, as_of=before)) == [("rotation", 4, 3)]
        assert tuple(training.trained_in_classes(session, as_of=before)) == (4, 3)


def test_required_topics_are_the_rotations_not_a_selected_class(classes_engine: Engine) -> None:
    with Session(classes_engine) as session:
        missing = training.missing_topics(session)
    assert list(zip(missing["cadre_id"], missing["missing"], strict=True)) == [
        (C2, ["funds_management"]),
        (C3, ["funds_management"]),
    ]


def test_training_page_shows_each_class_and_the_total_once(classes_url: str, open_app: AppFactory) -> None:
    at = open_app(classes_url, "pages/training.py", lang="en")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Coverage"], metrics["Secretaries trained"]) == ("80.0%", "5")
    assert "by class 4 + 2; each person once" in [c.value for c in at.caption]
    table = at.dataframe[0].value
    assert table["Class"].tolist() == ["Rotation", "Ability-Development Class", "Total (each person once)"]
    assert table["Secretaries trained"].tolist() == ["4", "2", "5"]
    assert table["Still serving"].tolist() == ["3", "2", "4"]
    assert table["Days"].tolist()[:2] == ["5", "5"] and table["Place"].tolist()[:2] == [
        "Party School",
        "Bijie",
    ]
    at = open_tab(at, "training_tab", "Schedule")
    sessions = next(
        d.value for d in at.dataframe if "Place" in d.value.columns and "Capacity" in d.value.columns
    )
    bijie = sessions[sessions["Programme"] == "Ability-Development Class"].iloc[0]
    assert (bijie["Place"], bijie["Days"], str(bijie["Start"]), str(bijie["End"])) == (
        "Bijie",
        5,
        "2019-11-04",
        "2019-11-08",
    )


def test_training_page_in_chinese(classes_url: str, open_app: AppFactory) -> None:
    at = open_app(classes_url, "pages/training.py", lang="zh")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["参训第一书记"] == "5"
    assert "各班 4 + 2，每人只计一次" in [c.value for c in at.caption]
    table = at.dataframe[0].value
    assert table["培训班"].tolist() == ["轮训", "能力发展专题培训班", "合计（每人只计一次）"]
    assert table["地点"].tolist()[:2] == ["党校", "毕节"]
