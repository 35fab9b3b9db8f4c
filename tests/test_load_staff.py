"""The county's roster (postings) and training list (training) through lib.services.loading, on
SQLite and PostgreSQL.

Expected figures are read from data/samples with csv and openpyxl here, with this test's own
reading of the department's words, never from the loader.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.i18n import set_language, t
from lib.core.models import (
    Attendance,
    AuditEntry,
    Cadre,
    Posting,
    SessionTopic,
    TrainingProgramme,
    TrainingSession,
    TrainingTopic,
    Village,
)
from lib.files import loads_staff
from lib.files.imports import problem_text
from lib.files.loads import read_file
from lib.files.loads_staff import POSTINGS, TRAINING
from lib.queries.common import data_version
from lib.queries.overview import totals, town_progress
from lib.queries.training import coverage_by_town, schedule
from lib.rules import register
from lib.rules.permissions import COMMAND_LINE
from lib.services.loading import LoadReport, check_load, run_load
from scripts import make_samples, samples_staff

SAMPLES = config.ROOT / "data" / "samples"
AS_OF = dt.date(2020, 6, 30)
HEADER_ROW = 2  # a title row, then the headers
# The department's words, as this test reads them.
FIRST_SECRETARY = "第一书记"
ROTATION_KINDS = {"轮训", "提升班"}
ATTENDED = {"参训", "已参加", "出勤"}
ABSENT = {"缺席", "未参加"}


# --- reading the sample files here ---------------------------------------------------------------


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _sheet(data: bytes) -> list[dict[str, Any]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = rows[HEADER_ROW - 1]
    return [
        dict(zip(header, row, strict=False)) for row in rows[HEADER_ROW:] if any(v is not None for v in row)
    ]


def _village_codes() -> dict[tuple[str, str], str]:
    """(town name, village name) → village code, from the division list."""
    text = _sample("divisions.csv").decode("gb18030")
    rows = list(csv.DictReader(io.StringIO(text)))
    towns = {row["统计用区划代码"][:9]: row["名称"] for row in rows if row["统计用区划代码"].endswith("000")}
    return {
        (towns[row["统计用区划代码"][:9]], row["名称"]): row["统计用区划代码"]
        for row in rows
        if not row["统计用区划代码"].endswith("000")
    }


def _village_of(row: dict[str, Any]) -> str:
    return str(row["驻村代码"] or _village_codes()[(row["所在乡镇"], row["所在村"])])


def _row_of(data: bytes, name: str, *, nth: int = 0) -> int:
    """The sheet row number of the `nth` data row whose 姓名 is `name`."""
    numbers = [n for n, row in enumerate(_sheet(data), start=HEADER_ROW + 1) if row["姓名"] == name]
    return numbers[nth]


# --- editing a copy of a sample file ---------------------------------------------------------------


def _edited(data: bytes, change: Callable[[Any, dict[str, int]], None]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    columns = {cell.value: cell.column for cell in sheet[HEADER_ROW] if cell.value}
    change(sheet, columns)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _set(data: bytes, name: str, header: str, value: object, *, nth: int = 0) -> bytes:
    row = _row_of(data, name, nth=nth)
    return _edited(data, lambda sheet, columns: setattr(sheet.cell(row, columns[header]), "value", value))


def _append(data: bytes, values: dict[str, object]) -> bytes:
    def change(sheet: Any, columns: dict[str, int]) -> None:
        row = sheet.max_row + 1
        for header, value in values.items():
            sheet.cell(row, columns[header]).value = value

    return _edited(data, change)


def _without(data: bytes, name: str, *, nth: int = 0) -> bytes:
    row = _row_of(data, name, nth=nth)
    return _edited(data, lambda sheet, columns: sheet.delete_rows(row))


def _only(data: bytes, keep: Callable[[dict[str, Any]], bool]) -> bytes:
    """The file with only the data rows `keep` accepts (title and header kept)."""

    def change(sheet: Any, columns: dict[str, int]) -> None:
        names = {column: header for header, column in columns.items()}
        for number in range(sheet.max_row, HEADER_ROW, -1):
            row = {names[cell.column]: cell.value for cell in sheet[number] if cell.column in names}
            if not keep(row):
                sheet.delete_rows(number)

    return _edited(data, change)


# --- loading -------------------------------------------------------------------------------------


def _load(engine: Engine, kind: str, data: bytes, **options: Any) -> LoadReport:
    with Session(engine) as session:
        return run_load(
            session, actor=COMMAND_LINE, kind=kind, upload=read_file(data, kind), as_of=AS_OF, **options
        )


def _check(engine: Engine, kind: str, data: bytes) -> LoadReport:
    with Session(engine) as session:
        return check_load(session, actor=COMMAND_LINE, kind=kind, upload=read_file(data, kind), as_of=AS_OF)


COUNTED = (
    Cadre,
    Posting,
    TrainingProgramme,
    TrainingSession,
    TrainingTopic,
    SessionTopic,
    Attendance,
    AuditEntry,
)


class State(NamedTuple):
    """What a load may change: how many rows each staff table and the audit log hold (COUNTED),
    the data version, and the postings' and attendance's values."""

    counts: tuple[int, ...]
    version: str
    postings: tuple[Any, ...]
    attendance: tuple[Any, ...]

    def count(self, model: Any) -> int:
        return self.counts[COUNTED.index(model)]


def _state(engine: Engine) -> State:
    with Session(engine) as session:
        counts = tuple(session.scalar(select(func.count()).select_from(model)) or 0 for model in COUNTED)
        postings = session.execute(
            select(
                Posting.id,
                Posting.cadre_id,
                Posting.village_id,
                Posting.role,
                Posting.start_date,
                Posting.end_date,
            ).order_by(Posting.id)
        ).all()
        attendance = session.execute(select(Attendance.id, Attendance.status).order_by(Attendance.id)).all()
        return State(counts, data_version(session), tuple(postings), tuple(attendance))


def _problems(report: LoadReport) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, p.key) for p in report.problems]


@pytest.fixture
def county(sample_county_engine: Engine) -> Engine:
    """The sample county loaded: divisions, then households (tests/db_fixtures.py's
    `sample_county_engine`: loaded once per worker and copied for each test)."""
    return sample_county_engine


@pytest.fixture
def posted(county: Engine) -> Engine:
    """The sample county with its roster loaded."""
    report = _load(county, "postings", _sample("postings.xlsx"))
    assert report.committed, _problems(report)
    return county


@pytest.fixture
def trained(posted: Engine) -> Engine:
    """The sample county with its roster and its training list loaded."""
    report = _load(posted, "training", _sample("training.xlsx"))
    assert report.committed, _problems(report)
    return posted


# --- the figures ---------------------------------------------------------------------------------


def test_the_training_page_shows_what_the_files_say(trained: Engine) -> None:
    roster = _sheet(_sample("postings.xlsx"))
    training = _sheet(_sample("training.xlsx"))
    serving = {
        row["身份证号码"]: _village_of(row)[:9]
        for row in roster
        if FIRST_SECRETARY in row["职务"] and row["驻村结束时间"] is None
    }
    # the rotation, and the ability-development class (能力发展班 in its name), which counts too
    counted_attended = {
        row["身份证号码"]
        for row in training
        if (row["类型"] in ROTATION_KINDS or "发展班" in row["培训班名称"]) and row["出勤情况"] in ATTENDED
    }
    towns = sorted({code[:9] for code in _village_codes().values()})
    expected = {
        town: (
            sum(1 for t in serving.values() if t == town),
            sum(1 for person, t in serving.items() if t == town and person in counted_attended),
        )
        for town in towns
    }
    with Session(trained) as session:
        frame = coverage_by_town(session)
        progress = totals(town_progress(session))
        sessions = schedule(session, as_of=AS_OF)
    shown = {row.town_code: (row.serving, row.trained) for row in frame.itertuples()}
    assert shown == expected == {"349902101": (2, 2), "349902102": (1, 1), "349902201": (2, 2)}
    for row in frame.itertuples():
        assert row.share == pytest.approx(expected[row.town_code][1] / expected[row.town_code][0])
    assert progress["secretaries_serving"] == len(serving) == 5
    assert progress["secretaries_trained"] == len(set(serving) & counted_attended) == 5

    # every session of the list, with its people and what became of them
    def tally(rows: list[dict[str, Any]]) -> tuple[int, int, int]:
        return (
            len(rows),
            sum(1 for r in rows if r["出勤情况"] in ATTENDED),
            sum(1 for r in rows if r["出勤情况"] in ABSENT),
        )

    by_session: dict[tuple[str, dt.date], list[dict[str, Any]]] = {}
    for row in training:
        by_session.setdefault((row["培训班名称"], row["开始日期"].date()), []).append(row)
    assert {
        (row.name_zh, row.start_date): (row.enrolled, row.attended, row.absent)
        for row in sessions.itertuples()
    } == {key: tally(rows) for key, rows in by_session.items()}
    kinds = {row.name_zh: (row.kind, row.required) for row in sessions.itertuples()}
    assert kinds == {samples_staff.ROTATION: ("rotation", True), samples_staff.TOUR: ("study_tour", True)}


def test_the_roster_s_people_and_postings_are_stored_as_the_file_says(posted: Engine) -> None:
    roster = _sheet(_sample("postings.xlsx"))
    with Session(posted) as session:
        people = {
            r.id_number: (r.name, r.gender, r.birth_year, r.sent_by_unit_zh)
            for r in session.execute(
                select(Cadre.id_number, Cadre.name, Cadre.gender, Cadre.birth_year, Cadre.sent_by_unit_zh)
            )
        }
        postings = sorted(
            session.execute(
                select(Cadre.id_number, Village.code, Posting.role, Posting.start_date, Posting.end_date)
                .join(Cadre, Cadre.id == Posting.cadre_id)
                .join(Village, Village.id == Posting.village_id)
            ).all()
        )
    assert people == {
        row["身份证号码"]: (
            row["姓名"],
            {"男": "M", "女": "F"}[row["性别"]],
            int(row["出生年月"][:4]),
            row["派出单位"],
        )
        for row in roster
    }
    assert postings == sorted(
        (
            row["身份证号码"],
            _village_of(row),
            "first_secretary" if FIRST_SECRETARY in row["职务"] else "team_member",
            row["驻村开始时间"].date(),
            row["驻村结束时间"].date() if row["驻村结束时间"] else None,
        )
        for row in roster
    )


# --- loading again -----------------------------------------------------------------------------


def test_a_second_load_of_the_same_files_changes_nothing(trained: Engine) -> None:
    before = _state(trained)
    for kind, name in (("postings", "postings.xlsx"), ("training", "training.xlsx")):
        report = _load(trained, kind, _sample(name))
        assert not report.problems and not report.committed
        assert report.changes == [] and report.missing == []
        assert report.unchanged == len(_sheet(_sample(name)))
        assert report.loaded_before is not None
    assert _state(trained) == before


def test_a_modified_roster_reports_exactly_its_change(trained: Engine) -> None:
    data = _sample("postings.xlsx")
    data = _set(data, "刘芳", "派出单位", "县审计局")
    data = _set(data, "周明", "驻村结束时间", dt.datetime(2020, 5, 31))
    report = _check(trained, "postings", data)
    assert not report.problems
    assert [(c.row, c.table, c.action, dict(c.new)) for c in report.changes] == [
        (_row_of(data, "刘芳"), "cadres", "change", {"sent_by_unit_zh": "县审计局"}),
        (_row_of(data, "周明"), "postings", "change", {"name": "周明", "end_date": dt.date(2020, 5, 31)}),
    ]
    assert report.changes[0].old == {"sent_by_unit_zh": "县财政局"}
    assert report.unchanged == len(_sheet(data)) - 1 and report.missing == []
    before = _state(trained)
    assert _load(trained, "postings", data).committed
    with Session(trained) as session:
        assert session.scalar(select(Cadre.sent_by_unit_zh).where(Cadre.name == "刘芳")) == "县审计局"
        ended = session.scalar(select(Posting.end_date).join(Cadre).where(Cadre.name == "周明"))
        assert ended == dt.date(2020, 5, 31)
        audits = session.execute(
            select(AuditEntry.action, AuditEntry.table_name).order_by(AuditEntry.id.desc()).limit(2)
        ).all()
    assert sorted(audits) == [("load.change", "cadres"), ("load.change", "postings")]
    after = _state(trained)
    assert after.count(AuditEntry) == before.count(AuditEntry) + 2 and after.version != before.version


def test_a_modified_training_list_reports_exactly_its_change(trained: Engine) -> None:
    data = _set(_sample("training.xlsx"), "马俊", "出勤情况", "缺席")
    report = _check(trained, "training", data)
    assert not report.problems
    assert [(c.row, c.table, c.action, dict(c.old), dict(c.new)) for c in report.changes] == [
        (
            _row_of(data, "马俊"),
            "attendance",
            "change",
            {"name": "马俊", "status": "attended"},
            {"name": "马俊", "status": "absent"},
        )
    ]
    assert _load(trained, "training", data).committed
    with Session(trained) as session:
        trained_now = coverage_by_town(session)
    # the tour is not required training: 马俊 was never counted as trained, so nothing moves
    assert trained_now["trained"].sum() == 4


# --- bad input -----------------------------------------------------------------------------------

Edit = Callable[[bytes], bytes]


def _second_secretary_in_file(data: bytes) -> bytes:
    return _set(data, "刘芳", "职务", "第一书记")


def _two_villages_at_once(data: bytes) -> bytes:
    row = next(r for r in _sheet(data) if r["姓名"] == "王建华")
    return _append(
        data,
        {
            "姓名": "王建华",
            "身份证号码": row["身份证号码"],
            "驻村代码": "349902102202",  # 柳树村, which has no first secretary
            "职务": "第一书记",
            "驻村开始时间": dt.datetime(2019, 1, 1),
        },
    )


ROSTER_PROBLEMS: list[tuple[str, Edit, str, str]] = [
    (
        "end before start",
        lambda d: _set(d, "陈立新", "驻村结束时间", dt.datetime(2014, 1, 1)),
        "陈立新",
        "posting_end:load.error.posting_end_before_start",
    ),
    (
        "start after the data's date",
        lambda d: _set(d, "刘芳", "驻村开始时间", dt.datetime(2021, 1, 4)),
        "刘芳",
        "posting_start:load.error.posting_start_future",
    ),
    (
        "end after the data's date",
        lambda d: _set(d, "周明", "驻村结束时间", dt.datetime(2020, 12, 31)),
        "周明",
        "posting_end:load.error.posting_end_future",
    ),
    (
        "first secretary in two villages at once",
        _two_villages_at_once,
        "王建华#1",
        "posting_start:load.error.posting_overlap",
    ),
    (
        "two serving first secretaries in the file",
        _second_secretary_in_file,
        "刘芳",
        "posting_role:load.error.posting_second_secretary",
    ),
    (
        "unknown role",
        lambda d: _set(d, "郑敏", "职务", "村支书"),
        "郑敏",
        "posting_role:load.error.posting_role",
    ),
    (
        "unknown village",
        lambda d: _set(d, "林静", "驻村代码", "349902101299"),
        "林静",
        "village_code:load.error.village_unknown",
    ),
    (
        "no ID number",
        lambda d: _set(d, "孙丽", "身份证号码", None),
        "孙丽",
        "cadre_id_number:load.error.person_id_needed",
    ),
    (
        "gender against the ID number",
        lambda d: _set(d, "胡晓燕", "性别", "男"),
        "胡晓燕",
        "cadre_gender:load.error.person_gender_mismatch",
    ),
    (
        "a bad date",
        lambda d: _set(d, "马俊", "驻村开始时间", "2016年13月"),
        "马俊",
        "posting_start:load.error.staff_date",
    ),
]


@pytest.mark.parametrize(
    ("edit", "who", "expected"), [case[1:] for case in ROSTER_PROBLEMS], ids=[c[0] for c in ROSTER_PROBLEMS]
)
def test_a_bad_roster_is_reported_by_row_and_column_and_writes_nothing(
    county: Engine, edit: Edit, who: str, expected: str
) -> None:
    data = edit(_sample("postings.xlsx"))
    name, _, nth = who.partition("#")
    column, _, key = expected.partition(":")
    before = _state(county)
    report = _load(county, "postings", data)
    assert _problems(report) == [(_row_of(data, name, nth=int(nth or 0)), column, key)]
    assert all(p.letter for p in report.problems)  # the column's letter in the sheet, for the clerk
    assert not report.committed and _state(county) == before


def test_a_second_serving_first_secretary_beside_a_stored_one_is_reported(posted: Engine) -> None:
    newcomer = make_samples.id_number(151, "19840606")
    data = _only(_sample("postings.xlsx"), lambda row: False)
    data = _append(
        data,
        {
            "姓名": "钱进",
            "身份证号码": newcomer,
            "驻村代码": "349902102201",  # 河口村: 吴国庆 serves there
            "职务": "第一书记",
            "驻村开始时间": dt.datetime(2020, 3, 2),
        },
    )
    before = _state(posted)
    report = _load(posted, "postings", data, retire_missing=True)
    assert _problems(report) == [
        (HEADER_ROW + 1, "posting_role", "load.error.posting_second_secretary_stored")
    ]
    assert report.problems[0].params["name"] == "吴国庆"
    assert not report.committed and _state(posted) == before


def _session_ahead(data: bytes) -> bytes:
    row = next(r for r in _sheet(data) if r["姓名"] == "王建华")
    return _append(
        data,
        {
            **{
                header: row[header]
                for header in ("培训班名称", "类型", "培训地点", "培训主题", "姓名", "身份证号码")
            },
            "年度": 2020,
            "期次": "第3期",
            "开始日期": dt.datetime(2020, 9, 14),
            "结束日期": dt.datetime(2020, 9, 18),
            "出勤情况": "参训",
        },
    )


def _stranger(data: bytes) -> bytes:
    return _set(data, "胡晓燕", "身份证号码", make_samples.id_number(152, "19891212"))


TRAINING_PROBLEMS: list[tuple[str, Edit, str, str]] = [
    (
        "attended a session not yet begun",
        _session_ahead,
        "王建华#1",
        "attendance_status:load.error.training_not_started",
    ),
    (
        "a person the roster does not have",
        _stranger,
        "胡晓燕",
        "cadre_id_number:load.error.training_person_unknown",
    ),
    (
        "an ID number of someone else",
        lambda d: _set(d, "吴国庆", "姓名", "吴国强"),
        "吴国强",
        "cadre_name:load.error.training_person_name",
    ),
    (
        "end before start",
        lambda d: _set(d, "马俊", "结束日期", dt.datetime(2019, 11, 1)),
        "马俊",
        "session_end:load.error.training_end_before_start",
    ),
    (
        "a session whose rows disagree",
        lambda d: _set(d, "胡晓燕", "培训地点", "贵州省遵义市"),
        "胡晓燕",
        "session_place:load.error.training_session_differs",
    ),
    (
        "an unknown attendance word",
        lambda d: _set(d, "吴国庆", "出勤情况", "迟到"),
        "吴国庆",
        "attendance_status:load.error.training_status",
    ),
    (
        "an unknown kind",
        lambda d: _set(d, "吴国庆", "类型", "座谈"),
        "吴国庆",
        "programme_kind:load.error.training_kind",
    ),
]


@pytest.mark.parametrize(
    ("edit", "who", "expected"),
    [case[1:] for case in TRAINING_PROBLEMS],
    ids=[c[0] for c in TRAINING_PROBLEMS],
)
def test_a_bad_training_list_is_reported_by_row_and_column_and_writes_nothing(
    posted: Engine, edit: Edit, who: str, expected: str
) -> None:
    data = edit(_sample("training.xlsx"))
    name, _, nth = who.partition("#")
    column, _, key = expected.partition(":")
    before = _state(posted)
    report = _load(posted, "training", data)
    assert _problems(report) == [(_row_of(data, name, nth=int(nth or 0)), column, key)]
    assert all(p.letter for p in report.problems)
    assert not report.committed and _state(posted) == before


def test_a_training_list_before_the_roster_asks_for_the_roster(county: Engine) -> None:
    report = _load(county, "training", _sample("training.xlsx"))
    assert {p.key for p in report.problems} == {"load.error.training_person_unknown"}
    assert len(report.problems) == len(_sheet(_sample("training.xlsx")))
    set_language("en")
    try:
        assert "python -m lib.load postings" in problem_text(report.problems[0], t, report.kind)
    finally:
        set_language("zh")


# --- records the file no longer holds --------------------------------------------------------------


def test_retire_missing_ends_a_posting_and_never_deletes_it(trained: Engine) -> None:
    data = _without(_sample("postings.xlsx"), "周明")
    report = _load(trained, "postings", data)
    assert not report.problems and not report.committed  # listed, not ended, without --retire-missing
    assert [(c.table, c.action, c.old["name"]) for c in report.missing] == [("postings", "retire", "周明")]
    with Session(trained) as session:
        postings = session.scalar(select(func.count()).select_from(Posting))
        assert session.scalar(select(Posting.end_date).join(Cadre).where(Cadre.name == "周明")) is None
    report = _load(trained, "postings", data, retire_missing=True)
    assert report.committed
    with Session(trained) as session:
        assert session.scalar(select(func.count()).select_from(Posting)) == postings
        assert session.scalar(select(Posting.end_date).join(Cadre).where(Cadre.name == "周明")) == AS_OF
        assert session.scalar(select(func.count()).select_from(Cadre).where(Cadre.name == "周明")) == 1
        assert (
            session.scalar(
                select(AuditEntry.action)
                .where(AuditEntry.table_name == "postings")
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
            == "load.retire"
        )
    again = _load(trained, "postings", data, retire_missing=True)
    assert not again.committed and again.missing == []  # ended: no longer serving, so not missing


def test_missing_attendance_is_listed_and_left_alone(trained: Engine) -> None:
    data = _without(_sample("training.xlsx"), "黄志刚")  # his absence from the first phase
    report = _load(trained, "training", data)
    assert not report.problems and not report.committed
    assert [(c.table, c.old["name"], c.old["status"]) for c in report.missing] == [
        ("attendance", "黄志刚", "absent")
    ]
    before = _state(trained)
    _load(trained, "training", data, retire_missing=True)
    after = _state(trained)
    # every attendance and posting as it was (the runner still audits the listed rows as retired)
    assert (after.attendance, after.postings) == (before.attendance, before.postings)
    assert after.count(Attendance) == before.count(Attendance)


# --- random cells --------------------------------------------------------------------------------

ROSTER_HEADERS = [
    "姓名",
    "性别",
    "出生年月",
    "身份证号码",
    "派出单位",
    "所在乡镇",
    "所在村",
    "驻村代码",
    "职务",
    "驻村开始时间",
    "驻村结束时间",
]
PLAUSIBLE = [
    "王建华",
    "男",
    "女",
    "1980.05",
    "第一书记",
    "工作队员",
    "349902101201",
    "青山镇",
    "青山村",
    "2019-03-01",
    "至今",
    "",
    " ",
    "'=1+1",
]
cell = st.one_of(
    st.none(),
    st.sampled_from(PLAUSIBLE),
    st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=30),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)


def _one_row(values: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["花名册"])
    sheet.append(ROSTER_HEADERS)
    sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(cell, min_size=len(ROSTER_HEADERS), max_size=len(ROSTER_HEADERS)))
def test_random_cells_in_a_roster_row_never_crash_and_never_write(
    posted: Engine, values: list[object]
) -> None:
    identity = values[ROSTER_HEADERS.index("身份证号码")]
    try:
        register.id_number(identity, today=dt.date.today())
        assume(False)  # a well-formed ID number by chance: this row could be a person
    except register.RegisterValueError:
        pass
    before = _state(posted)
    report = _load(posted, "postings", _one_row(values), retire_missing=True)
    assert report.problems and not report.committed
    assert _state(posted) == before


# --- the cells one by one -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2019, 3, 5), dt.date(2019, 3, 5)),
        ("2019-03-05", dt.date(2019, 3, 5)),
        ("2019/3/5", dt.date(2019, 3, 5)),
        ("2019年3月5日", dt.date(2019, 3, 5)),
        ("20190305", dt.date(2019, 3, 5)),
        ("2019.03", dt.date(2019, 3, 1)),
        ("2019年3月", dt.date(2019, 3, 1)),
        (2019.1, dt.date(2019, 10, 1)),  # "2019.10" typed into a number cell
        (43529, dt.date(2019, 3, 5)),  # a date cell that lost its format
    ],
)
def test_dates_as_rosters_write_them(value: object, expected: dt.date) -> None:
    assert loads_staff.day(value) == expected


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (loads_staff.role, "第一书记", "first_secretary"),
        (loads_staff.role, "驻村第一书记（兼工作队长）", "first_secretary"),
        (loads_staff.role, "工作队长", "team_member"),
        (loads_staff.role, "队员", "team_member"),
        (loads_staff.programme_kind, "轮训", "rotation"),
        (loads_staff.programme_kind, "提升班", "rotation"),
        (loads_staff.programme_kind, "考察", "study_tour"),
        (loads_staff.programme_kind, "培训考察", "study_tour"),
        (loads_staff.programme_kind, "能力发展班", "study_tour"),
        (loads_staff.attendance, "已参加", "attended"),
        (loads_staff.attendance, "未参加", "absent"),
        (loads_staff.attendance, "已报名", "enrolled"),
        (loads_staff.phase, "第二期", 2),
        (loads_staff.phase, "第12期", 12),
        (
            loads_staff.topics,
            "扶贫资金管理、政策解读；农村电商,政策解读",
            ["扶贫资金管理", "政策解读", "农村电商"],
        ),
        (loads_staff.end_day, "至今", None),
        (loads_staff.birth_year, "1980年5月", 1980),
    ],
)
def test_the_department_s_words(
    function: Callable[[object], object], value: object, expected: object
) -> None:
    assert function(value) == expected


@pytest.mark.parametrize("kind", [POSTINGS, TRAINING], ids=lambda kind: kind.code)
def test_no_header_names_two_columns(kind: Any) -> None:
    seen: dict[str, str] = {}
    for column in kind.columns:
        for header in column.headers():
            assert seen.setdefault(header, column.code) == column.code, header


def test_samples_are_the_ones_the_script_makes() -> None:
    assert _sheet(samples_staff.postings_xlsx()) == _sheet(_sample("postings.xlsx"))
    assert _sheet(samples_staff.training_xlsx()) == _sheet(_sample("training.xlsx"))
