"""Training writes: enrol first secretaries in an upcoming session (the confirmed next-phase plan).

permission (per secretary's town) → validation (every problem at once) → insert enrolments →
one audit row each → bump the data version → commit; on any error nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.auth import TRAINING_ENROL, Actor, require
from lib.models import (
    Attendance,
    AttendanceStatus,
    Cadre,
    Posting,
    PostingRole,
    Town,
    TrainingSession,
    Village,
)
from lib.services.common import ValidationError, bump_data_version, record_audit, transactional


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
        require(actor, TRAINING_ENROL, town_code=place.town_code if place else None)

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
