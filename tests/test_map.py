"""The village map: per-village measures, classes and legend counts worked out by hand
(tests/hand_county.py), the map and picture builders, and the page under AppTest."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from typing import Any, cast

import altair as alt
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, delete, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lib.core.db import make_engine
from lib.core.i18n import set_language, t
from lib.core.models import Boundary, Town
from lib.files import export
from lib.present import geo, maps, mapview, status
from lib.queries import boundaries, overview, villages
from lib.rules import targets
from tests.hand_county import LABEL_POINTS, OUTLINES, rectangle
from tests.support.apptest import AppFactory

A1, A2, A3, B1, B2 = "349901100201", "349901100202", "349901100203", "349901101204", "349901101205"


@pytest.fixture
def measures(hand_engine: Engine) -> pd.DataFrame:
    with Session(hand_engine) as session:
        return villages.village_measures(session).set_index("village_code", drop=False)


def test_village_counts_match_hand_figures(measures: pd.DataFrame) -> None:
    assert list(measures.index) == [A1, A2, A3, B1, B2]
    assert list(measures["households"]) == [3, 2, 1, 2, 1]
    assert list(measures["people_poor"]) == [4, 5, 0, 0, 6]
    assert list(measures["households_with_labour"]) == [2, 2, 1, 2, 1]
    assert list(measures["labour_households_with_plan"]) == [2, 1, 0, 1, 1]
    assert list(measures["households_verified"]) == [2, 0, 0, 1, 0]
    assert list(measures["secretary"]) == ["书记1", "书记2", "书记3", "书记5", "书记4"]
    assert list(measures["exit_status"]) == ["exited", "due", "not_poor", "exited", "not_poor"]
    assert list(measures["secretary_trained"]) == [
        "trained",
        "not_trained",
        "not_trained",
        "trained",
        "trained",
    ]


def test_village_shares_match_hand_figures(measures: pd.DataFrame) -> None:
    assert list(measures["poverty_incidence"]) == pytest.approx([0.004, 0.0025, 0.0, 0.0, 0.0012])
    assert list(measures["plan_share"]) == pytest.approx([1.0, 0.5, 0.0, 0.5, 1.0])
    stable = list(measures["stable_share"])
    assert stable[0] == pytest.approx(1 / 3) and stable[1] == 0.0 and math.isnan(stable[2])
    assert stable[3:] == [0.0, 1.0]
    assert list(measures["verified_share"]) == pytest.approx([2 / 3, 0.0, 0.0, 0.5, 0.0])


def test_village_figures_add_up_to_their_towns(hand_engine: Engine, measures: pd.DataFrame) -> None:
    with Session(hand_engine) as session:
        towns = overview.town_progress(session).set_index("town_code")
    by_town = measures.groupby("town_code")[["households", "people_poor", "households_verified"]].sum()
    for code, row in by_town.iterrows():
        assert row["households"] == towns.loc[code, "households"]
        assert row["people_poor"] == towns.loc[code, "people_poor"]
        assert row["households_verified"] == towns.loc[code, "households_verified"]


def test_town_filter_and_village_filter(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        assert list(villages.village_measures(session, town_codes=["349901101"])["village_code"]) == [B1, B2]
        alone = villages.village_measures(session, village_codes=[A2])
        assert list(alone["village_code"]) == [A2]
        whole = villages.village_measures(session).set_index("village_code").loc[[A2]].reset_index()
        compared = [*villages.VILLAGE_COUNT_COLUMNS, *villages.MEASURE_COLUMNS, "secretary"]
        pd.testing.assert_frame_equal(alone[compared], whole[compared], check_dtype=False)
        assert villages.village_measures(session, town_codes=["349901102"]).empty


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        # plans 100% (amber from 75%): A1 and B2 at 1.0 exactly, A2 and B1 at 0.5, A3 at 0
        ("plan_share", {"green": 2, "red": 3, "no_data": 0}),
        # stable income 50% (amber from 37.5%): A1 1/3, A2 and B1 0, B2 1.0; A3 has no plan
        ("stable_share", {"red": 3, "green": 1, "no_data": 1}),
        # verified 90% (amber from 67.5%): A1 2/3 (just under the amber line), B1 1/2, the rest 0
        ("verified_share", {"red": 5, "no_data": 0}),
        ("poverty_incidence", {"incidence_zero": 2, "incidence_le1": 3, "no_data": 0}),
        ("exit_status", {"exited": 2, "due": 1, "not_poor": 2, "no_data": 0}),
        ("secretary_trained", {"trained": 3, "not_trained": 2, "no_secretary": 0}),
    ],
)
def test_village_classes_and_legend_counts(
    measures: pd.DataFrame, measure: str, expected: dict[str, int]
) -> None:
    spec = maps.MEASURES[measure]
    rules = targets.share_targets()
    rows = maps.legend(maps.classify(measures, spec, "village", rules), spec.scheme("village", rules))
    counts = dict(zip(rows["key"], rows["count"], strict=True))
    assert sum(counts.values()) == 5
    assert list(rows["key"])[-1] == "no_data"  # "no data" is always listed
    for key, count in expected.items():
        assert counts[key] == count, key
    assert all(counts[key] == 0 for key in counts if key not in expected)


def test_town_level_classes(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        towns = overview.town_progress(session)
    rules = targets.share_targets()
    # trained 90% (amber from 67.5%): A 1 of 3, B 2 of 2, C has no secretary
    spec = maps.MEASURES["secretary_trained"]
    assert list(maps.classify(towns, spec, "town", rules)) == ["red", "green", "no_data"]
    # poor villages exited, against the exit target 100% (amber from 75%): A 1 of 2, B 1 of 1
    exits = maps.MEASURES["exit_status"]
    assert list(maps.classify(towns, exits, "town", rules)) == ["red", "green", "no_data"]
    # the village level of these two is categorical, judged by no target
    assert list(maps.classify(towns.assign(exit_status="due"), exits, "village")) == ["due"] * 3


def test_share_classes_follow_the_target_rule() -> None:
    """At the target green, just under it amber down to the amber line (¾ of the target), red
    below; the colours are the tiles' and bars' (lib.present.status.COLOURS)."""
    scheme = maps.target_scheme(targets.share_target(0.9))  # amber line 0.675
    values = (0.9, 0.95, 0.8999, 0.675, 0.6749, 0.0, float("nan"), None)
    assert [scheme.classify_value(v) for v in values] == [
        "green", "green", "amber", "amber", "red", "red", "no_data", "no_data",
    ]  # fmt: skip
    assert [c.colour for c in scheme.all_classes()] == [
        status.COLOURS["green"], status.COLOURS["amber"], status.COLOURS["red"], status.COLOURS["none"],
    ]  # fmt: skip
    set_language("en")
    assert [t(c.name_key) for c in scheme.all_classes()] == ["On target", "Close", "Behind", "No data"]
    with pytest.raises(ValueError, match="target"):
        maps.MEASURES["plan_share"].scheme("village")  # a judged measure needs the county's targets


def test_class_bounds() -> None:
    assert [maps.INCIDENCE.classify_value(v) for v in (0.0, 0.01, 0.0101, 0.02, 0.03, 0.2)] == [
        "incidence_zero", "incidence_le1", "incidence_le2", "incidence_le2", "incidence_le3", "incidence_gt3",
    ]  # fmt: skip
    assert maps.INCIDENCE.classify_value(float("nan")) == "no_data"
    assert maps.EXIT_STATUS.classify_value("nonsense") == "no_data"


def test_unlocated_villages_are_named(measures: pd.DataFrame) -> None:
    assert list(maps.unlocated(measures)["village_code"]) == [A3]


def test_tooltips_in_english(measures: pd.DataFrame) -> None:
    set_language("en")
    spec = maps.MEASURES["plan_share"]
    rules = targets.share_targets()
    tips = mapview.village_tips(measures, maps.classify(measures, spec, "village", rules), spec, rules)
    assert tips[1]["line3"] == "Industry-plan coverage: 50.0% · Behind"
    assert tips[0] == {
        "name": "A1 Village",
        "line1": "Town: Jia Town",
        "line2": "Poor households: 3",
        "line3": "Industry-plan coverage: 100.0% · On target",
        "line4": "First secretary: 书记1",
    }


def _deck_json(measures: pd.DataFrame, **kwargs: object) -> dict[str, object]:
    spec = maps.MEASURES["exit_status"]
    classes = maps.classify(measures, spec, "village")
    tips = mapview.village_tips(measures, classes, spec)
    points = maps.village_points(
        measures, classes, spec.scheme("village"), tips=tips, size_by_households=True
    )
    towns = geo.load_towns()
    deck = maps.village_deck(
        points,
        towns=towns,
        county=geo.load_county(),
        town_labels={f["properties"]["code"]: f["properties"]["name_zh"] for f in towns["features"]},
        view=maps.fit_view(maps.selection_bbox(towns, [])),
        **kwargs,  # type: ignore[arg-type]
    )
    deck_spec: dict[str, Any] = json.loads(deck.to_json())
    return deck_spec


def test_deck_needs_no_internet(measures: pd.DataFrame) -> None:
    spec = _deck_json(measures)
    assert "mapProvider" not in spec and spec["mapStyle"] == "__MAP_STYLE__"  # no basemap download
    layers = {layer["id"]: layer for layer in cast(list[dict[str, Any]], spec["layers"])}
    assert list(layers) == ["towns", "county", "villages", "town-names"]
    assert len(layers["villages"]["data"]) == 4  # A3 has no coordinates
    assert layers["villages"]["radiusUnits"] == "meters"  # small when a city is seen whole
    assert layers["villages"]["radiusMinPixels"] == 2
    assert "八里河镇" in [row["name"] for row in layers["town-names"]["data"]]
    assert "八" in layers["town-names"]["characterSet"]
    # deck.gl holds a click back while it waits for a possible double click: no double-click zoom.
    assert spec["views"] == [{"@@type": "MapView", "controller": {"doubleClickZoom": False}}]
    with_tiles = _deck_json(measures, tiles_style_url="http://tiles.county.intranet/style.json")
    assert with_tiles["mapStyle"] == "http://tiles.county.intranet/style.json"


def test_fit_view_centres_on_the_county() -> None:
    bbox = maps.selection_bbox(geo.load_towns(), [])
    view = maps.fit_view(bbox)
    assert bbox[0] < view.longitude < bbox[2] and bbox[1] < view.latitude < bbox[3]
    assert 8 < view.zoom < 12
    one_town = maps.fit_view(maps.selection_bbox(geo.load_towns(), ["349901105"]))
    assert one_town.zoom > view.zoom


def _exit_points(measures: pd.DataFrame) -> tuple[maps.Measure, pd.Series, pd.DataFrame]:
    """The exit-status measure, each village's class and the map points."""
    spec = maps.MEASURES["exit_status"]
    classes = maps.classify(measures, spec, "village")
    tips = mapview.village_tips(measures, classes, spec)
    scheme = spec.scheme("village")
    points = maps.village_points(measures, classes, scheme, tips=tips, size_by_households=False)
    return spec, classes, points


