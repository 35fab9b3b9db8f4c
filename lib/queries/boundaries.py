"""The outlines the map draws, as the database stores them (table `boundaries`).

A county's own boundary file is loaded into the database (`python -m lib.load boundaries FILE`,
lib.services.loading), and the demo stores the outlines it was built on (lib.demo), so every server
of a shared database draws the same map. Village outlines may be stored too; the map draws
villages as points and does not read them (yet).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.core.models import Boundary, Town
from lib.queries.common import COUNTY_CODE_LENGTH

FeatureCollection = dict[str, Any]


def _collection(features: list[dict[str, Any]]) -> FeatureCollection:
    return {"type": "FeatureCollection", "features": features}


def _feature(geometry: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": json.loads(geometry)}


def stored_outlines(session: Session) -> tuple[FeatureCollection, FeatureCollection]:
    """(towns, county outlines) as GeoJSON FeatureCollections, for the map's base layer.

    A town's feature has the properties code, name_zh, name_en (from `towns`) and lon, lat (a
    point inside it, where its name is written); a county's has code, lon and lat. Only live towns
    are drawn (retired ones are left out by lib.core.models), and only the outlines of counties
    that have one; both are empty while no boundaries are loaded.
    """
    towns = session.execute(
        select(Boundary.code, Boundary.geometry, Boundary.lon, Boundary.lat, Town.name_zh, Town.name_en)
        .join(Town, Town.code == Boundary.code)
        .where(Boundary.level == "town")
        .order_by(Boundary.code)
    )
    town_features = [
        _feature(geometry, {"code": code, "name_zh": name_zh, "name_en": name_en, "lon": lon, "lat": lat})
        for code, geometry, lon, lat, name_zh, name_en in towns
    ]
    live_counties = select(func.substr(Town.code, 1, COUNTY_CODE_LENGTH)).distinct()
    counties = session.execute(
        select(Boundary.code, Boundary.geometry, Boundary.lon, Boundary.lat)
        .where(Boundary.level == "county", Boundary.code.in_(live_counties))
        .order_by(Boundary.code)
    )
    county_features = [
        _feature(geometry, {"code": code, "lon": lon, "lat": lat}) for code, geometry, lon, lat in counties
    ]
    return _collection(town_features), _collection(county_features)
