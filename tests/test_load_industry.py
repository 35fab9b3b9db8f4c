"""A county's enterprises, cooperatives and industry plans through lib.services.loading, on SQLite
and PostgreSQL (python -m lib.load organisations | plans).

Expected figures are read from data/samples with openpyxl here, with this test's own reading of
the office's words, never from the loader.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.models import (
    AuditEntry,
    Industry,
    IndustryPlan,
    Organisation,
    OrganisationLink,
    PlanStageChange,
)
from lib.demo.catalogues import INDUSTRIES as DEMO_INDUSTRIES
from lib.files import loads, loads_industry
from lib.files.loads import read_file
from lib.queries.common import data_version
from lib.queries.industry import organisations, stage_funnel
from lib.queries.rollups import counts_ready
from lib.rules.credit_code import is_credit_code
from lib.rules.industry_catalogue import STANDARD_INDUSTRIES
from lib.rules.permissions import COMMAND_LINE
from lib.services import rollups
from lib.services.loading import LoadReport, check_load, run_load
from scripts import samples_industry

SAMPLES = config.ROOT / "data" / "samples"
AS_OF = dt.date(2020, 6, 30)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# The office's words as this test reads them (the loader has its own tables).
STAGES = {
    "计划": "planned",
    "规划": "planned",
    "已启动": "started",
    "实施中": "started",
    "已投产": "producing",
    "见效": "producing",
    "producing": "producing",
    "稳定增收": "stable",
}
RANK = {"planned": 1, "started": 2, "producing": 3, "stable": 4}
BENEFITS = {
    "土地流转": "land_rent",
    "租金": "land_rent",
    "入股分红": "dividend",
    "分红": "dividend",
    "务工": "wages",
    "工资": "wages",
    "保底收购": "guaranteed_purchase",
    "订单收购": "guaranteed_purchase",
}


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _rows(data: bytes) -> list[dict[str, Any]]:
    """A sample sheet's data rows by header (row 1 the title, row 2 the headers)."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = rows[1]
    return [dict(zip(header, row, strict=False)) for row in rows[2:] if any(v is not None for v in row)]


def _load(engine: Engine, kind: str, data: bytes, **options: Any) -> LoadReport:
    with Session(engine) as session:
        return run_load(
            session, actor=COMMAND_LINE, kind=kind, upload=read_file(data, kind), as_of=AS_OF, **options
        )


def _check(engine: Engine, kind: str, data: bytes) -> LoadReport:
    with Session(engine) as session:
        return check_load(session, actor=COMMAND_LINE, kind=kind, upload=read_file(data, kind), as_of=AS_OF)


def _state(engine: Engine) -> tuple[int, str, int, int, int, int, int]:
    """Audit rows, data version, and the rows of every table these kinds write."""
    with Session(engine) as session:

        def count(model: Any) -> int:
            return session.scalar(select(func.count()).select_from(model)) or 0

        return (
            count(AuditEntry),
            data_version(session),
            count(Industry),
            count(Organisation),
            count(OrganisationLink),
            count(IndustryPlan),
            count(PlanStageChange),
        )


def _edited(name: str, edit: Any) -> bytes:
    """The sample file `name` after `edit(sheet, header)`; header is the header row's texts."""
    book = load_workbook(io.BytesIO(_sample(name)))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[2]]
    edit(sheet, header)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _set(name: str, cells: dict[tuple[int, str], Any]) -> bytes:
    def edit(sheet: Any, header: list[Any]) -> None:
        for (row, column), value in cells.items():
            sheet.cell(row=row, column=header.index(column) + 1).value = value

    return _edited(name, edit)


@pytest.fixture
def county(sample_county_engine: Engine) -> Engine:
    """The sample county's divisions and households, as tests/test_county_load.py loads them
    (tests/db_fixtures.py's `sample_county_engine`: loaded once per worker and copied for each test)."""
    return sample_county_engine


@pytest.fixture
def loaded(county: Engine) -> Engine:
    """…and its enterprises, cooperatives and industry plans."""
    assert _load(county, "organisations", _sample("organisations.xlsx")).committed
    assert _load(county, "plans", _sample("plans.xlsx")).committed
    return county


# --- the industry page's figures are what the files say -----------------------------------------


def _labour() -> dict[str, int]:
    rows = _rows(_sample("households.xlsx"))
    return {row["户编号"]: int(row["劳动力人数"]) for row in rows}


