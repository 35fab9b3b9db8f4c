"""README's "Your county in an afternoon", run as written on a fresh database (DEMO=0), then the
pages read as a user would: every count checked against what the sample files say (read here with
csv and openpyxl, not through the loaders)."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import admin, load, prestart
from lib.core import config
from lib.core.db import make_engine
from lib.core.models import Boundary
from lib.rules.permissions import COMMAND_LINE
from lib.services import auth
from lib.services.accounts import set_browse_without_sign_in
from tests.support.apptest import AppFactory

# All on one pytest-xdist worker (--dist loadgroup): the module's shared fixtures are built once,
# not by each worker that runs one of its tests.
pytestmark = pytest.mark.xdist_group("test_walkthrough")

README = config.ROOT / "README.md"
SAMPLES = config.ROOT / "data" / "samples"
ATTENDED = {"参训", "已参加", "出勤", "结业"}


def walkthrough_commands() -> list[str]:
    """The shell lines of the README's walk-through block, comments dropped."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Your county in an afternoon", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the walk-through has no ```sh block"
    return [line.split("  #")[0].strip() for line in block[1].splitlines() if line.strip()]


def _run(line: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """One README line, in this process (a subprocess a line took ~5 s of imports): `make prestart`
    as the Makefile runs it, `.venv/bin/python -m lib.X ARGS` as lib.X's main(ARGS)."""
    words = shlex.split(line)
    if words == ["DEMO=0", "make", "prestart"]:
        monkeypatch.setenv("DEMO", "0")
        return prestart.main()
    assert words[:2] == [".venv/bin/python", "-m"], (
        f"the walk-through has a line this test does not know: {line}"
    )
    module, argv = words[2], words[3:]
    if module == "lib.admin":
        assert argv[0] == "create-user"
        monkeypatch.setattr(sys, "stdin", io.StringIO("walkthrough-password\n"))
        return admin.main([*argv, "--password-stdin"])  # the README's user types it twice
    assert module == "lib.load", line
    return load.main(argv)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database the README's walk-through made, browsable without signing in."""
    url = f"sqlite:///{tmp_path_factory.mktemp('walkthrough') / 'qingshan.db'}"
    commands = walkthrough_commands()
    assert commands[0].startswith("export DATABASE_URL=") and commands[-1] == "DEMO=0 make run"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        for line in commands[1:-1]:
            assert _run(line, monkeypatch) == 0, line
    engine = make_engine(url)
    with Session(engine) as session:
        set_browse_without_sign_in(session, actor=COMMAND_LINE, enabled=True)
    engine.dispose()
    yield url


def _sheet(name: str) -> list[dict[str, Any]]:
    rows = list(load_workbook(SAMPLES / name, read_only=True).worksheets[0].iter_rows(values_only=True))
    header = rows[1]  # below the title row
    return [dict(zip(header, row, strict=False)) for row in rows[2:] if any(v is not None for v in row)]


def _divisions() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((SAMPLES / "divisions.csv").read_bytes().decode("gb18030"))))


def _tiles(at: Any) -> dict[str, tuple[str, str]]:
    """Each KPI tile's label → (value, the caption under it without the status word's badge that
    leads it): a tile is the smallest block holding one metric."""
    tiles = {}
    for node in _walk(at.main):
        if not getattr(node, "children", None):
            continue
        inside = list(_walk(node))
        metrics = [m for m in inside if type(m).__name__ == "Metric"]
        captions = [c.value for c in inside if type(c).__name__ == "Caption"]
        if len(metrics) == 1:
            caption = re.sub(r"^:[a-z]+-badge\[[^\]]*\] ", "", captions[0]) if captions else ""
            tiles[metrics[0].label] = (metrics[0].value, caption)
    return tiles


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def test_the_readme_block_loads_every_sample_file(loaded: str) -> None:
    kinds = [line.split()[3] for line in walkthrough_commands() if "-m lib.load" in line]
    assert sorted(set(kinds)) == sorted(
        ["divisions", "boundaries", "households", "postings", "training", "organisations", "plans"]
    )


