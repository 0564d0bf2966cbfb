"""contract_templates: a proven contract's design as a versioned JSON document, with its
searchable columns and track record; contracts.template_id: the template a contract came from

Revision ID: c4e8a2f7b9d1
Revises: b3d9e1f4a6c2
Create Date: 2026-12-03 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa



revision = 'c4e8a2f7b9d1'
down_revision = 'b3d9e1f4a6c2'
branch_labels = None
depends_on = None


def _contract_triggers(bind):
    """Drop the SQLite triggers whose text names the contracts table; returns (name, sql) of each."""
    triggers = bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%contracts%'").all()
    for name, _sql in triggers:
        bind.exec_driver_sql(f'DROP TRIGGER "{name}"')
    return triggers


def upgrade():
    op.create_table('contract_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind_of_service', sa.String(length=120), nullable=False),
    sa.Column('payment_structure', sa.String(length=32), nullable=False),
    sa.Column('department', sa.String(length=120), nullable=True),
    sa.Column('priority_names', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('format_version', sa.Integer(), nullable=False),
    sa.Column('design', sa.JSON(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('periods_rated', sa.Integer(), nullable=False),
    sa.Column('on_track_share', sa.Numeric(precision=5, scale=4), nullable=True),
    sa.Column('closeout_rating', sa.Numeric(precision=3, scale=2), nullable=True),
    sa.Column('source_contract_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contract_templates_created_by_id_users')),
    sa.ForeignKeyConstraint(['source_contract_id'], ['contracts.id'], name='fk_contract_templates_source_contract_id_contracts', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_templates')),
    sa.UniqueConstraint('name', name=op.f('uq_contract_templates_name'))
    )
    with op.batch_alter_table('contract_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_templates_department'), ['department'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_templates_kind_of_service'), ['kind_of_service'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_templates_payment_structure'), ['payment_structure'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_templates_source_contract_id'), ['source_contract_id'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        # SQLite rebuilds the table to add a foreign key: the triggers that name the contracts
        # table come off first and go back after, as they were.
        triggers = _contract_triggers(bind)
        with op.batch_alter_table('contracts', schema=None) as batch_op:
            batch_op.add_column(sa.Column('template_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(op.f('fk_contracts_template_id_contract_templates'), 'contract_templates',
                                        ['template_id'], ['id'], ondelete='SET NULL')
        for _name, sql in triggers:
            bind.exec_driver_sql(sql)
    else:
        op.add_column('contracts', sa.Column('template_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_contracts_template_id_contract_templates'), 'contracts', 'contract_templates',
                              ['template_id'], ['id'], ondelete='SET NULL')
    op.create_index(op.f('ix_contracts_template_id'), 'contracts', ['template_id'], unique=False)


def downgrade():
    bind = op.get_bind()
    op.drop_index(op.f('ix_contracts_template_id'), table_name='contracts')
    if bind.dialect.name == 'sqlite':
        # SQLite rebuilds the table to drop a referencing column: the triggers that name the
        # contracts table come off first and go back after, as they were.
        triggers = _contract_triggers(bind)
        with op.batch_alter_table('contracts', schema=None) as batch_op:
            batch_op.drop_column('template_id')
        for _name, sql in triggers:
            bind.exec_driver_sql(sql)
    else:
        op.drop_constraint(op.f('fk_contracts_template_id_contract_templates'), 'contracts', type_='foreignkey')
        op.drop_column('contracts', 'template_id')
    with op.batch_alter_table('contract_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_templates_source_contract_id'))
        batch_op.drop_index(batch_op.f('ix_contract_templates_payment_structure'))
        batch_op.drop_index(batch_op.f('ix_contract_templates_kind_of_service'))
        batch_op.drop_index(batch_op.f('ix_contract_templates_department'))
    op.drop_table('contract_templates')
