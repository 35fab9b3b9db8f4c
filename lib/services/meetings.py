"""Promotion meetings and their decisions: record a meeting, change it, add, change or delete its
decisions (tasks), and note a task's progress.

Each service runs like every write here: the acting account read again (`auth.require`) →
stale-edit check → validation (every bad field at once, as label keys) → one transaction (BEGIN
IMMEDIATE on SQLite) → audit row → bump the data version; on any error nothing is written.

Who may (lib/rules/permissions.py): MEETING_RECORD for meetings and their tasks — the admin for
county meetings and any town's, a town editor for their own town's; TASK_PROGRESS for progress
notes and the status they set — the admin anywhere, a town editor for tasks of their town's meetings
or concerning their town, a village editor for tasks naming their village
(lib.rules.meetings.may_report_progress). Leaders read everything and write nothing.

What is kept (lib/core/models.py): a meeting's level and town are fixed when it is recorded; a
town meeting may convey a county meeting held on or before it. A task's places are all towns or
all villages, and a town meeting's lie in its town (none: the meeting's own town, or for a
county meeting the whole county). A deadline is on or after the meeting and at most
DEADLINE_YEARS after it. A task measured by an Overview share (TaskMeasure) has a target share in
(0, 1], 1.0 unless given. Text is stored as typed, trimmed: names and units one line, decisions,
units attending and notes free text; control and invisible characters are refused
(lib.rules.text_rules), Markdown and HTML are just characters.

Audit rows: table "meetings" keyed by the meeting's id; "meeting_tasks" keyed by the task's id
(its places as a list of codes); "meeting_task_notes" keyed by the task's id too (the note's id in
the values), so a task's history reads as one record.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from lib.core.domain import FREE_TEXT_MAX, MeetingLevel, TaskMeasure, TaskStatus
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.models import (
    INCLUDE_RETIRED,
    Meeting,
    MeetingTask,
    MeetingTaskNote,
    MeetingTaskPlace,
    Town,
    Village,
)
from lib.rules.meetings import may_report_progress
from lib.rules.permissions import MEETING_RECORD, TASK_PROGRESS, Actor
from lib.rules.text_rules import text_problem
from lib.services.auth import require, require_role
from lib.services.common import (
    bump_data_version,
    insert_many,
    is_row_id,
    record_audit,
    save_versioned,
    transactional,
)
from lib.services.households import _check_date, _Errors

MEETINGS_TABLE = "meetings"
TASKS_TABLE = "meeting_tasks"
NOTES_TABLE = "meeting_task_notes"

NAME_MAX = 120  # Meeting.name is String(120)
UNIT_MAX = 80  # MeetingTask.responsible_unit is String(80)
PERSON_MAX = 40  # MeetingTask.responsible_person is String(40)
WHAT_MAX = 500  # a decision is a sentence or two; the slide shows it whole
ATTENDING_MAX = FREE_TEXT_MAX
NOTE_MAX = FREE_TEXT_MAX
NUMBER_MAX = 10_000  # the 79 of 第79次; a larger number is a typing slip
PLACES_MAX = 1_000  # a county has ~360 villages
DEADLINE_YEARS = 5  # a deadline further after its meeting than this is a typing slip
CODE_MAX = 12  # Town.code and Village.code are String(12)

TOWN = "town"
VILLAGE = "village"


# --- checks -------------------------------------------------------------------------------------


def _line(errors: _Errors, field: str, value: object, *, max_len: int, required: bool) -> str | None:
    """One line of text (a name, a unit, a person): trimmed; blank → None (an error if required)."""
    return _typed(errors, field, value, max_len=max_len, required=required, multiline=False)


def _text(errors: _Errors, field: str, value: object, *, max_len: int, required: bool) -> str | None:
    """Free text (line breaks and tabs allowed): trimmed; blank → None (an error if required)."""
    return _typed(errors, field, value, max_len=max_len, required=required, multiline=True)


def _typed(
    errors: _Errors, field: str, value: object, *, max_len: int, required: bool, multiline: bool
) -> str | None:
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value.strip()
    else:
        errors.fail(field, "meetings.error.not_text")
        return None
    if not text:
        if required:
            errors.fail(field, "meetings.error.required")
        return None
    if len(text) > max_len:
        errors.fail(field, "meetings.error.too_long", max=max_len)
    else:
        control = "meetings.error.text_chars" if multiline else "meetings.error.bad_chars"
        if problem := text_problem(text, multiline=multiline, control_key=control):
            errors.fail(field, problem[0], **problem[1])
    return text


def _plain_code(value: object) -> bool:
    """Whether `value` could be a stored code (anything else names nothing and is not looked up:
    PostgreSQL refuses NUL in text)."""
    return isinstance(value, str) and 0 < len(value) <= CODE_MAX and value.isascii() and value.isprintable()


def _check_level(errors: _Errors, value: object) -> MeetingLevel | None:
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return MeetingLevel(value)
    except ValueError:
        errors.fail("level", "meetings.error.level_unknown")
        return None


def _check_number(errors: _Errors, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= NUMBER_MAX:
        errors.fail("number", "meetings.error.number_invalid", max=NUMBER_MAX)
        return None
    return value


def _check_status(errors: _Errors, value: object) -> str | None:
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return TaskStatus(value).value
    except ValueError:
        errors.fail(
            "status",
            "meetings.error.status_unknown",
            status=str(value),
            statuses=", ".join(member.value for member in TaskStatus),
        )
        return None


def _check_measure(errors: _Errors, measure: object, target: object) -> tuple[str | None, float | None]:
    """The measure (None: the task is not measured) and its target share (1.0 unless given)."""
    if measure is None or measure == "":
        if target is not None:
            errors.fail("target", "meetings.error.target_without_measure")
        return None, None
    try:
        if not isinstance(measure, str):
            raise ValueError(measure)
        chosen = TaskMeasure(measure).value
    except ValueError:
        errors.fail(
            "measure",
            "meetings.error.measure_unknown",
            measure=str(measure),
            measures=", ".join(member.value for member in TaskMeasure),
        )
        chosen = None
    if target is None:
        return chosen, 1.0
    if (
        isinstance(target, bool)
        or not isinstance(target, int | float)
        or not math.isfinite(target)
        or not 0 < target <= 1
    ):
        errors.fail("target", "meetings.error.target_range")
        return chosen, None
    return chosen, float(target)


def latest_deadline(held_on: dt.date) -> dt.date:
    try:
        return held_on.replace(year=held_on.year + DEADLINE_YEARS)
    except ValueError:  # 29 February
        return dt.date(held_on.year + DEADLINE_YEARS, 2, 28)


def _check_deadline(errors: _Errors, value: object, held_on: dt.date) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        errors.fail("deadline", "updates.error.date_invalid")
        return None
    if value < held_on:
        errors.fail("deadline", "meetings.error.deadline_before_meeting", held_on=held_on.isoformat())
    elif value > (latest := latest_deadline(held_on)):
        errors.fail("deadline", "meetings.error.deadline_too_far", latest=latest.isoformat())
    return value


@dataclass(frozen=True)
class _Places:
    """A task's checked places: their level (None: no places) and (id, code) sorted by code."""

    level: str | None
    rows: tuple[tuple[int, str], ...]

    @property
    def codes(self) -> list[str]:
        return [code for _, code in self.rows]


