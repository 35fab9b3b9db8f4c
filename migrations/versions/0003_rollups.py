"""rollups: village household counts and household derived facts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

COUNTS = (
    'households', 'households_exited', 'households_poor', 'households_monitored', 'people',
    'people_exited', 'people_poor', 'households_with_labour', 'labour_households_with_plan',
    'households_with_plan', 'stage_planned', 'stage_started', 'stage_producing', 'stage_stable',
    'households_verified', 'households_in_product',
)
BENEFITS = ('land_rent', 'dividend', 'wages', 'guaranteed_purchase')

CHECKS = (
    'exited', 'income_below_line', 'guarantee_not_met', 'exit_steps_missing', 'exit_steps_out_of_order',
    'fields_missing', 'not_verified', 'members_income_mismatch', 'housing_contradiction',
    'unregistered_need',
)


def upgrade() -> None:
    op.create_table('village_household_counts',
    sa.Column('village_id', sa.Integer(), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_village_household_counts_village_id_villages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('village_id', name=op.f('pk_village_household_counts'))
    )
    op.create_table('village_income_years',
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('linked_households', sa.Integer(), nullable=False),
    sa.Column('linked_income', sa.BigInteger(), nullable=False),
    sa.Column('unlinked_households', sa.Integer(), nullable=False),
    sa.Column('unlinked_income', sa.BigInteger(), nullable=False),
    sa.Column('linked_below_line', sa.Integer(), nullable=False),
    sa.Column('unlinked_below_line', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_village_income_years_village_id_villages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('village_id', 'year', name=op.f('pk_village_income_years'))
    )
    op.create_table('organisation_village_links',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('linked_households', sa.Integer(), nullable=False),
    sa.Column('links', sa.Integer(), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in BENEFITS),
    sa.Column('annual_amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_village_links_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_organisation_village_links_village_id_villages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'village_id', name=op.f('pk_organisation_village_links'))
    )
    op.create_table('household_derived_facts',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('income_year', sa.Integer(), nullable=True),
    sa.Column('income', sa.Integer(), nullable=True),
    sa.Column('previous_income', sa.Integer(), nullable=True),
    sa.Column('last_visit_on', sa.Date(), nullable=True),
    sa.Column('last_ledger_verified', sa.Boolean(), nullable=True),
    sa.Column('last_satisfied', sa.Boolean(), nullable=True),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('found_need', sa.Integer(), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in CHECKS),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_derived_facts_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_household_derived_facts_village_id_villages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('household_id', name=op.f('pk_household_derived_facts'))
    )


def downgrade() -> None:
    op.drop_table('household_derived_facts')
    op.drop_table('organisation_village_links')
    op.drop_table('village_income_years')
    op.drop_table('village_household_counts')
