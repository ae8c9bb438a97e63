"""Test harness: each test gets an app on a freshly migrated database (SQLite or PostgreSQL).

DATABASE_URL pointing at PostgreSQL runs the suite there: each worker creates its own
database, migrates it once, and empties it after every test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bottles.config import database_url
from bottles.db import db
from tests.factories import Factory

PG_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith(("postgres://", "postgresql"))


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    from wsgi import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory) -> str:
    """A migrated, empty database for this worker; its URL."""
    instance = tmp_path_factory.mktemp("instance")
    os.environ.setdefault("BOUCLE_INSTANCE", str(instance))
    if not ON_POSTGRES:
        template = instance / "template.db"
        _migrate(f"sqlite:///{template}", instance)
        yield str(template)
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = make_url(database_url(instance))
    name = f"boucle_test_{worker}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    _migrate(url, instance)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def module_db_url(database: str, tmp_path_factory, name: str) -> str:
    """A database for one module's shared world: a copy of the template on SQLite, the worker's
    own database on PostgreSQL (emptied after the module like after any test)."""
    if ON_POSTGRES:
        return database
    target = tmp_path_factory.mktemp(name) / f"{name}.db"
    shutil.copyfile(database, target)
    return f"sqlite:///{target}"


@pytest.fixture
def db_url(database: str, tmp_path: Path) -> str:
    if not ON_POSTGRES:
        target = tmp_path / "test.db"
        shutil.copyfile(database, target)
        return f"sqlite:///{target}"
    return database


@pytest.fixture
def app(db_url: str):
    from wsgi import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "TESTING": True,
                      "SECRET_KEY": "test-secret", "BASE_URL": "https://boucle.test",
                      "SERVER_NAME": None})
    with app.app_context():
        yield app
        db.session.remove()
        if ON_POSTGRES:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def factory(app) -> Factory:
    return Factory(db.session)


@pytest.fixture
def client(app):
    return app.test_client()


def pytest_report_header(config) -> str:
    return f"database: {'PostgreSQL' if ON_POSTGRES else 'SQLite'}"


@pytest.fixture
def live_server(app):
    """The app served on a free local port in a thread, on this test's database."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page (390 × 844, touch) with its base URL set to the live server."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, locale="fr-FR", base_url=live_server.url,
                                  service_workers="block")  # as before offline first: no worker between
    # the page and the network (page.route sees every request); tests/test_offline_browser.py allows it
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def laptop(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR",
                                  base_url=live_server.url, service_workers="block")
    page = context.new_page()
    yield page
    context.close()