def _code_list(errors: _Errors, value: object) -> list[str]:
    """A list of codes as given: a list or tuple of strings (a lone string is refused: it would
    read as its characters); duplicates dropped, order kept."""
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple | set | frozenset):
        errors.fail("places", "meetings.error.places_invalid")
        return []
    if not all(isinstance(code, str) for code in value):
        errors.fail("places", "meetings.error.places_invalid")
        return []
    return list(dict.fromkeys(code.strip() for code in value))


def _check_places(
    session: Session,
    errors: _Errors,
    town_codes: object,
    village_codes: object,
    *,
    meeting_town_id: int | None,
) -> _Places:
    towns = _code_list(errors, town_codes)
    villages = _code_list(errors, village_codes)
    if "places" in errors:
        return _Places(None, ())
    if towns and villages:
        errors.fail("places", "meetings.error.places_mixed")
        return _Places(None, ())
    codes, level = (towns, TOWN) if towns else (villages, VILLAGE)
    if not codes:
        return _Places(None, ())
    if len(codes) > PLACES_MAX:
        errors.fail("places", "meetings.error.places_too_many", max=PLACES_MAX)
        return _Places(None, ())
    unknown = next((code for code in codes if not _plain_code(code)), None)
    if unknown is not None:
        errors.fail("places", "meetings.error.place_unknown", code=unknown)
        return _Places(None, ())
    model = Town if level == TOWN else Village
    town_of = Town.id if level == TOWN else Village.town_id
    found = {
        code: (place_id, town_id)
        for place_id, code, town_id in session.execute(
            select(model.id, model.code, town_of).where(model.code.in_(codes))
        )
    }
    unknown = next((code for code in codes if code not in found), None)
    if unknown is not None:
        errors.fail("places", "meetings.error.place_unknown", code=unknown)
        return _Places(None, ())
    if meeting_town_id is not None:
        outside = next((code for code in codes if found[code][1] != meeting_town_id), None)
        if outside is not None:
            errors.fail("places", "meetings.error.place_outside_town", code=outside)
            return _Places(None, ())
    return _Places(level, tuple(sorted((found[code][0], code) for code in codes)))


