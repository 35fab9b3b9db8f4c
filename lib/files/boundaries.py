"""Town and village boundary files: read a county's outlines from a GeoJSON file or a zipped Shapefile.

Pure: no streamlit, no SQL. `read_boundaries(data)` takes the uploaded bytes and returns the
outlines it could read (division code, lon/lat shape simplified for drawing, a point inside it,
its name) and every problem found, as `Problem`s with `boundaries.error.*` label keys. It never
raises: a file it cannot use is refused with one problem that says why (row None), and a feature
it cannot use is left out with a problem naming its 1-based position in the file (row).

What the file is comes from its bytes, not its name: a zip holding a .shp (with its .dbf, and
optionally .shx, .prj and .cpg; read in memory, never extracted) or text starting with `{`
(a GeoJSON FeatureCollection). The division code is read from the property the caller names, or
else from the property whose values are most often division codes. Coordinates are converted to
WGS84 lon/lat from the CRS the caller gives (EPSG), else the .prj, else GeoJSON's old `crs`
member, else WGS84 is assumed (and projected metres are refused rather than guessed at).
Invalid shapes are reported, never repaired.

Reading is bounded: file size, unpacked size, features, vertices and time (see the limits below).
"""

from __future__ import annotations

import codecs
import functools
import io
import itertools
import json
import re
import time
import zipfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapefile
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from lib.files.imports import Problem
from lib.rules.divisions import Level, clean_code, level_of

MAX_BYTES = 50 * 1024 * 1024  # an upload larger than this is refused before it is opened
# A zip's files unpacked, by their stated sizes and again as they are read: guards against zip
# bombs. A layer at MAX_VERTICES is ~80 MB of .shp (16 bytes a vertex) plus its .dbf.
MAX_UNPACKED = 200 * 1024 * 1024
MAX_FEATURES = 5000  # a county has ~20-30 towns and ~300-400 villages
MAX_VERTICES = 5_000_000  # all shapes together
# A read that takes longer is refused. 400 villages of 2,500 vertices each (1 million) take ~3 s on
# a busy laptop (reading, checking, converting and simplifying): the limit leaves room for 5 million.
READ_SECONDS = 60.0
# Outlines are simplified for drawing with this tolerance in degrees (~30 m): invisible at the
# zoom of a county map, and a village's 2,500 surveyed vertices become a few dozen.
SIMPLIFY_DEGREES = 0.0003
DECIMALS = 6  # lon/lat decimals kept (~0.1 m)
# China's rough extent: a shape outside it was almost always read with the wrong coordinate system.
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)
NAMES_SHOWN = 30  # property names listed in a message
SHOWN_MAX = 40  # a value quoted in a message is cut to this many characters

WGS84_EPSG = 4326
GEOJSON_TYPES = ("Polygon", "MultiPolygon")
SHAPEFILE_POLYGON_TYPES = (shapefile.POLYGON, shapefile.POLYGONZ, shapefile.POLYGONM)
UTF8_BOM = b"\xef\xbb\xbf"
ZIP_MAGIC = b"PK"
# Names of the code property, for a tie between properties holding the same codes (land-survey
# layers call it XZQDM; 坐落单位代码 ZLDWDM in village layers).
CODE_NAMES = ("XZQDM", "ZLDWDM", "code", "CODE", "区划代码", "行政区划代码", "代码")
NAME_PROPERTIES = ("XZQMC", "ZLDWMC", "NAME", "name", "Name", "名称", "MC", "乡镇名称", "村名称")
TOWN_CODE = re.compile(r"[0-9]{9}")  # some files give a town its 9 digits, as the database does
# 坐落单位代码 (land survey): the 12-digit code followed by 7 digits that are zeros at village level.
LOCATION_UNIT_CODE = re.compile(r"([0-9]{12})0{7}")
GEOJSON_CRS_EPSG = re.compile(r"EPSG:{1,2}(?:[0-9.]*:)?([0-9]{4,6})$", re.IGNORECASE)
GEOJSON_CRS84 = re.compile(r"CRS:?84$", re.IGNORECASE)
INVALID_REASON = re.compile(r"(?P<reason>[^\[]*)\[(?P<at>[^\]]*)\]")
TOO_FEW_POINTS = ("too few points",)
SELF_INTERSECTION = ("self-intersection", "ring self-intersection")


