"""territories and point kinds become catalogue rows; points refer to them

The six fixed territories and six point kinds are inserted, plus every other value a point
already holds (e.g. an imported "Hors Jura"), so each point keeps its territory and kind.

Revision ID: 0004_catalogue
Revises: 0003_reports
Create Date: 2026-12-01 09:00:00

"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0004_catalogue'
down_revision = '0003_reports'
branch_labels = None
depends_on = None

TERRITORIES = ("ECLA", "Bresse Haute Seille", "Pays des Lacs", "Porte du Jura", "Petite Montagne",
               "Région d'Orgelet")
POINT_KINDS = (
    ("shop", "caviste, épicerie", "wine shop, grocery"),
    ("restaurant", "restaurant, bar", "restaurant, bar"),
    ("supermarket", "grande surface", "supermarket"),
    ("recycling", "déchèterie, recyclerie", "recycling centre"),
    ("estate", "domaine viticole", "wine estate"),
    ("other", "autre", "other"),
)


def _code(name: str, taken: set[str]) -> str:
    """An upper-case ASCII code for a territory name, unique among `taken`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Z0-9]+", "-", ascii_name.upper()).strip("-")[:28] or "T"
    code, n = base, 1
    while code.lower() in taken:
        n += 1
        code = f"{base}-{n}"
    taken.add(code.lower())
    return code


def upgrade():
    territories = op.create_table(
        'territories',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_territories')),
        sa.UniqueConstraint('code', name=op.f('uq_territories_code')),
        sa.UniqueConstraint('name', name=op.f('uq_territories_name')),
    )
    kinds = op.create_table(
        'point_kinds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('label_fr', sa.String(length=120), nullable=False),
        sa.Column('label_en', sa.String(length=120), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_point_kinds')),
        sa.UniqueConstraint('code', name=op.f('uq_point_kinds_code')),
    )
    conn = op.get_bind()
    points = sa.table('collection_points', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                      sa.column('territory', sa.String), sa.column('kind_id', sa.Integer),
                      sa.column('territory_id', sa.Integer))
    used_territories = [t for t in conn.scalars(sa.select(points.c.territory).distinct()) if t]
    used_kinds = [k for k in conn.scalars(sa.select(points.c.kind).distinct()) if k]
    names = list(TERRITORIES) + sorted(t for t in used_territories if t not in TERRITORIES)
    taken: set[str] = set()
    op.bulk_insert(territories, [{'code': _code(name, taken), 'name': name, 'active': True}
                                 for name in names])
    known = {code for code, _fr, _en in POINT_KINDS}
    op.bulk_insert(kinds, [{'code': c, 'label_fr': fr, 'label_en': en, 'active': True}
                           for c, fr, en in POINT_KINDS]
                   + [{'code': k, 'label_fr': k, 'label_en': '', 'active': True}
                      for k in sorted(set(used_kinds) - known)])

    _add_reference('kind_id', 'point_kinds')
    _add_reference('territory_id', 'territories')
    conn.execute(points.update().values(
        territory_id=sa.select(territories.c.id).where(territories.c.name == points.c.territory)
        .scalar_subquery(),
        kind_id=sa.select(kinds.c.id).where(kinds.c.code == points.c.kind).scalar_subquery()))
    # Plain ALTERs, also on SQLite (3.35+): recreating the table would trip the foreign keys
    # that crates, events and accounts hold on it.
    op.drop_column('collection_points', 'territory')
    op.drop_column('collection_points', 'kind')


def _add_reference(column: str, table: str) -> None:
    """A nullable column referring to `table`, with the constraint name the models expect."""
    name = f'fk_collection_points_{column}_{table}'
    if op.get_bind().dialect.name == 'sqlite':  # SQLite adds a reference only inline
        op.execute(f'ALTER TABLE collection_points ADD COLUMN {column} INTEGER '
                   f'CONSTRAINT {name} REFERENCES {table} (id)')
        return
    op.add_column('collection_points', sa.Column(column, sa.Integer(), nullable=True))
    op.create_foreign_key(name, 'collection_points', table, [column], ['id'])


def downgrade():
    with op.batch_alter_table('collection_points') as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=32), nullable=False,
                                      server_default='shop'))
        batch_op.add_column(sa.Column('territory', sa.String(length=64), nullable=False,
                                      server_default=''))
    conn = op.get_bind()
    points = sa.table('collection_points', sa.column('kind', sa.String),
                      sa.column('territory', sa.String), sa.column('kind_id', sa.Integer),
                      sa.column('territory_id', sa.Integer))
    territories = sa.table('territories', sa.column('id', sa.Integer), sa.column('name', sa.String))
    kinds = sa.table('point_kinds', sa.column('id', sa.Integer), sa.column('code', sa.String))
    conn.execute(points.update().values(
        territory=sa.func.coalesce(sa.select(territories.c.name)
                                   .where(territories.c.id == points.c.territory_id)
                                   .scalar_subquery(), ''),
        kind=sa.func.coalesce(sa.select(kinds.c.code).where(kinds.c.id == points.c.kind_id)
                              .scalar_subquery(), 'shop')))
    with op.batch_alter_table('collection_points') as batch_op:
        batch_op.alter_column('kind', server_default=None)
        batch_op.alter_column('territory', server_default=None)
        batch_op.drop_constraint('fk_collection_points_territory_id_territories', type_='foreignkey')
        batch_op.drop_constraint('fk_collection_points_kind_id_point_kinds', type_='foreignkey')
        batch_op.drop_column('territory_id')
        batch_op.drop_column('kind_id')
    op.drop_table('point_kinds')
    op.drop_table('territories')