# --- meetings -----------------------------------------------------------------------------------


def _load_meeting(
    session: Session, meeting_id: object, *, lock: bool = False, share: bool = False
) -> tuple[Meeting, str | None] | None:
    """The meeting with its town's code (None for a county meeting), read fresh; on PostgreSQL
    locked FOR UPDATE (`lock`) or FOR SHARE (`share`) until the transaction ends."""
    if not is_row_id(meeting_id):
        return None
    stmt = (
        select(Meeting, Town.code)
        .outerjoin(Town, Town.id == Meeting.town_id)
        .where(Meeting.id == meeting_id)
        # A retired town's meetings keep their town (else they would read as the county's).
        .execution_options(populate_existing=True, **{INCLUDE_RETIRED: True})
    )
    if lock or share:
        stmt = stmt.with_for_update(of=Meeting, read=not lock)
    row = session.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def meeting_values(meeting: Meeting, town_code: str | None) -> dict[str, Any]:
    """What a meeting's form edits (and a StaleEdit reports), with its version."""
    return {
        "level": meeting.level,
        "town_code": town_code,
        "name": meeting.name,
        "number": meeting.number,
        "held_on": meeting.held_on,
        "attending": meeting.attending,
        "conveys_id": meeting.conveys_id,
        "version": meeting.version,
    }


MEETING_FIELDS = ("name", "number", "held_on", "attending", "conveys_id")


def _check_conveys(
    session: Session, errors: _Errors, conveys_id: object, *, level: str | None, held_on: dt.date | None
) -> int | None:
    """The county meeting a town meeting conveys: held on or before `held_on` (locked FOR SHARE on
    PostgreSQL, so its date cannot move past this one before we commit)."""
    if conveys_id is None:
        return None
    if level != MeetingLevel.TOWN.value:
        errors.fail("conveys_id", "meetings.error.conveys_only_town")
        return None
    found = _load_meeting(session, conveys_id, share=True)
    if found is None:
        errors.fail("conveys_id", "meetings.error.conveys_unknown")
        return None
    conveyed = found[0]
    if conveyed.level != MeetingLevel.COUNTY.value:
        errors.fail("conveys_id", "meetings.error.conveys_not_county")
    elif held_on is not None and conveyed.held_on > held_on:
        errors.fail("conveys_id", "meetings.error.conveys_later", held_on=conveyed.held_on.isoformat())
    return conveyed.id


