"""Presentation mode on a 1280×720 projector, in headless Chromium: every page a leader shows and
every slideshow slide, in both languages and both themes.

On the demo county (a real county's 25 towns), a page's first screen must hold its title, selection
line, tiles, first chart and the charts beside it; a slide must fit the screen whole (title, picture,
figures, note, source line); no two texts may overlap (HTML text and the texts of Altair's SVG
charts; the map is drawn on a WebGL canvas, which this cannot read); no table may scroll sideways;
chart text is at least 16 px, and so is a slide picture's text as shown; the slideshow's buttons
keep a contrast of at least 4.5:1.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.files import briefing
from lib.present import charts
from lib.rules import permissions
from lib.services import meetings as services
from lib.ui import shell
from tests.support import layout
from tests.support.browser import running_app

# All on one pytest-xdist worker (--dist loadgroup): the module's shared fixtures are built once,
# not by each worker that runs one of its tests.
pytestmark = pytest.mark.xdist_group("test_browser_projector")

WIDTH, HEIGHT = 1280, 720
# The pages a leader puts on the projector (the presentation bar's); the others (updates, data, load,
# village, admin) are forms and lists for staff, which nobody presents.
PAGES = [name for name in shell.PRESENTED if name != "slideshow"]
LANGUAGES = ["zh", "en"]
# Slides are walked once per language, each language in the other theme: every slide is then seen in
# both languages and both themes (the theme changes colours, not the layout) at half the time.
SLIDE_WALKS = [("zh", "light"), ("en", "dark")]
LEAST_TEXT_PX = charts.PROJECTOR_TEXT_PX
LEAST_CONTRAST = 4.5


def _last_meeting(url: str) -> None:
    """The county's meeting of 2020-09-10 with six decisions (long ones, measured ones, late ones),
    so the slideshow opens with the decisions slide at its fullest: a summary and five lines."""
    engine = make_engine(url)
    admin = permissions.COMMAND_LINE
    with Session(engine) as session:
        meeting_id = services.record_meeting(
            session, actor=admin, level="county", town_code=None, name="全县脱贫攻坚推进会", number=85,
            held_on=dt.date(2020, 9, 10), attending=None, as_of=dt.date(2020, 10, 31),
        )  # fmt: skip
        for number, measure in enumerate(["verified_share", "plan_share", None, "stable_share", None, None]):
            services.add_task(
                session, actor=admin, meeting_id=meeting_id, what=f"第{number + 1}项：" + "核实台账" * 28,
                responsible_unit="各乡镇党委、政府和县直各帮扶单位", measure=measure,
                deadline=dt.date(2020, 10, 1) + dt.timedelta(days=number * 20),
            )  # fmt: skip
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(demo_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the module's tests, on a copy of the demo county: 25 towns and 359 villages,
    as many as a real county has, are what must fit (the hand county's 3 towns fitted when a
    county's 25 did not); its last meeting is the long one of `_last_meeting`."""
    copy = tmp_path_factory.mktemp("projector") / "demo.db"
    shutil.copyfile(str(demo_engine.url.database), copy)
    _last_meeting(f"sqlite:///{copy}")
    with running_app(f"sqlite:///{copy}") as served:
        yield served


def _problems(page: Page) -> list[str]:
    """What is wrong with what the screen shows now, in words (empty when nothing is)."""
    found = [f"overlap: {line}" for line in layout.text_overlaps(page)]
    found += layout.sideways_tables(page)
    found += layout.small_chart_text(page, least=LEAST_TEXT_PX)
    return found


def _first_screen_problems(page: Page, theme: str) -> list[str]:
    seen = layout.first_screen(page)
    assert seen["title"] is not None and seen["chart"] is not None, seen
    parts = ("title", "scope", "tiles", "chart", "beside")
    late = {part: seen[part] for part in parts if seen[part] is not None and seen[part] > HEIGHT}
    failures = [f"below the first screen (px from the top): {late}"] if late else []
    options = 'button[data-variant="segmented_control"]'  # e.g. the Overview's behind / ahead first
    for index in range(page.locator(options).count()):
        contrast = float(page.locator(options).nth(index).evaluate(layout.CONTRAST))
        if contrast < LEAST_CONTRAST:
            failures.append(f"option {index + 1}'s text has a contrast of {contrast:.2f}:1")
    return [f"{theme}: {problem}" for problem in [*failures, *_problems(page)]]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES, ids=lambda name: name or "overview")
def test_a_page_s_first_screen_holds_title_tiles_and_chart(
    base_url: str, offline_page: Page, name: str, lang: str
) -> None:
    """In the light theme, then in the dark one (the bar's theme button: a rerun, not a new page)."""
    page = offline_page
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto(layout.presented_url(base_url, name, lang=lang, theme="light"))
    page.wait_for_selector(layout.CHARTS, timeout=60_000)
    layout.settle(page)
    failures = _first_screen_problems(page, "light")
    page.locator(".st-key-present_theme_toggle button").click()
    page.wait_for_url("**theme=dark**", timeout=15_000)
    layout.settle(page)
    failures += _first_screen_problems(page, "dark")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("lang", "theme"), SLIDE_WALKS)
def test_every_slide_fits_the_screen(base_url: str, offline_page: Page, lang: str, theme: str) -> None:
    page = offline_page
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto(layout.presented_url(base_url, "slideshow", lang=lang, theme=theme))
    layout.settle(page)
    n, total = layout.slide_position(page)
    assert (n, total) == (1, total) and total >= 8
    failures = []
    for number in range(1, total + 1):
        if number > 1:
            layout.next_slide(page)
        assert layout.slide_position(page) == (number, total)
        title = page.get_by_role("heading", level=2).first.inner_text()
        where = f"slide {number} ({title})"
        height = layout.scroll_height(page)
        if height > HEIGHT:
            failures.append(f"{where}: {height} px tall, the screen {HEIGHT} px")
        failures += [f"{where}: {problem}" for problem in _problems(page)]
        # A picture's letters as shown: the PNG is drawn at twice the chart's size.
        for scale in layout.picture_scales(page):
            shown = briefing.FONT_SIZE * 2 * scale
            if shown < LEAST_TEXT_PX:
                failures.append(f"{where}: the picture's text is {shown:.1f} px on screen")
        for button in ("slide_previous", "slide_next"):
            contrast = layout.contrast(page, f".st-key-{button} button")
            if contrast < LEAST_CONTRAST:
                failures.append(f"{where}: {button}'s text has a contrast of {contrast:.2f}:1")
    assert not failures, "\n".join(failures)
