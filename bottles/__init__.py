"""The kernel of Boucle: database, ledger, crates, catalogue, people, base pages."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from bottles import (
    body_limits,
    i18n,
    logs,
    navigation,
    nul_bytes,
    numbers,
    production,
    scan,
    security,
    signals,
    throttle,
)
from bottles.auth import login_manager, password_change_first
from bottles.db import CONNECT_TIMEOUT_S, LATE_WRITERS, db, sqlite_begin_mode, with_connect_timeout
from bottles.errors import register_error_handlers
from bottles.ledger import install_append_only_guard

MIGRATIONS = str(Path(__file__).parent / "migrations")
csrf = CSRFProtect()
migrate = Migrate()


def init_app(app: Flask) -> None:
    numbers.init_app(app)
    body_limits.init_app(app)
    nul_bytes.init_app(app)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = with_connect_timeout(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        CONNECT_TIMEOUT_S)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    _sqlite_writes_begin_immediate(app)  # before any hook that reads the database (a session begins there)
    app.before_request(password_change_first)
    i18n.init_app(app)
    security.init_app(app)
    throttle.init_app(app)
    production.init_app(app)
    with app.app_context():
        install_append_only_guard(db.session.session_factory.class_)
        signals.install(db.session.session_factory.class_)
    logs.init_app(app)  # JSON lines: one per request, one per committed ledger event

    from bottles import cli, health, offline, views

    app.register_blueprint(views.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(offline.bp)
    _register_catalogue_and_people(app)
    _register_history(app)
    app.cli.add_command(cli.group)
    register_error_handlers(app)

    @app.context_processor
    def _navigation() -> dict:
        def nav_actions() -> list[navigation.Action]:
            if not current_user.is_authenticated:
                return []
            return navigation.actions_for(current_user.role)

        return {"nav_actions": nav_actions, "channel_name": app.config["CHANNEL_NAME"]}

    app.jinja_env.globals["scan_strings"] = scan.station_strings
    app.jinja_env.globals["queue_strings"] = scan.queue_strings


def _sqlite_writes_begin_immediate(app: Flask) -> None:
    """Requests that may write take SQLite's write lock when they begin (see bottles.db), but those
    of LATE_WRITERS, which take it themselves when their write begins (bottles.db.begin_write)."""

    @app.before_request
    def _choose_begin_mode() -> None:
        safe = request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in LATE_WRITERS
        sqlite_begin_mode.set("DEFERRED" if safe else "IMMEDIATE")

    @app.teardown_request
    def _reset_begin_mode(_error) -> None:
        sqlite_begin_mode.set("DEFERRED")


def _register_history(app: Flask) -> None:
    """The spreadsheet history import: its pages (and its saved mappings' table)."""
    from bottles.history import views as history_views

    app.register_blueprint(history_views.bp)
    navigation.add_action(_l("Historique des tableurs"), "history.index", {"coordinator", "admin"},
                          _l("Importer les tableurs de la première phase au journal"))


def _register_catalogue_and_people(app: Flask) -> None:
    from bottles.catalogue import views as catalogue_views
    from bottles.people import account
    from bottles.people import views as people_views

    app.register_blueprint(catalogue_views.bp)
    app.register_blueprint(people_views.bp)
    app.register_blueprint(account.bp)
    navigation.add_action(_l("Catalogue"), "catalogue.index", {"coordinator", "admin"},
                          _l("Modèles, motifs, points, laveurs, vignerons, caisses ; import CSV"))
    navigation.add_action(_l("Caisses"), "catalogue.crates", {"coordinator", "admin"},
                          _l("Parc de caisses, enregistrement par lot"), in_menu=False)
    navigation.add_action(_l("Comptes"), "people.users", {"admin"},
                          _l("Personnes, rôles, sites rattachés, mots de passe"))
