"""Map measures, their classes and colours, and the pydeck / Altair maps built from them. Pure.

pydeck turns every unquoted string argument of a layer into a JavaScript accessor expression, so
constant strings are passed quoted ("'pixels'").

The base layer is the town and county outlines stored in the database (lib.queries.boundaries);
while none are loaded the villages are drawn as points alone. Nothing is fetched from the
internet unless a tile style URL is configured.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from lib.present.status import COLOURS
from lib.rules import targets
from lib.rules.targets import Target

Level = Literal["village", "town"]

NO_DATA_COLOUR = COLOURS[targets.NONE]
CJK_FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimHei", sans-serif'


@dataclass(frozen=True)
class MapClass:
    """One class of a measure: `key` names it, `colour` is hex; its label is `label_key`
    (`map.class.<key>` unless given)."""

    key: str
    colour: str
    label_key: str = ""

    @property
    def name_key(self) -> str:
        """The locale key of the class's label."""
        return self.label_key or f"map.class.{self.key}"


NO_DATA = MapClass("no_data", NO_DATA_COLOUR)


@dataclass(frozen=True)
class Scheme:
    """How values become classes: categories by value, numeric bins with upper bounds, or (with
    `rule`) a measure's target: green / amber / red by `lib.rules.targets`, as tiles and bars."""

    classes: tuple[MapClass, ...]
    bounds: tuple[float, ...] = ()
    right_closed: bool = False
    rule: Target | None = None

    @property
    def categorical(self) -> bool:
        return not self.bounds and self.rule is None

    def classify_value(self, value: object) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return NO_DATA.key
        if self.rule is not None:
            judged = self.rule.status(float(value))  # type: ignore[arg-type]
            return NO_DATA.key if judged == targets.NONE else judged
        if self.categorical:
            keys = {c.key for c in self.classes}
            return str(value) if str(value) in keys else NO_DATA.key
        number = float(value)  # type: ignore[arg-type]
        for bound, map_class in zip(self.bounds, self.classes, strict=False):
            if (number <= bound) if self.right_closed else (number < bound):
                return map_class.key
        return self.classes[-1].key

    def classify(self, values: pd.Series) -> pd.Series:
        return values.map(self.classify_value).astype("object")

    def colour_of(self, key: str) -> str:
        for map_class in self.classes:
            if map_class.key == key:
                return map_class.colour
        return NO_DATA_COLOUR

    def name_key(self, key: str) -> str:
        """The locale key of class `key`'s label ("no data" for a key it does not have)."""
        for map_class in self.classes:
            if map_class.key == key:
                return map_class.name_key
        return NO_DATA.name_key

    def all_classes(self) -> tuple[MapClass, ...]:
        return (*self.classes, NO_DATA)


def target_scheme(rule: Target) -> Scheme:
    """A share judged by its target, with the tiles' and bars' colours and words (达标 / 接近 /
    落后, and "no data" without a value)."""
    return Scheme(
        classes=tuple(
            MapClass(judged, COLOURS[judged], f"status.{judged}")
            for judged in (targets.GREEN, targets.AMBER, targets.RED)
        ),
        rule=rule,
    )


# Red (lagging) to green (done), five steps: poverty incidence, which has no target.
_RED_TO_GREEN = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")

INCIDENCE = Scheme(
    classes=tuple(
        MapClass(key, colour)
        for key, colour in zip(
            ("incidence_zero", "incidence_le1", "incidence_le2", "incidence_le3", "incidence_gt3"),
            reversed(_RED_TO_GREEN),
            strict=True,
        )
    ),
    bounds=(0.0, 0.01, 0.02, 0.03),
    right_closed=True,
)
EXIT_STATUS = Scheme(
    classes=(MapClass("exited", "#1a9850"), MapClass("due", "#d73027"), MapClass("not_poor", "#74add1"))
)
SECRETARY_TRAINED = Scheme(
    classes=(
        MapClass("trained", "#1a9850"),
        MapClass("not_trained", "#d73027"),
        MapClass("no_secretary", "#fee08b"),
    )
)

