"""covering indexes for the priority page: contract_priorities (priority_id, contract_id) in place of
(priority_id), health_snapshots (contract_id, month, health)

The priority page reads a priority's contracts and their monthly health from these indexes
alone (index-only scans on PostgreSQL, covering indexes on SQLite), not a table row per
contract and month.

Revision ID: da159667d193
Revises: d556f66e02d7
Create Date: 2026-12-02 16:01:27.007985

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'da159667d193'
down_revision = 'd556f66e02d7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contract_priorities', schema=None) as batch_op:
        # (priority_id, contract_id) answers everything (priority_id) did.
        batch_op.drop_index('ix_contract_priorities_priority_id')
        batch_op.create_index('ix_contract_priorities_priority_contract', ['priority_id', 'contract_id'], unique=False)

    with op.batch_alter_table('health_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_health_snapshots_contract_month_health', ['contract_id', 'month', 'health'], unique=False)


def downgrade():
    with op.batch_alter_table('health_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_health_snapshots_contract_month_health')

    with op.batch_alter_table('contract_priorities', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_priorities_priority_contract')
        batch_op.create_index('ix_contract_priorities_priority_id', ['priority_id'], unique=False)
