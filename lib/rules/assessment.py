"""Assessment readiness: thresholds, red / amber / green, confidence intervals and the mock sample.

Pure (no streamlit, no SQL). `lib.queries.assessment` counts what the records say and draws the
candidates; this module judges those counts against the national thresholds and estimates the
three rates from a mock assessment's sample.

Definitions:

- The national third-party assessment blocks exit when *wrong exits* exceed 2% of exited
  households, *missed identification* exceeds 1% or *satisfaction* falls below 90%
  (`Thresholds`, from settings; see lib/core/config.py). Before it, towns aim to have at least
  `verified_target` of their households' ledgers verified, recently.
- *From the records* (readiness), by the one rule of `lib.rules.targets`: each rate is **red**
  beyond its threshold, **amber** within it but with less than a quarter of the allowance left
  (wrong exits above 1.5%, missed identification above 0.75%, satisfaction below 92.5%),
  **green** otherwise, and **none** without data. The verified share is green at or above its
  target, amber from three quarters of the target (67.5% for a 90% target), red below. A town's
  or village's overall readiness is the worst of its four measures, a rate without data counting
  as amber (the rates rest on nothing yet); none without households. So a town with too few
  ledgers verified is red like its verified share: the assessment's rates rest on too little.
- *From a mock assessment* (a random sample): a rate is red when its estimate is beyond the
  threshold, green when its whole 95% confidence interval is within it, amber when the interval
  straddles it (the sample cannot tell yet), none before any sampled household was visited.
- Intervals are Wilson score intervals. A stratified estimate weights each stratum (town ×
  status) by its number of households; strata with no observation yet are left out and the
  weights of the others rescaled. Its interval is Wilson's at the estimate with the effective
  sample size n_eff = 1 / Σ_h (W_h² / n_h) (Kish), which is n for a single stratum.
- The mock sample: in each stratum (town, status) the candidates are sorted by archive number
  and `size[status]` of them are drawn with `random.Random("<seed>:<town>:<status>")`, so the same
  seed gives the same list, and a town's list does not depend on which other towns are selected.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from lib.core import config
from lib.core.domain import MAX_MISSED_IDENTIFICATION_RATE, MAX_WRONG_EXIT_RATE, MIN_SATISFACTION
from lib.rules import targets
from lib.rules.targets import AMBER, EPSILON, GREEN, NONE, RED

Z95 = 1.959963984540054  # two-sided 95%

# The measures judged on /assessment, in the order they are shown; rates are the assessment's.
VERIFIED = "verified_share"
WRONG_EXIT = "wrong_exit_rate"
MISSED = "missed_rate"
SATISFACTION = "satisfaction"
MEASURES = (VERIFIED, WRONG_EXIT, MISSED, SATISFACTION)
RATES = (WRONG_EXIT, MISSED, SATISFACTION)
HIGHER_IS_BETTER = {VERIFIED: True, WRONG_EXIT: False, MISSED: False, SATISFACTION: True}

# Household statuses a mock assessment samples from; "exited" for the wrong-exit rate means the
# register says the household left poverty: status exited, or monitored with an exit year.
SAMPLE_STATUSES = ("exited", "monitored", "poor")
EXITED_STATUSES = ("exited", "monitored")
DEFAULT_SIZES = {"exited": 15, "monitored": 5, "poor": 10}


@dataclass(frozen=True)
class Thresholds:
    """What the assessment tolerates, and what the county aims for before it."""

    max_wrong_exit: float = MAX_WRONG_EXIT_RATE
    max_missed: float = MAX_MISSED_IDENTIFICATION_RATE
    min_satisfaction: float = MIN_SATISFACTION
    verified_target: float = 0.90
    verified_within_months: int = 12

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            max_wrong_exit=config.max_wrong_exit_rate(),
            max_missed=config.max_missed_identification_rate(),
            min_satisfaction=config.min_satisfaction(),
            verified_target=config.verified_target(),
            verified_within_months=config.verified_within_months(),
        )

    def limit(self, measure: str) -> float:
        """The threshold of `measure` (a maximum for rates where lower is better, else a minimum)."""
        return {
            VERIFIED: self.verified_target,
            WRONG_EXIT: self.max_wrong_exit,
            MISSED: self.max_missed,
            SATISFACTION: self.min_satisfaction,
        }[measure]

    def target(self, measure: str) -> targets.Target:
        """`measure`'s target and amber line, by the one rule of `lib.rules.targets`."""
        if measure == VERIFIED:
            return targets.share_target(self.verified_target)
        if HIGHER_IS_BETTER[measure]:
            return targets.floor_target(self.limit(measure))
        return targets.ceiling_target(self.limit(measure))

    def warning_line(self, measure: str) -> float:
        """Where amber starts: for a rate, a quarter of the allowance before its threshold; for
        the verified share (a target, below which it is amber), where red starts instead."""
        target = self.target(measure)
        return target.amber_line if measure == VERIFIED else target.target