def test_the_stage_funnel_is_what_the_plans_file_says(loaded: Engine) -> None:
    plans = _rows(_sample("plans.xlsx"))
    labour = _labour()
    best: dict[str, int] = {}
    for row in plans:
        rank = RANK[STAGES[row["进展"]]]
        best[row["户编号"]] = max(best.get(row["户编号"], 0), rank)
    by_stage = Counter(best.values())
    with Session(loaded) as session:
        assert counts_ready(session)  # the page reads the rollups: they were kept current
        funnel = stage_funnel(session)
    assert funnel.households == len(labour) == 24
    assert funnel.households_with_plan == len(best) == 17
    assert funnel.households_with_labour == sum(1 for n in labour.values() if n > 0)
    assert funnel.labour_households_with_plan == sum(1 for archive in best if labour[archive] > 0) == 16
    assert dict(zip(funnel.stages["stage"], funnel.stages["households"], strict=True)) == {
        stage: by_stage[rank] for stage, rank in RANK.items()
    }


def test_the_organisations_table_is_what_the_links_file_says(loaded: Engine) -> None:
    links = [row for row in _rows(_sample("organisations.xlsx")) if row["户编号"]]
    households: dict[str, set[str]] = defaultdict(set)
    benefits: dict[str, Counter[str]] = defaultdict(Counter)
    amounts: Counter[str] = Counter()
    for row in links:
        name = row["企业（合作社）名称"]
        households[name].add(row["户编号"])
        benefits[name][BENEFITS[row["带动方式"]]] += 1
        amounts[name] += row["年收益（元）"] or 0
    with Session(loaded) as session:
        frame = organisations(session)
        rollups.rebuild(session)  # and the same figures from rollups worked out afresh
        again = organisations(session)
        session.rollback()
    assert frame.equals(again)
    assert set(frame["name_zh"]) == set(households) and len(frame) == 4
    for record in frame.to_dict("records"):
        name = record["name_zh"]
        assert record["linked_households"] == len(households[name]), name
        assert record["links"] == sum(benefits[name].values())
        for benefit in ("land_rent", "dividend", "wages", "guaranteed_purchase"):
            assert record[benefit] == benefits[name][benefit], (name, benefit)
        assert record["annual_amount"] == amounts[name]
    kinds = dict(zip(frame["name_zh"], frame["kind"], strict=True))
    assert sorted(kinds.values()) == ["cooperative", "cooperative", "enterprise", "enterprise"]
    towns = dict(zip(frame["name_zh"], frame["town_code"], strict=True))
    assert towns["青山县河口农产品加工有限公司"] == "349902102"  # the file gave the town's code


def test_every_plan_has_its_stage_history_and_dates(loaded: Engine) -> None:
    plans = _rows(_sample("plans.xlsx"))
    with Session(loaded) as session:
        stored = session.execute(
            select(IndustryPlan.id, IndustryPlan.stage, IndustryPlan.stage_since, IndustryPlan.planned_on)
        ).all()
        history = session.execute(
            select(
                PlanStageChange.plan_id,
                PlanStageChange.from_stage,
                PlanStageChange.to_stage,
                PlanStageChange.changed_on,
            )
        ).all()
    assert len(stored) == len(plans)
    assert sorted((plan_id, None, stage, since) for plan_id, stage, since, _ in stored) == sorted(history)
    # a planned plan dates from its planning, a started one from its start (given as text here)
    since = {planned: stage_since for _, _, stage_since, planned in stored}
    assert since[dt.date(2020, 3, 1)] == dt.date(2020, 3, 1)
    assert since[dt.date(2019, 3, 1)] == dt.date(2019, 4, 10)


def test_a_second_load_changes_nothing(loaded: Engine) -> None:
    before = _state(loaded)
    for kind, name in (("organisations", "organisations.xlsx"), ("plans", "plans.xlsx")):
        report = _load(loaded, kind, _sample(name))
        assert not report.problems and not report.committed
        assert report.changes == [] and report.missing == []
        assert report.loaded_before is not None
    assert _state(loaded) == before


def test_a_dry_run_lists_the_industries_it_would_add_and_writes_nothing(county: Engine) -> None:
    before = _state(county)
    report = _check(county, "organisations", _sample("organisations.xlsx"))
    assert not report.problems
    added = [c.key for c in report.changes if c.table == "industries"]
    assert added == ["yellow_peach", "agri_processing", "edible_fungi", "goats"]
    assert report.count("add") == 4 + 4 + 20 and report.ignored == ("序号", "户主姓名", "备注")
    assert _state(county) == before


