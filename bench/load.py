"""Many leaders at once: N simultaneous sessions against a real server, through Streamlit's protocol.

    .venv/bin/python -m bench.load [--scale city] [--database sqlite,postgresql] [--sessions 1,10,30]

For each database and each N: start the app as `make run` does (`streamlit run app.py` from the
repo root, so .streamlit/config.toml applies) on a free loopback port, send one visitor through
the pages untimed (the server's first run imports the app and fills the caches: a server that has
been up a while), then N sessions at once, each like a county leader: open the Overview (`/`),
then follow the navigation to /map, /industry and /assessment, with a think time of 1–3 s
between pages, twice over (`--rounds`). Each session is a websocket client speaking the browser's
protocol (tests/support/stream.py); a page's time runs from its rerun request to the server's
`script_finished`. Errors are crash boxes (exception elements), error alerts, disconnects and
timeouts. The server's peak RSS is its VmHWM when the sessions are done (one server per N).

Datasets are bench's own (bench/__main__.py): the SQLite file cached in bench/tmp/, and for
PostgreSQL a fresh database on TEST_POSTGRES_URL or a throwaway cluster, generated each time
(`--postgres-url URL` uses a demo already there). Writes bench/load.json: a list of records
(`scale`, `database`, `sessions`, `p50_ms`, `p95_ms`, `errors`, `peak_rss_mb`, and per page
figures, the machine's load average before and after), replacing records of the same scale,
database and N and keeping the others.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lib.core import config
from tests.support import free_port
from tests.support.stream import Run, StreamClient

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "load.json"
PAGES = ("", "map", "industry", "assessment")  # URL paths; '' is the Overview at /
START_TIMEOUT_S = 90.0
TARGET = {"scale": "city", "database": "sqlite", "sessions": 30, "p95_ms": 2000, "errors": 0}


# --- the server ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int
    log: Path

    def peak_rss_mb(self) -> float:
        """The process's peak resident set (VmHWM) so far."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_errors(self) -> list[str]:
        """Tracebacks and errors the server logged."""
        lines = self.log.read_text(errors="replace").splitlines()
        return [line for line in lines if "Traceback" in line or " ERROR " in line or "Error:" in line]


@contextmanager
def serve(database_url: str, **env: str) -> Iterator[Server]:
    """`make run`'s server (prestart aside: bench's datasets are migrated and current) on a free port."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="bench-load-", suffix=".log")[1])
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=config.ROOT,
            env={**os.environ, "DATABASE_URL": database_url, "PYTHONWARNINGS": "ignore", **env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, base_url, log)
        yield Server(base_url, process.pid, log)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with opener.open(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer within {START_TIMEOUT_S:.0f} s:\n{log.read_text()[-3000:]}")


# --- the leaders --------------------------------------------------------------------------------


async def leader(
    base_url: str, *, rounds: int, think: tuple[float, float], rng: random.Random, timeout: float
) -> list[Run]:
    """One leader's visit: the Overview, then map, industry, assessment (`rounds` times over)."""
    client = StreamClient(base_url, timeout=timeout)
    runs: list[Run] = []
    try:
        for round_ in range(rounds):
            for index, path in enumerate(PAGES):
                if round_ == 0 and index == 0:
                    run = await client.open(path)
                else:
                    await asyncio.sleep(rng.uniform(*think))
                    run = await client.goto(path)
                runs.append(run)
                if any(error.startswith("disconnected") for error in run.errors):
                    return runs
    except OSError as exc:  # the connection itself failed (refused, reset)
        failed = Run(page="(connect)")
        failed.errors.append(f"connection failed: {exc}")
        runs.append(failed)
    finally:
        await client.close()
    return runs


