"""active versions: which version of each procedure new cases start on, as an append-only log

Before this revision new cases always started on the newest version; each procedure's newest
version becomes its first activation, so nothing changes for running systems.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=100), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['definition_id'], ['definitions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_activations_key', 'activations', ['process_key', 'id'], unique=False)
    op.execute("INSERT INTO activations (process_key, definition_id, activated_at, activated_by) "
               "SELECT d.key, d.id, d.deployed_at, d.deployed_by FROM definitions d "
               "WHERE d.version = (SELECT MAX(n.version) FROM definitions n WHERE n.key = d.key) "
               "ORDER BY d.key")


def downgrade():
    op.drop_index('ix_activations_key', table_name='activations')
    op.drop_table('activations')
