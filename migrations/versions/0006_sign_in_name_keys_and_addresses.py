"""sign-in attempts: names that are no account only as a keyed hash; client addresses; unlock

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

Until now every failed sign-in kept the name typed in clear, so a password typed into the name
box sat in sign_in_attempts and showed on /admin. From here each attempt keeps `name_key`, an
HMAC-SHA256 of the normalised name under a secret this database keeps in app_meta
(`sign_in_name_key`: made here when there are rows to convert, else by lib.services.auth at the first
sign-in, so a fresh database stays the same for the same demo seed), and `username` only when
the name is an account's. The rows
already stored are converted the same way (lib.services.auth.name_key must agree with `_key` below).
`address` is the client's address (throttling by address); `cleared` marks failures that
`python -m lib.admin unlock` stopped counting.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SECRET_KEY = 'sign_in_name_key'


def _key(secret: str, name: str) -> str:
    return hmac.new(bytes.fromhex(secret), name.encode('utf-8'), hashlib.sha256).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.alter_column('username', existing_type=sa.String(length=40), nullable=True)
        batch_op.add_column(sa.Column('name_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cleared', sa.Boolean(), nullable=True))

    conn = op.get_bind()
    names = list(conn.execute(sa.text('SELECT DISTINCT username FROM sign_in_attempts')).scalars())
    secret = conn.execute(
        sa.text('SELECT value FROM app_meta WHERE key = :key'), {'key': SECRET_KEY}
    ).scalar()
    if secret is None and names:  # otherwise lib.services.auth makes it at the first sign-in
        secret = secrets.token_hex(32)
        conn.execute(
            sa.text('INSERT INTO app_meta (key, value) VALUES (:key, :value)'),
            {'key': SECRET_KEY, 'value': secret},
        )
    accounts = set(conn.execute(sa.text('SELECT username FROM users')).scalars())
    for name in names:
        conn.execute(
            sa.text(
                'UPDATE sign_in_attempts SET name_key = :key, username = :shown WHERE username = :name'
            ),
            {'key': _key(secret, name), 'shown': name if name in accounts else None, 'name': name},
        )
    conn.execute(sa.text('UPDATE sign_in_attempts SET cleared = :no'), {'no': False})

    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('cleared', existing_type=sa.Boolean(), nullable=False)
        batch_op.create_index('ix_sign_in_attempts_name_key_at', ['name_key', 'at'], unique=False)
        batch_op.create_index('ix_sign_in_attempts_address_at', ['address', 'at'], unique=False)


def downgrade() -> None:
    # Names that are no account stay unreadable: "unknown-" and the start of their hash.
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "UPDATE sign_in_attempts SET username = 'unknown-' || substr(name_key, 1, 32) "
            'WHERE username IS NULL'
        )
    )
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_attempts_address_at')
        batch_op.drop_index('ix_sign_in_attempts_name_key_at')
        batch_op.alter_column('username', existing_type=sa.String(length=40), nullable=False)
        batch_op.drop_column('cleared')
        batch_op.drop_column('address')
        batch_op.drop_column('name_key')
