"""Write data/samples/organisations.xlsx and plans.xlsx: the sample county's enterprises,
cooperatives and industry plans, as a county's poverty-alleviation office keeps them.

    .venv/bin/python scripts/samples_industry.py

青山县 (349902, fictional, scripts/make_samples.py): two enterprises and two cooperatives with
their links to the registered households (every benefit type: land rent, dividend, wages,
guaranteed purchase), and an industry plan for most households with labour, in every stage. Each
file has a title row, Chinese headers in the county's own words, and columns the dashboard does
not read (序号, 户主姓名, 备注). Load the divisions and households first, then these:

    python -m lib.load organisations data/samples/organisations.xlsx
    python -m lib.load plans data/samples/plans.xlsx

tests/test_load_industry.py checks the industry page's figures against what these files say.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
COUNTY_CODE = "349902"

# GB 32100 (the credit code) and GB 11714 (the organisation code inside it)
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code(body: str) -> str:
    """The 9-character organisation code (GB 11714) of 8 characters: theirs and a check character."""
    total = sum(
        (int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body, ORG_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(authority_and_kind: str, body: str) -> str:
    """A well-formed credit code of an organisation registered in the county: "91" an enterprise,
    "93" a farmers' cooperative (both registered by market regulation)."""
    first17 = authority_and_kind + COUNTY_CODE + _org_code(body)
    total = sum(CREDIT_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return first17 + CREDIT_ALPHABET[(31 - total % 31) % 31]


# credit code, name, 类型 as the office writes it, 所属产业, 所在乡镇 (a name, or the town's code)
PEACH = (credit_code("91", "MA2NB3K1"), "青山县桃源黄桃食品有限公司", "龙头企业", "黄桃", "青山镇")
PROCESSING = (
    credit_code("91", "MA2PC7L4"),
    "青山县河口农产品加工有限公司",
    "公司",
    "农产品加工",
    "349902102",
)
FUNGI = (credit_code("93", "MA2QD5R8"), "青山县青山村食用菌专业合作社", "专业合作社", "食用菌", "青山镇")
GOATS = (credit_code("93", "MA2TE6W2"), "青山县石门山羊养殖专业合作社", "基地", "山羊", "石门乡")
ORGANISATIONS = (PEACH, PROCESSING, FUNGI, GOATS)

D = dt.date
# organisation, 户编号 (None: the row only registers the organisation), 带动方式, 联结时间, 年收益（元）
LINKS: list[tuple[tuple[str, ...], str | None, str | None, dt.date | None, int | None]] = [
    (PEACH, "3499020102001", "土地流转", D(2017, 3, 1), 1200),
    (PEACH, "3499020102002", "租金", D(2017, 3, 1), 800),
    (PEACH, "3499020102005", "土地流转", D(2018, 3, 1), 1500),
    (PEACH, "3499020102001", "务工", D(2017, 5, 1), 6000),
    (PEACH, "3499020102003", "工资", D(2017, 5, 1), 7200),
    (PROCESSING, None, None, None, None),
    (PROCESSING, "3499020201001", "务工", D(2016, 6, 1), 5400),
    (PROCESSING, "3499020201004", "务工", D(2018, 7, 1), 4800),
    (PROCESSING, "3499020202001", "保底收购", D(2018, 3, 1), 2600),
    (PROCESSING, "3499020201003", "订单收购", D(2019, 4, 1), None),
    (FUNGI, "3499020101001", "入股分红", D(2016, 5, 1), 600),
    (FUNGI, "3499020101002", "分红", D(2016, 5, 1), 500),
    (FUNGI, "3499020101004", "入股分红", D(2017, 1, 1), 500),
    (FUNGI, "3499020101003", "入股分红", D(2017, 4, 1), 600),
    (FUNGI, "3499020101003", "保底收购", D(2017, 4, 1), 3500),
    (FUNGI, "3499020103001", "保底收购", D(2018, 4, 1), 2000),
    (GOATS, "3499020301001", "入股分红", D(2017, 6, 1), 800),
    (GOATS, "3499020302002", "分红", D(2017, 6, 1), 800),
    (GOATS, "3499020301002", "土地流转", None, 1000),
    (GOATS, "3499020302001", "土地流转", D(2016, 1, 1), 900),
    (GOATS, "3499020302003", "务工", D(2018, 6, 1), 3600),
]
ORGANISATION_HEADERS = [
    "序号",
    "统一社会信用代码",
    "企业（合作社）名称",
    "类型",
    "所属产业",
    "所在乡镇",
    "户编号",
    "户主姓名",
    "带动方式",
    "联结时间",
    "年收益（元）",
    "备注",
]

# 户编号, 产业, 进展, 制定日期, 启动日期, 进展日期, 预期增收, 实际增收, 带动主体 (name or credit code)
PLANS: list[tuple[Any, ...]] = [
    (
        "3499020101001",
        "食用菌",
        "稳定增收",
        D(2016, 3, 10),
        D(2016, 5, 1),
        D(2018, 10, 1),
        6000,
        7200,
        FUNGI[1],
    ),
    ("3499020101003", "食用菌", "已投产", D(2017, 2, 15), D(2017, 4, 1), D(2018, 9, 1), 8000, 5000, FUNGI[0]),
    (
        "3499020101003",
        "外出务工",
        "稳定增收",
        D(2016, 3, 1),
        D(2016, 3, 20),
        D(2017, 12, 1),
        15000,
        18000,
        None,
    ),
    ("3499020101004", "光伏", "稳定增收", D(2017, 1, 1), D(2017, 6, 30), D(2018, 6, 30), 3000, 3100, None),
    ("3499020102001", "黄桃", "已投产", D(2017, 3, 1), D(2017, 3, 15), D(2019, 7, 1), 8000, 6500, PEACH[1]),
    ("3499020102002", "黄桃", "已启动", D(2019, 3, 1), "2019年4月10日", None, 6000, None, PEACH[1]),
    (
        "3499020102003",
        "扶贫车间",
        "稳定增收",
        D(2017, 6, 1),
        D(2017, 6, 15),
        D(2018, 12, 1),
        10000,
        12000,
        None,
    ),
    ("3499020102005", "黄桃", "计划", D(2020, 3, 1), None, None, 6000, None, None),
    ("3499020103001", "蔬菜", "见效", D(2018, 3, 1), D(2018, 4, 1), D(2019, 5, 1), 5000, 4200, None),
    (
        "3499020201001",
        "农产品加工",
        "稳定增收",
        D(2016, 4, 1),
        D(2016, 6, 1),
        D(2018, 6, 1),
        8000,
        9000,
        PROCESSING[1],
    ),
    ("3499020201003", "外出务工", "实施中", D(2019, 2, 1), D(2019, 3, 1), None, 20000, None, None),
    ("3499020201004", "小龙虾", "规划", D(2020, 4, 1), None, None, 8000, None, None),
    (
        "3499020202001",
        "蔬菜",
        "已投产",
        D(2018, 2, 1),
        D(2018, 3, 1),
        D(2019, 4, 1),
        6000,
        5500,
        PROCESSING[1],
    ),
    ("3499020301001", "山羊", "producing", D(2017, 5, 1), D(2017, 6, 1), D(2018, 8, 1), 5000, 4500, GOATS[1]),
    ("3499020301002", "山羊", "已启动", D(2019, 5, 1), D(2019, 6, 1), None, 5000, None, GOATS[1]),
    ("3499020301003", "中药材", "计划", D(2020, 2, 1), None, None, 6000, None, None),
    (
        "3499020302001",
        "光伏发电",
        "稳定增收",
        D(2016, 1, 10),
        D(2016, 6, 30),
        D(2017, 6, 30),
        3000,
        3000,
        None,
    ),
    ("3499020302003", "肉牛", "已投产", D(2018, 5, 1), D(2018, 6, 1), D(2019, 10, 1), 10000, 8000, None),
]
PLAN_HEADERS = [
    "序号",
    "户编号",
    "户主姓名",
    "产业",
    "进展",
    "制定日期",
    "启动日期",
    "进展日期",
    "预期增收（元）",
    "实际增收（元）",
    "带动主体",
    "备注",
]

# The household heads (scripts/make_samples.py), for the column the office keeps and we don't read.
HEADS = {
    "3499020101001": "张德明",
    "3499020101002": "王秀英",
    "3499020101003": "刘志强",
    "3499020101004": "陈桂兰",
    "3499020102001": "赵建国",
    "3499020102002": "孙玉兰",
    "3499020102003": "周国华",
    "3499020102005": "郑大伟",
    "3499020103001": "冯春梅",
    "3499020201001": "何长青",
    "3499020201003": "施永福",
    "3499020201004": "张翠花",
    "3499020202001": "曹玉珍",
    "3499020301001": "华素琴",
    "3499020301002": "金大山",
    "3499020301003": "魏兰英",
    "3499020302001": "姜春生",
    "3499020302002": "戚秀兰",
    "3499020302003": "谢永刚",
}


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
    for number, header in enumerate(headers, start=1):
        for (cell,) in sheet.iter_rows(min_row=3, min_col=number, max_col=number):
            if header in text_columns.split(","):
                cell.number_format = "@"  # codes as text, as the office keeps them
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def organisations_xlsx() -> bytes:
    rows = []
    for number, (org, archive_no, benefit, since, amount) in enumerate(LINKS, start=1):
        code, name, kind, industry, town = org
        note = "仅登记主体" if archive_no is None else ""
        head = HEADS.get(archive_no, "") if archive_no else ""
        rows.append(
            [number, code, name, kind, industry, town, archive_no, head, benefit, since, amount, note]
        )
    return _book(
        "青山县带贫企业和合作社利益联结明细表（样例，虚构）",
        "利益联结",
        ORGANISATION_HEADERS,
        rows,
        "统一社会信用代码,所在乡镇,户编号",
    )


def plans_xlsx() -> bytes:
    rows = []
    for number, (
        archive_no,
        industry,
        stage,
        planned,
        started,
        since,
        expected,
        actual,
        partner,
    ) in enumerate(PLANS, start=1):
        rows.append(
            [
                number,
                archive_no,
                HEADS[archive_no],
                industry,
                stage,
                planned,
                started,
                since,
                expected,
                actual,
                partner,
                "",
            ]
        )
    return _book("青山县贫困户产业发展计划台账（样例，虚构）", "产业计划", PLAN_HEADERS, rows, "户编号")


def main() -> None:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    (SAMPLES / "organisations.xlsx").write_bytes(organisations_xlsx())
    (SAMPLES / "plans.xlsx").write_bytes(plans_xlsx())
    print(f"wrote organisations.xlsx, plans.xlsx in {SAMPLES}")


if __name__ == "__main__":
    main()
