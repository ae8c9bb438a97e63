"""The kernel of Boucle: database, ledger, crates, catalogue, people, base pages."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from bottles import i18n, navigation, signals
from bottles.auth import login_manager
from bottles.db import db, sqlite_begin_mode
from bottles.ledger import install_append_only_guard
from bottles.rules import LedgerError

MIGRATIONS = str(Path(__file__).parent / "migrations")
csrf = CSRFProtect()
migrate = Migrate()

ERROR_TITLES = {
    400: "Requête incorrecte", 401: "Connexion nécessaire", 403: "Accès refusé",
    404: "Page introuvable", 405: "Action non permise", 409: "Conflit",
    413: "Fichier trop volumineux", 422: "Saisie refusée", 500: "Erreur du serveur",
}
ERROR_MESSAGES = {
    403: "Cette page ou cette action n'est pas ouverte à votre compte. "
         "Si vous pensez que c'est une erreur, appelez la coordination.",
    404: "Cette adresse ne correspond à rien dans Boucle.",
    500: "Une erreur inattendue s'est produite ; rien n'a été enregistré. "
         "La coordination a été prévenue par le journal du serveur.",
}


def _log_to_stderr(app: Flask) -> None:
    """One line per recorded event on stderr (gunicorn's log), at LOG_LEVEL (INFO by default)."""
    import logging

    logger = logging.getLogger("boucle")
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    if not logger.handlers and not app.testing:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


def init_app(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    with app.app_context():
        install_append_only_guard(db.session.session_factory.class_)
        signals.install(db.session.session_factory.class_)
    _log_to_stderr(app)
    _sqlite_writes_begin_immediate(app)

    from bottles import cli, views

    app.register_blueprint(views.bp)
    _register_catalogue_and_people(app)
    app.cli.add_command(cli.group)
    _register_errors(app)

    @app.context_processor
    def _navigation() -> dict:
        def nav_actions() -> list[navigation.Action]:
            if not current_user.is_authenticated:
                return []
            return navigation.actions_for(current_user.role)

        return {"nav_actions": nav_actions, "channel_name": app.config["CHANNEL_NAME"]}


def _sqlite_writes_begin_immediate(app: Flask) -> None:
    """Requests that may write take SQLite's write lock when they begin (see bottles.db)."""

    @app.before_request
    def _choose_begin_mode() -> None:
        safe = request.method in ("GET", "HEAD", "OPTIONS")
        sqlite_begin_mode.set("DEFERRED" if safe else "IMMEDIATE")

    @app.teardown_request
    def _reset_begin_mode(_error) -> None:
        sqlite_begin_mode.set("DEFERRED")


def _register_catalogue_and_people(app: Flask) -> None:
    from bottles.catalogue import views as catalogue_views
    from bottles.people import views as people_views

    app.register_blueprint(catalogue_views.bp)
    app.register_blueprint(people_views.bp)
    navigation.add_action(_l("Catalogue"), "catalogue.index", {"coordinator", "admin"},
                          _l("Modèles, motifs, points, laveurs, vignerons, caisses ; import CSV"))
    navigation.add_action(_l("Caisses"), "catalogue.crates", {"coordinator", "admin"},
                          _l("Parc de caisses, enregistrement par lot"), in_menu=False)
    navigation.add_action(_l("Comptes"), "people.users", {"admin"},
                          _l("Personnes, rôles, sites rattachés, mots de passe"))


def error_page(status: int, message: str | None = None):
    """A French error page (HTML) or a JSON body for fetch() callers."""
    text = message or ERROR_MESSAGES.get(status) or ERROR_TITLES.get(status, "Erreur")
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return {"error": text, "status": status}, status
    return render_template("bottles/error.html", title=gettext(ERROR_TITLES.get(status, "Erreur")),
                           message=gettext(text)), status


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_error):
        db.session.rollback()
        return error_page(400, "Le formulaire a expiré ou n'a pas de jeton de sécurité (CSRF) : "
                               "rien n'a été enregistré. Rechargez la page et recommencez.")

    @app.errorhandler(LedgerError)
    def _ledger(error: LedgerError):
        db.session.rollback()
        return error_page(409, str(error))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        db.session.rollback()
        description = error.description if error.code in (400, 404, 409, 422) and \
            error.description and not error.description.startswith(("The ", "Not ", "A ")) \
            else None
        return error_page(error.code or 500, description)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unexpected error", exc_info=error)
        return error_page(500)
