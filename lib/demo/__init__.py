"""Deterministic demo data: the fictional 示范县 (Demo County) as of 2020-10-31.

    python -m lib.demo --scale county --seed 42 [--reset [--i-know]]

`generate()` fills an empty, migrated database with bulk Core inserts and explicit integer ids, so
the same seed gives the same rows on SQLite and PostgreSQL. Fixed dates only; the one source of
randomness is `random.Random(seed)`. The data follows the work (see docs and DESIGN.md): registered
poor households with causes, incomes and exit steps; one industry per household, one product per
village; enterprises and cooperatives carrying households; first secretaries and work teams with
their history; rotation training and the Bijie study tour; verification visits before assessment.
A few flaws are put in on purpose (missing or disordered exit steps, an income below the line,
unsafe housing marked as guaranteed, villages without coordinates) so checks have something to find.
It also adds four documented demo accounts (README, "Accounts") with the password "demo-password".
The town and county outlines it is built on (data/geo, read through lib.present.geo) are stored in
the table `boundaries`, as a county's own boundary file would be, and the map draws them from there.

`--scale city` (10 counties, ≈3.6k villages, ≈300k households) and `--scale province` (84 counties,
≈30k villages, ≈3M households) run `_CountyBuilder` once per county with a derived seed, region code
3499nn and the shipped outlines moved to a grid (lib.present.geo.moved_towns); they are inserted a county
at a time (COPY on PostgreSQL), so memory stays that of one county.
"""

from __future__ import annotations

from lib.demo.catalogues import AS_OF, COUNTY_CODE, SCALES
from lib.demo.county import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_TOWN_CODE,
    SCALE_SPECS,
    DemoSummary,
    build_rows,
    check_scale,
    county_names,
    foreign_accounts,
    iter_rows,
)
from lib.demo.loader import generate, has_data, reset

__all__ = [
    "AS_OF",
    "COUNTY_CODE",
    "DEMO_ACCOUNTS",
    "DEMO_PASSWORD",
    "DEMO_TOWN_CODE",
    "SCALES",
    "SCALE_SPECS",
    "DemoSummary",
    "build_rows",
    "check_scale",
    "county_names",
    "foreign_accounts",
    "generate",
    "has_data",
    "iter_rows",
    "reset",
]
