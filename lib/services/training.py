"""Training writes: enrol first secretaries in an upcoming session (the confirmed next-phase plan),
and record who attended a session that has started.

permission (per secretary's town) → validation (every problem at once) → write → one audit row
per changed attendance → bump the data version → commit; on any error nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib.core.domain import AttendanceStatus, PostingRole
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.models import Attendance, Cadre, Posting, Town, TrainingSession, Village
from lib.queries.staff_forms import current_postings
from lib.rules.permissions import ATTENDANCE_RECORD, TRAINING_ENROL, Actor, can
from lib.services.auth import require_role
from lib.services.common import bump_data_version, is_row_id, record_audit, transactional
from lib.services.households import _check_text, _Errors


@transactional
def enrol(
    session: Session,
    *,
    actor: Actor | None,
    allocations: Sequence[tuple[int, int]],
    as_of: dt.date,
    reason: str | None = None,
) -> int:
    """Enrol each (cadre_id, session_id) pair; returns how many were enrolled.

    Refuses (PermissionDenied) a secretary outside the actor's scope, and (ValidationError) an
    empty or repeated list, a session that does not exist or has started by `as_of`, more people
    than free seats, someone not serving as a first secretary, or someone already enrolled.
    """
    actor = require_role(session, actor, TRAINING_ENROL)
    pairs = _allocation_pairs(allocations)
    cadre_ids = sorted({cadre for cadre, _ in pairs})
    serving = _serving_first_secretaries(session, cadre_ids)
    _require_towns(actor, TRAINING_ENROL, (serving[c].town_code if c in serving else None for c in cadre_ids))

    session_ids = sorted({session_id for _, session_id in pairs})
    sessions = _lock_sessions(session, session_ids)
    taken = _seats_taken(session, session_ids)
    already = _enrolled(session, session_ids, cadre_ids)
    errors = _Errors()
    _check_sessions(errors, pairs, sessions, taken, as_of=as_of)
    _check_enrollees(errors, pairs, serving, already, _cadre_names(session, cadre_ids))
    errors.raise_if_any()

    _add_enrolments(session, actor, pairs, reason=reason)
    session.flush()
    bump_data_version(session)
    return len(pairs)


def _allocation_pairs(allocations: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (cadre_id, session_id) pairs as ints; refuses an empty list or a cadre named twice."""
    if not allocations:
        raise ValidationError({"allocations": "training.error.empty"})
    pairs = [(int(cadre), int(session_id)) for cadre, session_id in allocations]
    if len({cadre for cadre, _ in pairs}) != len(pairs):
        raise ValidationError({"allocations": "training.error.duplicate"})
    return pairs


def _serving_first_secretaries(
    session: Session, cadre_ids: Sequence[int]
) -> dict[int, Row[int, str, str, str]]:
    """Cadre id → name, town and village code, for those of `cadre_ids` serving as first secretary."""
    return {
        row.cadre_id: row
        for row in session.execute(
            select(
                Posting.cadre_id, Cadre.name, Town.code.label("town_code"), Village.code.label("village_code")
            )
            .join(Cadre, Cadre.id == Posting.cadre_id)
            .join(Village, Village.id == Posting.village_id)
            .join(Town, Town.id == Village.town_id)
            .where(
                Posting.cadre_id.in_(cadre_ids),
                Posting.role == PostingRole.FIRST_SECRETARY.value,
                Posting.end_date.is_(None),
            )
        )
    }


def _require_towns(actor: Actor, action: str, towns: Iterable[str | None]) -> None:
    """Refuse (PermissionDenied) unless `actor` may do `action` in every town; callers check this
    before validating, so an unauthorised caller learns nothing more."""
    if not all(can(actor, action, town_code=town) for town in towns):
        raise PermissionDenied(action, username=actor.username)


def _lock_sessions(session: Session, session_ids: Sequence[int]) -> dict[int, TrainingSession]:
    """The sessions by id, locked so two confirmations cannot both take the last seats (PostgreSQL)."""
    return {
        s.id: s
        for s in session.scalars(
            select(TrainingSession).where(TrainingSession.id.in_(session_ids)).with_for_update()
        )
    }


def _seats_taken(session: Session, session_ids: Sequence[int]) -> dict[int, int]:
    """Session id → how many attendance rows it has (sessions with none are absent)."""
    return {
        session_id: count
        for session_id, count in session.execute(
            select(Attendance.session_id, func.count())
            .where(Attendance.session_id.in_(session_ids))
            .group_by(Attendance.session_id)
        )
    }


