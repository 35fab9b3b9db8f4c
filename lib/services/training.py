"""Training writes: enrol first secretaries in an upcoming session (the confirmed next-phase plan),
and record who attended a session that has started.

permission (per secretary's town) → validation (every problem at once) → write → one audit row
per changed attendance → bump the data version → commit; on any error nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update
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
    if not allocations:
        raise ValidationError({"allocations": "training.error.empty"})
    pairs = [(int(cadre), int(session_id)) for cadre, session_id in allocations]
    if len({cadre for cadre, _ in pairs}) != len(pairs):
        raise ValidationError({"allocations": "training.error.duplicate"})

    cadre_ids = sorted({cadre for cadre, _ in pairs})
    serving = {
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
    for cadre_id in cadre_ids:  # permission first: an unauthorised caller learns nothing more
        place = serving.get(cadre_id)
        if not can(actor, TRAINING_ENROL, town_code=place.town_code if place else None):
            raise PermissionDenied(TRAINING_ENROL, username=actor.username)

    session_ids = sorted({session_id for _, session_id in pairs})
    # Lock the sessions so two confirmations cannot both take the last seats (PostgreSQL).
    sessions = {
        s.id: s
        for s in session.scalars(
            select(TrainingSession).where(TrainingSession.id.in_(session_ids)).with_for_update()
        )
    }
    taken = {
        session_id: count
        for session_id, count in session.execute(
            select(Attendance.session_id, func.count())
            .where(Attendance.session_id.in_(session_ids))
            .group_by(Attendance.session_id)
        )
    }
    already = {
        (cadre_id, session_id)
        for cadre_id, session_id in session.execute(
            select(Attendance.cadre_id, Attendance.session_id).where(
                Attendance.session_id.in_(session_ids), Attendance.cadre_id.in_(cadre_ids)
            )
        )
    }
    errors: dict[str, str] = {}
    params: dict[str, dict[str, object]] = {}
    asked = Counter(session_id for _, session_id in pairs)
    for session_id in session_ids:
        field = f"session_{session_id}"
        training_session = sessions.get(session_id)
        if training_session is None:
            errors[field] = "training.error.session_unknown"
        elif training_session.start_date <= as_of:
            errors[field] = "training.error.session_past"
        else:
            free = max(training_session.capacity - taken.get(session_id, 0), 0)
            if asked[session_id] > free:
                errors[field] = "training.error.capacity"
                params[field] = {"free": free, "asked": asked[session_id]}
    names = {
        cadre_id: name
        for cadre_id, name in session.execute(select(Cadre.id, Cadre.name).where(Cadre.id.in_(cadre_ids)))
    }
    for cadre_id, session_id in pairs:
        field = f"cadre_{cadre_id}"
        if cadre_id not in serving:
            errors[field] = "training.error.not_serving"
            params[field] = {"name": names.get(cadre_id, str(cadre_id))}
        elif (cadre_id, session_id) in already:
            errors[field] = "training.error.already_enrolled"
            params[field] = {"name": names[cadre_id]}
    if errors:
        raise ValidationError(errors, params)

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
    session.flush()
    bump_data_version(session)
    return len(pairs)


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
    held = session.get(TrainingSession, session_id) if is_row_id(session_id) else None
    if held is None:
        raise ValidationError({"session_id": "training.error.session_unknown"})
    sid, starts = held.id, held.start_date

    errors = _Errors()
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

    # Lock the roster (PostgreSQL) so the stale check and the updates see the same rows.
    roster = {
        row.cadre_id: row.status
        for row in session.execute(
            select(Attendance.cadre_id, Attendance.status)
            .where(Attendance.session_id == sid)
            .with_for_update()
        )
    }
    named = sorted({*wanted, *arrivals, *shown, *roster})
    names = {
        cadre_id: name
        for cadre_id, name in session.execute(select(Cadre.id, Cadre.name).where(Cadre.id.in_(named)))
    }
    place = current_postings().subquery()
    places = {row.cadre_id: row for row in session.execute(select(place).where(place.c.cadre_id.in_(named)))}

    def town_of(cadre_id: int) -> str | None:
        found = places.get(cadre_id)
        return str(found.town_code) if found is not None else None

    for cadre_id in sorted({*wanted, *arrivals}):  # permission first: a refused caller learns no more
        if cadre_id in names and not can(actor, ATTENDANCE_RECORD, town_code=town_of(cadre_id)):
            raise PermissionDenied(ATTENDANCE_RECORD, username=actor.username)

    def current() -> dict[str, dict[int, str]]:
        statuses = {
            cadre_id: status
            for cadre_id, status in roster.items()
            if can(actor, ATTENDANCE_RECORD, town_code=town_of(cadre_id))
        }
        return {"statuses": statuses}

    if any(shown.get(c) != roster.get(c) for c in {*wanted, *shown}):
        raise StaleEdit("attendance", str(sid), current=current())

    if starts > as_of:
        errors.fail("session_id", "attendance.error.session_not_started", start=starts.isoformat())
    for cadre_id in wanted:
        if cadre_id not in roster:
            errors.fail(
                f"cadre_{cadre_id}", "attendance.error.not_on_roster", name=names.get(cadre_id, cadre_id)
            )
    counts = Counter(arrivals)
    for cadre_id in arrivals:
        field, name = f"walk_in_{cadre_id}", names.get(cadre_id, cadre_id)
        found = places.get(cadre_id)
        if counts[cadre_id] > 1:
            errors.fail(field, "attendance.error.walk_in_twice", name=name)
        elif cadre_id in roster:
            errors.fail(field, "attendance.error.walk_in_on_roster", name=name)
        elif found is None or found.role != PostingRole.FIRST_SECRETARY.value:
            errors.fail(field, "training.error.not_serving", name=name)
    why = _check_text(errors, "reason", reason)
    errors.raise_if_any()

    changed = 0
    try:
        for cadre_id, status in wanted.items():
            old = roster[cadre_id]
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
            _audit_attendance(session, actor, sid, cadre_id, {"status": old}, {"status": status}, why)
            changed += 1
        for cadre_id in arrivals:
            session.add(Attendance(session_id=sid, cadre_id=cadre_id, status=AttendanceStatus.ATTENDED.value))
            new: dict[str, Any] = {"status": AttendanceStatus.ATTENDED.value, "walk_in": True}
            _audit_attendance(session, actor, sid, cadre_id, None, new, why)
            changed += 1
    except (IntegrityError, _Missed):
        session.rollback()
        roster = {
            cadre_id: status
            for cadre_id, status in session.execute(
                select(Attendance.cadre_id, Attendance.status).where(Attendance.session_id == sid)
            )
        }
        raise StaleEdit("attendance", str(sid), current=current()) from None
    if changed:
        bump_data_version(session)
    return changed


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
