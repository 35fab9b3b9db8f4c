"""The county's rosters of people stationed in villages, and its training lists, as load kinds.

Two `RecordType`s read like `lib.files.loads`' kinds (headers as the county writes them, unknown
headers listed and skipped, .xlsx or .csv):

- `POSTINGS` ("postings"): the organisation department's roster (驻村第一书记和工作队员花名册),
  one posting a row: 身份证号, 姓名, 性别, 出生年份, 派出单位, the village (驻村代码 / 行政区划代码,
  or 所在乡镇 + 所在村), 职务 (第一书记 → first secretary; 工作队员, 工作队长, 队员 → work-team
  member), 驻村开始时间 and 驻村结束时间 (blank or 至今 while the person still serves).
- `TRAINING` ("training"): a training list, one person in one session a row: 培训班名称, 班次代码
  (optional), 类型, 年度, 期次, 培训地点, 开始日期, 结束日期, 天数, 计划人数, 培训主题 (several,
  separated by 、，；/ or new lines), 身份证号, 姓名, 出勤情况.

Kinds of training (类型). The dashboard knows two (ProgrammeKind): a *rotation* class every
serving first secretary must attend (轮训, 提升班, 能力提升班: required, counted as "trained"),
and a *study tour* for selected secretaries (考察, 培训考察, 考察学习, 能力发展班, 研学). A word
naming a tour wins (培训考察 is a tour); a blank 类型 is read from the class's name by the same
words (lib.services.loading_staff). A study tour is not required, except a class for selected
secretaries named as one (能力发展班, 专题培训班 in its name): it trains them as a rotation does,
and counts (`counts_as_training`).

Dates: a date cell, an Excel serial number, 2019-03-05, 2019/3/5, 2019.3.5, 2019年3月5日,
20190305; a month alone (2019-03, 2019.03, 2019年3月, 201903, or the number 2019.03 that Excel
makes of "2019.03") reads as the month's first day, as rosters often give only the month.

Cells are checked here one by one; what needs the whole file or the database (who a person is,
overlapping postings, two serving first secretaries, sessions not yet begun) is
`lib.services.loading_staff`'s.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import Any

from openpyxl.utils.datetime import from_excel

from lib.core.domain import AttendanceStatus, PostingRole, ProgrammeKind
from lib.files.imports import Column, RecordType
from lib.rules import register
from lib.rules.divisions import clean_code
from lib.rules.permissions import DATA_LOAD

# Columns a roster may reach: as lib.files.loads.LOAD_MAX_WIDTH (not imported from there:
# lib.files.loads imports this module to list its kinds).
ROSTER_MAX_WIDTH = 200
TOPIC_MAX = 40  # TrainingTopic.name_zh is String(40)
PROGRAMME_CODE_MAX = 30  # TrainingProgramme.code is String(30)
EARLIEST_BIRTH_YEAR = 1940
YOUNGEST_AGE = 16
SERIAL_MIN, SERIAL_MAX = 36526, 73050  # Excel serial numbers of 2000-01-01 … 2099-12-31
EARLIEST_DATE_YEAR = 2000  # no posting or class of this work began earlier
PHASE_MAX = 99


def _problem(key: str, value: object, **params: Any) -> ValueError:
    # Imported here, not at the top: lib.files.loads imports this module (KINDS).
    from lib.files.loads import LoadValueError

    return LoadValueError(key, value=register.shown(value), **params)


def _today() -> dt.date:
    return dt.date.today()


def _text(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def _word(value: object) -> str:
    return " ".join(_text(value).casefold().split())


# --- people -----------------------------------------------------------------------------------


def id_number(value: object) -> str:
    """A resident identity number (lib.rules.register.id_number), its problems as the cell's."""
    try:
        return register.id_number(value, today=_today())
    except register.RegisterValueError as error:
        from lib.files.loads import LoadValueError

        raise LoadValueError(error.key, **error.params) from None


GENDER_WORDS = {
    **dict.fromkeys(("男", "男性", "m", "male", "man"), "M"),
    **dict.fromkeys(("女", "女性", "f", "female", "woman"), "F"),
}


def gender(value: object) -> str:
    """性别: 男 / 女 (or M / F, male / female) as "M" / "F"."""
    found = GENDER_WORDS.get(_word(value)) if isinstance(value, str) else None
    if found is None:
        raise _problem("load.error.person_gender", value)
    return found