def _enrolled(session: Session, session_ids: Sequence[int], cadre_ids: Sequence[int]) -> set[tuple[int, int]]:
    """The (cadre_id, session_id) pairs among these cadres and sessions that already have a row."""
    return {
        (cadre_id, session_id)
        for cadre_id, session_id in session.execute(
            select(Attendance.cadre_id, Attendance.session_id).where(
                Attendance.session_id.in_(session_ids), Attendance.cadre_id.in_(cadre_ids)
            )
        )
    }


def _check_sessions(
    errors: _Errors,
    pairs: Sequence[tuple[int, int]],
    sessions: Mapping[int, TrainingSession],
    taken: Mapping[int, int],
    *,
    as_of: dt.date,
) -> None:
    """Fail each session asked for that is unknown, has started by `as_of` or has too few free seats."""
    asked = Counter(session_id for _, session_id in pairs)
    for session_id in sorted(asked):
        field = f"session_{session_id}"
        training_session = sessions.get(session_id)
        if training_session is None:
            errors.fail(field, "training.error.session_unknown")
        elif training_session.start_date <= as_of:
            errors.fail(field, "training.error.session_past")
        else:
            free = max(training_session.capacity - taken.get(session_id, 0), 0)
            if asked[session_id] > free:
                errors.fail(field, "training.error.capacity", free=free, asked=asked[session_id])


def _check_enrollees(
    errors: _Errors,
    pairs: Sequence[tuple[int, int]],
    serving: Collection[int],
    already: set[tuple[int, int]],
    names: Mapping[int, str],
) -> None:
    """Fail each cadre not serving as a first secretary or already enrolled in the session asked for."""
    for cadre_id, session_id in pairs:
        field = f"cadre_{cadre_id}"
        if cadre_id not in serving:
            errors.fail(field, "training.error.not_serving", name=names.get(cadre_id, str(cadre_id)))
        elif (cadre_id, session_id) in already:
            errors.fail(field, "training.error.already_enrolled", name=names[cadre_id])


def _add_enrolments(
    session: Session, actor: Actor, pairs: Sequence[tuple[int, int]], *, reason: str | None
) -> None:
    """Add an "enrolled" attendance row and its audit row for each pair."""
    for cadre_id, session_id in pairs:
        session.add(
            Attendance(session_id=session_id, cadre_id=cadre_id, status=AttendanceStatus.ENROLLED.value)
        )
        record_audit(
            session,
            actor=actor,
            action="enrol",
            table="attendance",
            key=f"{session_id}:{cadre_id}",
            old=None,
            new={"session_id": session_id, "cadre_id": cadre_id, "status": AttendanceStatus.ENROLLED.value},
            reason=reason,
        )


def _cadre_names(session: Session, cadre_ids: Sequence[int]) -> dict[int, str]:
    """Cadre id → name, for those of `cadre_ids` that exist."""
    return {
        cadre_id: name
        for cadre_id, name in session.execute(select(Cadre.id, Cadre.name).where(Cadre.id.in_(cadre_ids)))
    }


# --- attendance -----------------------------------------------------------------------------------

MARKABLE = (AttendanceStatus.ATTENDED.value, AttendanceStatus.ABSENT.value)