@dataclass(frozen=True)
class Outline:
    """One town's or village's outline as read from the file."""

    number: int  # the feature's 1-based position in the file
    code: str  # the 12-digit division code (lib.rules.divisions.clean_code)
    geometry: dict[str, Any]  # GeoJSON Polygon or MultiPolygon, lon/lat, simplified, 6 decimals
    point: tuple[float, float]  # a lon/lat point inside the unsimplified shape (for labels, pins)
    name: str | None  # the name property (XZQMC, NAME, 名称, …) if the feature has one
    level: Level  # what the code names: county, town or village


@dataclass(frozen=True)
class BoundaryFile:
    """What `read_boundaries` read. A refused file has no outlines and one problem with row None."""

    outlines: tuple[Outline, ...]
    problems: tuple[Problem, ...]  # row: feature number (None: the whole file); column: property
    code_property: str | None  # the property read as the division code
    source_crs: str  # the coordinate system read from, by name ("WGS 84", "CGCS2000 / …")
    feature_count: int
    source_epsg: int | None = None  # its EPSG code, when it has one
    crs_assumed: bool = False  # the file did not say: WGS84 was assumed

    @property
    def refused(self) -> bool:
        return not self.outlines and any(problem.row is None for problem in self.problems)


def read_boundaries(
    data: bytes,
    *,
    code_property: str | None = None,
    epsg: int | None = None,
    known_codes: Collection[str] = (),
    max_bytes: int = MAX_BYTES,
    max_unpacked: int = MAX_UNPACKED,
    max_features: int = MAX_FEATURES,
    max_vertices: int = MAX_VERTICES,
    time_limit: float = READ_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> BoundaryFile:
    """Read a boundary file's outlines and problems, never raising.

    `code_property` names the property holding the division code (else it is found by its
    values, preferring the property that holds most of `known_codes`, 12- or 9-digit); `epsg`
    names the coordinate system (else the file's .prj or `crs` member, else WGS84).
    """
    deadline = _Deadline(time_limit, clock)
    limits = _Limits(max_unpacked, max_features, max_vertices)
    try:
        layer = _read_layer(data, max_bytes=max_bytes, limits=limits, deadline=deadline)
        return _outlines(
            layer, code_property=code_property, epsg=epsg, known_codes=known_codes, deadline=deadline
        )
    except _Refused as refusal:
        return _refused(refusal.key, **refusal.params)
    except _TooSlow:
        return _refused("boundaries.error.too_slow", seconds=f"{time_limit:g}")
    except Exception:
        return _refused("boundaries.error.damaged")


# --- reading the file ---------------------------------------------------------------------------


class _Refused(Exception):
    """The whole file is refused, for the reason `key` (a label key) with `params`."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class _TooSlow(Exception):
    """The read ran past its time limit."""


class _Deadline:
    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.at = clock() + seconds

    def check(self) -> None:
        if self.clock() >= self.at:
            raise _TooSlow


class _TimedBytes(io.BytesIO):
    """A .shp as pyshp reads it: every read checks the deadline, so one enormous shape stops too."""

    def __init__(self, data: bytes, deadline: _Deadline) -> None:
        super().__init__(data)
        self.deadline = deadline

    def read(self, size: int | None = -1, /) -> bytes:
        self.deadline.check()
        return super().read(size)


@dataclass(frozen=True)
class _Limits:
    unpacked: int
    features: int
    vertices: int


@dataclass
class _Feature:
    """One feature as read: its properties and its shape in the file's coordinates, or why it has none."""

    number: int
    properties: Mapping[str, Any]
    shape: BaseGeometry | None = None
    trouble: tuple[str, dict[str, Any]] | None = None  # why the shape cannot be used
    kind: str = ""  # the geometry type the file gives


@dataclass
class _Layer:
    features: list[_Feature]
    property_names: list[str]
    feature_count: int
    prj: str | None = None  # the .prj's text
    crs_member: Any = None  # GeoJSON's old `crs` member


@dataclass
class _VertexCount:
    limit: int
    total: int = 0

    def add(self, count: int) -> None:
        self.total += count
        if self.total > self.limit:
            raise _Refused("boundaries.error.too_many_vertices", max=f"{self.limit:,}")


def _refused(key: str, **params: Any) -> BoundaryFile:
    return BoundaryFile((), (Problem(None, None, key, params),), None, "", 0)


def _read_layer(data: bytes, *, max_bytes: int, limits: _Limits, deadline: _Deadline) -> _Layer:
    if not data:
        raise _Refused("boundaries.error.empty_file")
    if len(data) > max_bytes:
        raise _Refused(
            "boundaries.error.too_large",
            size=f"{len(data) / 1024 / 1024:.1f}",
            max=f"{max_bytes / 1024 / 1024:g}",
        )
    if data.startswith(ZIP_MAGIC):
        return _read_shapefile_zip(data, limits=limits, deadline=deadline)
    if data.removeprefix(UTF8_BOM).lstrip().startswith(b"{"):
        return _read_geojson(data, limits=limits, deadline=deadline)
    raise _Refused("boundaries.error.not_boundary_file")


# --- Shapefile in a zip -------------------------------------------------------------------------


def _read_shapefile_zip(data: bytes, *, limits: _Limits, deadline: _Deadline) -> _Layer:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise _Refused("boundaries.error.damaged") from None
    if sum(entry.file_size for entry in entries) > limits.unpacked:
        raise _Refused("boundaries.error.unpacked_too_large", max=f"{limits.unpacked / 1024 / 1024:g}")
    files = [entry for entry in entries if not entry.is_dir() and not _is_clutter(entry.filename)]
    layers = [entry for entry in files if entry.filename.casefold().endswith(".shp")]
    if not layers:
        raise _Refused("boundaries.error.not_boundary_file")
    if len(layers) > 1:
        raise _Refused(
            "boundaries.error.several_layers", names=_listed(_entry_name(entry) for entry in layers)
        )
    stem = layers[0].filename.casefold()[: -len(".shp")]

    def part(suffix: str) -> zipfile.ZipInfo | None:
        same_name = [entry for entry in files if entry.filename.casefold() == stem + suffix]
        if same_name:
            return same_name[0]
        others = [entry for entry in files if entry.filename.casefold().endswith(suffix)]
        return others[0] if len(others) == 1 else None

    dbf_entry = part(".dbf")
    if dbf_entry is None:
        raise _Refused("boundaries.error.missing_part", part=".dbf")
    reader = _EntryReader(archive, limits.unpacked)
    shp_bytes = reader.read(layers[0])
    dbf_bytes = reader.read(dbf_entry)
    shx_entry, prj_entry, cpg_entry = part(".shx"), part(".prj"), part(".cpg")
    shx_bytes = reader.read(shx_entry) if shx_entry else None
    prj = reader.read(prj_entry).decode("utf-8", "replace").strip() if prj_entry else ""
    cpg = reader.read(cpg_entry) if cpg_entry else b""
    deadline.check()

    records, names = _read_records(dbf_bytes, _dbf_encodings(cpg), limits.features)
    features: list[_Feature] = []
    vertices = _VertexCount(limits.vertices)
    shapes = shapefile.Reader(
        shp=_TimedBytes(shp_bytes, deadline), shx=io.BytesIO(shx_bytes) if shx_bytes else None
    )
    shape_count = 0
    for index, found in enumerate(shapes.iterShapes()):
        deadline.check()
        shape_count += 1
        if index >= len(records):
            continue  # counted, then refused below
        properties = records[index]
        if properties is None:
            continue  # marked deleted in the .dbf
        vertices.add(len(found.points))
        features.append(_shapefile_feature(index + 1, properties, found))
    if shape_count != len(records):
        raise _Refused("boundaries.error.parts_disagree", shapes=shape_count, rows=len(records))
    return _Layer(features, names, len(records), prj=prj or None)


def _is_clutter(name: str) -> bool:
    """Files a Mac adds to a zip (__MACOSX/…, ._name), never part of the layer."""
    return name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].startswith("._")


