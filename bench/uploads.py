"""Time the Excel import on /data: a 5,000-row visits file read, checked and imported, a form save
made while the check runs, how long the import holds the write lock; and hostile files read (a
sheet whose blank rows reach column XFD, a 4.9 MB one of blank styled rows).

    .venv/bin/python -m bench.uploads --url URL [--rows 5000] [--no-hostile]

A SQLite database is copied first (the import adds rows); a PostgreSQL one is changed in place
(use a throwaway one). Prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.models import Household, Town, User, Village
from lib.files import imports
from lib.services.auth import load_actor
from lib.services.households import record_visit
from lib.services.imports import check_import, run_import
from tests.support import workbooks

AS_OF = dt.date(2020, 10, 31)


def _s(start: float) -> float:
    return round(time.perf_counter() - start, 3)


class Timer:
    """Wall seconds and this thread's CPU seconds (the machine is shared: CPU time is steadier)."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall_s = _s(self.wall)
        self.cpu_s = round(time.thread_time() - self.cpu, 3)


class WriteLocks:
    """Every write transaction on `engine` (SQLite: BEGIN IMMEDIATE … end; PostgreSQL: the first
    INSERT/UPDATE/DELETE … end): how long each held the lock."""

    def __init__(self, engine: Engine) -> None:
        self.held: list[float] = []
        self._start: dict[int, float] = {}
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if id(conn) not in self._start and (
            statement.strip().upper() == "BEGIN IMMEDIATE" or verb in ("INSERT", "UPDATE", "DELETE")
        ):
            self._start[id(conn)] = time.perf_counter()

    def _end(self, conn: Any) -> None:
        start = self._start.pop(id(conn), None)
        if start is not None:
            self.held.append(_s(start))

    def longest(self) -> float | None:
        return max(self.held) if self.held else None


def _editor(engine: Engine) -> tuple[int, list[str]]:
    """The first town editor and the archive numbers of their town's households."""
    with Session(engine) as session:
        user_id, town_id = session.execute(
            select(User.id, User.town_id).where(User.role == "town_editor").order_by(User.username).limit(1)
        ).one()
        archives = list(
            session.scalars(
                select(Household.archive_no)
                .join(Village, Village.id == Household.village_id)
                .join(Town, Town.id == Village.town_id)
                .where(Town.id == town_id)
                .order_by(Household.id)
            )
        )
    return int(user_id), archives


def _save_during(engine_url: str, user_id: int, household: str, started: threading.Event) -> dict[str, Any]:
    """A form save (record_visit) on its own engine while the check runs: its time and outcome."""
    engine = make_engine(engine_url)
    try:
        started.wait()
        time.sleep(0.05)
        with Session(engine) as session:
            household_id = session.scalar(select(Household.id).where(Household.archive_no == household))
            actor = load_actor(session, user_id)
            session.rollback()
            start = time.perf_counter()
            try:
                record_visit(
                    session,
                    actor=actor,
                    household_id=int(household_id or 0),
                    visited_on=AS_OF,
                    visitor_name="Bench",
                    ledger_verified=True,
                    problems=None,
                    satisfied=True,
                    as_of=AS_OF,
                )
                return {"save_s": _s(start), "error": None}
            except Exception as exc:  # what a user would see is the point
                return {"save_s": _s(start), "error": str(getattr(exc, "orig", exc)).splitlines()[0][:120]}
    finally:
        engine.dispose()


def time_rows(url: str, rows: int) -> dict[str, Any]:
    engine = make_engine(url)
    locks = WriteLocks(engine)
    user_id, archives = _editor(engine)
    data = workbooks.filled(imports.VISITS, workbooks.visit_rows(archives, rows), lang="zh")
    result: dict[str, Any] = {"rows": rows, "file_kb": round(len(data) / 1024)}

    with Timer() as timer:
        upload = imports.parse_upload(data, imports.VISITS)
    result["parse_s"], result["parse_cpu_s"] = timer.wall_s, timer.cpu_s
    assert not upload.problems, upload.problems[:3]

    with Session(engine) as session:
        actor = load_actor(session, user_id)
    started = threading.Event()
    during: dict[str, Any] = {}
    other = threading.Thread(
        target=lambda: during.update(_save_during(url, user_id, archives[0], started)), daemon=True
    )
    other.start()
    with Session(engine) as session, Timer() as timer:
        started.set()
        report = check_import(session, actor=actor, record_type=imports.VISITS, rows=upload, as_of=AS_OF)
    result["check_s"], result["check_cpu_s"] = timer.wall_s, timer.cpu_s
    other.join()
    assert report.ok, report.problems[:3]
    result["check_write_lock_s"] = locks.longest()
    result["save_during_check_s"] = during.get("save_s")
    result["save_during_check_error"] = during.get("error")

    locks.held.clear()
    with Session(engine) as session, Timer() as timer:
        done = run_import(session, actor=actor, record_type=imports.VISITS, rows=upload, as_of=AS_OF)
    result["import_s"], result["import_cpu_s"] = timer.wall_s, timer.cpu_s
    assert done.committed, done.problems[:3]
    result["import_write_lock_s"] = locks.longest()
    engine.dispose()
    return result


def time_hostile() -> dict[str, Any]:
    """Reading hostile files (nothing reaches the database)."""
    good = workbooks.visit_rows(["HAND0004"], 3)
    files = {
        # ~100 KB: 18,000 blank rows, each with a styled cell at column XFD
        "xfd": workbooks.xfd_file(18_000, good=good),
        # ~4.9 MB: 340,000 rows of blank styled cells across the template's 7 columns
        "blank_rows_4_9mb": workbooks.tall_file(340_000, good=good),
        # the same rows in a sheet that states no dimension: only reading finds them
        "blank_rows_4_9mb_no_dimension": workbooks.tall_file(340_000, good=good, dimension=None),
    }
    out: dict[str, Any] = {}
    for name, data in files.items():
        with Timer() as timer:
            upload = imports.parse_upload(data, imports.VISITS)
        out[name] = {
            "file_kb": round(len(data) / 1024),
            "parse_s": timer.wall_s,
            "parse_cpu_s": timer.cpu_s,
            "outcome": [p.key for p in upload.problems if p.row is None][:1] or f"{len(upload.rows)} rows",
        }
        print(f"  {name}: {out[name]}", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.uploads", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--hostile", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    url = args.url
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as scratch:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            copy = Path(scratch) / "copy.db"
            shutil.copyfile(parsed.database, copy)
            url = f"sqlite:///{copy}"
        result: dict[str, Any] = {
            "database": parsed.get_backend_name(),
            "load_average_1m": round(os.getloadavg()[0], 1),  # the machine may be shared
            **time_rows(url, args.rows),
        }
        print(f"  rows: {result}", file=sys.stderr, flush=True)
    if args.hostile:
        result["hostile"] = time_hostile()
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
