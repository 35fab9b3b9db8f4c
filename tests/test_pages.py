"""Every page renders under AppTest, in both languages, on the hand-worked county."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from lib.core import config

APP = str(config.ROOT / "app.py")
TOWN_B = "349901101"

AppFactory = Callable[..., AppTest]


@pytest.fixture
def app(open_app: AppFactory) -> AppFactory:
    """The Overview: app.py's default page."""
    return open_app


def _param(at: AppTest, key: str) -> list[str]:
    value = at.query_params[key]
    return [value] if isinstance(value, str) else list(value)


def _metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_overview_renders_in_chinese_on_both_databases(app: AppFactory, hand_engine: Engine) -> None:
    at = app(hand_engine.url.render_as_string(hide_password=False))
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["行政村"] == "5"
    assert metrics["建档立卡户"] == "9"
    assert metrics["档案已核验"] == "33.3%"
    assert metrics["第一书记轮训"] == "60.0%"
    assert at.title[0].value == "全县概览"


def test_overview_in_english_from_the_query_param(app: AppFactory, hand_sqlite_url: str) -> None:
    at = app(hand_sqlite_url, lang="en")
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["Verified"] == "33.3%"
    assert metrics["With a plan"] == "62.5%"
    towns = at.dataframe[0].value
    assert list(towns["place"]) == ["Yi Town", "Jia Town", "Bing Township"]


def test_town_filter_from_the_query_param(app: AppFactory, hand_sqlite_url: str) -> None:
    at = app(hand_sqlite_url, lang="en", town=TOWN_B)
    assert not at.exception
    assert at.sidebar.multiselect[0].value == [TOWN_B]
    assert _metrics(at)["Poor households"] == "3"
    assert "Yi Town" in at.caption[0].value


def test_one_towns_overview_ranks_its_villages(app: AppFactory, hand_sqlite_url: str) -> None:
    """Yi Town by hand: B1 has h7 and h8, both exited, one of its two households with labour with a
    plan, h7 verified, c5 serving and trained: (1 + 0.5 + 0.5 + 1) / 4 = 0.75; B2 has h9, poor, its
    plan covering its labour, not verified, c4 trained: (0 + 1 + 0 + 1) / 4 = 0.5."""
    at = app(hand_sqlite_url, lang="en", town=TOWN_B)
    assert not at.exception
    assert at.title[0].value == "Yi Town overview"
    assert [h.value for h in at.subheader if "ranked" in h.value] == ["Villages ranked by progress"]
    villages = at.dataframe[0].value
    assert list(villages["place"]) == ["B1 Village", "B2 Village"]
    assert list(villages["progress"]) == pytest.approx([75.0, 50.0])
    assert list(villages["exited_share"]) == pytest.approx([100.0, 0.0])
    assert list(villages["link"]) == [
        "/village?code=349901101204&lang=en",
        "/village?code=349901101205&lang=en",
    ]
    assert "villages" not in villages.columns  # a village has no villages

    at.button(key="overview_whole_county").click().run()  # back to the county
    assert at.title[0].value == "County overview"
    assert at.sidebar.multiselect[0].value == []
    assert list(at.dataframe[0].value["place"])[:2] == ["Yi Town", "Jia Town"]


def test_the_link_wins_when_it_changed_under_the_page(app: AppFactory, hand_sqlite_url: str) -> None:
    """The browser's Back reruns the page with the earlier link: its towns replace the session's."""
    at = app(hand_sqlite_url, lang="en")
    at.sidebar.multiselect[0].select(TOWN_B).run()
    assert at.title[0].value == "Yi Town overview"
    assert _param(at, "town") == [TOWN_B]
    del at.query_params["town"]  # Back: the link before the town was chosen
    at.run()
    assert at.title[0].value == "County overview"
    assert at.sidebar.multiselect[0].value == []
    at.query_params["town"] = TOWN_B  # Forward
    at.run()
    assert at.sidebar.multiselect[0].value == [TOWN_B]