def _exit_map(
    measures: pd.DataFrame, classes: pd.Series, points: pd.DataFrame, *, title: str, subtitle: list[str]
) -> alt.LayerChart:
    """The static exit-status map of `points` over the shipped county's outlines."""
    spec = maps.MEASURES["exit_status"]
    return mapview.static_map_chart(
        points,
        measures,
        classes,
        maps.legend(classes, spec.scheme("village")),
        level="village",
        towns=geo.load_towns(),
        county=geo.load_county(),
        town_labels={},
        title=title,
        legend_title="Poor-village exit",
        subtitle=subtitle,
    )


def test_static_map_renders_to_png_and_table_to_excel(measures: pd.DataFrame) -> None:
    set_language("en")
    spec, classes, points = _exit_points(measures)
    chart = _exit_map(
        measures,
        classes,
        points,
        title="Demo County · Poor-village exit",
        subtitle=["All towns · data as of 2020-10-31"],
    )
    text = json.dumps(chart.to_dict(), ensure_ascii=False)
    assert "Exited (2)" in text and "Not yet exited (1)" in text and "data as of 2020-10-31" in text
    png = export.chart_png(chart)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000

    table = mapview.map_table(measures, classes, spec, "village")
    workbook = openpyxl.load_workbook(
        io.BytesIO(export.excel_bytes({"map": table}, title_lines={"map": ["Title"]}))
    )
    sheet = workbook["map"]
    assert sheet["A1"].value == "Title"
    assert [cell.value for cell in sheet[3]][:4] == ["Code", "Village", "Town", "Class"]
    assert sheet["A4"].value == A1 and sheet["D4"].value == "Exited"
    assert sheet.max_row == 3 + 5


