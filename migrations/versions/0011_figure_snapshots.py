"""figure snapshots: each town's key figures kept on a date, for "change since the last meeting"

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

One row per date, town and measure with its part and whole (households exited of households,
first secretaries trained of those serving, …), taken at each month end and whenever a meeting
deck is made (lib/services/snapshots.py). The unique key starts with the date, so it indexes the
reads by date.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'figure_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('taken_on', sa.Date(), nullable=False),
        sa.Column('town_id', sa.Integer(), nullable=False),
        sa.Column('measure', sa.String(length=30), nullable=False),
        sa.Column('part', sa.Integer(), nullable=False),
        sa.Column('whole', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ['town_id'], ['towns.id'], name=op.f('fk_figure_snapshots_town_id_towns'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_snapshots')),
        sa.UniqueConstraint('taken_on', 'town_id', 'measure', name=op.f('uq_figure_snapshots_taken_on')),
    )


def downgrade() -> None:
    op.drop_table('figure_snapshots')
