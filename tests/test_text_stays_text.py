"""Text that people typed stays text, under AppTest: with Markdown and HTML planted in every
free-text field (tests/planted_text.py) and in the query parameters, no string a page hands to a
Markdown-rendering element (text, captions, alerts, headings, metrics, labels, help, expander and tab
labels, radio options, progress text, image captions) keeps a payload's syntax, and `st.html`
gets it HTML-escaped. The browser test (tests/test_browser_text.py) checks what Chromium does with
the same pages; this one is cheaper and reaches the messages shown after a save.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Table

from lib.core import config
from lib.core.db import make_engine
from lib.core.models import Attendance
from lib.core.schema import upgrade
from lib.files import brief, briefing
from lib.present import village_view
from lib.present.markup import escape_markdown
from tests.planted_text import (
    A1,
    ARCHIVES,
    OUTSIDE_HOST,
    PASSWORD,
    SHORT,
    TOWN_A,
    load_planted_county,
    payload,
    planted,
    shown,
)

# All on one pytest-xdist worker (--dist loadgroup): the module's shared fixtures are built once,
# not by each worker that runs one of its tests.
pytestmark = pytest.mark.xdist_group("test_text_stays_text")

# Proto fields Streamlit renders as Markdown; `options` only for radios, `content` for pills and
# segmented controls.
MARKDOWN_FIELDS = {"body", "label", "help", "text", "caption", "content"}
RADIO_FIELDS = {"options"}
NOT_MARKDOWN = {"html", "code", "text", "json", "arrow_data_frame", "deck_gl_json_chart", "vega_lite_chart"}
# A payload's tag where a page shows it (after `read`).
PLANTED = re.compile(rf"([a-z]+(?:-[a-z0-9]+)*) !\[p\]\(http://{re.escape(OUTSIDE_HOST)}/")


@pytest.fixture(scope="module")
def planted_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("planted") / "planted.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as session:
        load_planted_county(session)
    engine.dispose()
    return path


@pytest.fixture
def url(planted_file: Path, tmp_path: Path) -> str:
    """A fresh copy of the planted county for this test (saves in one test don't reach another)."""
    shutil.copy(planted_file, tmp_path / "planted.db")
    return f"sqlite:///{tmp_path}/planted.db"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, clean_streamlit_caches: None, url: str) -> Iterator[Any]:
    """`run(page, signed_in=None, session_state={}, **params)`: the page's finished AppTest run."""
    monkeypatch.setenv("DATABASE_URL", url)

    def open_page(
        page: str | None = None,
        *,
        signed_in: str | None = None,
        session_state: dict[str, Any] | None = None,
        **params: str,
    ) -> AppTest:
        at = AppTest.from_file(str(config.ROOT / "app.py"), default_timeout=60)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        if signed_in:
            at.sidebar.text_input(key="sign_in_username").input(signed_in)
            at.sidebar.text_input(key="sign_in_password").input(PASSWORD)
            next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
        for key, value in (session_state or {}).items():
            at.session_state[key] = value
        if page is not None:
            at.switch_page(page)
            at.run()
        assert not at.exception, at.exception
        return at

    yield open_page


def _strings(message: Any, kind: str) -> Iterator[tuple[str, str]]:
    """(field, text) for the Markdown-rendered string fields of a proto message, nested ones too."""
    for field, value in message.ListFields():
        name = field.name
        if field.type == field.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:  # a map: its values (a component's data)
                value = list(value.values())
            for item in value if field.is_repeated else [value]:
                if hasattr(item, "ListFields"):  # a map of strings holds no Markdown
                    yield from _strings(item, kind)
        elif field.type == field.TYPE_STRING and (
            name in MARKDOWN_FIELDS or (kind == "radio" and name in RADIO_FIELDS)
        ):
            for item in value if field.is_repeated else [value]:
                yield name, item


def rendered(at: AppTest) -> tuple[list[str], list[str]]:
    """Every string the page hands to a Markdown-rendering element (st.table's cells too), and every
    `st.html` body."""
    markdown: list[str] = []
    html: list[str] = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        kind = proto.WhichOneof("type") if "type" in proto.DESCRIPTOR.oneofs_by_name else node.type
        inner = getattr(proto, kind) if kind and hasattr(proto, kind) else proto
        if node.type == "html" or kind == "html":
            html.append(inner.body)
        elif isinstance(node, Table):  # st.table reads its cells and headers as Markdown
            frame = node.value
            markdown += [str(c) for c in frame.columns]
            markdown += [v for v in frame.to_numpy().ravel() if isinstance(v, str)]
        elif node.type not in NOT_MARKDOWN and kind not in NOT_MARKDOWN:
            markdown += [text for _field, text in _strings(inner, str(kind or node.type))]
    return markdown, html