# --- a modified file reports exactly its changes -------------------------------------------------


def test_a_modified_plans_file_reports_exactly_its_changes(loaded: Engine) -> None:
    def edit(sheet: Any, header: list[Any]) -> None:
        column = {name: header.index(name) + 1 for name in header}
        assert sheet.cell(row=8, column=column["户编号"]).value == "3499020102002"
        sheet.cell(row=8, column=column["进展"]).value = "已投产"
        sheet.cell(row=8, column=column["进展日期"]).value = dt.date(2020, 5, 1)
        sheet.cell(row=8, column=column["实际增收（元）"]).value = 3000
        assert sheet.cell(row=5, column=column["产业"]).value == "外出务工"  # 3499020101003's second plan
        sheet.delete_rows(5)

    data = _edited("plans.xlsx", edit)
    before = _state(loaded)
    report = _check(loaded, "plans", data)
    assert not report.problems
    assert [(c.row, c.key, c.action) for c in report.changes] == [
        (7, "3499020102002/yellow_peach/2019-03-01", "change")
    ]
    assert report.changes[0].old == {
        "stage": "started",
        "stage_since": dt.date(2019, 4, 10),
        "actual_income": None,
    }
    assert report.changes[0].new == {
        "stage": "producing",
        "stage_since": dt.date(2020, 5, 1),
        "actual_income": 3000,
    }
    # listed: a plan of a household the file covers; not deleted, and counted as it stands
    assert [c.key for c in report.missing] == ["3499020101003/migrant_work/2016-03-01"]
    assert report.unchanged == 16
    assert _state(loaded) == before

    assert _load(loaded, "plans", data).committed
    audits, version, *_ = _state(loaded)
    assert audits == before[0] + 1 and version != before[1]
    with Session(loaded) as session:
        plan_id, stage, plan_version = session.execute(
            select(IndustryPlan.id, IndustryPlan.stage, IndustryPlan.version).where(
                IndustryPlan.planned_on == dt.date(2019, 3, 1)
            )
        ).one()
        moves = session.execute(
            select(PlanStageChange.from_stage, PlanStageChange.to_stage, PlanStageChange.changed_on)
            .where(PlanStageChange.plan_id == plan_id)
            .order_by(PlanStageChange.id)
        ).all()
        assert stage == "producing" and plan_version == 2
        assert moves == [
            (None, "started", dt.date(2019, 4, 10)),
            ("started", "producing", dt.date(2020, 5, 1)),
        ]
        funnel = stage_funnel(session)
        assert counts_ready(session)
    assert dict(zip(funnel.stages["stage"], funnel.stages["households"], strict=True))["producing"] == 6

    # --retire-missing: plans have no retired state, so the missing plan stays as it is
    plans_before = _state(loaded)[5]
    report = _load(loaded, "plans", data, retire_missing=True)
    assert not report.problems and report.changes == [] and len(report.missing) == 1
    assert _state(loaded)[5] == plans_before


def test_a_modified_organisations_file_reports_exactly_its_changes(loaded: Engine) -> None:
    def edit(sheet: Any, header: list[Any]) -> None:
        column = {name: header.index(name) + 1 for name in header}
        assert sheet.cell(row=3, column=column["户编号"]).value == "3499020102001"
        sheet.cell(row=3, column=column["年收益（元）"]).value = 1300
        assert sheet.cell(row=23, column=column["户编号"]).value == "3499020302003"
        sheet.cell(row=23, column=column["带动方式"]).value = "入股分红"  # wages → a dividend link
        sheet.cell(row=8, column=column["所在乡镇"]).value = "河口镇"  # the same town, by name

    data = _edited("organisations.xlsx", edit)
    report = _check(loaded, "organisations", data)
    assert not report.problems
    peach, goats = samples_industry.PEACH[0], samples_industry.GOATS[0]
    assert [(c.row, c.key, c.action, dict(c.old), dict(c.new)) for c in report.changes] == [
        (3, f"3499020102001/land_rent/{peach}", "change", {"annual_amount": 1200}, {"annual_amount": 1300}),
        (
            23,
            f"3499020302003/dividend/{goats}",
            "add",
            {},
            {
                "organisation": goats,
                "archive_no": "3499020302003",
                "household_id": report.changes[1].new["household_id"],
                "benefit_type": "dividend",
                "since": dt.date(2018, 6, 1),
                "annual_amount": 3600,
            },
        ),
    ]
    assert [c.key for c in report.missing] == [f"3499020302003/wages/{goats}"]
    before = _state(loaded)
    assert _load(loaded, "organisations", data).committed
    assert _state(loaded)[0] == before[0] + 2 and _state(loaded)[4] == before[4] + 1


