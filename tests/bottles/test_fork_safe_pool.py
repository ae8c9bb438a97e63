"""A connection never crosses a fork: gunicorn's master imports Boucle (preload_app) and forks its
workers; a pooled connection the parent opened is left to it, the child opens its own
(bottles.db), and the repository's gunicorn config serves requests through recycled workers."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from bottles.db import db

ROOT = Path(__file__).resolve().parents[2]


def test_a_forked_child_opens_its_own_connection_and_leaves_the_parents(app):
    engine = db.engine
    with engine.connect() as connection:  # the pool now keeps the parent's connection
        parents = id(connection.connection.dbapi_connection)
        connection.execute(text("SELECT 1"))
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # the child: report which connection it was given, then leave without cleanup
        try:
            with engine.connect() as connection:
                answer = connection.execute(text("SELECT 41 + 1")).scalar()
                mine = id(connection.connection.dbapi_connection)
            os.write(writing, f"{answer} {int(mine != parents)}".encode())
        finally:
            os._exit(0)
    os.close(writing)
    reported = os.read(reading, 100).decode()
    os.close(reading)
    os.waitpid(child, 0)
    assert reported == "42 1"  # the child answered, on a connection of its own
    with engine.connect() as connection:  # the parent's connection still works (never closed by the child)
        assert id(connection.connection.dbapi_connection) == parents
        assert connection.execute(text("SELECT 1")).scalar() == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_repository_config_serves_through_recycled_preloaded_workers(db_url, tmp_path):
    """Two workers recycled every 3 requests: every health check (a query) answers 200 while new
    workers are forked from the preloading master."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "BOUCLE_INSTANCE": str(tmp_path),
           "BOUCLE_ENV": "development", "SECRET_KEY": "fork-test-" + "x" * 32,
           "BOUCLE_BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "info",
           "GUNICORN_CMD_ARGS": "--workers 2 --max-requests 3 --max-requests-jitter 0"}
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:create_app()"],
            cwd=ROOT, env=env, stdout=output, stderr=output)
    try:
        statuses = []
        deadline = time.monotonic() + 60
        while len(statuses) < 20 and time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", "/healthz")
                statuses.append(connection.getresponse().status)
                connection.close()
            except OSError:
                time.sleep(0.2)  # not listening yet, or a worker recycled while answering
        booted = log.read_text().count("Booting worker")
    finally:
        server.terminate()
        server.wait(30)
    assert statuses == [200] * 20, log.read_text()[-2000:]
    assert booted >= 6  # 2 workers, then one more every 3 requests
