"""Regenerate the shipped outlines of the fictional demo county 示范县 (Demo County).

    .venv/bin/python -m scripts.make_geodata [--seed N]

Writes data/geo/county.geojson (one Polygon) and data/geo/towns.geojson (25 Polygons that tile
the county: Voronoi cells of Lloyd-relaxed seed points, each the county outline clipped by the
half-planes of its cell). Deterministic: the same seed writes byte-identical files. The app ships
the files; this script only rebuilds them.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path
from typing import Any

from lib.core.config import GEO_DIR
from lib.present.geo import point_in_polygon

Point = tuple[float, float]
Poly = list[Point]

COUNTY_CODE = "349901"
COUNTY_NAME_ZH = "示范县"
COUNTY_NAME_EN = "Demo County"
CENTRE_LON = 116.25
CENTRE_LAT = 32.62
WIDTH_KM = 60.0
HEIGHT_KM = 50.0
OUTLINE_VERTICES = 96
LLOYD_ROUNDS = 12
DECIMALS = 5

# Local equirectangular projection around the centre: km per degree.
KM_PER_DEG_LAT = 110.9
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(CENTRE_LAT))

# (name_zh, name_en); the suffix 镇 makes a town, 乡 a township. The first is the county seat.
TOWN_NAMES: list[tuple[str, str]] = [
    ("城关镇", "Chengguan"),
    ("谢桥镇", "Xieqiao"),
    ("南照镇", "Nanzhao"),
    ("江口镇", "Jiangkou"),
    ("润河镇", "Runhe"),
    ("八里河镇", "Balihe"),
    ("新集镇", "Xinji"),
    ("红星镇", "Hongxing"),
    ("半岗镇", "Bangang"),
    ("陈桥镇", "Chenqiao"),
    ("夏桥镇", "Xiaqiao"),
    ("垂岗乡", "Chuigang"),
    ("古城镇", "Gucheng"),
    ("王岗镇", "Wanggang"),
    ("黄桥镇", "Huangqiao"),
    ("关屯乡", "Guantun"),
    ("刘集乡", "Liuji"),
    ("鲁口镇", "Lukou"),
    ("盛堂乡", "Shengtang"),
    ("建颍乡", "Jianying"),
    ("黄坝乡", "Huangba"),
    ("耿棚镇", "Gengpeng"),
    ("迪沟镇", "Digou"),
    ("杨湖镇", "Yanghu"),
    ("六十铺镇", "Liushipu"),
]
BALIHE = ("八里河镇", "Balihe")  # hosts the 5A scenic area
SCENIC_AREA_ZH = "八里河风景区"
SCENIC_AREA_EN = "Balihe Scenic Area (5A)"


# --- projection and polygon arithmetic (km plane) ------------------------------------------------


def to_lonlat(x: float, y: float) -> Point:
    return (
        round(CENTRE_LON + x / KM_PER_DEG_LON, DECIMALS),
        round(CENTRE_LAT + y / KM_PER_DEG_LAT, DECIMALS),
    )


def to_km(lon: float, lat: float) -> Point:
    return (lon - CENTRE_LON) * KM_PER_DEG_LON, (lat - CENTRE_LAT) * KM_PER_DEG_LAT


def area(poly: Poly) -> float:
    """Signed shoelace area (positive when counter-clockwise)."""
    total = 0.0
    for i, (x1, y1) in enumerate(poly):
        x2, y2 = poly[(i + 1) % len(poly)]
        total += x1 * y2 - x2 * y1
    return total / 2


def centroid(poly: Poly) -> Point:
    a = area(poly)
    cx = cy = 0.0
    for i, (x1, y1) in enumerate(poly):
        x2, y2 = poly[(i + 1) % len(poly)]
        cross = x1 * y2 - x2 * y1
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return cx / (6 * a), cy / (6 * a)


def clip(poly: Poly, a: float, b: float, c: float) -> Poly:
    """Sutherland–Hodgman: the part of `poly` where a*x + b*y <= c."""
    out: Poly = []
    n = len(poly)
    for i in range(n):
        p = poly[i]
        q = poly[(i + 1) % n]
        dp = a * p[0] + b * p[1] - c
        dq = a * q[0] + b * q[1] - c
        if dp <= 0:
            out.append(p)
        if (dp < 0 < dq) or (dq < 0 < dp):
            t = dp / (dp - dq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def voronoi_cell(seeds: list[Point], i: int, outline: Poly) -> Poly:
    """The county outline clipped to the points nearer seeds[i] than any other seed."""
    cell = outline
    sx, sy = seeds[i]
    for j, (tx, ty) in enumerate(seeds):
        if j == i:
            continue
        cell = clip(cell, 2 * (tx - sx), 2 * (ty - sy), tx * tx + ty * ty - sx * sx - sy * sy)
    return cell


def segments_cross(p1: Point, p2: Point, p3: Point, p4: Point) -> bool:
    """True when two segments touch or cross (used to refuse non-simple cells)."""

    def orient(a: Point, b: Point, c: Point) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = orient(p3, p4, p1), orient(p3, p4, p2)
    d3, d4 = orient(p1, p2, p3), orient(p1, p2, p4)
    return (d1 * d2 < 0) and (d3 * d4 < 0)


def is_simple(poly: Poly) -> bool:
    n = len(poly)
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            if segments_cross(poly[i], poly[(i + 1) % n], poly[j], poly[(j + 1) % n]):
                return False
    return True


# --- building the county and its towns -----------------------------------------------------------


def county_outline(rng: random.Random) -> Poly:
    """An irregular, smooth closed outline: an ellipse with low-frequency radial noise."""
    harmonics = [(k, rng.gauss(0, 0.22 / k**1.1), rng.uniform(0, 2 * math.pi)) for k in range(2, 16)]
    raw: Poly = []
    for v in range(OUTLINE_VERTICES):
        theta = 2 * math.pi * v / OUTLINE_VERTICES
        r = 1 + sum(amp * math.cos(k * theta + phase) for k, amp, phase in harmonics)
        r += rng.uniform(-0.012, 0.012)
        raw.append((r * math.cos(theta), r * math.sin(theta)))
    xs = [p[0] for p in raw]
    ys = [p[1] for p in raw]
    sx = WIDTH_KM / (max(xs) - min(xs))
    sy = HEIGHT_KM / (max(ys) - min(ys))
    mx = (max(xs) + min(xs)) / 2
    my = (max(ys) + min(ys)) / 2
    # Round through lon/lat so the towns reuse exactly the shipped county vertices.
    return [to_km(*to_lonlat((x - mx) * sx, (y - my) * sy)) for x, y in raw]


def spread_seeds(rng: random.Random, outline: Poly, count: int) -> list[Point]:
    """Best-candidate sampling inside the outline, then Lloyd relaxation."""
    xs = [p[0] for p in outline]
    ys = [p[1] for p in outline]

    def inside_point() -> Point:
        while True:
            x, y = rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys))
            if point_in_polygon(x, y, outline):
                return x, y

    seeds = [inside_point()]
    while len(seeds) < count:
        candidates = [inside_point() for _ in range(12)]
        seeds.append(
            max(candidates, key=lambda c: min(math.dist(c, s) for s in seeds)),
        )
    for _ in range(LLOYD_ROUNDS):
        seeds = [centroid(voronoi_cell(seeds, i, outline)) for i in range(count)]
    return seeds


def label_point(ring: Poly) -> Point:
    """The centroid when it falls inside, else the middle of the widest run across its latitude."""
    cx, cy = centroid(ring)
    if point_in_polygon(cx, cy, ring):
        return cx, cy
    crossings: list[float] = []
    n = len(ring)
    for i in range(n):
        (x1, y1), (x2, y2) = ring[i], ring[(i + 1) % n]
        if (y1 > cy) != (y2 > cy):
            crossings.append(x1 + (cy - y1) * (x2 - x1) / (y2 - y1))
    crossings.sort()
    runs = list(zip(crossings[::2], crossings[1::2], strict=False))
    left, right = max(runs, key=lambda r: r[1] - r[0])
    return (left + right) / 2, cy


def lonlat_ring(poly: Poly) -> list[list[float]]:
    """Counter-clockwise, rounded, deduplicated and closed, as GeoJSON wants it."""
    if area(poly) < 0:
        poly = list(reversed(poly))
    ring: list[Point] = []
    for x, y in poly:
        point = to_lonlat(x, y)
        if not ring or point != ring[-1]:
            ring.append(point)
    if ring[0] == ring[-1]:
        ring.pop()
    ring.append(ring[0])
    return [[lon, lat] for lon, lat in ring]


def assign_names(seeds: list[Point]) -> list[tuple[str, str]]:
    """County seat nearest the centre, Balihe in the south-west, the rest clockwise from north."""
    order = list(range(len(seeds)))
    seat = min(order, key=lambda i: math.hypot(*seeds[i]))
    rest = [i for i in order if i != seat]
    west = [i for i in rest if seeds[i][0] < 0]
    balihe = min(west, key=lambda i: seeds[i][1] + 0.5 * seeds[i][0])
    rest = [i for i in rest if i != balihe]
    rest.sort(key=lambda i: math.atan2(seeds[i][0], seeds[i][1]) % (2 * math.pi))
    names: dict[int, tuple[str, str]] = {seat: TOWN_NAMES[0], balihe: BALIHE}
    others = [name for name in TOWN_NAMES[1:] if name != BALIHE]
    for i, name in zip(rest, others, strict=True):
        names[i] = name
    return [names[i] for i in order]


def town_codes() -> dict[str, str]:
    """Administrative codes in list order: towns (镇) 100, 101, …; townships (乡) 200, 201, …"""
    codes: dict[str, str] = {}
    next_no = {"镇": 100, "乡": 200}
    for name_zh, _ in TOWN_NAMES:
        suffix = name_zh[-1]
        codes[name_zh] = f"{COUNTY_CODE}{next_no[suffix]:03d}"
        next_no[suffix] += 1
    return codes


def build(seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    rng = random.Random(seed)
    outline = county_outline(rng)
    count = len(TOWN_NAMES)
    seeds = spread_seeds(rng, outline, count)
    cells = [voronoi_cell(seeds, i, outline) for i in range(count)]

    county_area = abs(area(outline))
    cells_area = sum(abs(area(c)) for c in cells)
    if abs(cells_area - county_area) > 1e-6 * county_area:
        raise RuntimeError(f"towns do not tile the county: {cells_area} vs {county_area} km²")
    for cell in cells:
        if not is_simple(cell):
            raise RuntimeError("a town cell is not a simple polygon; try another seed")

    names = assign_names(seeds)
    codes = town_codes()
    features: list[dict[str, Any]] = []
    for cell, (name_zh, pinyin) in zip(cells, names, strict=True):
        is_town = name_zh.endswith("镇")
        code = codes[name_zh]
        lon, lat = to_lonlat(*label_point(cell))
        scenic = name_zh == BALIHE[0]
        scenic_lon = scenic_lat = None
        if scenic:
            # The scenic area sits in the town's south-west, part-way to the town's edge.
            ring = lonlat_ring(cell)
            far = min(ring, key=lambda p: p[0] + p[1])
            scenic_lon = round(lon + 0.45 * (far[0] - lon), DECIMALS)
            scenic_lat = round(lat + 0.45 * (far[1] - lat), DECIMALS)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name_zh": name_zh,
                    "name_en": f"{pinyin} {'Town' if is_town else 'Township'}",
                    "kind": "town" if is_town else "township",
                    "lon": lon,
                    "lat": lat,
                    "scenic_area_zh": SCENIC_AREA_ZH if scenic else None,
                    "scenic_area_en": SCENIC_AREA_EN if scenic else None,
                    "scenic_lon": scenic_lon,
                    "scenic_lat": scenic_lat,
                },
                "geometry": {"type": "Polygon", "coordinates": [lonlat_ring(cell)]},
            }
        )
    features.sort(key=lambda f: f["properties"]["code"])

    clon, clat = to_lonlat(*label_point(outline))
    county = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "code": COUNTY_CODE,
                    "name_zh": COUNTY_NAME_ZH,
                    "name_en": COUNTY_NAME_EN,
                    "lon": clon,
                    "lat": clat,
                },
                "geometry": {"type": "Polygon", "coordinates": [lonlat_ring(outline)]},
            }
        ],
    }
    towns = {"type": "FeatureCollection", "features": features}
    return county, towns


def write(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # One feature per line: small files that still diff readably.
    text = text.replace(',{"type":"Feature"', ',\n{"type":"Feature"')
    path.write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate data/geo for the demo county.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=GEO_DIR)
    args = parser.parse_args(argv)
    county, towns = build(args.seed)
    write(county, args.out / "county.geojson")
    write(towns, args.out / "towns.geojson")
    print(f"wrote {args.out}/county.geojson and towns.geojson ({len(towns['features'])} towns)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