def test_an_organisation_without_a_credit_code_is_found_by_its_exact_name(county: Engine) -> None:
    def without_codes(sheet: Any, header: list[Any]) -> None:
        for row in range(3, sheet.max_row + 1):
            sheet.cell(row=row, column=header.index("统一社会信用代码") + 1).value = None

    data = _edited("organisations.xlsx", without_codes)
    report = _load(county, "organisations", data)
    assert report.committed
    keys = [c.key for c in report.changes if c.table == "organisations"]
    assert keys == [f"name:{org[1]}" for org in samples_industry.ORGANISATIONS]  # says how it was found
    again = _load(county, "organisations", data)
    assert not again.committed and again.changes == []
    # the file with the codes gives each its code: the same organisations, not new ones
    report = _load(county, "organisations", _sample("organisations.xlsx"))
    assert report.committed
    assert [(c.table, c.action, dict(c.new)) for c in report.changes] == [
        ("organisations", "change", {"credit_code": org[0]}) for org in samples_industry.ORGANISATIONS
    ]
    with Session(county) as session:
        assert session.scalar(select(func.count()).select_from(Organisation)) == 4


def test_a_blank_kind_is_read_from_the_name_or_asked_for(county: Engine) -> None:
    def blank_kinds(sheet: Any, header: list[Any]) -> None:
        for row in range(3, sheet.max_row + 1):
            sheet.cell(row=row, column=header.index("类型") + 1).value = None

    report = _check(county, "organisations", _edited("organisations.xlsx", blank_kinds))
    assert not report.problems
    kinds = [c.new["kind"] for c in report.changes if c.table == "organisations"]
    assert kinds == ["enterprise", "enterprise", "cooperative", "cooperative"]  # …有限公司, …合作社
    report = _check(county, "organisations", "企业名称,类型\r\n桃源黄桃,\r\n".encode())
    assert [(p.row, p.column, p.key) for p in report.problems] == [
        (2, "org_kind", "load.error.org_kind_needed")
    ]


def test_a_stage_moved_back_needs_a_reason_as_on_the_plan_form(loaded: Engine) -> None:
    back = {(7, "进展"): "已启动", (7, "进展日期"): dt.date(2020, 6, 1)}  # 3499020102001: producing → started
    report = _load(loaded, "plans", _set("plans.xlsx", back))
    assert [(p.row, p.column, p.key) for p in report.problems] == [
        (7, "stage", "plans.error.reason_backward")
    ]

    def with_reason(sheet: Any, header: list[Any]) -> None:
        sheet.cell(row=2, column=len(header) + 1).value = "变更原因"
        sheet.cell(row=7, column=len(header) + 1).value = "黄桃遭冻害，重新补栽"
        for (row, name), value in back.items():
            sheet.cell(row=row, column=header.index(name) + 1).value = value

    report = _load(loaded, "plans", _edited("plans.xlsx", with_reason))
    assert report.committed and report.changes[0].new["stage_reason"] == "黄桃遭冻害，重新补栽"
    with Session(loaded) as session:
        last = session.execute(
            select(PlanStageChange.from_stage, PlanStageChange.to_stage, PlanStageChange.reason)
            .order_by(PlanStageChange.id.desc())
            .limit(1)
        ).one()
    assert tuple(last) == ("producing", "started", "黄桃遭冻害，重新补栽")


def test_a_county_s_own_industry_is_used_before_the_catalogue(county: Engine) -> None:
    with Session(county) as session:
        session.add(Industry(code="pv_shares", category="shares", name_zh="光伏收益", name_en="PV shares"))
        session.commit()
    assert _load(county, "organisations", _sample("organisations.xlsx")).committed
    report = _load(county, "plans", _sample("plans.xlsx"))
    assert report.committed
    assert "photovoltaic" not in [c.key for c in report.changes if c.table == "industries"]
    with Session(county) as session:
        codes = session.scalars(
            select(Industry.code).join(IndustryPlan, IndustryPlan.industry_id == Industry.id).distinct()
        ).all()
    assert "pv_shares" in codes and "photovoltaic" not in codes


