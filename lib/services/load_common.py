"""What every load kind shares: a planned change, the plan of a file, and the helpers that read
what is stored (retired records too) and write the changes (lib.services.loading runs them).

A kind is a planner and a writer (`KindLoader`): the planner reads what is stored and compares
each clean row of the file with it, adding a `Change` per record that differs (or a problem);
the writer stores the changes in the caller's write transaction and says which households and
villages changed (for the rollups). Audit rows, the data version and `loaded_files` are the
runner's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lib.core.models import INCLUDE_RETIRED, Town, Village
from lib.files.imports import Problem, Row, normalize

Action = Literal["add", "change", "retire", "restore"]


@dataclass(frozen=True)
class Change:
    """One record the load adds, changes, retires or brings back: `old` and `new` hold the fields
    that differ (all of them for an added record). `row` is the file's row; None for a record the
    file no longer holds."""

    row: int | None
    table: str
    key: str
    action: Action
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    record_id: int | None = None


def row_problem(row: Row | None, column: str | None, key: str, **params: Any) -> Problem:
    return Problem(row.number if row else None, column, key, params)


def differences(
    stored: Mapping[str, Any], wanted: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    old = {name: stored[name] for name, value in wanted.items() if stored[name] != value}
    return old, {name: wanted[name] for name in old}


def given_values(values: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The fields among `names` the row gives a value for (a blank cell leaves the stored value)."""
    return {name: values[name] for name in names if values.get(name) is not None}


def read_all(session: Session, *columns: Any, join: Any = None) -> list[Any]:
    """Rows of `columns`, retired records included (the loaders match them to the file's rows)."""
    query = select(*columns)
    if join is not None:
        query = query.join(join)
    return list(session.execute(query.execution_options(**{INCLUDE_RETIRED: True})))


def columns_of(model: Any, names: Iterable[str]) -> list[Any]:
    """The model's columns called `names`."""
    return [getattr(model, name) for name in names]


def uniform_rows(model: Any, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`rows` with the same columns each (one INSERT for all): a column a row lacks gets its default."""
    names = {name for row in rows for name in row}
    defaults = {}
    for name in names:
        default = model.__table__.c[name].default
        defaults[name] = default.arg if default is not None and default.is_scalar else None
    return [{name: row.get(name, defaults[name]) for name in names} for row in rows]


@dataclass
class Plan:
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    missing: list[Change] = field(default_factory=list)
    unchanged: int = 0


def plan_upsert(
    plan: Plan,
    row: Row,
    *,
    table: str,
    key: str,
    stored: Mapping[str, Any] | None,
    wanted: Mapping[str, Any],
    retired: bool,
) -> None:
    if stored is None:
        plan.changes.append(Change(row.number, table, key, "add", {}, dict(wanted)))
        return
    old, new = differences(stored, wanted)
    if retired:
        plan.changes.append(Change(row.number, table, key, "restore", old, new, stored["id"]))
    elif new:
        plan.changes.append(Change(row.number, table, key, "change", old, new, stored["id"]))
    else:
        plan.unchanged += 1


def write_updates(session: Session, model: Any, changes: Sequence[Change], as_of: dt.date) -> None:
    for change in changes:
        values: dict[str, Any] = {
            name: value for name, value in change.new.items() if name not in ("causes", "income")
        }
        if change.action == "retire":
            values["retired_on"] = as_of
        elif change.action == "restore":
            values["retired_on"] = None
        if not values:
            continue
        if hasattr(model, "version"):
            values["version"] = model.version + 1
        session.execute(
            update(model)
            .where(model.id == change.record_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


Planner = Callable[..., Plan]  # (session, rows, *, as_of) -> Plan
Writer = Callable[[Session, Sequence[Change], dt.date], tuple[list[int], list[int]]]


@dataclass(frozen=True)
class KindLoader:
    """How one kind's rows are planned and written: `write` returns (household ids, village ids).

    `retires`: whether its records can be retired (or ended). Those of a kind that cannot (links,
    plans, attendance) are only listed when a file no longer holds them, even with retire_missing.
    """

    plan: Planner
    write: Writer
    retires: bool = True


def match_villages(session: Session, rows: Sequence[Row], plan: Plan) -> tuple[dict[int, int], list[Any]]:
    """Each row's village id (by row number), from its village_code or its town_name and
    village_name, a problem in `plan` for each row that names no single live village; and the
    live villages (id, code, name_zh, town_name)."""
    live = [
        r
        for r in read_all(
            session,
            Village.id,
            Village.code,
            Village.name_zh,
            Village.retired_on,
            Town.name_zh.label("town_name"),
            join=Village.town,
        )
        if r.retired_on is None
    ]
    by_code = {r.code: r.id for r in live}
    found: dict[int, int] = {}
    for row in rows:
        code = row.values.get("village_code")
        if code is not None:
            if code in by_code:
                found[row.number] = by_code[code]
            else:
                plan.problems.append(
                    row_problem(row, "village_code", "load.error.village_unknown", code=code)
                )
            continue
        town_name, village_name = row.values.get("town_name"), row.values.get("village_name")
        if not village_name:
            plan.problems.append(row_problem(row, None, "load.error.village_needed"))
            continue
        ids = [
            r.id
            for r in live
            if normalize(r.name_zh) == normalize(village_name)
            and (not town_name or normalize(r.town_name) == normalize(town_name))
        ]
        if len(ids) == 1:
            found[row.number] = ids[0]
        else:
            key = "load.error.village_ambiguous" if ids else "load.error.village_name_unknown"
            plan.problems.append(
                row_problem(row, "village_name", key, village=village_name, town=town_name or "")
            )
    return found, live
