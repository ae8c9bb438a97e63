"""saved column mappings of the spreadsheet history import

Revision ID: 0009_import_mappings
Revises: 0008_api_tokens
Create Date: 2026-11-29 19:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009_import_mappings'
down_revision = '0008_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_mappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('columns', sa.JSON(), nullable=False),
        sa.Column('fixed', sa.JSON(), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_import_mappings_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_mappings')),
        sa.UniqueConstraint('name', name=op.f('uq_import_mappings_name')),
    )
    with op.batch_alter_table('import_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_mappings_created_by_id'), ['created_by_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('import_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_mappings_created_by_id'))
    op.drop_table('import_mappings')
