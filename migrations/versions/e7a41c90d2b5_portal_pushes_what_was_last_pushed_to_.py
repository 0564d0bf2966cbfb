"""portal_pushes: what was last pushed to each open-data portal (CKAN, Socrata), per dataset
and file: the content's SHA-256 when it last succeeded, the last attempt and its error

Revision ID: e7a41c90d2b5
Revises: 4cf7e279be0d
Create Date: 2026-12-20 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a41c90d2b5'
down_revision = '4cf7e279be0d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_pushes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('target', sa.String(length=120), nullable=False),
    sa.Column('file', sa.String(length=120), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('pushed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_pushes')),
    sa.UniqueConstraint('portal', 'address', 'target', 'file', name='uq_portal_pushes_item')
    )


def downgrade():
    op.drop_table('portal_pushes')
