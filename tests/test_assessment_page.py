"""/assessment under AppTest, in both languages, on tests/assessment_county.py; and its map measure."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.present import status
from tests.assessment_county import load_assessment_county
from tests.db_fixtures import copy_database
from tests.support.apptest import open_tab

PAGE = "pages/assessment.py"
AppFactory = Callable[..., AppTest]


def _assessment_county(engine: Engine) -> None:
    with Session(engine) as session:
        load_assessment_county(session)


@pytest.fixture
def county_url(request: pytest.FixtureRequest, backend: str) -> str:
    """The assessment county on each backend, as a URL (built once per worker, copied for each test)."""
    return copy_database(request, backend, "assessment", _assessment_county)


@pytest.fixture
def county_sqlite_url(request: pytest.FixtureRequest) -> str:
    return copy_database(request, "sqlite", "assessment", _assessment_county)


def _metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The first dataframe on the page with `column`."""
    for frame in [*at.dataframe, *at.table]:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with {column!r}")


def _tints(at: AppTest, column: str) -> pd.DataFrame:
    """The background colour of each cell of the first dataframe on the page with `column`."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            tints = pd.DataFrame("", index=range(len(frame.value)), columns=frame.value.columns)
            css = str(frame.proto.arrow_data.styler.styles)
            for selectors, colour in re.findall(r"([^{}]+)\{\s*background-color:\s*(#[0-9a-f]+)", css):
                for row, col in re.findall(r"row(\d+)_col(\d+)", selectors):
                    tints.iat[int(row), int(col)] = colour
            return tints
    raise AssertionError(f"no table with {column!r}")


def _open_tab(at: AppTest, label: str) -> AppTest:
    return open_tab(at, "assessment_tab", label)


def test_only_the_open_tab_runs(open_app: AppFactory, county_sqlite_url: str) -> None:
    at = open_app(county_sqlite_url, page=PAGE, lang="en")
    assert [tab.label for tab in at.tabs][:2] == ["Towns", "Villages"]
    assert _table(at, "Why") is not None
    with pytest.raises(AssertionError):
        _table(at, "What it means")  # the issues tab's table is not built until it is opened
    _open_tab(at, "Data issues")
    assert _table(at, "What it means") is not None
    with pytest.raises(AssertionError):
        _table(at, "Why")


def test_renders_in_chinese_on_both_databases(open_app: AppFactory, county_url: str) -> None:
    at = open_app(county_url, page=PAGE)
    assert not at.exception
    assert at.title[0].value == "第三方评估准备"
    metrics = _metrics(at)
    assert metrics["就绪乡镇"] == "0 / 2"
    assert metrics["档案核验率"] == "44.4%"  # h1 h3 h7 h8 of 9
    assert metrics["错退风险率"] == "20.0%"  # h1 of 5 exited
    assert metrics["漏评率"] == "14.3%"  # h8 of 7 visited
    assert metrics["群众满意度"] == "83.3%"  # 5 of 6 answered
    towns = _table(at, "原因")
    assert towns["乡镇"].tolist() == ["甲镇", "乙镇", "丙乡"]
    assert towns["总体"].tolist() == ["不达标", "不达标", "无数据"]
    # status in colour as well as words, cell by cell
    tints = _tints(at, "原因")
    assert tints["总体"].tolist() == [status.TINTS["red"], status.TINTS["red"], status.TINTS["none"]]
    assert tints["错退率"].iloc[0] == status.TINTS["red"]  # 33.3% > 2%
    assert tints["原因"].tolist() == ["", "", ""]  # words only
    assert towns["原因"].iloc[2] == "没有建档立卡户"  # town C has no households
    assert "错退风险 33.3%，超过 2.0%" in towns["原因"].iloc[0]


def test_renders_in_english_and_explains_each_town(open_app: AppFactory, county_sqlite_url: str) -> None:
    at = open_app(county_sqlite_url, page=PAGE, lang="en")
    assert not at.exception
    assert at.title[0].value == "Third-party assessment readiness"
    towns = _table(at, "Why").set_index("Town")
    assert towns.loc["Jia Town", "Why"] == (
        "wrong-exit risk 33.3%, above 2.0%; only 33.3% verified, far below the 90.0% target"
    )
    assert towns.loc["Yi Town", "Satisfaction"] == "66.7% · Behind"
    _open_tab(at, "Data issues")
    checks = _table(at, "What it means").set_index("Check")
    assert checks.loc["Ledger not verified", "Households"] == 4
    assert checks.loc["Exit steps out of order", "Households"] == 1
    issues = _table(at, "Issues").set_index("Archive no.")
    assert issues.loc["HAND0001", "Issues"] == (
        "Exited, income not above the line; Exited, a guarantee not met; Exit steps missing"
    )
    assert issues.loc["HAND0001", "Head"] == "户**"  # masked for a visitor who is not signed in


def test_town_filter_and_villages(open_app: AppFactory, county_sqlite_url: str) -> None:
    at = open_app(county_sqlite_url, page=PAGE, lang="en", town="349901101")
    assert not at.exception
    assert _metrics(at)["Towns ready"] == "0 / 1"
    _open_tab(at, "Villages")
    villages = _table(at, "Village")
    assert set(villages["Town"]) == {"Yi Town"}


def test_mock_assessment_from_the_query_params_is_reproducible(
    open_app: AppFactory, county_sqlite_url: str
) -> None:
    lists = []
    for _ in range(2):
        at = open_app(county_sqlite_url, page=PAGE, lang="en", seed="7", sample="1-1-1", drawn="2020-10-01")
        assert not at.exception
        visit_list = _table(at, "Ledger right")
        lists.append(visit_list["Archive no."].tolist())
        estimates = _table(at, "Drawn")
        assert estimates["Town"].tolist() == ["All selected towns", "Jia Town", "Yi Town"]
        assert estimates["Drawn"].tolist() == [5, 3, 2]
        assert estimates["Wrong exits"].tolist() == ["not visited yet"] * 3
    assert lists[0] == lists[1] and len(lists[0]) == 5
    assert at.query_params["seed"] in ("7", ["7"]) and at.query_params["sample"] in ("1-1-1", ["1-1-1"])


def test_changing_the_seed_keeps_it_in_the_link(open_app: AppFactory, county_sqlite_url: str) -> None:
    at = open_app(county_sqlite_url, page=PAGE, lang="en")
    assert "seed" not in at.query_params  # the mock tab has not been opened
    _open_tab(at, "Mock assessment")
    seed = next(n for n in at.number_input if n.label == "Random seed")
    assert seed.value == 2020
    seed.set_value(11).run()
    assert not at.exception
    assert at.query_params["seed"] in ("11", ["11"])


def _legend(at: AppTest) -> str:
    return next(h.proto.body for h in at.get("html") if "map-legend" in h.proto.body)


def test_the_map_colours_towns_and_villages_by_readiness(
    open_app: AppFactory, county_sqlite_url: str
) -> None:
    at = open_app(county_sqlite_url, page="pages/map.py", lang="en", measure="readiness", level="town")
    assert not at.exception
    legend = _legend(at)
    assert "Would fail" in legend and "2 towns" in legend
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    towns = next(layer for layer in deck["layers"] if layer["id"] == "towns")
    fills = {f["properties"]["code"]: f["properties"]["fill"] for f in towns["data"]["features"]}
    assert fills["349901100"][:3] == [0xD7, 0x30, 0x27]  # red

    at = open_app(county_sqlite_url, page="pages/map.py", lang="en", measure="readiness")
    assert not at.exception
    assert "Would fail" in _legend(at)


def test_village_readiness_on_the_demo_county(open_app: AppFactory, demo_engine: Engine) -> None:
    """On the demo some towns are ready and some are not, each for a reason the page gives."""
    at = open_app(demo_engine.url.render_as_string(hide_password=False), page=PAGE, lang="en")
    assert not at.exception
    towns = _table(at, "Why")
    overall = towns["Overall"].value_counts()
    assert overall["Ready"] >= 2 and overall["Would fail"] >= 2 and overall["Close"] >= 2
    failing = towns[towns["Overall"] == "Would fail"]["Why"].tolist()
    assert any("wrong-exit risk" in why for why in failing)
    assert any("missed identification" in why for why in failing)
    assert any("satisfaction" in why for why in failing)
    ready = towns[towns["Overall"] == "Ready"]["Why"]
    assert (ready == "every measure within its threshold").all()


def test_issue_list_is_paged_with_of_n_and_next(
    open_app: AppFactory, county_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib.ui import paging

    monkeypatch.setattr(paging, "PAGE_SIZE", 3)
    at = open_app(county_sqlite_url, page=PAGE, lang="en")
    assert not at.exception
    _open_tab(at, "Data issues")
    captions = [caption.value for caption in at.caption]
    assert "Rows 1–3 of 8 · page 1 of 3" in captions
    assert list(_table(at, "Issues")["Archive no."]) == ["HAND0001", "HAND0002", "HAND0003"]
    at.button(key="assessment_issues_page_all_next").click().run()
    assert not at.exception
    assert "Rows 4–6 of 8 · page 2 of 3" in [caption.value for caption in at.caption]
    assert list(_table(at, "Issues")["Archive no."]) == ["HAND0004", "HAND0005", "HAND0006"]
    at.button(key="assessment_issues_page_all_next").click().run()
    assert list(_table(at, "Issues")["Archive no."]) == ["HAND0008", "HAND0009"]
    assert at.button(key="assessment_issues_page_all_next").disabled
