"""Migration 0008: the api_tokens table comes and goes; accounts are untouched."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.migrations import migrating


def test_api_tokens_upgrade_and_downgrade(tmp_path):
    from bottles.db import db

    with migrating(tmp_path) as directory:
        upgrade(directory=directory, revision="0008_api_tokens")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (username, display_name, password_hash, role, phone, active, "
                "language, created_at) VALUES ('alice', 'Alice', 'x', 'admin', '', true, 'fr', "
                "'2026-03-02 09:00:00+00:00')"))
            conn.execute(text(
                "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
                "SELECT id, 'quai', :digest, 'bcl_abcdefgh', '2026-03-02 09:00:00+00:00' FROM users"),
                {"digest": "0" * 64})
        constraints = inspect(db.engine).get_unique_constraints("api_tokens")
        unique = {tuple(constraint["column_names"]) for constraint in constraints}
        downgrade(directory=directory, revision="0007_notifications")
        tables = set(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            kept = conn.scalar(text("SELECT count(*) FROM users"))
    assert ("token_hash",) in unique
    assert "api_tokens" not in tables and kept == 1
