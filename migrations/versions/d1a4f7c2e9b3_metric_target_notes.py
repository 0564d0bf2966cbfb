"""metrics.target_notes: how a metric's targets were set (carried by contract templates)

Revision ID: d1a4f7c2e9b3
Revises: c4e7a9d2b1f5
Create Date: 2026-12-03 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd1a4f7c2e9b3'
down_revision = 'c4e7a9d2b1f5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('metrics') as batch_op:
        batch_op.add_column(sa.Column('target_notes', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('metrics') as batch_op:
        batch_op.drop_column('target_notes')
