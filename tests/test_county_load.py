"""A county's own files through lib.services.loading, on SQLite and PostgreSQL.

Expected figures are read from data/samples with csv and openpyxl here, not from the loader.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections import Counter
from typing import Any

import pytest
import shapefile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.domain import Role
from lib.core.models import (
    INCLUDE_RETIRED,
    AuditEntry,
    Boundary,
    Household,
    HouseholdCause,
    HouseholdIncome,
    Meta,
    Town,
    Village,
)
from lib.files.boundaries import read_boundaries
from lib.files.loads import read_file
from lib.queries.common import data_version
from lib.queries.overview import totals, town_progress
from lib.rules.permissions import COMMAND_LINE, Actor
from lib.services.loading import LoadReport, check_load, division_codes, load_boundaries, run_load
from scripts import make_samples

SAMPLES = config.ROOT / "data" / "samples"
AS_OF = dt.date(2020, 6, 30)
# The national system's status words in the sample register, as this test reads them.
STATUS = {
    "未脱贫": "poor",
    "已脱贫": "exited",
    "已脱贫享受政策": "exited",
    "脱贫不稳定户": "monitored",
    "边缘易致贫户": "monitored",
    "突发严重困难户": "monitored",
    "监测户": "monitored",
}


def _division_rows() -> list[dict[str, str]]:
    text = (SAMPLES / "divisions.csv").read_bytes().decode("gb18030")
    return list(csv.DictReader(io.StringIO(text)))


def _household_rows(data: bytes | None = None) -> list[dict[str, Any]]:
    book = load_workbook(io.BytesIO(data or (SAMPLES / "households.xlsx").read_bytes()), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = rows[1]
    return [dict(zip(header, row, strict=False)) for row in rows[2:] if any(v is not None for v in row)]


def _load(
    engine: Engine, kind: str, data: bytes, *, actor: Actor = COMMAND_LINE, **options: Any
) -> LoadReport:
    with Session(engine) as session:
        return run_load(session, actor=actor, kind=kind, upload=read_file(data, kind), as_of=AS_OF, **options)


def _check(engine: Engine, kind: str, data: bytes) -> LoadReport:
    with Session(engine) as session:
        return check_load(session, actor=COMMAND_LINE, kind=kind, upload=read_file(data, kind), as_of=AS_OF)


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _state(engine: Engine) -> tuple[int, str, int]:
    with Session(engine) as session:
        audits = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        households = (
            session.scalar(
                select(func.count()).select_from(Household).execution_options(**{INCLUDE_RETIRED: True})
            )
            or 0
        )
        return audits, data_version(session), households


@pytest.fixture
def county(sample_county_engine: Engine) -> Engine:
    """The sample county loaded: divisions, then households (tests/db_fixtures.py's
    `sample_county_engine`: loaded once per worker and copied for each test)."""
    return sample_county_engine


def test_the_sample_files_give_the_counts_they_imply(county: Engine) -> None:
    divisions = _division_rows()
    codes = [row["统计用区划代码"] for row in divisions]
    expected_towns = sum(1 for code in codes if code.endswith("000") and not code.endswith("000000"))
    villages = [row for row in divisions if not row["统计用区划代码"].endswith("000")]
    households = _household_rows()
    statuses = Counter(STATUS[row["贫困户状态"]] for row in households)
    with Session(county) as session:
        frame = town_progress(session)
        sums = totals(frame)
        names = dict(session.execute(select(Village.code, Village.name_en)).all())
    assert len(frame) == expected_towns == 3
    assert sums["villages"] == len(villages) == 7
    assert sums["poor_villages"] == sum(1 for row in villages if row["是否贫困村"] == "是")
    assert sums["poor_villages_exited"] == sum(1 for row in villages if row["出列年度"])
    assert sums["households"] == len(households) == 24
    assert sums["households_exited"] == statuses["exited"]
    assert sums["households_monitored"] == statuses["monitored"]
    assert sums["households_poor"] == statuses["poor"]
    assert sums["people"] == sum(int(row["家庭人口数"]) for row in households)
    # English names: as the file gives them, else made from the Chinese
    assert names["349902101202"] == "Taoyuan Village"
    assert names["349902101201"] == "Qingshan Village"
    assert names["349902101203"] == "Xinjie Community"


def test_a_second_load_of_the_same_files_changes_nothing(county: Engine) -> None:
    before = _state(county)
    for kind, name in (("divisions", "divisions.csv"), ("households", "households.xlsx")):
        report = _load(county, kind, _sample(name))
        assert not report.problems and not report.committed
        assert report.changes == [] and report.missing == []
        assert report.loaded_before is not None
    assert _state(county) == before


def _modified_register() -> bytes:
    """The sample register with one household changed, one gone and one added."""
    book = load_workbook(io.BytesIO(_sample("households.xlsx")))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[2]]
    members = header.index("家庭人口数") + 1
    status = header.index("贫困户状态") + 1
    assert sheet.cell(row=3, column=2).value == "3499020101001"
    sheet.cell(row=3, column=members).value = 5
    gone = sheet.cell(row=4, column=2).value
    assert gone == "3499020101002"
    sheet.delete_rows(4)
    new = [cell.value for cell in sheet[5]]
    new[1], new[2] = "3499020101099", "新户主"
    new[3] = None  # no ID number
    new[status - 1] = "未脱贫"
    sheet.append(new)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_modified_file_reports_exactly_its_changes_then_retires_only_when_asked(county: Engine) -> None:
    data = _modified_register()
    before = _state(county)
    report = _check(county, "households", data)
    assert not report.problems
    assert [(c.key, c.action) for c in report.changes] == [
        ("3499020101001", "change"),
        ("3499020101099", "add"),
    ]
    assert report.changes[0].old == {"members": 4} and report.changes[0].new == {"members": 5}
    assert [c.key for c in report.missing] == ["3499020101002"]
    assert report.unchanged == 22
    assert _state(county) == before  # the dry run wrote nothing

    assert _load(county, "households", data).committed
    audits, version, households = _state(county)
    assert audits == before[0] + 2 and version != before[1] and households == before[2] + 1
    with Session(county) as session:
        assert session.scalar(select(Household.members).where(Household.archive_no == "3499020101001")) == 5
        assert totals(town_progress(session))["households"] == 25  # the missing one is still there

    report = _load(county, "households", data, retire_missing=True)
    assert report.committed and [c.action for c in report.changes] == [] and len(report.missing) == 1
    with Session(county) as session:
        assert totals(town_progress(session))["households"] == 24
        retired = session.execute(
            select(Household.retired_on)
            .where(Household.archive_no == "3499020101002")
            .execution_options(**{INCLUDE_RETIRED: True})
        ).scalar_one()
        assert retired == AS_OF  # retired, not deleted
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)).all()
    assert actions == ["load.retire"]
    # the original file brings it back and puts the changed cell back
    report = _load(county, "households", _sample("households.xlsx"))
    assert report.committed
    assert sorted((c.key, c.action) for c in report.changes) == [
        ("3499020101001", "change"),
        ("3499020101002", "restore"),
    ]


def test_only_an_administrator_loads(county: Engine) -> None:
    leader = Actor(user_id=None, username="cli", display_name="x", role=Role.LEADER)
    before = _state(county)
    report = _load(county, "households", _modified_register(), actor=leader)
    assert [p.key for p in report.problems] == ["load.error.may_not_load"]
    assert _state(county) == before


# --- bad input: each reported by row and column, and nothing written ------------------------------


def _register_with(changes: dict[tuple[int, str], Any]) -> bytes:
    book = load_workbook(io.BytesIO(_sample("households.xlsx")))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[2]]
    for (row, name), value in changes.items():
        sheet.cell(row=row, column=header.index(name) + 1).value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


FIRST_ID = make_samples.id_number(1, "19620314")  # row 3's head, as the sample script made it
BAD_REGISTERS: dict[str, tuple[dict[tuple[int, str], Any], int, str, str]] = {
    "unknown village code": (
        {(3, "行政区划代码"): "349902101299"},
        3,
        "行政区划代码",
        "load.error.village_unknown",
    ),
    "not a code": ({(3, "行政区划代码"): "34990210120"}, 3, "行政区划代码", "load.error.code"),
    "duplicate archive no": ({(4, "户编号"): "3499020101001"}, 4, "户编号", "data.error.duplicate_row"),
    "ID check digit": (
        {(3, "证件号码"): FIRST_ID[:-1] + ("1" if FIRST_ID[-1] != "1" else "2")},
        3,
        "证件号码",
        "register.error.id_check_digit",
    ),
    "ID as a number": ({(3, "证件号码"): 349902196203140000}, 3, "证件号码", "register.error.id_as_number"),
    "ID repeated": ({(4, "证件号码"): FIRST_ID}, 4, "证件号码", "load.error.id_repeated"),
    "more labour than members": (
        {(3, "劳动力人数"): 5},
        3,
        "劳动力人数",
        "load.error.labour_exceeds_members",
    ),
    "unknown status": ({(3, "贫困户状态"): "已经好了"}, 3, "贫困户状态", "register.error.status_unknown"),
    "future year": ({(3, "脱贫年度"): 2999}, 3, "脱贫年度", "register.error.year_future"),
    "exit before identified": ({(3, "脱贫年度"): 2013}, 3, "脱贫年度", "load.error.exit_before_registered"),
    "members not a number": ({(3, "家庭人口数"): "四口"}, 3, "家庭人口数", "register.error.count_format"),
}


@pytest.mark.parametrize("name", list(BAD_REGISTERS))
def test_a_bad_register_is_reported_by_row_and_column_and_nothing_is_written(
    county: Engine, name: str
) -> None:
    changes, row, header, key = BAD_REGISTERS[name]
    data = _register_with(changes)
    before = _state(county)
    report = _load(county, "households", data)
    assert not report.committed
    found = [(p.row, p.key) for p in report.problems]
    assert (row, key) in found, found
    letter = next(p.letter for p in report.problems if p.row == row and p.key == key)
    assert letter == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[make_samples.HOUSEHOLD_HEADERS.index(header)]
    assert _state(county) == before


def test_a_village_whose_town_is_nowhere_is_refused(empty_engine: Engine) -> None:
    text = "统计用区划代码,名称\r\n349902101000,青山镇\r\n349902109201,无主村\r\n"
    report = _load(empty_engine, "divisions", text.encode("utf-8"))
    assert [(p.row, p.column, p.key) for p in report.problems] == [(3, "code", "load.error.town_missing")]
    assert _state(empty_engine)[2] == 0
    with Session(empty_engine) as session:
        assert session.scalar(select(func.count()).select_from(Town)) == 0


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "data.error.empty_file"),
        (b"PK\x03\x04 broken zip", "data.error.corrupt"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "data.error.legacy_xls"),
        (bytes(range(256)) * 4, "data.error.not_xlsx"),
    ],
)
def test_files_that_are_not_registers_are_refused(county: Engine, data: bytes, key: str) -> None:
    before = _state(county)
    report = _load(county, "households", data)
    assert [p.key for p in report.problems] == [key]
    assert _state(county) == before


def test_a_file_over_the_limit_is_refused_with_the_limit(county: Engine) -> None:
    upload = read_file(_sample("households.xlsx"), "households", max_bytes=1000)
    assert [(p.key, p.params.get("max")) for p in upload.problems] == [
        ("data.error.too_large", "0.000953674")
    ]


def test_a_mapped_header_is_read_as_its_column(county: Engine) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["户编号", "户主姓名", "村级代码X", "家庭人口数", "贫困户状态"])
    sheet.append(["3499020101001", "张德明", "349902101201", 4, "已脱贫"])
    buffer = io.BytesIO()
    book.save(buffer)
    unmapped = read_file(buffer.getvalue(), "households")
    assert unmapped.ignored == ("村级代码X",)
    mapped = read_file(buffer.getvalue(), "households", mapping={"村级代码x": "village_code"})
    assert mapped.rows[0].values["village_code"] == "349902101201"


def test_household_income_is_kept_for_its_year(county: Engine) -> None:
    rows = _household_rows()
    with Session(county) as session:
        stored = dict(
            session.execute(
                select(Household.archive_no, HouseholdIncome.per_capita_income)
                .join(HouseholdIncome)
                .where(HouseholdIncome.year == 2019)
            ).all()
        )
    assert stored == {row["户编号"]: row["人均纯收入"] for row in rows}


def test_samples_are_the_ones_the_script_makes() -> None:
    """data/samples matches scripts/make_samples.py (the README's walk-through uses these files)."""
    assert make_samples.divisions_csv() == _sample("divisions.csv")
    assert _household_rows(make_samples.households_xlsx()) == _household_rows()


# --- boundaries ---------------------------------------------------------------------------------


def _load_boundaries(engine: Engine, data: bytes, **options: Any) -> LoadReport:
    with Session(engine) as session:
        codes = division_codes(session)
        session.rollback()
        return load_boundaries(
            session, actor=COMMAND_LINE, outlines=read_boundaries(data, known_codes=codes, **options)
        )


def _stored_outlines(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return dict(session.execute(select(Boundary.code, Boundary.level)).all())


def test_boundaries_from_a_projected_shapefile_and_a_geojson_are_stored(county: Engine) -> None:
    with zipfile.ZipFile(io.BytesIO(_sample("towns.zip"))) as archive:
        dbf = next(name for name in archive.namelist() if name.endswith(".dbf"))
        shp = next(name for name in archive.namelist() if name.endswith(".shp"))
        shx = next(name for name in archive.namelist() if name.endswith(".shx"))
        layer = shapefile.Reader(
            shp=io.BytesIO(archive.read(shp)),
            shx=io.BytesIO(archive.read(shx)),
            dbf=io.BytesIO(archive.read(dbf)),
            encoding="gbk",
        )
        town_codes = [record["XZQDM"] for record in layer.records()]
    villages = json.loads(_sample("villages.geojson"))["features"]
    assert _load_boundaries(county, _sample("towns.zip")).committed
    assert _load_boundaries(county, _sample("villages.geojson")).committed
    stored = _stored_outlines(county)
    assert sorted(stored) == sorted(
        [code[:6] if code.endswith("000000") else code[:9] for code in town_codes]
        + [feature["properties"]["code"] for feature in villages]
    )
    with Session(county) as session:
        # 新街社区 had no coordinates in the division list: it gets a point inside its outline
        lon, lat = session.execute(
            select(Village.lon, Village.lat).where(Village.code == "349902101203")
        ).one()
        west, south, east, north = make_samples.village_boxes()["349902101203"]
        assert lon is not None and lat is not None
        assert west < lon < east and south < lat < north
        # the projected town came back to where it was drawn, within a metre or so
        town = json.loads(session.scalar(select(Boundary.geometry).where(Boundary.code == "349902102")) or "")
    xs = [x for x, _ in town["coordinates"][0]]
    assert min(xs) == pytest.approx(116.56, abs=1e-5) and max(xs) == pytest.approx(116.62, abs=1e-5)
    before = _state(county)
    again = _load_boundaries(county, _sample("villages.geojson"))
    assert not again.committed and again.changes == [] and again.unchanged == len(villages)
    assert _state(county) == before


def test_outlines_of_unknown_divisions_are_listed_not_stored(county: Engine) -> None:
    villages = json.loads(_sample("villages.geojson"))
    stray = json.loads(json.dumps(villages["features"][0]))
    stray["properties"] = {"code": "349902101299", "name": "邻县的村"}
    villages["features"].append(stray)
    report = _load_boundaries(county, json.dumps(villages).encode())
    assert report.committed
    assert [(change.row, change.key) for change in report.unmatched] == [
        (len(villages["features"]), "349902101299")
    ]
    assert "349902101299" not in _stored_outlines(county)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b'{"type": "FeatureCollection", "features": [', "boundaries.error.damaged"),
        (b"not a boundary file", "boundaries.error.not_boundary_file"),
    ],
)
def test_a_bad_boundary_file_writes_nothing(county: Engine, data: bytes, key: str) -> None:
    before = _state(county)
    report = _load_boundaries(county, data)
    assert key in [p.key for p in report.problems] and not report.committed
    assert _state(county) == before and _stored_outlines(county) == {}


