"""The demo county's outlines (data/geo, the demo's data) and the polygon helpers the demo needs.

data/geo is read only to generate data: lib.demo places its towns and villages in these outlines
and stores them in the database (table `boundaries`), which is what the map draws
(lib.queries.boundaries); tests and bench/ read them to check the demo. A county's own outlines
come from its boundary file (`python -m lib.load boundaries FILE`), never from here.

Rings are lists of (lon, lat) pairs as GeoJSON stores them; a closing point equal to the first
is allowed and ignored. Pure Python, no streamlit, no SQL.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

from lib.core import config

Ring = list[tuple[float, float]]

COUNTY_FILE = "county.geojson"
TOWNS_FILE = "towns.geojson"


def _load(name: str, geo_dir: Path | None = None) -> dict[str, Any]:
    path = (geo_dir or config.GEO_DIR) / name
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def load_county(geo_dir: Path | None = None) -> dict[str, Any]:
    """The county outline: a GeoJSON FeatureCollection with one Polygon feature."""
    return _load(COUNTY_FILE, geo_dir)


def load_towns(geo_dir: Path | None = None) -> dict[str, Any]:
    """The town outlines: a GeoJSON FeatureCollection, one Polygon feature per town."""
    return _load(TOWNS_FILE, geo_dir)


def town_ring(feature: dict[str, Any]) -> Ring:
    """The outer ring of a Polygon feature as (lon, lat) tuples."""
    geometry = feature["geometry"]
    if geometry["type"] != "Polygon":
        raise ValueError(f"expected a Polygon feature, got {geometry['type']}")
    return [(float(lon), float(lat)) for lon, lat in geometry["coordinates"][0]]


def point_in_polygon(lon: float, lat: float, ring: Ring) -> bool:
    """Even-odd ray casting; points exactly on an edge may fall either way."""
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat):
            x_cross = xi + (lat - yi) * (xj - xi) / (yj - yi)
            if lon < x_cross:
                inside = not inside
        j = i
    return inside


def polygon_bbox(ring: Ring) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat)."""
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return min(lons), min(lats), max(lons), max(lats)


def random_point_in_polygon(
    rng: random.Random, ring: Ring, *, max_tries: int = 10_000
) -> tuple[float, float]:
    """A uniformly random point inside `ring` by rejection sampling in its bounding box."""
    min_lon, min_lat, max_lon, max_lat = polygon_bbox(ring)
    for _ in range(max_tries):
        lon = rng.uniform(min_lon, max_lon)
        lat = rng.uniform(min_lat, max_lat)
        if point_in_polygon(lon, lat, ring):
            return lon, lat
    raise ValueError("could not find a point inside the polygon; is the ring degenerate?")


# --- more counties: the demo county's outlines, moved --------------------------------------------

# A city or province demo places county n (1-based) on a grid of copies of the shipped county,
# moved by whole county widths; county 1 is the shipped county itself, unchanged. The grid grows in
# square shells (county 2–4 make a 2 × 2 square with county 1, 5–9 a 3 × 3, …), so the first n
# counties always form a near-square block: a city's 10 sit 4 × 3, not in one row a map shows as
# a thin strip.
COUNTY_STEP_LON = 0.66  # ≈ 61 km at 32.6° N, a little more than the county's 60 km width
COUNTY_STEP_LAT = 0.47  # ≈ 52 km, a little more than its 50 km height
BASE_COUNTY_CODE = "349901"


def county_code(index: int) -> str:
    """The region code of demo county `index` (1-based): 349901, 349902, … 349999."""
    if not 1 <= index <= 99:
        raise ValueError("demo counties are numbered 1–99")
    return f"{BASE_COUNTY_CODE[:4]}{index:02d}"


def county_offset(index: int) -> tuple[float, float]:
    """(Δlon, Δlat) that moves the shipped county to demo county `index`'s place on the grid."""
    shell = math.isqrt(index - 1)  # counties shell² + 1 … (shell + 1)² make the shell-th ring
    position = index - 1 - shell * shell
    if position <= shell:  # down the new column first
        column, row = shell, position
    else:  # then along the new row
        column, row = position - shell - 1, shell
    return column * COUNTY_STEP_LON, -row * COUNTY_STEP_LAT


def _moved(value: float, delta: float) -> float:
    return round(value + delta, 5)


def _move_geometry(geometry: dict[str, Any], dlon: float, dlat: float) -> dict[str, Any]:
    return {
        "type": geometry["type"],
        "coordinates": [
            [[_moved(lon, dlon), _moved(lat, dlat)] for lon, lat in ring] for ring in geometry["coordinates"]
        ],
    }


def moved_towns(
    index: int, names: tuple[str, str] | None = None, geo_dir: Path | None = None
) -> dict[str, Any]:
    """The town outlines of demo county `index`: the shipped towns moved, recoded and renamed.

    `names` is the county's (short zh, en) name, put before each town's name so towns of different
    counties can be told apart; county 1 (or `names=None`) keeps the shipped names.
    """
    towns = load_towns(geo_dir)
    if index == 1:
        return towns
    dlon, dlat = county_offset(index)
    code = county_code(index)
    features = []
    for feature in towns["features"]:
        props = dict(feature["properties"])
        props["code"] = code + props["code"][len(code) :]
        for key in ("lon", "scenic_lon"):
            if props.get(key) is not None:
                props[key] = _moved(props[key], dlon)
        for key in ("lat", "scenic_lat"):
            if props.get(key) is not None:
                props[key] = _moved(props[key], dlat)
        if names is not None:
            props["name_zh"] = names[0] + props["name_zh"]
            props["name_en"] = f"{props['name_en']} ({names[1]})"
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": _move_geometry(feature["geometry"], dlon, dlat),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def moved_county(index: int, geo_dir: Path | None = None) -> dict[str, Any]:
    """The outline of demo county `index` (see `moved_towns`)."""
    county = load_county(geo_dir)
    if index == 1:
        return county
    dlon, dlat = county_offset(index)
    features = []
    for feature in county["features"]:
        props = dict(feature["properties"])
        if "code" in props:
            props["code"] = county_code(index)
        if props.get("lon") is not None and props.get("lat") is not None:
            props["lon"], props["lat"] = _moved(props["lon"], dlon), _moved(props["lat"], dlat)
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": _move_geometry(feature["geometry"], dlon, dlat),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def region_outlines(counties: int, geo_dir: Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(towns, counties) FeatureCollections of demo counties 1…`counties`, with the shipped names:
    what the demo stores for a city or province (lib.demo), for tests and bench/ to compare with."""
    towns: list[dict[str, Any]] = []
    outlines: list[dict[str, Any]] = []
    for index in range(1, counties + 1):
        towns += moved_towns(index, geo_dir=geo_dir)["features"]
        outlines += moved_county(index, geo_dir)["features"]
    return (
        {"type": "FeatureCollection", "features": towns},
        {"type": "FeatureCollection", "features": outlines},
    )
