"""Error pages: the titles and messages a person reads, and the app's error handlers."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from bottles.db import db
from bottles.rules import LedgerError

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


def error_page(status: int, message: str | None = None, back: str | None = None, **values):
    """A French error page (HTML) or a JSON body for fetch() callers; `back` links to the form."""
    text = message or ERROR_MESSAGES.get(status) or ERROR_TITLES.get(status, "Erreur")
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return {"error": text % values if values else text, "status": status}, status
    return render_template("bottles/error.html", title=gettext(ERROR_TITLES.get(status, "Erreur")),
                           message=gettext(text, **values), back=back), status


def _same_site_referrer() -> str | None:
    """The page the refused form came from, when it is one of ours (never an outside address)."""
    referrer = request.referrer or ""
    return referrer if referrer.startswith(request.host_url) else None


def code_taken(_error: IntegrityError):
    """Two people saving the same code at the same moment: the second is told, nothing saved."""
    db.session.rollback()
    return error_page(409, gettext("Ce code ou cet identifiant vient d'être enregistré par "
                                   "quelqu'un d'autre : rien n'a été enregistré. Rechargez la page."))


def register_error_handlers(app: Flask) -> None:
    """Every error ends on an error page, the session rolled back (nothing half-written)."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        db.session.rollback()
        if "expired" in (error.description or ""):
            return error_page(400, "Le formulaire a expiré (il était ouvert depuis plus de "
                                   "%(hours)s heures) : rien n'a été enregistré. Rechargez la page "
                                   "et recommencez.", back=_same_site_referrer(),
                              hours=(app.config.get("WTF_CSRF_TIME_LIMIT") or 0) // 3600)
        return error_page(400, "Le formulaire a expiré ou n'a pas de jeton de sécurité (CSRF) : "
                               "rien n'a été enregistré. Rechargez la page et recommencez.",
                          back=_same_site_referrer())

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