def test_static_map_of_a_province_keeps_every_village_as_a_small_dot(measures: pd.DataFrame) -> None:
    """Past Altair's 5,000-row guard (a province has ~30,000 villages) the picture still renders,
    with dots small enough not to merge."""
    set_language("en")
    _, classes, one = _exit_points(measures)
    copies = 6_000 // len(one) + 1
    points = pd.concat([one] * copies, ignore_index=True)
    points["lon"] = points["lon"] + (points.index % 97) * 0.001
    points["lat"] = points["lat"] + (points.index // 97) * 0.0005
    chart = _exit_map(measures, classes, points, title="Province", subtitle=[])
    spec = json.loads(export.chart_spec(chart))
    dots = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "circle")
    assert len(spec["datasets"][dots["data"]["name"]]) == len(points) > 5_000
    assert dots["mark"]["size"] == maps.static_dot_size(len(points)) < maps.STATIC_DOT_AREA
    assert maps.static_dot_size(len(one)) == maps.STATIC_DOT_AREA
    assert export.chart_png(chart)[:8] == b"\x89PNG\r\n\x1a\n"


# --- the page under AppTest ---------------------------------------------------------------------


@pytest.fixture
def map_page(open_app: AppFactory, hand_sqlite_url: str):
    """Open /map through app.py on the hand county; returns a function taking the language."""
    return lambda lang, **params: open_app(hand_sqlite_url, "pages/map.py", lang=lang, **params)


