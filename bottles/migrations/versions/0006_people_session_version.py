"""accounts get a session version (bumped to end every sign-in) and a must-change-password flag

Revision ID: 0006_session_version
Revises: 0005_model_name_en
Create Date: 2026-11-29 17:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0006_session_version'
down_revision = '0005_model_name_en'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_version')
