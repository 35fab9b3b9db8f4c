"""a county's own data: stored outlines, saved header mappings, loaded files, retired records

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

`boundaries` holds the outlines a county loads (python -m lib.load boundaries), so every server
of a shared database draws the same map; `header_mappings` the headers an administrator mapped
once, for next month's file; `loaded_files` a hash of each loaded or imported file's rows, so the
same file is recognised. Towns, villages and households gain `retired_on`: a record the county's
file no longer holds is retired, never deleted, and every query leaves it out (lib.core.models).
The households' covering index gains `retired_on` so the pages' aggregates stay index-only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'boundaries',
        sa.Column('code', sa.String(length=12), nullable=False),
        sa.Column('level', sa.String(length=10), nullable=False),
        sa.Column('geometry', sa.Text(), nullable=False),
        sa.Column('lon', sa.Float(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("level IN ('county', 'town', 'village')", name=op.f('ck_boundaries_level_valid')),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_boundaries')),
    )
    op.create_table(
        'header_mappings',
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('header', sa.String(length=120), nullable=False),
        sa.Column('column', sa.String(length=40), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'header', name=op.f('pk_header_mappings')),
    )
    op.create_table(
        'loaded_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=True),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('added', sa.Integer(), nullable=False),
        sa.Column('changed', sa.Integer(), nullable=False),
        sa.Column('retired', sa.Integer(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_loaded_files_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_loaded_files')),
    )
    op.create_index('ix_loaded_files_kind_hash', 'loaded_files', ['kind', 'content_hash'], unique=False)
    for table in ('towns', 'villages', 'households'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('retired_on', sa.Date(), nullable=True))
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index('ix_households_village_status')
        batch_op.create_index(
            'ix_households_village_status',
            ['village_id', 'status', 'members', 'labour_count', 'retired_on'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index('ix_households_village_status')
        batch_op.create_index(
            'ix_households_village_status', ['village_id', 'status', 'members', 'labour_count'], unique=False
        )
    for table in ('households', 'villages', 'towns'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('retired_on')
    op.drop_index('ix_loaded_files_kind_hash', table_name='loaded_files')
    op.drop_table('loaded_files')
    op.drop_table('header_mappings')
    op.drop_table('boundaries')
