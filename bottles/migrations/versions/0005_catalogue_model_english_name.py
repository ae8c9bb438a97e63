"""bottle models get an English name (shown in English, the French name otherwise)

Revision ID: 0005_model_name_en
Revises: 0004_catalogue
Create Date: 2026-11-29 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0005_model_name_en'
down_revision = '0004_catalogue'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bottle_models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=120), server_default='',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('bottle_models', schema=None) as batch_op:
        batch_op.drop_column('name_en')