_PLAIN_YEAR = re.compile(r"(\d{4})(?:\d{2}){0,2}\s*年?")


def birth_year(value: object) -> int:
    """出生年份 / 出生年月: 1980, "1980", "1980年", "1980.05", "1980年5月", 198005, a date; from
    1940 to the year someone now 16 was born."""
    found: int | None = None
    if isinstance(value, dt.date):
        found = value.year
    elif isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**8:
        digits = str(value)
        found = value if len(digits) == 4 else int(digits[:4]) if len(digits) in (6, 8) else None
    elif isinstance(value, float) and math.isfinite(value) and 1000 <= value < 10_000:
        found = int(value)  # 1980.05: the year and the month
    elif isinstance(value, str):
        plain = _PLAIN_YEAR.fullmatch(_text(value))
        parsed = None if plain else _parsed_day(value)
        found = int(plain[1]) if plain else parsed.year if parsed else None
    latest = _today().year - YOUNGEST_AGE
    if found is None or not EARLIEST_BIRTH_YEAR <= found <= latest:
        raise _problem("load.error.person_birth_year", value, latest=latest)
    return found


# --- dates ------------------------------------------------------------------------------------

_DAY = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"  # a time after it, as some exports add
)
_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})?")
STILL_SERVING = frozenset({"至今", "今", "现在", "在岗", "在任", "在职", "未离任", "-", "—", "——", "/"})


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _parsed_day(value: object) -> dt.date | None:
    """The date a cell holds in any of the forms the module's docstring names, or None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and not 0 < value < 10**9:
        return None  # float() of a huge int raises
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        number = float(value)
        if number.is_integer() and SERIAL_MIN <= number <= SERIAL_MAX:
            serial = from_excel(number)
            return serial.date() if isinstance(serial, dt.datetime) else None
        if 1900 <= number < 2100 and not number.is_integer():
            # 2019.03 typed into a number cell: the year and the month (2019.1 is October)
            year = int(number)
            return _date_or_none(year, round((number - year) * 100), 1)
        if number.is_integer() and 190_001 <= number <= 20_991_231:
            return _parsed_day(str(int(number)))
        return None
    if not isinstance(value, str):
        return None
    text = _text(value)
    matched = _DAY.fullmatch(text)
    if matched:
        return _date_or_none(int(matched[1]), int(matched[2]), int(matched[3]))
    matched = _MONTH.fullmatch(text)
    if matched:
        return _date_or_none(int(matched[1]), int(matched[2]), 1)
    matched = _DIGITS.fullmatch(text)
    if matched:
        return _date_or_none(int(matched[1]), int(matched[2]), int(matched[3] or 1))
    return None


def day(value: object) -> dt.date:
    """A posting's or a session's date (see the module's docstring for the forms read), from 2000."""
    found = _parsed_day(value)
    if found is None or found.year < EARLIEST_DATE_YEAR:
        raise _problem("load.error.staff_date", value)
    return found


def end_day(value: object) -> dt.date | None:
    """An end date, or None for 至今 (still serving)."""
    if isinstance(value, str) and _text(value) in STILL_SERVING:
        return None
    return day(value)


# --- postings ---------------------------------------------------------------------------------

TEAM_WORDS = frozenset(
    {
        "工作队员",
        "驻村工作队员",
        "队员",
        "工作队长",
        "驻村工作队长",
        "队长",
        "副队长",
        "工作队副队长",
        "成员",
        "工作队成员",
        "驻村干部",
        "team member",
        "work-team member",
        "member",
    }
)


def role(value: object) -> str:
    """职务 / 身份: 第一书记 (also 驻村第一书记, 第一书记兼工作队长) → first_secretary; 工作队员,
    工作队长, 队员, … → team_member. A work-team leader who is not the first secretary is a member."""
    word = _word(value) if isinstance(value, str) else ""
    if "第一书记" in word or word in ("first secretary", "first_secretary"):
        return PostingRole.FIRST_SECRETARY.value
    if word in TEAM_WORDS or word == "team_member":
        return PostingRole.TEAM_MEMBER.value
    raise _problem("load.error.posting_role", value)


def village_code(value: object) -> str:
    """A village's 12-digit statistical division code."""
    code = clean_code(value)
    if code is None:
        raise _problem("load.error.code", value)
    return code


# --- training ---------------------------------------------------------------------------------

TOUR_WORDS = ("考察", "发展班", "研学", "study tour", "study_tour", "tour")
ROTATION_WORDS = ("轮训", "提升", "rotation")


def kind_in(text: str) -> str | None:
    """The kind of training a word or a class's name names (a tour word wins), or None."""
    word = _word(text)
    if any(part in word for part in TOUR_WORDS):
        return ProgrammeKind.STUDY_TOUR.value
    if any(part in word for part in ROTATION_WORDS):
        return ProgrammeKind.ROTATION.value
    return None


# In a class's name: a class for selected secretaries, which counts as training (the story's
# ability-development class of 50 in Bijie), not a visit.
COUNTED_CLASS_WORDS = ("发展班", "专题培训班")


def counts_as_training(kind: str, name: str) -> bool:
    """Whether a new programme is required (counts toward coverage): a rotation class, or a class
    for selected secretaries whose name says so (能力发展班, 专题培训班)."""
    word = _word(name)
    return kind == ProgrammeKind.ROTATION.value or any(part in word for part in COUNTED_CLASS_WORDS)


def programme_kind(value: object) -> str:
    """类型: 轮训, 提升班 → rotation; 考察, 培训考察, 能力发展班 → study_tour."""
    found = kind_in(value) if isinstance(value, str) else None
    if found is None:
        raise _problem("load.error.training_kind", value)
    return found


CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _chinese_number(text: str) -> int | None:
    """一 … 九十九."""
    if not text or any(ch not in CHINESE_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return CHINESE_DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (CHINESE_DIGITS[tens] if tens else 1) * 10 + (CHINESE_DIGITS[ones] if ones else 0)


def phase(value: object) -> int:
    """期次: 1, "1", "第1期", "第二期", "二期" → 1 … 99."""
    found: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        found = value
    elif isinstance(value, float) and value.is_integer():
        found = int(value)
    elif isinstance(value, str):
        text = _text(value).removeprefix("第").removesuffix("期").removesuffix("批").removesuffix("次")
        text = text.strip()
        found = int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else _chinese_number(text)
    if found is None or not 1 <= found <= PHASE_MAX:
        raise _problem("load.error.training_phase", value)
    return found


_TOPIC_SEPARATORS = re.compile(r"[、，,；;/|\n]+")


def topics(value: object) -> list[str]:
    """培训主题 / 课程: several names separated by 、，；/ or new lines, each once, in order."""
    names: list[str] = []
    for part in _TOPIC_SEPARATORS.split(_text(value)):
        name = part.strip()
        if not name or name in names:
            continue
        if len(name) > TOPIC_MAX:
            raise _problem("load.error.training_topic_long", name, max=TOPIC_MAX)
        names.append(name)
    return names


STATUS_WORDS = {
    **dict.fromkeys(
        (
            "参训",
            "已参训",
            "参加",
            "已参加",
            "出勤",
            "已出勤",
            "到",
            "已到",
            "到课",
            "结业",
            "已结业",
            "是",
            "√",
            "✓",
            "attended",
            "present",
        ),
        AttendanceStatus.ATTENDED.value,
    ),
    **dict.fromkeys(
        ("缺席", "未参加", "未参训", "缺勤", "未到", "请假", "否", "×", "absent"),
        AttendanceStatus.ABSENT.value,
    ),
    **dict.fromkeys(
        ("报名", "已报名", "待参训", "拟参训", "未开班", "enrolled"), AttendanceStatus.ENROLLED.value
    ),
}


def attendance(value: object) -> str:
    """出勤情况: 参训 / 已参加 / 出勤 → attended; 缺席 / 未参加 → absent; 报名 / 已报名 → enrolled."""
    found = STATUS_WORDS.get(_word(value)) if isinstance(value, str) else None
    if found is None:
        raise _problem("load.error.training_status", value)
    return found


# --- the kinds --------------------------------------------------------------------------------


def _col(code: str, kind: Any, *aliases: str, **options: Any) -> Column:
    return Column(
        code, kind, aliases=aliases, header_key=f"load.col.{code}", help_key="load.colhelp", **options
    )


def _id_column() -> Column:
    return _col(
        "cadre_id_number",
        "value",
        "身份证号码",
        "证件号码",
        "公民身份号码",
        "身份证",
        "身份证号码(18位)",
        parse=id_number,
    )


VILLAGE_CODE = _col(
    "village_code",
    "value",
    "驻村代码",
    "村代码",
    "所在村代码",
    "驻村村代码",
    "村级区划代码",
    "区划代码",
    parse=village_code,
)
VILLAGE_NAME = _col(
    "village_name", "text", "驻村村名", "驻点村", "派驻村", "驻村名称", "行政村", "村名", "村", max_length=60
)
TOWN_NAME = _col("town_name", "text", "乡镇", "乡(镇)", "乡镇名称", "所属乡镇", max_length=60)

POSTINGS = RecordType(
    code="postings",
    action=DATA_LOAD,
    columns=(
        _id_column(),
        _col("cadre_name", "text", "干部姓名", "驻村干部姓名", "name", required=True, max_length=40),
        _col("cadre_gender", "value", "gender", "sex", parse=gender),
        _col("cadre_birth_year", "value", "出生年月", "出生日期", "出生年", "出生时间", parse=birth_year),
        _col("sent_by_unit", "text", "选派单位", "派驻单位", "原单位", "工作单位", "单位", max_length=80),
        _col("sent_by_unit_en", "text", "派出单位英文名", "unit (English)", max_length=120),
        VILLAGE_CODE,
        VILLAGE_NAME,
        TOWN_NAME,
        _col(
            "posting_role",
            "value",
            "身份",
            "驻村身份",
            "驻村职务",
            "担任职务",
            "role",
            required=True,
            parse=role,
        ),
        _col(
            "posting_start",
            "value",
            "任职时间",
            "到村时间",
            "驻村时间",
            "派驻时间",
            "驻村起始时间",
            "到岗时间",
            "开始时间",
            required=True,
            parse=day,
        ),
        _col(
            "posting_end",
            "value",
            "离任时间",
            "离村时间",
            "驻村截止时间",
            "撤离时间",
            "离岗时间",
            "结束时间",
            parse=end_day,
        ),
    ),
    build=lambda values, ids: dict(values),
    unique=("cadre_id_number", "posting_start"),
    ignore_unknown=True,
    max_width=ROSTER_MAX_WIDTH,
)

TRAINING = RecordType(
    code="training",
    action=DATA_LOAD,
    columns=(
        _col(
            "programme_name",
            "text",
            "班次",
            "培训班",
            "班次名称",
            "培训项目",
            "培训名称",
            "项目名称",
            required=True,
            max_length=80,
        ),
        _col("programme_code", "text", "培训班代码", "班次编号", "培训班编号", max_length=PROGRAMME_CODE_MAX),
        _col("programme_kind", "value", "培训类型", "班型", "培训形式", "类别", parse=programme_kind),
        _col("programme_year", "int", "培训年度", "年份", minimum=2013, maximum=2100),
        _col("session_phase", "value", "期数", "第几期", "批次", parse=phase),
        _col("session_place", "text", "地点", "培训地址", "举办地点", "培训地", required=True, max_length=80),
        _col(
            "session_start",
            "value",
            "开班日期",
            "培训开始时间",
            "培训开始日期",
            "开始时间",
            required=True,
            parse=day,
        ),
        _col(
            "session_end",
            "value",
            "结业日期",
            "培训结束时间",
            "培训结束日期",
            "结束时间",
            required=True,
            parse=day,
        ),
        _col("session_days", "int", "培训天数", minimum=1, maximum=366),
        _col("session_capacity", "int", "容量", "名额", "班额", "计划培训人数", minimum=1, maximum=100_000),
        _col("session_topics", "value", "课程", "培训内容", "主要课程", "培训专题", "专题", parse=topics),
        _id_column(),
        _col("cadre_name", "text", "干部姓名", "学员姓名", "name", max_length=40),
        _col(
            "attendance_status",
            "value",
            "出勤",
            "考勤",
            "考勤情况",
            "参训情况",
            "是否参训",
            "状态",
            parse=attendance,
        ),
    ),
    build=lambda values, ids: dict(values),
    ignore_unknown=True,
    max_width=ROSTER_MAX_WIDTH,
)

STAFF_KINDS = (POSTINGS, TRAINING)
