"""scheduler heartbeats and failed notifications: job_heartbeats (one row per scheduler job:
last start, finish, success, duration, error, host and pid), and notifications.failed_at
(refused permanently, no longer retried)

Revision ID: d556f66e02d7
Revises: 10be645f05a7
Create Date: 2026-12-02 15:49:55.999433

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd556f66e02d7'
down_revision = '10be645f05a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_heartbeats',
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_duration_seconds', sa.Float(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_job_heartbeats'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_notifications_failed_at'), ['failed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_failed_at'))
        batch_op.drop_column('failed_at')

    op.drop_table('job_heartbeats')