def test_the_demo_county_is_never_mixed_with_a_countys_files(empty_engine: Engine) -> None:
    with Session(empty_engine) as session:
        session.add(Meta(key="dataset", value="demo"))
        session.commit()
    report = _load(empty_engine, "divisions", _sample("divisions.csv"))
    assert [p.key for p in report.problems] == ["load.error.demo_database"] and not report.committed
    boundaries = _load_boundaries(empty_engine, _sample("villages.geojson"))
    assert "load.error.demo_database" in [p.key for p in boundaries.problems]
    assert _stored_outlines(empty_engine) == {} and _state(empty_engine)[2] == 0


def test_records_that_cannot_be_retired_are_only_listed(county: Engine) -> None:
    """Plans have no retired state: --retire-missing lists a plan the file dropped and writes nothing."""
    assert _load(county, "organisations", _sample("organisations.xlsx")).committed
    assert _load(county, "plans", _sample("plans.xlsx")).committed
    book = load_workbook(io.BytesIO(_sample("plans.xlsx")))
    sheet = book.worksheets[0]
    header = next(row for row in sheet.iter_rows(values_only=True) if "户编号" in row)
    column = header.index("户编号")
    archives = [row[column] for row in sheet.iter_rows(values_only=True)]
    # a plan of a household with another plan: the file still covers the household
    dropped = max(number for number, archive in enumerate(archives, start=1) if archives.count(archive) > 1)
    sheet.delete_rows(dropped)
    buffer = io.BytesIO()
    book.save(buffer)
    before = _state(county)
    report = _load(county, "plans", buffer.getvalue(), retire_missing=True)
    assert len(report.missing) == 1 and report.changes == []
    assert not report.committed and report.retired == 0
    assert _state(county) == before


