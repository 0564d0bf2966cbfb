"""departments with stable ids: contracts.department_id

Every distinct department name on the contracts becomes a department; each contract points at
its department (the name stays on the contract as a copy, renamed with the department).

Revision ID: 03cf3823bcd5
Revises: cd230547d2eb
Create Date: 2026-12-02 15:53:33.517534

"""
from alembic import op
import sqlalchemy as sa

from contracts_app.management import flag_counts


# revision identifiers, used by Alembic.
revision = '03cf3823bcd5'
down_revision = 'cd230547d2eb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('name', name=op.f('uq_departments_name'))
    )
    bind = op.get_bind()
    # SQLite rebuilds the contracts table below; the flag-count triggers name it.
    for statement in flag_counts.uninstall_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))

    bind.execute(sa.text(
        "INSERT INTO departments (name, created_at, updated_at) "
        "SELECT department, MIN(created_at), MIN(created_at) FROM contracts GROUP BY department ORDER BY department"
    ))
    bind.execute(sa.text(
        "UPDATE contracts SET department_id = (SELECT d.id FROM departments d WHERE d.name = contracts.department)"
    ))

    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.alter_column('department_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_contracts_department_id'), ['department_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_contracts_department_id_departments'), 'departments', ['department_id'], ['id'])
    for statement in flag_counts.install_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)


def downgrade():
    bind = op.get_bind()
    for statement in flag_counts.uninstall_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contracts_department_id_departments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_contracts_department_id'))
        batch_op.drop_column('department_id')

    op.drop_table('departments')
    for statement in flag_counts.install_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
