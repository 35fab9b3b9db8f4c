"""The hand-worked county (tests/hand_county.py) made ready for the assessment checks, by hand.

`load_assessment_county` loads the hand county, gives every household a clean record, then puts
in the flaws below. As of 2020-10-31; "verified too long ago" = before 2019-10-31 (12 months).

Clean record: head's ID number and helper set; all six exit checks met; per-capita income 5,000
(2019) and 5,500 (2020), above the 2020 line of 4,000; exited households (h1 h2 h6 h7 h8) have
exit year 2019 and steps 2019-10-10, -15, -18, -20, -30. h4 is monitored without an exit year,
so it does not count as exited.

Flaws (the hand county's visits, plus h6's 2019-06-01 and h8's 2020-09-01):
  h1 (A1, exited) — 2020 income 3,900 (not above 4,000), safe water not met, public notice
                    undated: income_below_line, guarantee_not_met, exit_steps_missing (3 checks).
  h2 (A1, exited) — agreed 2019-10-12, before verified 2019-10-15: exit_steps_out_of_order;
                    its only visit found the ledger wrong: not_verified.
  h3 (A1, poor)   — housing grade C but "safe housing" met: housing_contradiction.
  h4 (A2, monitored) — no head ID number: fields_missing; never visited: not_verified.
  h5 (A2, poor)   — income 2,000 (2019) → 4,500 (2020), more than doubled: members_income_mismatch;
                    never visited: not_verified.
  h6 (A3, exited) — verified on 2019-06-01 only (satisfaction not asked): verified_long_ago.
  h7 (B1, exited) — clean.
  h8 (B1, exited) — visited 2020-09-01: verified, not satisfied, found an unregistered household in
                    need: unregistered_need.
  h9 (B2, poor)   — its only visit found the ledger wrong: not_verified.

By hand, readiness counts:
  town A: households 6, exited 3 (h1 h2 h6), verified_current 2 (h1 h3), wrong_exits 1 (h1),
          visited 4 (h1 h2 h3 h6), found_need 0, answered 3 (h1 h2 h3), satisfied 3;
          checks 1/1/1/1/1/3/1/1/1/0 in CHECK_KEYS order; with_issues 6.
          → verified 1/3 (red), wrong exits 1/3 (red), missed 0 (green), satisfaction 1 (green): red.
  town B: households 3, exited 2, verified_current 2 (h7 h8), wrong_exits 0, visited 3,
          found_need 1 (h8), answered 3, satisfied 2; checks 0/0/0/0/0/1/0/0/0/1; with_issues 2.
          → verified 2/3 (red: below 67.5%), wrong 0 (green), missed 1/3 (red), satisfaction 2/3
          (red): red.
  town C: no households → every count 0, readiness "none".
  village B1 (h7 h8): verified 1 (green), wrong 0/2, missed 1/2 (red), satisfaction 1/2 (red).

Mock assessment (`add_mock_visits`, drawn on 2020-10-01, sizes large enough to draw everyone):
  h1 2020-10-10 ledger wrong, satisfied, no need;  h2 2020-10-11 verified, not satisfied;
  h3 2020-10-12 verified, satisfied, found need;   h6 2020-10-13 verified, satisfied.
  Town B: nobody visited yet (no sample yet).
  Town A strata (population): exited 3, monitored 1, poor 2.
    wrong exits: exited stratum 3 observed, 1 wrong (h1: ledger wrong, and its record) → 1/3.
    missed: exited 0/3, poor 1/1 → weights 3/5, 2/5 → 0.4; n_eff = 1 / (0.36/3 + 0.16/1) = 3.5714.
    satisfaction: exited 2/3 (h1 h6 yes, h2 no), poor 1/1 → 0.6·2/3 + 0.4·1 = 0.8.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core.domain import EXIT_STEPS, HOUSEHOLD_FLAGS
from lib.core.models import Household, HouseholdIncome, VerificationVisit
from lib.services import rollups
from tests.hand_county import load_hand_county

D = dt.date
AS_OF = D(2020, 10, 31)
DRAWN_ON = D(2020, 10, 1)
TOWN_A, TOWN_B, TOWN_C = "349901100", "349901101", "349901102"
VILLAGE_B1 = "349901101204"
STEP_DATES = (D(2019, 10, 10), D(2019, 10, 15), D(2019, 10, 18), D(2019, 10, 20), D(2019, 10, 30))


def _visit(session: Session, household_id: int, day: dt.date, verified: bool, **answers: object) -> None:
    session.add(
        VerificationVisit(
            household_id=household_id,
            visited_on=day,
            visitor_name="核验员",
            ledger_verified=verified,
            problems=None if verified else "收入不实",
            satisfied=answers.get("satisfied"),
            found_unregistered_need=bool(answers.get("found_need", False)),
        )
    )


def load_assessment_county(session: Session) -> None:
    """The hand county with clean records and the flaws in the module docstring; commits."""
    load_hand_county(session)
    households = {h.id: h for h in session.scalars(select(Household))}
    for number, household in households.items():
        household.head_id_number = f"34990119800101{number:04d}"
        household.helper_name = "帮扶人"
        for flag in HOUSEHOLD_FLAGS:
            setattr(household, flag, True)
        if household.status == "exited":
            household.exit_year = 2019
            for step, day in zip(EXIT_STEPS, STEP_DATES, strict=True):
                setattr(household, step, day)
        incomes = {2019: 5000, 2020: 5500}
        if number == 1:
            incomes[2020] = 3900
        if number == 5:
            incomes = {2019: 2000, 2020: 4500}
        for year, income in incomes.items():
            session.add(HouseholdIncome(household_id=number, year=year, per_capita_income=income))
    h1, h2, h3, h4 = households[1], households[2], households[3], households[4]
    h1.safe_water = False
    h1.exit_noticed_on = None
    h2.exit_agreed_on = D(2019, 10, 12)
    h3.housing_grade = "C"
    h4.head_id_number = None
    _visit(session, 6, D(2019, 6, 1), True, satisfied=None)
    _visit(session, 8, D(2020, 9, 1), True, satisfied=False, found_need=True)
    rollups.rebuild(session)
    session.commit()


def add_mock_visits(session: Session) -> None:
    """The mock assessment's visits (on or after DRAWN_ON), as in the module docstring; commits."""
    _visit(session, 1, D(2020, 10, 10), False, satisfied=True)
    _visit(session, 2, D(2020, 10, 11), True, satisfied=False)
    _visit(session, 3, D(2020, 10, 12), True, satisfied=True, found_need=True)
    _visit(session, 6, D(2020, 10, 13), True, satisfied=True)
    rollups.rebuild(session)
    session.commit()