def _entry_name(entry: zipfile.ZipInfo) -> str:
    """A file's name in the zip as its maker wrote it: Chinese Windows zips names in GBK unflagged."""
    if entry.flag_bits & 0x800:
        return entry.filename
    try:
        return entry.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return entry.filename


class _EntryReader:
    """Reads a zip's files, refusing once their actual unpacked bytes pass the limit."""

    def __init__(self, archive: zipfile.ZipFile, budget: int) -> None:
        self.archive = archive
        self.limit = self.budget = budget

    def read(self, entry: zipfile.ZipInfo) -> bytes:
        if entry.flag_bits & 0x1:
            raise _Refused("boundaries.error.encrypted")
        with self.archive.open(entry) as stream:
            content = stream.read(self.budget + 1)
        if len(content) > self.budget:
            raise _Refused("boundaries.error.unpacked_too_large", max=f"{self.limit / 1024 / 1024:g}")
        self.budget -= len(content)
        return content


def _dbf_encodings(cpg: bytes) -> list[str]:
    """The encodings to try on the .dbf's text: the .cpg's (a code page number such as 936 or
    "ANSI 936" is Windows' cp936, i.e. GBK), then utf-8, then gbk."""
    named = cpg.decode("ascii", "ignore").strip()
    digits = re.search(r"[0-9]+", named)
    candidates = [named, *([f"cp{digits.group()}"] if digits else []), "utf-8", "gbk"]
    encodings: list[str] = []
    for candidate in candidates:
        try:
            known = codecs.lookup(candidate).name
        except LookupError:
            continue
        if known not in encodings:
            encodings.append(known)
    return encodings


