"""Migration 0004: points keep their territory and kind when both become catalogue rows."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

from tests.migrations import migrating


def test_existing_points_keep_their_territory_and_kind(tmp_path):
    from bottles.db import db

    with migrating(tmp_path) as directory:
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
    assert [tuple(r) for r in rows] == [("P1", "ECLA", "shop"), ("P2", "Hors Jura", "wine_bar"),
                                        ("P3", None, "recycling"),
                                        ("P4", "Région d'Orgelet", "estate")]
    assert {"ECLA", "Bresse Haute Seille", "Pays des Lacs", "Porte du Jura", "Petite Montagne",
            "Région d'Orgelet", "Hors Jura"} == territories
    assert crate_point == "P1"
    assert kinds["shop"] == "caviste, épicerie" and kinds["wine_bar"] == "wine_bar"
