"""python -m lib.demo --scale county|city|province --seed N [--reset [--i-know]]"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError

from lib.core.db import DatabaseError, check_connection, describe_url, make_engine, session_factory
from lib.core.schema import upgrade
from lib.demo.catalogues import SCALES
from lib.demo.county import check_scale, foreign_accounts
from lib.demo.loader import generate, has_data, reset

# --- command line --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lib.demo", description="Write a deterministic demo dataset into DATABASE_URL."
    )
    parser.add_argument("--scale", choices=SCALES, default="county")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reset", action="store_true", help="delete all rows first (the schema stays)")
    parser.add_argument(
        "--i-know",
        action="store_true",
        help="let --reset delete a database whose accounts are not only the demo's",
    )
    parser.add_argument("--counties", type=int, default=None, help="override the scale's number of counties")
    args = parser.parse_args(argv)

    engine = None
    try:
        check_scale(args.scale)  # before touching the database, so --reset deletes nothing
        engine = make_engine()
        check_connection(engine)
        upgrade(engine)
        with session_factory(engine)() as session:
            if has_data(session):
                if not args.reset:
                    print(
                        f"The database at {describe_url(str(engine.url))} already has data; "
                        "run again with --reset to replace it with the demo.",
                        file=sys.stderr,
                    )
                    return 2
                others = foreign_accounts(session)
                if others and not args.i_know:
                    shown = ", ".join(others[:5]) + (", …" if len(others) > 5 else "")
                    print(
                        f"Error: the database at {describe_url(str(engine.url))} holds accounts that are "
                        f"not the demo's ({len(others)}: {shown}); --reset would delete them with all "
                        "the data. Run again with --reset --i-know to do that anyway.",
                        file=sys.stderr,
                    )
                    return 2
                reset(session)
            quiet = args.scale == "county"
            summary = generate(
                session,
                scale=args.scale,
                seed=args.seed,
                counties=args.counties,
                progress=None if quiet else lambda line: print(line, file=sys.stderr, flush=True),
            )
            session.commit()
        if engine.dialect.name == "postgresql":
            # After a bulk load PostgreSQL has no statistics and no visibility map yet: without
            # them it plans the aggregates badly and index-only scans still visit the heap.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
    except DatabaseError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"Error: the database refused the demo data: {reason}", file=sys.stderr)
        return 1
    finally:
        if engine is not None:
            engine.dispose()
    print(
        f"Demo {args.scale} (seed {args.seed}) written to {describe_url(str(engine.url))}: {summary.line()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
