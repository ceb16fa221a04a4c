"""web ui: task priority, drafts, attachments, saved filters

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        # A plain string default: SQLite then adds the column in place. An expression default would make
        # Alembic copy and drop human_tasks, and the drop would cascade to every SLA timer.
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default='3', nullable=False))
        batch_op.create_index('ix_human_tasks_role_assignee_due', ['role', 'assignee', 'due_at', 'created_at', 'id'],
                              unique=False)

    op.create_table('task_drafts',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['human_tasks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'username')
    )
    op.create_table('attachments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('field', sa.String(length=200), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_instance_id'), ['instance_id'], unique=False)

    op.create_table('saved_filters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('query', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username', 'name', name='uq_saved_filters_username_name')
    )


def downgrade():
    op.drop_table('saved_filters')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_instance_id'))

    op.drop_table('attachments')
    op.drop_table('task_drafts')
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of human_tasks would drop the old
    # table, and with foreign keys on that deletes every SLA timer row through its cascade.
    op.drop_index('ix_human_tasks_role_assignee_due', table_name='human_tasks')
    op.drop_column('human_tasks', 'priority')