# --- bad input: each reported by row and column, and nothing written ------------------------------

PEACH_CODE = samples_industry.PEACH[0]
BAD_ORGANISATIONS: dict[str, tuple[dict[tuple[int, str], Any], int, str, str]] = {
    "credit code check": (
        {(3, "统一社会信用代码"): PEACH_CODE[:-1] + ("0" if PEACH_CODE[-1] != "0" else "1")},
        3,
        "统一社会信用代码",
        "credit_code.error.check",
    ),
    "credit code length": (
        {(3, "统一社会信用代码"): "9134990212"},
        3,
        "统一社会信用代码",
        "credit_code.error.length",
    ),
    "unknown household": ({(4, "户编号"): "3499020109999"}, 4, "户编号", "load.error.household_unknown"),
    "unknown industry": ({(3, "所属产业"): "火箭"}, 3, "所属产业", "load.error.industry_unknown"),
    "unknown town": ({(3, "所在乡镇"): "月亮镇"}, 3, "所在乡镇", "load.error.town_unknown"),
    "unknown benefit": ({(4, "带动方式"): "送温暖"}, 4, "带动方式", "load.error.benefit_word"),
    "unknown kind": ({(3, "类型"): "个人"}, 3, "类型", "load.error.org_kind_word"),
    "date after as of": (
        {(4, "联结时间"): dt.date(2020, 7, 1)},
        4,
        "联结时间",
        "updates.error.date_in_future",
    ),
    "negative amount": ({(4, "年收益（元）"): -800}, 4, "年收益（元）", "load.error.amount_negative"),
    "the same link twice": ({(4, "户编号"): "3499020102001"}, 4, "户编号", "load.error.link_repeated"),
    "another name, same code": (
        {(4, "企业（合作社）名称"): "桃源公司"},
        4,
        "企业（合作社）名称",
        "load.error.org_name_differs",
    ),
    "another town, same code": ({(4, "所在乡镇"): "石门乡"}, 4, "所在乡镇", "load.error.org_field_differs"),
    "a household without a benefit": ({(4, "带动方式"): None}, 4, "带动方式", "load.error.benefit_needed"),
}


@pytest.mark.parametrize("name", list(BAD_ORGANISATIONS))
def test_a_bad_organisations_file_is_reported_by_row_and_column(county: Engine, name: str) -> None:
    cells, row, header, key = BAD_ORGANISATIONS[name]
    before = _state(county)
    report = _load(county, "organisations", _set("organisations.xlsx", cells))
    assert not report.committed
    found = [(p.row, p.key) for p in report.problems]
    assert (row, key) in found, found
    letter = next(p.letter for p in report.problems if p.row == row and p.key == key)
    assert letter == LETTERS[samples_industry.ORGANISATION_HEADERS.index(header)]
    assert _state(county) == before


BAD_PLANS: dict[str, tuple[dict[tuple[int, str], Any], int, str, str]] = {
    "unknown household": ({(3, "户编号"): "3499020109999"}, 3, "户编号", "load.error.household_unknown"),
    "unknown industry": ({(3, "产业"): "火箭"}, 3, "产业", "load.error.industry_unknown"),
    "unknown stage": ({(3, "进展"): "差不多了"}, 3, "进展", "load.error.stage_word"),
    "started before planned": (
        {(3, "启动日期"): dt.date(2016, 1, 1)},
        3,
        "启动日期",
        "plans.error.start_before_planned",
    ),
    "planned after as of": (
        {(10, "制定日期"): dt.date(2020, 8, 1)},
        10,
        "制定日期",
        "updates.error.date_in_future",
    ),
    "negative income": ({(3, "预期增收（元）"): "-6000"}, 3, "预期增收（元）", "load.error.amount_negative"),
    "not whole yuan": ({(3, "实际增收（元）"): 7200.5}, 3, "实际增收（元）", "plans.error.income_whole"),
    "the same plan twice": (
        {(6, "户编号"): "3499020101003", (6, "产业"): "外出务工", (6, "制定日期"): dt.date(2016, 3, 1)},
        6,
        "户编号",
        "data.error.duplicate_row",
    ),
    "the same plan by another name": (
        {(5, "产业"): "migrant_work", (4, "产业"): "外出务工", (4, "制定日期"): dt.date(2016, 3, 1)},
        5,
        "产业",
        "load.error.plan_repeated",
    ),
    "unknown partner": ({(3, "带动主体"): "不存在的合作社"}, 3, "带动主体", "load.error.partner_unknown"),
    "migrant work without labour": ({(6, "产业"): "外出务工"}, 6, "产业", "plans.error.migrant_needs_labour"),
    "started yet planned": (
        {(10, "启动日期"): dt.date(2020, 4, 1)},
        10,
        "启动日期",
        "plans.error.start_when_planned",
    ),
    "stable without an actual income": (
        {(3, "实际增收（元）"): None},
        3,
        "实际增收（元）",
        "plans.error.actual_required",
    ),
}