READINESS = Scheme(  # lib.rules.assessment's overall status of a village or town, in its colours
    classes=(
        MapClass("readiness_green", COLOURS[targets.GREEN]),
        MapClass("readiness_amber", COLOURS[targets.AMBER]),
        MapClass("readiness_red", COLOURS[targets.RED]),
    )
)


@dataclass(frozen=True)
class Measure:
    """A measure a leader can colour the map by, at village and at town level. A level without
    a scheme of its own is a share judged by `target` (a key of `targets.share_targets`)."""

    key: str
    village_column: str
    village_scheme: Scheme | None
    town_column: str
    town_scheme: Scheme | None
    is_share: bool = True
    target: str | None = None

    def column(self, level: Level) -> str:
        return self.village_column if level == "village" else self.town_column

    def rule(self, level: Level, rules: Mapping[str, Target] | None = None) -> Target | None:
        """The target `level`'s values are judged by (None for bins and categories); `rules` are
        the county's targets (`targets.share_targets`, with its own training target)."""
        if (self.village_scheme if level == "village" else self.town_scheme) is not None:
            return None
        if rules is None or self.target is None or self.target not in rules:
            raise ValueError(f"{self.key} at {level} level is judged by its target: pass the county's")
        return rules[self.target]

    def scheme(self, level: Level, rules: Mapping[str, Target] | None = None) -> Scheme:
        own = self.village_scheme if level == "village" else self.town_scheme
        if own is not None:
            return own
        rule = self.rule(level, rules)
        assert rule is not None
        return target_scheme(rule)


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        # A town's share of its poor villages exited, judged by the exit target (all out).
        Measure(
            "exit_status", "exit_status", EXIT_STATUS, "poor_village_exit_share", None, target=targets.EXITED
        ),
        Measure("poverty_incidence", "poverty_incidence", INCIDENCE, "poverty_incidence", INCIDENCE),
        Measure("plan_share", "plan_share", None, "plan_share", None, target=targets.PLANS),
        Measure("stable_share", "stable_share", None, "stable_share", None, target=targets.STABLE),
        Measure("verified_share", "verified_share", None, "verified_share", None, target=targets.VERIFIED),
        Measure(
            "secretary_trained",
            "secretary_trained",
            SECRETARY_TRAINED,
            "training_share",
            None,
            target=targets.TRAINING,
        ),
        Measure("readiness", "readiness", READINESS, "readiness", READINESS, is_share=False),
    )
}


def classify(
    frame: pd.DataFrame, measure: Measure, level: Level, rules: Mapping[str, Target] | None = None
) -> pd.Series:
    """The class key of each row of `frame` (village_measures or town_progress) for `measure`,
    judged by the county's targets `rules` where the measure has a target."""
    return measure.scheme(level, rules).classify(frame[measure.column(level)])


def legend(classes: pd.Series, scheme: Scheme) -> pd.DataFrame:
    """Every class of `scheme` (and "no data") in order: key, colour, how many rows fall in it
    (count) and the locale key of its label (name_key)."""
    counts = classes.value_counts()
    return pd.DataFrame(
        {
            "key": [c.key for c in scheme.all_classes()],
            "colour": [c.colour for c in scheme.all_classes()],
            "count": [int(counts.get(c.key, 0)) for c in scheme.all_classes()],
            "name_key": [c.name_key for c in scheme.all_classes()],
        }
    )