PLAUSIBLE_CELLS = [
    "3499020101001",
    "349902101201",
    "349902101299",
    "已脱贫",
    "未脱贫",
    "监测户",
    "因病",
    "缺技术、因学",
    "A",
    "D",
    "是",
    "否",
    2019,
    4,
    0,
    "'=1+1",
    '=HYPERLINK("http://x")',
    " ",
]
random_cell = hs.one_of(
    hs.none(),
    hs.sampled_from(PLAUSIBLE_CELLS),
    hs.text(hs.characters(exclude_categories=["Cc", "Cs"]), max_size=30),
    hs.integers(min_value=-(10**15), max_value=10**15),
    hs.floats(allow_nan=False, allow_infinity=False),
    hs.booleans(),
    hs.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=hs.lists(
        random_cell,
        min_size=len(make_samples.HOUSEHOLD_HEADERS),
        max_size=len(make_samples.HOUSEHOLD_HEADERS),
    )
)
def test_random_cells_in_a_register_row_never_crash_and_write_only_a_clean_row(
    county: Engine, values: list[object]
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(make_samples.HOUSEHOLD_HEADERS)
    sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    before = _state(county)
    report = _load(county, "households", buffer.getvalue())
    assert report.committed == (not report.problems and bool(report.changes))
    if not report.committed:
        assert _state(county) == before


def _geojson(features: list[dict[str, Any]], **extra: Any) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features, **extra}).encode()


