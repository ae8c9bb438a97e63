"""reservations of clean bottles by winemakers (and their history); a winemaker account names its estate

Revision ID: 0010_reservations
Revises: 0009_import_mappings
Create Date: 2026-11-29 19:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0010_reservations'
down_revision = '0009_import_mappings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('winemaker_id', sa.Integer(), nullable=False),
    sa.Column('bottle_model_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('pallets', sa.Integer(), nullable=True),
    sa.Column('wanted_by', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('sale_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("status IN ('open', 'cancelled', 'fulfilled')", name=op.f('ck_reservations_status_known')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_reservations_quantity_positive')),
    sa.ForeignKeyConstraint(['bottle_model_id'], ['bottle_models.id'], name=op.f('fk_reservations_bottle_model_id_bottle_models')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reservations_created_by_id_users')),
    sa.ForeignKeyConstraint(['sale_seq'], ['events.seq'], name=op.f('fk_reservations_sale_seq_events')),
    sa.ForeignKeyConstraint(['winemaker_id'], ['winemakers.id'], name=op.f('fk_reservations_winemaker_id_winemakers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations')),
    sa.UniqueConstraint('request_id', name=op.f('uq_reservations_request_id'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservations_winemaker_id'), ['winemaker_id'], unique=False)

    op.create_table('reservation_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('sale_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_reservation_changes_actor_id_users')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'], name=op.f('fk_reservation_changes_reservation_id_reservations')),
    sa.ForeignKeyConstraint(['sale_seq'], ['events.seq'], name=op.f('fk_reservation_changes_sale_seq_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservation_changes'))
    )
    with op.batch_alter_table('reservation_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservation_changes_reservation_id'), ['reservation_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('winemaker_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_winemaker_id_winemakers'), 'winemakers', ['winemaker_id'], ['id'])



def downgrade():
    with op.batch_alter_table('reservation_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservation_changes_reservation_id'))

    op.drop_table('reservation_changes')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservations_winemaker_id'))

    op.drop_table('reservations')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_winemaker_id_winemakers'), type_='foreignkey')
        batch_op.drop_column('winemaker_id')