async def crowd(
    base_url: str, sessions: int, *, rounds: int, think: tuple[float, float], seed: int, timeout: float
) -> list[Run]:
    """`sessions` leaders starting at the same moment; every run of every one of them."""
    visits = await asyncio.gather(
        *(
            leader(base_url, rounds=rounds, think=think, rng=random.Random(seed + index), timeout=timeout)
            for index in range(sessions)
        )
    )
    return [run for visit in visits for run in visit]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0–1) of `values`; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summarize(runs: list[Run]) -> dict[str, Any]:
    """p50/p95/max over every run (an erroneous run counts with the time it took), per page too."""
    ms = [run.seconds * 1000 for run in runs]
    errors = [f"{run.page}: {error}" for run in runs for error in run.errors]
    pages: dict[str, Any] = {}
    for path in PAGES:
        page = path or "/"
        times = [run.seconds * 1000 for run in runs if run.page == page]
        if times:
            pages[page] = {
                "runs": len(times),
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(percentile(times, 0.95), 1),
                "max_ms": round(max(times), 1),
                "kb": round(statistics.median(run.bytes for run in runs if run.page == page) / 1024, 1),
            }
    return {
        "requests": len(runs),
        "p50_ms": round(statistics.median(ms), 1) if ms else 0.0,
        "p95_ms": round(percentile(ms, 0.95), 1),
        "max_ms": round(max(ms), 1) if ms else 0.0,
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:10],
        "pages": pages,
    }