@transactional
def record_attendance(
    session: Session,
    *,
    actor: Actor | None,
    session_id: int,
    marks: Mapping[int, AttendanceStatus | str],
    expected: Mapping[int, str],
    walk_ins: Sequence[int] = (),
    as_of: dt.date,
    reason: str | None = None,
) -> int:
    """Mark roster members attended or absent and add walk-ins; returns how many rows changed.

    `marks` maps cadre ids on the session's roster to "attended" / "absent"; `expected` maps them
    to the status the form showed. `walk_ins` are serving first secretaries who came without
    being enrolled: each gets a new "attended" row.

    Refuses (PermissionDenied) anyone but an admin or the town editor of every cadre named
    (judged by the cadre's current posting); (StaleEdit, `current["statuses"]` = cadre id → status
    now, for the roster rows the actor may record) when a named row's status is not the expected one;
    (ValidationError) an unknown session or one that starts after `as_of`, another status, a
    cadre not on the roster, a walk-in already on it, listed twice or not a serving first
    secretary, and a reason over 2,000 characters. Unchanged marks write nothing; the data
    version moves only when something changed.
    """
    actor = require_role(session, actor, ATTENDANCE_RECORD)
    sid, starts = _held_session(session, session_id)
    errors = _Errors()
    request = _read_request(errors, marks=marks, expected=expected, walk_ins=walk_ins)
    roster = _load_roster(session, sid, request)
    recorded = sorted({*request.wanted, *request.arrivals})
    _require_towns(actor, ATTENDANCE_RECORD, (roster.town(c) for c in recorded if c in roster.names))
    if any(request.shown.get(c) != roster.statuses.get(c) for c in {*request.wanted, *request.shown}):
        raise StaleEdit("attendance", str(sid), current=_recordable(actor, roster.statuses, roster))
    why = _validate_attendance(errors, request, roster, starts=starts, as_of=as_of, reason=reason)
    changed = _write_attendance(session, actor, sid, request, roster, reason=why)
    if changed:
        bump_data_version(session)
    return changed


@dataclass(frozen=True)
class _Request:
    """The parts of an attendance form that name rows: marks to make, walk-ins, statuses shown."""

    wanted: dict[int, str]
    arrivals: list[int]
    shown: dict[int, str]


@dataclass(frozen=True)
class _Roster:
    """A session's roster as locked, with the names and current postings of everyone involved."""

    statuses: dict[int, str]
    names: dict[int, str]
    places: dict[int, Row[Any]]

    def town(self, cadre_id: int) -> str | None:
        found = self.places.get(cadre_id)
        return str(found.town_code) if found is not None else None


def _held_session(session: Session, session_id: int) -> tuple[int, dt.date]:
    """The session's id and start date; refuses (ValidationError) one that does not exist."""
    held = session.get(TrainingSession, session_id) if is_row_id(session_id) else None
    if held is None:
        raise ValidationError({"session_id": "training.error.session_unknown"})
    return held.id, held.start_date


def _read_request(
    errors: _Errors,
    *,
    marks: Mapping[int, AttendanceStatus | str],
    expected: Mapping[int, str],
    walk_ins: Sequence[int],
) -> _Request:
    """Keep the marks, walk-ins and shown statuses that are well formed; fail the rest."""
    wanted: dict[int, str] = {}
    if not isinstance(marks, Mapping):
        errors.fail("marks", "attendance.error.marks_invalid")
    else:
        for cadre_id, status in marks.items():
            if not is_row_id(cadre_id):
                errors.fail("marks", "attendance.error.marks_invalid")
            elif not isinstance(status, str) or status not in MARKABLE:
                errors.fail(
                    f"cadre_{cadre_id}",
                    "attendance.error.status_unknown",
                    status=str(status),
                    statuses=", ".join(MARKABLE),
                )
            else:
                wanted[cadre_id] = str(status)
    arrivals: list[int] = []
    if isinstance(walk_ins, str | bytes) or not isinstance(walk_ins, Sequence | set | frozenset):
        errors.fail("walk_ins", "attendance.error.marks_invalid")
    else:
        for cadre_id in walk_ins:
            if not is_row_id(cadre_id):
                errors.fail("walk_ins", "attendance.error.marks_invalid")
            else:
                arrivals.append(cadre_id)
    shown = {c: s for c, s in expected.items() if is_row_id(c)} if isinstance(expected, Mapping) else {}
    return _Request(wanted, arrivals, shown)


def _load_roster(session: Session, sid: int, request: _Request) -> _Roster:
    """Lock the roster (PostgreSQL) so the stale check and the updates see the same rows, and read
    the names and current postings of everyone on it or in the request."""
    statuses = _roster_statuses(session, sid, lock=True)
    named = sorted({*request.wanted, *request.arrivals, *request.shown, *statuses})
    names = _cadre_names(session, named)
    place = current_postings().subquery()
    places = {row.cadre_id: row for row in session.execute(select(place).where(place.c.cadre_id.in_(named)))}
    return _Roster(statuses, names, places)


def _roster_statuses(session: Session, sid: int, *, lock: bool) -> dict[int, str]:
    """Cadre id → status for the session's attendance rows, optionally locked."""
    query = select(Attendance.cadre_id, Attendance.status).where(Attendance.session_id == sid)
    if lock:
        query = query.with_for_update()
    return {cadre_id: status for cadre_id, status in session.execute(query)}