def _read_records(
    dbf: bytes, encodings: Sequence[str], max_features: int
) -> tuple[list[dict[str, Any] | None], list[str]]:
    """The .dbf's rows (None for a row marked deleted) and its field names, in the first encoding
    that reads every text cell; failing all, GBK with unreadable bytes replaced."""
    attempts = [(encoding, "strict") for encoding in encodings] + [("gbk", "replace")]
    for encoding, errors in attempts:
        try:
            reader = shapefile.Reader(dbf=io.BytesIO(dbf), encoding=encoding, encodingErrors=errors)
            if reader.numRecords > max_features:
                raise _Refused(
                    "boundaries.error.too_many_features", n=f"{reader.numRecords:,}", max=f"{max_features:,}"
                )
            names = [str(found.name) for found in reader.fields[1:]]  # fields[0] is the deletion flag
            records = [
                None if record is None else record.as_dict()
                for record in reader.records(deleted_as_None=True)
            ]
            return records, names
        except _Refused:
            raise
        except Exception:
            continue
    raise _Refused("boundaries.error.damaged")


def _shapefile_feature(number: int, properties: dict[str, Any], found: shapefile.Shape) -> _Feature:
    kind = shapefile.SHAPETYPE_LOOKUP.get(found.shapeType, str(found.shapeType))
    if found.shapeType == shapefile.NULL:
        return _Feature(number, properties, trouble=("boundaries.error.no_shape", {}), kind=kind)
    if found.shapeType not in SHAPEFILE_POLYGON_TYPES:
        return _Feature(number, properties, trouble=("boundaries.error.not_area", {"kind": kind}), kind=kind)
    return _polygon_feature(number, properties, lambda: _shapefile_shape(found), kind)


# --- GeoJSON ------------------------------------------------------------------------------------


def _read_geojson(data: bytes, *, limits: _Limits, deadline: _Deadline) -> _Layer:
    # Every vertex is a bracket pair: a file with twice the vertex limit in brackets is refused
    # before json builds its lists (a 50 MB file of "[1,2]," would take gigabytes of memory).
    if data.count(b"[") > 2 * limits.vertices:
        raise _Refused("boundaries.error.too_many_vertices", max=f"{limits.vertices:,}")
    text = _decoded(data.removeprefix(UTF8_BOM))
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise _Refused("boundaries.error.damaged") from None
    deadline.check()
    if not isinstance(document, dict):
        raise _Refused("boundaries.error.not_boundary_file")
    if document.get("type") == "Feature":
        items: Any = [document]
    elif document.get("type") == "FeatureCollection" and isinstance(document.get("features"), list):
        items = document["features"]
    else:
        raise _Refused("boundaries.error.not_boundary_file")
    if len(items) > limits.features:
        raise _Refused("boundaries.error.too_many_features", n=f"{len(items):,}", max=f"{limits.features:,}")
    features: list[_Feature] = []
    names: dict[str, None] = {}
    vertices = _VertexCount(limits.vertices)
    for number, item in enumerate(items, start=1):
        deadline.check()
        feature = _geojson_feature(number, item)
        names.update(dict.fromkeys(feature.properties))
        if feature.shape is not None:
            vertices.add(int(shapely.get_num_coordinates(feature.shape)))
        features.append(feature)
    return _Layer(features, list(names), len(items), crs_member=document.get("crs"))


