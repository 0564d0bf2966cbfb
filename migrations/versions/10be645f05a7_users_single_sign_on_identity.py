"""users: the single sign-on identity (issuer and subject) an account is pinned to

Revision ID: 10be645f05a7
Revises: 03cf3823bcd5
Create Date: 2026-12-02 15:47:57.203015

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '10be645f05a7'
down_revision = '03cf3823bcd5'
branch_labels = None
depends_on = None


def upgrade():
    # Both empty until the user's first single sign-on; one account per (issuer, subject).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_issuer', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_users_oidc_identity', ['oidc_issuer', 'oidc_subject'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_oidc_identity', type_='unique')
        batch_op.drop_column('oidc_subject')
        batch_op.drop_column('oidc_issuer')
