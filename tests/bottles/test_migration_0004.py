"""Migration 0004: points keep their territory and kind when both become catalogue rows."""

from __future__ import annotations

import uuid

from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bottles.config import database_url
from tests.conftest import ON_POSTGRES


def _fresh_url(tmp_path) -> tuple[str, object]:
    """An empty database of the kind the suite runs on, and a function that drops it."""
    if not ON_POSTGRES:
        return f"sqlite:///{tmp_path / 'upgrade.db'}", lambda: None
    base = make_url(database_url(tmp_path))
    name = f"boucle_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), drop


def test_existing_points_keep_their_territory_and_kind(tmp_path):
    from bottles.db import db
    from wsgi import create_app

    url, drop = _fresh_url(tmp_path)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            directory = app.extensions["migrate"].directory
            upgrade(directory=directory, revision="0003_reports")
            with db.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO collection_points (code, name, kind, territory, address, contact, "
                    "phone, active) VALUES "
                    "('P1', 'Cave', 'shop', 'ECLA', '', '', '', true), "
                    "('P2', 'Bar', 'wine_bar', 'Hors Jura', '', '', '', true), "
                    "('P3', 'Déchèterie', 'recycling', '', '', '', '', true), "
                    "('P4', 'Caveau', 'estate', 'Région d''Orgelet', '', '', '', true)"))
                conn.execute(text("INSERT INTO crates (code, capacity, state, collection_point_id, "
                                  "version) SELECT 'CJ-00001-X', 60, 'at_point', id, 0 "
                                  "FROM collection_points WHERE code = 'P1'"))
            upgrade(directory=directory)
            with db.engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT p.code, t.name, k.code FROM collection_points p "
                    "LEFT JOIN territories t ON t.id = p.territory_id "
                    "LEFT JOIN point_kinds k ON k.id = p.kind_id ORDER BY p.code")).all()
                territories = set(conn.scalars(text("SELECT name FROM territories")))
                crate_point = conn.scalar(text(
                    "SELECT p.code FROM crates c JOIN collection_points p "
                    "ON p.id = c.collection_point_id"))
                kinds = dict(conn.execute(text("SELECT code, label_fr FROM point_kinds")).all())
            db.engine.dispose()
    finally:
        drop()
    assert [tuple(r) for r in rows] == [("P1", "ECLA", "shop"), ("P2", "Hors Jura", "wine_bar"),
                                        ("P3", None, "recycling"),
                                        ("P4", "Région d'Orgelet", "estate")]
    assert {"ECLA", "Bresse Haute Seille", "Pays des Lacs", "Porte du Jura", "Petite Montagne",
            "Région d'Orgelet", "Hors Jura"} == territories
    assert crate_point == "P1"
    assert kinds["shop"] == "caviste, épicerie" and kinds["wine_bar"] == "wine_bar"
