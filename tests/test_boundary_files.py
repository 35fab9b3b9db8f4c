"""Reading town and village boundary files (lib.files.boundaries) from real GeoJSON and zipped
Shapefiles built here: codes, coordinate systems, shapes, limits, and files that must be refused."""

from __future__ import annotations

import io
import json
import math
import re
import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import shapefile
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from pyproj import CRS, Transformer
from pyproj.enums import WktVersion
from shapely.geometry import shape

from lib.core.locales import boundaries as boundary_labels
from lib.files import boundaries
from lib.files.boundaries import BoundaryFile, read_boundaries

Ring = list[tuple[float, float]]

# Two towns side by side in EPSG:4547 (CGCS2000 3-degree Gauss-Kruger, central meridian 114E):
# x 500,000 m is the central meridian, y 3,320,000 m is just south of 30N.
WEST_TOWN: Ring = [
    (500000, 3320000),
    (500000, 3321000),
    (501000, 3321000),
    (501000, 3320000),
    (500000, 3320000),
]
EAST_TOWN: Ring = [
    (501000, 3320000),
    (501000, 3321000),
    (502000, 3321000),
    (502000, 3320000),
    (501000, 3320000),
]
TOWN_FIELDS = (("OBJECTID", "N", 10, 0), ("XZQDM", "C", 12, 0), ("XZQMC", "C", 50, 0))
TOWN_RECORDS = ((1, "349901105000", "八里河镇"), (2, "349901106000", "黄坝乡"))
PRJ_4547 = CRS.from_epsg(4547).to_wkt(WktVersion.WKT1_ESRI)
TO_LONLAT_4547 = Transformer.from_crs(4547, 4326, always_xy=True)


def square(lon: float, lat: float, size: float = 0.01) -> list[list[float]]:
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def polygon_feature(properties: dict[str, Any], ring: Sequence[Sequence[float]]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": [[list(point) for point in ring]]},
    }


def geojson(features: list[dict[str, Any]], **members: Any) -> bytes:
    return json.dumps(
        {"type": "FeatureCollection", **members, "features": features}, ensure_ascii=False
    ).encode()


def villages() -> list[dict[str, Any]]:
    return [
        polygon_feature({"name": "平安村", "code": "341221105204"}, square(115.0, 33.0)),
        polygon_feature({"name": "八里村", "code": "341221105205"}, square(115.01, 33.0)),
    ]