def _record_meeting(
    session: Session,
    *,
    actor: Actor | None,
    level: MeetingLevel | str,
    town_code: str | None,
    name: str,
    number: int | None,
    held_on: dt.date,
    attending: str | None,
    conveys_id: int | None = None,
    as_of: dt.date,
) -> int:
    """Record a promotion meeting; returns its id.

    `level` "county" (then `town_code` None) or "town" (`town_code` the town's code); `name` as
    typed, required, one line of at most 120 characters; `number` the 79 of 第79次 (1–10,000) or
    None; `held_on` a date from 2014 up to `as_of` (the data's date); `attending` the units
    attending, free text up to 2,000 characters or None; `conveys_id` the county meeting a town
    meeting passes on, held on or before it.

    Refuses (PermissionDenied) anyone but the admin for a county meeting, and anyone but the admin
    or the town's editor for a town meeting; (ValidationError) each bad field.
    """
    require_role(session, actor, MEETING_RECORD)
    errors = _Errors()
    chosen = _check_level(errors, level)
    town_id: int | None = None
    town: str | None = None
    if chosen is MeetingLevel.TOWN:
        if town_code is None or town_code == "":
            errors.fail("town_code", "meetings.error.town_required")
        else:
            town_id = (
                session.scalar(select(Town.id).where(Town.code == town_code))
                if _plain_code(town_code)
                else None
            )
            if town_id is None:
                errors.fail("town_code", "meetings.error.town_unknown")
            town = str(town_code)
    elif chosen is MeetingLevel.COUNTY and town_code is not None and town_code != "":
        errors.fail("town_code", "meetings.error.town_for_county")
    errors.raise_if_any()  # who may record it depends on its level and town
    assert chosen is not None
    actor = require(session, actor, MEETING_RECORD, town_code=town)

    title = _line(errors, "name", name, max_len=NAME_MAX, required=True)
    count = _check_number(errors, number)
    day = _check_date(errors, "held_on", held_on, as_of=as_of)
    units = _text(errors, "attending", attending, max_len=ATTENDING_MAX, required=False)
    conveyed = _check_conveys(
        session, errors, conveys_id, level=chosen.value, held_on=day if "held_on" not in errors else None
    )
    errors.raise_if_any()
    assert title is not None and day is not None
    # The same meeting twice (a button pressed again, a form sent twice) is refused: one level,
    # town, day and name is one meeting. SQLite's writes are serialised (BEGIN IMMEDIATE), so two
    # at once cannot both pass this there.
    same_town = Meeting.town_id.is_(None) if town_id is None else Meeting.town_id == town_id
    twice = select(Meeting.id).where(
        Meeting.level == chosen.value, same_town, Meeting.held_on == day, Meeting.name == title
    )
    if session.scalar(twice.limit(1)) is not None:
        errors.fail("name", "meetings.error.already_recorded")
        errors.raise_if_any()

    meeting = Meeting(
        level=chosen.value,
        town_id=town_id,
        name=title,
        number=count,
        held_on=day,
        attending=units,
        conveys_id=conveyed,
        created_by_id=actor.user_id,
        created_by=actor.username,
    )
    session.add(meeting)
    session.flush()
    new = meeting_values(meeting, town)
    del new["version"]
    key = str(meeting.id)
    record_audit(
        session, actor=actor, action=MEETING_RECORD, table=MEETINGS_TABLE, key=key, old=None, new=new
    )
    bump_data_version(session)
    return meeting.id


def _earliest_after(session: Session, meeting: Meeting) -> list[tuple[str, str, dt.date]]:
    """What a meeting's date may not pass: its tasks' earliest deadline, their earliest note and
    the earliest town meeting conveying it, as (error key, placeholder, date)."""
    found: list[tuple[str, str, dt.date]] = []
    deadline = session.scalar(
        select(func.min(MeetingTask.deadline)).where(MeetingTask.meeting_id == meeting.id)
    )
    if deadline is not None:
        found.append(("meetings.error.held_after_deadline", "deadline", deadline))
    noted = session.scalar(
        select(func.min(MeetingTaskNote.noted_on))
        .join(MeetingTask, MeetingTask.id == MeetingTaskNote.task_id)
        .where(MeetingTask.meeting_id == meeting.id)
    )
    if noted is not None:
        found.append(("meetings.error.held_after_note", "noted_on", noted))
    conveying = session.scalar(select(func.min(Meeting.held_on)).where(Meeting.conveys_id == meeting.id))
    if conveying is not None:
        found.append(("meetings.error.held_after_conveying", "held_on", conveying))
    return found


@transactional
def update_meeting(
    session: Session,
    *,
    actor: Actor | None,
    meeting_id: int,
    expected_version: int,
    name: str,
    number: int | None,
    held_on: dt.date,
    attending: str | None,
    conveys_id: int | None,
    reason: str | None = None,
    as_of: dt.date,
) -> int:
    """Change a meeting's name, number, date, units attending and the meeting it conveys (its level
    and town stay); returns its new version (the same one when nothing changed).

    Refuses what `record_meeting` refuses, an unknown meeting, a date after one of its tasks'
    deadlines, after a progress note on them or (a county meeting) after a town meeting that
    conveys it; (StaleEdit, with `meeting_values`) when its version is not `expected_version`, also
    when another writer commits between the check and the write.
    """
    require_role(session, actor, MEETING_RECORD)
    found = _load_meeting(session, meeting_id, lock=True)
    if found is None:
        raise ValidationError({"meeting_id": "meetings.error.meeting_unknown"})
    meeting, town_code = found
    actor = require(session, actor, MEETING_RECORD, town_code=town_code)
    old = meeting_values(meeting, town_code)
    if isinstance(expected_version, bool) or meeting.version != expected_version:
        raise StaleEdit(MEETINGS_TABLE, str(meeting.id), current=old)

    errors = _Errors()
    title = _line(errors, "name", name, max_len=NAME_MAX, required=True)
    count = _check_number(errors, number)
    day = _check_date(errors, "held_on", held_on, as_of=as_of)
    if day is not None and "held_on" not in errors:
        for key, placeholder, limit in _earliest_after(session, meeting):
            if day > limit:
                errors.fail("held_on", key, **{placeholder: limit.isoformat()})
    units = _text(errors, "attending", attending, max_len=ATTENDING_MAX, required=False)
    conveyed = _check_conveys(
        session, errors, conveys_id, level=meeting.level, held_on=day if "held_on" not in errors else None
    )
    why = _text(errors, "reason", reason, max_len=FREE_TEXT_MAX, required=False)
    errors.raise_if_any()

    new = {**old, "name": title, "number": count, "held_on": day, "attending": units, "conveys_id": conveyed}
    changed = [field for field in MEETING_FIELDS if new[field] != old[field]]
    if not changed:
        return meeting.version
    for field in changed:
        setattr(meeting, field, new[field])

    def as_it_is() -> dict[str, Any] | None:
        again = _load_meeting(session, meeting_id)
        return meeting_values(*again) if again else None

    save_versioned(
        session,
        actor=actor,
        action=MEETING_RECORD,
        table=MEETINGS_TABLE,
        key=str(meeting.id),
        old=old,
        new=new,
        changed=changed,
        current=as_it_is,
        reason=why,
    )
    return meeting.version


