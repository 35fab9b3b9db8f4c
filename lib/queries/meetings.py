"""Promotion meetings and their decisions as recorded (lib.services.meetings), and where each
decision stands.

A decision (task) stands where people set it (not started, in progress, done), except that it is
late once its deadline has passed on the data's date without being done, and done once its
measured share reaches its target (lib.rules.meetings.task_standing). A measured task's progress
is counted, never typed: its measure (an Overview share, lib.core.figures.SHARE_PARTS) over its
places, from the very counts the Overview and the village list show (`overview.town_progress`,
`villages.village_measures`: rollups while current, else the base tables; "verified" as on every
page, rollups.VerifiedWindow). A task without places counts its meeting's town, or for a county
meeting the whole county.

Everything returns the typed shapes of lib.core.figures (MeetingInfo, TaskStanding, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, aliased

from lib.core.domain import MeetingLevel
from lib.core.figures import (
    SHARE_PARTS,
    MeasuredProgress,
    MeetingInfo,
    MeetingRef,
    MeetingStanding,
    TaskNote,
    TaskPlace,
    TaskStanding,
)
from lib.core.models import (
    INCLUDE_RETIRED,
    Meeting,
    MeetingTask,
    MeetingTaskNote,
    MeetingTaskPlace,
    Town,
    Village,
)
from lib.queries.common import AnySelect
from lib.queries.overview import town_progress
from lib.queries.rollups import data_as_of
from lib.queries.villages import village_measures
from lib.rules.meetings import task_standing

PAGE_ROWS = 200  # meetings a list shows at a time (a county holds a few hundred a year at most)

TOWN = "town"
VILLAGE = "village"
COUNTY = "county"


# --- meetings -----------------------------------------------------------------------------------


def _meetings_select() -> AnySelect:
    conveyed = aliased(Meeting, name="conveyed")
    tasks = select(func.count()).where(MeetingTask.meeting_id == Meeting.id).scalar_subquery()
    return (
        select(
            Meeting.id,
            Meeting.level,
            Town.code,
            Town.name_zh,
            Town.name_en,
            Meeting.name,
            Meeting.number,
            Meeting.held_on,
            Meeting.attending,
            conveyed.id,
            conveyed.level,
            conveyed.name,
            conveyed.number,
            conveyed.held_on,
            tasks,
            Meeting.version,
        )
        .outerjoin(Town, Town.id == Meeting.town_id)
        .outerjoin(conveyed, conveyed.id == Meeting.conveys_id)
        # A retired town's meetings keep their town's name.
        .execution_options(**{INCLUDE_RETIRED: True})
    )


def _info(row: Sequence[object]) -> MeetingInfo:
    (id_, level, town, name_zh, name_en, name, number, held_on, attending) = row[:9]
    (c_id, c_level, c_name, c_number, c_held_on, tasks, version) = row[9:]
    conveys = (
        None
        if c_id is None
        else MeetingRef(
            id=int(c_id),  # type: ignore[call-overload]
            level=str(c_level),
            name=str(c_name),
            number=None if c_number is None else int(c_number),  # type: ignore[call-overload]
            held_on=c_held_on,  # type: ignore[arg-type]
        )
    )
    return MeetingInfo(
        id=int(id_),  # type: ignore[call-overload]
        level=str(level),
        town_code=None if town is None else str(town),
        town_name_zh=None if name_zh is None else str(name_zh),
        town_name_en=None if name_en is None else str(name_en),
        name=str(name),
        number=None if number is None else int(number),  # type: ignore[call-overload]
        held_on=held_on,  # type: ignore[arg-type]
        attending=None if attending is None else str(attending),
        conveys=conveys,
        tasks=int(tasks or 0),  # type: ignore[call-overload]
        version=int(version),  # type: ignore[call-overload]
    )


def _of_towns(town_codes: Sequence[str] | None, *, include_county: bool) -> ColumnElement[bool] | None:
    """Meetings of the selected towns (and county meetings, with `include_county`); None: all."""
    if not town_codes:
        return None
    mine = Town.code.in_(list(town_codes))
    return or_(mine, Meeting.level == MeetingLevel.COUNTY.value) if include_county else mine


def list_meetings(
    session: Session,
    *,
    town_codes: Sequence[str] | None = None,
    include_county: bool = True,
    level: MeetingLevel | str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = PAGE_ROWS,
    offset: int = 0,
) -> list[MeetingInfo]:
    """Meetings, newest first (by date, then the latest recorded first).

    `town_codes` empty: every meeting, the county's and every town's; given: those towns' meetings
    and (`include_county`) the county's. `level` keeps one level; `since` / `until` bound the date
    (both ends included). At most `limit` meetings from `offset` (SQL paging). A county meeting
    a town meeting conveys is in each MeetingInfo (`conveys`): the picker of what a town meeting may
    convey is `list_meetings(session, level="county", until=held_on)`.
    """
    stmt = _meetings_select()
    if (where := _of_towns(town_codes, include_county=include_county)) is not None:
        stmt = stmt.where(where)
    if level is not None:
        stmt = stmt.where(Meeting.level == MeetingLevel(level).value)
    if since is not None:
        stmt = stmt.where(Meeting.held_on >= since)
    if until is not None:
        stmt = stmt.where(Meeting.held_on <= until)
    stmt = stmt.order_by(Meeting.held_on.desc(), Meeting.id.desc())
    stmt = stmt.limit(max(0, limit)).offset(max(0, offset))
    return [_info(tuple(row)) for row in session.execute(stmt)]


def meeting(session: Session, meeting_id: int) -> MeetingInfo | None:
    """One meeting, or None when there is no such meeting."""
    row = session.execute(_meetings_select().where(Meeting.id == meeting_id)).first()
    return None if row is None else _info(tuple(row))


def latest_meeting_before(
    session: Session, *, day: dt.date, town_codes: Sequence[str] | None = None
) -> MeetingInfo | None:
    """The last meeting held before `day` (not on it): with no `town_codes`, the county's; with
    them, the last of those towns' own meetings. None when there was none."""
    stmt = _meetings_select().where(Meeting.held_on < day)
    if town_codes:
        stmt = stmt.where(Town.code.in_(list(town_codes)))
    else:
        stmt = stmt.where(Meeting.level == MeetingLevel.COUNTY.value)
    row = session.execute(stmt.order_by(Meeting.held_on.desc(), Meeting.id.desc()).limit(1)).first()
    return None if row is None else _info(tuple(row))


