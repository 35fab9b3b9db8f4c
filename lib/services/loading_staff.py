"""Loading the county's roster of first secretaries and work teams ("postings") and its training
lists ("training"): the planners and writers `lib.services.loading` runs for these two kinds
(read by `lib.files.loads_staff`). The runner's rules hold: nothing is written unless every row
passes, a blank cell leaves the stored value, loading the same file twice changes nothing.

Natural keys:
- A person (cadres) by resident ID number. A row without one is refused, not matched by name:
  names repeat (a county of 400 secretaries has several 王军 and 李伟), and a roster matched by
  name would give one person's posting or training to another. A person entered on the village
  form without an ID number is not found by the roster: the roster adds them again, and the
  village then has two serving first secretaries, which is reported (end the form's posting, or
  load the roster before using the form).
- A posting by (person, village, start date); a programme by its code (班次代码) when the file
  gives one, else by (name, year); a session by (programme, phase, start date); attendance by
  (session, person).

Postings. A blank 驻村结束时间 means "still serving" for a new posting and leaves a stored end
date as it is (a roster printed before someone left does not bring them back). Refused, with
row and column: an end before the start; a start or an end after the data's date (an end still
to come is left blank); a year of birth or a gender that contradicts the ID number; one ID
number with different names or units in two rows; a person in two villages at once (rows of the
file, or a row and a stored posting: the person's one open posting is also a unique index); a
village with two serving first secretaries once the file is applied (the partial unique index
would refuse it at write time). Serving postings stored for the villages the file covers that
the file no longer has are listed in `missing`; with retire_missing they end on the data's date
(never deleted: a posting is history). A new person's gender and year of birth default to the
ID number's; the sending unit's English name stays blank unless the file gives it (pages show
the Chinese then), as on the village form.

Training. The list records people already stored: a person not found by ID number is refused
(load the roster first). A 类型 cell sets the kind; a blank one is read from the class's name
(lib.files.loads_staff.kind_in) for a new programme and leaves a stored one's kind. A new
programme is required when it is a rotation class or a class for selected secretaries named
as one (lib.files.loads_staff.counts_as_training: the training page counts "trained" from
required programmes only), has no target share, and its English name is its Chinese one (no
dictionary translates class names; pinyin would read worse); without a code it gets one made
from its year and name. A new session's place gets an English name as places do
(lib.rules.divisions.english_name), its days the span of its dates, its places (capacity) the
number of people listed. Topics are matched to stored ones by name or code and only ever added
to a session. A blank 出勤情况 means enrolled for a new row and leaves a stored one's status;
attended or absent for a session that begins after the data's date is refused, and a study
tour's attendance is marked selected. Attendance stored for the file's sessions that the file
no longer has is listed in `missing` only: attendance is what happened, and retire_missing does
nothing to it (the runner, lib.services.loading, still writes a "load.retire" audit row for each
listed record and bumps the data version: it audits whatever it hands the writer).

Audit keys: a person's masked ID number and name (the log never holds a whole ID number); a
posting's village code, like the village form's; a programme's code; a session's
"code#phase@start"; attendance "session key:cadre id".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from lib.core.domain import AttendanceStatus, PostingRole, ProgrammeKind
from lib.core.models import (
    Attendance,
    Cadre,
    Posting,
    SessionTopic,
    TrainingProgramme,
    TrainingSession,
    TrainingTopic,
)
from lib.files.imports import Problem, Row, normalize
from lib.files.loads_staff import counts_as_training, kind_in
from lib.rules.divisions import english_name
from lib.rules.privacy import mask_id_number
from lib.rules.register import birth_date_of
from lib.services.common import AUDIT_KEY_MAX, insert_many
from lib.services.load_common import (
    Change,
    Plan,
    differences,
    match_villages,
    read_all,
    row_problem,
    uniform_rows,
)


@dataclass(frozen=True)
class StaffRecordChange(Change):
    """A `Change` with what its writer needs that the audit log must not show (`refs`: a whole ID
    number, ids of records the plan found). The runner audits `old` and `new` only."""

    refs: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def _refs(change: Change) -> Mapping[str, Any]:
    return change.refs if isinstance(change, StaffRecordChange) else {}


def _key(text: str) -> str:
    return text[:AUDIT_KEY_MAX]


FOREVER = dt.date.max
PLACE_EN_MAX = 120  # TrainingSession.place_en is String(120)


# --- villages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    id: int
    code: str
    name_zh: str


def _village_ids(
    session: Session, rows: Sequence[Row], plan: Plan
) -> tuple[dict[int, int], dict[int, _Place]]:
    """Each row's village id (as the household loader finds it), and every live village by id."""
    found, live = match_villages(session, rows, plan)
    return found, {r.id: _Place(r.id, r.code, r.name_zh) for r in live}


# --- postings ----------------------------------------------------------------------------------

