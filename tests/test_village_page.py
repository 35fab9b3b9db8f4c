"""The village page (`/village?code=…`) under AppTest, through app.py, on the hand-worked county.

Figures for A1 (349901100201) are worked out in tests/test_village_detail.py's docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from lib.core import config
from lib.core.i18n import set_language
from lib.present import village_view

APP = str(config.ROOT / "app.py")
PAGE = "pages/village.py"
A1 = "349901100201"
B2 = "349901101205"

AppFactory = Callable[..., AppTest]


@pytest.fixture
def app(open_app: AppFactory) -> AppFactory:
    """The village page, opened through app.py."""

    def run(url: str, **params: str | list[str]) -> AppTest:
        return open_app(url, PAGE, **params)

    return run


def _metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def _frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page with `column` (the serving team comes before its history)."""
    frames = [element.value for element in at.dataframe if column in element.value.columns]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


def test_village_in_english(app: AppFactory, hand_sqlite_url: str) -> None:
    at = app(hand_sqlite_url, code=A1, lang="en")
    assert not at.exception
    assert at.title[0].value == "A1 Village"
    caption = at.caption[0].value
    assert "Jia Town" in caption and A1 in caption and "exited in 2019" in caption
    metrics = _metrics(at)
    assert metrics["Poor households"] == "3"
    assert metrics["Poverty incidence"] == "0.4%"
    assert metrics["With a plan"] == "100.0%"
    assert metrics["Stable income"] == "33.3%"
    assert metrics["Verified"] == "66.7%"
    assert metrics["Verification visits"] == "4"
    assert metrics["Satisfaction"] == "100.0%"
    assert any("书记1" in block.value and "County" not in block.value for block in at.markdown)
    register = _frame_with(at, "head")
    assert list(register["head"]) == ["户**", "户**", "户**"]
    assert list(register["stage"]) == ["Stable income", "Producing", "Planned"]
    assert list(register["status"]) == ["Exited", "Exited", "Poor"]
    assert not any("户主" in str(value) for frame in at.dataframe for value in frame.value.to_numpy().ravel())
    team = _frame_with(at, "study_tour")
    assert list(team["name"]) == ["书记1", "书记7"]
    assert list(team["role"]) == ["First secretary", "Team member"]
    history = _frame_with(at, "end")
    assert list(history["name"]) == ["书记6"]


def test_village_in_chinese_on_both_databases(app: AppFactory, hand_engine: Engine) -> None:
    at = app(hand_engine.url.render_as_string(hide_password=False), code=A1, lang="zh")
    assert not at.exception
    assert at.title[0].value == "A1村"
    assert "2019 年已出列" in at.caption[0].value
    metrics = _metrics(at)
    assert metrics["建档立卡户"] == "3"
    assert metrics["档案已核验"] == "66.7%"
    assert list(_frame_with(at, "head")["head"]) == ["户**", "户**", "户**"]


def test_village_without_a_poor_status(app: AppFactory, hand_sqlite_url: str) -> None:
    at = app(hand_sqlite_url, code=B2, lang="en")
    assert not at.exception
    assert at.title[0].value == "B2 Village"
    assert "Not a registered poor village" in at.caption[0].value
    assert _metrics(at)["Poverty incidence"] == "0.1%"
    assert list(_frame_with(at, "study_tour")["name"]) == ["书记4"]


def test_unknown_code_shows_the_picker_which_opens_a_village(app: AppFactory, hand_sqlite_url: str) -> None:
    at = app(hand_sqlite_url, code="000000000000", lang="en")
    assert not at.exception
    assert "no village with code 000000000000" in at.info[0].value
    assert not at.metric
    picker = at.selectbox(key="village_picker")
    assert picker.options[:2] == ["A1 Village — Jia Town", "A2 Village — Jia Town"]
    picker.set_value(B2).run()
    assert not at.exception
    assert at.query_params["code"] == [B2] or at.query_params["code"] == B2
    assert at.title[0].value == "B2 Village"