# --- tasks --------------------------------------------------------------------------------------


def _load_task(
    session: Session, task_id: object, *, lock: bool = False
) -> tuple[MeetingTask, Meeting, str | None] | None:
    """The task, its meeting (locked FOR SHARE on PostgreSQL with `lock`, the task FOR UPDATE) and
    the meeting's town code, read fresh."""
    if not is_row_id(task_id):
        return None
    stmt = select(MeetingTask).where(MeetingTask.id == task_id).execution_options(populate_existing=True)
    if lock:
        stmt = stmt.with_for_update()
    task = session.scalar(stmt)
    if task is None:
        return None
    found = _load_meeting(session, task.meeting_id, share=lock)
    assert found is not None  # meeting_id is a foreign key
    return task, found[0], found[1]


def _task_places(session: Session, task_id: int) -> _Places:
    """A task's stored places (towns or villages) as (id, code), sorted by code."""
    rows = session.execute(
        select(MeetingTaskPlace.town_id, Town.code, MeetingTaskPlace.village_id, Village.code)
        .outerjoin(Town, Town.id == MeetingTaskPlace.town_id)
        .outerjoin(Village, Village.id == MeetingTaskPlace.village_id)
        .where(MeetingTaskPlace.task_id == task_id)
        .execution_options(**{INCLUDE_RETIRED: True})
    ).all()
    if not rows:
        return _Places(None, ())
    level = TOWN if rows[0][0] is not None else VILLAGE
    pairs = [
        (town_id, str(town)) if town_id is not None else (int(village_id or 0), str(village))
        for town_id, town, village_id, village in rows
    ]
    return _Places(level, tuple(sorted(pairs, key=lambda pair: pair[1])))


def task_values(task: MeetingTask, places: Sequence[str]) -> dict[str, Any]:
    """What a task's form edits (and a StaleEdit reports), with its version; `places` its codes."""
    return {
        "meeting_id": task.meeting_id,
        "what": task.what,
        "responsible_unit": task.responsible_unit,
        "responsible_person": task.responsible_person,
        "deadline": task.deadline,
        "status": task.status,
        "measure": task.measure,
        "target": task.target,
        "places": list(places),
        "version": task.version,
    }


TASK_FIELDS = (
    "what",
    "responsible_unit",
    "responsible_person",
    "deadline",
    "status",
    "measure",
    "target",
    "places",
)


def _checked_task(
    session: Session,
    errors: _Errors,
    meeting: Meeting,
    *,
    what: object,
    responsible_unit: object,
    responsible_person: object,
    deadline: object,
    town_codes: object,
    village_codes: object,
    measure: object,
    target: object,
    status: object,
) -> tuple[dict[str, Any], _Places]:
    """A task's fields checked (errors collected in `errors`), and its places."""
    values: dict[str, Any] = {
        "what": _text(errors, "what", what, max_len=WHAT_MAX, required=True),
        "responsible_unit": _line(
            errors, "responsible_unit", responsible_unit, max_len=UNIT_MAX, required=True
        ),
        "responsible_person": _line(
            errors, "responsible_person", responsible_person, max_len=PERSON_MAX, required=False
        ),
        "deadline": _check_deadline(errors, deadline, meeting.held_on),
        "status": _check_status(errors, status),
    }
    values["measure"], values["target"] = _check_measure(errors, measure, target)
    places = _check_places(session, errors, town_codes, village_codes, meeting_town_id=meeting.town_id)
    values["places"] = places.codes
    return values, places