# the roster's columns → Cadre's fields
CADRE_COLUMNS = {
    "cadre_name": "name",
    "cadre_gender": "gender",
    "cadre_birth_year": "birth_year",
    "sent_by_unit": "sent_by_unit_zh",
    "sent_by_unit_en": "sent_by_unit_en",
}
CADRE_FIELDS = tuple(CADRE_COLUMNS.values())


def gender_of(id_number: str) -> str:
    """ "M" or "F" from an ID number's sequence digit (the 17th of 18, the 15th of 15): odd for men."""
    digit = id_number[16] if len(id_number) == 18 else id_number[14]
    return "M" if int(digit) % 2 else "F"


def cadre_key(id_number: str, name: str) -> str:
    """A person's audit key: the masked ID number and the name."""
    return _key(f"{mask_id_number(id_number)} {name}")


@dataclass
class _Person:
    row: Row
    fields: dict[str, Any]  # Cadre's fields the rows give
    columns: dict[str, str]  # Cadre field → the file's column


@dataclass
class _Stint:
    """A posting as it would be once the file is applied (stored, changed or new)."""

    person: str  # ID number, or "#<cadre id>" for a stored person without one
    village_id: int
    role: str
    start: dt.date
    end: dt.date | None
    row: Row | None = None
    posting_id: int | None = None
    name: str = ""

    def overlaps(self, other: _Stint) -> bool:
        return self.start < (other.end or FOREVER) and other.start < (self.end or FOREVER)


def _person_problems(row: Row, id_number: str, problems: list[Problem]) -> bool:
    """Problems of the row's year of birth and gender against its ID number; True when none."""
    values = row.values
    ok = True
    born = birth_date_of(id_number).year
    if values.get("cadre_birth_year") not in (None, born):
        problems.append(
            row_problem(
                row,
                "cadre_birth_year",
                "load.error.person_birth_mismatch",
                year=values["cadre_birth_year"],
                id_year=born,
            )
        )
        ok = False
    if values.get("cadre_gender") not in (None, gender_of(id_number)):
        problems.append(row_problem(row, "cadre_gender", "load.error.person_gender_mismatch"))
        ok = False
    return ok


def _posting_dates_ok(row: Row, problems: list[Problem], as_of: dt.date) -> bool:
    start, end = row.values["posting_start"], row.values.get("posting_end")
    if start > as_of:
        problems.append(
            row_problem(
                row,
                "posting_start",
                "load.error.posting_start_future",
                start=start.isoformat(),
                as_of=as_of.isoformat(),
            )
        )
        return False
    if end is not None and end < start:
        problems.append(
            row_problem(
                row,
                "posting_end",
                "load.error.posting_end_before_start",
                end=end.isoformat(),
                start=start.isoformat(),
            )
        )
        return False
    if end is not None and end > as_of:
        problems.append(
            row_problem(
                row,
                "posting_end",
                "load.error.posting_end_future",
                end=end.isoformat(),
                as_of=as_of.isoformat(),
            )
        )
        return False
    return True


def _people(rows: Sequence[Row], plan: Plan, as_of: dt.date) -> tuple[dict[str, _Person], list[Row]]:
    """The file's people by ID number (their fields merged over their rows) and the rows fit to
    become postings; a problem for each row that is not."""
    people: dict[str, _Person] = {}
    good: list[Row] = []
    for row in rows:
        id_number = row.values.get("cadre_id_number")
        if id_number is None:
            plan.problems.append(row_problem(row, "cadre_id_number", "load.error.person_id_needed"))
            continue
        ok = _person_problems(row, id_number, plan.problems)
        ok = _posting_dates_ok(row, plan.problems, as_of) and ok
        given = {
            name: row.values[column]
            for column, name in CADRE_COLUMNS.items()
            if row.values.get(column) is not None
        }
        person = people.get(id_number)
        if person is None:
            people[id_number] = _Person(row, given, {name: column for column, name in CADRE_COLUMNS.items()})
        else:
            differ = [
                person.columns[name]
                for name, value in given.items()
                if name in person.fields and normalize(person.fields[name]) != normalize(value)
            ]
            if differ:
                plan.problems.append(
                    row_problem(
                        row,
                        differ[0],
                        "load.error.person_differs",
                        first=person.row.number,
                        columns=tuple(differ),
                    )
                )
                ok = False
            for name, value in given.items():
                person.fields.setdefault(name, value)
        if ok:
            good.append(row)
    return people, good