def measure(
    database_url: str,
    *,
    scale: str,
    database: str,
    sessions: int,
    rounds: int,
    think: tuple[float, float],
    seed: int,
    timeout: float,
    warm: bool,
) -> dict[str, Any]:
    """One record: a fresh server, a warm-up visit, then `sessions` leaders at once."""
    with serve(database_url) as server:
        if warm:
            warmup = asyncio.run(crowd(server.base_url, 1, rounds=1, think=(0, 0), seed=seed, timeout=300))
            bad = [error for run in warmup for error in run.errors]
            if bad:
                raise RuntimeError(f"the warm-up visit failed: {bad[:3]}")
        load_before = os.getloadavg()[0]
        cpu_before = server.cpu_s()
        start = time.perf_counter()
        runs = asyncio.run(
            crowd(server.base_url, sessions, rounds=rounds, think=think, seed=seed, timeout=timeout)
        )
        wall = time.perf_counter() - start
        cpu = server.cpu_s() - cpu_before
        record = {
            "scale": scale,
            "database": database,
            "sessions": sessions,
            **summarize(runs),
            "peak_rss_mb": server.peak_rss_mb(),
            # The server's CPU time per page: what a page costs, whatever else the machine runs.
            "server_cpu_ms_per_page": round(cpu * 1000 / max(1, len(runs)), 1),
            "server_log_errors": len(server.log_errors()),
            "wall_s": round(wall, 1),
            "rounds": rounds,
            "think_s": list(think),
            "warm": warm,
            "load_1m_before": round(load_before, 2),
            "load_1m_after": round(os.getloadavg()[0], 2),
            "cpus": len(os.sched_getaffinity(0)),
            "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
    return record


def write(records: list[dict[str, Any]], path: Path = RESULTS) -> None:
    """Write `records`, keeping earlier ones of other (scale, database, sessions)."""

    def key(record: dict[str, Any]) -> tuple[str, str, int]:
        return record["scale"], record["database"], record["sessions"]

    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        earlier = []
    fresh = {key(record) for record in records}
    kept = [record for record in earlier if isinstance(record, dict) and key(record) not in fresh]
    scales = {"county": 0, "city": 1, "province": 2}
    merged = sorted(
        kept + records,
        key=lambda r: (scales.get(r["scale"], 3), r["database"] != "sqlite", r["sessions"]),
    )
    path.write_text(json.dumps(merged, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def line(record: dict[str, Any]) -> str:
    pages = "  ".join(f"{page} p95 {figures['p95_ms']:.0f}" for page, figures in record["pages"].items())
    return (
        f"{record['scale']:>6} {record['database']:<10} N={record['sessions']:<3} "
        f"p50 {record['p50_ms']:>6.0f} ms  p95 {record['p95_ms']:>6.0f} ms  errors {record['errors']}  "
        f"peak RSS {record['peak_rss_mb']:.0f} MB  "
        f"CPU/page {record['server_cpu_ms_per_page']:.0f} ms  load {record['load_1m_before']:.1f}→"
        f"{record['load_1m_after']:.1f}  ({pages})"
    )


def misses(record: dict[str, Any]) -> list[str]:
    if any(record[name] != TARGET[name] for name in ("scale", "database", "sessions")):
        return []
    out = []
    if record["p95_ms"] > TARGET["p95_ms"]:
        out.append(f"p95 {record['p95_ms']:.0f} ms > {TARGET['p95_ms']} ms")
    if record["errors"] > TARGET["errors"]:
        out.append(f"{record['errors']} errors")
    return out


def readme_table(records: list[dict[str, Any]]) -> str:
    """The README's table of bench/load.json."""
    lines = [
        "| scale | database | sessions | p50 ms | p95 ms | errors | server peak RSS | server CPU per page "
        "| load average (1 min) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in records:
        database = "SQLite" if r["database"] == "sqlite" else "PostgreSQL"
        lines.append(
            f"| {r['scale']} | {database} | {r['sessions']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
            f"{r['errors']} | {r['peak_rss_mb']:.0f} MB | {r['server_cpu_ms_per_page']:.0f} ms | "
            f"{r['load_1m_before']:.1f}–{r['load_1m_after']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="city", choices=("county", "city", "province"))
    parser.add_argument("--database", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--sessions", default="1,10,30", help="numbers of simultaneous sessions")
    parser.add_argument("--rounds", type=int, default=2, help="times each leader goes through the pages")
    parser.add_argument("--think", default="1,3", help="think time between pages, min,max seconds")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a page may take")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--cold", action="store_true", help="no warm-up visit: the first runs fill the caches"
    )
    parser.add_argument("--postgres-url", help="use the demo already in this PostgreSQL database")
    parser.add_argument("--sqlite-url", help="use this SQLite database instead of bench's cached dataset")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--readme", action="store_true", help="print the README's table of --out and stop")
    args = parser.parse_args(argv)
    if args.readme:
        print(readme_table(json.loads(args.out.read_text(encoding="utf-8"))))
        return 0
    low, high = (float(part) for part in args.think.split(","))
    counts = [int(part) for part in args.sessions.split(",") if part]
    options = {
        "scale": args.scale,
        "rounds": args.rounds,
        "think": (low, high),
        "seed": args.seed,
        "timeout": args.timeout,
        "warm": not args.cold,
    }
    from bench.__main__ import generate, sqlite_dataset

    records: list[dict[str, Any]] = []

    def run_all(url: str, database: str) -> None:
        for sessions in counts:
            print(f"== {args.scale} {database}: {sessions} sessions", file=sys.stderr, flush=True)
            record = measure(url, database=database, sessions=sessions, **options)  # type: ignore[arg-type]
            print(line(record), file=sys.stderr, flush=True)
            records.append(record)
            write(records, args.out)

    for database in args.database.split(","):
        if database == "sqlite":
            run_all(args.sqlite_url or sqlite_dataset(args.scale)[0], database)
        elif database == "postgresql" and args.postgres_url:
            run_all(args.postgres_url, database)
        elif database == "postgresql":
            from tests.support.postgres import postgres_server

            with postgres_server() as server, server.database() as url:
                print(f"generating the {args.scale} on PostgreSQL …", file=sys.stderr, flush=True)
                generate(url, args.scale)
                run_all(url, database)
        else:
            parser.error(f"unknown database {database!r}")
    print()
    for record in records:
        print(line(record))
        for miss in misses(record):
            print(f"MISS {record['scale']}/{record['database']}/{record['sessions']}: {miss}")
    print(f"written: {args.out}")
    return 0  # a miss is printed, not an error: make bench goes on


if __name__ == "__main__":
    raise SystemExit(main())
