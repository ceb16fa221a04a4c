"""one word for a case: the instances table becomes cases, instance_id columns case_id, and the
history's instance_started/completed/cancelled events case_started/completed/cancelled

People always read "case"; the schema and the history said "instance" for the same thing. Renames
keep every row, key and reference (SQLite and PostgreSQL both carry foreign keys and indexes over a
renamed table or column); the indexes named after the old column are renamed with it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 08:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = ('human_tasks', 'timers', 'events', 'attachments', 'outbox')
INDEXES = (  # (table, old name, new name, columns by their new names)
    ('cases', 'ix_instances_process_key', 'ix_cases_process_key', ['process_key']),
    ('cases', 'ix_instances_starter', 'ix_cases_starter', ['starter']),
    ('human_tasks', 'ix_human_tasks_instance', 'ix_human_tasks_case', ['case_id']),
    ('events', 'ix_events_instance', 'ix_events_case', ['case_id', 'id']),
    ('attachments', 'ix_attachments_instance_id', 'ix_attachments_case_id', ['case_id']),
)
KINDS = (('instance_started', 'case_started'), ('instance_completed', 'case_completed'),
         ('instance_cancelled', 'case_cancelled'))


def upgrade():
    op.rename_table('instances', 'cases')
    for table in COLUMNS:
        op.alter_column(table, 'instance_id', new_column_name='case_id')
    for table, old, new, columns in INDEXES:
        op.drop_index(old, table_name=table)
        op.create_index(new, table, columns, unique=False)
    _rename_kinds(KINDS)


def downgrade():
    _rename_kinds([(new, old) for old, new in KINDS])
    for table in COLUMNS:
        op.alter_column(table, 'case_id', new_column_name='instance_id')
    for table, old, new, columns in INDEXES:
        op.drop_index(new, table_name=table)
        op.create_index(old, table, [c.replace('case_id', 'instance_id') for c in columns], unique=False)
    op.rename_table('cases', 'instances')


def _rename_kinds(pairs):
    events = sa.table('events', sa.column('kind', sa.String))
    for old, new in pairs:
        op.execute(events.update().where(events.c.kind == old).values(kind=new))
