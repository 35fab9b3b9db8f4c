"""Time loading a city's own files, as python -m lib.load does: the division list, then a household
register of 300,000 rows in the national export's format, then the same register again.

    .venv/bin/python -m bench.register_load --url sqlite:////tmp/city.db [--households 300000]

The database must be empty (it is migrated here). The files are made once and kept in bench/tmp/
(git-ignored): 10 counties of 25 towns of 16 villages, households spread evenly over the villages.
Prints one JSON document on stdout: seconds and CPU seconds of each step, and the peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.schema import upgrade
from lib.files.loads import read_file
from lib.rules.permissions import COMMAND_LINE
from lib.services.loading import check_load, run_load
from scripts.make_samples import HOUSEHOLD_HEADERS, id_number

TMP = Path(__file__).resolve().parent / "tmp"
COUNTIES, TOWNS, VILLAGES = 10, 25, 16
AS_OF = dt.date(2020, 10, 31)
STATUSES = ("已脱贫", "已脱贫", "已脱贫", "未脱贫", "监测户", "脱贫不稳定户")
CAUSES = ("因病", "因残", "因学", "因灾", "缺土地", "缺技术", "缺劳力", "缺资金")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "德明秀英志强桂兰建国玉华春梅长青永福翠花"


def village_codes() -> list[str]:
    return [
        f"34{county + 10:02d}01{town:03d}{village + 200:03d}"
        for county in range(COUNTIES)
        for town in range(100, 100 + TOWNS)
        for village in range(1, VILLAGES + 1)
    ]


def divisions_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["统计用区划代码", "名称", "是否贫困村"])
    towns_done: set[str] = set()
    for index, code in enumerate(village_codes()):
        town = code[:9] + "000"
        if town not in towns_done:
            towns_done.add(town)
            writer.writerow([town, f"第{len(towns_done)}镇", ""])
        writer.writerow([code, f"第{index + 1}村", "是" if index % 3 == 0 else "否"])
    return out.getvalue().encode("utf-8")


def register_xlsx(households: int) -> bytes:
    """A register of `households` rows as the national system exports it (write-only, so a 300k-row
    file is made in a minute or two without holding it in memory)."""
    rng = random.Random(42)
    villages = village_codes()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("建档立卡户")
    sheet.append(["某市建档立卡贫困户基本信息（基准测试，虚构）"])
    sheet.append(HOUSEHOLD_HEADERS)
    for number in range(1, households + 1):
        village = villages[number % len(villages)]
        members = rng.randint(1, 6)
        status = rng.choice(STATUSES)
        exited = status != "未脱贫"
        # (birth date, serial) differs for every row, so no two heads share an ID number
        birth = (dt.date(1940, 1, 1) + dt.timedelta(days=number // 1000)).strftime("%Y%m%d")
        sheet.append(
            [
                number,
                f"34{number:011d}",
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                id_number(number % 1000, birth, region=village[:6]),
                "",
                "",
                village,
                members,
                rng.randint(0, members),
                rng.choice(CAUSES),
                "",
                status,
                rng.randint(2016, 2020) if exited else "",
                rng.randint(2014, 2015),
                rng.choice("ABCD"),
                "是",
                "是",
                "是",
                "是",
                "是",
                "是",
                "",
                "",
                rng.randint(2500, 12000),
                2019,
                "",
                "",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cached(name: str, make: Any) -> bytes:
    TMP.mkdir(exist_ok=True)
    path = TMP / name
    if not path.exists():
        path.write_bytes(make())
    return path.read_bytes()


def _timed(step: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = step()
    return value, round(time.perf_counter() - wall, 1), round(time.process_time() - cpu, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--households", type=int, default=300_000)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"households": args.households}
    _, result["make_files_s"], _ = _timed(
        lambda: (
            _cached("divisions-city.csv", divisions_csv),
            _cached(f"register-{args.households}.xlsx", lambda: register_xlsx(args.households)),
        )
    )
    divisions = _cached("divisions-city.csv", divisions_csv)
    register = _cached(f"register-{args.households}.xlsx", lambda: register_xlsx(args.households))
    result["register_mb"] = round(len(register) / 1024 / 1024, 1)
    engine = make_engine(args.url)
    upgrade(engine)

    def load(kind: str, data: bytes, key: str) -> None:
        upload, result[f"{key}_read_s"], result[f"{key}_read_cpu_s"] = _timed(lambda: read_file(data, kind))
        assert not upload.problems, upload.problems[:3]
        with Session(engine) as session:
            _, result[f"{key}_check_s"], _ = _timed(
                lambda: check_load(session, actor=COMMAND_LINE, kind=kind, upload=upload, as_of=AS_OF)
            )
        with Session(engine) as session:
            done, result[f"{key}_load_s"], result[f"{key}_load_cpu_s"] = _timed(
                lambda: run_load(session, actor=COMMAND_LINE, kind=kind, upload=upload, as_of=AS_OF)
            )
        assert not done.problems, done.problems[:3]
        result[f"{key}_added"] = done.count("add")
        result[f"{key}_unchanged"] = done.unchanged

    load("divisions", divisions, "divisions")
    load("households", register, "register")
    load("households", register, "register_again")
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
