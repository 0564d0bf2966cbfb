"""Disaggregation: city-wide dimensions and their groups, the metrics that report by them,
readings' values per group (and in the reading history and vendor submissions), and metrics.is_count

Revision ID: c4e7a9d2b1f5
Revises: c4e7a2d9b1f3
Create Date: 2026-12-03 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from contracts_app.db_types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'c4e7a9d2b1f5'
down_revision = 'c4e7a2d9b1f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dimensions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'dimension_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dimension_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['dimension_id'], ['dimensions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dimension_id', 'name', name='uq_dimension_groups_name'),
    )
    op.create_table(
        'metric_dimensions',
        sa.Column('metric_id', sa.Integer(), nullable=False),
        sa.Column('dimension_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['dimension_id'], ['dimensions.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('metric_id', 'dimension_id'),
    )
    op.create_index('ix_metric_dimensions_dimension_metric', 'metric_dimensions', ['dimension_id', 'metric_id'])
    op.create_table(
        'reading_group_values',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reading_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Numeric(precision=18, scale=4), nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['dimension_groups.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['reading_id'], ['readings.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('reading_id', 'group_id', name='uq_reading_group_values_group'),
    )
    op.create_index('ix_reading_group_values_group_id', 'reading_group_values', ['group_id'])
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_count', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('reading_revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_values', sa.JSON(), nullable=True))
    with op.batch_alter_table('vendor_submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_values', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('vendor_submissions', schema=None) as batch_op:
        batch_op.drop_column('group_values')
    with op.batch_alter_table('reading_revisions', schema=None) as batch_op:
        batch_op.drop_column('group_values')
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.drop_column('is_count')
    op.drop_index('ix_reading_group_values_group_id', table_name='reading_group_values')
    op.drop_table('reading_group_values')
    op.drop_index('ix_metric_dimensions_dimension_metric', table_name='metric_dimensions')
    op.drop_table('metric_dimensions')
    op.drop_table('dimension_groups')
    op.drop_table('dimensions')
