"""rollups: industry plans by village, category and stage

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('village_plan_stages',
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('plans', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_village_plan_stages_village_id_villages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('village_id', 'category', 'stage', name=op.f('pk_village_plan_stages'))
    )
    # Empty until the next rebuild: lib.prestart (or `python -m lib.admin rebuild-rollups`) marks
    # the rollups stale by version and works them out again.
    op.execute("DELETE FROM app_meta WHERE key = 'rollup_version'")


def downgrade() -> None:
    op.drop_table('village_plan_stages')