def read(markdown: str) -> str:
    """What a reader sees of a Markdown string: backslash escapes consumed, word joiners invisible."""
    return shown(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown))


def assert_text_stays_text(at: AppTest, *tags: str) -> None:
    """Every payload a page hands to a Markdown element is escaped whole (it reads as planted and
    none of its syntax is live); `st.html` gets it HTML-escaped; each of `tags` is shown."""
    markdown, bodies = rendered(at)
    seen: set[str] = set()
    for text in markdown:
        found = set(PLANTED.findall(read(text))) | {
            tag for tag, value in (ARCHIVES | SHORT).items() if value in read(text)
        }
        for tag in found:
            seen.add(tag)
            assert escape_markdown(planted(tag)) in text, f"{tag} not escaped as a whole: {text!r}"
    for body in bodies:
        for tag in PLANTED.findall(html.unescape(body)):
            assert html.escape(payload(tag)) in body, f"{tag} not HTML-escaped: {body!r}"
    assert not set(tags) - seen, f"never shown: {sorted(set(tags) - seen)}"


def test_dashboards(run: Any) -> None:
    """Overview, map card, village page, training, industry, assessment, slideshow."""
    assert_text_stays_text(run(None, town=TOWN_A, lang="en"), "town-1")
    presenting = run(None, town=TOWN_A, lang="en", present="1")  # the scope line is st.html there
    assert any("town-1" in body for body in rendered(presenting)[1])
    assert_text_stays_text(presenting)
    at = run("pages/map.py", session_state={"map_pick": A1}, town=TOWN_A, lang="en")
    assert_text_stays_text(
        at, "village-1", "town-1", "cadre-1", "cadre-7", "product-1", "industry-1", "village-3"
    )
    at = run("pages/village.py", code=A1, lang="en")
    assert_text_stays_text(at, "village-1", "town-1", "cadre-1", "unit-1", "product-1")
    assert_text_stays_text(run("pages/training.py", lang="en"), "programme-2")
    # On the projector the sessions are a plain table (st.table), whose cells are Markdown.
    assert_text_stays_text(run("pages/training.py", lang="en", present="1"), "programme-1")
    assert_text_stays_text(run("pages/industry.py", lang="en"))
    assert_text_stays_text(run("pages/assessment.py", lang="en"), "town-1")
    assert_text_stays_text(run("pages/slideshow.py", lang="en", town=TOWN_A, slides="town"), "town-1")


@pytest.mark.parametrize(
    "page",
    [
        None,
        "pages/map.py",
        "pages/village.py",
        "pages/assessment.py",
        "pages/slideshow.py",
    ],
)
def test_query_parameters(run: Any, page: str | None) -> None:
    """Every query parameter a payload: the page still runs; the village code shows as text."""
    every = ["lang", "town", "village", "present", "theme", "code", "level", "measure"]
    every += ["seed", "sample", "drawn", "slides", "auto"]
    at = run(page, **{name: planted("param") for name in every})
    assert_text_stays_text(at, *(["param"] if page == "pages/village.py" else []))


def test_printable_brief_escapes_the_names(url: str) -> None:
    """The meeting brief (an HTML file) names the towns HTML-escaped (pictures left out: no charts
    are rendered here)."""
    engine = make_engine(url)
    with Session(engine) as session:
        slides = briefing.build_slides(session, town_codes=[TOWN_A], as_of=dt.date(2020, 10, 31), lang="en")
    engine.dispose()
    page = brief.brief_html([dataclasses.replace(slide, spec=None) for slide in slides], lang="en")
    assert html.escape(payload("town-1")) in page
    assert f'="http://{OUTSIDE_HOST}' not in page and '<img src="http' not in page


def test_mock_settings_in_the_link_take_only_decimal_digits(run: Any) -> None:
    """`?seed=²` or `?sample=²-1-1` (digits to str.isdigit, not to int) fall back to the defaults."""
    at = run("pages/assessment.py", lang="en", seed="²", sample="²-1-1", drawn="²")
    assert at.number_input(key="mock_seed").value == 2020
    assert_text_stays_text(at)


def test_village_editor_sent_back_and_saved(run: Any) -> None:
    """The sent-back change as the village reads it; a saved visit names its household as typed."""
    at = run("pages/updates.py", signed_in="vera", lang="en")
    assert_text_stays_text(
        at, "name-vera", "comment-open", "requested-by", "action-1", "key-1", "new-1", "product-1"
    )
    next(b for b in at.button if b.label == "Save the visit").click().run()
    assert [s.value for s in at.success]
    assert_text_stays_text(at, "archive-1")


