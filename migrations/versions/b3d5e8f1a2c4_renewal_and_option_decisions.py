"""renewal and option decisions: contract_options, decision_tasks (opened by the sweep before a
contract's end date and each option date) and renewal_decisions (with the summary they were made on)

Revision ID: b3d5e8f1a2c4
Revises: b5d2e8f41a37
Create Date: 2026-12-21 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d5e8f1a2c4'
down_revision = 'b5d2e8f41a37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('option_date', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('extension_months', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('extension_months BETWEEN 1 AND 120', name=op.f('ck_contract_options_extension_months_range')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_options_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_options'))
    )
    with op.batch_alter_table('contract_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_options_contract_id'), ['contract_id'], unique=False)

    op.create_table('decision_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('point', sa.String(length=8), nullable=False),
    sa.Column('point_key', sa.String(length=32), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(point = 'option') = (option_id IS NOT NULL)", name=op.f('ck_decision_tasks_option_point_has_option')),
    sa.CheckConstraint("point IN ('end', 'option')", name=op.f('ck_decision_tasks_point_kind')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_decision_tasks_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['option_id'], ['contract_options.id'], name=op.f('fk_decision_tasks_option_id_contract_options'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_tasks')),
    sa.UniqueConstraint('contract_id', 'point_key', 'decision_date', name='uq_decision_tasks_point')
    )
    with op.batch_alter_table('decision_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_tasks_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decision_tasks_option_id'), ['option_id'], unique=False)

    op.create_table('renewal_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.Column('choice', sa.String(length=16), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary_shown', sa.Boolean(), nullable=False),
    sa.Column('summary_token', sa.String(length=64), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.CheckConstraint("choice IN ('renew', 'rebid', 'change_scope', 'let_end')", name=op.f('ck_renewal_decisions_choice_known')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_renewal_decisions_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_renewal_decisions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['option_id'], ['contract_options.id'], name=op.f('fk_renewal_decisions_option_id_contract_options'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['task_id'], ['decision_tasks.id'], name=op.f('fk_renewal_decisions_task_id_decision_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_renewal_decisions')),
    sa.UniqueConstraint('task_id', name=op.f('uq_renewal_decisions_task_id'))
    )
    with op.batch_alter_table('renewal_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_renewal_decisions_contract_id'), ['contract_id'], unique=False)


def downgrade():
    with op.batch_alter_table('renewal_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_renewal_decisions_contract_id'))
    op.drop_table('renewal_decisions')
    with op.batch_alter_table('decision_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_tasks_option_id'))
        batch_op.drop_index(batch_op.f('ix_decision_tasks_contract_id'))
    op.drop_table('decision_tasks')
    with op.batch_alter_table('contract_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_options_contract_id'))
    op.drop_table('contract_options')
