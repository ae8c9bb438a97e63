"""Migration 0007: the notification tables come and go without touching the accounts."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.migrations import migrating


def test_notification_tables_upgrade_and_downgrade(tmp_path):
    from bottles.db import db

    with migrating(tmp_path) as directory:
        upgrade(directory=directory, revision="0006_session_version")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (username, display_name, password_hash, role, phone, active, "
                "language, created_at, session_version, must_change_password) VALUES "
                "('claire', 'Claire', 'x', 'coordinator', '', true, 'fr', "
                "'2026-03-02 09:00:00+00:00', 0, false)"))
        upgrade(directory=directory, revision="0007_notifications")
        tables = set(inspect(db.engine).get_table_names())
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO notification_subscriptions (user_id, topic, channel, target, secret, "
                "active, created_at) SELECT id, 'crate_full', 'email', 'c@example.org', '', true, "
                "'2026-03-02 09:00:00+00:00' FROM users"))
        downgrade(directory=directory, revision="0006_session_version")
        after = set(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            kept = conn.scalar(text("SELECT count(*) FROM users"))
    assert {"notification_subscriptions", "notification_deliveries"} <= tables
    assert not after & {"notification_subscriptions", "notification_deliveries"} and kept == 1