def _plan_people(plan: Plan, people: Mapping[str, _Person], stored: Mapping[str, Mapping[str, Any]]) -> None:
    for id_number, person in people.items():
        record = stored.get(id_number)
        wanted = dict(person.fields)
        name = str(wanted.get("name") or (record or {}).get("name") or "")
        if record is None:
            wanted.setdefault("gender", gender_of(id_number))
            wanted.setdefault("birth_year", birth_date_of(id_number).year)
            new = {**wanted, "id_number": mask_id_number(id_number)}
            plan.changes.append(
                StaffRecordChange(
                    person.row.number,
                    "cadres",
                    cadre_key(id_number, name),
                    "add",
                    {},
                    new,
                    refs={"id_number": id_number},
                )
            )
            continue
        old, new = differences(record, wanted)
        if new:
            plan.changes.append(
                StaffRecordChange(
                    person.row.number,
                    "cadres",
                    cadre_key(id_number, name),
                    "change",
                    old,
                    new,
                    record["id"],
                    refs={"id_number": id_number},
                )
            )


def _stored_stints(session: Session, stored_people: Mapping[int, tuple[str | None, str]]) -> list[_Stint]:
    stints = []
    for r in read_all(
        session,
        Posting.id,
        Posting.cadre_id,
        Posting.village_id,
        Posting.role,
        Posting.start_date,
        Posting.end_date,
    ):
        id_number, name = stored_people.get(r.cadre_id, (None, ""))
        stints.append(
            _Stint(
                person=id_number or f"#{r.cadre_id}",
                village_id=r.village_id,
                role=r.role,
                start=r.start_date,
                end=r.end_date,
                posting_id=r.id,
                name=name,
            )
        )
    return stints


def _overlap_problems(stints: Sequence[_Stint], places: Mapping[int, _Place], plan: Plan) -> None:
    """A problem for each file row whose person is in two villages at once."""
    by_person: dict[str, list[_Stint]] = {}
    for stint in stints:
        by_person.setdefault(stint.person, []).append(stint)
    for own in by_person.values():
        if len(own) < 2 or all(stint.row is None for stint in own):
            continue
        for later in own:
            if later.row is None:
                continue
            for other in own:
                if other is later or not later.overlaps(other):
                    continue
                place = places.get(other.village_id)
                village, code = (place.name_zh, place.code) if place else ("", "")
                if other.row is None:
                    plan.problems.append(
                        row_problem(
                            later.row,
                            "posting_start",
                            "load.error.posting_overlap_stored",
                            start=other.start.isoformat(),
                            village=village,
                            code=code,
                        )
                    )
                elif other.row.number < later.row.number:
                    plan.problems.append(
                        row_problem(
                            later.row,
                            "posting_start",
                            "load.error.posting_overlap",
                            first=other.row.number,
                            village=village,
                            code=code,
                        )
                    )
                else:
                    continue
                break


def _secretary_problems(stints: Sequence[_Stint], places: Mapping[int, _Place], plan: Plan) -> None:
    """A problem for each file row that would make a second serving first secretary in a village."""
    serving: dict[int, list[_Stint]] = {}
    for stint in stints:
        if stint.end is None and stint.role == PostingRole.FIRST_SECRETARY.value:
            serving.setdefault(stint.village_id, []).append(stint)
    for village_id, secretaries in serving.items():
        if len(secretaries) < 2:
            continue
        place = places.get(village_id)
        village, code = (place.name_zh, place.code) if place else ("", "")
        stored = [s for s in secretaries if s.row is None]
        in_file = sorted(
            (s for s in secretaries if s.row is not None), key=lambda s: s.row.number if s.row else 0
        )
        for index, stint in enumerate(in_file):
            assert stint.row is not None
            if stored:
                first = stored[0]
                plan.problems.append(
                    row_problem(
                        stint.row,
                        "posting_role",
                        "load.error.posting_second_secretary_stored",
                        village=village,
                        code=code,
                        name=first.name,
                        start=first.start.isoformat(),
                    )
                )
            elif index > 0 and in_file[0].row is not None:
                plan.problems.append(
                    row_problem(
                        stint.row,
                        "posting_role",
                        "load.error.posting_second_secretary",
                        first=in_file[0].row.number,
                        village=village,
                        code=code,
                    )
                )


def _posting_values(stint: _Stint) -> dict[str, Any]:
    return {"name": stint.name, "role": stint.role, "start_date": stint.start, "end_date": stint.end}


