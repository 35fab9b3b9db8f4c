"""A county's own files, as they come: the load kinds, their columns and the headers they go by.

Each kind is a `RecordType` read by the same bounded reader as the /data imports
(`lib.files.imports.parse_upload`), with three differences: a column answers to the headers a
county's files use (the national poverty-alleviation information system's export writes 户编号,
户主姓名, 证件号码, …; common variants too), headers no column has are listed and skipped rather
than refused (an export has dozens of columns we do not read), and the files are larger (limits
below). A header a file writes differently is mapped once on screen and the mapping is saved
(`lib.services.loading`), so next month's file maps itself.

Cells are checked one by one here (types, codes, ID numbers, statuses); what needs the whole file
or the database (a village's town, duplicate archive numbers, more labour than members, what
would change) is `lib.services.loading`'s.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from lib.files.imports import Column, RecordType, Upload, parse_upload
from lib.files.loads_industry import ORGANISATIONS, PLANS
from lib.files.loads_staff import POSTINGS, TRAINING
from lib.rules import register
from lib.rules.divisions import clean_code
from lib.rules.permissions import DATA_LOAD

# A county's register: ~10–40k households; a city's ~300k (bench/load.py). An .xlsx of 300k rows
# with the export's ~40 columns is ~30 MB packed and ~250 MB of XML unpacked.
LOAD_MAX_BYTES = 60 * 1024 * 1024
LOAD_MAX_UNPACKED = 600 * 1024 * 1024
LOAD_MAX_ROWS = 400_000
LOAD_MAX_STRINGS = 4_000_000  # names, ID numbers and helpers are mostly unique
LOAD_MAX_WIDTH = 200  # columns: the export has ~40–80
LOAD_SECONDS = 900.0  # 300k rows read in ~2–4 min on a shared 2-CPU machine


class LoadValueError(ValueError):
    """A cell that is not what its column holds: `key` names the problem for `t()`."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def division_code(value: object) -> str:
    """A cell's 12-digit statistical division code."""
    code = clean_code(value)
    if code is None:
        raise LoadValueError("load.error.code", value=_shown(value))
    return code


def division_code_or_town(value: object) -> str:
    """A village's code, or a town's given as its 9 stored digits."""
    if (
        isinstance(value, str)
        and len(value.strip()) == 9
        and value.strip().isascii()
        and value.strip().isdigit()
    ):
        return value.strip() + "000"
    if isinstance(value, int) and not isinstance(value, bool) and 100_000_000 <= value <= 999_999_999:
        return f"{value}000"
    return division_code(value)


def _degrees(value: object, low: float, high: float, key: str) -> float:
    if isinstance(value, bool):
        raise LoadValueError(key, value=_shown(value))
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise LoadValueError(key, value=_shown(value)) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise LoadValueError(key, value=_shown(value))
    return round(number, 6)


def longitude(value: object) -> float:
    """Degrees east, within China (73–136)."""
    return _degrees(value, 73.0, 136.0, "load.error.longitude")


def latitude(value: object) -> float:
    """Degrees north, within China (3–54)."""
    return _degrees(value, 3.0, 54.0, "load.error.latitude")


def level_word(value: object) -> str:
    """A level column's word (镇, 村, town, …) as county / town / village."""
    from lib.rules.divisions import level_from_word

    level = level_from_word(str(value) if isinstance(value, int | float) else value)
    if level is None:
        raise LoadValueError("load.error.level", value=_shown(value))
    return level


def _register(rule: Any) -> Any:
    """A lib.rules.register rule as a column's parse: its RegisterValueError becomes the cell's problem."""

    def parse(value: object) -> Any:
        try:
            return rule(value)
        except register.RegisterValueError as error:
            raise LoadValueError(error.key, **error.params) from None

    return parse


def _today() -> dt.date:
    return dt.date.today()


def _id_number(value: object) -> str:
    return str(register.id_number(value, today=_today()))


def _year(value: object) -> int:
    return int(register.year(value, today=_today()))


def _count(minimum: int) -> Any:
    def parse(value: object) -> int:
        return int(register.count(value, minimum=minimum, maximum=99))

    return parse


def _causes(value: object) -> list[str]:
    return list(register.other_causes(value))


def _col(code: str, kind: Any, *aliases: str, **options: Any) -> Column:
    return Column(
        code, kind, aliases=aliases, header_key=f"load.col.{code}", help_key="load.colhelp", **options
    )


# --- administrative divisions --------------------------------------------------------------------

DIVISIONS = RecordType(
    code="divisions",
    action=DATA_LOAD,
    columns=(
        _col(
            "code",
            "value",
            "统计用区划代码",
            "区划代码",
            "行政区划代码",
            "代码",
            "XZQDM",
            "division code",
            required=True,
            parse=division_code,
        ),
        _col(
            "name_zh", "text", "名称", "区划名称", "单位名称", "XZQMC", "name", required=True, max_length=60
        ),
        _col("name_en", "text", "英文名", "英文名称", "English name", max_length=80),
        _col("level", "value", "级别", "层级", "类别", "level", parse=level_word),
        _col("lon", "value", "经度", "longitude", "lng", parse=longitude),
        _col("lat", "value", "纬度", "latitude", parse=latitude),
        _col("is_poor", "bool", "是否贫困村", "贫困村", "建档立卡贫困村", "poor village"),
        _col(
            "planned_exit_year",
            "int",
            "计划出列年度",
            "计划退出年度",
            "计划出列年份",
            minimum=2013,
            maximum=2035,
        ),
        _col("actual_exit_year", "int", "出列年度", "实际出列年度", "退出年度", minimum=2013, maximum=2035),
        _col("population", "int", "人口", "总人口", "户籍人口", "人口数", maximum=1_000_000),
    ),
    build=lambda values, ids: dict(values),
    unique=("code",),
    ignore_unknown=True,
    max_width=LOAD_MAX_WIDTH,
)

