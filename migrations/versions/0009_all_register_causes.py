"""the national register's last three causes of poverty: poor transport, lack of motivation, other

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

The national poverty-alleviation information system records twelve causes; the dashboard had
nine (缺水 counted as 缺土地). 交通条件落后, 自身发展动力不足 and 其他 are common in a county's
register, so a file holding them could not be loaded. household_causes' check gains the three.
"""

from __future__ import annotations

from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD = ('illness', 'disability', 'lack_of_labour', 'lack_of_skills', 'lack_of_capital', 'lack_of_land',
       'education_costs', 'disaster')
NEW = (*OLD, 'poor_transport', 'lack_of_motivation', 'other')


def _check(causes: tuple[str, ...]) -> str:
    return "cause IN (" + ", ".join(f"'{cause}'" for cause in causes) + ")"


def upgrade() -> None:
    with op.batch_alter_table('household_causes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_household_causes_cause_valid'), type_='check')
        batch_op.create_check_constraint('cause_valid', _check(NEW))


def downgrade() -> None:
    op.execute("DELETE FROM household_causes WHERE cause IN ('poor_transport', 'lack_of_motivation', 'other')")
    with op.batch_alter_table('household_causes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_household_causes_cause_valid'), type_='check')
        batch_op.create_check_constraint('cause_valid', _check(OLD))
