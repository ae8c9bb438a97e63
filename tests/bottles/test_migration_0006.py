"""Migration 0006: existing accounts get session version 0 and are not asked for a new password."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.migrations import migrating


def test_existing_accounts_upgrade_and_downgrade(tmp_path):
    from bottles.db import db

    with migrating(tmp_path) as directory:
        upgrade(directory=directory, revision="0005_model_name_en")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (username, display_name, password_hash, role, phone, active, "
                "language, created_at) VALUES ('alice', 'Alice', 'x', 'admin', '', true, 'fr', "
                "'2026-03-02 09:00:00+00:00'), ('paul', 'Paul', 'x', 'driver', '', false, 'fr', "
                "'2026-03-02 09:00:00+00:00')"))
        upgrade(directory=directory, revision="0006_session_version")
        with db.engine.connect() as conn:
            rows = [tuple(row) for row in conn.execute(text(
                "SELECT username, session_version, must_change_password FROM users "
                "ORDER BY username"))]
        downgrade(directory=directory, revision="0005_model_name_en")
        columns = {column["name"] for column in inspect(db.engine).get_columns("users")}
        with db.engine.connect() as conn:
            kept = conn.scalar(text("SELECT count(*) FROM users"))
    assert rows == [("alice", 0, False), ("paul", 0, False)]
    assert not columns & {"session_version", "must_change_password"} and kept == 2
