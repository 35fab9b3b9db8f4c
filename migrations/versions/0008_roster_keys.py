"""keys a county's rosters find their records by: a cadre's ID number, an organisation's credit code

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

A first secretary's or work-team member's resident identity number and an enterprise's or
cooperative's unified social credit code (统一社会信用代码), both optional and unique, so next
month's roster updates the same people and organisations (python -m lib.load postings |
organisations).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cadres', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_number', sa.String(length=18), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_cadres_id_number'), ['id_number'])
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_code', sa.String(length=18), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_organisations_credit_code'), ['credit_code'])


def downgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organisations_credit_code'), type_='unique')
        batch_op.drop_column('credit_code')
    with op.batch_alter_table('cadres', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_cadres_id_number'), type_='unique')
        batch_op.drop_column('id_number')
