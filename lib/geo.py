"""The shipped county and town outlines (data/geo) and the few polygon helpers the app needs.

Rings are lists of (lon, lat) pairs as GeoJSON stores them; a closing point equal to the first
is allowed and ignored. Pure Python, no streamlit, no SQL.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from lib import config

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
