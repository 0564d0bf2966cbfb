"""per-priority monthly health counts kept by triggers: priority_month_health

The priority page's share on track over time, added up per priority, month and health, and kept
by triggers on health_snapshots, contract_priorities and contracts.archived_at
(contracts_app/portfolio/priority_months.py); counted from the snapshots once here.

Revision ID: b3d0a33365fa
Revises: da159667d193
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa

# The trigger SQL lives with the model (create_all runs it too); installing is idempotent.
from contracts_app.portfolio import priority_months


# revision identifiers, used by Alembic.
revision = 'b3d0a33365fa'
down_revision = 'da159667d193'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('priority_month_health',
    sa.Column('priority_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('health', sa.String(length=16), nullable=False),
    sa.Column('contracts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['priority_id'], ['priorities.id'], name=op.f('fk_priority_month_health_priority_id_priorities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('priority_id', 'month', 'health', name=op.f('pk_priority_month_health'))
    )
    bind = op.get_bind()
    for statement in priority_months.recount_statements():
        bind.execute(statement)
    for statement in priority_months.install_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)


def downgrade():
    bind = op.get_bind()
    for statement in priority_months.uninstall_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
    op.drop_table('priority_month_health')
