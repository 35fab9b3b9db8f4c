"""Loading a county's own files: an upsert on natural keys, reported row by row, all or nothing.

`check_load` is the dry run: it reads what is stored (in a read transaction, no write lock) and
reports what the file would add, change and leave unchanged, row by row, and which stored records
the file no longer holds. `run_load` does the same under the write lock and, when every row
passes, writes it all in one transaction: each added, changed or retired record with its own
audit row ("load.add" / "load.change" / "load.retire", by that user, through that file), a
`loaded_files` row, one data-version bump and the rollups worked out again.

Rules a county can rely on:
- Natural keys: a division's code, a household's archive number (户编号).
- A blank cell leaves the stored value as it is; a column the file does not have is not read. So
  a file without coordinates never erases them, and English names people corrected stay.
- Records the file no longer holds are listed, and only retired (never deleted) with
  `retire_missing`; a retired record the file holds again comes back.
- Loading the same file twice changes nothing: no audit row, no data-version bump.
- Households "missing" are looked for in the towns the file covers, so a town's own file never
  retires another town's households.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from lib.core.db import begin_write
from lib.core.errors import PermissionDenied
from lib.core.models import (
    INCLUDE_RETIRED,
    AuditEntry,
    Boundary,
    HeaderMapping,
    Household,
    HouseholdCause,
    HouseholdIncome,
    LoadedFile,
    Meta,
    Town,
    Village,
)
from lib.files.boundaries import BoundaryFile, Outline
from lib.files.imports import Problem, RecordType, Row, Upload, duplicate_problems, normalize, rows_hash
from lib.files.loads import BOUNDARIES, load_kind
from lib.rules import register
from lib.rules.divisions import CODE_DIGITS, english_name, level_of, stored_code, town_of
from lib.rules.permissions import DATA_LOAD, Actor
from lib.rules.privacy import mask_id_number
from lib.services import rollups
from lib.services.auth import require_role
from lib.services.common import audit_values, bump_data_version, insert_many
from lib.services.load_common import (
    Action,
    Change,
    KindLoader,
    Plan,
    columns_of,
    differences,
    given_values,
    match_villages,
    plan_upsert,
    read_all,
    row_problem,
    uniform_rows,
    write_updates,
)
from lib.services.loading_industry import ORGANISATIONS_LOADER, PLANS_LOADER
from lib.services.loading_staff import plan_postings, plan_training, write_postings, write_training

ROLLUP_REBUILD_AT = 2000  # more changed households than this: rebuild the rollups whole
LOOKUP_CHUNK = 500


@dataclass
class LoadReport:
    """What a file would do (or did): every problem, every change, and what it leaves alone."""

    kind: RecordType
    row_count: int
    problems: list[Problem]
    changes: list[Change] = field(default_factory=list)
    missing: list[Change] = field(default_factory=list)  # stored records the file no longer holds
    unchanged: int = 0
    ignored: tuple[str, ...] = ()  # the file's headers read as no column
    unmatched: list[Change] = field(default_factory=list)  # outlines whose code names no division
    loaded_before: dt.datetime | None = None  # the same rows were loaded then
    content_hash: str = ""  # lib.files.imports.rows_hash of the file's rows
    committed: bool = False
    retired: int = 0  # of `missing`, how many the load retired

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def ok(self) -> bool:
        return not self.problems and self.row_count > 0


# --- the plan -------------------------------------------------------------------------------------


TOWN_FIELDS = ("name_zh", "name_en", "lon", "lat")
VILLAGE_FIELDS = (*TOWN_FIELDS, "is_poor", "planned_exit_year", "actual_exit_year", "population")


def _plan_divisions(session: Session, rows: Sequence[Row], *, as_of: dt.date) -> Plan:
    plan = Plan()
    towns = {
        r.code: r._asdict()
        for r in read_all(session, Town.id, Town.code, Town.retired_on, *columns_of(Town, TOWN_FIELDS))
    }
    villages = {
        r.code: r._asdict()
        for r in read_all(
            session, Village.id, Village.code, Village.retired_on, *columns_of(Village, VILLAGE_FIELDS)
        )
    }
    file_towns: set[str] = set()
    for row in rows:
        code = row.values["code"]
        level = level_of(code)
        if row.values.get("level") not in (None, level):
            plan.problems.append(row_problem(row, "level", "load.error.level_mismatch", code=code))
            continue
        if level == "town":
            file_towns.add(stored_code(code))
    file_codes: set[str] = set()
    for row in rows:
        code = row.values["code"]
        level = level_of(code)
        if level == "county" or row.values.get("level") not in (None, level):
            continue  # the county's own row names no town or village
        year = row.values.get("actual_exit_year")
        if year is not None and year > as_of.year:
            plan.problems.append(row_problem(row, "actual_exit_year", "load.error.year_future", year=year))
            continue
        key = stored_code(code)
        file_codes.add(key)
        if level == "town":
            stored = towns.get(key)
            wanted = given_values(row.values, TOWN_FIELDS)
            if stored is None:
                wanted.setdefault("name_en", english_name(row.values["name_zh"]))
            plan_upsert(
                plan,
                row,
                table="towns",
                key=key,
                stored=stored,
                wanted=wanted,
                retired=stored is not None and stored["retired_on"] is not None,
            )
            continue
        town = town_of(code)
        if town not in file_towns and (town not in towns or towns[town]["retired_on"] is not None):
            plan.problems.append(
                row_problem(row, "code", "load.error.town_missing", code=code, town=f"{town}000")
            )
            continue
        stored = villages.get(key)
        wanted = given_values(row.values, VILLAGE_FIELDS)
        if stored is None:
            wanted.setdefault("name_en", english_name(row.values["name_zh"]))
            wanted.setdefault("is_poor", False)
            wanted["town_code"] = town
        plan_upsert(
            plan,
            row,
            table="villages",
            key=key,
            stored=stored,
            wanted=wanted,
            retired=stored is not None and stored["retired_on"] is not None,
        )
    # As for households: only villages of the towns the file covers count as missing, so a town's
    # own list never retires another town's villages, and a town a file leaves out stays.
    covered = file_towns | {town_of(code) for code in file_codes if len(code) == CODE_DIGITS}
    for key, stored in sorted(villages.items()):
        if key not in file_codes and stored["retired_on"] is None and town_of(key) in covered:
            plan.missing.append(Change(None, "villages", key, "retire", {}, {}, stored["id"]))
    return plan


HOUSEHOLD_FIELDS = (
    "head_name",
    "head_id_number",
    "members",
    "labour_count",
    "primary_cause",
    "housing_grade",
    "no_worry_food",
    "no_worry_clothing",
    "guarantee_education",
    "guarantee_medical",
    "guarantee_housing",
    "safe_water",
    "status",
    "registered_year",
    "exit_year",
    "helper_name",
    "helper_unit",
)


def _household_values(row: Row, problems: list[Problem]) -> dict[str, Any] | None:
    """The household fields a row gives, or None (with its problems) when its cells disagree."""
    values = dict(row.values)
    members, labour = values.get("members"), values.get("labour_count")
    if members is not None and labour is not None and labour > members:
        problems.append(
            row_problem(
                row, "labour_count", "load.error.labour_exceeds_members", labour=labour, members=members
            )
        )
        return None
    registered, exited = values.get("registered_year"), values.get("exit_year")
    if registered is not None and exited is not None and exited < registered:
        problems.append(
            row_problem(
                row, "exit_year", "load.error.exit_before_registered", exit=exited, registered=registered
            )
        )
        return None
    grade, dangerous = values.get("housing_grade"), values.get("dangerous_house")
    if grade is not None and dangerous is not None:
        try:
            register.housing(grade, "是" if dangerous else "否")
        except register.RegisterValueError as error:
            problems.append(row_problem(row, "dangerous_house", error.key, **error.params))
            return None
    if dangerous is not None and grade is None:
        values.setdefault("guarantee_housing", not dangerous)
    return given_values(values, HOUSEHOLD_FIELDS)


def _plan_households(session: Session, rows: Sequence[Row], *, as_of: dt.date) -> Plan:
    plan = Plan()
    village_of_row, _live = match_villages(session, rows, plan)
    stored = {
        r.archive_no: r._asdict()
        for r in read_all(
            session,
            Household.id,
            Household.archive_no,
            Household.village_id,
            Household.retired_on,
            *columns_of(Household, HOUSEHOLD_FIELDS),
        )
    }
    causes: dict[int, set[str]] = {}
    for household_id, cause in read_all(session, HouseholdCause.household_id, HouseholdCause.cause):
        causes.setdefault(household_id, set()).add(cause)
    incomes = {
        (r.household_id, r.year): r.per_capita_income
        for r in read_all(
            session, HouseholdIncome.household_id, HouseholdIncome.year, HouseholdIncome.per_capita_income
        )
    }
    id_owner = {r["head_id_number"]: key for key, r in stored.items() if r["head_id_number"]}
    seen_ids: dict[str, int] = {}
    file_keys: set[str] = set()
    file_villages: set[int] = set()
    for row in rows:
        archive_no = row.values["archive_no"]
        file_keys.add(archive_no)
        village_id = village_of_row.get(row.number)
        wanted = _household_values(row, plan.problems)
        if village_id is None or wanted is None:
            continue
        file_villages.add(village_id)
        id_number = wanted.get("head_id_number")
        if id_number:
            if id_number in seen_ids:
                plan.problems.append(
                    row_problem(row, "head_id_number", "load.error.id_repeated", first=seen_ids[id_number])
                )
                continue
            seen_ids[id_number] = row.number
            owner = id_owner.get(id_number)
            if owner is not None and owner != archive_no:
                plan.problems.append(
                    row_problem(row, "head_id_number", "load.error.id_taken", archive_no=owner)
                )
                continue
        wanted["village_id"] = village_id
        record = stored.get(archive_no)
        row_causes = set(row.values.get("other_causes") or ())
        if wanted.get("primary_cause"):
            row_causes.add(wanted["primary_cause"])
        income = row.values.get("income")
        year = row.values.get("income_year") or as_of.year - 1
        if record is None:
            wanted.setdefault("members", 1)
            wanted.setdefault("status", "poor")
            if row_causes:
                wanted["causes"] = sorted(row_causes)
            if income is not None:
                wanted["income"] = [year, income]
            plan.changes.append(Change(row.number, "households", archive_no, "add", {}, wanted))
            continue
        old, new = differences(record, wanted)
        had = causes.get(record["id"], set())
        if row_causes and not row_causes <= had:
            old["causes"], new["causes"] = sorted(had), sorted(had | row_causes)
        if income is not None and incomes.get((record["id"], year)) != income:
            old["income"], new["income"] = [year, incomes.get((record["id"], year))], [year, income]
        if record["retired_on"] is not None:
            plan.changes.append(
                Change(row.number, "households", archive_no, "restore", old, new, record["id"])
            )
        elif new:
            plan.changes.append(
                Change(row.number, "households", archive_no, "change", old, new, record["id"])
            )
        else:
            plan.unchanged += 1
    village_town = {r.id: r.town_id for r in read_all(session, Village.id, Village.town_id)}
    covered_towns = {village_town[village_id] for village_id in file_villages}
    for key, record in sorted(stored.items()):
        if (
            key not in file_keys
            and record["retired_on"] is None
            and village_town.get(record["village_id"]) in covered_towns
        ):
            plan.missing.append(Change(None, "households", key, "retire", {}, {}, record["id"]))
    return plan


def _holds_demo(session: Session) -> bool:
    """Whether the database holds the demo county: a county's own files never mix with it."""
    return session.scalar(select(Meta.value).where(Meta.key == "dataset")) == "demo"