def last_meeting_standing(
    session: Session,
    *,
    day: dt.date,
    town_codes: Sequence[str] | None = None,
    as_of: dt.date | None = None,
) -> MeetingStanding | None:
    """The last meeting's decisions and where they stand (the next meeting's first slide): the
    meeting `latest_meeting_before(day, town_codes)` finds, its tasks as `meeting_tasks` gives them
    on `as_of` (default: the data's date). None when there was no meeting before `day`."""
    last = latest_meeting_before(session, day=day, town_codes=town_codes)
    if last is None:
        return None
    as_of = as_of or data_as_of(session)
    tasks = tuple(meeting_tasks(session, last.id, as_of=as_of))
    return MeetingStanding(meeting=last, as_of=as_of, tasks=tasks)


# --- tasks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Area:
    """What a measured task counts over: villages, towns, or the whole county (no codes)."""

    level: str
    codes: tuple[str, ...]


def meeting_tasks(session: Session, meeting_id: int, *, as_of: dt.date | None = None) -> list[TaskStanding]:
    """A meeting's decisions in the order they were recorded, each with its places (by code), its
    notes (oldest first), its measured progress (measured tasks) and where it stands on `as_of`
    (default: the data's date, which late is judged against and verified counted for)."""
    return _standings(session, MeetingTask.meeting_id == meeting_id, as_of=as_of)


