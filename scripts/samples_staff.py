"""Write data/samples/postings.xlsx and training.xlsx: the sample county's first secretaries and
work teams, and its 2019 training list, as a county organisation department keeps them.

    .venv/bin/python scripts/samples_staff.py

青山县 (349902, fictional, scripts/make_samples.py) has five poor villages. Each has a serving
first secretary and one or two work-team members; 桃园村's first secretary was replaced in
September 2019 (the one posting that ended). The training list holds two classes, as in
DESIGN.md's story but small: a rotation class (能力提升班, required) in two phases at the county
Party school, and a study tour (能力发展班) to Bijie for selected people; one secretary missed the
first phase and came to the second, one secretary went on the tour only. Each file has a title
row, Chinese headers in the department's own words, and columns the dashboard does not read
(序号, 联系电话, 派出单位 in the training list, 备注). Load the divisions and households first, then:

    python -m lib.load postings data/samples/postings.xlsx
    python -m lib.load training data/samples/training.xlsx

tests/test_load_staff.py checks the training page's figures against what these files say. ID
numbers are well formed (scripts/make_samples.id_number) with serials from 101, clear of the
household heads' 1–24; a serial's last digit is odd for men and even for women, as the standard
has it.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook

try:  # run as a script (python scripts/samples_staff.py) or imported as scripts.samples_staff
    from scripts.make_samples import DIVISIONS, id_number
except ModuleNotFoundError:  # pragma: no cover - the script's own folder is on the path instead
    from make_samples import DIVISIONS, id_number  # type: ignore[import-not-found,no-redef]

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
D = dt.date

# name, gender, birth (YYYYMMDD), sending unit
PEOPLE: list[tuple[str, str, str, str]] = [
    ("王建华", "男", "19780512", "县财政局"),
    ("刘芳", "女", "19860303", "县财政局"),
    ("陈立新", "男", "19750921", "县教育局"),
    ("赵海涛", "男", "19820714", "县教育局"),
    ("孙丽", "女", "19900118", "县卫健委"),
    ("周明", "男", "19881102", "县人社局"),
    ("吴国庆", "男", "19761001", "县发改委"),
    ("郑敏", "女", "19870626", "县交通局"),
    ("黄志刚", "男", "19800229", "县商务局"),
    ("林静", "女", "19910807", "县水利局"),
    ("徐文斌", "男", "19920415", "县商务局"),
    ("马俊", "男", "19790330", "县林业局"),
    ("胡晓燕", "女", "19891212", "县林业局"),
]


def _serials() -> dict[str, int]:
    """Each person's serial: from 101 up, odd for men and even for women."""
    serials: dict[str, int] = {}
    serial = 100
    for name, gender, _birth, _unit in PEOPLE:
        serial += 1
        if (serial % 2 == 1) != (gender == "男"):
            serial += 1
        serials[name] = serial
    return serials


SERIALS = _serials()


def person_id(name: str) -> str:
    birth = next(b for n, _g, b, _u in PEOPLE if n == name)
    return id_number(SERIALS[name], birth)


# name, village code ("" where the roster names the village instead), 职务, start, end
FS, MEMBER = "第一书记", "工作队员"
POSTINGS: list[tuple[str, str, str, dt.date, dt.date | None]] = [
    ("王建华", "349902101201", "第一书记（工作队长）", D(2017, 9, 1), None),
    ("刘芳", "349902101201", MEMBER, D(2018, 3, 1), None),
    ("陈立新", "349902101202", FS, D(2015, 10, 8), D(2019, 8, 31)),
    ("赵海涛", "349902101202", FS, D(2019, 9, 5), None),
    ("孙丽", "349902101202", MEMBER, D(2019, 9, 5), None),
    ("周明", "349902101202", "队员", D(2018, 5, 2), None),
    ("吴国庆", "349902102201", FS, D(2017, 3, 15), None),
    ("郑敏", "349902102201", MEMBER, D(2017, 3, 15), None),
    ("黄志刚", "349902201201", FS, D(2018, 1, 10), None),
    ("林静", "349902201201", MEMBER, D(2018, 1, 10), None),
    ("徐文斌", "349902201201", MEMBER, D(2019, 4, 1), None),
    ("马俊", "", FS, D(2016, 11, 1), None),  # 高山村, by its town's and its own name
    ("胡晓燕", "", MEMBER, D(2016, 11, 1), None),
]
NAMED_VILLAGE = "349902201202"  # the rows above with no code are in this village