@pytest.mark.parametrize("name", list(BAD_PLANS))
def test_a_bad_plans_file_is_reported_by_row_and_column(county: Engine, name: str) -> None:
    assert _load(county, "organisations", _sample("organisations.xlsx")).committed
    cells, row, header, key = BAD_PLANS[name]
    before = _state(county)
    report = _load(county, "plans", _set("plans.xlsx", cells))
    assert not report.committed
    found = [(p.row, p.key) for p in report.problems]
    assert (row, key) in found, found
    letter = next(p.letter for p in report.problems if p.row == row and p.key == key)
    assert letter == LETTERS[samples_industry.PLAN_HEADERS.index(header)]
    assert _state(county) == before


def test_an_unknown_industry_names_some_known_ones(county: Engine) -> None:
    report = _load(county, "plans", _set("plans.xlsx", {(3, "产业"): "火箭"}))
    (problem,) = [p for p in report.problems if p.key == "load.error.industry_unknown"]
    assert problem.params["value"] == "火箭" and "黄桃" in problem.params["known"]


def test_plans_need_the_households_first(empty_engine: Engine) -> None:
    report = _load(empty_engine, "plans", _sample("plans.xlsx"))
    assert {p.key for p in report.problems} == {"load.error.household_unknown"}
    assert _state(empty_engine)[2:] == (0, 0, 0, 0, 0)


# --- random cells in a plans row never crash and never write what they should not ---------------

CELL = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)),
    st.sampled_from(
        [
            "3499020101001",
            "3499020102005",
            "3499020101002",
            "黄桃",
            "外出务工",
            "光伏",
            "已启动",
            "稳定增收",
            "计划",
        ]
    ),
)
PLAN_COLUMNS = [
    "户编号",
    "产业",
    "进展",
    "制定日期",
    "启动日期",
    "进展日期",
    "预期增收（元）",
    "实际增收（元）",
    "带动主体",
    "变更原因",
]


def _one_row(cells: list[Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(PLAN_COLUMNS)
    sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(CELL, min_size=len(PLAN_COLUMNS), max_size=len(PLAN_COLUMNS)))
def test_random_cells_in_a_plans_row_never_crash_and_never_write(county: Engine, cells: list[Any]) -> None:
    data = _one_row(cells)
    before = _state(county)
    checked = _check(county, "plans", data)
    assert _state(county) == before  # a dry run writes nothing
    report = _load(county, "plans", data)
    after = _state(county)
    if report.problems or not report.changes:
        assert not report.committed and after == before
    else:
        assert report.committed and not checked.problems
        assert after[5] == before[5] + 1  # one row, one plan


# --- what the kinds rest on ---------------------------------------------------------------------


def test_the_catalogue_is_the_demo_s() -> None:
    assert [(e.code, e.category, e.name_zh, e.name_en) for e in STANDARD_INDUSTRIES] == [
        (code, category, zh, en) for code, category, zh, en, _income in DEMO_INDUSTRIES
    ]


def test_the_kinds_are_registered_and_as_wide_as_the_others() -> None:
    assert loads.KINDS["organisations"] is loads_industry.ORGANISATIONS
    assert loads.KINDS["plans"] is loads_industry.PLANS
    assert loads_industry.LOAD_MAX_WIDTH == loads.LOAD_MAX_WIDTH


def test_samples_are_the_ones_the_script_makes() -> None:
    assert _rows(samples_industry.organisations_xlsx()) == _rows(_sample("organisations.xlsx"))
    assert _rows(samples_industry.plans_xlsx()) == _rows(_sample("plans.xlsx"))
    assert all(is_credit_code(org[0]) for org in samples_industry.ORGANISATIONS)
