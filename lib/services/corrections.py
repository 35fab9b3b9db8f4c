"""Send back for correction: a town reviewer marks a village's submitted change as needing work.

A *village's submitted change* is an audit row written by a village editor's account; its village
is that account's village. The town editor of that village's town may send it back with a comment
(`send_back`); the village sees the open request on /updates and, once the record is put right,
marks it corrected with a note (`resolve`), as may the town editor. Both write an audit row and bump
the data version, so every user's view of the open requests refreshes at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib.core.domain import CorrectionStatus, Role
from lib.core.errors import StaleEdit, ValidationError
from lib.core.models import AuditEntry, CorrectionRequest, Town, User, Village
from lib.rules.permissions import CORRECTION_REQUEST, CORRECTION_RESOLVE, Actor
from lib.services.auth import require, require_role, utcnow
from lib.services.common import bump_data_version, is_row_id, record_audit, save_versioned, transactional
from lib.services.households import _check_text, _Errors

TABLE = CorrectionRequest.__tablename__


def _required_text(errors: _Errors, field: str, value: object) -> str | None:
    text = _check_text(errors, field, value)
    if text is None and field not in errors:
        errors.fail(field, f"corrections.error.{field}_required")
    return text


def request_values(request: CorrectionRequest) -> dict[str, Any]:
    """What the audit log (and a StaleEdit) reports about a correction request."""
    return {
        "audit_id": request.audit_id,
        "status": request.status,
        "comment": request.comment,
        "resolution": request.resolution,
        "resolved_by": request.resolved_by,
        "version": request.version,
    }


@transactional
def send_back(
    session: Session,
    *,
    actor: Actor | None,
    audit_id: int,
    comment: str,
    now: dt.datetime | None = None,
) -> int:
    """Send the change recorded in audit row `audit_id` back to its village; returns the request's id.

    Refuses (PermissionDenied) anyone but the town editor of the village's town, and
    (ValidationError) an unknown change, one not made by a village editor's account, one already
    sent back and still open, and a blank or over-long comment (at most 2,000 characters).
    """
    require_role(session, actor, CORRECTION_REQUEST)
    if not is_row_id(audit_id):
        raise ValidationError({"audit_id": "corrections.error.change_unknown"})
    found = session.execute(
        select(AuditEntry, User.role, Village.id, Village.code, Town.code)
        .join(User, User.id == AuditEntry.user_id)
        .join(Village, Village.id == User.village_id)
        .join(Town, Town.id == Village.town_id)
        .where(AuditEntry.id == audit_id)
        .with_for_update(of=AuditEntry)  # PostgreSQL: a second send-back of this change waits here
    ).first()
    if found is None:
        exists = session.scalar(select(AuditEntry.id).where(AuditEntry.id == audit_id))
        key = "corrections.error.not_village_change" if exists else "corrections.error.change_unknown"
        raise ValidationError({"audit_id": key})
    entry, role, village_id, village_code, town_code = found
    actor = require(session, actor, CORRECTION_REQUEST, town_code=town_code)
    if role != Role.VILLAGE_EDITOR.value or entry.table_name == TABLE:
        raise ValidationError({"audit_id": "corrections.error.not_village_change"})

    errors = _Errors()
    text = _required_text(errors, "comment", comment)
    already = session.scalar(
        select(CorrectionRequest.id).where(
            CorrectionRequest.audit_id == audit_id,
            CorrectionRequest.status == CorrectionStatus.OPEN.value,
        )
    )
    if already is not None:
        errors.fail("audit_id", "corrections.error.already_open")
    errors.raise_if_any()
    assert text is not None and actor is not None

    request = CorrectionRequest(
        audit_id=audit_id,
        village_id=village_id,
        comment=text,
        requested_by_id=actor.user_id,
        requested_by=actor.username,
        requested_at=now or utcnow(),
        status=CorrectionStatus.OPEN.value,
    )
    session.add(request)
    try:
        session.flush()
    except IntegrityError as exc:  # the database's "one open send-back per change" (migration 0005)
        session.rollback()
        raise ValidationError({"audit_id": "corrections.error.already_open"}) from exc
    record_audit(
        session,
        actor=actor,
        action=CORRECTION_REQUEST,
        table=TABLE,
        key=str(request.id),
        old=None,
        new={
            "audit_id": audit_id,
            "village_code": village_code,
            "table": entry.table_name,
            "record_key": entry.record_key,
            "comment": text,
        },
    )
    bump_data_version(session)
    return request.id


@transactional
def resolve(
    session: Session,
    *,
    actor: Actor | None,
    request_id: int,
    expected_version: int,
    note: str,
    now: dt.datetime | None = None,
) -> int:
    """Mark an open correction request corrected, with a note saying what was done; returns its version.

    Refuses (PermissionDenied) anyone but an editor of the request's village or its town;
    (StaleEdit, with the current values) when someone changed the request since it was shown;
    (ValidationError) an unknown or already resolved request and a blank or over-long note.
    """
    require_role(session, actor, CORRECTION_RESOLVE)
    if not is_row_id(request_id):
        raise ValidationError({"request_id": "corrections.error.request_unknown"})
    found = session.execute(
        select(CorrectionRequest, Village.code, Town.code)
        .join(Village, Village.id == CorrectionRequest.village_id)
        .join(Town, Town.id == Village.town_id)
        .where(CorrectionRequest.id == request_id)
        .execution_options(populate_existing=True)
    ).first()
    if found is None:
        raise ValidationError({"request_id": "corrections.error.request_unknown"})
    request, village_code, town_code = found
    actor = require(session, actor, CORRECTION_RESOLVE, town_code=town_code, village_code=village_code)
    if request.version != expected_version:
        raise StaleEdit(TABLE, str(request.id), current=request_values(request))
    if request.status != CorrectionStatus.OPEN.value:
        raise ValidationError({"request_id": "corrections.error.already_resolved"})

    errors = _Errors()
    text = _required_text(errors, "note", note)
    errors.raise_if_any()
    assert actor is not None

    old = request_values(request)
    request.status = CorrectionStatus.RESOLVED.value
    request.resolution = text
    request.resolved_by = actor.username
    request.resolved_at = now or utcnow()

    def as_it_is() -> dict[str, Any] | None:
        current = session.get(CorrectionRequest, request_id, populate_existing=True)
        return request_values(current) if current else None

    save_versioned(
        session,
        actor=actor,
        action=CORRECTION_RESOLVE,
        table=TABLE,
        key=str(request.id),
        old=old,
        new=request_values(request),
        changed=("status", "resolution", "resolved_by"),
        current=as_it_is,
    )
    return request.version