def _store_places(session: Session, task_id: int, places: _Places) -> None:
    insert_many(
        session,
        MeetingTaskPlace,
        [
            {
                "task_id": task_id,
                "town_id": place_id if places.level == TOWN else None,
                "village_id": place_id if places.level == VILLAGE else None,
            }
            for place_id, _ in places.rows
        ],
    )


def _add_task(
    session: Session,
    *,
    actor: Actor | None,
    meeting_id: int,
    what: str,
    responsible_unit: str,
    responsible_person: str | None = None,
    deadline: dt.date | None = None,
    town_codes: Sequence[str] = (),
    village_codes: Sequence[str] = (),
    measure: TaskMeasure | str | None = None,
    target: float | None = None,
    status: TaskStatus | str = TaskStatus.NOT_STARTED,
) -> int:
    """Add a decision (task) to a meeting; returns its id.

    `what` required, free text up to 500 characters; `responsible_unit` required and
    `responsible_person` optional, one line each (80 and 40 characters); `deadline` None or a date
    from the meeting's to DEADLINE_YEARS after it; `town_codes` or `village_codes` (not both) the
    places it concerns, within the meeting's town for a town meeting (none: the meeting's town,
    or the whole county); `measure` None or a TaskMeasure, with `target` a share in (0, 1] (1.0
    when None); `status` a TaskStatus ("late" is never set: it follows from the deadline).

    Refuses (PermissionDenied) anyone who may not record the meeting (MEETING_RECORD on its town);
    (ValidationError) an unknown meeting and each bad field.
    """
    require_role(session, actor, MEETING_RECORD)
    found = _load_meeting(session, meeting_id, share=True)
    if found is None:
        raise ValidationError({"meeting_id": "meetings.error.meeting_unknown"})
    meeting, town_code = found
    actor = require(session, actor, MEETING_RECORD, town_code=town_code)
    errors = _Errors()
    values, places = _checked_task(
        session,
        errors,
        meeting,
        what=what,
        responsible_unit=responsible_unit,
        responsible_person=responsible_person,
        deadline=deadline,
        town_codes=town_codes,
        village_codes=village_codes,
        measure=measure,
        target=target,
        status=status,
    )
    errors.raise_if_any()
    task = MeetingTask(
        meeting_id=meeting.id,
        **{name: value for name, value in values.items() if name != "places"},
        created_by_id=actor.user_id,
        created_by=actor.username,
    )
    session.add(task)
    session.flush()
    _store_places(session, task.id, places)
    new = task_values(task, places.codes)
    del new["version"]
    record_audit(
        session, actor=actor, action=MEETING_RECORD, table=TASKS_TABLE, key=str(task.id), old=None, new=new
    )
    bump_data_version(session)
    return task.id


record_meeting = transactional(_record_meeting)
add_task = transactional(_add_task)


@dataclass(frozen=True)
class NewTask:
    """A decision for `record_meeting_with_tasks`: `add_task`'s fields."""

    what: str
    responsible_unit: str
    responsible_person: str | None = None
    deadline: dt.date | None = None
    town_codes: tuple[str, ...] = ()
    village_codes: tuple[str, ...] = ()
    measure: str | None = None
    target: float | None = None


@transactional
def record_meeting_with_tasks(
    session: Session,
    *,
    actor: Actor | None,
    level: MeetingLevel | str,
    town_code: str | None,
    name: str,
    number: int | None,
    held_on: dt.date,
    attending: str | None,
    tasks: Sequence[NewTask],
    as_of: dt.date,
) -> int:
    """Record a meeting and its decisions in one transaction (the slideshow's "problems and next
    steps" saved in one step); returns the meeting's id. Refuses what `record_meeting` and
    `add_task` refuse; a bad decision's fields come back as "tasks.<n>.<field>" (n from 1), and
    then nothing is written."""
    meeting_id = _record_meeting(
        session,
        actor=actor,
        level=level,
        town_code=town_code,
        name=name,
        number=number,
        held_on=held_on,
        attending=attending,
        as_of=as_of,
    )
    for number_, task in enumerate(tasks, start=1):
        try:
            _add_task(
                session,
                actor=actor,
                meeting_id=meeting_id,
                what=task.what,
                responsible_unit=task.responsible_unit,
                responsible_person=task.responsible_person,
                deadline=task.deadline,
                town_codes=task.town_codes,
                village_codes=task.village_codes,
                measure=task.measure,
                target=task.target,
            )
        except ValidationError as error:
            raise ValidationError(
                {f"tasks.{number_}.{field}": key for field, key in error.errors.items()},
                {f"tasks.{number_}.{field}": dict(error.params_for(field)) for field in error.errors},
            ) from None
    return meeting_id