def plan_postings(session: Session, rows: Sequence[Row], *, as_of: dt.date) -> Plan:
    """What the roster `rows` would add and change (see the module's docstring)."""
    plan = Plan()
    village_of_row, places = _village_ids(session, rows, plan)
    people, good = _people(rows, plan, as_of)
    cadres = [
        r._asdict()
        for r in read_all(session, Cadre.id, Cadre.id_number, *(getattr(Cadre, f) for f in CADRE_FIELDS))
    ]
    stored_people = {r["id_number"]: r for r in cadres if r["id_number"]}
    _plan_people(plan, people, stored_people)

    names = {r["id"]: (r["id_number"], r["name"]) for r in cadres}
    stints = _stored_stints(session, names)
    by_key = {(s.person, s.village_id, s.start): s for s in stints}
    matched: set[int] = set()
    for row in good:
        village_id = village_of_row.get(row.number)
        if village_id is None:
            continue
        values = row.values
        id_number = values["cadre_id_number"]
        name = str(people[id_number].fields.get("name") or values["cadre_name"])
        stint = by_key.get((id_number, village_id, values["posting_start"]))
        if stint is None or stint.posting_id is None:
            stint = _Stint(
                id_number,
                village_id,
                values["posting_role"],
                values["posting_start"],
                values.get("posting_end"),
            )
            stint.row, stint.name = row, name
            stints.append(stint)
            by_key[(id_number, village_id, stint.start)] = stint
            continue
        if stint.row is not None:  # the same posting twice: lib.files.loads_staff's unique columns
            continue
        matched.add(stint.posting_id)
        stored = _posting_values(stint)
        stint.row, stint.name = row, name
        stint.role = values["posting_role"]
        if values.get("posting_end") is not None:
            stint.end = values["posting_end"]
        old, new = differences(stored, _posting_values(stint))
        new.pop("name", None)
        old.pop("name", None)
        if new:
            plan.changes.append(
                StaffRecordChange(
                    row.number,
                    "postings",
                    places[village_id].code,
                    "change",
                    {"name": name, **old},
                    {"name": name, **new},
                    stint.posting_id,
                    refs={"village_id": village_id},
                )
            )
        else:
            plan.unchanged += 1
    _overlap_problems(stints, places, plan)
    _secretary_problems(stints, places, plan)
    for stint in stints:
        if stint.row is not None and stint.posting_id is None:
            plan.changes.append(
                StaffRecordChange(
                    stint.row.number,
                    "postings",
                    places[stint.village_id].code,
                    "add",
                    {},
                    _posting_values(stint),
                    refs={"id_number": stint.person, "village_id": stint.village_id},
                )
            )
    covered = set(village_of_row.values())
    for stint in stints:
        if (
            stint.posting_id is not None
            and stint.posting_id not in matched
            and stint.end is None
            and stint.village_id in covered
        ):
            place = places[stint.village_id]
            plan.missing.append(
                StaffRecordChange(
                    None,
                    "postings",
                    place.code,
                    "retire",
                    {"name": stint.name, "role": stint.role, "end_date": None},
                    {"name": stint.name, "role": stint.role, "end_date": max(as_of, stint.start)},
                    stint.posting_id,
                    refs={"village_id": stint.village_id},
                )
            )
    return plan


def write_postings(
    session: Session, changes: Sequence[Change], as_of: dt.date
) -> tuple[list[int], list[int]]:
    """Store the roster's changes: people first, then postings that end, then the rest, then new
    postings (so the one-open-posting indexes hold at every step). Returns ([], villages)."""
    people = [c for c in changes if c.table == "cadres"]
    added = [
        {"id_number": _refs(c)["id_number"], **{k: v for k, v in c.new.items() if k != "id_number"}}
        for c in people
        if c.action == "add"
    ]
    insert_many(session, Cadre, uniform_rows(Cadre, added))
    for change in people:
        if change.action == "change" and change.record_id is not None:
            values = {k: v for k, v in change.new.items() if k in CADRE_FIELDS}
            session.execute(update(Cadre).where(Cadre.id == change.record_id).values(**values))
    cadre_ids = {
        id_number: cadre_id
        for cadre_id, id_number in session.execute(
            select(Cadre.id, Cadre.id_number).where(Cadre.id_number.is_not(None))
        )
    }
    postings = [c for c in changes if c.table == "postings"]
    ending = [c for c in postings if c.action != "add" and c.new.get("end_date") is not None]
    rest = [c for c in postings if c.action != "add" and c.new.get("end_date") is None]
    # members before secretaries: a secretary made a member frees the village for another
    rest.sort(key=lambda c: c.new.get("role") == PostingRole.FIRST_SECRETARY.value)
    for change in [*ending, *rest]:
        values = {k: v for k, v in change.new.items() if k in ("role", "end_date")}
        if values and change.record_id is not None:
            session.execute(update(Posting).where(Posting.id == change.record_id).values(**values))
    new_postings = [
        {
            "cadre_id": cadre_ids[_refs(c)["id_number"]],
            "village_id": _refs(c)["village_id"],
            "role": c.new["role"],
            "start_date": c.new["start_date"],
            "end_date": c.new["end_date"],
        }
        for c in postings
        if c.action == "add"
    ]
    insert_many(session, Posting, uniform_rows(Posting, new_postings))
    return [], sorted({int(_refs(c)["village_id"]) for c in postings})


# --- training ----------------------------------------------------------------------------------

ProgrammeKey = tuple[str, ...]  # ("code", code) or ("name", normalised name, year)
SessionKey = tuple[ProgrammeKey, int, dt.date]


def generated_code(name: str, year: int) -> str:
    """The code of a programme a file names without one: its year and a digest of its name."""
    return f"{year}-{hashlib.sha256(normalize(name).encode()).hexdigest()[:10]}"


