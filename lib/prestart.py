"""Prepare the database before the server starts: migrate, then load the demo county if empty.

`python -m lib.prestart` (called by `make run`); `DEMO=0` skips the demo data. Exits non-zero
with one clear line, never a traceback, when DATABASE_URL is wrong or unreachable.
"""

from __future__ import annotations

import os
import sys
import time

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.db import (
    DatabaseError,
    begin_write,
    check_connection,
    describe_url,
    explain_failure,
    make_engine,
)
from lib.core.schema import is_empty, upgrade
from lib.services import rollups

DEMO_SEED = 42


def main() -> int:
    url = config.database_url()
    try:
        engine = make_engine(url)
        check_connection(engine)
        upgrade(engine)
        with Session(engine) as session:
            empty = is_empty(session)
        where = describe_url(url)
        if not empty:
            with Session(engine) as session:
                begin_write(session)
                rebuilt = rollups.ensure_current(session)
                session.commit()
            note = " (rollups worked out again)" if rebuilt else ""
            print(f"Database ready at {where}; it already holds data, keeping it{note}.")
            return 0
        if os.environ.get("DEMO", "1") == "0":
            print(f"Database ready at {where}; it is empty and DEMO=0, so no demo data was loaded.")
            return 0
        from lib import demo

        started = time.perf_counter()
        with Session(engine) as session:
            summary = demo.generate(session, scale="county", seed=DEMO_SEED)
            session.commit()
        print(f"Loaded the demo county into {where} in {time.perf_counter() - started:.1f} s: {summary}")
        return 0
    except DatabaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"error: {explain_failure(exc, url)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