def _plan(
    session: Session, actor: Actor | None, kind: RecordType, upload: Upload, *, as_of: dt.date
) -> tuple[Actor | None, LoadReport]:
    report = LoadReport(kind, upload.row_count, list(upload.problems), ignored=upload.ignored)
    try:
        fresh = require_role(session, actor, DATA_LOAD)
    except PermissionDenied:
        report.problems.append(Problem(None, None, "load.error.may_not_load"))
        return None, report
    if _holds_demo(session):
        report.problems.append(Problem(None, None, "load.error.demo_database"))
        return fresh, report
    if report.problems or not upload.rows:
        if not report.problems:
            report.problems.append(Problem(None, None, "data.error.no_rows"))
        return fresh, report
    repeated = duplicate_problems(kind, upload.rows)
    repeated_rows = {problem.row for problem in repeated}
    once = [row for row in upload.rows if row.number not in repeated_rows]
    plan = LOADERS[kind.code].plan(session, once, as_of=as_of)
    letters = upload.letters
    report.problems.extend(
        Problem(p.row, p.column, p.key, p.params, letters.get(p.column or ""))
        for p in sorted([*repeated, *plan.problems], key=lambda p: (p.row or 0, p.column or ""))
    )
    report.changes, report.missing, report.unchanged = plan.changes, plan.missing, plan.unchanged
    report.content_hash = rows_hash(kind, upload.rows)
    report.loaded_before = session.scalar(
        select(LoadedFile.loaded_at)
        .where(LoadedFile.kind == kind.code, LoadedFile.content_hash == report.content_hash)
        .order_by(LoadedFile.loaded_at.desc())
        .limit(1)
    )
    return fresh, report