def _deck(at: AppTest) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return spec


def test_map_page_in_english(map_page: AppFactory) -> None:
    at = map_page("en")
    assert not at.exception
    assert at.title[0].value == "Village map"
    villages_layer = next(layer for layer in _deck(at)["layers"] if layer["id"] == "villages")
    assert sorted(point["village_code"] for point in villages_layer["data"]) == [A1, A2, B1, B2]
    legend = at.get("html")[0].proto.body
    assert "Exited" in legend and "2 villages" in legend and "1 village<" in legend
    assert at.warning[0].value == "1 village has no coordinates and is not on the map: A3 Village (Jia Town)"


def test_map_page_in_chinese_by_town(map_page: AppFactory) -> None:
    at = map_page("zh")
    assert at.title[0].value == "村级地图"
    _level_switch(at).set_value("town").run()
    at.selectbox(key="map_measure").set_value("secretary_trained").run()
    assert not at.exception
    towns_layer = next(layer for layer in _deck(at)["layers"] if layer["id"] == "towns")
    fills = {f["properties"]["code"]: f["properties"]["fill"] for f in towns_layer["data"]["features"]}
    # the county's training target 90%, amber from 67.5%: A 1 of 3 trained, B 2 of 2, C none serving
    assert fills["349901100"] == maps.hex_to_rgba(status.COLOURS["red"], 215)
    assert fills["349901101"] == maps.hex_to_rgba(status.COLOURS["green"], 215)
    assert fills["349901102"] == maps.hex_to_rgba(status.COLOURS["none"], 215)
    assert "villages" not in [layer["id"] for layer in _deck(at)["layers"]]
    legend = at.get("html")[0].proto.body
    assert "落后" in legend and "达标" in legend and "接近" in legend and "无数据" in legend
    assert "**第一书记培训覆盖率 · 目标 90.0%**" in [m.value for m in at.markdown]
    assert any("不低于 67.5%" in c.value for c in at.caption)


