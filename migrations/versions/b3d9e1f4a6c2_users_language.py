"""users.language: the language a person's pages and emails are shown in (NULL: the city's
default, BABEL_DEFAULT_LOCALE)

Revision ID: b3d9e1f4a6c2
Revises: b3d5e8f1a2c4
Create Date: 2026-12-21 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d9e1f4a6c2'
down_revision = 'b3d5e8f1a2c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
