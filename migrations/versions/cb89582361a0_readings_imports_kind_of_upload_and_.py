"""Readings imports: an upload's kind (contracts or readings) and how many readings it recorded and corrected

Revision ID: cb89582361a0
Revises: 3ac8259afbbd
Create Date: 2026-12-02 03:33:02.872960

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cb89582361a0'
down_revision = '3ac8259afbbd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='contracts', nullable=False))
        batch_op.add_column(sa.Column('readings_recorded', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('readings_corrected', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('import_uploads', schema=None) as batch_op:
        batch_op.drop_column('readings_corrected')
        batch_op.drop_column('readings_recorded')
        batch_op.drop_column('kind')

