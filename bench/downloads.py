"""Memory and time of the whole-list downloads, each built in a fresh process as its button builds it.

    .venv/bin/python -m bench.downloads --url URL [--only gaps,issues]

Prints one JSON document on stdout: per download the rows it holds, seconds, file size, the
process's RSS just before the click (imports, engine and the page's counts done) and its peak while
building, and the difference ("added_mb": what one download adds to a server); seconds are wall
time, cpu_s the process's CPU time (steadier on a shared machine). Each download runs in
its own process (`--one NAME`) and resets the kernel's peak-RSS mark before it starts
(/proc/self/clear_refs), so a figure is that download's alone.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lib.core import config

DOWNLOADS = ["gaps", "single_link", "issues", "change_log", "villages"]
ADDED_MB_TARGET = 300  # target: one download adds less than this to the server


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    """Set VmHWM (peak RSS) back to the current RSS (Linux 4.0+; harmless where unsupported)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _builders(as_of: dt.date) -> tuple[dict[str, Callable[[], bytes]], dict[str, int]]:
    """Each download as its button builds it (every town, names shown), and the rows it holds."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from lib.core.models import Village
    from lib.files import export
    from lib.queries import assessment, audit, industry
    from lib.ui import cache, data_forms, long_lists, paging

    months = config.stuck_after_months()
    with Session(cache.engine()) as session:
        counts = {
            "gaps": min(industry.gaps_no_plan_count(session), paging.EXPORT_LIMIT)
            + min(industry.stuck_plans_count(session, as_of=as_of, months=months), paging.EXPORT_LIMIT),
            "single_link": min(industry.single_link_count(session), paging.EXPORT_LIMIT),
            "issues": min(assessment.issue_count(session, as_of=as_of), paging.EXPORT_LIMIT),
            "change_log": len(audit.change_log(session, limit=5000)),
            "villages": int(session.scalar(select(func.count(Village.id))) or 0),
        }
    builders: dict[str, Callable[[], bytes]] = {
        "gaps": lambda: long_lists.gaps_workbook(
            towns=(), as_of=as_of, months=months, show_names=True, scope="bench"
        ),
        "single_link": lambda: long_lists.single_links_workbook(towns=(), as_of=as_of, show_names=True),
        "issues": lambda: long_lists.issues_workbook(
            towns=(), as_of=as_of, months=12, checks=None, show_names=True, scope="bench"
        ),
        "change_log": lambda: export.workbook_bytes(
            [export.Sheet("change_log", data_forms.change_log_chunks(data_forms.CHANGE_LOG_LABELS))]
        ),
        # The village table is the map's cached query result (one row per village), written whole.
        "villages": lambda: export.excel_bytes({"villages": data_forms.village_table(())}),
    }
    return builders, counts


def measure_one(url: str, name: str) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    from sqlalchemy.orm import Session

    from lib.queries.common import meta
    from lib.ui import cache

    with Session(cache.engine()) as session:
        as_of = dt.date.fromisoformat(meta(session).get("as_of") or dt.date.today().isoformat())
    builders, counts = _builders(as_of)
    before = _status_mb("VmRSS")
    _reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    data = builders[name]()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = _status_mb("VmHWM")
    return {
        "rows": counts.get(name),
        "seconds": round(seconds, 1),
        "cpu_s": round(cpu, 1),
        "file_mb": round(len(data) / 2**20, 1),
        "rss_before_mb": round(before),
        "peak_mb": round(peak),
        "added_mb": round(peak - before),
    }


def measure(url: str, names: list[str]) -> dict[str, Any]:
    """Each download in its own process; {name: figures} (or {name: {"error": …}})."""
    out: dict[str, Any] = {}
    for name in names:
        done = subprocess.run(
            [sys.executable, "-m", "bench.downloads", "--url", url, "--one", name],
            cwd=config.ROOT,
            env={**os.environ, "DATABASE_URL": url, "PYTHONWARNINGS": "ignore"},
            check=False,
            stdout=subprocess.PIPE,
            text=True,
        )
        if done.returncode != 0:
            out[name] = {"error": f"bench.downloads exited with {done.returncode}"}
        else:
            out[name] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"  download {name}: {out[name]}", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.downloads")
    parser.add_argument("--url", required=True)
    parser.add_argument("--only", default=",".join(DOWNLOADS))
    parser.add_argument("--one", choices=DOWNLOADS, help="measure this download in this process")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)  # Streamlit's "no runtime" warnings outside a server
    if args.one:
        print(json.dumps(measure_one(args.url, args.one)))
    else:
        print(json.dumps(measure(args.url, [n for n in args.only.split(",") if n])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