def _task_for_record(
    session: Session, actor: Actor | None, task_id: object, expected_version: object
) -> tuple[Actor, MeetingTask, Meeting, _Places, dict[str, Any]]:
    """A task to change or delete: the acting account (MEETING_RECORD on the meeting's town), the
    task and its meeting locked, its places and its values now; StaleEdit unless at `expected_version`."""
    require_role(session, actor, MEETING_RECORD)
    found = _load_task(session, task_id, lock=True)
    if found is None:
        raise ValidationError({"task_id": "meetings.error.task_unknown"})
    task, meeting, town_code = found
    allowed = require(session, actor, MEETING_RECORD, town_code=town_code)
    places = _task_places(session, task.id)
    old = task_values(task, places.codes)
    if isinstance(expected_version, bool) or task.version != expected_version:
        raise StaleEdit(TASKS_TABLE, str(task.id), current=old)
    return allowed, task, meeting, places, old


def _current_task(session: Session, task_id: int) -> dict[str, Any] | None:
    found = _load_task(session, task_id)
    return task_values(found[0], _task_places(session, task_id).codes) if found else None


@transactional
def update_task(
    session: Session,
    *,
    actor: Actor | None,
    task_id: int,
    expected_version: int,
    what: str,
    responsible_unit: str,
    responsible_person: str | None,
    deadline: dt.date | None,
    town_codes: Sequence[str] = (),
    village_codes: Sequence[str] = (),
    measure: TaskMeasure | str | None,
    target: float | None,
    status: TaskStatus | str,
    reason: str | None = None,
) -> int:
    """Change a task (every field as `add_task` takes it; its places are replaced by those given);
    returns its new version (the same one when nothing changed).

    Refuses what `add_task` refuses, an unknown task, and (StaleEdit, with `task_values`) a task
    whose version is not `expected_version`, also when another writer commits in between.
    """
    actor, task, meeting, _, old = _task_for_record(session, actor, task_id, expected_version)
    errors = _Errors()
    values, new_places = _checked_task(
        session,
        errors,
        meeting,
        what=what,
        responsible_unit=responsible_unit,
        responsible_person=responsible_person,
        deadline=deadline,
        town_codes=town_codes,
        village_codes=village_codes,
        measure=measure,
        target=target,
        status=status,
    )
    why = _text(errors, "reason", reason, max_len=FREE_TEXT_MAX, required=False)
    errors.raise_if_any()

    new = {**old, **values}
    changed = [field for field in TASK_FIELDS if new[field] != old[field]]
    if not changed:
        return task.version
    for field in changed:
        if field != "places":
            setattr(task, field, new[field])
    if changed == ["places"]:
        flag_modified(task, "what")  # the row's version still moves (and is checked)
    save_versioned(
        session,
        actor=actor,
        action=MEETING_RECORD,
        table=TASKS_TABLE,
        key=str(task.id),
        old=old,
        new=new,
        changed=changed,
        current=lambda: _current_task(session, task_id),
        reason=why,
    )
    if "places" in changed:  # after the versioned UPDATE, which a writer in between makes miss
        session.execute(delete(MeetingTaskPlace).where(MeetingTaskPlace.task_id == task.id))
        _store_places(session, task.id, new_places)
    return task.version


