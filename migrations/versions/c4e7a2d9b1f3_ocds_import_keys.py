"""OCDS import keys: contracts.ocds_ocid and ocds_contract_id (one register contract per OCDS
contract, so that re-importing updates in place), milestones.ocds_id and metrics.ocds_id (the
published milestone's and metric's ids within their contract)

Revision ID: c4e7a2d9b1f3
Revises: c4e8a2f7b9d1
Create Date: 2026-12-22 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from contracts_app.management import flag_counts
from contracts_app.portfolio import priority_months

# Triggers that name the contracts table, which SQLite rebuilds below (for its new unique
# constraint): taken off around the rebuild and put back (installing is idempotent).
_TRIGGERS = (flag_counts, priority_months)


# revision identifiers, used by Alembic.
revision = 'c4e7a2d9b1f3'
down_revision = 'c4e8a2f7b9d1'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    _uninstall_triggers(bind)
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ocds_ocid', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('ocds_contract_id', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_contracts_ocds', ['ocds_ocid', 'ocds_contract_id'])
    _install_triggers(bind)
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ocds_id', sa.String(length=255), nullable=True))
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ocds_id', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.drop_column('ocds_id')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_column('ocds_id')
    bind = op.get_bind()
    _uninstall_triggers(bind)
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_contracts_ocds', type_='unique')
        batch_op.drop_column('ocds_contract_id')
        batch_op.drop_column('ocds_ocid')
    _install_triggers(bind)


def _uninstall_triggers(bind):
    for module in _TRIGGERS:
        for statement in module.uninstall_statements(bind.dialect.name):
            bind.exec_driver_sql(statement)


def _install_triggers(bind):
    for module in _TRIGGERS:
        for statement in module.install_statements(bind.dialect.name):
            bind.exec_driver_sql(statement)