def test_village_shares_are_coloured_by_the_county_targets(
    map_page: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verified with a 50% target (amber from 37.5%): B1 (1 of 2) exactly at it and A1 (2 of 3)
    past it are green, A2 and B2 (0) red. Stable income with 40% (amber from 30%): A1 (1 of 3
    plans) just under it is amber, B2 (1 of 1) green, A2 and B1 (0) red, A3 (no plan; no
    coordinates either) no data."""
    monkeypatch.setenv("VERIFIED_TARGET", "0.5")
    monkeypatch.setenv("STABLE_INCOME_TARGET", "0.4")
    colour = {key: maps.hex_to_rgba(value, 235) for key, value in status.COLOURS.items()}
    at = map_page("en", measure="verified_share")
    assert not at.exception
    dots = {p["village_code"]: p["colour"] for p in _villages_layer(at)["data"]}
    assert dots == {A1: colour["green"], B1: colour["green"], A2: colour["red"], B2: colour["red"]}
    legend = at.get("html")[0].proto.body
    assert "On target</span>" in legend and "2 villages" in legend and "3 villages" in legend
    assert "**Households verified · target 50.0%**" in [m.value for m in at.markdown]
    at.selectbox(key="map_measure").set_value("stable_share").run()
    assert not at.exception
    dots = {p["village_code"]: p["colour"] for p in _villages_layer(at)["data"]}
    assert dots == {A1: colour["amber"], B2: colour["green"], A2: colour["red"], B1: colour["red"]}
    tips = {p["village_code"]: p["line3"] for p in _villages_layer(at)["data"]}
    assert tips[A1].endswith("33.3% · Close")


def _villages_layer(at: AppTest) -> dict[str, Any]:
    return next(layer for layer in _deck(at)["layers"] if layer["id"] == "villages")


def test_picking_a_village_fills_the_card(map_page: AppFactory) -> None:
    at = map_page("en")
    at.selectbox(key="map_pick").set_value(A1).run()
    assert not at.exception
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Poor households"] == "3"
    assert metrics["Poverty incidence"] == "0.4%"
    assert metrics["Verified"] == "66.7%"
    lines = [m.value for m in at.markdown]
    assert "**Work team**: 书记7 (Team member)" in lines
    assert "**Leading industries**: Vegetables (2 households) · PV shares (1 household)" in lines
    (link,) = at.main.get("page_link")
    assert link.proto.label == "Open the village page"
    assert link.proto.page == "village" and "code=349901100201" in link.proto.query_string


def test_past_the_list_limit_the_card_picker_searches(
    map_page: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib.present import village_view

    monkeypatch.setattr(village_view, "LIST_ALL_MAX", 3)  # 5 villages on the hand county's map
    at = map_page("en")
    assert at.selectbox(key="map_pick").options == []
    at.text_input(key="map_pick_search").input("a1").run()
    assert at.selectbox(key="map_pick").options == ["A1 Village · Jia Town"]
    at.selectbox(key="map_pick").set_value(A1).run()
    assert {metric.label: metric.value for metric in at.metric}["Poor households"] == "3"
    at.text_input(key="map_pick_search").input("yi").run()  # the chosen village stays listed
    assert at.selectbox(key="map_pick").options == [
        "A1 Village · Jia Town",
        "B1 Village · Yi Town",
        "B2 Village · Yi Town",
    ]
    assert not at.exception
    assert "### A1 Village" in [m.value for m in at.markdown]  # and its card still shows


def test_a_link_reproduces_the_map_view(map_page: AppFactory) -> None:
    at = map_page("en", level="town", measure="verified_share")
    assert not at.exception
    assert at.selectbox(key="map_measure").value == "verified_share"
    assert _level_switch(at).value == "town"
    assert "villages" not in [layer["id"] for layer in _deck(at)["layers"]]
    at.selectbox(key="map_measure").set_value("plan_share").run()
    assert at.query_params["measure"] in ("plan_share", ["plan_share"])


def test_town_names_are_written_for_the_chosen_towns_and_not_for_a_whole_city() -> None:
    towns, county = geo.region_outlines(10)
    codes = [feature["properties"]["code"] for feature in towns["features"]]
    names = {code: f"Town {code[-3:]}" for code in codes}
    points = pd.DataFrame(columns=["village_code", "lon", "lat", "colour", "radius", *maps.TIP_FIELDS])
    view = maps.fit_view(maps.selection_bbox(towns, []))

    def labels(chosen: list[str] | None) -> list[str]:
        deck = json.loads(
            maps.village_deck(
                points, towns=towns, county=county, town_labels=names, view=view, labelled_towns=chosen
            ).to_json()
        )
        layer = next((layer for layer in deck["layers"] if layer["id"] == "town-names"), None)
        return [] if layer is None else [label["name"] for label in layer["data"]]

    assert len(codes) > maps.MAX_TOWN_LABELS
    assert labels(None) == []  # 250 names would overlap into a band
    assert labels(codes[:2]) == [names[codes[0]], names[codes[1]]]


def _level_switch(at: AppTest) -> Any:
    """The map's villages/towns switch (AppTest has no typed accessor for st.segmented_control)."""
    return at.get("button_group")[0]


# --- the outlines stored in the database ----------------------------------------------------------

EMPTY = {"type": "FeatureCollection", "features": []}
# A small triangle inside town A, unlike any outline the hand county or the demo stores.
SMALL_A = {
    "type": "Polygon",
    "coordinates": [[[116.1, 32.58], [116.14, 32.58], [116.12, 32.62], [116.1, 32.58]]],
}


def _change_outlines(url: str, *statements: Any) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        for statement in statements:
            session.execute(statement)
        session.commit()
    engine.dispose()


def test_stored_outlines_are_the_towns_and_county_the_database_holds(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        session.add(  # a village's outline: stored, not drawn (the map draws villages as points)
            Boundary(code=A1, level="village", geometry=json.dumps(SMALL_A), lon=116.12, lat=32.6)
        )
        session.commit()
        towns, counties = boundaries.stored_outlines(session)
    assert [feature["properties"] for feature in towns["features"]] == [
        {
            "code": code,
            "name_zh": zh,
            "name_en": en,
            "lon": LABEL_POINTS[code][0],
            "lat": LABEL_POINTS[code][1],
        }
        for code, zh, en in (
            ("349901100", "甲镇", "Jia Town"),
            ("349901101", "乙镇", "Yi Town"),
            ("349901102", "丙乡", "Bing Township"),
        )
    ]
    assert towns["features"][0]["geometry"] == json.loads(rectangle(*OUTLINES["349901100"]))
    assert [feature["properties"]["code"] for feature in counties["features"]] == ["349901"]
    assert maps.selection_bbox(towns, []) == pytest.approx(OUTLINES["349901"])


def test_a_retired_towns_outline_is_not_drawn(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        session.execute(update(Town).where(Town.code == "349901102").values(retired_on=dt.date(2021, 1, 1)))
        session.commit()
        towns, counties = boundaries.stored_outlines(session)
        assert [f["properties"]["code"] for f in towns["features"]] == ["349901100", "349901101"]
        assert len(counties["features"]) == 1
        session.execute(update(Town).values(retired_on=dt.date(2021, 1, 1)))
        session.commit()
        assert boundaries.stored_outlines(session) == (EMPTY, EMPTY)  # no live town: no county either


def test_without_outlines_there_is_nothing_to_draw(empty_engine: Engine) -> None:
    with Session(empty_engine) as session:
        assert boundaries.stored_outlines(session) == (EMPTY, EMPTY)


def test_the_map_page_draws_the_outlines_stored_in_the_database(
    open_app: AppFactory, hand_sqlite_url: str
) -> None:
    _change_outlines(
        hand_sqlite_url,
        update(Boundary).where(Boundary.code == "349901100").values(geometry=json.dumps(SMALL_A)),
    )
    at = open_app(hand_sqlite_url, "pages/map.py", lang="en")
    assert not at.exception
    layers = {layer["id"]: layer for layer in _deck(at)["layers"]}
    drawn = {f["properties"]["code"]: f["geometry"] for f in layers["towns"]["data"]["features"]}
    assert drawn == {
        "349901100": SMALL_A,
        "349901101": json.loads(rectangle(*OUTLINES["349901101"])),
        "349901102": json.loads(rectangle(*OUTLINES["349901102"])),
    }
    assert [f["properties"]["code"] for f in layers["county"]["data"]["features"]] == ["349901"]
    names = {label["name"]: (label["lon"], label["lat"]) for label in layers["town-names"]["data"]}
    assert names == {"Jia Town": (116.1, 32.6), "Yi Town": (116.3, 32.6), "Bing Township": (116.2, 32.7)}
    assert not at.info  # every town has its outline: no note


def test_with_no_outlines_loaded_the_map_shows_villages_as_points_and_says_how_to_load_them(
    open_app: AppFactory, hand_sqlite_url: str
) -> None:
    _change_outlines(hand_sqlite_url, delete(Boundary))
    at = open_app(hand_sqlite_url, "pages/map.py", lang="en")
    assert not at.exception
    (note,) = at.info
    assert note.value.startswith("Town and county outlines are not loaded yet")
    assert "`python -m lib.load boundaries FILE`" in note.value and "Load county data" in note.value
    layers = {layer["id"]: layer for layer in _deck(at)["layers"]}
    assert layers["towns"]["data"]["features"] == [] and layers["county"]["data"]["features"] == []
    assert sorted(point["village_code"] for point in layers["villages"]["data"]) == [A1, A2, B1, B2]
    view = _deck(at)["initialViewState"]
    assert 116.1 < view["longitude"] < 116.5 and view["latitude"] == pytest.approx(32.6)  # on the villages
    _level_switch(at).set_value("town").run()  # towns have no shapes to colour, and nothing breaks
    assert not at.exception and at.info[0].value == note.value
    zh = open_app(hand_sqlite_url, "pages/map.py", lang="zh")
    assert not zh.exception and zh.info[0].value.startswith("乡镇和县的边界尚未导入")


def test_a_town_left_out_of_the_loaded_outlines_is_named(open_app: AppFactory, hand_sqlite_url: str) -> None:
    _change_outlines(hand_sqlite_url, delete(Boundary).where(Boundary.code == "349901102"))
    at = open_app(hand_sqlite_url, "pages/map.py", lang="en")
    assert not at.exception and not at.info
    assert (
        "1 town has no outline yet and is not drawn: Bing Township. "
        "Load it with `python -m lib.load boundaries FILE`."
    ) in [c.value for c in at.caption]
    # Not when the towns shown all have theirs.
    chosen = open_app(hand_sqlite_url, "pages/map.py", lang="en", town="349901100")
    assert not any("no outline" in c.value for c in chosen.caption)


def test_the_picture_without_outlines_is_the_villages_alone(measures: pd.DataFrame) -> None:
    set_language("en")
    spec, classes, points = _exit_points(measures)
    chart = mapview.static_map_chart(
        points,
        measures,
        classes,
        maps.legend(classes, spec.scheme("village")),
        level="village",
        towns=EMPTY,
        county=EMPTY,
        town_labels={},
        title="No outlines",
        legend_title="Poor-village exit",
        subtitle=[],
    )
    layers = json.loads(export.chart_spec(chart))["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["circle"]
    assert export.chart_png(chart)[:8] == b"\x89PNG\r\n\x1a\n"
    nothing = maps.static_map(
        points.iloc[0:0],
        towns=EMPTY,
        county=EMPTY,
        town_labels={},
        legend_rows=mapview.legend_labels(maps.legend(classes, spec.scheme("village"))),
        legend_title="",
        title="",
        subtitle=[],
    )
    assert export.chart_png(nothing)[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_outlines_the_view_fits_the_located_villages(measures: pd.DataFrame) -> None:
    west, south, east, north = maps.map_bbox(EMPTY, [], measures)
    assert (west, east) == pytest.approx((116.1 - maps.POINTS_MARGIN, 116.5 + maps.POINTS_MARGIN))
    assert (south, north) == pytest.approx((32.6 - maps.POINTS_MARGIN, 32.6 + maps.POINTS_MARGIN))
    assert maps.map_bbox(EMPTY, [], measures.iloc[0:0]) == maps.CHINA_BBOX
    assert 2 < maps.fit_view(maps.CHINA_BBOX).zoom < 4  # the whole country