POSTING_HEADERS = [
    "序号",
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
    "联系电话",
]

ROTATION = "2019年第一书记能力提升班"
TOUR = "2019年第一书记能力发展班（毕节）"
SCHOOL = "县委党校"
ROTATION_TOPICS = "扶贫资金管理、政策解读、农村宣讲技巧、乡村旅游、教育扶贫"
TOUR_TOPICS = "农村电商；试验区发展路径"
# class, 类型, phase, place, start, end, 天数 ("" = not given), 计划人数 ("" = not given), topics
SESSIONS: dict[str, tuple[str, str, int, str, dt.date, dt.date, Any, Any, str]] = {
    "rotation-1": (ROTATION, "轮训", 1, SCHOOL, D(2019, 5, 13), D(2019, 5, 17), 5, "", ROTATION_TOPICS),
    "rotation-2": (ROTATION, "轮训", 2, SCHOOL, D(2019, 9, 16), D(2019, 9, 20), "", "", ROTATION_TOPICS),
    "tour": (TOUR, "培训考察", 1, "贵州省毕节市", D(2019, 11, 4), D(2019, 11, 8), 5, 2, TOUR_TOPICS),
}
# session, name, 出勤情况
ATTENDANCE: list[tuple[str, str, str]] = [
    ("rotation-1", "王建华", "参训"),
    ("rotation-1", "陈立新", "已参加"),
    ("rotation-1", "吴国庆", "参训"),
    ("rotation-1", "黄志刚", "缺席"),
    ("rotation-2", "赵海涛", "参训"),
    ("rotation-2", "黄志刚", "出勤"),
    ("tour", "马俊", "参训"),
    ("tour", "胡晓燕", "参训"),
]
TRAINING_HEADERS = [
    "序号",
    "培训班名称",
    "类型",
    "年度",
    "期次",
    "培训地点",
    "开始日期",
    "结束日期",
    "天数",
    "计划人数",
    "培训主题",
    "姓名",
    "身份证号码",
    "派出单位",
    "出勤情况",
    "备注",
]


def _book(
    title: str, sheet_title: str, headers: list[str], rows: list[list[Any]], text_columns: str
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title
    sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for letter in text_columns:  # codes and ID numbers as text, as the department types them
        for cell in sheet[letter][2:]:
            cell.number_format = "@"
    for column in sheet.iter_cols(min_row=3):
        for cell in column:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def postings_xlsx() -> bytes:
    """The roster: a title row, the department's headers, one posting a row."""
    names = {code: name for code, name, *_ in DIVISIONS}
    people = {name: (gender, birth, unit) for name, gender, birth, unit in PEOPLE}
    rows = []
    for number, (name, code, role, start, end) in enumerate(POSTINGS, start=1):
        gender, birth, unit = people[name]
        village = code or NAMED_VILLAGE
        rows.append(
            [
                number,
                name,
                gender,
                f"{birth[:4]}.{birth[4:6]}",
                person_id(name),
                unit,
                names[village[:9] + "000"],
                names[village],
                code,
                role,
                start,
                end,
                f"139{number:08d}",
            ]
        )
    return _book("青山县驻村第一书记和工作队员花名册（样例，虚构）", "驻村干部", POSTING_HEADERS, rows, "EI")


def training_xlsx() -> bytes:
    """The training list: a title row, the department's headers, one person in one session a row."""
    units = {name: unit for name, _gender, _birth, unit in PEOPLE}
    rows = []
    for number, (key, name, status) in enumerate(ATTENDANCE, start=1):
        programme, kind, phase, place, start, end, days, capacity, topics = SESSIONS[key]
        rows.append(
            [
                number,
                programme,
                kind,
                start.year,
                f"第{phase}期",
                place,
                start,
                end,
                days,
                capacity,
                topics,
                name,
                person_id(name),
                units[name],
                status,
                "",
            ]
        )
    return _book("青山县2019年驻村第一书记培训名单（样例，虚构）", "培训名单", TRAINING_HEADERS, rows, "M")


def main() -> None:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    (SAMPLES / "postings.xlsx").write_bytes(postings_xlsx())
    (SAMPLES / "training.xlsx").write_bytes(training_xlsx())
    print(f"wrote postings.xlsx, training.xlsx in {SAMPLES}")


if __name__ == "__main__":
    main()