def tasks_concerning(
    session: Session,
    *,
    town_code: str,
    village_code: str | None = None,
    include_done: bool = False,
    as_of: dt.date | None = None,
) -> list[TaskStanding]:
    """The decisions a town's or a village's people report progress on (what the note form lists),
    as `meeting_tasks` gives them, the latest meeting's first.

    With `village_code`: the tasks naming that village. Without: the tasks of the town's own
    meetings, and the tasks naming the town or any of its villages. Done ones (standing "done")
    are left out unless `include_done`.
    """
    named = select(MeetingTaskPlace.task_id).join(Village, Village.id == MeetingTaskPlace.village_id)
    where: ColumnElement[bool]
    if village_code is not None:
        where = MeetingTask.id.in_(named.where(Village.code == village_code))
    else:
        town_id = select(Town.id).where(Town.code == town_code).scalar_subquery()
        where = or_(
            MeetingTask.meeting_id.in_(select(Meeting.id).where(Meeting.town_id == town_id)),
            MeetingTask.id.in_(select(MeetingTaskPlace.task_id).where(MeetingTaskPlace.town_id == town_id)),
            MeetingTask.id.in_(named.where(Village.town_id == town_id)),
        )
    found = _standings(session, where, as_of=as_of)
    return found if include_done else [task for task in found if task.standing != "done"]


def _standings(session: Session, where: ColumnElement[bool], *, as_of: dt.date | None) -> list[TaskStanding]:
    """The tasks `where` selects as TaskStanding, the latest meeting's first, then as recorded."""
    as_of = as_of or data_as_of(session)
    rows = session.execute(
        select(
            MeetingTask.id,
            MeetingTask.meeting_id,
            MeetingTask.what,
            MeetingTask.responsible_unit,
            MeetingTask.responsible_person,
            MeetingTask.deadline,
            MeetingTask.status,
            MeetingTask.measure,
            MeetingTask.target,
            MeetingTask.version,
            Town.code,
        )
        .join(Meeting, Meeting.id == MeetingTask.meeting_id)
        .outerjoin(Town, Town.id == Meeting.town_id)
        .where(where)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc(), MeetingTask.id)
        # A retired town's meetings keep their town (else their tasks would count the county).
        .execution_options(**{INCLUDE_RETIRED: True})
    ).all()
    ids = [int(row[0]) for row in rows]
    places = task_places(session, ids)
    notes = task_notes(session, ids)
    areas = {
        int(row[0]): (str(row[7]), float(row[8] or 1.0), _area(places.get(int(row[0]), ()), row[10]))
        for row in rows
        if row[7] is not None
    }
    progress = _measured(session, areas)
    standings = []
    for task_id, meeting_id, what, unit, person, deadline, status, measure, target, version, _ in rows:
        measured = progress.get(task_id)
        standings.append(
            TaskStanding(
                id=task_id,
                meeting_id=meeting_id,
                what=what,
                responsible_unit=unit,
                responsible_person=person,
                deadline=deadline,
                status=status,
                standing=task_standing(
                    status=status,
                    deadline=deadline,
                    as_of=as_of,
                    share=measured.share if measured else None,
                    target=target,
                ),
                measure=measure,
                target=target,
                places=places.get(task_id, ()),
                notes=notes.get(task_id, ()),
                progress=measured,
                version=version,
            )
        )
    return standings


def _area(places: Sequence[TaskPlace], meeting_town: str | None) -> _Area:
    if places:
        return _Area(places[0].level, tuple(place.code for place in places))
    if meeting_town is not None:
        return _Area(TOWN, (meeting_town,))
    return _Area(COUNTY, ())


