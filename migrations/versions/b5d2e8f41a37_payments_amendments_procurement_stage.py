"""payments made against the ceiling; amendments (value, term, scope, payment rules after a
contract became active); the procurement stage on contracts (method, details, bids received)
and vendors' small, local and diverse business status; import_uploads.payments_recorded

Revision ID: b5d2e8f41a37
Revises: 03620a3daa2f
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from contracts_app.management import flag_counts
from contracts_app.portfolio import priority_months

# Triggers that name the contracts table, which SQLite rebuilds below (for its new check
# constraint): taken off around the rebuild and put back (installing is idempotent).
_TRIGGERS = (flag_counts, priority_months)


# revision identifiers, used by Alembic.
revision = 'b5d2e8f41a37'
down_revision = '03620a3daa2f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('invoice_reference', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payments_amount_positive')),
    sa.CheckConstraint('(period_start IS NULL) = (period_end IS NULL)', name=op.f('ck_payments_period_complete')),
    sa.CheckConstraint('period_end IS NULL OR period_end >= period_start', name=op.f('ck_payments_period_order')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_payments_contract_id_contracts')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_payments_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['users.id'], name=op.f('fk_payments_voided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('contract_id', 'invoice_reference', name='uq_payments_invoice')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index('ix_payments_spend', ['contract_id', 'voided_at', 'paid_on', 'amount'], unique=False)

    op.create_table('amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('amended_on', sa.Date(), nullable=False),
    sa.Column('kinds', sa.String(length=64), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approver_id'], ['users.id'], name=op.f('fk_amendments_approver_id_users')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_amendments_contract_id_contracts')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_amendments_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_amendments'))
    )
    with op.batch_alter_table('amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_amendments_contract_id'), ['contract_id'], unique=False)

    with op.batch_alter_table('import_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payments_recorded', sa.Integer(), nullable=True))

    bind = op.get_bind()
    _uninstall_triggers(bind)
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('procurement_method', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('procurement_method_details', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('bids_received', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_contracts_bids_not_negative'), 'bids_received IS NULL OR bids_received >= 0')
    with op.batch_alter_table('vendors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_small', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('is_local', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('is_diverse', sa.Boolean(), server_default=sa.false(), nullable=False))
    _install_triggers(bind)


def downgrade():
    bind = op.get_bind()
    _uninstall_triggers(bind)
    with op.batch_alter_table('vendors', schema=None) as batch_op:
        batch_op.drop_column('is_diverse')
        batch_op.drop_column('is_local')
        batch_op.drop_column('is_small')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_contracts_bids_not_negative'), type_='check')
        batch_op.drop_column('bids_received')
        batch_op.drop_column('procurement_method_details')
        batch_op.drop_column('procurement_method')
    _install_triggers(bind)

    with op.batch_alter_table('import_uploads', schema=None) as batch_op:
        batch_op.drop_column('payments_recorded')
    with op.batch_alter_table('amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_amendments_contract_id'))
    op.drop_table('amendments')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_spend')
        batch_op.drop_index(batch_op.f('ix_payments_contract_id'))
    op.drop_table('payments')


def _uninstall_triggers(bind):
    for module in _TRIGGERS:
        for statement in module.uninstall_statements(bind.dialect.name):
            bind.exec_driver_sql(statement)


def _install_triggers(bind):
    for module in _TRIGGERS:
        for statement in module.install_statements(bind.dialect.name):
            bind.exec_driver_sql(statement)
