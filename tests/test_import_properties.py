"""Hostile uploads: random and odd cell values written into real .xlsx files, and damaged bytes.

Reading and checking never raise, a check never stores anything, and an import stores rows only
when every row passed (and then only rows the services accept)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.i18n import CATALOGS, set_language, t
from lib.core.models import AuditEntry, Household, VerificationVisit
from lib.core.schema import upgrade
from lib.files import imports
from lib.queries import common
from lib.rules.permissions import Actor
from lib.services.auth import Role
from lib.services.imports import check_import, run_import
from tests.hand_county import load_hand_county
from tests.support.accounts import module_actors, store_accounts

AS_OF = dt.date(2020, 10, 31)
VERA = Actor(
    user_id=None,
    username="vera",
    display_name="Vera Li",
    role=Role.VILLAGE_EDITOR,
    town_code="349901100",
    village_code="349901100202",
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE_TEXT = st.sampled_from(
    [
        "'; DROP TABLE households; --",
        "HAND0004' OR '1'='1",
        "=1+1",
        "#REF!",
        "   ",
        "　",  # an ideographic space
        "\u202eevil",
        "😀" * 50,
        "户" * 3000,
        "NULL",
        "None",
        "2020-02-30",
        "1e999",
        "-0",
        "TRUE",
        "是",
        "HAND0004",
        "HAND0005",
        "HAND0001",
    ]
)
CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=60).map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    HOSTILE_TEXT,
)
GOOD_VISIT = st.tuples(
    st.sampled_from(["HAND0004", "HAND0005"]),
    st.dates(min_value=dt.date(2014, 1, 1), max_value=AS_OF),
    st.sampled_from(["Vera", "核验员"]),
    st.sampled_from(["yes", "是", True]),
    st.none(),
    st.sampled_from([None, "no", "是"]),
    st.sampled_from([None, 0, "否"]),
).map(list)


TEMPLATE = imports.template_bytes(imports.VISITS, lang="zh")  # once: each build carries its own timestamp


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("properties") / "hand.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as session:
        load_hand_county(session)
        store_accounts(session, *module_actors(globals()))
    yield engine
    engine.dispose()


def _file(kind: imports.RecordType, rows: list[list[Any]]) -> bytes:
    book = load_workbook(io.BytesIO(imports.template_bytes(kind, lang="en")))
    sheet = book.worksheets[0]
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=number, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _state(engine: Engine) -> tuple[int, int, str, list[tuple[Any, ...]]]:
    with Session(engine) as session:
        visits = session.scalar(select(func.count()).select_from(VerificationVisit)) or 0
        audits = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        homes = [
            tuple(row) for row in session.execute(select(Household.id, Household.status, Household.version))
        ]
        return visits, audits, common.data_version(session), homes


def _every_message_reads(report: imports.ImportReport) -> None:
    """Every problem reads as a sentence in both languages: a known key, its placeholders filled."""
    for lang in ("zh", "en"):
        set_language(lang)
        frame = imports.report_frame(report, t)
        assert len(frame) == len(report.problems)
        for problem in report.problems:
            template = CATALOGS[lang][problem.key]
            text = imports.problem_text(problem, t)
            assert text and (text != template or "{" not in template), (problem, text)


@SETTINGS
@given(
    rows=st.lists(st.lists(CELL, min_size=0, max_size=9), min_size=0, max_size=6),
    status=st.booleans(),
)
def test_random_cells_never_crash_and_a_check_stores_nothing(
    engine: Engine, rows: list[list[Any]], status: bool
) -> None:
    kind = imports.HOUSEHOLD_STATUS if status else imports.VISITS
    upload = imports.parse_upload(_file(kind, rows), kind)
    before = _state(engine)
    with Session(engine) as session:
        report = check_import(session, actor=VERA, record_type=kind, rows=upload, as_of=AS_OF)
    assert _state(engine) == before
    assert not report.committed
    _every_message_reads(report)


@SETTINGS
@given(
    good=st.lists(GOOD_VISIT, min_size=1, max_size=4),
    bad=st.lists(st.lists(CELL, min_size=7, max_size=7), max_size=2),
)
def test_an_import_stores_every_row_or_none(
    engine: Engine, good: list[list[Any]], bad: list[list[Any]]
) -> None:
    rows = good + bad
    upload = imports.parse_upload(_file(imports.VISITS, rows), imports.VISITS)
    before = _state(engine)
    with Session(engine) as session:
        report = run_import(session, actor=VERA, record_type="visits", rows=upload, as_of=AS_OF)
    after = _state(engine)
    if report.committed:
        assert not report.problems and report.imported == upload.row_count
        assert after[0] == before[0] + report.imported
        with Session(engine) as session:
            stored = session.scalars(
                select(VerificationVisit).order_by(VerificationVisit.id.desc()).limit(report.imported)
            ).all()
        assert all(dt.date(2014, 1, 1) <= v.visited_on <= AS_OF and v.household_id in (4, 5) for v in stored)
        assert all(v.visitor_name and len(v.visitor_name) <= 40 for v in stored)
    else:
        assert report.problems and report.imported == 0
        assert after == before
    _every_message_reads(report)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_damaged_bytes_are_one_clear_problem(data: st.DataObject) -> None:
    original = bytearray(TEMPLATE)
    how = data.draw(st.sampled_from(["flip", "cut", "random"]))
    if how == "flip":
        for _ in range(data.draw(st.integers(min_value=1, max_value=20))):
            at = data.draw(st.integers(min_value=0, max_value=len(original) - 1))
            original[at] = data.draw(st.integers(min_value=0, max_value=255))
        blob = bytes(original)
    elif how == "cut":
        blob = bytes(original[: data.draw(st.integers(min_value=0, max_value=len(original)))])
    else:
        blob = data.draw(st.binary(max_size=2000))
    upload = imports.parse_upload(blob, imports.VISITS)  # never raises
    assert upload.problems or upload.rows == ()
    set_language("en")
    for problem in upload.problems:
        assert imports.problem_text(problem, t)
