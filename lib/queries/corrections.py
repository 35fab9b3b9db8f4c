"""Send back for correction, read side: village changes a town may review, and the requests made.

A village's submitted change is an audit row written by a village editor's account (see
lib/services/corrections.py); its village is that account's village.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from lib.core.domain import CorrectionStatus, Role
from lib.core.models import AuditEntry, CorrectionRequest, Town, User, Village

REVIEW_COLUMNS = [
    "audit_id",
    "at",
    "username",
    "village_code",
    "village_name_zh",
    "village_name_en",
    "action",
    "table_name",
    "record_key",
    "old_values",
    "new_values",
    "reason",
    "sent_back",
]
REQUEST_COLUMNS = [
    "request_id",
    "version",
    "status",
    "comment",
    "requested_by",
    "requested_at",
    "resolved_by",
    "resolved_at",
    "resolution",
    "village_code",
    "village_name_zh",
    "village_name_en",
    "changed_at",
    "changed_by",
    "action",
    "table_name",
    "record_key",
    "new_values",
]


def reviewable_changes(session: Session, *, town_code: str, limit: int = 200) -> pd.DataFrame:
    """The newest changes village editors of `town_code`'s villages made, with `sent_back` True
    while a correction request on the change is open."""
    open_request = exists().where(
        and_(
            CorrectionRequest.audit_id == AuditEntry.id,
            CorrectionRequest.status == CorrectionStatus.OPEN.value,
        )
    )
    stmt = (
        select(
            AuditEntry.id,
            AuditEntry.at,
            AuditEntry.username,
            Village.code,
            Village.name_zh,
            Village.name_en,
            AuditEntry.action,
            AuditEntry.table_name,
            AuditEntry.record_key,
            AuditEntry.old_values,
            AuditEntry.new_values,
            AuditEntry.reason,
            open_request.label("sent_back"),
        )
        .join(User, User.id == AuditEntry.user_id)
        .join(Village, Village.id == User.village_id)
        .join(Town, Town.id == Village.town_id)
        .where(
            Town.code == town_code,
            User.role == Role.VILLAGE_EDITOR.value,
            AuditEntry.table_name != CorrectionRequest.__tablename__,
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(max(1, min(limit, 2000)))
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=REVIEW_COLUMNS)
    frame["sent_back"] = frame["sent_back"].astype(bool)
    return frame


def correction_requests(
    session: Session,
    *,
    town_code: str | None = None,
    village_code: str | None = None,
    status: CorrectionStatus | str | None = None,
) -> pd.DataFrame:
    """Correction requests (open first, newest first) with the change each one is about."""
    stmt = (
        select(
            CorrectionRequest.id,
            CorrectionRequest.version,
            CorrectionRequest.status,
            CorrectionRequest.comment,
            CorrectionRequest.requested_by,
            CorrectionRequest.requested_at,
            CorrectionRequest.resolved_by,
            CorrectionRequest.resolved_at,
            CorrectionRequest.resolution,
            Village.code,
            Village.name_zh,
            Village.name_en,
            AuditEntry.at,
            AuditEntry.username,
            AuditEntry.action,
            AuditEntry.table_name,
            AuditEntry.record_key,
            AuditEntry.new_values,
        )
        .join(AuditEntry, AuditEntry.id == CorrectionRequest.audit_id)
        .join(Village, Village.id == CorrectionRequest.village_id)
        .join(Town, Town.id == Village.town_id)
        .order_by(
            (CorrectionRequest.status == CorrectionStatus.OPEN.value).desc(),
            CorrectionRequest.requested_at.desc(),
            CorrectionRequest.id.desc(),
        )
    )
    if town_code:
        stmt = stmt.where(Town.code == town_code)
    if village_code:
        stmt = stmt.where(Village.code == village_code)
    if status:
        stmt = stmt.where(CorrectionRequest.status == str(status))
    return pd.DataFrame(session.execute(stmt).all(), columns=REQUEST_COLUMNS)