@transactional
def delete_task(
    session: Session,
    *,
    actor: Actor | None,
    task_id: int,
    expected_version: int,
    reason: str | None = None,
) -> None:
    """Delete a task recorded by mistake, with its places and progress notes; the audit row keeps
    its values. Refuses as `update_task` does."""
    actor, task, _, _, old = _task_for_record(session, actor, task_id, expected_version)
    errors = _Errors()
    why = _text(errors, "reason", reason, max_len=FREE_TEXT_MAX, required=False)
    errors.raise_if_any()
    notes = session.scalar(select(func.count()).where(MeetingTaskNote.task_id == task.id)) or 0
    key = str(task.id)
    session.execute(delete(MeetingTaskPlace).where(MeetingTaskPlace.task_id == task.id))
    session.execute(delete(MeetingTaskNote).where(MeetingTaskNote.task_id == task.id))
    session.delete(task)
    try:
        session.flush()  # DELETE … WHERE id = ? AND version = ?: a writer in between makes it miss
    except StaleDataError:
        session.rollback()
        raise StaleEdit(TASKS_TABLE, key, current=_current_task(session, task_id)) from None
    del old["version"]
    record_audit(
        session,
        actor=actor,
        action=MEETING_RECORD,
        table=TASKS_TABLE,
        key=key,
        old={**old, "notes": int(notes)},
        new=None,
        reason=why,
    )
    bump_data_version(session)


# --- progress -----------------------------------------------------------------------------------


@transactional
def add_progress_note(
    session: Session,
    *,
    actor: Actor | None,
    task_id: int,
    noted_on: dt.date,
    text: str,
    status: TaskStatus | str | None = None,
    expected_version: int | None = None,
    as_of: dt.date,
) -> int:
    """Note a task's progress, dated `noted_on` (from the meeting's date up to `as_of`); with
    `status`, set the task's status in the same write. Returns the note's id.

    `text` required, free text up to 2,000 characters. A note that sets a status names the task's
    version it was written against (`expected_version`): when someone changed the task since,
    StaleEdit (with `task_values`); a note alone never conflicts. Refuses (PermissionDenied) anyone
    `lib.rules.meetings.may_report_progress` refuses; (ValidationError) an unknown task and each
    bad field.
    """
    fresh = require_role(session, actor, TASK_PROGRESS)
    found = _load_task(session, task_id, lock=True)
    if found is None:
        raise ValidationError({"task_id": "meetings.error.task_unknown"})
    task, meeting, town_code = found
    towns, villages = _progress_scopes(session, task.id)
    if not may_report_progress(fresh, meeting_town_code=town_code, town_codes=towns, villages=villages):
        raise PermissionDenied(TASK_PROGRESS, username=fresh.username)
    if status is not None and (isinstance(expected_version, bool) or task.version != expected_version):
        current = task_values(task, _task_places(session, task.id).codes)
        raise StaleEdit(TASKS_TABLE, str(task.id), current=current)

    errors = _Errors()
    day = _check_date(errors, "noted_on", noted_on, as_of=as_of)
    if day is not None and "noted_on" not in errors and day < meeting.held_on:
        errors.fail("noted_on", "meetings.error.noted_before_meeting", held_on=meeting.held_on.isoformat())
    words = _text(errors, "text", text, max_len=NOTE_MAX, required=True)
    chosen = _check_status(errors, status) if status is not None else None
    errors.raise_if_any()
    assert day is not None and words is not None

    sets = chosen if chosen is not None and chosen != task.status else None
    note = MeetingTaskNote(
        task_id=task.id, noted_on=day, text=words, status=sets, user_id=fresh.user_id, username=fresh.username
    )
    session.add(note)
    session.flush()
    record_audit(
        session,
        actor=fresh,
        action=TASK_PROGRESS,
        table=NOTES_TABLE,
        key=str(task.id),
        old=None,
        new={"note_id": note.id, "noted_on": day, "text": words, "status": sets},
    )
    if sets is None:
        bump_data_version(session)
        return note.id
    places = _task_places(session, task.id).codes
    old = task_values(task, places)
    task.status = sets
    save_versioned(
        session,
        actor=fresh,
        action=TASK_PROGRESS,
        table=TASKS_TABLE,
        key=str(task.id),
        old=old,
        new={**old, "status": sets},
        changed=["status"],
        current=lambda: _current_task(session, task_id),
    )
    return note.id


def _progress_scopes(session: Session, task_id: int) -> tuple[list[str], list[tuple[str, str]]]:
    """The towns a task concerns (codes) and its villages as (town code, village code)."""
    towns = list(
        session.scalars(
            select(Town.code)
            .join(MeetingTaskPlace, MeetingTaskPlace.town_id == Town.id)
            .where(MeetingTaskPlace.task_id == task_id)
        )
    )
    villages = [
        (str(town), str(village))
        for village, town in session.execute(
            select(Village.code, Town.code)
            .join(MeetingTaskPlace, MeetingTaskPlace.village_id == Village.id)
            .join(Town, Town.id == Village.town_id)
            .where(MeetingTaskPlace.task_id == task_id)
        )
    ]
    return towns, villages
