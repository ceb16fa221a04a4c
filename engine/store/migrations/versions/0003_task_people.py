"""separation of duties: each task's pool, its candidates and the people excluded from it

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 17:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        # A plain string default, so SQLite adds the column in place (see 0002 on why that matters).
        batch_op.add_column(sa.Column('pool', sa.String(length=10), server_default='role', nullable=False))
    # The inbox's covering index gains the pool, which its role branch filters on (see access.open_to).
    op.drop_index('ix_human_tasks_role_assignee_due', table_name='human_tasks')
    op.create_index('ix_human_tasks_role_assignee_pool_due', 'human_tasks',
                    ['role', 'assignee', 'pool', 'due_at', 'created_at', 'id'], unique=False)

    op.create_table('task_people',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('relation', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['human_tasks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'username')
    )
    with op.batch_alter_table('task_people', schema=None) as batch_op:
        batch_op.create_index('ix_task_people_username', ['username', 'relation', 'task_id'], unique=False)


def downgrade():
    with op.batch_alter_table('task_people', schema=None) as batch_op:
        batch_op.drop_index('ix_task_people_username')
    op.drop_table('task_people')
    op.drop_index('ix_human_tasks_role_assignee_pool_due', table_name='human_tasks')
    op.create_index('ix_human_tasks_role_assignee_due', 'human_tasks',
                    ['role', 'assignee', 'due_at', 'created_at', 'id'], unique=False)
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_column('pool')