def task_places(session: Session, task_ids: Iterable[int]) -> dict[int, tuple[TaskPlace, ...]]:
    """Each task's places, towns or villages, by code (retired ones too: they are on the record)."""
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    village_town = aliased(Town, name="village_town")
    towns = (
        select(MeetingTaskPlace.task_id, Town.code, Town.name_zh, Town.name_en, Town.code)
        .join(Town, Town.id == MeetingTaskPlace.town_id)
        .where(MeetingTaskPlace.task_id.in_(ids))
        .execution_options(**{INCLUDE_RETIRED: True})
    )
    villages = (
        select(MeetingTaskPlace.task_id, Village.code, Village.name_zh, Village.name_en, village_town.code)
        .join(Village, Village.id == MeetingTaskPlace.village_id)
        .join(village_town, village_town.id == Village.town_id)
        .where(MeetingTaskPlace.task_id.in_(ids))
        .execution_options(**{INCLUDE_RETIRED: True})
    )
    found: dict[int, list[TaskPlace]] = {}
    for level, stmt in ((TOWN, towns), (VILLAGE, villages)):
        for task_id, code, name_zh, name_en, town_code in session.execute(stmt):
            found.setdefault(int(task_id), []).append(TaskPlace(level, code, name_zh, name_en, town_code))
    return {key: tuple(sorted(value, key=lambda place: place.code)) for key, value in found.items()}


def task_notes(session: Session, task_ids: Iterable[int]) -> dict[int, tuple[TaskNote, ...]]:
    """Each task's progress notes, oldest first (by date, then as written)."""
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            MeetingTaskNote.task_id,
            MeetingTaskNote.id,
            MeetingTaskNote.noted_on,
            MeetingTaskNote.text,
            MeetingTaskNote.status,
            MeetingTaskNote.username,
            MeetingTaskNote.created_at,
        )
        .where(MeetingTaskNote.task_id.in_(ids))
        .order_by(MeetingTaskNote.task_id, MeetingTaskNote.noted_on, MeetingTaskNote.id)
    )
    found: dict[int, list[TaskNote]] = {}
    for task_id, note_id, noted_on, text, status, username, created_at in rows:
        note = TaskNote(
            id=note_id, noted_on=noted_on, text=text, status=status, username=username, created_at=created_at
        )
        found.setdefault(int(task_id), []).append(note)
    return {key: tuple(value) for key, value in found.items()}


# --- measured progress --------------------------------------------------------------------------


def measured_progress(
    session: Session,
    *,
    measure: str,
    target: float = 1.0,
    town_codes: Sequence[str] = (),
    village_codes: Sequence[str] = (),
) -> MeasuredProgress:
    """`measure` (a SHARE_PARTS key) counted over the given villages, or towns, or (neither) the
    whole county, as the Overview and the village list count it."""
    if measure not in SHARE_PARTS:
        raise ValueError(f"unknown measure {measure!r}")
    if village_codes:
        area = _Area(VILLAGE, tuple(village_codes))
    elif town_codes:
        area = _Area(TOWN, tuple(town_codes))
    else:
        area = _Area(COUNTY, ())
    return _measured(session, {0: (measure, target, area)})[0]


def _measured(session: Session, wanted: dict[int, tuple[str, float, _Area]]) -> dict[int, MeasuredProgress]:
    """Each measured task's progress (task id → measure, target, area), the towns' and the
    villages' counts read once for them all: the Overview's `town_progress` for towns and the
    county (its totals are the towns' sums), `village_measures` for the villages named."""
    if not wanted:
        return {}
    towns: pd.DataFrame | None = None
    if any(area.level != VILLAGE for _, _, area in wanted.values()):
        towns = town_progress(session).set_index("town_code")
    codes = sorted({code for _, _, area in wanted.values() if area.level == VILLAGE for code in area.codes})
    villages = village_measures(session, village_codes=codes).set_index("village_code") if codes else None
    progress: dict[int, MeasuredProgress] = {}
    for task_id, (measure, target, area) in wanted.items():
        part, whole = SHARE_PARTS[measure]
        frame = villages if area.level == VILLAGE else towns
        assert frame is not None
        rows = frame if area.level == COUNTY else frame[frame.index.isin(area.codes)]
        progress[task_id] = MeasuredProgress(
            measure=measure, part=int(rows[part].sum()), whole=int(rows[whole].sum()), target=target
        )
    return progress