def shapefile_zip(
    rings: Sequence[Ring | list[Ring] | None] = (WEST_TOWN, EAST_TOWN),
    records: Sequence[Sequence[Any]] = TOWN_RECORDS,
    *,
    fields: Sequence[tuple[str, str, int, int]] = TOWN_FIELDS,
    prj: str | None = PRJ_4547,
    encoding: str = "gbk",
    cpg: str | None = None,
    stem: str = "towns",
) -> bytes:
    """A real zipped Shapefile: polygons (a ring, rings, or None: a null shape) and their .dbf rows."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding=encoding)
    for name, kind, size, decimal in fields:
        writer.field(name, kind, size, decimal)
    for ring, record in zip(rings, records, strict=True):
        if ring is None:
            writer.null()
        elif isinstance(ring[0], list):
            writer.poly(ring)
        else:
            writer.poly([ring])
        writer.record(*record)
    writer.close()
    parts = {".shp": shp.getvalue(), ".shx": shx.getvalue(), ".dbf": dbf.getvalue()}
    if prj is not None:
        parts[".prj"] = prj.encode()
    if cpg is not None:
        parts[".cpg"] = cpg.encode()
    return zipped({stem + suffix: content for suffix, content in parts.items()})


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def only_problem(result: BoundaryFile) -> tuple[str, dict[str, Any]]:
    """The one whole-file refusal: its key and parameters."""
    assert result.outlines == ()
    assert len(result.problems) == 1, result.problems
    problem = result.problems[0]
    assert problem.row is None
    assert result.refused
    return problem.key, dict(problem.params)


def problem_keys(result: BoundaryFile) -> list[tuple[int | None, str | None, str]]:
    return [(problem.row, problem.column, problem.key) for problem in result.problems]


def outer_ring(geometry: dict[str, Any]) -> list[list[float]]:
    assert geometry["type"] == "Polygon"
    ring: list[list[float]] = geometry["coordinates"][0]
    return ring


# --- files read -----------------------------------------------------------------------------------


def test_geojson_in_wgs84_is_read_as_it_is() -> None:
    result = read_boundaries(geojson(villages()))

    assert result.problems == ()
    assert result.code_property == "code"
    assert (result.source_crs, result.source_epsg, result.crs_assumed) == ("WGS 84", 4326, True)
    assert result.feature_count == 2
    first, second = result.outlines
    assert (first.number, first.code, first.name, first.level) == (1, "341221105204", "平安村", "village")
    assert (second.number, second.code, second.name) == (2, "341221105205", "八里村")
    drawn = shape(first.geometry)
    assert drawn.is_valid
    assert drawn.equals(shapely.Polygon(square(115.0, 33.0)))
    assert drawn.contains(shapely.Point(first.point))
    assert json.loads(json.dumps(first.geometry)) == first.geometry  # plain lists and floats


def test_zipped_shapefile_with_prj_is_converted_to_lon_lat() -> None:
    result = read_boundaries(shapefile_zip())

    assert result.problems == ()
    assert result.source_crs == "CGCS2000 / 3-degree Gauss-Kruger CM 114E"
    assert (result.source_epsg, result.crs_assumed) == (4547, False)
    assert [outline.code for outline in result.outlines] == ["349901105000", "349901106000"]
    assert [outline.name for outline in result.outlines] == ["八里河镇", "黄坝乡"]  # the .dbf is GBK
    assert [outline.level for outline in result.outlines] == ["town", "town"]
    west = result.outlines[0]
    corners = {tuple(point) for point in outer_ring(west.geometry)}
    for x, y in WEST_TOWN:
        lon, lat = TO_LONLAT_4547.transform(x, y)
        assert (round(lon, 6), round(lat, 6)) in corners
    # Known values: x 500,000 m is the central meridian 114E; 3,320,000 m north is about 30N.
    assert (114.0, 29.998977) in corners
    assert 114.0 < west.point[0] < 114.011 and 29.998 < west.point[1] < 30.009


def test_an_epsg_code_given_overrides_the_prj() -> None:
    with_prj = read_boundaries(shapefile_zip())
    wrong_prj = shapefile_zip(prj=CRS.from_epsg(4326).to_wkt(WktVersion.WKT1_ESRI))
    given = read_boundaries(wrong_prj, epsg=4547)
    no_prj = read_boundaries(shapefile_zip(prj=None), epsg=4547)

    assert given.problems == no_prj.problems == ()
    assert given.outlines == no_prj.outlines == with_prj.outlines
    assert given.source_crs == "CGCS2000 / 3-degree Gauss-Kruger CM 114E"
    assert given.source_epsg == 4547


def test_geojson_legacy_crs_member_is_read() -> None:
    features = [
        polygon_feature({"XZQDM": code}, ring)
        for code, ring in (("349901105000", WEST_TOWN), ("349901106000", EAST_TOWN))
    ]
    result = read_boundaries(
        geojson(features, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}})
    )

    assert result.problems == ()
    assert result.source_epsg == 4547
    from_shapefile = read_boundaries(shapefile_zip()).outlines
    assert [(outline.geometry, outline.point) for outline in result.outlines] == [
        (outline.geometry, outline.point) for outline in from_shapefile
    ]


def test_utf8_dbf_named_by_its_cpg() -> None:
    result = read_boundaries(shapefile_zip(encoding="utf-8", cpg="UTF-8"))

    assert [outline.name for outline in result.outlines] == ["八里河镇", "黄坝乡"]
    assert boundaries._dbf_encodings(b"ANSI 936") == ["gbk", "utf-8"]  # a Windows code page number


def test_shapefile_rings_become_holes_and_parts_by_their_winding() -> None:
    # Outer rings run clockwise, holes anticlockwise (the Shapefile rule).
    hole: Ring = [
        (500200, 3320200),
        (500800, 3320200),
        (500800, 3320800),
        (500200, 3320800),
        (500200, 3320200),
    ]
    island: Ring = [
        (503000, 3320000),
        (503000, 3320500),
        (503500, 3320500),
        (503500, 3320000),
        (503000, 3320000),
    ]
    result = read_boundaries(shapefile_zip(rings=[[WEST_TOWN, hole, island], EAST_TOWN]))

    assert result.problems == ()
    with_hole_and_island, east = (shape(outline.geometry) for outline in result.outlines)
    assert with_hole_and_island.geom_type == "MultiPolygon"
    assert sorted(len(polygon.interiors) for polygon in with_hole_and_island.geoms) == [0, 1]
    assert not with_hole_and_island.contains(shapely.Point(TO_LONLAT_4547.transform(500500, 3320500)))
    assert with_hole_and_island.contains(shapely.Point(TO_LONLAT_4547.transform(503250, 3320250)))
    assert all(polygon.exterior.is_ccw for polygon in with_hole_and_island.geoms)  # GeoJSON's winding
    assert east.geom_type == "Polygon"


def test_a_surveyed_outline_is_simplified_for_drawing() -> None:
    points = 4000
    circle = [
        [114.5 + 0.02 * math.cos(2 * math.pi * i / points), 30.5 + 0.02 * math.sin(2 * math.pi * i / points)]
        for i in range(points)
    ]
    result = read_boundaries(geojson([polygon_feature({"XZQDM": "349901105000"}, [*circle, circle[0]])]))

    (outline,) = result.outlines
    ring = outer_ring(outline.geometry)
    assert 8 < len(ring) < 200
    assert all(value == round(value, 6) for point in ring for value in point)
    drawn = shape(outline.geometry)
    assert drawn.is_valid
    assert drawn.symmetric_difference(shapely.Polygon(circle)).area < 0.03 * shapely.Polygon(circle).area
    assert shapely.Polygon(circle).contains(shapely.Point(outline.point))


# --- the code property ----------------------------------------------------------------------------


def test_the_code_property_is_found_by_its_values() -> None:
    # OBJECTID holds numbers, XZQMC names: only XZQDM holds division codes.
    result = read_boundaries(
        shapefile_zip(
            fields=(TOWN_FIELDS[2], TOWN_FIELDS[0], TOWN_FIELDS[1]),
            records=[(name, number, code) for number, code, name in TOWN_RECORDS],
        )
    )

    assert result.code_property == "XZQDM"
    assert [outline.code for outline in result.outlines] == ["349901105000", "349901106000"]


def test_the_property_holding_the_known_codes_wins() -> None:
    features = [
        polygon_feature({"A_CODE": "341221105204", "B_CODE": "349901105204"}, square(115.0, 33.0)),
        polygon_feature({"A_CODE": "341221105205", "B_CODE": "349901105205"}, square(115.01, 33.0)),
    ]
    assert read_boundaries(geojson(features)).code_property == "A_CODE"  # the first of equals

    known = read_boundaries(geojson(features), known_codes=["349901105205", "349901105"])
    assert known.code_property == "B_CODE"
    assert [outline.code for outline in known.outlines] == ["349901105204", "349901105205"]


def test_a_code_property_named_by_the_user() -> None:
    features = [
        polygon_feature({"XZQDM": "349901105000", "TOWNCODE": 349901107}, square(115.0, 33.0)),
        polygon_feature({"XZQDM": "349901106000", "TOWNCODE": "349901108"}, square(115.01, 33.0)),
    ]
    result = read_boundaries(geojson(features), code_property="towncode")

    assert result.code_property == "TOWNCODE"
    assert result.problems == ()
    assert [outline.code for outline in result.outlines] == [
        "349901107000",
        "349901108000",
    ]  # 9 digits: a town


def test_a_named_code_property_the_file_lacks_is_refused() -> None:
    key, params = only_problem(read_boundaries(shapefile_zip(), code_property="CODE"))

    assert key == "boundaries.error.code_property_missing"
    assert params == {"name": "CODE", "names": "OBJECTID, XZQDM, XZQMC"}


def test_a_file_without_codes_is_refused_with_its_property_names() -> None:
    records = [(1, "", "八里河镇"), (2, "unknown", "黄坝乡")]
    key, params = only_problem(read_boundaries(shapefile_zip(records=records)))

    assert key == "boundaries.error.no_code_property"
    assert params == {"names": "OBJECTID, XZQDM, XZQMC"}


def test_blank_invalid_and_repeated_codes_are_reported_per_feature() -> None:
    features = [
        polygon_feature({"XZQDM": "341221105204"}, square(115.0, 33.0)),
        polygon_feature({"XZQDM": "  "}, square(115.01, 33.0)),
        polygon_feature({"XZQDM": "34122110520"}, square(115.02, 33.0)),
        polygon_feature({"XZQDM": "341221105204"}, square(115.03, 33.0)),
        polygon_feature({"XZQDM": 341221105206}, square(115.04, 33.0)),
    ]
    result = read_boundaries(geojson(features))

    assert problem_keys(result) == [
        (2, "XZQDM", "boundaries.error.no_code"),
        (3, "XZQDM", "boundaries.error.bad_code"),
        (4, "XZQDM", "boundaries.error.duplicate_code"),
    ]
    assert result.problems[1].params == {"value": "34122110520"}
    assert result.problems[2].params == {"code": "341221105204", "first": 1}
    assert [outline.number for outline in result.outlines] == [1, 5]
    assert result.outlines[1].code == "341221105206"


# --- coordinate systems ---------------------------------------------------------------------------


def test_projected_coordinates_without_a_crs_are_refused() -> None:
    features = [polygon_feature({"XZQDM": "349901105000"}, WEST_TOWN)]
    for data in (geojson(features), shapefile_zip(prj=None)):
        key, params = only_problem(read_boundaries(data))
        assert key == "boundaries.error.looks_projected"
        assert params["x"].startswith("500,000")


def test_an_unreadable_prj_is_refused() -> None:
    key, _ = only_problem(read_boundaries(shapefile_zip(prj="PROJCS[this is not a coordinate system")))

    assert key == "boundaries.error.bad_prj"


def test_an_unknown_epsg_code_is_refused() -> None:
    key, params = only_problem(read_boundaries(shapefile_zip(), epsg=999999))

    assert (key, params) == ("boundaries.error.unknown_epsg", {"epsg": "999999"})


def test_a_wrong_epsg_code_lands_outside_china_and_is_refused() -> None:
    # Web Mercator metres read as 3,320,000 m north: about 28.5N, but 4.5E (the false easting).
    key, params = only_problem(read_boundaries(shapefile_zip(), epsg=3857))

    assert key == "boundaries.error.outside_china"
    assert params["crs"] == "WGS 84 / Pseudo-Mercator"
    assert float(params["west"]) < 73


def test_one_shape_outside_china_is_reported_alone() -> None:
    features = [*villages(), polygon_feature({"code": "341221105206"}, square(2.35, 48.85))]
    result = read_boundaries(geojson(features))

    assert problem_keys(result) == [(3, None, "boundaries.error.feature_outside_china")]
    assert result.problems[0].params["west"] == "2.35"
    assert len(result.outlines) == 2


# --- shapes ---------------------------------------------------------------------------------------


def test_a_self_intersecting_polygon_is_reported_not_repaired() -> None:
    bow_tie = [[115.0, 33.0], [115.01, 33.01], [115.01, 33.0], [115.0, 33.01], [115.0, 33.0]]
    features = [*villages(), polygon_feature({"code": "341221105206"}, bow_tie)]
    result = read_boundaries(geojson(features))

    assert problem_keys(result) == [(3, None, "boundaries.error.self_intersection")]
    assert result.problems[0].params == {"at": "115.005 33.005"}
    assert [outline.number for outline in result.outlines] == [1, 2]


def test_a_bow_tie_in_a_shapefile_is_reported_in_its_own_metres() -> None:
    bow_tie: Ring = [
        (500000, 3320000),
        (501000, 3321000),
        (501000, 3320000),
        (500000, 3321000),
        (500000, 3320000),
    ]
    result = read_boundaries(shapefile_zip(rings=[bow_tie, EAST_TOWN]))

    assert problem_keys(result) == [(1, None, "boundaries.error.self_intersection")]
    assert result.problems[0].params == {"at": "500500 3320500"}
    assert [outline.code for outline in result.outlines] == ["349901106000"]


def test_point_and_missing_shapes_are_reported_per_feature() -> None:
    point = {
        "type": "Feature",
        "properties": {"code": "341221105206"},
        "geometry": {"type": "Point", "coordinates": [115, 33]},
    }
    blank = {"type": "Feature", "properties": {"code": "341221105207"}, "geometry": None}
    result = read_boundaries(geojson([*villages(), point, blank]))

    assert problem_keys(result) == [
        (3, None, "boundaries.error.not_area"),
        (4, None, "boundaries.error.no_shape"),
    ]
    assert result.problems[0].params == {"kind": "Point"}
    assert len(result.outlines) == 2


def test_a_null_shape_in_a_shapefile_is_reported() -> None:
    result = read_boundaries(shapefile_zip(rings=[WEST_TOWN, None]))

    assert problem_keys(result) == [(2, None, "boundaries.error.no_shape")]
    assert [outline.number for outline in result.outlines] == [1]


def test_a_file_of_points_only_is_refused() -> None:
    point = {
        "type": "Feature",
        "properties": {"code": "341221105206"},
        "geometry": {"type": "Point", "coordinates": [115, 33]},
    }
    key, params = only_problem(read_boundaries(geojson([point])))

    assert (key, params) == ("boundaries.error.no_areas", {"kinds": "Point"})


# --- files refused --------------------------------------------------------------------------------


def test_empty_bytes_are_refused() -> None:
    assert only_problem(read_boundaries(b"")) == ("boundaries.error.empty_file", {})


def test_random_bytes_are_not_a_boundary_file() -> None:
    data = bytes(range(256)) * 4
    assert only_problem(read_boundaries(data)) == ("boundaries.error.not_boundary_file", {})


def test_an_excel_file_is_not_a_boundary_file() -> None:
    workbook = Workbook()
    workbook.active.append(["XZQDM", "XZQMC"])
    out = io.BytesIO()
    workbook.save(out)

    assert only_problem(read_boundaries(out.getvalue())) == ("boundaries.error.not_boundary_file", {})


def test_a_damaged_zip_is_refused() -> None:
    data = shapefile_zip()
    assert only_problem(read_boundaries(data[: len(data) // 2])) == ("boundaries.error.damaged", {})


@pytest.mark.filterwarnings("ignore::shapefile.PossiblyCorruptFileHeader")
def test_a_damaged_shp_is_refused() -> None:
    data = shapefile_zip()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["towns.shp"] = files["towns.shp"][:100] + b"\x00\x00\x00\x01\x00\x00\x00\x30\x05\x00\x00\x00garbage"
    files.pop("towns.shx")

    assert only_problem(read_boundaries(zipped(files))) == ("boundaries.error.damaged", {})


def test_broken_json_is_refused() -> None:
    assert only_problem(read_boundaries(b'{"type": "FeatureCollection", "features": [')) == (
        "boundaries.error.damaged",
        {},
    )


def test_json_that_is_not_geojson_is_refused() -> None:
    data = json.dumps({"type": "Topology", "objects": {}}).encode()
    assert only_problem(read_boundaries(data)) == ("boundaries.error.not_boundary_file", {})


def test_a_zip_without_dbf_or_with_two_layers_is_refused() -> None:
    data = shapefile_zip()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    without_dbf = {name: content for name, content in files.items() if not name.endswith(".dbf")}
    two_layers = {**files, **{name.replace("towns", "villages"): content for name, content in files.items()}}

    assert only_problem(read_boundaries(zipped(without_dbf))) == (
        "boundaries.error.missing_part",
        {"part": ".dbf"},
    )
    assert only_problem(read_boundaries(zipped(two_layers))) == (
        "boundaries.error.several_layers",
        {"names": "towns.shp, villages.shp"},
    )


def test_a_file_over_the_size_limit_is_refused() -> None:
    data = shapefile_zip()
    assert only_problem(read_boundaries(data, max_bytes=len(data) - 1))[0] == "boundaries.error.too_large"
    assert read_boundaries(data, max_bytes=len(data)).problems == ()

    key, params = only_problem(read_boundaries(geojson(villages()), max_bytes=100))
    assert key == "boundaries.error.too_large"
    assert params["max"] == f"{100 / 1024 / 1024:g}"
    assert boundaries.MAX_BYTES == 50 * 1024 * 1024


def test_a_zip_bomb_is_refused_from_its_stated_size() -> None:
    data = bytearray(shapefile_zip())
    directory = data.index(b"PK\x01\x02")  # the first file's central directory entry
    struct.pack_into("<I", data, directory + 24, 0xF0000000)  # its uncompressed size: 3.75 GB

    assert only_problem(read_boundaries(bytes(data))) == (
        "boundaries.error.unpacked_too_large",
        {"max": "200"},
    )


def test_a_zip_over_the_unpacked_limit_is_refused() -> None:
    key, params = only_problem(read_boundaries(shapefile_zip(), max_unpacked=512))

    assert (key, params) == ("boundaries.error.unpacked_too_large", {"max": f"{512 / 1024 / 1024:g}"})


def test_too_many_features_or_vertices_are_refused() -> None:
    assert only_problem(read_boundaries(shapefile_zip(), max_features=1)) == (
        "boundaries.error.too_many_features",
        {"n": "2", "max": "1"},
    )
    assert (
        only_problem(read_boundaries(geojson(villages()), max_features=1))[0]
        == "boundaries.error.too_many_features"
    )
    assert only_problem(read_boundaries(shapefile_zip(), max_vertices=9)) == (
        "boundaries.error.too_many_vertices",
        {"max": "9"},
    )
    assert (
        only_problem(read_boundaries(geojson(villages()), max_vertices=9))[0]
        == "boundaries.error.too_many_vertices"
    )
    assert read_boundaries(geojson(villages()), max_vertices=10).problems == ()


def test_a_read_past_its_time_limit_is_refused() -> None:
    ticks = iter(range(1000))
    result = read_boundaries(shapefile_zip(), time_limit=2, clock=lambda: float(next(ticks)))

    assert only_problem(result) == ("boundaries.error.too_slow", {"seconds": "2"})


# --- labels ---------------------------------------------------------------------------------------


def test_every_problem_has_labels_in_both_languages() -> None:
    source = Path(boundaries.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'"(boundaries\.[a-z_.]+)"', source))

    assert len(used) > 30
    assert used <= set(boundary_labels.ZH)
    assert set(boundary_labels.ZH) == set(boundary_labels.EN)
    assert all(key.startswith("boundaries.") for key in boundary_labels.ZH)


# --- never raises ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=12,
)
positions = st.lists(st.floats(min_value=-200, max_value=4e6) | st.floats(), min_size=2, max_size=3)
rings = st.lists(positions, max_size=6)
geometries = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["Polygon", "MultiPolygon", "Point", "LineString", "GeometryCollection", "?"]
        ),
        "coordinates": st.lists(rings, max_size=2)
        | st.lists(st.lists(rings, max_size=2), max_size=2)
        | json_values,
    }
)
features = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Feature", "feature"]),
        "properties": st.dictionaries(
            st.sampled_from(["code", "XZQDM", "name"]),
            st.sampled_from(["341221105204", "341221105", 341221105205, ""]) | json_values,
            max_size=3,
        )
        | json_values,
        "geometry": geometries | json_values,
    }
)
collections = st.fixed_dictionaries(
    {"type": st.just("FeatureCollection"), "features": st.lists(features, max_size=4)},
    optional={"crs": json_values},
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.binary(max_size=300).map(lambda tail: b"PK\x03\x04" + tail))
def test_random_bytes_never_raise(data: bytes) -> None:
    result = read_boundaries(data)

    assert isinstance(result, BoundaryFile)
    assert result.problems


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(collections | json_values, st.sampled_from([None, 4326, 4547]))
def test_random_json_never_raises(document: Any, epsg: int | None) -> None:
    result = read_boundaries(json.dumps(document).encode(), epsg=epsg)

    assert isinstance(result, BoundaryFile)
    for outline in result.outlines:
        assert shape(outline.geometry).is_valid


def test_chinese_field_names_and_survey_codes_are_read() -> None:
    fields = (("名称", "C", 50, 0), ("ZLDWDM", "C", 19, 0))  # a land-survey 坐落单位代码: 12 digits + 7 zeros
    records = (("八里村", "3499011052040000000"), ("平安村", "3499011052050000000"))
    result = read_boundaries(shapefile_zip(fields=fields, records=records))

    assert result.code_property == "ZLDWDM"
    assert [(outline.code, outline.name) for outline in result.outlines] == [
        ("349901105204", "八里村"),
        ("349901105205", "平安村"),
    ]


def test_unusable_coordinate_systems_are_refused() -> None:
    unknown_member = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}
    key, params = only_problem(read_boundaries(geojson(villages(), crs=unknown_member)))
    assert key == "boundaries.error.bad_crs_member"
    assert "999999" in params["value"]

    key, params = only_problem(read_boundaries(geojson(villages()), epsg=4978))  # Earth-centred X/Y/Z
    assert (key, params) == ("boundaries.error.crs_not_supported", {"name": "WGS 84"})


def test_an_encrypted_zip_is_refused() -> None:
    data = bytearray(shapefile_zip())
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            struct.pack_into("<H", data, start + flags_at, 0x1)  # "encrypted"
            start += 4

    assert only_problem(read_boundaries(bytes(data))) == ("boundaries.error.encrypted", {})
