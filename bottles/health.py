"""`/healthz` for the reverse proxy and the monitoring: the database answers and its schema is at
the migrations' head. No sign-in, no session cookie, never throttled; 503 with the reason otherwise.
"""

from __future__ import annotations

import logging
from functools import cache

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from bottles.db import db

bp = Blueprint("health", __name__)
log = logging.getLogger("boucle.health")


@cache
def head_revisions(directory: str) -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code (read once per process)."""
    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_state() -> tuple[dict, int]:
    """The health answer and its status: 200 when reachable and at head, 503 otherwise."""
    heads = head_revisions(current_app.extensions["migrate"].directory)
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except Exception:  # any failure to reach the database is the answer, not a 500
        log.exception("healthz: database unreachable")
        return {"status": "error", "database": "unreachable", "migrations": "unknown"}, 503
    revision = ",".join(sorted(current)) or None
    if current != heads:
        log.error("healthz: database at %s, code expects %s", revision, ",".join(sorted(heads)))
        return {"status": "error", "database": "ok", "migrations": "not at head", "revision": revision,
                "expected": ",".join(sorted(heads))}, 503
    return {"status": "ok", "database": "ok", "migrations": "head", "revision": revision}, 200


@bp.get("/healthz")
def healthz():
    body, status = database_state()
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