def _feature(code: object, ring: list[list[float]]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


SQUARE = [[116.50, 31.20], [116.51, 31.20], [116.51, 31.21], [116.50, 31.21], [116.50, 31.20]]
BOW_TIE = [[116.50, 31.20], [116.51, 31.21], [116.51, 31.20], [116.50, 31.21], [116.50, 31.20]]
BAD_BOUNDARIES: dict[str, tuple[bytes, dict[str, Any], str]] = {
    "no code property": (
        _geojson([{**_feature("x", SQUARE), "properties": {"名称": "青山村"}}]),
        {},
        "boundaries.error.",
    ),
    "self-intersecting": (
        _geojson([_feature("349902101201", BOW_TIE)]),
        {},
        "boundaries.error.self_intersection",
    ),
    "unreadable projection": (
        _geojson([_feature("349902101201", SQUARE)]),
        {"epsg": 999999},
        "boundaries.error.unknown_epsg",
    ),
    "projected without a system": (
        _geojson(
            [
                _feature(
                    "349902101201",
                    [[500000, 3450000], [501000, 3450000], [501000, 3451000], [500000, 3450000]],
                )
            ]
        ),
        {},
        "boundaries.error.looks_projected",
    ),
    "bad code": (
        _geojson([_feature("34990210120X", SQUARE)]),
        {"code_property": "code"},
        "boundaries.error.bad_code",
    ),
    "too big": (_sample("villages.geojson"), {"max_bytes": 1000}, "boundaries.error.too_large"),
}


@pytest.mark.parametrize("name", list(BAD_BOUNDARIES))
def test_a_bad_boundary_file_is_reported_and_writes_nothing(county: Engine, name: str) -> None:
    data, options, key = BAD_BOUNDARIES[name]
    before = _state(county)
    report = _load_boundaries(county, data, **options)
    assert any(p.key.startswith(key) for p in report.problems), [p.key for p in report.problems]
    assert not report.committed
    assert _state(county) == before and _stored_outlines(county) == {}


def test_every_cause_the_national_system_records_loads(county: Engine) -> None:
    data = _register_with(
        {(3, "主要致贫原因"): "自身发展动力不足", (3, "其他致贫原因"): "交通条件落后、其他"}
    )
    report = _load(county, "households", data)
    assert report.committed, [p.key for p in report.problems]
    with Session(county) as session:
        primary = session.scalar(
            select(Household.primary_cause).where(Household.archive_no == "3499020101001")
        )
        causes = set(
            session.scalars(
                select(HouseholdCause.cause).join(Household).where(Household.archive_no == "3499020101001")
            )
        )
    assert primary == "lack_of_motivation"
    assert {"lack_of_motivation", "poor_transport", "other"} <= causes
