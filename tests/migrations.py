"""What every migration test needs: an empty database of the kind the suite runs on, an app on it,
and the migrations folder to move it up and down with flask_migrate's upgrade and downgrade."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bottles.config import database_url
from tests.conftest import ON_POSTGRES


def fresh_url(tmp_path) -> tuple[str, Callable[[], None]]:
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


@contextmanager
def migrating(tmp_path) -> Iterator[str]:
    """Inside an app context on an empty database (no revision yet): the migrations folder."""
    from bottles.db import db
    from wsgi import create_app

    url, drop = fresh_url(tmp_path)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            try:
                yield app.extensions["migrate"].directory
            finally:
                db.engine.dispose()
    finally:
        drop()
