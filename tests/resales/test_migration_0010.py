"""Migration 0010: the reservation tables and the accounts' estate come and go; accounts are kept."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.migrations import migrating


def test_reservations_upgrade_and_downgrade(tmp_path):
    from bottles.db import db

    with migrating(tmp_path) as directory:
        upgrade(directory=directory, revision="0009_import_mappings")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (username, display_name, password_hash, role, phone, active, "
                "language, created_at) VALUES ('claire', 'Claire', 'x', 'coordinator', '', true, 'fr', "
                "'2026-03-02 09:00:00+00:00')"))
            conn.execute(text("INSERT INTO winemakers (code, estate, commune, contact, email, phone, active) "
                              "VALUES ('TILLEULS', 'Domaine des Tilleuls', '', '', '', '', true)"))
            conn.execute(text("INSERT INTO bottle_models (code, name, name_en, volume_ml, colour, "
                              "glass_mass_g, in_pool, active) VALUES ('BOURG75', 'Bourguignonne', '', "
                              "750, '', 550, true, true)"))
        upgrade(directory=directory, revision="0010_reservations")
        tables = set(inspect(db.engine).get_table_names())
        columns = {column["name"] for column in inspect(db.engine).get_columns("users")}
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE users SET winemaker_id = (SELECT id FROM winemakers)"))
            conn.execute(text(
                "INSERT INTO reservations (request_id, winemaker_id, bottle_model_id, quantity, pallets, "
                "wanted_by, note, status, created_at, created_by_id) SELECT "
                "'0b0b0b0b00004000800000000000000b', w.id, m.id, 1200, 1, '2027-03-01', '', 'open', "
                "'2026-03-02 09:00:00+00:00', u.id FROM winemakers w, bottle_models m, users u"))
            conn.execute(text(
                "INSERT INTO reservation_changes (reservation_id, status, at, actor_id, note) "
                "SELECT id, 'open', created_at, created_by_id, '' FROM reservations"))
            refused = 0
            for bad in ("0", "-5"):
                try:
                    with conn.begin_nested():
                        conn.execute(text(
                            "INSERT INTO reservations (request_id, winemaker_id, bottle_model_id, quantity, "
                            "wanted_by, note, status, created_at) SELECT "
                            f"'0c0c0c0c00004000800000000000000{bad[-1]}', winemaker_id, bottle_model_id, "
                            f"{bad}, wanted_by, '', 'open', created_at FROM reservations"))
                except Exception:  # noqa: BLE001 - the CHECK constraint, whatever the driver's class
                    refused += 1
        downgrade(directory=directory, revision="0009_import_mappings")
        after = set(inspect(db.engine).get_table_names())
        after_columns = {column["name"] for column in inspect(db.engine).get_columns("users")}
        with db.engine.connect() as conn:
            kept = conn.scalar(text("SELECT count(*) FROM users"))
    assert {"reservations", "reservation_changes"} <= tables and "winemaker_id" in columns
    assert refused == 2  # no reservation of zero or fewer bottles, whatever writes it
    assert not after & {"reservations", "reservation_changes"}
    assert "winemaker_id" not in after_columns and kept == 1