# --- red / amber / green ---------------------------------------------------------------------


def records_status(value: float | None, measure: str, thresholds: Thresholds) -> str:
    """Red beyond the threshold, amber past the warning line, green otherwise; none without a value."""
    return thresholds.target(measure).status(value)


def overall_status(statuses: Mapping[str, str], *, households: int) -> str:
    """A town's or village's readiness: the worst of its measures' statuses, a rate without data
    counting as amber (see the module docstring); none without households."""
    if households == 0:
        return NONE
    return targets.worst(
        [AMBER if statuses.get(measure, NONE) == NONE else statuses[measure] for measure in MEASURES]
    )


def readiness_table(counts: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """`counts` (from `lib.queries.assessment.readiness_counts`) with rates and statuses added.

    Adds verified_share (verified_current / households), wrong_exit_rate (wrong_exits / exited),
    missed_rate (found_need / visited), satisfaction (satisfied / answered) — NaN where the whole
    is zero — then `<measure>_status` for each and `readiness`, the overall status.
    """
    frame = counts.copy()
    parts = {
        VERIFIED: ("verified_current", "households"),
        WRONG_EXIT: ("wrong_exits", "exited"),
        MISSED: ("found_need", "visited"),
        SATISFACTION: ("satisfied", "answered"),
    }
    for measure, (part, whole) in parts.items():
        frame[measure] = (frame[part] / frame[whole].where(frame[whole] > 0)).astype("float64")
    for measure in MEASURES:
        frame[f"{measure}_status"] = [
            records_status(None if pd.isna(v) else float(v), measure, thresholds) for v in frame[measure]
        ]
    # Rows as plain records: iterrows() built a Series per row (a city's 3,600 villages: ~0.4 s).
    frame["readiness"] = [
        overall_status({m: row[f"{m}_status"] for m in MEASURES}, households=int(row["households"]))
        for row in frame.to_dict("records")
    ]
    return frame


def attention(row: Mapping[str, object]) -> list[tuple[str, str]]:
    """The measures of a `readiness_table` row that are not green, worst first (the assessment's
    rates before the verified share): (measure, status)."""
    order = {RED: 0, AMBER: 1, NONE: 2}
    shown = (*RATES, VERIFIED)
    found = [(m, str(row[f"{m}_status"])) for m in shown if row[f"{m}_status"] != GREEN]
    return sorted(found, key=lambda pair: (order.get(pair[1], 3), shown.index(pair[0])))


# --- confidence intervals --------------------------------------------------------------------


def wilson_interval(hits: float, n: float, *, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion hits / n (n may be an effective, fractional size)."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = hits / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Stratum:
    """One stratum of a sample: households in it, households observed, and how many had the trait."""

    population: int
    observed: int
    hits: int


@dataclass(frozen=True)
class Estimate:
    """A (stratified) proportion with its 95% Wilson interval."""

    rate: float
    low: float
    high: float
    observed: int
    hits: int
    effective_n: float


def stratified_estimate(strata: Iterable[Stratum], *, z: float = Z95) -> Estimate | None:
    """Population-weighted proportion over the strata with observations (None when there are none)."""
    used = [s for s in strata if s.observed > 0 and s.population > 0]
    if not used:
        return None
    total = sum(s.population for s in used)
    weights = [s.population / total for s in used]
    rate = sum(w * s.hits / s.observed for w, s in zip(weights, used, strict=True))
    effective_n = 1 / sum(w * w / s.observed for w, s in zip(weights, used, strict=True))
    low, high = wilson_interval(rate * effective_n, effective_n, z=z)
    return Estimate(
        rate=rate,
        low=min(low, rate),
        high=max(high, rate),
        observed=sum(s.observed for s in used),
        hits=sum(s.hits for s in used),
        effective_n=effective_n,
    )


def sample_status(estimate: Estimate | None, measure: str, thresholds: Thresholds) -> str:
    """Red when the estimate is beyond the threshold, green when its interval is within, else amber."""
    if estimate is None:
        return NONE
    limit = thresholds.limit(measure)
    if HIGHER_IS_BETTER[measure]:
        if estimate.rate < limit - EPSILON:
            return RED
        return GREEN if estimate.low >= limit - EPSILON else AMBER
    if estimate.rate > limit + EPSILON:
        return RED
    return GREEN if estimate.high <= limit + EPSILON else AMBER


# --- the mock assessment ---------------------------------------------------------------------

SAMPLE_COLUMNS = ["town_code", "status", "household_id", "archive_no"]
STRATA_COLUMNS = ["town_code", "status", "population", "drawn"]


def clean_sizes(sizes: Mapping[str, int]) -> dict[str, int]:
    """Sizes per status, every sampled status present, none negative."""
    return {status: max(0, int(sizes.get(status, 0))) for status in SAMPLE_STATUSES}


def draw_sample(
    candidates: pd.DataFrame, *, sizes: Mapping[str, int], seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw the mock assessment's households from `candidates` (columns SAMPLE_COLUMNS).

    Returns (drawn rows in town, status, archive number order; the strata: town_code, status,
    population, drawn). Each stratum draws min(size, population) households without replacement.
    """
    wanted = clean_sizes(sizes)
    ordered = candidates.sort_values(["town_code", "status", "archive_no", "household_id"]).reset_index(
        drop=True
    )
    picked: list[int] = []
    strata: list[dict[str, object]] = []
    # One sort, then positions per stratum (a groupby's rows keep the sorted order).
    for (town, status), positions in sorted(ordered.groupby(["town_code", "status"]).indices.items()):
        k = min(wanted.get(str(status), 0), len(positions))
        rng = random.Random(f"{seed}:{town}:{status}")
        picked.extend(int(positions[i]) for i in sorted(rng.sample(range(len(positions)), k)))
        strata.append({"town_code": town, "status": status, "population": len(positions), "drawn": k})
    drawn = ordered.iloc[picked].reset_index(drop=True) if picked else pd.DataFrame(columns=SAMPLE_COLUMNS)
    return drawn[SAMPLE_COLUMNS], pd.DataFrame(strata, columns=STRATA_COLUMNS)


def _outcomes(sample: pd.DataFrame) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Per measure: (observed, hit) flags of each sampled household (hit = the bad/good trait)."""
    visited = sample["mock_visited_on"].notna()
    exited = sample["status"].isin(EXITED_STATUSES) & sample["exited"].astype(bool)
    ledger_wrong = sample["mock_ledger_verified"].eq(False)
    wrong = ledger_wrong | sample["wrong_exit_record"].astype(bool)
    answered = visited & sample["mock_satisfied"].notna()
    return {
        WRONG_EXIT: (visited & exited, visited & exited & wrong),
        MISSED: (visited, visited & sample["mock_found_need"].eq(True)),
        SATISFACTION: (answered, answered & sample["mock_satisfied"].eq(True)),
    }


ESTIMATE_COLUMNS = [
    "town_code",
    "drawn",
    "visited",
    *(f"{m}{suffix}" for m in RATES for suffix in ("", "_low", "_high", "_n", "_status")),
    "readiness",
]


def mock_estimates(sample: pd.DataFrame, strata: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """The three rates estimated from the mock visits, per town and for all of them ("" town code).

    `sample` holds the drawn households with town_code, status, exited, wrong_exit_record and the
    first mock visit's mock_visited_on, mock_ledger_verified, mock_satisfied, mock_found_need
    (`lib.queries.assessment.mock_sample`); `strata` their populations. A household counts for the
    wrong-exit rate when it is exited and was visited; it is a wrong exit when the visit could not
    verify its ledger or its record shows income not above the line or a guarantee not met.
    Columns ESTIMATE_COLUMNS; rates NaN and statuses "none" where nothing was observed yet.
    """
    outcomes = _outcomes(sample) if not sample.empty else {}
    towns = sorted(strata["town_code"].unique()) if not strata.empty else []
    rows = [_estimate_row(town, sample, strata, outcomes, thresholds) for town in towns]
    rows.append(_estimate_row("", sample, strata, outcomes, thresholds))
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)


def _estimate_row(
    town: str,
    sample: pd.DataFrame,
    strata: pd.DataFrame,
    outcomes: Mapping[str, tuple[pd.Series, pd.Series]],
    thresholds: Thresholds,
) -> dict[str, object]:
    in_town = (sample["town_code"] == town) if town else pd.Series(True, index=sample.index)
    strata_rows = strata[strata["town_code"] == town] if town else strata
    row: dict[str, object] = {
        "town_code": town,
        "drawn": int(strata_rows["drawn"].sum()) if not strata_rows.empty else 0,
        "visited": int((in_town & sample["mock_visited_on"].notna()).sum()) if not sample.empty else 0,
    }
    statuses: dict[str, str] = {}
    for measure in RATES:
        estimate = None
        if outcomes:
            observed, hits = outcomes[measure]
            estimate = stratified_estimate(
                _strata_for(strata_rows, sample[in_town], observed[in_town], hits[in_town])
            )
        statuses[measure] = sample_status(estimate, measure, thresholds)
        row[measure] = estimate.rate if estimate else math.nan
        row[f"{measure}_low"] = estimate.low if estimate else math.nan
        row[f"{measure}_high"] = estimate.high if estimate else math.nan
        row[f"{measure}_n"] = estimate.observed if estimate else 0
        row[f"{measure}_status"] = statuses[measure]
    rates = [statuses[m] for m in RATES]
    if all(s == NONE for s in rates):
        row["readiness"] = NONE
    elif RED in rates:
        row["readiness"] = RED
    else:
        row["readiness"] = GREEN if all(s == GREEN for s in rates) else AMBER
    return row


def _strata_for(
    strata: pd.DataFrame, sample: pd.DataFrame, observed: pd.Series, hits: pd.Series
) -> list[Stratum]:
    result = []
    for town, status, population in zip(
        strata["town_code"], strata["status"], strata["population"], strict=True
    ):
        member = (sample["town_code"] == town) & (sample["status"] == status)
        result.append(
            Stratum(
                population=int(population),
                observed=int((member & observed).sum()),
                hits=int((member & hits).sum()),
            )
        )
    return result


def town_sizes_text(sizes: Mapping[str, int], order: Sequence[str] = SAMPLE_STATUSES) -> str:
    """ "15/5/10": the sizes per status in SAMPLE_STATUSES order, for file names and captions."""
    return "/".join(str(clean_sizes(sizes)[status]) for status in order)


def with_readiness(
    frame: pd.DataFrame, counts: pd.DataFrame, thresholds: Thresholds, *, key: str
) -> pd.DataFrame:
    """`frame` (the map's villages or towns) with a `readiness` column of map class keys
    ("readiness_green" / "_amber" / "_red"; None without households) from `readiness_counts`."""
    ready = readiness_table(counts, thresholds)
    classes = pd.DataFrame(
        {
            key: ready[key],
            "readiness": [None if s == NONE else f"readiness_{s}" for s in ready["readiness"]],
        }
    )
    return frame.drop(columns="readiness", errors="ignore").merge(classes, on=key, how="left")


# The data checks (labels `assessment.check.<key>`) and the family each belongs to, in the order
# pages list them; lib.queries.assessment holds their SQL.
CHECK_FAMILIES: dict[str, str] = {
    "income_below_line": "wrong_exit",
    "guarantee_not_met": "wrong_exit",
    "exit_steps_missing": "exit_steps",
    "exit_steps_out_of_order": "exit_steps",
    "fields_missing": "fields",
    "not_verified": "verification",
    "verified_long_ago": "verification",
    "members_income_mismatch": "contradiction",
    "housing_contradiction": "contradiction",
    "unregistered_need": "missed",
}
CHECK_KEYS = list(CHECK_FAMILIES)
# The readiness counts per town or village (lib.queries.assessment.readiness_counts).
COUNT_COLUMNS = [
    "households",
    "exited",
    "verified_current",
    "wrong_exits",
    "visited",
    "found_need",
    "answered",
    "satisfied",
    *CHECK_KEYS,
    "with_issues",
]
