"""planned rounds (ordered stops, planned km and minutes), washers' coordinates, imported distance matrix

Revision ID: 0011_round_plans
Revises: 0010_reservations
Create Date: 2026-11-29 20:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011_round_plans'
down_revision = '0010_reservations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'washer_locations',
        sa.Column('washer_id', sa.Integer(), nullable=False),
        sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['washer_id'], ['washers.id'],
                                name=op.f('fk_washer_locations_washer_id_washers')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_washer_locations_updated_by_id_users')),
        sa.PrimaryKeyConstraint('washer_id', name=op.f('pk_washer_locations')),
    )
    op.create_table(
        'route_distances',
        sa.Column('from_code', sa.String(length=32), nullable=False),
        sa.Column('to_code', sa.String(length=32), nullable=False),
        sa.Column('km', sa.Numeric(precision=10, scale=3), nullable=False),
        sa.Column('imported_by_id', sa.Integer(), nullable=True),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('km >= 0', name=op.f('ck_route_distances_km_not_negative')),
        sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'],
                                name=op.f('fk_route_distances_imported_by_id_users')),
        sa.PrimaryKeyConstraint('from_code', 'to_code', name=op.f('pk_route_distances')),
    )
    op.create_table(
        'round_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_date', sa.Date(), nullable=False),
        sa.Column('driver_id', sa.Integer(), nullable=True),
        sa.Column('washer_id', sa.Integer(), nullable=False),
        sa.Column('van_capacity', sa.Integer(), nullable=False),
        sa.Column('matrix_source', sa.String(length=16), nullable=False),
        sa.Column('road_factor', sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column('km', sa.Numeric(precision=10, scale=1), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('crates', sa.Integer(), nullable=False),
        sa.Column('bottles', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('van_capacity > 0 AND van_capacity <= 500', name=op.f('ck_round_plans_van_capacity')),
        sa.CheckConstraint('km >= 0', name=op.f('ck_round_plans_km_not_negative')),
        sa.ForeignKeyConstraint(['driver_id'], ['users.id'], name=op.f('fk_round_plans_driver_id_users')),
        sa.ForeignKeyConstraint(['washer_id'], ['washers.id'], name=op.f('fk_round_plans_washer_id_washers')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_round_plans_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_round_plans')),
    )
    with op.batch_alter_table('round_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_plans_round_date'), ['round_date'], unique=False)
    op.create_table(
        'round_plan_stops',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('collection_point_id', sa.Integer(), nullable=False),
        sa.Column('full_crates', sa.Integer(), nullable=False),
        sa.Column('nearly_full', sa.Integer(), nullable=False),
        sa.Column('bottles', sa.Integer(), nullable=False),
        sa.Column('leg_km', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('leg_minutes', sa.Numeric(precision=8, scale=1), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['round_plans.id'], name=op.f('fk_round_plan_stops_plan_id_round_plans')),
        sa.ForeignKeyConstraint(['collection_point_id'], ['collection_points.id'],
                                name=op.f('fk_round_plan_stops_collection_point_id_collection_points')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_round_plan_stops')),
        sa.UniqueConstraint('plan_id', 'position', name='uq_round_plan_stops_position'),
    )
    with op.batch_alter_table('round_plan_stops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_plan_stops_plan_id'), ['plan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('round_plan_stops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_plan_stops_plan_id'))
    op.drop_table('round_plan_stops')
    with op.batch_alter_table('round_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_plans_round_date'))
    op.drop_table('round_plans')
    op.drop_table('route_distances')
    op.drop_table('washer_locations')