def test_town_editor_review_team_and_roster(run: Any) -> None:
    """The change to send back, the village's team and product, the attendance roster; then a
    change sent back, whose message names the village."""
    at = run("pages/updates.py", signed_in="tess", lang="en")
    review = ["old-2", "new-2"]
    team = ["cadre-1", "unit-1", "cadre-7", "product-1"]
    roster = ["cadre-3", "village-3"]  # the study tour's, the session offered first
    assert_text_stays_text(at, "name-tess", *review, *team, *roster)
    at.text_area(key="review_comment").input("Please check the ledger")
    next(b for b in at.button if b.label == "Send back for correction").click().run()
    assert [s.value for s in at.success]
    assert_text_stays_text(at, "village-1")


def test_village_editor_saves_a_status_and_a_plan(run: Any) -> None:
    """The messages after a save name the household by its archive number, as typed."""
    at = run("pages/updates.py", signed_in="vera", lang="en")
    at.selectbox(key="status_household").set_value(3).run()
    next(b for b in at.button if b.label == "Save the status").click().run()
    assert [s.value for s in at.success]
    assert_text_stays_text(at, "archive-3")

    at.selectbox(key="plan_household").set_value(2).run()
    industry = next(box for box in at.selectbox if box.key and box.key.startswith("pl_industry_"))
    industry.set_value("vegetables")
    next(b for b in at.button if b.label == "Add the plan").click().run()
    assert [s.value for s in at.success]
    assert_text_stays_text(at, "archive-2")


def test_town_editor_field_error_and_stale_roster_name_people(run: Any, url: str) -> None:
    """A field's error names a cadre (a start before their last posting ended); a roster someone
    else changed meanwhile names who changed."""
    at = run("pages/updates.py", signed_in="tess", lang="en")
    start = next(box for box in at.date_input if box.key and box.key.startswith("vf_add_"))
    cadre = next(box for box in at.selectbox if box.key == start.key.replace("_start", "_cadre"))
    cadre.set_value(6)  # served A1 until 2018-02-28
    start.set_value(dt.date(2017, 1, 1))
    next(b for b in at.button if b.label == "Add the member").click().run()
    assert len(at.error) >= 2  # the summary and the field
    assert_text_stays_text(at, "cadre-6")

    engine = make_engine(url)
    with Session(engine) as session:  # someone else marks the study tour's only participant absent
        session.execute(update(Attendance).where(Attendance.cadre_id == 3).values(status="absent"))
        session.commit()
    engine.dispose()
    next(b for b in at.button if b.label == "Save attendance").click().run()
    assert [w.value for w in at.warning if "cadre-3" in w.value]
    assert_text_stays_text(at, "cadre-3")


def test_village_search_echoes_the_words_as_text(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past LIST_ALL_MAX villages the map's picker searches; "no village matches …" quotes the words."""
    monkeypatch.setattr(village_view, "LIST_ALL_MAX", 1)
    at = run("pages/map.py", town=TOWN_A, lang="en")
    at.text_input(key="map_pick_search").input(planted("search")).run()
    assert_text_stays_text(at, "search")


def test_meetings_page_and_the_decisions_slide(run: Any) -> None:
    at = run("pages/meetings.py", signed_in="tess", lang="en", town=TOWN_A)
    assert_text_stays_text(at, "town-meeting", "town-attending", "meeting-name")
    # The decisions slide shortens a decision and its unit to fit a line: what shows is HTML-escaped.
    at = run("pages/slideshow.py", lang="en", town=TOWN_A, slides="decisions")
    markdown, bodies = rendered(at)
    slide = next(body for body in bodies if "slide-bullets" in body)
    assert html.escape(payload("town-meeting")) in slide  # the summary names the meeting
    assert html.escape(payload("task-what")[:20]) in slide and html.escape(payload("task-unit")[:15]) in slide
    assert f'<img src="http://{OUTSIDE_HOST}' not in slide
    for text in markdown:  # the title and the town's name in the subtitle
        for tag in PLANTED.findall(read(text)):
            assert escape_markdown(planted(tag)) in text, f"{tag} not escaped as a whole: {text!r}"


def test_administrator_pages(run: Any) -> None:
    assert_text_stays_text(run("pages/admin.py", signed_in="ada", lang="en"), "name-ada")
    assert_text_stays_text(run("pages/data.py", signed_in="ada", lang="en"), "name-ada")