def topic_code(name: str) -> str:
    return f"topic-{hashlib.sha256(normalize(name).encode()).hexdigest()[:10]}"


@dataclass
class _Programme:
    row: Row
    name: str
    kind: str
    kind_given: bool
    year: int
    code: str | None
    stored: dict[str, Any] | None = None
    bad: bool = False

    @property
    def key_code(self) -> str:
        if self.stored is not None:
            return str(self.stored["code"])
        return self.code or generated_code(self.name, self.year)


@dataclass
class _Session:
    row: Row
    programme: ProgrammeKey
    phase: int
    start: dt.date
    end: dt.date
    place: str
    days: int | None
    capacity: int | None
    topics: list[str] = field(default_factory=list)
    people: set[int] = field(default_factory=set)
    stored: dict[str, Any] | None = None
    bad: bool = False


PROGRAMME_CHECKED = (("programme_name", "name"), ("programme_kind", "kind"), ("programme_year", "year"))
SESSION_CHECKED = (
    ("session_place", "place"),
    ("session_end", "end"),
    ("session_days", "days"),
    ("session_capacity", "capacity"),
)


def _session_dates_ok(row: Row, problems: list[Problem]) -> bool:
    start, end = row.values["session_start"], row.values["session_end"]
    if end < start:
        problems.append(
            row_problem(
                row,
                "session_end",
                "load.error.training_end_before_start",
                end=end.isoformat(),
                start=start.isoformat(),
            )
        )
        return False
    days, span = row.values.get("session_days"), (end - start).days + 1
    if days is not None and days > span:
        problems.append(row_problem(row, "session_days", "load.error.training_days", days=days, span=span))
        return False
    return True


def _programme_of(row: Row, plan: Plan) -> _Programme | None:
    values = row.values
    name = values["programme_name"]
    given = values.get("programme_kind")
    kind = given or kind_in(name)
    if kind is None:
        plan.problems.append(row_problem(row, "programme_kind", "load.error.training_kind_needed", name=name))
        return None
    year = values.get("programme_year") or values["session_start"].year
    return _Programme(row, name, kind, given is not None, year, values.get("programme_code"))


def _programme_key(programme: _Programme) -> ProgrammeKey:
    if programme.code:
        return ("code", programme.code)
    return ("name", normalize(programme.name), str(programme.year))


def _differing(
    first: Any, later: Any, checked: Iterable[tuple[str, str]], given: Mapping[str, Any]
) -> list[str]:
    return [
        column
        for column, name in checked
        if given.get(column) is not None
        and getattr(first, name) is not None
        and normalize(getattr(first, name)) != normalize(getattr(later, name))
    ]


def _group_training(
    rows: Sequence[Row], plan: Plan
) -> tuple[dict[ProgrammeKey, _Programme], dict[SessionKey, _Session], list[tuple[Row, SessionKey]]]:
    """The file's programmes and sessions (first rows, agreed values) and each good row's session."""
    programmes: dict[ProgrammeKey, _Programme] = {}
    sessions: dict[SessionKey, _Session] = {}
    placed: list[tuple[Row, SessionKey]] = []
    for row in rows:
        if not _session_dates_ok(row, plan.problems):
            continue
        programme = _programme_of(row, plan)
        if programme is None:
            continue
        pkey = _programme_key(programme)
        first = programmes.setdefault(pkey, programme)
        if first is not programme:
            differ = _differing(first, programme, PROGRAMME_CHECKED, row.values)
            if differ:
                plan.problems.append(
                    row_problem(
                        row,
                        differ[0],
                        "load.error.training_programme_differs",
                        first=first.row.number,
                        columns=tuple(differ),
                    )
                )
                continue
            if programme.kind_given and not first.kind_given:
                first.kind, first.kind_given = programme.kind, True
        values = row.values
        candidate = _Session(
            row,
            pkey,
            values.get("session_phase") or 1,
            values["session_start"],
            values["session_end"],
            values["session_place"],
            values.get("session_days"),
            values.get("session_capacity"),
        )
        skey: SessionKey = (pkey, candidate.phase, candidate.start)
        known = sessions.setdefault(skey, candidate)
        if known is not candidate:
            differ = _differing(known, candidate, SESSION_CHECKED, values)
            if differ:
                plan.problems.append(
                    row_problem(
                        row,
                        differ[0],
                        "load.error.training_session_differs",
                        first=known.row.number,
                        columns=tuple(differ),
                    )
                )
                continue
            known.days = known.days or candidate.days
            known.capacity = known.capacity or candidate.capacity
        for topic in values.get("session_topics") or ():
            if topic not in known.topics:
                known.topics.append(topic)
        placed.append((row, skey))
    return programmes, sessions, placed


