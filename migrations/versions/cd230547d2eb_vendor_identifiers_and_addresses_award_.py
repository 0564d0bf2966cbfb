"""Vendor identifiers and addresses, award and signature dates, milestone types

Revision ID: cd230547d2eb
Revises: 0a2901dfe4be
Create Date: 2026-12-02 15:46:20.516980

"""
from alembic import op
import sqlalchemy as sa

from contracts_app.management import flag_counts


# revision identifiers, used by Alembic.
revision = 'cd230547d2eb'
down_revision = '0a2901dfe4be'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awarded_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('signed_on', sa.Date(), nullable=True))

    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('milestone_type', sa.String(length=16), server_default='delivery', nullable=False))

    with op.batch_alter_table('vendors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identifier_scheme', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('identifier', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('street_address', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('locality', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('region', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('postal_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('country_name', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint('uq_vendors_identifier', ['identifier_scheme', 'identifier'])
        batch_op.create_check_constraint(op.f('ck_vendors_identifier_complete'), '(identifier_scheme IS NULL) = (identifier IS NULL)')



def downgrade():
    # SQLite rebuilds the contracts table to drop its columns; the flag-count triggers name it,
    # so they come off first and go back after.
    bind = op.get_bind()
    for statement in flag_counts.uninstall_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
    with op.batch_alter_table('vendors', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_vendors_identifier_complete'), type_='check')
        batch_op.drop_constraint('uq_vendors_identifier', type_='unique')
        batch_op.drop_column('country_name')
        batch_op.drop_column('postal_code')
        batch_op.drop_column('region')
        batch_op.drop_column('locality')
        batch_op.drop_column('street_address')
        batch_op.drop_column('identifier')
        batch_op.drop_column('identifier_scheme')

    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_column('milestone_type')

    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_column('signed_on')
        batch_op.drop_column('awarded_on')

    for statement in flag_counts.install_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
