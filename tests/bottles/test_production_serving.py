"""Production serving: the refusal to start without a real SECRET_KEY and BASE_URL, ProxyFix, one
structured log line per request and per committed ledger event, and /healthz."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bottles import health
from bottles.logs import JsonLines
from bottles.production import StartupRefused, startup_problems
from bottles.rules import Kind
from tests.factories import T0, login, post_form

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "f3b1c2d4e5a69788a9b0c1d2e3f40516a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c"


@pytest.fixture
def production(monkeypatch, tmp_path):
    """BOUCLE_ENV=production with a real key and address; a test removes or spoils one of them."""
    monkeypatch.setenv("BOUCLE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("BASE_URL", "https://boucle.example.org")
    monkeypatch.setenv("BOUCLE_INSTANCE", str(tmp_path))
    monkeypatch.delenv("PROXY_HOPS", raising=False)
    return monkeypatch


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("SECRET_KEY", None, "SECRET_KEY n'est pas défini"),
    ("SECRET_KEY", "test-secret", "SECRET_KEY est une valeur d'exemple"),
    ("SECRET_KEY", "x" * 64, "SECRET_KEY est une valeur d'exemple"),
    ("SECRET_KEY", "3f9a1c7e5b2d4", "SECRET_KEY est trop court"),
    ("BASE_URL", None, "BASE_URL n'est pas défini"),
    ("BASE_URL", "http://boucle.example.org", "n'est pas une adresse https://"),
    ("BASE_URL", "https://127.0.0.1:8000", "est une adresse locale"),
    ("BASE_URL", "https://localhost", "est une adresse locale"),
    ("PROXY_HOPS", "deux", "PROXY_HOPS « deux »"),
])
def test_production_refuses_to_start_and_names_the_variable(production, variable, value, said):
    from wsgi import create_app

    if value is None:
        production.delenv(variable)
    else:
        production.setenv(variable, value)
    with pytest.raises(StartupRefused) as refused:
        create_app()
    assert said in str(refused.value)
    assert "BOUCLE_ENV=production" in str(refused.value)


def test_production_starts_with_a_real_key_and_address_and_trusts_one_proxy(production):
    from wsgi import create_app

    app = create_app()
    assert app.config["PROXY_HOPS"] == 1
    assert app.config["SECRET_KEY"] == GOOD_KEY
    assert not (Path(os.environ["BOUCLE_INSTANCE"]) / "secret_key").exists()


def test_outside_production_nothing_is_required(monkeypatch):
    monkeypatch.delenv("BOUCLE_ENV", raising=False)
    assert startup_problems({}) == []
    assert startup_problems({"BOUCLE_ENV": "development"}) == []
    assert len(startup_problems({"BOUCLE_ENV": "Production"})) == 2


def _without_secrets() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "BASE_URL", "PROXY_HOPS")}
    return {**env, "BOUCLE_ENV": "production"}


def test_gunicorn_with_the_repo_config_exits_1_with_the_message():
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0", "wsgi:create_app()"]
    done = subprocess.run(command, cwd=ROOT, env=_without_secrets(), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert "SECRET_KEY n'est pas défini" in done.stderr and "BASE_URL n'est pas défini" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_flask_command_in_production_exits_1_without_a_traceback(tmp_path):
    """`make serve` upgrades the database first: `flask db upgrade` refuses the same way."""
    flask = Path(sys.executable).parent / "flask"
    done = subprocess.run([str(flask), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                          env={**_without_secrets(), "BOUCLE_INSTANCE": str(tmp_path)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Error: Boucle ne démarre pas en production" in done.stderr
    assert "SECRET_KEY n'est pas défini" in done.stderr and "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())  # no key generated, no database created


def _requests(caplog) -> list[dict]:
    return [r.fields for r in caplog.records if r.name == "boucle.request"]


def test_one_structured_line_per_request_with_user_route_status_and_time(client, factory, caplog):
    caplog.set_level(logging.INFO, logger="boucle")
    washer, point = factory.washer(), factory.point()
    crate = factory.crate(washer=washer)
    staff = factory.user("point", points=[point])
    factory.session.commit()
    client.get("/login")
    anonymous = _requests(caplog)
    assert len(anonymous) == 1
    line = anonymous[0]
    assert (line["method"], line["route"], line["path"], line["status"]) == ("GET", "/login", "/login", 200)
    assert line["user"] is None and line["duration_ms"] >= 0 and line["remote_addr"] == "127.0.0.1"
    assert len(line["request_id"]) == 32
    login(client, staff)
    caplog.clear()
    client.get(f"/c/{crate.code}")
    (line,) = _requests(caplog)
    assert (line["route"], line["status"], line["user"], line["user_id"], line["role"]) == (
        "/c/<code>", 200, staff.username, staff.id, "point")
    caplog.clear()
    client.get("/nowhere")
    (line,) = _requests(caplog)
    assert line["route"] is None and line["status"] == 404


def test_one_line_per_committed_ledger_write_tied_to_its_request(client, factory, caplog):
    washer, point = factory.washer(), factory.point()
    crate = factory.crate(washer=washer)
    factory.event(Kind.CRATE_PLACED, crate=crate, point=point.id, at=T0)
    staff = factory.user("point", points=[point])
    factory.session.commit()
    login(client, staff)
    caplog.set_level(logging.INFO, logger="boucle")
    caplog.clear()
    response = post_form(client, f"/c/{crate.code}/pleine", {"count": "37", "event_id": str(uuid.uuid4())},
                         page_url=f"/c/{crate.code}", headers={"X-Request-ID": "proxy-req-42"})
    assert response.status_code in (302, 303)
    ledger = [r.fields for r in caplog.records if r.name == "boucle.ledger"]
    assert len(ledger) == 1
    assert ledger[0]["kind"] == "crate_full" and ledger[0]["bottles"] == 37
    assert ledger[0]["actor_id"] == staff.id and ledger[0]["crate_id"] == crate.id
    assert ledger[0]["collection_point_id"] == point.id and ledger[0]["request_id"] == "proxy-req-42"
    post = [line for line in _requests(caplog) if line["method"] == "POST"]
    assert post[0]["request_id"] == "proxy-req-42" and post[0]["user"] == staff.username


def test_a_refused_write_logs_its_request_and_no_ledger_line(client, factory, caplog):
    washer = factory.washer()
    crate = factory.crate(washer=washer)
    staff = factory.user("point", points=[factory.point()])
    factory.session.commit()
    login(client, staff)
    caplog.set_level(logging.INFO, logger="boucle")
    caplog.clear()
    response = post_form(client, f"/c/{crate.code}/pleine", {"count": "37", "event_id": str(uuid.uuid4())},
                         page_url=f"/c/{crate.code}")
    assert 400 <= response.status_code < 500
    assert not [r for r in caplog.records if r.name == "boucle.ledger"]
    posts = [line for line in _requests(caplog) if line["method"] == "POST"]
    assert [line["status"] for line in posts] == [response.status_code]


def test_log_lines_are_one_json_object_each():
    record = logging.LogRecord("boucle.request", logging.INFO, __file__, 1, "GET %s %s", ("/login", 200),
                               None)
    record.fields = {"route": "/login", "status": 200, "user": "élise"}
    text = JsonLines().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "GET /login 200" and line["logger"] == "boucle.request"
    assert line["user"] == "élise" and line["time"].endswith("Z")


def test_an_error_with_its_traceback_is_one_json_line_naming_its_request(app):
    from flask import g
    from flask.logging import default_handler

    from bottles.logs import _json_handler

    logger = logging.getLogger("boucle-test-json")
    logger.addHandler(default_handler)
    _json_handler(logger)
    _json_handler(logger)
    assert default_handler not in logger.handlers
    assert [type(h.formatter) for h in logger.handlers] == [JsonLines]
    try:
        raise ValueError("boum")
    except ValueError:
        record = logging.LogRecord("wsgi", logging.ERROR, __file__, 1, "Exception on /x [GET]", (),
                                   sys.exc_info())
    with app.test_request_context("/x"):
        g.request_id = "req-7"
        text = JsonLines().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["request_id"] == "req-7" and "ValueError: boum" in line["exception"]
    logger.handlers.clear()


def test_proxy_fix_gives_the_client_address_only_behind_the_trusted_proxies(db_url, caplog):
    from werkzeug.middleware.proxy_fix import ProxyFix

    from wsgi import create_app

    caplog.set_level(logging.INFO, logger="boucle.request")
    headers = {"X-Forwarded-For": "198.51.100.9, 203.0.113.7", "X-Forwarded-Proto": "https"}
    for hops, address in ((1, "203.0.113.7"), (2, "198.51.100.9"), (0, "127.0.0.1")):
        app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "TESTING": True, "PROXY_HOPS": hops})
        assert isinstance(app.wsgi_app, ProxyFix) == bool(hops)
        caplog.clear()
        assert app.test_client().get("/login", headers=headers).status_code == 200
        (line,) = _requests(caplog)
        assert line["remote_addr"] == address


def test_healthz_answers_ok_without_sign_in_cookie_or_throttle(client):
    for _ in range(30):
        response = client.get("/healthz")
        assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "head",
                                   "revision": response.get_json()["revision"]}
    assert response.get_json()["revision"]
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert client.head("/healthz").status_code == 200


def test_healthz_is_503_when_the_migrations_are_behind(client, monkeypatch):
    monkeypatch.setattr(health, "head_revisions", lambda _directory: frozenset({"9999_future"}))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["migrations"] == "not at head"
    assert body["expected"] == "9999_future"


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    from wsgi import create_app

    missing = tmp_path / "no-such-folder" / "boucle.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}", "TESTING": True})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable", "migrations": "unknown"}


def test_healthz_gives_up_on_a_postgresql_server_that_never_answers():
    """A server that accepts the connection but never speaks: 503 in seconds, not a hung worker."""
    import socket
    import time

    from bottles.db import CONNECT_TIMEOUT_S
    from wsgi import create_app

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the handshake completes in the backlog; nothing is ever read
        port = silent.getsockname()[1]
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://x@127.0.0.1:{port}/x",
                          "TESTING": True})
        started = time.monotonic()
        response = app.test_client().get("/healthz")
        waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    assert waited < CONNECT_TIMEOUT_S * 3  # pool_pre_ping may try twice; never the worker's 30 s
