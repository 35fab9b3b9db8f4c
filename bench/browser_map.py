"""The map in headless Chromium: time from navigation to drawn village dots, and a village click.

    .venv/bin/python -m bench.browser_map DATABASE_URL

Starts the app on DATABASE_URL (a fresh server: its first /map is cold), opens /map in Debian's
Chromium, and times (1) navigation → the deck canvas showing village dots, cold and again warm in a
new tab (and, warm, navigation → the page's heading: what Streamlit itself takes before the map can
start), and (2) a click on a village → its card's heading. Prints one JSON object.
"""

from __future__ import annotations

import io
import json
import math
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.models import Village
from lib.present import maps
from lib.queries.boundaries import stored_outlines
from tests.support.browser import launch_chromium, running_app

VIEWPORT = {"width": 1440, "height": 1100}
EXITED_GREEN = (26, 152, 80)


def _world_px(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    size = 512 * 2**zoom
    x = (lon + 180) / 360 * size
    y = (1 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2 * size
    return x, y


def _dots(png: bytes) -> int:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    r0, g0, b0 = EXITED_GREEN
    return sum(
        1
        for r, g, b in image.get_flattened_data()
        if abs(r - r0) < 30 and abs(g - g0) < 30 and abs(b - b0) < 30
    )


def _a_village(url: str) -> tuple[str, float, float, Any]:
    """The poor village farthest from any other village (name_en, lon, lat), so a click lands on
    it and not on a neighbour drawn over it, and the map's first view (as the page fits it: the
    town outlines stored in the database, or the villages while there are none)."""
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.execute(
            select(Village.name_en, Village.lon, Village.lat, Village.is_poor)
            .where(Village.lon.is_not(None), Village.lat.is_not(None))
            .order_by(Village.code)
        ).all()
        towns, _ = stored_outlines(session)
    engine.dispose()
    view = maps.fit_view(maps.map_bbox(towns, [], pd.DataFrame(rows, columns=["name", "lon", "lat", "poor"])))
    where = np.array([(float(r[1]), float(r[2])) for r in rows])
    best, best_gap = 0, -1.0
    for index, row in enumerate(rows):
        if not row[3]:
            continue
        gaps = np.hypot(*(where - where[index]).T)
        gaps[index] = np.inf
        if gaps.min() > best_gap:
            best, best_gap = index, float(gaps.min())
    name, lon, lat, _ = rows[best]
    return str(name), float(lon), float(lat), view


def _draw(page: Any, url: str) -> tuple[float, float, Any]:
    """Seconds from navigation to the page's heading (Streamlit loaded, the script under way) and
    to village dots on the canvas; the canvas locator."""
    start = time.perf_counter()
    page.goto(url)
    page.get_by_role("heading", level=1).first.wait_for(state="visible", timeout=120_000)
    heading_s = time.perf_counter() - start
    canvas = page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first
    canvas.wait_for(state="visible", timeout=120_000)
    while _dots(canvas.screenshot()) <= 20:
        if time.perf_counter() - start > 120:
            raise TimeoutError("no village dots after 120 s")
        page.wait_for_timeout(50)
    return heading_s, time.perf_counter() - start, canvas


def measure(url: str) -> dict[str, Any]:
    name, lon, lat, view = _a_village(url)
    result: dict[str, Any] = {"village": name}
    with running_app(url) as base_url, launch_chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT)
        _, result["map_drawn_cold_s"], _ = _draw(page, f"{base_url}/map?lang=en")
        page = browser.new_page(viewport=VIEWPORT)
        result["heading_warm_s"], result["map_drawn_warm_s"], canvas = _draw(page, f"{base_url}/map?lang=en")
        page.wait_for_timeout(1000)
        box = canvas.bounding_box()
        centre, spot = _world_px(view.longitude, view.latitude, view.zoom), _world_px(lon, lat, view.zoom)
        x = box["x"] + box["width"] / 2 + spot[0] - centre[0]
        y = box["y"] + box["height"] / 2 + spot[1] - centre[1]
        tooltip = page.locator(".deck-tooltip")
        # Aim at the chosen village, then search around it: whichever village the pointer lands
        # on (its tooltip names it) is the one clicked; at city scale the dots are pixels apart.
        target = ""
        spots = [(x, y)] + [
            (x + dx, y + dy)
            for radius in range(4, 60, 4)
            for dx in (-radius, 0, radius)
            for dy in (-radius, 0, radius)
        ]
        for spot in spots:
            page.mouse.move(spot[0] - 3, spot[1])
            page.mouse.move(*spot)
            page.wait_for_timeout(60)
            if tooltip.is_visible():
                lines = tooltip.inner_text().splitlines()
                if len(lines) > 1 and lines[1].startswith("Town:"):
                    target, (x, y) = lines[0].strip(), spot
                    break
        if not target:
            result["click_s"] = None
            return result
        result["village"] = target
        start = time.perf_counter()
        page.mouse.click(x, y)
        page.get_by_role("heading", name=target).first.wait_for(state="visible", timeout=60_000)
        result["click_s"] = time.perf_counter() - start
    return result


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1]), ensure_ascii=False))
