"""only one open: one open posting per person, one serving first secretary per village, one open
send-back per change

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# (index, table, column, where, what a duplicate means): a unique index over the open rows
INDEXES = [
    ("ux_postings_one_open_per_cadre", "postings", "cadre_id", "end_date IS NULL",
     "people with more than one open posting (postings.cadre_id)"),
    ("ux_postings_one_secretary_per_village", "postings", "village_id",
     "end_date IS NULL AND role = 'first_secretary'",
     "villages with more than one serving first secretary (postings.village_id)"),
    ("ux_correction_requests_one_open", "correction_requests", "audit_id", "status = 'open'",
     "changes sent back more than once and still open (correction_requests.audit_id)"),
]


def upgrade() -> None:
    bind = op.get_bind()
    for name, table, column, where, meaning in INDEXES:
        # Refuse with the rows to fix rather than fail on the index: ending or closing them is the
        # county's decision, not a migration's.
        duplicates = bind.execute(sa.text(
            f"SELECT {column}, count(*) FROM {table} WHERE {where} GROUP BY {column} HAVING count(*) > 1 "
            f"ORDER BY {column} LIMIT 10"
        )).all()
        if duplicates:
            shown = ", ".join(f"{key} ({count} rows)" for key, count in duplicates)
            raise RuntimeError(f"Cannot add {name}: there are {meaning}: {shown}. End or close the extra rows first.")
        op.create_index(
            name, table, [column], unique=True,
            sqlite_where=sa.text(where), postgresql_where=sa.text(where),
        )


def downgrade() -> None:
    for name, table, _column, _where, _meaning in reversed(INDEXES):
        op.drop_index(name, table_name=table)