def _plan_programmes(session: Session, plan: Plan, programmes: Mapping[ProgrammeKey, _Programme]) -> None:
    stored = [
        r._asdict()
        for r in read_all(
            session,
            TrainingProgramme.id,
            TrainingProgramme.code,
            TrainingProgramme.kind,
            TrainingProgramme.name_zh,
            TrainingProgramme.year,
            TrainingProgramme.required,
        )
    ]
    by_code = {r["code"]: r for r in stored}
    by_name = {(normalize(r["name_zh"]), r["year"]): r for r in stored}
    for programme in programmes.values():
        same_name = by_name.get((normalize(programme.name), programme.year))
        if programme.code:
            programme.stored = by_code.get(programme.code)
            if programme.stored is None and same_name is not None:
                plan.problems.append(
                    row_problem(
                        programme.row,
                        "programme_code",
                        "load.error.training_code_other",
                        name=programme.name,
                        year=programme.year,
                        code=same_name["code"],
                    )
                )
                programme.bad = True
                continue
        else:
            programme.stored = same_name
        code = programme.key_code
        if programme.stored is None:
            new = {
                "name_zh": programme.name,
                "name_en": programme.name,
                "kind": programme.kind,
                "year": programme.year,
                "required": counts_as_training(programme.kind, programme.name),
            }
            plan.changes.append(
                StaffRecordChange(programme.row.number, "training_programmes", code, "add", {}, new)
            )
            continue
        record = programme.stored
        wanted: dict[str, Any] = {}
        if programme.code and normalize(record["name_zh"]) != normalize(programme.name):
            wanted["name_zh"] = programme.name
        if programme.code:
            wanted["year"] = programme.year
        if programme.kind_given and programme.kind != record["kind"]:
            wanted["kind"] = programme.kind
            wanted["required"] = counts_as_training(programme.kind, programme.name)
        old, new = differences(record, wanted)
        if new:
            plan.changes.append(
                StaffRecordChange(
                    programme.row.number, "training_programmes", code, "change", old, new, record["id"]
                )
            )


def place_english(place: str) -> str:
    """A session's place in English, made as places' names are (TrainingSession.place_en is
    String(120): a long name's pinyin is cut there)."""
    return (english_name(place) or place)[:PLACE_EN_MAX]


def _session_key_text(code: str, phase: int, start: dt.date) -> str:
    return _key(f"{code}#{phase}@{start.isoformat()}")


def _plan_sessions(
    session: Session,
    plan: Plan,
    programmes: Mapping[ProgrammeKey, _Programme],
    sessions: Mapping[SessionKey, _Session],
) -> None:
    stored = {
        (r.programme_id, r.phase, r.start_date): r._asdict()
        for r in read_all(
            session,
            TrainingSession.id,
            TrainingSession.programme_id,
            TrainingSession.phase,
            TrainingSession.place_zh,
            TrainingSession.start_date,
            TrainingSession.end_date,
            TrainingSession.days,
            TrainingSession.capacity,
        )
    }
    topics = read_all(
        session, TrainingTopic.id, TrainingTopic.code, TrainingTopic.name_zh, TrainingTopic.name_en
    )
    topic_by_word: dict[str, str] = {}
    for _id, code, name_zh, name_en in topics:
        for word in (code, name_en, name_zh):  # the Chinese name wins over a code that looks like it
            topic_by_word[normalize(word)] = code
    linked: dict[int, set[str]] = {}
    code_of_topic = {t_id: code for t_id, code, _zh, _en in topics}
    for session_id, topic_id in read_all(session, SessionTopic.session_id, SessionTopic.topic_id):
        linked.setdefault(session_id, set()).add(code_of_topic[topic_id])
    new_topics: dict[str, tuple[Row, str]] = {}
    for found in sessions.values():
        programme = programmes[found.programme]
        if programme.bad:
            found.bad = True
            continue
        codes = []
        for name in found.topics:
            code = topic_by_word.get(normalize(name))
            if code is None:
                code = topic_code(name)
                new_topics.setdefault(code, (found.row, name))
            codes.append(code)
        span = (found.end - found.start).days + 1
        listed = len(found.people)
        if found.capacity is not None and found.capacity < listed:
            plan.problems.append(
                row_problem(
                    found.row,
                    "session_capacity",
                    "load.error.training_capacity",
                    capacity=found.capacity,
                    listed=listed,
                )
            )
            found.bad = True
            continue
        pcode = programme.key_code
        key = _session_key_text(pcode, found.phase, found.start)
        record = (
            stored.get((programme.stored["id"], found.phase, found.start))
            if programme.stored is not None
            else None
        )
        found.stored = record
        if record is None:
            new = {
                "phase": found.phase,
                "place_zh": found.place,
                "place_en": place_english(found.place),
                "start_date": found.start,
                "end_date": found.end,
                "days": found.days or span,
                "capacity": found.capacity or max(listed, 1),
                "topics": sorted(found.topics),
            }
            plan.changes.append(
                StaffRecordChange(
                    found.row.number,
                    "training_sessions",
                    key,
                    "add",
                    {},
                    new,
                    refs={"programme_code": pcode, "topic_codes": tuple(dict.fromkeys(codes))},
                )
            )
            continue
        wanted: dict[str, Any] = {"end_date": found.end}
        if normalize(record["place_zh"]) != normalize(found.place):
            wanted["place_zh"] = found.place
        if found.days is not None:
            wanted["days"] = found.days
        elif found.end != record["end_date"]:
            wanted["days"] = span
        if found.capacity is not None:
            wanted["capacity"] = found.capacity
        elif listed > record["capacity"]:
            wanted["capacity"] = listed
        old, new = differences(record, wanted)
        if "place_zh" in new:
            new["place_en"] = place_english(found.place)
        have = linked.get(record["id"], set())
        adding = [code for code in dict.fromkeys(codes) if code not in have]
        if adding:
            names_of = {code: name for _i, code, name, _en in topics}
            names_of.update({code: name for code, (_row, name) in new_topics.items()})
            old["topics"] = sorted(names_of[c] for c in have)
            new["topics"] = sorted(names_of[c] for c in have | set(adding))
        if new:
            plan.changes.append(
                StaffRecordChange(
                    found.row.number,
                    "training_sessions",
                    key,
                    "change",
                    old,
                    new,
                    record["id"],
                    refs={"programme_code": pcode, "topic_codes": tuple(adding)},
                )
            )
    # new topics first, as the writer stores them
    plan.changes[:0] = [
        StaffRecordChange(row.number, "training_topics", code, "add", {}, {"name_zh": name, "name_en": name})
        for code, (row, name) in new_topics.items()
    ]


