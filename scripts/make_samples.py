"""Write data/samples/: a small fictional county's files, in the forms a real county has them.

    .venv/bin/python scripts/make_samples.py

青山县 (349902, fictional): 3 towns, 7 villages, 24 registered households. The household
register is laid out as the national poverty-alleviation information system exports it: a title
row, then Chinese headers, with columns the dashboard does not read (序号, 联系电话, …) and the
system's own words for statuses and causes. The README's walk-through loads these files and
tests/test_county_load.py checks every page's counts against what the files say.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import shapefile
from openpyxl import Workbook
from pyproj import CRS, Transformer
from pyproj.enums import WktVersion

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"

COUNTY = ("349902000000", "青山县")
# code, name, English (blank: made from the Chinese), poor village, planned exit, actual exit,
# population, lon, lat
DIVISIONS = [
    ("349902101000", "青山镇", "", "", "", "", "", "", ""),
    ("349902101201", "青山村", "", "是", 2018, 2018, 1820, 116.5012, 31.2105),
    ("349902101202", "桃园村", "Taoyuan Village", "是", 2019, "", 1460, 116.5230, 31.2290),
    ("349902101203", "新街社区", "", "否", "", "", 3120, "", ""),
    ("349902102000", "河口镇", "Hekou Town", "", "", "", "", "", ""),
    ("349902102201", "河口村", "", "是", 2017, 2017, 2210, 116.5805, 31.1702),
    ("349902102202", "柳树村", "", "否", "", "", 980, 116.5950, 31.1811),
    ("349902201000", "石门乡", "", "", "", "", "", "", ""),
    ("349902201201", "石门村", "", "是", 2020, "", 1340, 116.4620, 31.1440),
    ("349902201202", "高山村", "Gaoshan Village", "是", 2019, 2019, 760, 116.4401, 31.1298),
]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_number(serial: int, birth: str, region: str = COUNTY[0][:6]) -> str:
    """A well-formed identity number of a person born on `birth` (YYYYMMDD) in `region` (the county)."""
    first17 = f"{region}{birth}{serial:03d}"
    return first17 + ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


# 户编号, 户主姓名, birth, village code, 家庭人口数, 劳动力人数, 主要致贫原因, 其他致贫原因,
# 贫困户状态, 脱贫年度, 识别年度, 住房安全等级, 饮水安全, 两不愁三保障 (吃, 穿, 教育, 医疗, 住房),
# 帮扶责任人, 帮扶单位, 人均纯收入
YES, NO = "是", "否"
ALL_MET = (YES, YES, YES, YES, YES)
HOUSEHOLDS = [
    (
        "3499020101001",
        "张德明",
        "19620314",
        "349902101201",
        4,
        2,
        "因病",
        "缺技术",
        "已脱贫",
        2017,
        2014,
        "A",
        YES,
        ALL_MET,
        "李红",
        "县财政局",
        6820,
    ),
    (
        "3499020101002",
        "王秀英",
        "19580722",
        "349902101201",
        2,
        0,
        "因残",
        "",
        "已脱贫",
        2018,
        2014,
        "B",
        YES,
        ALL_MET,
        "李红",
        "县财政局",
        5210,
    ),
    (
        "3499020101003",
        "刘志强",
        "19751105",
        "349902101201",
        5,
        3,
        "缺资金",
        "缺技术、因学",
        "已脱贫享受政策",
        2018,
        2015,
        "A",
        YES,
        ALL_MET,
        "陈刚",
        "县农业农村局",
        7340,
    ),
    (
        "3499020101004",
        "陈桂兰",
        "19490918",
        "349902101201",
        1,
        0,
        "缺劳动力",
        "因病",
        "脱贫不稳定户",
        2018,
        2014,
        "B",
        YES,
        ALL_MET,
        "陈刚",
        "县农业农村局",
        4380,
    ),
    (
        "3499020102001",
        "赵建国",
        "19680211",
        "349902101202",
        4,
        2,
        "因学",
        "",
        "未脱贫",
        "",
        2016,
        "C",
        NO,
        (YES, YES, YES, YES, NO),
        "周敏",
        "县教育局",
        3650,
    ),
    (
        "3499020102002",
        "孙玉兰",
        "19600430",
        "349902101202",
        3,
        1,
        "因病",
        "因残",
        "已脱贫",
        2019,
        2014,
        "B",
        YES,
        ALL_MET,
        "周敏",
        "县教育局",
        5980,
    ),
    (
        "3499020102003",
        "周国华",
        "19820617",
        "349902101202",
        4,
        2,
        "缺技术",
        "",
        "已脱贫",
        2019,
        2017,
        "A",
        YES,
        ALL_MET,
        "吴强",
        "县人社局",
        8120,
    ),
    (
        "3499020102004",
        "吴淑珍",
        "19551209",
        "349902101202",
        2,
        1,
        "因灾",
        "",
        "边缘易致贫户",
        "",
        2020,
        "B",
        YES,
        ALL_MET,
        "吴强",
        "县人社局",
        4510,
    ),
    (
        "3499020102005",
        "郑大伟",
        "19790325",
        "349902101202",
        5,
        2,
        "缺土地",
        "缺资金",
        "未脱贫",
        "",
        2018,
        "D",
        YES,
        (YES, YES, YES, NO, NO),
        "吴强",
        "县人社局",
        3120,
    ),
    (
        "3499020103001",
        "冯春梅",
        "19700808",
        "349902101203",
        3,
        1,
        "因病",
        "",
        "已脱贫",
        2016,
        2014,
        "A",
        YES,
        ALL_MET,
        "郑丽",
        "县卫健委",
        7760,
    ),
    (
        "3499020201001",
        "何长青",
        "19630119",
        "349902102201",
        4,
        2,
        "缺资金",
        "",
        "已脱贫",
        2016,
        2014,
        "A",
        YES,
        ALL_MET,
        "何平",
        "县发改委",
        9010,
    ),
    (
        "3499020201002",
        "吕秀云",
        "19571027",
        "349902102201",
        2,
        1,
        "因病",
        "",
        "已脱贫",
        2017,
        2014,
        "B",
        YES,
        ALL_MET,
        "何平",
        "县发改委",
        6150,
    ),
    (
        "3499020201003",
        "施永福",
        "19720505",
        "349902102201",
        6,
        3,
        "因学",
        "因病",
        "已脱贫",
        2017,
        2015,
        "A",
        YES,
        ALL_MET,
        "何平",
        "县发改委",
        7030,
    ),
    (
        "3499020201004",
        "张翠花",
        "19810716",
        "349902102201",
        3,
        2,
        "缺技术",
        "",
        "突发严重困难户",
        2017,
        2016,
        "B",
        YES,
        ALL_MET,
        "蒋伟",
        "县交通局",
        4620,
    ),
    (
        "3499020201005",
        "孔德胜",
        "19540302",
        "349902102201",
        1,
        0,
        "因残",
        "",
        "已脱贫",
        2017,
        2014,
        "B",
        YES,
        ALL_MET,
        "蒋伟",
        "县交通局",
        5090,
    ),
    (
        "3499020202001",
        "曹玉珍",
        "19661124",
        "349902102202",
        3,
        2,
        "缺资金",
        "",
        "已脱贫",
        2019,
        2017,
        "A",
        YES,
        ALL_MET,
        "蒋伟",
        "县交通局",
        6640,
    ),
    (
        "3499020202002",
        "严光明",
        "19880913",
        "349902102202",
        4,
        2,
        "缺劳力",
        "",
        "未脱贫",
        "",
        2019,
        "C",
        YES,
        (YES, YES, YES, YES, NO),
        "韩梅",
        "县水利局",
        3480,
    ),
    (
        "3499020301001",
        "华素琴",
        "19590601",
        "349902201201",
        2,
        1,
        "因病",
        "",
        "未脱贫",
        "",
        2014,
        "B",
        NO,
        (YES, YES, YES, YES, YES),
        "韩梅",
        "县水利局",
        3900,
    ),
    (
        "3499020301002",
        "金大山",
        "19770228",
        "349902201201",
        5,
        3,
        "缺技术",
        "缺资金",
        "已脱贫",
        2020,
        2015,
        "A",
        YES,
        ALL_MET,
        "杨帆",
        "县商务局",
        6480,
    ),
    (
        "3499020301003",
        "魏兰英",
        "19611011",
        "349902201201",
        3,
        1,
        "因残",
        "因病",
        "监测户",
        2019,
        2014,
        "B",
        YES,
        ALL_MET,
        "杨帆",
        "县商务局",
        4720,
    ),
    (
        "3499020301004",
        "陶建华",
        "19740414",
        "349902201201",
        4,
        2,
        "因学",
        "",
        "未脱贫",
        "",
        2016,
        "B",
        YES,
        ALL_MET,
        "杨帆",
        "县商务局",
        3870,
    ),
    (
        "3499020302001",
        "姜春生",
        "19650820",
        "349902201202",
        3,
        1,
        "因病",
        "",
        "已脱贫",
        2018,
        2014,
        "A",
        YES,
        ALL_MET,
        "朱琳",
        "县林业局",
        7210,
    ),
    (
        "3499020302002",
        "戚秀兰",
        "19530127",
        "349902201202",
        1,
        0,
        "缺劳动力",
        "",
        "已脱贫",
        2019,
        2014,
        "B",
        YES,
        ALL_MET,
        "朱琳",
        "县林业局",
        4960,
    ),
    (
        "3499020302003",
        "谢永刚",
        "19830319",
        "349902201202",
        5,
        3,
        "缺资金",
        "缺技术",
        "已脱贫",
        2019,
        2016,
        "A",
        YES,
        ALL_MET,
        "朱琳",
        "县林业局",
        8330,
    ),
]
INCOME_YEAR = 2019
HOUSEHOLD_HEADERS = [
    "序号",
    "户编号",
    "户主姓名",
    "证件号码",
    "所在乡镇",
    "所在村",
    "行政区划代码",
    "家庭人口数",
    "劳动力人数",
    "主要致贫原因",
    "其他致贫原因",
    "贫困户状态",
    "脱贫年度",
    "识别年度",
    "住房安全等级",
    "饮水安全",
    "不愁吃",
    "不愁穿",
    "义务教育有保障",
    "基本医疗有保障",
    "住房安全有保障",
    "帮扶责任人",
    "帮扶单位",
    "人均纯收入",
    "收入年度",
    "联系电话",
    "开户银行",
]


def divisions_csv() -> bytes:
    """The division list as a statistics office sends it: CSV, GB 18030, the county's row first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "统计用区划代码",
            "名称",
            "英文名称",
            "是否贫困村",
            "计划出列年度",
            "出列年度",
            "户籍人口",
            "经度",
            "纬度",
        ]
    )
    writer.writerow([COUNTY[0], COUNTY[1], "", "", "", "", "", "", ""])
    for row in DIVISIONS:
        writer.writerow(row)
    return out.getvalue().encode("gb18030")


