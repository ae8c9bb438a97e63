"""notifications: alert subscriptions and their queued deliveries

Revision ID: 0007_notifications
Revises: 0006_session_version
Create Date: 2026-11-29 17:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0007_notifications'
down_revision = '0006_session_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('target', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('collection_point_id', sa.Integer(), nullable=True),
    sa.Column('threshold_days', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('email', 'webhook')",
                       name=op.f('ck_notification_subscriptions_channel_known')),
    sa.CheckConstraint('threshold_days IS NULL OR (threshold_days >= 1 AND threshold_days <= 365)',
                       name=op.f('ck_notification_subscriptions_threshold_in_range')),
    sa.ForeignKeyConstraint(['collection_point_id'], ['collection_points.id'],
                            name=op.f('fk_notification_subscriptions_collection_point_id_collection_points')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_notification_subscriptions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_subscriptions'))
    )
    with op.batch_alter_table('notification_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_subscriptions_user_id'), ['user_id'],
                              unique=False)

    op.create_table('notification_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('dedup_key', sa.String(length=160), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')",
                       name=op.f('ck_notification_deliveries_status_known')),
    sa.ForeignKeyConstraint(['subscription_id'], ['notification_subscriptions.id'],
                            name=op.f('fk_notification_deliveries_subscription_id_notification_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_deliveries')),
    sa.UniqueConstraint('subscription_id', 'dedup_key', name='uq_notification_deliveries_key')
    )
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_notification_deliveries_due', ['status', 'next_attempt_at'],
                              unique=False)
        batch_op.create_index('ix_notification_deliveries_log', ['subscription_id', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_deliveries_log')
        batch_op.drop_index('ix_notification_deliveries_due')
    op.drop_table('notification_deliveries')
    with op.batch_alter_table('notification_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_subscriptions_user_id'))
    op.drop_table('notification_subscriptions')
