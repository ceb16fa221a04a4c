"""session generation: a counter per user that sign-out and password change raise, ending older sessions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE statements: on SQLite a batch copy of `users` would cascade-delete user_roles.
    op.add_column('users', sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('users', 'session_generation')
