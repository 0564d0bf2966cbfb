"""reminders: a notification's metric and period (the dispatcher cancels a reminder once it has a reading)

Revision ID: 763d98b94988
Revises: 84ea7c9f7646
Create Date: 2026-12-02 03:29:54.192548

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '763d98b94988'
down_revision = '84ea7c9f7646'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('metric_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('period_start', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notifications_metric_id'), ['metric_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notifications_metric_id_metrics'), 'metrics', ['metric_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_metric_id_metrics'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notifications_metric_id'))
        batch_op.drop_column('period_start')
        batch_op.drop_column('metric_id')

