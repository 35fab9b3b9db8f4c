"""sign-in sessions: a sign-in kept across reloads and new tabs for a set time

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

Until now a sign-in lived only in the server's memory for one browser tab: a reload or a link
opened in a new tab signed the user out. Each sign-in now starts a row here and the browser keeps a
random token in a cookie; only the token's SHA-256 is stored (`token_hash`). A row ends at
`expires_at` (STAY_SIGNED_IN_HOURS after the sign-in), when its user signs out anywhere
(`revoked_at`), or when the account's role, places or password change (`account_stamp`). See
lib.services.sessions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('account_stamp', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_sessions_token_hash'))
    )
    with op.batch_alter_table('sign_in_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_sessions_user_revoked', ['user_id', 'revoked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_in_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_sessions_user_revoked')

    op.drop_table('sign_in_sessions')
