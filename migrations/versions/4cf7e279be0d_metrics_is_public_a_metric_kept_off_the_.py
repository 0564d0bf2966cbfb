"""metrics.is_public: a metric kept off the public site and open data

Revision ID: 4cf7e279be0d
Revises: b3d0a33365fa
Create Date: 2026-12-02 17:20:54.377174

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4cf7e279be0d'
down_revision = 'b3d0a33365fa'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_public', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.drop_column('is_public')