def plan_training(session: Session, rows: Sequence[Row], *, as_of: dt.date) -> Plan:
    """What the training list `rows` would add and change (see the module's docstring)."""
    plan = Plan()
    people = {
        r.id_number: (r.id, r.name)
        for r in read_all(session, Cadre.id, Cadre.id_number, Cadre.name)
        if r.id_number is not None
    }
    programmes, sessions, placed = _group_training(rows, plan)
    attending: list[tuple[Row, SessionKey, int, str]] = []
    seen: dict[tuple[SessionKey, int], int] = {}
    for row, skey in placed:
        id_number, name = row.values.get("cadre_id_number"), row.values.get("cadre_name")
        if id_number is None:
            plan.problems.append(row_problem(row, "cadre_id_number", "load.error.person_id_needed"))
            continue
        if id_number not in people:
            plan.problems.append(row_problem(row, "cadre_id_number", "load.error.training_person_unknown"))
            continue
        cadre_id, stored_name = people[id_number]
        if name is not None and normalize(name) != normalize(stored_name):
            plan.problems.append(
                row_problem(
                    row, "cadre_name", "load.error.training_person_name", stored=stored_name, name=name
                )
            )
            continue
        if (skey, cadre_id) in seen:
            plan.problems.append(
                row_problem(
                    row, "cadre_id_number", "load.error.training_person_twice", first=seen[(skey, cadre_id)]
                )
            )
            continue
        seen[(skey, cadre_id)] = row.number
        status = row.values.get("attendance_status")
        start = sessions[skey].start
        if status in (AttendanceStatus.ATTENDED.value, AttendanceStatus.ABSENT.value) and start > as_of:
            plan.problems.append(
                row_problem(
                    row,
                    "attendance_status",
                    "load.error.training_not_started",
                    start=start.isoformat(),
                    as_of=as_of.isoformat(),
                )
            )
            continue
        sessions[skey].people.add(cadre_id)
        attending.append((row, skey, cadre_id, stored_name))
    _plan_programmes(session, plan, programmes)
    _plan_sessions(session, plan, programmes, sessions)
    _plan_attendance(session, plan, programmes, sessions, attending)
    return plan


