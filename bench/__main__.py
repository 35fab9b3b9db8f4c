"""`make bench`: generate (or reuse) each dataset, time every page, the main queries and a form,
print a table and write bench/results.json. The whole-list downloads are built once each in a
process of their own (bench/downloads.py) for the memory one download adds.

    .venv/bin/python -m bench [--runs county:sqlite,city:sqlite,city:postgresql] [--repeat 1]

Datasets are cached in bench/tmp/ (git-ignored) as SQLite files keyed on scale, seed, schema
revision and a hash of lib/demo/ and lib/present/geo.py; PostgreSQL runs use a throwaway cluster
(tests/support/postgres.py) and generate their dataset each time (the generation time is reported).
`--postgres-url URL` times the demo already in that database instead (written before with
`python -m lib.demo --scale S --seed 42`; its rollups are rebuilt first): a province takes ~20
minutes to generate. Each dataset is timed in its own process (bench/run.py), so its peak RSS is
its own. bench/results.json keeps the earlier results of datasets this run did not time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lib.core import config
from lib.core.schema import head_revision

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "tmp"
RESULTS = BENCH_DIR / "results.json"
DEFAULT_RUNS = "county:sqlite,city:sqlite,city:postgresql"
SEED = 42

# Targets
TARGETS = {
    ("city", "sqlite"): {
        "warm_ms": 150,
        "cold_ms": 1000,
        "speedup": 10,
        "form_ms": 100,
        "rss_mb": 500,
        "map_drawn_s": 2.5,  # Chromium: navigation → village dots on the map (server caches warm)
        "click_s": 0.2,  # Chromium: a click on a village → its card (includes the round trip)
    },
    ("province", "postgresql"): {"warm_ms": 500, "cold_ms": 2000},
}
# A 5,000-row file checked in seconds without the write lock, imported holding it briefly
UPLOAD_TARGETS = {"check_s": 5.0, "import_write_lock_s": 2.0, "hostile_parse_s": 2.0}


DOWNLOAD_ADDED_MB = 300  # one whole-list download adds at most this to the server


def _python() -> str:
    return sys.executable


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "PYTHONWARNINGS": "ignore"}


def dataset_key(scale: str) -> str:
    """Scale, seed, schema revision and a hash of the code that places the data (demo, outlines)."""
    digest = hashlib.sha256()
    lib = config.ROOT / "lib"
    sources = [*sorted((lib / "demo").glob("*.py")), lib / "present" / "geo.py"]
    for path in sources:
        digest.update(path.read_bytes())
    return f"{scale}-s{SEED}-r{head_revision()}-d{digest.hexdigest()[:10]}"


def rebuild_rollups(url: str) -> None:
    """Work the rollups out afresh on a cached dataset: their code may have changed since."""
    subprocess.run(
        [_python(), "-m", "lib.admin", "rebuild-rollups"],
        cwd=config.ROOT,
        env=_env(url),
        check=True,
    )


def generate(url: str, scale: str) -> float:
    """Write the demo at `scale` into `url`; returns seconds taken."""
    start = time.perf_counter()
    subprocess.run(
        [_python(), "-m", "lib.demo", "--scale", scale, "--seed", str(SEED), "--reset"],
        cwd=config.ROOT,
        env=_env(url),
        check=True,
    )
    return round(time.perf_counter() - start, 1)


def sqlite_dataset(scale: str) -> tuple[str, dict[str, Any]]:
    DATA_DIR.mkdir(exist_ok=True)
    key = dataset_key(scale)
    path = DATA_DIR / f"{key}.db"
    info_path = DATA_DIR / f"{key}.json"
    if not path.exists() or not info_path.exists():
        for old in DATA_DIR.glob(f"{scale}-*"):
            old.unlink()
        partial = DATA_DIR / f"{key}.partial.db"
        for leftover in DATA_DIR.glob(f"{key}.partial.db*"):
            leftover.unlink()
        seconds = generate(f"sqlite:///{partial}", scale)
        partial.rename(path)
        info_path.write_text(
            json.dumps({"generate_s": seconds, "size_mb": round(path.stat().st_size / 2**20, 1)})
        )
    else:
        rebuild_rollups(f"sqlite:///{path}")
    info: dict[str, Any] = json.loads(info_path.read_text())
    return f"sqlite:///{path}", info


def measure(url: str, scale: str, database: str, repeat: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            _python(),
            "-m",
            "bench.run",
            "--url",
            url,
            "--scale",
            scale,
            "--database",
            database,
            "--repeat",
            str(repeat),
            # A province's naive pages would load ~20M rows into pandas: minutes and many GB, and
            # its targets do not compare with them.
            *(["--no-naive"] if scale == "province" else []),
        ],
        cwd=config.ROOT,
        env=_env(url),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def postgres_size_mb(url: str) -> float:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0
    engine.dispose()
    return round(size / 2**20, 1)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem_kb = 0
    return {
        "load_average_1m": round(os.getloadavg()[0], 1),
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 2**20, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def measure_downloads(url: str) -> dict[str, Any]:
    """Each whole-list download in a process of its own (bench/downloads.py)."""
    out = subprocess.run(
        [_python(), "-m", "bench.downloads", "--url", url],
        cwd=config.ROOT,
        env=_env(url),
        check=False,
        stdout=subprocess.PIPE,
        text=True,
    )
    if out.returncode != 0:
        return {"error": {"error": f"bench.downloads exited with {out.returncode}"}}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure_browser(url: str) -> dict[str, Any]:
    """The map in headless Chromium (bench/browser_map.py), in its own process."""
    out = subprocess.run(
        [_python(), "-m", "bench.browser_map", url],
        cwd=config.ROOT,
        env=_env(url),
        check=False,
        stdout=subprocess.PIPE,
        text=True,
    )
    if out.returncode != 0:  # keep the page timings; the traceback is on stderr
        return {"error": f"bench.browser_map exited with {out.returncode}"}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure_uploads(url: str, *, hostile: bool) -> dict[str, Any]:
    """The Excel import on /data (bench/uploads.py), in its own process; a SQLite file is copied."""
    out = subprocess.run(
        [_python(), "-m", "bench.uploads", "--url", url, *([] if hostile else ["--no-hostile"])],
        cwd=config.ROOT,
        env=_env(url),
        check=False,
        stdout=subprocess.PIPE,
        text=True,
    )
    if out.returncode != 0:
        return {"error": f"bench.uploads exited with {out.returncode}"}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def check_targets(result: dict[str, Any]) -> list[str]:
    """Which targets this dataset misses (empty when none apply or all hold)."""
    misses: list[str] = []
    for name, download in (result.get("downloads") or {}).items():
        if download.get("added_mb", 0) > DOWNLOAD_ADDED_MB:  # for every dataset
            misses.append(f"download {name}: +{download['added_mb']} MB > {DOWNLOAD_ADDED_MB} MB")
    targets = TARGETS.get((result["scale"], result["database"]))
    if not targets:
        return misses
    for page in result["pages"]:
        name = page["page"]
        if page["warm_ms"] > targets["warm_ms"]:
            misses.append(f"{name}: warm {page['warm_ms']:.0f} ms > {targets['warm_ms']} ms")
        if page["cold_ms"] > targets["cold_ms"]:
            misses.append(f"{name}: cold {page['cold_ms']:.0f} ms > {targets['cold_ms']} ms")
        naive = page.get("naive_ms")
        if "speedup" in targets and naive is not None and naive < targets["speedup"] * page["cold_ms"]:
            misses.append(
                f"{name}: naive/cold {page['naive_ms'] / page['cold_ms']:.1f}× < {targets['speedup']}×"
            )
    if "form_ms" in targets and result.get("form_ms") and result["form_ms"] > targets["form_ms"]:
        misses.append(f"form: {result['form_ms']:.0f} ms > {targets['form_ms']} ms")
    if "rss_mb" in targets and result["peak_rss_mb"] > targets["rss_mb"]:
        misses.append(f"peak RSS {result['peak_rss_mb']:.0f} MB > {targets['rss_mb']} MB")
    browser = result.get("browser") or {}
    if "map_drawn_s" in targets and browser.get("map_drawn_warm_s", 0) > targets["map_drawn_s"]:
        misses.append(f"map drawn in {browser['map_drawn_warm_s']:.1f} s > {targets['map_drawn_s']} s")
    if "click_s" in targets and (browser.get("click_s") or 0) > targets["click_s"]:
        click_ms, target_ms = browser["click_s"] * 1000, targets["click_s"] * 1000
        misses.append(f"village click {click_ms:.0f} ms > {target_ms:.0f} ms")
    return misses + upload_misses(result.get("uploads") or {})


def upload_misses(uploads: dict[str, Any]) -> list[str]:
    if not uploads or "error" in uploads:
        return [f"uploads: {uploads['error']}"] if uploads else []
    misses: list[str] = []
    if uploads.get("check_write_lock_s") is not None:
        misses.append(f"uploads: the check held the write lock {uploads['check_write_lock_s']} s")
    if uploads.get("save_during_check_error"):
        misses.append(f"uploads: a save during the check failed: {uploads['save_during_check_error']}")
    for key in ("check_s", "import_write_lock_s"):
        if (uploads.get(key) or 0) > UPLOAD_TARGETS[key]:
            misses.append(f"uploads: {key} {uploads[key]} > {UPLOAD_TARGETS[key]}")
    for name, file in (uploads.get("hostile") or {}).items():
        if file["parse_s"] > UPLOAD_TARGETS["hostile_parse_s"]:
            misses.append(
                f"uploads: {name} read in {file['parse_s']} s > {UPLOAD_TARGETS['hostile_parse_s']} s"
            )
    return misses


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| scale | database | page | cold ms | warm ms | naive ms | naive/cold | peak RSS MB |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for page in result["pages"]:
            naive = page.get("naive_ms")
            ratio = f"{naive / page['cold_ms']:.1f}×" if naive is not None and page["cold_ms"] else "—"
            naive_text = f"{naive:.0f}" if naive is not None else "—"
            lines.append(
                f"| {page['scale']} | {page['database']} | {page['page']} | {page['cold_ms']:.0f} | "
                f"{page['warm_ms']:.0f} | {naive_text} | {ratio} | {page['peak_rss_mb']:.0f} |"
            )
    lines.append("")
    lines.append("| scale | database | generate s | size MB | form ms | peak RSS MB |")
    lines.append("|---|---|---:|---:|---:|---:|")
    for result in results:
        gen = result.get("dataset", {})
        where = f"| {result['scale']} | {result['database']} |"
        lines.append(
            f"{where} {gen.get('generate_s') or '—'} | {gen.get('size_mb', '')} | "
            f"{result.get('form_ms')} | {result['peak_rss_mb']:.0f} |"
        )
    lines.append("")
    lines.append("| scale | database | map drawn cold s | map drawn warm s | village click s |")
    lines.append("|---|---|---:|---:|---:|")
    for result in results:
        b = result.get("browser") or {}
        lines.append(
            f"| {result['scale']} | {result['database']} | {b.get('map_drawn_cold_s', '')} | "
            f"{b.get('map_drawn_warm_s', '')} | {b.get('click_s', '')} |"
        )
    lines.append("")
    lines.append("| scale | database | download | rows | s | CPU s | file MB | RSS before MB | added MB |")
    lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for result in results:
        for name, d in (result.get("downloads") or {}).items():
            lines.append(
                f"| {result['scale']} | {result['database']} | {name} | {d.get('rows', '')} | "
                f"{d.get('seconds', '')} | {d.get('cpu_s', '')} | {d.get('file_mb', '')} | "
                f"{d.get('rss_before_mb', '')} | {d.get('added_mb', d.get('error', ''))} |"
            )
    lines.append("")
    lines.append(
        "| scale | database | 5,000 rows: parse s | check s (lock) | save during check s | import s "
        "| lock s |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    for result in results:
        u = result.get("uploads") or {}
        if "rows" in u:
            lines.append(
                f"| {result['scale']} | {result['database']} | {u['parse_s']} | {u['check_s']} "
                f"({u['check_write_lock_s'] or 'none'}) | {u['save_during_check_s']} "
                f"{u['save_during_check_error'] or ''} | {u['import_s']} | {u['import_write_lock_s']} |"
            )
    for result in results:
        for name, file in ((result.get("uploads") or {}).get("hostile") or {}).items():
            lines.append(
                f"hostile upload {name} ({file['file_kb']} KB): {file['parse_s']} s, {file['outcome']}"
            )
    lines.append("")
    lines.append("| scale | database | query | ms |")
    lines.append("|---|---|---|---:|")
    for result in results:
        for name, ms in result["queries_ms"].items():
            lines.append(f"| {result['scale']} | {result['database']} | {name} | {ms:.0f} |")
    return "\n".join(lines)


def readme_table(results: list[dict[str, Any]]) -> str:
    """The README's summary: one row per page, cold / warm ms (and naive) per dataset, then one row
    each for the form, peak memory and the map in Chromium."""
    names = [f"{run['scale']} {'SQLite' if run['database'] == 'sqlite' else 'PostgreSQL'}" for run in results]
    lines = [
        "| page | " + " | ".join(f"{name}<br>cold / warm ms" for name in names) + " |",
        "|---|" + "---:|" * len(results),
    ]
    pages = list(dict.fromkeys(page["page"] for run in results for page in run["pages"]))
    for name in pages:
        cells = []
        for run in results:
            page = next((p for p in run["pages"] if p["page"] == name), None)
            if page is None:
                cells.append("")
                continue
            cell = f"{page['cold_ms']:.0f} / {page['warm_ms']:.0f}"
            if page.get("naive_ms") and page["cold_ms"]:
                ratio = page["naive_ms"] / page["cold_ms"]
                cell += f" (naive {page['naive_ms']:.0f}, {ratio:.{0 if ratio >= 10 else 1}f}×)"
            if page.get("errors"):
                cell += " error"
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    def seconds(value: Any) -> str:
        return f"{value:.1f} s" if isinstance(value, int | float) else "—"

    row("form submission", [f"{run.get('form_ms') or 0:.0f} ms" for run in results])
    page_peaks = [max(page["peak_rss_mb"] for page in run["pages"]) for run in results]
    row("server peak RSS: pages", [f"{peak:.0f} MB" for peak in page_peaks])
    row("… with downloads and a form", [f"{run['peak_rss_mb']:.0f} MB" for run in results])
    row("one download adds at most", [largest_download(run) for run in results])
    browsers = [run.get("browser") or {} for run in results]
    row(
        "Chromium: map drawn, cold / warm",
        [f"{seconds(b.get('map_drawn_cold_s'))} / {seconds(b.get('map_drawn_warm_s'))}" for b in browsers],
    )
    row("Chromium: page heading shown (warm)", [seconds(b.get("heading_warm_s")) for b in browsers])
    row("Chromium: village click → card", [seconds(b.get("click_s")) for b in browsers])
    row(
        "dataset: generated in / size",
        [
            f"{seconds(dataset.get('generate_s'))} / {dataset.get('size_mb', '—')} MB"
            for dataset in (run.get("dataset", {}) for run in results)
        ],
    )
    return "\n".join(lines)


def largest_download(run: dict[str, Any]) -> str:
    """The download that adds the most memory, e.g. "+33 MB (issues, 100,000 rows, 47 s)"."""
    downloads = [(name, d) for name, d in (run.get("downloads") or {}).items() if "added_mb" in d]
    if not downloads:
        return "—"
    name, d = max(downloads, key=lambda item: item[1]["added_mb"])
    return f"+{d['added_mb']} MB ({name}, {d['rows'] or 0:,} rows, {d['seconds']:.0f} s)"


REGISTER_RESULTS = BENCH_DIR / "register_load.json"


def measure_register_load(households: int) -> dict[str, Any]:
    """A city's division list and household register loaded as python -m lib.load does, into a
    fresh SQLite file (bench/register_load.py, in its own process for its peak RSS)."""
    DATA_DIR.mkdir(exist_ok=True)
    target = DATA_DIR / "register-load.db"
    for path in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        path.unlink(missing_ok=True)
    url = f"sqlite:///{target}"
    out = subprocess.run(
        [_python(), "-m", "bench.register_load", "--url", url, "--households", str(households)],
        cwd=config.ROOT,
        env=_env(url),
        check=False,
        stdout=subprocess.PIPE,
        text=True,
    )
    if out.returncode != 0:
        return {"error": f"bench.register_load exited with {out.returncode}"}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["machine"] = machine()
    REGISTER_RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return result


def write_results(results: list[dict[str, Any]]) -> None:
    """Write this run's results, keeping earlier results of the datasets it did not time."""
    timed = {(result["scale"], result["database"]) for result in results}
    try:
        earlier = json.loads(RESULTS.read_text(encoding="utf-8")).get("runs", [])
    except (OSError, ValueError, AttributeError):
        earlier = []
    kept = [run for run in earlier if (run.get("scale"), run.get("database")) not in timed]
    scales = {"county": 0, "city": 1, "province": 2}
    results = sorted(
        kept + results, key=lambda run: (scales.get(run["scale"], 3), run["database"] != "sqlite")
    )
    rows = [page for result in results for page in result["pages"]]
    RESULTS.write_text(
        json.dumps({"machine": machine(), "rows": rows, "runs": results}, ensure_ascii=False, indent=1)
        + "\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default=DEFAULT_RUNS, help=f"scale:database,… (default {DEFAULT_RUNS})")
    parser.add_argument("--repeat", type=int, default=1, help="cold/warm runs per page (median)")
    parser.add_argument("--no-browser", action="store_true", help="skip the map timings in Chromium")
    parser.add_argument("--no-uploads", action="store_true", help="skip the Excel import timings")
    parser.add_argument(
        "--register-households",
        type=int,
        default=300_000,
        help="households in the register python -m lib.load is timed on (0 skips; bench/register_load.json)",
    )
    parser.add_argument(
        "--readme", action="store_true", help="print the README's table from bench/results.json and stop"
    )
    parser.add_argument(
        "--postgres-url", help="time the demo already in this PostgreSQL database (no generation)"
    )
    args = parser.parse_args(argv)
    if args.readme:
        print(readme_table(json.loads(RESULTS.read_text(encoding="utf-8"))["runs"]))
        return 0
    runs = [tuple(item.split(":")) for item in args.runs.split(",") if item]
    results: list[dict[str, Any]] = []
    server_cm = None
    server = None
    try:
        for scale, database in runs:
            print(f"== {scale} on {database}", file=sys.stderr, flush=True)
            if database == "sqlite":
                url, info = sqlite_dataset(scale)
                result = measure(url, scale, database, args.repeat)
                result["downloads"] = measure_downloads(url)
                if not args.no_browser:
                    result["browser"] = measure_browser(url)
                if not args.no_uploads:  # on a copy of the file; hostile files once, with the first
                    result["uploads"] = measure_uploads(url, hostile=not any("uploads" in r for r in results))
            elif args.postgres_url:
                url = args.postgres_url
                rebuild_rollups(url)
                info = {"generate_s": None, "size_mb": postgres_size_mb(url)}
                result = measure(url, scale, database, args.repeat)
                result["downloads"] = measure_downloads(url)
                if not args.no_browser:
                    result["browser"] = measure_browser(url)
            else:
                if server is None:
                    from tests.support.postgres import postgres_server

                    server_cm = postgres_server()
                    server = server_cm.__enter__()
                with server.database() as url:
                    info = {"generate_s": generate(url, scale), "size_mb": postgres_size_mb(url)}
                    result = measure(url, scale, database, args.repeat)
                    result["downloads"] = measure_downloads(url)
                    if not args.no_browser:
                        result["browser"] = measure_browser(url)
                    if not args.no_uploads:  # last: it adds 5,000 visits to this throwaway database
                        result["uploads"] = measure_uploads(url, hostile=False)
            result["dataset"] = info
            result["misses"] = check_targets(result)
            results.append(result)
            write_results(results)  # after each dataset, so a long run keeps what it measured
    finally:
        if server_cm is not None:
            server_cm.__exit__(None, None, None)
    print(table(results))
    if args.register_households:
        loaded = measure_register_load(args.register_households)
        print(f"\nregister load ({args.register_households:,} households): {json.dumps(loaded)}")
    for result in results:
        for miss in result["misses"]:
            print(f"MISS {result['scale']}/{result['database']}: {miss}")
    print(f"\nmachine: {machine()}\nwritten: {RESULTS.relative_to(config.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