def households_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "建档立卡户"
    sheet.append(["青山县建档立卡贫困户基本信息（样例，虚构）"])
    sheet.append(HOUSEHOLD_HEADERS)
    names = {code: name for code, name, *_ in DIVISIONS}
    for number, record in enumerate(HOUSEHOLDS, start=1):
        (
            archive,
            head,
            birth,
            village,
            members,
            labour,
            cause,
            other,
            status,
            exit_year,
            registered,
            grade,
            water,
            met,
            helper,
            unit,
            income,
        ) = record
        town = names[village[:9] + "000"]
        sheet.append(
            [
                number,
                archive,
                head,
                id_number(number, birth),
                town,
                names[village],
                village,
                members,
                labour,
                cause,
                other,
                status,
                exit_year,
                registered,
                grade,
                water,
                *met,
                helper,
                unit,
                income,
                INCOME_YEAR,
                f"138{number:08d}",
                "县农商行",
            ]
        )
    for row in sheet.iter_rows(min_row=3, min_col=2, max_col=7):
        for cell in row:
            cell.number_format = "@"  # codes and ID numbers as text, as the export has them
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Outlines: rectangles with a ragged northern edge, the villages strips of their town.
# code → (west, south, east, north) in degrees
TOWN_BOXES = {
    "349902101000": (116.48, 31.19, 116.56, 31.25),
    "349902102000": (116.56, 31.15, 116.62, 31.20),
    "349902201000": (116.42, 31.11, 116.48, 31.17),
}
VILLAGE_STRIPS = {
    "349902101000": ["349902101201", "349902101202", "349902101203"],
    "349902102000": ["349902102201", "349902102202"],
    "349902201000": ["349902201202", "349902201201"],
}
PROJECTED_EPSG = 4548  # CGCS2000 / 3-degree Gauss-Kruger CM 117E, as county land surveys use


