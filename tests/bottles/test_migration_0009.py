"""Migration 0009: the import_mappings table comes and goes; accounts are untouched."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.migrations import migrating


def test_import_mappings_upgrade_and_downgrade(tmp_path):
    from bottles.db import db

    with migrating(tmp_path) as directory:
        upgrade(directory=directory, revision="0009_import_mappings")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (username, display_name, password_hash, role, phone, active, "
                "language, created_at) VALUES ('alice', 'Alice', 'x', 'coordinator', '', true, 'fr', "
                "'2026-03-02 09:00:00+00:00')"))
            conn.execute(text(
                "INSERT INTO import_mappings (name, columns, fixed, options, created_by_id, created_at) "
                "SELECT 'Collectes 2016-17', :columns, '{}', '{}', id, '2026-03-02 09:00:00+00:00' "
                "FROM users"), {"columns": '[{"header": "Point", "field": "collection_point"}]'})
            stored = conn.scalar(text("SELECT columns FROM import_mappings"))
        constraints = inspect(db.engine).get_unique_constraints("import_mappings")
        unique = {tuple(constraint["column_names"]) for constraint in constraints}
        downgrade(directory=directory, revision="0008_api_tokens")
        tables = set(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            kept = conn.scalar(text("SELECT count(*) FROM users"))
    assert "collection_point" in str(stored)
    assert ("name",) in unique
    assert "import_mappings" not in tables and kept == 1