# --- the household register ----------------------------------------------------------------------

HOUSEHOLDS = RecordType(
    code="households",
    action=DATA_LOAD,
    columns=(
        _col(
            "archive_no",
            "text",
            "户编号",
            "户编码",
            "家庭编号",
            "户号",
            "贫困户编号",
            required=True,
            max_length=24,
        ),
        _col("head_name", "text", "户主姓名", "户主", "姓名", required=True, max_length=40),
        _col(
            "head_id_number",
            "value",
            "证件号码",
            "身份证号",
            "身份证号码",
            "户主身份证号",
            "户主证件号码",
            "公民身份号码",
            parse=_register(_id_number),
        ),
        _col(
            "village_code",
            "value",
            "行政区划代码",
            "村代码",
            "所在村代码",
            "区划代码",
            "村级区划代码",
            parse=division_code,
        ),
        _col("village_name", "text", "所在村", "行政村", "村", "村名", max_length=60),
        _col("town_name", "text", "所在乡镇", "乡镇", "乡(镇)", "乡镇名称", max_length=60),
        _col(
            "members",
            "value",
            "家庭人口数",
            "人数",
            "家庭人口",
            "人口数",
            required=True,
            parse=_register(_count(1)),
        ),
        _col("labour_count", "value", "劳动力人数", "劳动力数", "劳动力", parse=_register(_count(0))),
        _col("primary_cause", "value", "主要致贫原因", "致贫原因", parse=_register(register.poverty_cause)),
        _col("other_causes", "value", "其他致贫原因", "次要致贫原因", parse=_register(_causes)),
        _col(
            "status",
            "value",
            "贫困户状态",
            "户状态",
            "脱贫状态",
            "贫困状态",
            "脱贫标志",
            required=True,
            parse=_register(register.household_status),
        ),
        _col("exit_year", "value", "脱贫年度", "脱贫年份", "脱贫时间", parse=_register(_year)),
        _col(
            "registered_year", "value", "识别年度", "识别年份", "纳入年度", "识别时间", parse=_register(_year)
        ),
        _col(
            "housing_grade",
            "value",
            "住房安全等级",
            "住房等级",
            "房屋安全等级",
            parse=_register(register.housing_grade),
        ),
        _col("dangerous_house", "value", "是否危房", "危房", parse=_register(register.dangerous_house)),
        _col(
            "safe_water",
            "value",
            "饮水安全",
            "饮水是否安全",
            "是否饮水安全",
            parse=_register(register.yes_no),
        ),
        _col("no_worry_food", "value", "不愁吃", "是否不愁吃", parse=_register(register.yes_no)),
        _col("no_worry_clothing", "value", "不愁穿", "是否不愁穿", parse=_register(register.yes_no)),
        _col(
            "guarantee_education",
            "value",
            "义务教育有保障",
            "义务教育保障",
            "义务教育",
            parse=_register(register.yes_no),
        ),
        _col(
            "guarantee_medical",
            "value",
            "基本医疗有保障",
            "基本医疗保障",
            "基本医疗",
            parse=_register(register.yes_no),
        ),
        _col(
            "guarantee_housing",
            "value",
            "住房安全有保障",
            "住房安全保障",
            "住房安全",
            parse=_register(register.yes_no),
        ),
        _col("helper_name", "text", "帮扶责任人", "帮扶人", "帮扶责任人姓名", max_length=40),
        _col("helper_unit", "text", "帮扶单位", "帮扶责任人单位", "帮扶人单位", max_length=80),
        _col(
            "income",
            "value",
            "人均纯收入",
            "家庭人均纯收入",
            "人均收入",
            "年人均纯收入",
            parse=_register(register.income),
        ),
        _col("income_year", "value", "收入年度", "纯收入年度", "收入年份", parse=_register(_year)),
    ),
    build=lambda values, ids: dict(values),
    unique=("archive_no",),
    ignore_unknown=True,
    max_width=LOAD_MAX_WIDTH,
)

KINDS: dict[str, RecordType] = {
    kind.code: kind for kind in (DIVISIONS, HOUSEHOLDS, POSTINGS, TRAINING, ORGANISATIONS, PLANS)
}

# Boundary files are read by lib.files.boundaries, not as sheets; this names the kind in reports.
BOUNDARIES = RecordType(
    code="boundaries",
    action=DATA_LOAD,
    columns=(_col("code", "value", parse=division_code),),
    build=lambda values, ids: dict(values),
)


def load_kind(code: str) -> RecordType:
    """The load kind called `code` (KeyError for an unknown one)."""
    return KINDS[code]


def read_file(
    data: bytes,
    kind: RecordType | str,
    *,
    mapping: Mapping[str, str] | None = None,
    max_bytes: int = LOAD_MAX_BYTES,
    max_rows: int = LOAD_MAX_ROWS,
    time_limit: float = LOAD_SECONDS,
) -> Upload:
    """A county's .xlsx or .csv file read for `kind`: clean rows and every cell's problem, never raising."""
    kind = load_kind(kind) if isinstance(kind, str) else kind
    return parse_upload(
        data,
        kind,
        max_bytes=max_bytes,
        max_rows=max_rows,
        time_limit=time_limit,
        mapping=mapping,
        max_unpacked=LOAD_MAX_UNPACKED,
        max_strings=LOAD_MAX_STRINGS,
    )