def _ring(west: float, south: float, east: float, north: float) -> list[tuple[float, float]]:
    """A closed ring, counter-clockwise, its northern edge in five ragged steps."""
    steps = 5
    top = [(east - (east - west) * i / steps, north - (0.004 if i % 2 else 0.0)) for i in range(steps + 1)]
    return [(west, south), (east, south), *top, (west, south)]


def village_boxes() -> dict[str, tuple[float, float, float, float]]:
    boxes = {}
    for town, villages in VILLAGE_STRIPS.items():
        west, south, east, north = TOWN_BOXES[town]
        width = (east - west) / len(villages)
        for index, code in enumerate(villages):
            boxes[code] = (west + index * width, south, west + (index + 1) * width, north)
    return boxes


def towns_shapefile_zip() -> bytes:
    """The towns as a land-survey layer: a zipped Shapefile in projected metres (EPSG:4548), XZQDM
    and XZQMC in a GBK .dbf without a .cpg, the county's outline as one more feature."""
    to_metres = Transformer.from_crs(4326, PROJECTED_EPSG, always_xy=True)
    names = {code: name for code, name, *_ in DIVISIONS}
    features = [(COUNTY[0], COUNTY[1], (116.42, 31.11, 116.62, 31.25))]
    features += [(code, names[code], box) for code, box in TOWN_BOXES.items()]
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding="gbk") as writer:
        writer.field("OBJECTID", "N", 10)
        writer.field("XZQDM", "C", 12)
        writer.field("XZQMC", "C", 60)
        for number, (code, name, box) in enumerate(features, start=1):
            ring = [to_metres.transform(lon, lat) for lon, lat in _ring(*box)]
            writer.poly([list(reversed(ring))])  # a Shapefile's outer rings run clockwise
            writer.record(number, code, name)
    prj = CRS.from_epsg(PROJECTED_EPSG).to_wkt(WktVersion.WKT1_ESRI)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for suffix, part in (("shp", shp), ("shx", shx), ("dbf", dbf)):
            archive.writestr(f"乡镇界线.{suffix}", part.getvalue())
        archive.writestr("乡镇界线.prj", prj)
    return buffer.getvalue()


def villages_geojson() -> bytes:
    """The villages as GeoJSON in WGS84, with `code` and `name`."""
    names = {code: name for code, name, *_ in DIVISIONS}
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": names[code]},
            "geometry": {"type": "Polygon", "coordinates": [[list(point) for point in _ring(*box)]]},
        }
        for code, box in village_boxes().items()
    ]
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, indent=1).encode("utf-8")


def main() -> None:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    (SAMPLES / "divisions.csv").write_bytes(divisions_csv())
    (SAMPLES / "households.xlsx").write_bytes(households_xlsx())
    (SAMPLES / "towns.zip").write_bytes(towns_shapefile_zip())
    (SAMPLES / "villages.geojson").write_bytes(villages_geojson())
    print(f"wrote {', '.join(sorted(p.name for p in SAMPLES.iterdir()))} in {SAMPLES}")


if __name__ == "__main__":
    main()
