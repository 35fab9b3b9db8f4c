"""Audit rows as people read them: "status: poor → exited; exit year: — → 2020" instead of JSON."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from lib.core.i18n import CATALOGS, get_language, t

FIELD_PREFIXES = ("updates.field.", "plans.field.", "staff.field.")
EMPTY = "—"


def field_label(name: str) -> str:
    """The form's label for an audited field where one exists, else the field's own name."""
    for prefix in FIELD_PREFIXES:
        if f"{prefix}{name}" in CATALOGS[get_language()]:
            return t(f"{prefix}{name}")
    return name


def _values(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or not text:
        return {}
    try:
        loaded = json.loads(text)
    except ValueError:
        return {"": text}
    return loaded if isinstance(loaded, dict) else {"": loaded}


def _shown(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return t("forms.yes") if value else t("forms.no")
    return str(value)


def change_text(old: Any, new: Any) -> str:
    """One line per changed field, `label: old → new`; a new record lists its values."""
    before, after = _values(old), _values(new)
    parts = []
    for name in [*after, *(key for key in before if key not in after)]:
        label = field_label(name) if name else ""
        was, now = before.get(name), after.get(name)
        text = f"{_shown(was)} → {_shown(now)}" if name in before else _shown(now)
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)


def with_change_column(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (with old_values/new_values columns) plus a readable `change` column."""
    changes = [change_text(o, n) for o, n in zip(frame["old_values"], frame["new_values"], strict=True)]
    return frame.assign(change=changes)