def test_missing_code_asks_for_a_village_in_the_selected_towns(app: AppFactory, hand_sqlite_url: str) -> None:
    at = app(hand_sqlite_url, lang="en", town="349901101")
    assert not at.exception
    assert "Choose a village" in at.info[0].value
    assert at.selectbox(key="village_picker").options == ["B1 Village — Yi Town", "B2 Village — Yi Town"]


def test_past_the_list_limit_the_picker_searches(
    app: AppFactory, hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(village_view, "LIST_ALL_MAX", 3)  # the hand county has 5 villages
    monkeypatch.setattr(village_view, "SEARCH_MATCHES", 2)
    at = app(hand_sqlite_url, lang="en")
    assert not at.exception
    assert at.selectbox(key="village_picker").options == []  # nothing until a search
    assert at.selectbox(key="village_picker").placeholder == "Find it above first"
    assert at.text_input(key="village_picker_search").label == "Find one of 5 villages"
    at.text_input(key="village_picker_search").input("village").run()
    assert at.selectbox(key="village_picker").options == ["A1 Village — Jia Town", "A2 Village — Jia Town"]
    assert "Showing 2 of 5 matches: type more of the name." in [c.value for c in at.main.caption]
    assert at.selectbox(key="village_picker").placeholder == "Choose from the matches"
    at.text_input(key="village_picker_search").input("yi b2").run()
    assert at.selectbox(key="village_picker").options == ["B2 Village — Yi Town"]
    at.selectbox(key="village_picker").set_value(B2).run()
    assert not at.exception
    assert at.title[0].value == "B2 Village"


def test_picker_search_in_chinese_names_the_miss(
    app: AppFactory, hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(village_view, "LIST_ALL_MAX", 3)
    at = app(hand_sqlite_url, lang="zh")
    at.text_input(key="village_picker_search").input("不存在").run()
    assert not at.exception
    assert at.selectbox(key="village_picker").options == []
    assert "没有与“不存在”匹配的村庄。" in [c.value for c in at.main.caption]


def test_search_options() -> None:
    labels = {
        "1001": "王营村 · 城关镇",
        "1002": "王营村 · 八里河镇",
        "1003": "Sundian Village · Jia Town",
        "1004": "李庄村 · 城关镇",
    }
    search = village_view.search_options
    assert search(labels, "") == ([], 0)
    assert search(labels, "  ") == ([], 0)
    assert search(labels, "王营") == (["1001", "1002"], 2)
    assert search(labels, "王营 城关") == (["1001"], 1)  # every word must be there
    assert search(labels, "SUNDIAN jia") == (["1003"], 1)  # any case
    assert search(labels, "100", limit=2) == (["1001", "1002"], 4)  # codes match too
    assert search(labels, "王营", keep="1004") == (["1004", "1001", "1002"], 2)  # the choice stays
    assert search(labels, "王营", keep="1001") == (["1001", "1002"], 2)
    assert search(labels, "王营", keep="9999") == (["1001", "1002"], 2)  # not a village here


def test_empty_database(app: AppFactory, empty_engine: Engine) -> None:
    at = app(empty_engine.url.render_as_string(hide_password=False), code=A1, lang="en")
    assert not at.exception
    assert "holds no villages yet" in at.info[0].value
    assert not at.metric


@pytest.mark.parametrize(
    ("status", "actual", "planned", "expected"),
    [
        ("exited", 2019, 2019, "Poor village, exited in 2019"),
        ("due", None, 2020, "Poor village, exit due 2020"),
        ("due", None, None, "Poor village, not yet exited"),
        ("not_poor", None, None, "Not a registered poor village"),
    ],
)
def test_exit_status_text(status: str, actual: int | None, planned: int | None, expected: str) -> None:
    set_language("en")
    village = SimpleNamespace(exit_status=status, actual_exit_year=actual, planned_exit_year=planned)
    assert village_view.exit_status_text(village) == expected