def check_load(
    session: Session, *, actor: Actor | None, kind: RecordType | str, upload: Upload, as_of: dt.date
) -> LoadReport:
    """What loading `upload` would do, written nowhere and holding no write lock."""
    kind = load_kind(kind) if isinstance(kind, str) else kind
    try:
        return _plan(session, actor, kind, upload, as_of=as_of)[1]
    finally:
        session.rollback()


# --- writing ------------------------------------------------------------------------------------


def _audit_shown(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as the audit log keeps them: ID numbers masked (the log is read on /admin)."""
    return {
        name: mask_id_number(value) if name == "head_id_number" and value else value
        for name, value in values.items()
    }


def _write_divisions(
    session: Session, changes: Sequence[Change], as_of: dt.date
) -> tuple[list[int], list[int]]:
    towns = [c for c in changes if c.table == "towns"]
    new_towns = [c for c in towns if c.action == "add"]
    insert_many(session, Town, uniform_rows(Town, [{"code": c.key, **c.new} for c in new_towns]))
    town_ids = {r.code: r.id for r in read_all(session, Town.id, Town.code)}
    villages = [c for c in changes if c.table == "villages"]
    new_villages = [c for c in villages if c.action == "add"]
    village_rows = []
    for change in new_villages:
        values = {name: value for name, value in change.new.items() if name != "town_code"}
        village_rows.append({"code": change.key, "town_id": town_ids[change.new["town_code"]], **values})
    added = insert_many(session, Village, uniform_rows(Village, village_rows))
    write_updates(session, Town, [c for c in towns if c.action != "add"], as_of)
    write_updates(session, Village, [c for c in villages if c.action != "add"], as_of)
    changed = [c.record_id for c in villages if c.record_id is not None]
    return [], [*added, *changed]


def _write_households(
    session: Session, changes: Sequence[Change], as_of: dt.date
) -> tuple[list[int], list[int]]:
    added = [c for c in changes if c.action == "add"]
    fields = [
        {"archive_no": c.key, **{k: v for k, v in c.new.items() if k not in ("causes", "income")}}
        for c in added
    ]
    new_ids = dict(
        zip(
            (c.key for c in added),
            insert_many(session, Household, uniform_rows(Household, fields)),
            strict=True,
        )
    )
    record_ids = {c.key: c.record_id if c.record_id is not None else new_ids[c.key] for c in changes}
    write_updates(session, Household, [c for c in changes if c.action != "add"], as_of)
    cause_rows = [
        {"household_id": record_ids[c.key], "cause": cause}
        for c in changes
        for cause in sorted(set(c.new.get("causes") or ()) - set(c.old.get("causes") or ()))
    ]
    if cause_rows:
        session.execute(insert(HouseholdCause), cause_rows)
    for change in changes:
        income = change.new.get("income")
        if income is None:
            continue
        year, amount = income
        previous = change.old.get("income")
        if previous is not None and previous[1] is not None:
            session.execute(
                update(HouseholdIncome)
                .where(HouseholdIncome.household_id == record_ids[change.key], HouseholdIncome.year == year)
                .values(per_capita_income=amount)
            )
        else:
            session.execute(
                insert(HouseholdIncome),
                {"household_id": record_ids[change.key], "year": year, "per_capita_income": amount},
            )
    ids = sorted(record_ids.values())
    # Retired households' villages too: the rollups refresh by village, and a query for a retired
    # household's village (rollups.refresh) would leave it out.
    if len(ids) > ROLLUP_REBUILD_AT:
        return ids, []  # the runner rebuilds the rollups whole
    of_households = select(Household.village_id).where(Household.id.in_(ids)).distinct()
    villages = session.scalars(of_households.execution_options(**{INCLUDE_RETIRED: True})).all()
    return ids, sorted(villages)


LOADERS: dict[str, KindLoader] = {
    "divisions": KindLoader(_plan_divisions, _write_divisions),
    "households": KindLoader(_plan_households, _write_households),
    "postings": KindLoader(plan_postings, write_postings),
    "training": KindLoader(plan_training, write_training, retires=False),
    "organisations": ORGANISATIONS_LOADER,
    "plans": PLANS_LOADER,
}


def run_load(
    session: Session,
    *,
    actor: Actor | None,
    kind: RecordType | str,
    upload: Upload,
    as_of: dt.date,
    file_name: str | None = None,
    retire_missing: bool = False,
    expected_missing: Collection[str] | None = None,
) -> LoadReport:
    """Load `upload` when every row passes: one write transaction, checked again under the lock.

    `expected_missing`: the keys of the records the user was shown as missing and agreed to retire
    (the page passes them): when the plan made under the lock would retire others, nothing is
    written and the report says the data changed meanwhile.

    The report says what was written (`committed`); with problems nothing is. A file that changes
    nothing writes nothing: no audit row, no `loaded_files` row, no data-version bump.
    """
    kind = load_kind(kind) if isinstance(kind, str) else kind
    begin_write(session)
    try:
        fresh, report = _plan(session, actor, kind, upload, as_of=as_of)
        retiring = retire_missing and LOADERS[kind.code].retires
        shown = set(expected_missing) if expected_missing is not None else None
        if retiring and shown is not None and {change.key for change in report.missing} != shown:
            report.problems.append(Problem(None, None, "load.error.changed_meanwhile"))
        work = [*report.changes, *(report.missing if retiring else ())]
        if fresh is None or report.problems or not work:
            session.rollback()
            return report
        households, villages = LOADERS[kind.code].write(session, work, as_of)
        reason = f"{kind.code}: {file_name}" if file_name else kind.code
        insert_many(
            session,
            AuditEntry,
            [
                audit_values(
                    actor=fresh,
                    action=f"load.{change.action}",
                    table=change.table,
                    key=change.key,
                    old=_audit_shown(change.old) if change.action != "add" else None,
                    new=_audit_shown(change.new),
                    reason=reason,
                )
                for change in work
            ],
        )
        insert_many(
            session,
            LoadedFile,
            [
                {
                    "kind": kind.code,
                    "content_hash": report.content_hash,
                    "file_name": (file_name or "")[:200] or None,
                    "rows": upload.row_count,
                    "added": report.count("add"),
                    "changed": report.count("change") + report.count("restore"),
                    "retired": len(report.missing) if retiring else 0,
                    "user_id": fresh.user_id,
                    "username": fresh.username,
                }
            ],
        )
        if len(households) > ROLLUP_REBUILD_AT or kind.code == "divisions":
            bump_data_version(session)
            rollups.rebuild(session)
        else:
            bump_data_version(session, households=households, villages=villages)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    report.committed = True
    report.retired = len(report.missing) if retiring else 0
    return report


# --- boundaries -------------------------------------------------------------------------------


def _digest(geometry: str) -> str:
    """A short stand-in for an outline in the audit log (outlines are kilobytes each)."""
    return hashlib.sha256(geometry.encode()).hexdigest()[:12]


def _geometry_text(outline: Outline) -> str:
    return json.dumps(outline.geometry, separators=(",", ":"), sort_keys=True)


def _stored_key(outline: Outline) -> str:
    return outline.code[:COUNTY_DIGITS] if outline.level == "county" else stored_code(outline.code)


COUNTY_DIGITS = 6


def _plan_boundaries(
    session: Session, outlines: Sequence[Outline], *, source: str | None
) -> tuple[Plan, list[Change]]:
    """The outlines to add or change, the towns' and villages' missing coordinates to fill with a
    point inside their outline, and the outlines whose code names no stored division."""
    plan = Plan()
    unmatched: list[Change] = []
    places = {
        "town": {
            r.code: r for r in read_all(session, Town.id, Town.code, Town.lon, Town.lat, Town.retired_on)
        },
        "village": {
            r.code: r
            for r in read_all(session, Village.id, Village.code, Village.lon, Village.lat, Village.retired_on)
        },
    }
    counties = {code[:COUNTY_DIGITS] for code in places["town"]}
    stored = {r.code: r for r in read_all(session, Boundary.code, Boundary.level, Boundary.geometry)}
    for outline in outlines:
        key = _stored_key(outline)
        place = places.get(outline.level, {}).get(key)
        known = (
            key in counties if outline.level == "county" else place is not None and place.retired_on is None
        )
        if not known:
            unmatched.append(
                Change(outline.number, "boundaries", outline.code, "add", {}, {"name": outline.name or ""})
            )
            continue
        geometry = _geometry_text(outline)
        lon, lat = outline.point
        wanted = {"level": outline.level, "geometry": geometry, "lon": lon, "lat": lat, "source": source}
        old = stored.get(key)
        if old is None:
            plan.changes.append(Change(outline.number, "boundaries", key, "add", {}, wanted))
        elif old.geometry != geometry or old.level != outline.level:
            plan.changes.append(
                Change(outline.number, "boundaries", key, "change", {"geometry": old.geometry}, wanted)
            )
        else:
            plan.unchanged += 1
        if place is not None and (place.lon is None or place.lat is None):
            table = "towns" if outline.level == "town" else "villages"
            plan.changes.append(
                Change(
                    outline.number,
                    table,
                    key,
                    "change",
                    {"lon": None, "lat": None},
                    {"lon": lon, "lat": lat},
                    place.id,
                )
            )
    return plan, unmatched


def _boundary_audit(change: Change) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    if change.table != "boundaries":
        return (dict(change.old) if change.action != "add" else None), dict(change.new)
    new = {**change.new, "geometry": _digest(change.new["geometry"])}
    old = {"geometry": _digest(change.old["geometry"])} if change.action == "change" else None
    return old, new


def _write_boundaries(session: Session, changes: Sequence[Change]) -> list[int]:
    outlines = [c for c in changes if c.table == "boundaries"]
    new = [{"code": c.key, **c.new, "version": 1} for c in outlines if c.action == "add"]
    if new:
        session.execute(insert(Boundary), new)
    for change in outlines:
        if change.action == "change":
            session.execute(
                update(Boundary)
                .where(Boundary.code == change.key)
                .values(**change.new, version=Boundary.version + 1)
            )
    write_updates(session, Town, [c for c in changes if c.table == "towns"], dt.date.today())
    write_updates(session, Village, [c for c in changes if c.table == "villages"], dt.date.today())
    return [c.record_id for c in changes if c.table == "villages" and c.record_id is not None]


def division_codes(session: Session) -> set[str]:
    """Every live town's and village's 12-digit code (a boundary file's codes are matched to them)."""
    towns = {f"{code}000" for code in session.scalars(select(Town.code))}
    return towns | set(session.scalars(select(Village.code)))


def load_boundaries(
    session: Session,
    *,
    actor: Actor | None,
    outlines: BoundaryFile,
    file_name: str | None = None,
    write: bool = True,
) -> LoadReport:
    """Store a boundary file's outlines (upsert on the division's code), all or none.

    A file with problems writes nothing. Outlines whose code names no stored division are listed
    in `unmatched` and not stored; the rest are. A town or village without coordinates gets a
    point inside its outline. `write=False` is the dry run (no write lock taken).
    """
    report = LoadReport(BOUNDARIES, outlines.feature_count, list(outlines.problems))
    if write:
        begin_write(session)
    try:
        try:
            fresh = require_role(session, actor, DATA_LOAD)
        except PermissionDenied:
            report.problems.append(Problem(None, None, "load.error.may_not_load"))
            session.rollback()
            return report
        if _holds_demo(session):
            report.problems.append(Problem(None, None, "load.error.demo_database"))
        if report.problems or not outlines.outlines:
            if not report.problems:
                report.problems.append(Problem(None, None, "boundaries.error.no_outlines"))
            session.rollback()
            return report
        plan, report.unmatched = _plan_boundaries(
            session, outlines.outlines, source=(file_name or "")[:200] or None
        )
        report.changes, report.unchanged = plan.changes, plan.unchanged
        if not write or not plan.changes:
            session.rollback()
            return report
        villages = _write_boundaries(session, plan.changes)
        reason = f"boundaries: {file_name}" if file_name else "boundaries"
        audits = []
        for change in plan.changes:
            old, new = _boundary_audit(change)
            audits.append(
                audit_values(
                    actor=fresh,
                    action=f"load.{change.action}",
                    table=change.table,
                    key=change.key,
                    old=old,
                    new=new,
                    reason=reason,
                )
            )
        insert_many(session, AuditEntry, audits)
        bump_data_version(session, villages=villages)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    report.committed = True
    return report


# --- saved header mappings ---------------------------------------------------------------------


def saved_mapping(session: Session, kind: str) -> dict[str, str]:
    """The headers an administrator mapped for `kind` (normalised header → column code, "" for none)."""
    query = select(HeaderMapping.header, HeaderMapping.column).where(HeaderMapping.kind == kind)
    return {header: column for header, column in session.execute(query)}


def save_mapping(session: Session, *, actor: Actor | None, kind: str, mapping: Mapping[str, str]) -> None:
    """Keep `mapping` (header as written → column code, "" for none) for `kind`'s next files."""
    begin_write(session)
    try:
        fresh = require_role(session, actor, DATA_LOAD)
        codes = set(load_kind(kind).codes) | {""}
        for header, column in mapping.items():
            if column not in codes:
                raise ValueError(f"unknown column {column!r} for {kind}")
            key = normalize(header)[:120]
            row = session.get(HeaderMapping, (kind, key))
            if row is None:
                session.add(HeaderMapping(kind=kind, header=key, column=column, updated_by=fresh.username))
            else:
                row.column, row.updated_by = column, fresh.username
        session.commit()
    except BaseException:
        session.rollback()
        raise
