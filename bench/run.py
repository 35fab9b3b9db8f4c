"""Time one dataset in this process: every page cold and warm (AppTest), the naive version of each
page, the main queries and a form submission; peak RSS of the process.

    .venv/bin/python -m bench.run --url URL --scale city --database sqlite [--repeat 3]

Prints one JSON document on stdout (bench/__main__.py runs this once per scale and database, each
in a fresh process, so peak memory is that dataset's alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bench.naive import NAIVE
from lib.core import config
from lib.core.db import make_engine

AS_OF = dt.date(2020, 10, 31)

# page name → (script, extra query params)
PAGES: dict[str, tuple[str, dict[str, str]]] = {
    "overview": ("app.py", {}),
    "map": ("pages/map.py", {}),
    "industry": ("pages/industry.py", {}),
    "assessment": ("pages/assessment.py", {}),
    "training": ("pages/training.py", {}),
    "village": ("pages/village.py", {}),
    "updates": ("pages/updates.py", {}),
    "data": ("pages/data.py", {}),
    "admin": ("pages/admin.py", {}),
    "slideshow": ("pages/slideshow.py", {}),
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def _clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def _app(page: str | None, params: dict[str, str]) -> tuple[Any, float]:
    """A finished AppTest run of `page`; returns it and how long the page's own run took (ms)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(config.ROOT / "app.py"), default_timeout=600)
    at.query_params["lang"] = "en"
    for key, value in params.items():
        at.query_params[key] = value
    if page is None or page == PAGES["overview"][0]:
        start = time.perf_counter()
        at.run()
        return at, _ms(start)
    at.run()
    at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    _clear_caches()  # the overview just ran: cold means nothing cached for this page
    start = time.perf_counter()
    at.run()
    return at, _ms(start)


def time_page(name: str, village_code: str, repeat: int) -> dict[str, Any]:
    script, params = PAGES[name]
    if name == "village":
        params = {**params, "code": village_code}
    colds: list[float] = []
    warms: list[float] = []
    errors: list[str] = []
    for _ in range(repeat):
        _clear_caches()
        at, cold = _app(script, params)
        colds.append(cold)
        if at.exception:
            errors.append(str(at.exception[0].message)[:200])
        start = time.perf_counter()
        at.run()
        warms.append(_ms(start))
    return {
        "cold_ms": round(statistics.median(colds), 1),
        "warm_ms": round(statistics.median(warms), 1),
        "errors": errors,
    }


def time_naive(engine: Engine, name: str) -> float:
    start = time.perf_counter()
    NAIVE[name](engine)
    return _ms(start)


def _read(chunks: Iterable[Any]) -> int:
    """Read a download's chunks through (the rows it would write)."""
    return sum(len(chunk) for chunk in chunks)


def _queries(village_code: str) -> dict[str, Callable[[Session], object]]:
    from lib.queries import assessment, industry, overview, training, village_detail, villages
    from lib.ui.paging import EXPORT_LIMIT

    whole = EXPORT_LIMIT  # what a download holds at most
    return {
        "overview.town_progress": lambda s: overview.town_progress(s),
        "villages.village_measures": lambda s: villages.village_measures(s),
        "industry.stage_funnel": lambda s: industry.stage_funnel(s),
        # The long lists: the page shows 200 rows at a time; its download reads up to EXPORT_LIMIT
        # in chunks (bench/downloads.py measures the whole download, workbook included).
        "industry.gaps_no_plan(first 200)": lambda s: industry.gaps_no_plan(s, limit=200),
        "industry.gaps_no_plan(download)": lambda s: _read(industry.gaps_no_plan_chunks(s, limit=whole)),
        "industry.stuck_plans(first 200)": lambda s: industry.stuck_plans(s, as_of=AS_OF, limit=200),
        "industry.stuck_plans(download)": lambda s: _read(
            industry.stuck_plans_chunks(s, as_of=AS_OF, limit=whole)
        ),
        "assessment.readiness_counts(town)": lambda s: assessment.readiness_counts(s, as_of=AS_OF),
        "assessment.readiness_counts(village)": lambda s: assessment.readiness_counts(
            s, as_of=AS_OF, level="village"
        ),
        "assessment.issue_households(first 200)": lambda s: assessment.issue_households(
            s, as_of=AS_OF, limit=200
        ),
        "assessment.issue_households(download)": lambda s: _read(
            assessment.issue_households_chunks(s, as_of=AS_OF, limit=whole)
        ),
        "training.coverage_by_town": lambda s: training.coverage_by_town(s),
        "training.waiting_list": lambda s: training.waiting_list(s, as_of=AS_OF),
        "village_detail.households": lambda s: village_detail.households(s, code=village_code),
    }


def time_queries(engine: Engine, village_code: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, call in _queries(village_code).items():
        with Session(engine) as session:
            start = time.perf_counter()
            call(session)
            out[name] = _ms(start)
    return out


def time_form(engine: Engine) -> float:
    """lib.services.households.record_visit by the demo town editor (Balihe), as a form would."""
    from lib.core.models import Household, Town, User, Village
    from lib.services.auth import load_actor
    from lib.services.households import record_visit

    with Session(engine) as session:
        user_id = session.scalar(select(User.id).where(User.username == "balihe"))
        household_id = session.scalar(
            select(func.min(Household.id))
            .join(Village, Village.id == Household.village_id)
            .join(Town, Town.id == Village.town_id)
            .where(Town.code == "349901105")
        )
    times: list[float] = []
    for _ in range(5):
        with Session(engine) as session:
            start = time.perf_counter()
            actor = load_actor(session, user_id)
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
            session.commit()
            times.append(_ms(start))
    return round(statistics.median(times), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--url", required=True)
    parser.add_argument("--scale", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--form", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--naive", action=argparse.BooleanOptionalAction, default=True, help="time the naive pandas pages"
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    os.environ["DATABASE_URL"] = args.url
    engine = make_engine(args.url)
    from lib.core.models import Village

    with Session(engine) as session:
        village_code = session.scalar(select(func.min(Village.code)).where(Village.is_poor)) or ""
    pages: list[dict[str, Any]] = []
    # A server imports the app's modules once, at its first script run: that run is not a page's
    # cost, so one untimed run of each page comes first (caches cleared again before each timing).
    for name in args.pages.split(","):
        _app(PAGES[name][0], {"code": village_code} if name == "village" else {})
    for name in args.pages.split(","):
        result = time_page(name, village_code, args.repeat)
        pages.append({"scale": args.scale, "database": args.database, "page": name, **result})
        pages[-1]["peak_rss_mb"] = round(peak_rss_mb(), 1)  # the app's so far (naive runs come last)
        print(f"  {name}: {result}", file=sys.stderr, flush=True)
    queries = time_queries(engine, village_code)  # the long lists' downloads too
    form_ms = time_form(engine) if args.form else None
    app_peak = round(peak_rss_mb(), 1)
    # The naive versions last, so the app's peak memory above is its own.
    for page in pages:
        page["naive_ms"] = time_naive(engine, page["page"]) if args.naive else None
        print(f"  naive {page['page']}: {page['naive_ms']} ms", file=sys.stderr, flush=True)
    json.dump(
        {
            "scale": args.scale,
            "database": args.database,
            "pages": pages,
            "queries_ms": queries,
            "form_ms": form_ms,
            "peak_rss_mb": app_peak,
            "peak_rss_with_naive_mb": round(peak_rss_mb(), 1),
        },
        sys.stdout,
    )
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