def _decoded(data: bytes) -> str:
    """GeoJSON is UTF-8; files from Chinese desktop software are sometimes GBK."""
    for encoding in ("utf-8", "gbk"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _Refused("boundaries.error.damaged")


def _geojson_feature(number: int, item: object) -> _Feature:
    if not isinstance(item, dict) or item.get("type") != "Feature":
        return _Feature(number, {}, trouble=("boundaries.error.unreadable_shape", {}))
    raw_properties = item.get("properties")
    properties = (
        {str(name): value for name, value in raw_properties.items()}
        if isinstance(raw_properties, dict)
        else {}
    )
    geometry = item.get("geometry")
    if geometry is None:
        return _Feature(number, properties, trouble=("boundaries.error.no_shape", {}))
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if not isinstance(kind, str):
        return _Feature(number, properties, trouble=("boundaries.error.unreadable_shape", {}))
    if kind not in GEOJSON_TYPES:
        return _Feature(
            number, properties, trouble=("boundaries.error.not_area", {"kind": _shown(kind)}), kind=kind
        )
    return _polygon_feature(number, properties, lambda: _geojson_shape(geometry), kind)


# --- shapes ---------------------------------------------------------------------------------------


class _ShapeTrouble(Exception):
    """A shape that cannot be built, for the reason `key` (a label key) with `params`."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _polygon_feature(
    number: int, properties: Mapping[str, Any], build: Callable[[], BaseGeometry], kind: str
) -> _Feature:
    """A polygon feature, its shape checked (and reported, never repaired) in the file's coordinates."""
    try:
        with np.errstate(all="ignore"):  # NaN or huge coordinates: reported as invalid below
            polygon = build()
    except _ShapeTrouble as trouble:
        return _Feature(number, properties, trouble=(trouble.key, trouble.params), kind=kind)
    except Exception:
        return _Feature(number, properties, trouble=("boundaries.error.unreadable_shape", {}), kind=kind)
    if polygon.is_empty:
        return _Feature(number, properties, trouble=("boundaries.error.empty_shape", {}), kind=kind)
    if not polygon.is_valid:
        return _Feature(number, properties, shape=polygon, trouble=_invalid(polygon), kind=kind)
    return _Feature(number, properties, shape=polygon, kind=kind)


def _geojson_shape(geometry: Mapping[str, Any]) -> BaseGeometry:
    """A GeoJSON Polygon or MultiPolygon as shapely builds it from arrays (fast for big shapes)."""
    coordinates = geometry.get("coordinates")
    if geometry.get("type") == "Polygon":
        return _polygon([_ring_array(ring) for ring in _listed_value(coordinates)])
    parts = [
        _polygon([_ring_array(ring) for ring in _listed_value(part)]) for part in _listed_value(coordinates)
    ]
    return shapely.MultiPolygon(parts)


def _listed_value(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise _ShapeTrouble("boundaries.error.unreadable_shape")
    return value


def _ring_array(ring: object) -> np.ndarray:
    """A ring's positions as an (n, 2) array of numbers (a third number, the height, is dropped)."""
    array = np.asarray(ring)
    if array.ndim != 2 or array.shape[1] not in (2, 3) or array.dtype.kind not in "iuf":
        raise _ShapeTrouble("boundaries.error.unreadable_shape")
    return array[:, :2].astype(float)


def _polygon(rings: Sequence[np.ndarray]) -> shapely.Polygon:
    _refuse_too_few_points(rings)
    return shapely.Polygon(rings[0], rings[1:]) if rings else shapely.Polygon()


def _refuse_too_few_points(rings: Sequence[np.ndarray]) -> None:
    for ring in rings:
        if 0 < len(ring) < 3:  # three positions make a triangle once closed; GEOS judges the rest
            at = " ".join(_number_text(str(value)) for value in ring[0])
            raise _ShapeTrouble("boundaries.error.too_few_points", at=at)


def _shapefile_shape(found: shapefile.Shape) -> BaseGeometry:
    """A Shapefile polygon's rings as areas: the format marks outer rings by running clockwise and
    holes anticlockwise, and says nothing of which hole is whose (pyshp reads them alike)."""
    points = np.asarray(found.points, dtype=float).reshape(len(found.points), -1)[:, :2]
    starts = [*found.parts, len(points)]
    rings = [points[start:end] for start, end in itertools.pairwise(starts)]
    _refuse_too_few_points(rings)
    clockwise = [len(ring) >= 3 and not shapely.LinearRing(ring).is_ccw for ring in rings]
    shells = [ring for ring, outer in zip(rings, clockwise, strict=True) if outer]
    holes = [ring for ring, outer in zip(rings, clockwise, strict=True) if not outer]
    if not shells:  # every ring anticlockwise: written with the wrong winding, each ring an area
        shells, holes = holes, []
    if len(shells) == 1:
        return _polygon([shells[0], *holes])
    areas = [_polygon([shell]) for shell in shells]
    owned: list[list[np.ndarray]] = [[] for _ in shells]
    orphans: list[np.ndarray] = []
    for hole in holes:
        inside = _polygon([hole]).representative_point()
        owners = [index for index, area in enumerate(areas) if area.contains(inside)]
        if owners:  # the smallest outer ring holding it (a hole may hold an island that holds a lake)
            owned[min(owners, key=lambda index: areas[index].area)].append(hole)
        else:
            orphans.append(hole)  # in no outer ring: an area of its own
    parts = [_polygon([shell, *shell_holes]) for shell, shell_holes in zip(shells, owned, strict=True)]
    return shapely.MultiPolygon(parts + [_polygon([orphan]) for orphan in orphans])


def _invalid(polygon: BaseGeometry) -> tuple[str, dict[str, Any]]:
    """Why GEOS finds a shape invalid, and where (in the file's coordinates)."""
    explained = explain_validity(polygon)
    match = INVALID_REASON.fullmatch(explained)
    reason, at = (match["reason"].strip(), match["at"]) if match else (explained, "")
    location = " ".join(_number_text(part) for part in at.split()) or "?"
    if reason.casefold() in SELF_INTERSECTION:
        return "boundaries.error.self_intersection", {"at": location}
    if reason.casefold() in TOO_FEW_POINTS:
        return "boundaries.error.too_few_points", {"at": location}
    return "boundaries.error.invalid_shape", {"reason": _shown(reason), "at": location}


def _number_text(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return f"{value:.6f}".rstrip("0").rstrip(".") if np.isfinite(value) else text


# --- from features to outlines ------------------------------------------------------------------


@dataclass(frozen=True)
class _SourceCrs:
    crs: CRS
    name: str
    epsg: int | None
    assumed: bool


def _outlines(
    layer: _Layer,
    *,
    code_property: str | None,
    epsg: int | None,
    known_codes: Collection[str],
    deadline: _Deadline,
) -> BoundaryFile:
    if not layer.features:
        raise _Refused("boundaries.error.no_features")
    source = _source_crs(layer, epsg)
    code_name = _code_property(layer, code_property, known_codes)
    shapes = [feature.shape for feature in layer.features if feature.shape is not None]
    if not shapes:
        kinds = sorted({feature.kind for feature in layer.features if feature.kind})
        raise _Refused("boundaries.error.no_areas", kinds=_listed(kinds) or "?")
    if source.assumed:
        _refuse_projected(shapes)
    to_lonlat = _to_lonlat(source)

    problems: list[Problem] = []
    outlines: list[Outline] = []
    first_with_code: dict[str, int] = {}
    in_china = outside_china = 0
    for feature in layer.features:
        deadline.check()
        code, found = _checked_code(feature, code_name, first_with_code)
        if feature.trouble is not None:
            found.insert(0, Problem(feature.number, None, *feature.trouble))
        lonlat = None
        if feature.shape is not None and feature.trouble is None:
            lonlat = to_lonlat(feature.shape)
            if _in_china(lonlat):
                in_china += 1
            else:
                outside_china += 1
                found.append(
                    Problem(
                        feature.number, None, "boundaries.error.feature_outside_china", _bounds_params(lonlat)
                    )
                )
        problems.extend(found)
        if found or lonlat is None or code is None:
            continue
        outline = _outline(feature, lonlat, code=code)
        if outline is None:
            problems.append(Problem(feature.number, None, "boundaries.error.too_small", {}))
        else:
            outlines.append(outline)
    if outside_china and not in_china:
        lonlat_shapes = [to_lonlat(shape) for shape in shapes]
        raise _Refused("boundaries.error.outside_china", crs=source.name, **_bounds_params(*lonlat_shapes))
    return BoundaryFile(
        tuple(outlines),
        tuple(problems),
        code_name,
        source.name,
        layer.feature_count,
        source_epsg=source.epsg,
        crs_assumed=source.assumed,
    )


def _checked_code(
    feature: _Feature, code_name: str, first_with_code: dict[str, int]
) -> tuple[str | None, list[Problem]]:
    """A feature's division code, or the problem with it; a code found is taken for later features."""
    value = feature.properties.get(code_name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, [Problem(feature.number, code_name, "boundaries.error.no_code", {})]
    code = _division_code(value)
    if code is None:
        return None, [
            Problem(feature.number, code_name, "boundaries.error.bad_code", {"value": _shown(value)})
        ]
    if code in first_with_code:
        params = {"code": code, "first": first_with_code[code]}
        return None, [Problem(feature.number, code_name, "boundaries.error.duplicate_code", params)]
    first_with_code[code] = feature.number
    return code, []


def _outline(feature: _Feature, lonlat: BaseGeometry, *, code: str) -> Outline | None:
    drawn = _drawn(lonlat)
    if drawn is None:
        return None
    inside = lonlat.representative_point()
    return Outline(
        number=feature.number,
        code=code,
        geometry={"type": drawn.geom_type, "coordinates": _rounded(mapping(drawn)["coordinates"])},
        point=(round(inside.x, DECIMALS), round(inside.y, DECIMALS)),
        name=_name(feature.properties),
        level=level_of(code),
    )


def _drawn(lonlat: BaseGeometry) -> BaseGeometry | None:
    """The shape simplified for drawing on the 6-decimal grid, valid and not empty; if simplifying
    breaks it, the shape itself on that grid; None if the shape vanishes (smaller than ~0.1 m)."""
    simplified = shapely.simplify(lonlat, SIMPLIFY_DEGREES, preserve_topology=True)
    for candidate in (simplified, lonlat):
        on_grid = shapely.set_precision(candidate, 10**-DECIMALS)
        if not on_grid.is_empty and on_grid.geom_type in GEOJSON_TYPES and on_grid.is_valid:
            return shapely.orient_polygons(on_grid)  # outer rings anticlockwise, as GeoJSON asks
    return None


def _rounded(coordinates: Any) -> Any:
    """GeoJSON coordinates as lists, each number rounded to DECIMALS."""
    if coordinates and isinstance(coordinates[0], float | int):
        return [round(float(value), DECIMALS) for value in coordinates]
    return [_rounded(part) for part in coordinates]


def _name(properties: Mapping[str, Any]) -> str | None:
    for key in NAME_PROPERTIES:
        value = properties.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


# --- the code property ----------------------------------------------------------------------------


def _division_code(value: object) -> str | None:
    """The 12-digit division code a property value holds, or None.

    Besides what `clean_code` reads, a town's 9 digits (as the database keeps them) and a
    land-survey 坐落单位代码 (12 digits and 7 zeros) are read as their 12-digit code.
    """
    code = clean_code(value)
    if code is not None:
        return code
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float) and value.is_integer() and 0 <= value < 10**15:  # exact as a float
        text = str(int(value))
    elif isinstance(value, str):
        text = value.strip().removesuffix(".0")
    else:
        return None
    if TOWN_CODE.fullmatch(text):
        return clean_code(text + "000")
    long_code = LOCATION_UNIT_CODE.fullmatch(text)
    return long_code.group(1) if long_code else None


def _code_property(layer: _Layer, named: str | None, known_codes: Collection[str]) -> str:
    names = layer.property_names
    if not names:
        raise _Refused("boundaries.error.no_properties")
    if named is not None:
        wanted = named.strip()
        exact = [name for name in names if name == wanted]
        loose = [name for name in names if name.strip().casefold() == wanted.casefold()]
        chosen = next(iter(exact + loose), None)
        if chosen is None:
            raise _Refused("boundaries.error.code_property_missing", name=_shown(named), names=_listed(names))
        return chosen
    known = {code for code in map(_division_code, known_codes) if code is not None}

    def score(name: str) -> tuple[int, int, int]:
        codes = [_division_code(feature.properties.get(name)) for feature in layer.features]
        valid = [code for code in codes if code is not None]
        usual = len(CODE_NAMES) - CODE_NAMES.index(name) if name in CODE_NAMES else 0
        return sum(code in known for code in valid), len(valid), usual

    scores = {name: score(name) for name in names}
    best = max(names, key=lambda name: scores[name])  # the first of equals, in the file's order
    if scores[best][1] == 0:
        raise _Refused("boundaries.error.no_code_property", names=_listed(names))
    return best


# --- coordinates ----------------------------------------------------------------------------------


def _source_crs(layer: _Layer, epsg: int | None) -> _SourceCrs:
    if epsg is not None:
        try:
            crs = CRS.from_epsg(int(epsg))
        except (CRSError, ValueError, TypeError, OverflowError):
            raise _Refused("boundaries.error.unknown_epsg", epsg=_shown(epsg)) from None
        return _checked(_SourceCrs(crs, crs.name, int(epsg), assumed=False))
    if layer.prj:
        try:
            crs = CRS.from_wkt(layer.prj)
        except CRSError:
            raise _Refused("boundaries.error.bad_prj") from None
        return _checked(_identified(crs))
    if layer.crs_member is not None:
        return _checked(_identified(_geojson_crs(layer.crs_member)))
    return _SourceCrs(CRS.from_epsg(WGS84_EPSG), CRS.from_epsg(WGS84_EPSG).name, WGS84_EPSG, assumed=True)


def _identified(crs: CRS) -> _SourceCrs:
    """A coordinate system named by its EPSG entry when it matches one (a .prj's ESRI names are terse)."""
    epsg = crs.to_epsg(min_confidence=70)
    if epsg is not None:
        return _SourceCrs(crs, CRS.from_epsg(epsg).name, epsg, assumed=False)
    return _SourceCrs(crs, crs.name, None, assumed=False)


def _checked(source: _SourceCrs) -> _SourceCrs:
    if not (source.crs.is_geographic or source.crs.is_projected):
        raise _Refused("boundaries.error.crs_not_supported", name=_shown(source.name))
    return source


def _geojson_crs(member: object) -> CRS:
    """The CRS of GeoJSON's old (2008) `crs` member: {"type": "name", "properties": {"name":
    "urn:ogc:def:crs:EPSG::4547"}} or {"type": "EPSG", "properties": {"code": 4547}}."""
    properties = member.get("properties") if isinstance(member, dict) else None
    value = properties.get("name", properties.get("code")) if isinstance(properties, dict) else None
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    epsg_match = GEOJSON_CRS_EPSG.search(text)
    try:
        if text.isdigit():
            return CRS.from_epsg(int(text))
        if epsg_match:
            return CRS.from_epsg(int(epsg_match.group(1)))
        if GEOJSON_CRS84.search(text):
            return CRS.from_epsg(WGS84_EPSG)
    except CRSError:
        pass
    shown = text or json.dumps(member, ensure_ascii=False)
    raise _Refused("boundaries.error.bad_crs_member", value=_shown(shown))


def _refuse_projected(shapes: Sequence[BaseGeometry]) -> None:
    """With no coordinate system stated, numbers beyond ±180/±90 are metres of some projection."""
    west, south, east, north = _bounds(shapes)
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise _Refused(
            "boundaries.error.looks_projected", x=f"{west:,.0f}–{east:,.0f}", y=f"{south:,.0f}–{north:,.0f}"
        )


def _bounds(shapes: Sequence[BaseGeometry]) -> tuple[float, float, float, float]:
    """West, south, east and north of all the shapes (NaN where no shape has a finite coordinate)."""
    boxes = shapely.bounds(np.asarray(shapes, dtype=object)).reshape(-1, 4)

    def edge(column: int, pick: Callable[[np.ndarray], Any]) -> float:
        values = boxes[:, column]
        finite = values[np.isfinite(values)]
        return float(pick(finite)) if finite.size else float("nan")

    return edge(0, np.min), edge(1, np.min), edge(2, np.max), edge(3, np.max)


def _to_lonlat(source: _SourceCrs) -> Callable[[BaseGeometry], BaseGeometry]:
    if source.epsg == WGS84_EPSG:
        return lambda geometry: geometry
    try:
        transformer = _transformer(source.crs)
    except CRSError:
        raise _Refused("boundaries.error.crs_not_supported", name=_shown(source.name)) from None

    def convert(points: np.ndarray) -> np.ndarray:
        lon, lat = transformer.transform(points[:, 0], points[:, 1])
        return np.column_stack([lon, lat])

    return lambda geometry: shapely.transform(geometry, convert)


@functools.lru_cache(maxsize=16)
def _transformer(source: CRS) -> Transformer:
    """To WGS84 lon/lat. Choosing the operation takes PROJ ~0.3 s; pyproj's Transformer is
    thread-safe (it makes its own PROJ object in each thread), so a county's few are kept."""
    return Transformer.from_crs(source, CRS.from_epsg(WGS84_EPSG), always_xy=True)


def _in_china(lonlat: BaseGeometry) -> bool:
    west, south, east, north = shapely.bounds(lonlat)
    return bool(
        CHINA_LON[0] <= west <= east <= CHINA_LON[1] and CHINA_LAT[0] <= south <= north <= CHINA_LAT[1]
    )


def _bounds_params(*lonlat: BaseGeometry) -> dict[str, str]:
    def shown(value: float) -> str:
        return f"{value:.2f}" if np.isfinite(value) else "?"

    west, south, east, north = _bounds(lonlat)
    return {"west": shown(west), "east": shown(east), "south": shown(south), "north": shown(north)}


# --- text in messages -----------------------------------------------------------------------------


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def _listed(names: Iterable[str]) -> str:
    listed = [_shown(name) for name in names]
    more = len(listed) - NAMES_SHOWN
    return ", ".join(listed[:NAMES_SHOWN]) + (f", … (+{more})" if more > 0 else "")