def test_the_overview_shows_the_counts_the_files_imply(open_app: AppFactory, loaded: str) -> None:
    households = _sheet("households.xlsx")
    villages = [row for row in _divisions() if not row["统计用区划代码"].endswith("000")]
    postings = _sheet("postings.xlsx")
    serving = {
        row["身份证号码"] for row in postings if "第一书记" in row["职务"] and row["驻村结束时间"] is None
    }
    trained = {
        row["身份证号码"]
        for row in _sheet("training.xlsx")
        # the rotation, and the ability-development class (能力发展班), which counts too
        if (row["类型"] == "轮训" or "发展班" in row["培训班名称"])
        and row["出勤情况"] in ATTENDED
        and row["身份证号码"] in serving
    }
    labour = {row["户编号"] for row in households if row["劳动力人数"] > 0}
    planned = labour & {row["户编号"] for row in _sheet("plans.xlsx")}

    at = open_app(loaded, "app.py", lang="en")
    assert not at.exception
    tiles = _tiles(at)
    assert tiles["Villages"][0] == str(len(villages)) == "7"
    assert tiles["Poor households"][0] == str(len(households)) == "24"
    # each share tile's counts, then its target (TRAINING_TARGET and PLAN_COVERAGE_TARGET's defaults)
    assert tiles["Trained"][1] == f"{len(trained)} of {len(serving)} first secretaries · target 90.0%"
    assert (
        tiles["With a plan"][1] == f"{len(planned)} of {len(labour)} households with labour · target 100.0%"
    )
    assert not any("not fully loaded" in m.value for m in at.markdown)  # the setup notice is gone


def test_the_training_page_counts_the_rosters(open_app: AppFactory, loaded: str) -> None:
    postings = _sheet("postings.xlsx")
    serving = {
        row["身份证号码"] for row in postings if "第一书记" in row["职务"] and row["驻村结束时间"] is None
    }
    at = open_app(loaded, "pages/training.py", lang="en")
    assert not at.exception
    coverage = _tiles(at)["Coverage"]
    assert coverage[1].endswith(f"of {len(serving)} serving first secretaries · target 90.0%"), coverage


def test_the_industry_and_assessment_pages_read_the_loaded_county(open_app: AppFactory, loaded: str) -> None:
    households = _sheet("households.xlsx")
    for page in ("pages/industry.py", "pages/assessment.py"):
        at = open_app(loaded, page, lang="en")
        assert not at.exception, page
        assert not [i.value for i in at.info if "holds no data yet" in i.value], page
    at = open_app(loaded, "pages/assessment.py", lang="en")
    assert any(str(len(households)) in caption.value for caption in at.caption)


def test_the_map_outlines_are_the_loaded_ones(loaded: str) -> None:
    villages = [row for row in _divisions() if not row["统计用区划代码"].endswith("000")]
    engine = make_engine(loaded)
    with Session(engine) as session:
        levels = dict(session.execute(select(Boundary.code, Boundary.level)).all())
    engine.dispose()
    assert sorted(code for code, level in levels.items() if level == "village") == sorted(
        row["统计用区划代码"] for row in villages
    )
    assert sorted(code for code, level in levels.items() if level == "town") == [
        "349902101",
        "349902102",
        "349902201",
    ]


def test_every_sample_file_is_loaded_by_the_walkthrough() -> None:
    named = {
        Path(word).name for line in walkthrough_commands() for word in line.split() if "data/samples/" in word
    }
    assert named == {path.name for path in SAMPLES.iterdir()}


def test_the_map_page_draws_the_loaded_outlines_and_villages(open_app: AppFactory, loaded: str) -> None:
    villages = [row for row in _divisions() if not row["统计用区划代码"].endswith("000")]
    at = open_app(loaded, "pages/map.py", lang="en")
    assert not at.exception
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in deck["layers"]}
    drawn = {feature["properties"]["code"] for feature in layers["towns"]["data"]["features"]}
    assert drawn == {"349902101", "349902102", "349902201"}
    points = {point["village_code"] for point in layers["villages"]["data"]}
    assert points == {
        row["统计用区划代码"] for row in villages
    }  # 新街社区 too: its point came from its outline
