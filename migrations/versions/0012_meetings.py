"""meetings: promotion meetings, their decisions (tasks), the places each concerns, progress notes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

A meeting is the county's or one town's (level, town_id; a check keeps them in agreement); a town
meeting may pass on (conveys_id) a county meeting. Each decision is a task with a responsible unit,
a deadline and a status as set ("late" is derived by the queries, never stored), and optionally the
Overview share that measures it (measure, target). A task concerns towns or villages (one per row
of meeting_task_places) and gathers dated progress notes. lib/services/meetings.py writes them all.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

STATUSES = "'not_started', 'in_progress', 'done'"
MEASURES = "'verified_share', 'plan_share', 'stable_share', 'exited_share', 'training_share'"


def upgrade() -> None:
    op.create_table(
        'meetings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=10), nullable=False),
        sa.Column('town_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('number', sa.Integer(), nullable=True),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('attending', sa.Text(), nullable=True),
        sa.Column('conveys_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(level = 'county' AND town_id IS NULL) OR (level = 'town' AND town_id IS NOT NULL)",
            name=op.f('ck_meetings_town_for_level'),
        ),
        sa.CheckConstraint("level IN ('county', 'town')", name=op.f('ck_meetings_level_valid')),
        sa.CheckConstraint('number IS NULL OR number > 0', name=op.f('ck_meetings_number_positive')),
        sa.ForeignKeyConstraint(['conveys_id'], ['meetings.id'], name=op.f('fk_meetings_conveys_id_meetings')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_meetings_created_by_id_users')),
        sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name=op.f('fk_meetings_town_id_towns')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    )
    op.create_index('ix_meetings_conveys', 'meetings', ['conveys_id'])
    op.create_index('ix_meetings_level_held', 'meetings', ['level', 'held_on'])
    op.create_index('ix_meetings_town_held', 'meetings', ['town_id', 'held_on'])

    op.create_table(
        'meeting_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('what', sa.Text(), nullable=False),
        sa.Column('responsible_unit', sa.String(length=80), nullable=False),
        sa.Column('responsible_person', sa.String(length=40), nullable=True),
        sa.Column('deadline', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('measure', sa.String(length=20), nullable=True),
        sa.Column('target', sa.Float(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint(f"measure IN ({MEASURES})", name=op.f('ck_meeting_tasks_measure_valid')),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f('ck_meeting_tasks_status_valid')),
        sa.CheckConstraint(
            '(measure IS NULL AND target IS NULL) OR (measure IS NOT NULL AND target > 0 AND target <= 1)',
            name=op.f('ck_meeting_tasks_target_with_measure'),
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_meeting_tasks_created_by_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_tasks_meeting_id_meetings'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_tasks')),
    )
    op.create_index('ix_meeting_tasks_meeting', 'meeting_tasks', ['meeting_id'])

    op.create_table(
        'meeting_task_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('noted_on', sa.Date(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f('ck_meeting_task_notes_status_valid')),
        sa.ForeignKeyConstraint(
            ['task_id'],
            ['meeting_tasks.id'],
            name=op.f('fk_meeting_task_notes_task_id_meeting_tasks'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_task_notes_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_task_notes')),
    )
    op.create_index('ix_meeting_task_notes_task', 'meeting_task_notes', ['task_id', 'noted_on'])

    op.create_table(
        'meeting_task_places',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('town_id', sa.Integer(), nullable=True),
        sa.Column('village_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(
            '(town_id IS NULL AND village_id IS NOT NULL) OR (town_id IS NOT NULL AND village_id IS NULL)',
            name=op.f('ck_meeting_task_places_town_or_village'),
        ),
        sa.ForeignKeyConstraint(
            ['task_id'],
            ['meeting_tasks.id'],
            name=op.f('fk_meeting_task_places_task_id_meeting_tasks'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name=op.f('fk_meeting_task_places_town_id_towns')),
        sa.ForeignKeyConstraint(
            ['village_id'], ['villages.id'], name=op.f('fk_meeting_task_places_village_id_villages')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_task_places')),
    )
    op.create_index('ix_meeting_task_places_task', 'meeting_task_places', ['task_id'])
    op.create_index('ix_meeting_task_places_town', 'meeting_task_places', ['town_id'])
    op.create_index('ix_meeting_task_places_village', 'meeting_task_places', ['village_id'])


def downgrade() -> None:
    op.drop_table('meeting_task_places')
    op.drop_table('meeting_task_notes')
    op.drop_table('meeting_tasks')
    op.drop_table('meetings')