def _plan_attendance(
    session: Session,
    plan: Plan,
    programmes: Mapping[ProgrammeKey, _Programme],
    sessions: Mapping[SessionKey, _Session],
    attending: Sequence[tuple[Row, SessionKey, int, str]],
) -> None:
    covered = {found.stored["id"]: found for found in sessions.values() if found.stored is not None}
    stored = {
        (r.session_id, r.cadre_id): r._asdict()
        for r in read_all(
            session, Attendance.id, Attendance.session_id, Attendance.cadre_id, Attendance.status
        )
        if r.session_id in covered
    }
    in_file: set[tuple[int, int]] = set()
    for row, skey, cadre_id, name in attending:
        found = sessions[skey]
        if found.bad:
            continue
        programme = programmes[found.programme]
        key = _key(f"{_session_key_text(programme.key_code, found.phase, found.start)}:{cadre_id}")
        refs = {
            "programme_code": programme.key_code,
            "phase": found.phase,
            "start": found.start,
            "cadre_id": cadre_id,
        }
        status = row.values.get("attendance_status")
        record = stored.get((found.stored["id"], cadre_id)) if found.stored is not None else None
        if record is None:
            new = {
                "name": name,
                "status": status or AttendanceStatus.ENROLLED.value,
                "selected": programme.kind == ProgrammeKind.STUDY_TOUR.value,
            }
            plan.changes.append(StaffRecordChange(row.number, "attendance", key, "add", {}, new, refs=refs))
            continue
        in_file.add((record["session_id"], cadre_id))
        old, new = differences(record, {"status": status} if status else {})
        if new:
            plan.changes.append(
                StaffRecordChange(
                    row.number,
                    "attendance",
                    key,
                    "change",
                    {"name": name, **old},
                    {"name": name, **new},
                    record["id"],
                    refs=refs,
                )
            )
        else:
            plan.unchanged += 1
    people = dict(read_all(session, Cadre.id, Cadre.name))
    for (session_id, cadre_id), record in sorted(stored.items()):
        if (session_id, cadre_id) in in_file:
            continue
        found = covered[session_id]
        code = programmes[found.programme].key_code
        key = _key(f"{_session_key_text(code, found.phase, found.start)}:{cadre_id}")
        shown = {"name": people.get(cadre_id, ""), "status": record["status"]}
        plan.missing.append(StaffRecordChange(None, "attendance", key, "retire", shown, shown, record["id"]))


def write_training(
    session: Session, changes: Sequence[Change], as_of: dt.date
) -> tuple[list[int], list[int]]:
    """Store the training list's changes: topics, programmes, sessions (and their topics), then
    attendance. Missing attendance ("retire") is left as it is. Returns ([], [])."""
    by_table: dict[str, list[Change]] = {}
    for change in changes:
        by_table.setdefault(change.table, []).append(change)

    topics = [c for c in by_table.get("training_topics", []) if c.action == "add"]
    insert_many(session, TrainingTopic, [{"code": c.key, **c.new} for c in topics])
    topic_ids = {
        code: topic_id for code, topic_id in session.execute(select(TrainingTopic.code, TrainingTopic.id))
    }

    programmes = by_table.get("training_programmes", [])
    insert_many(
        session,
        TrainingProgramme,
        uniform_rows(TrainingProgramme, [{"code": c.key, **c.new} for c in programmes if c.action == "add"]),
    )
    for change in programmes:
        if change.action == "change" and change.record_id is not None:
            session.execute(
                update(TrainingProgramme).where(TrainingProgramme.id == change.record_id).values(**change.new)
            )
    programme_ids = {
        code: programme_id
        for code, programme_id in session.execute(select(TrainingProgramme.code, TrainingProgramme.id))
    }

    sessions = by_table.get("training_sessions", [])
    new_sessions = [c for c in sessions if c.action == "add"]
    fields = ("phase", "place_zh", "place_en", "start_date", "end_date", "days", "capacity")
    new_ids = insert_many(
        session,
        TrainingSession,
        [
            {"programme_id": programme_ids[_refs(c)["programme_code"]], **{k: c.new[k] for k in fields}}
            for c in new_sessions
        ],
    )
    session_ids: dict[Any, int] = {}
    for change, session_id in zip(new_sessions, new_ids, strict=True):
        session_ids[change.key] = session_id
    for change in sessions:
        if change.action == "change" and change.record_id is not None:
            session_ids[change.key] = change.record_id
            values = {k: v for k, v in change.new.items() if k in fields}
            if values:
                session.execute(
                    update(TrainingSession).where(TrainingSession.id == change.record_id).values(**values)
                )
    links = [
        {"session_id": session_ids[c.key], "topic_id": topic_ids[code]}
        for c in sessions
        for code in _refs(c).get("topic_codes", ())
    ]
    if links:
        session.execute(insert(SessionTopic), links)

    attendance = by_table.get("attendance", [])
    stored_sessions = {
        (r.programme_id, r.phase, r.start_date): r.id
        for r in session.execute(
            select(
                TrainingSession.id,
                TrainingSession.programme_id,
                TrainingSession.phase,
                TrainingSession.start_date,
            )
        )
    }
    added = []
    for change in attendance:
        refs = _refs(change)
        if change.action == "add":
            added.append(
                {
                    "session_id": stored_sessions[
                        (programme_ids[refs["programme_code"]], refs["phase"], refs["start"])
                    ],
                    "cadre_id": refs["cadre_id"],
                    "status": change.new["status"],
                    "selected": change.new["selected"],
                }
            )
        elif change.action == "change" and change.record_id is not None and "status" in change.new:
            session.execute(
                update(Attendance)
                .where(Attendance.id == change.record_id)
                .values(status=change.new["status"])
            )
    insert_many(session, Attendance, added)
    return [], []