def hex_to_rgba(colour: str, alpha: int = 255) -> list[int]:
    colour = colour.lstrip("#")
    return [int(colour[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]


# --- view ---------------------------------------------------------------------------------------


def geojson_bbox(geojson: Mapping[str, Any]) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) over every polygon ring of a FeatureCollection."""
    lons: list[float] = []
    lats: list[float] = []
    for feature in geojson["features"]:
        geometry = feature["geometry"]
        polygons = (
            geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        )
        for polygon in polygons:
            for ring in polygon:
                lons.extend(point[0] for point in ring)
                lats.extend(point[1] for point in ring)
    return min(lons), min(lats), max(lons), max(lats)


def selection_bbox(towns: Mapping[str, Any], town_codes: Sequence[str]) -> tuple[float, float, float, float]:
    """The bounding box of the selected towns (all towns when none is selected)."""
    chosen = [f for f in towns["features"] if not town_codes or f["properties"]["code"] in town_codes]
    return geojson_bbox({"features": chosen or towns["features"]})


# Around villages drawn without outlines (~2 km): a lone village is not seen at street level.
POINTS_MARGIN = 0.02
# China, for a map with neither outlines nor located villages to fit.
CHINA_BBOX = (73.5, 18.0, 135.0, 53.5)


def map_bbox(
    towns: Mapping[str, Any], town_codes: Sequence[str], villages: pd.DataFrame
) -> tuple[float, float, float, float]:
    """What the map shows first: the selected towns' outlines (`selection_bbox`) or, while no
    outlines are loaded, the located villages of `villages` (lon, lat columns) with a margin."""
    if towns["features"]:
        return selection_bbox(towns, town_codes)
    located = villages[villages["lon"].notna() & villages["lat"].notna()]
    if located.empty:
        return CHINA_BBOX
    return (
        float(located["lon"].min()) - POINTS_MARGIN,
        float(located["lat"].min()) - POINTS_MARGIN,
        float(located["lon"].max()) + POINTS_MARGIN,
        float(located["lat"].max()) + POINTS_MARGIN,
    )


def fit_view(
    bbox: tuple[float, float, float, float], *, width_px: int = 600, height_px: int = 600
) -> pdk.ViewState:
    """A view centred on `bbox` at the largest zoom that shows all of it (Web Mercator) on a map of
    `width_px` × `height_px`: the map column beside the village card is about 600 px wide on a
    1440 px screen; wider screens (and presentation mode) leave a margin instead of cutting a
    city's outer counties off."""
    min_lon, min_lat, max_lon, max_lat = bbox

    def mercator_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lon_span = max(max_lon - min_lon, 1e-6) / 360
    lat_span = max(mercator_y(max_lat) - mercator_y(min_lat), 1e-6) / (2 * math.pi)
    zoom = min(math.log2(width_px / 512 / lon_span), math.log2(height_px / 512 / lat_span))
    return pdk.ViewState(
        longitude=(min_lon + max_lon) / 2,
        latitude=(min_lat + max_lat) / 2,
        zoom=round(zoom - 0.15, 2),
        min_zoom=max(zoom - 3, 0),
        max_zoom=zoom + 6,
        pitch=0,
        bearing=0,
    )


def town_label_points(towns: Mapping[str, Any], town_labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """Where each town's name is written: the point inside its outline stored with it."""
    return [
        {"name": town_labels.get(props["code"], ""), "lon": props["lon"], "lat": props["lat"]}
        for props in (feature["properties"] for feature in towns["features"])
    ]


# --- the interactive map --------------------------------------------------------------------------


TIP_FIELDS = ("name", "line1", "line2", "line3", "line4")
# Streamlit fills {field} from the hovered object (or its GeoJSON properties), escaping the values.
TOOLTIP = {
    "html": "<b>{name}</b><br/>{line1}<br/>{line2}<br/>{line3}<br/>{line4}",
    "style": {"backgroundColor": "#1f2933", "color": "white", "fontSize": "13px"},
}


def tip_fields(title: str, rows: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Tooltip fields: the title and up to four "label: value" lines."""
    lines = [f"{label}: {value}" for label, value in rows][: len(TIP_FIELDS) - 1]
    lines += [""] * (len(TIP_FIELDS) - 1 - len(lines))
    return dict(zip(TIP_FIELDS, [title, *lines], strict=True))


METRES_PER_PIXEL = 100  # a county (about 60 km across) fills a map about 600 px wide
MAX_TOWN_LABELS = 60  # more names than this (a city's 250 towns) overlap into an unreadable band


def _town_layers(
    towns: Mapping[str, Any],
    county: Mapping[str, Any],
    *,
    town_fill: Mapping[str, list[int]] | None,
    town_tips: Mapping[str, dict[str, str]] | None,
    town_labels: Mapping[str, str],
    labelled_towns: Collection[str] | None = None,
) -> list[pdk.Layer]:
    features = []
    for feature in towns["features"]:
        code = feature["properties"]["code"]
        # A new feature and properties around the shared geometry, which is only read.
        properties = {
            **feature["properties"],
            "fill": (town_fill or {}).get(code, [240, 243, 246, 255]),
            **((town_tips or {}).get(code) or tip_fields(town_labels.get(code, code), [])),
        }
        features.append({**feature, "properties": properties})
    labels = [
        label
        for label, feature in zip(town_label_points(towns, town_labels), towns["features"], strict=True)
        if labelled_towns is None or feature["properties"]["code"] in labelled_towns
    ]
    if len(labels) > MAX_TOWN_LABELS:
        labels = []  # the outlines and the tooltips still name each town
    layers = [
        pdk.Layer(
            "GeoJsonLayer",
            data={"type": "FeatureCollection", "features": features},
            id="towns",
            stroked=True,
            filled=True,
            get_fill_color="properties.fill",
            get_line_color=[120, 130, 140, 255],
            line_width_min_pixels=1,
            pickable=town_fill is not None,
            auto_highlight=town_fill is not None,
        ),
        pdk.Layer(
            "GeoJsonLayer",
            data=county,
            id="county",
            stroked=True,
            filled=False,
            get_line_color=[40, 50, 60, 255],
            line_width_min_pixels=2.5,
        ),
        pdk.Layer(
            "TextLayer",
            data=labels,
            id="town-names",
            get_position=["lon", "lat"],
            get_text="name",
            get_size=13,
            get_color=[40, 50, 60, 230],
            font_family=f"'{CJK_FONTS}'",
            # Every character the labels use (Chinese needs more than the default ASCII set); quoted
            # so pydeck passes a plain string instead of turning it into a JavaScript expression.
            character_set='"'
            + "".join(sorted({ch for label in labels for ch in label["name"]} - {'"'}))
            + '"',
            get_text_anchor="'middle'",
            get_alignment_baseline="'center'",
            font_settings={"sdf": True},
            outline_width=4,
            outline_color=[255, 255, 255, 235],
            pickable=False,
        ),
    ]
    return layers if labels else layers[:2]


# No double-click zoom: while deck.gl listens for double clicks it holds every click back for the
# double-click interval (~300 ms) before it reports it, and a click on a village opens its card.
# Zooming stays on the mouse wheel and a pinch.
MAP_VIEW = pdk.View(type="MapView", controller={"doubleClickZoom": False})


class CompactDeck(pdk.Deck):  # type: ignore[misc]
    """A pydeck Deck whose JSON (what st.pydeck_chart sends) is compact and made once: pydeck
    indents it, which doubled a city map's 1.2 MB and the time to make and send it."""

    _json: str | None = None

    def to_json(self) -> str:
        if self._json is None:
            self._json = json.dumps(
                self, sort_keys=True, default=default_serialize, separators=(",", ":"), ensure_ascii=False
            )
        return self._json


def village_deck(
    points: pd.DataFrame,
    *,
    towns: Mapping[str, Any],
    county: Mapping[str, Any],
    town_labels: Mapping[str, str],
    view: pdk.ViewState,
    town_fill: Mapping[str, list[int]] | None = None,
    town_tips: Mapping[str, dict[str, str]] | None = None,
    tiles_style_url: str | None = None,
    height: int = 600,
    labelled_towns: Collection[str] | None = None,
) -> CompactDeck:
    """The map: town and county outlines with town names, villages as dots.

    `points` has village_code, lon, lat, colour (RGBA list), radius (pixels) and the TIP_FIELDS.
    With `town_fill` (RGBA by town code) the towns are shaded and pickable (town-level view).
    Town names are written for `labelled_towns` (all when None), unless that is more than
    MAX_TOWN_LABELS.
    Nothing is loaded from the internet unless `tiles_style_url` names a map style.
    """
    layers = _town_layers(
        towns,
        county,
        town_fill=town_fill,
        town_tips=town_tips,
        town_labels=town_labels,
        labelled_towns=labelled_towns,
    )
    if not points.empty:
        columns = ["village_code", "lon", "lat", "colour", "radius", *TIP_FIELDS]
        values = zip(*(points[column].tolist() for column in columns), strict=True)
        layers.insert(
            2,
            pdk.Layer(
                "ScatterplotLayer",
                data=[dict(zip(columns, row, strict=True)) for row in values],  # to_dict: 3× slower
                id="villages",
                get_position=["lon", "lat"],
                get_fill_color="colour",
                # Sized on the ground, so a city's 3,600 villages seen whole are small dots that do
                # not cover each other, and grow as one zooms in (`radius` is pixels at a
                # county's view, about METRES_PER_PIXEL a pixel).
                get_radius=f"radius * {METRES_PER_PIXEL}",
                radius_units="'meters'",
                radius_min_pixels=2,
                radius_max_pixels=40,
                stroked=True,
                get_line_color=[255, 255, 255, 220],
                line_width_min_pixels=1,
                pickable=True,
                auto_highlight=True,
            ),
        )
    # No basemap unless a style is configured. Streamlit fetches a Carto style when map_style is
    # None, so leave pydeck's placeholder style in place (its frontend drops it) and no provider.
    basemap: dict[str, Any] = (
        {"map_provider": "carto", "map_style": tiles_style_url} if tiles_style_url else {"map_provider": None}
    )
    return CompactDeck(
        layers=layers,
        initial_view_state=view,
        views=[MAP_VIEW],
        **basemap,
        tooltip=TOOLTIP,
        height=height,
    )


# --- the static map (PNG for slides) -------------------------------------------------------------


def _clockwise(geometry: Mapping[str, Any]) -> dict[str, Any]:
    """The geometry with clockwise outer rings: d3 (Vega) reads counter-clockwise rings, GeoJSON's
    usual order, as "the whole globe except this area" and would fill the entire picture."""

    def signed_area(ring: Sequence[Sequence[float]]) -> float:
        return sum(x1 * y2 - x2 * y1 for (x1, y1, *_), (x2, y2, *_) in itertools.pairwise(ring))

    def fix(polygon: Sequence[Sequence[Sequence[float]]]) -> list[list[Sequence[float]]]:
        return [list(reversed(ring)) if signed_area(ring) > 0 else list(ring) for ring in polygon]

    if geometry["type"] == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [fix(p) for p in geometry["coordinates"]]}
    return {"type": "Polygon", "coordinates": fix(geometry["coordinates"])}


STATIC_DOT_AREA = 46  # px² of a village dot on a county's picture
STATIC_DOTS_FULL_SIZE = 800  # up to this many villages keep the full dot; more get smaller ones
STATIC_DOT_MIN_AREA = 3


def static_dot_size(villages: int) -> float:
    """Dot area in px² for a picture of `villages` dots: a county's few hundred read as dots, and
    a city's or province's thousands shrink (with the area they share) instead of merging."""
    if villages <= STATIC_DOTS_FULL_SIZE:
        return STATIC_DOT_AREA
    return max(STATIC_DOT_MIN_AREA, round(STATIC_DOT_AREA * STATIC_DOTS_FULL_SIZE / villages, 1))


def static_map(
    points: pd.DataFrame,
    *,
    towns: Mapping[str, Any],
    county: Mapping[str, Any],
    town_labels: Mapping[str, str],
    legend_rows: pd.DataFrame,
    legend_title: str,
    title: str,
    subtitle: Sequence[str],
    town_classes: Mapping[str, str] | None = None,
    width: int = 900,
    height: int = 760,
) -> alt.LayerChart:
    """The same map as an Altair chart with title, legend and date lines, for a PNG export.

    `legend_rows` has label, colour (one row per class shown). `points` has lon, lat and label
    (the class label). `town_classes` maps town code → class label for the town-level view.
    """
    domain = list(legend_rows["label"])
    colour_scale = alt.Scale(domain=domain, range=list(legend_rows["colour"]))
    town_features = []
    for feature in towns["features"]:
        properties = {
            **feature["properties"],
            "class_label": (town_classes or {}).get(feature["properties"]["code"]),
        }
        town_features.append(
            {"type": "Feature", "properties": properties, "geometry": _clockwise(feature["geometry"])}
        )
    projection = "mercator"
    # Features as DataFrames rather than inline values, which Altair walks (and validates) one
    # coordinate at a time: a province's 2,100 towns took over a second.
    if town_classes:
        town_layer = (
            alt.Chart(pd.DataFrame(town_features))
            .mark_geoshape(stroke="#78828c", strokeWidth=0.8)
            .encode(color=alt.Color("properties.class_label:N", scale=colour_scale, title=legend_title))
            .project(type=projection)
        )
    else:
        town_layer = (
            alt.Chart(pd.DataFrame(town_features))
            .mark_geoshape(fill="#f0f3f6", stroke="#78828c", strokeWidth=0.8)
            .project(type=projection)
        )
    county_layer = (
        alt.Chart(pd.DataFrame([{**f, "geometry": _clockwise(f["geometry"])} for f in county["features"]]))
        .mark_geoshape(filled=False, stroke="#28323c", strokeWidth=2)
        .project(type=projection)
    )
    labels = pd.DataFrame(town_label_points(towns, town_labels), columns=["name", "lon", "lat"])
    label_layer = (
        alt.Chart(labels)
        .mark_text(fontSize=11, color="#28323c", font=CJK_FONTS)
        .encode(longitude="lon:Q", latitude="lat:Q", text="name:N")
        .project(type=projection)
    )
    # While no outlines are loaded the picture is the villages alone (and an empty layer would
    # leave Vega nothing to fit the projection to).
    layers: list[alt.Chart] = [
        layer for layer, shapes in ((town_layer, town_features), (county_layer, county["features"])) if shapes
    ]
    if not points.empty and not town_classes:
        size = static_dot_size(len(points))
        layers.append(
            alt.Chart(points[["lon", "lat", "label"]])  # no 5,000-row guard: see lib.files.export
            .mark_circle(
                size=size, opacity=0.95, stroke="white", strokeWidth=0.6 if size >= STATIC_DOT_AREA else 0
            )
            .encode(
                longitude="lon:Q",
                latitude="lat:Q",
                color=alt.Color("label:N", scale=colour_scale, title=legend_title),
            )
            .project(type=projection)
        )
    if 0 < len(labels) <= MAX_TOWN_LABELS:
        layers.append(label_layer)
    if not layers:  # nothing to draw: no outlines and no located village
        layers.append(label_layer)
    return (
        alt.layer(*layers)
        .properties(
            width=width,
            height=height,
            title=alt.TitleParams(
                text=title, subtitle=list(subtitle), anchor="start", font=CJK_FONTS, fontSize=20
            ),
        )
        # The title carries the target ("Industry-plan coverage · target 100.0%"): Vega cuts titles
        # past 180 px by default.
        .configure_legend(
            labelFont=CJK_FONTS, titleFont=CJK_FONTS, orient="right", labelFontSize=12, titleLimit=420
        )
        .configure_view(stroke=None)
    )


def village_points(
    frame: pd.DataFrame,
    classes: pd.Series,
    scheme: Scheme,
    *,
    tips: Sequence[Mapping[str, str]],
    size_by_households: bool,
) -> pd.DataFrame:
    """The located villages of `frame` as map points: colour by class, radius, tooltip."""
    points = pd.DataFrame(
        {
            "village_code": frame["village_code"],
            "lon": frame["lon"],
            "lat": frame["lat"],
            "colour": [hex_to_rgba(scheme.colour_of(key), 235) for key in classes],
            "radius": [
                round(2.5 + 0.45 * math.sqrt(max(int(n), 0)), 1) if size_by_households else 5.5
                for n in frame["households"]
            ],
            **{field: [tip[field] for tip in tips] for field in TIP_FIELDS},
            "class": list(classes),
        }
    )
    located = points["lon"].notna() & points["lat"].notna()
    return points[located].reset_index(drop=True)


def unlocated(frame: pd.DataFrame) -> pd.DataFrame:
    """Villages of `frame` that have no coordinates, so they can be counted and named."""
    return frame[frame["lon"].isna() | frame["lat"].isna()]