def test_switching_language_and_towns_updates_page_and_query_params(
    app: AppFactory, hand_sqlite_url: str
) -> None:
    at = app(hand_sqlite_url)
    at.sidebar.radio[0].set_value("en").run()
    assert at.title[0].value == "County overview"
    at.sidebar.multiselect[0].select(TOWN_B).run()
    assert _metrics(at)["Poor households"] == "3"
    assert _param(at, "lang") == ["en"]
    assert _param(at, "town") == [TOWN_B]


def test_ranking_measure_reorders_the_table(app: AppFactory, hand_sqlite_url: str) -> None:
    at = app(hand_sqlite_url, lang="en")
    at.selectbox[0].set_value("training_share").run()
    assert list(at.dataframe[0].value["place"])[:2] == ["Yi Town", "Jia Town"]
    at.selectbox[0].set_value("verified_share").run()
    assert list(at.dataframe[0].value["place"])[:2] == ["Jia Town", "Yi Town"]


def test_empty_database_shows_the_empty_state(app: AppFactory, empty_engine: Engine) -> None:
    at = app(empty_engine.url.render_as_string(hide_password=False), lang="en")
    assert not at.exception
    assert [h.value for h in at.subheader] == ["Setup checklist"]  # what to load, step by step
    assert not at.metric


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("nonsense", "not a valid database address"),
        ("postgresql+psycopg://u:secret@127.0.0.1:1/county", "Cannot reach the database"),
    ],
)
def test_bad_database_url_shows_one_clear_message(app: AppFactory, url: str, phrase: str) -> None:
    at = app(url, lang="en")
    assert not at.exception
    assert len(at.error) == 1
    assert phrase in at.error[0].value
    assert "secret" not in at.error[0].value


def test_unmigrated_database_says_how_to_set_it_up(app: AppFactory, sqlite_url: str) -> None:
    at = app(sqlite_url, lang="en")
    assert not at.exception
    assert "has not been set up" in at.error[0].value


def test_overview_links_towns_to_the_map_and_lists_villages_still_to_exit(
    app: AppFactory, hand_sqlite_url: str
) -> None:
    at = app(hand_sqlite_url, lang="en")
    towns = at.dataframe[0].value
    assert list(towns["link"])[:2] == [f"/map?town={TOWN_B}&lang=en", "/map?town=349901100&lang=en"]
    due = at.dataframe[1].value
    assert list(due["village"]) == ["A2 Village"]  # the one registered poor village not yet exited
    assert list(due["planned"]) == [2020]
    assert list(due["households_poor"]) == [1]
    assert list(due["incidence"]) == pytest.approx([0.25])  # 5 poor people of 2,000
    assert list(due["page"]) == ["/village?code=349901100202&lang=en"]


def test_the_ranking_bars_are_coloured_by_target_with_the_target_drawn(
    app: AppFactory, hand_sqlite_url: str
) -> None:
    """Training: Yi Town 2 of 2 (100%) is green, Jia Town 1 of 3 (33.3%) red (below 67.5%), against
    the default 90% target drawn as a rule; each bar carries its value."""
    import json

    from lib.present import status

    at = app(hand_sqlite_url, lang="en")
    at.selectbox[0].set_value("training_share").run()
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    chart = next(e for e in at.get("vega_lite_chart") if "Town" in e.proto.spec)
    spec = json.loads(chart.proto.spec)
    datasets = {d.name: convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets}
    frame = datasets[spec["data"]["name"]]
    rows = dict(zip(frame["town"], frame["status"], strict=True))
    assert rows == {"Yi Town": "On target", "Jia Town": "Behind"}
    colour = spec["layer"][0]["encoding"]["color"]
    assert dict(zip(colour["scale"]["domain"], colour["scale"]["range"], strict=True)) == {
        "On target": status.COLOURS["green"],
        "Behind": status.COLOURS["red"],
    }
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "rule", "text"]
    assert datasets[spec["layer"][1]["data"]["name"]]["target"].tolist() == [0.9]
    assert any("orange: close (at least 67.5%)" in caption.value for caption in at.caption)
