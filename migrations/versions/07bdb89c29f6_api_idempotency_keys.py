"""API Idempotency-Keys: a write's claimed key and its stored response, per user

Revision ID: 07bdb89c29f6
Revises: cb89582361a0
Create Date: 2026-12-02 03:33:34.470510

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '07bdb89c29f6'
down_revision = 'cb89582361a0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('response_headers', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_idempotency_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotency_keys')),
    sa.UniqueConstraint('user_id', 'key', name='uq_api_idempotency_keys_user_key')
    )
    with op.batch_alter_table('api_idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_idempotency_keys_created_at'), ['created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('api_idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_idempotency_keys_created_at'))

    op.drop_table('api_idempotency_keys')
