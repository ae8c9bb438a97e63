"""Migration 0011: planned rounds, their stops, washers' coordinates and the imported distance matrix
come and go; the rounds, points and washers they refer to are untouched."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.migrations import migrating

NEW = {"round_plans", "round_plan_stops", "washer_locations", "route_distances"}


def test_round_plans_upgrade_and_downgrade(tmp_path):
    from bottles.db import db

    with migrating(tmp_path) as directory:
        upgrade(directory=directory, revision="0011_round_plans")
        at = "'2026-03-02 09:00:00+00:00'"
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO washers (code, name, address, contact, phone, pallet_size, "
                              "staff_may_sell, active) "
                              "VALUES ('LAV', 'Lavoir', '', '', '', 1200, false, true)"))
            conn.execute(text("INSERT INTO collection_points (code, name, address, contact, phone, active) "
                              "VALUES ('P1', 'Cave', '', '', '', true)"))
            conn.execute(text(f"INSERT INTO washer_locations (washer_id, latitude, longitude, updated_at) "
                              f"SELECT id, 46.674200, 5.554700, {at} FROM washers"))
            conn.execute(text(f"INSERT INTO route_distances (from_code, to_code, km, imported_at) "
                              f"VALUES ('LAV', 'P1', 12.5, {at})"))
            conn.execute(text(
                f"INSERT INTO round_plans (round_date, washer_id, van_capacity, matrix_source, km, minutes, "
                f"crates, bottles, created_at) SELECT '2026-03-03', id, 24, 'coordinates', 25.0, 50, 2, 110, "
                f"{at} FROM washers"))
            conn.execute(text(
                "INSERT INTO round_plan_stops (plan_id, position, collection_point_id, full_crates, "
                "nearly_full, bottles, leg_km, leg_minutes) SELECT round_plans.id, 1, collection_points.id, "
                "2, 0, 110, 12.5, 16.7 FROM round_plans, collection_points"))
        inspector = inspect(db.engine)
        tables = set(inspector.get_table_names())
        unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("round_plan_stops")}
        checks = {c["name"] for c in inspector.get_check_constraints("round_plans")}
        with db.engine.connect() as conn:
            location = conn.execute(text("SELECT latitude, longitude FROM washer_locations")).one()
        downgrade(directory=directory, revision="0010_reservations")
        after = set(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            kept = conn.scalar(text("SELECT count(*) FROM washers")) + conn.scalar(
                text("SELECT count(*) FROM collection_points"))
    assert tables >= NEW and ("plan_id", "position") in unique
    assert "ck_round_plans_van_capacity" in checks
    assert float(location[0]) == 46.6742 and float(location[1]) == 5.5547
    assert not NEW & after and kept == 2