def _recordable(actor: Actor, statuses: Mapping[int, str], roster: _Roster) -> dict[str, dict[int, str]]:
    """StaleEdit's `current`: the statuses of the roster rows `actor` may record."""
    return {
        "statuses": {
            cadre_id: status
            for cadre_id, status in statuses.items()
            if can(actor, ATTENDANCE_RECORD, town_code=roster.town(cadre_id))
        }
    }


def _validate_attendance(
    errors: _Errors,
    request: _Request,
    roster: _Roster,
    *,
    starts: dt.date,
    as_of: dt.date,
    reason: str | None,
) -> str | None:
    """Refuse (ValidationError) every problem found so far and below; returns the trimmed reason."""
    if starts > as_of:
        errors.fail("session_id", "attendance.error.session_not_started", start=starts.isoformat())
    for cadre_id in request.wanted:
        if cadre_id not in roster.statuses:
            name = roster.names.get(cadre_id, cadre_id)
            errors.fail(f"cadre_{cadre_id}", "attendance.error.not_on_roster", name=name)
    counts = Counter(request.arrivals)
    for cadre_id in request.arrivals:
        field, name = f"walk_in_{cadre_id}", roster.names.get(cadre_id, cadre_id)
        found = roster.places.get(cadre_id)
        if counts[cadre_id] > 1:
            errors.fail(field, "attendance.error.walk_in_twice", name=name)
        elif cadre_id in roster.statuses:
            errors.fail(field, "attendance.error.walk_in_on_roster", name=name)
        elif found is None or found.role != PostingRole.FIRST_SECRETARY.value:
            errors.fail(field, "training.error.not_serving", name=name)
    why = _check_text(errors, "reason", reason)
    errors.raise_if_any()
    return why


def _write_attendance(
    session: Session, actor: Actor, sid: int, request: _Request, roster: _Roster, *, reason: str | None
) -> int:
    """Apply the marks and add the walk-ins; returns how many rows changed. A row another writer
    changed or added meanwhile rolls back and refuses (StaleEdit) with the roster as it is now."""
    try:
        changed = _apply_marks(session, actor, sid, request.wanted, roster.statuses, reason=reason)
        return changed + _add_walk_ins(session, actor, sid, request.arrivals, reason=reason)
    except (IntegrityError, _Missed):
        session.rollback()
        now = _roster_statuses(session, sid, lock=False)
        raise StaleEdit("attendance", str(sid), current=_recordable(actor, now, roster)) from None


def _apply_marks(
    session: Session,
    actor: Actor,
    sid: int,
    wanted: Mapping[int, str],
    statuses: Mapping[int, str],
    *,
    reason: str | None,
) -> int:
    """Set each mark that differs from the roster, audited; returns how many. Raises _Missed when a
    row's status is no longer the one read."""
    changed = 0
    for cadre_id, status in wanted.items():
        old = statuses[cadre_id]
        if status == old:
            continue
        result = session.execute(
            update(Attendance)
            .where(
                Attendance.session_id == sid,
                Attendance.cadre_id == cadre_id,
                Attendance.status == old,  # a writer in between makes this miss
            )
            .values(status=status)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            raise _Missed
        _audit_attendance(session, actor, sid, cadre_id, {"status": old}, {"status": status}, reason)
        changed += 1
    return changed


def _add_walk_ins(
    session: Session, actor: Actor, sid: int, arrivals: Sequence[int], *, reason: str | None
) -> int:
    """Add an "attended" row and its audit row for each walk-in; returns how many."""
    for cadre_id in arrivals:
        session.add(Attendance(session_id=sid, cadre_id=cadre_id, status=AttendanceStatus.ATTENDED.value))
        new: dict[str, Any] = {"status": AttendanceStatus.ATTENDED.value, "walk_in": True}
        _audit_attendance(session, actor, sid, cadre_id, None, new, reason)
    return len(arrivals)


class _Missed(Exception):
    """A conditional UPDATE matched no row: someone changed it after it was read."""


def _audit_attendance(
    session: Session,
    actor: Actor | None,
    session_id: int,
    cadre_id: int,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    reason: str | None,
) -> None:
    record_audit(
        session,
        actor=actor,
        action=ATTENDANCE_RECORD,
        table="attendance",
        key=f"{session_id}:{cadre_id}",
        old=old,
        new=new,
        reason=reason,
    )
