"""Settings read from the environment, then `.streamlit/secrets.toml`, then defaults.

Read when used, never at import, so tests can point the app at another database.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from lib.core.domain import MAX_MISSED_IDENTIFICATION_RATE, MAX_WRONG_EXIT_RATE, MIN_SATISFACTION

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"
GEO_DIR = DATA_DIR / "geo"
DEFAULT_SQLITE_PATH = DATA_DIR / "county.db"
SECRETS_PATH = ROOT / ".streamlit" / "secrets.toml"

LANGUAGES = ("zh", "en")


def _secrets() -> dict[str, Any]:
    if not SECRETS_PATH.exists():
        return {}
    try:
        with SECRETS_PATH.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def setting(name: str, default: str | None = None) -> str | None:
    """One setting: environment variable first, then secrets.toml, then `default`."""
    value = os.environ.get(name)
    if value not in (None, ""):
        return value
    secret = _secrets().get(name)
    if secret not in (None, ""):
        return str(secret)
    return default


def database_url() -> str:
    """The SQLAlchemy URL of the shared database; unset means the SQLite file under data/."""
    return setting("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def default_language() -> str:
    lang = (setting("DEFAULT_LANGUAGE", "zh") or "zh").lower()
    return lang if lang in LANGUAGES else "zh"


def tiles_url() -> str | None:
    """Optional map tile URL template; none by default so the map needs no internet."""
    return setting("TILES_URL")


def plan_coverage_target() -> float:
    """Target share of poor households with labour that have an industry plan (default: all)."""
    return _share_setting("PLAN_COVERAGE_TARGET", 1.0)


def exit_target() -> float:
    """Target share of registered households out of poverty (default: all of them)."""
    return _share_setting("EXIT_TARGET", 1.0)


def training_target() -> float:
    """Target share of serving first secretaries trained, when the county's required programme
    sets none."""
    return _share_setting("TRAINING_TARGET", 0.90)


def stable_income_target() -> float:
    """Target share of households with a plan whose plan reached stable income."""
    return _share_setting("STABLE_INCOME_TARGET", 0.50)


def stuck_after_months() -> int:
    """A plan below "stable income" counts as stuck after this many months at one stage."""
    try:
        return max(1, int(setting("STUCK_AFTER_MONTHS", "12") or 12))
    except ValueError:
        return 12


STAY_SIGNED_IN_HOURS = 12  # a working day: a morning's sign-in lasts through the evening's meeting
STAY_SIGNED_IN_MAX_HOURS = 24 * 30


def stay_signed_in_hours() -> int:
    """Hours a sign-in lasts, across reloads and new tabs, before its user must sign in again.

    Counted from the sign-in (not from the last page), whole hours from 1 to 720 (30 days);
    anything else falls back to the default, 12.
    """
    try:
        hours = int(setting("STAY_SIGNED_IN_HOURS", str(STAY_SIGNED_IN_HOURS)) or STAY_SIGNED_IN_HOURS)
    except ValueError:
        return STAY_SIGNED_IN_HOURS
    return hours if 1 <= hours <= STAY_SIGNED_IN_MAX_HOURS else STAY_SIGNED_IN_HOURS


def _share_setting(name: str, default: float) -> float:
    try:
        value = float(setting(name, str(default)) or default)
    except ValueError:
        return default
    return value if 0 < value <= 1 else default


# --- the third-party assessment: thresholds and what counts as verified (see /assessment) --------


def max_wrong_exit_rate() -> float:
    """Wrong exits the national assessment tolerates: at most this share of exited households."""
    return _share_setting("MAX_WRONG_EXIT_RATE", MAX_WRONG_EXIT_RATE)


def max_missed_identification_rate() -> float:
    """Missed identification the assessment tolerates: at most this share (visits that found need)."""
    return _share_setting("MAX_MISSED_IDENTIFICATION_RATE", MAX_MISSED_IDENTIFICATION_RATE)


def min_satisfaction() -> float:
    """Satisfaction the assessment requires: at least this share of households asked."""
    return _share_setting("MIN_SATISFACTION", MIN_SATISFACTION)


def verified_target() -> float:
    """Share of households whose ledger should be verified (and recently) before the assessment."""
    return _share_setting("VERIFIED_TARGET", 0.90)


def verified_within_months() -> int:
    """A ledger verified longer ago than this many months counts as "verified too long ago"."""
    try:
        return max(1, int(setting("VERIFIED_WITHIN_MONTHS", "12") or 12))
    except ValueError:
        return 12
