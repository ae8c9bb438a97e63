"""The API's refusals: JSON {"code", "message"} with a stable code and a French message (or English)."""

from __future__ import annotations

import re

from flask import Response, jsonify
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from bottles.db import db

# One stable code per status (a client branches on it, never on the message).
CODES = {
    400: "requete_invalide", 401: "jeton_invalide", 403: "acces_refuse", 404: "introuvable",
    405: "methode_non_permise", 409: "conflit", 413: "trop_volumineux", 415: "type_non_pris_en_charge",
    422: "saisie_invalide", 429: "trop_de_requetes", 500: "erreur_serveur",
}
MESSAGES = {
    400: _l("Requête incorrecte : rien n'a été enregistré."),
    401: _l("Jeton manquant, inconnu, révoqué ou expiré : envoyez « Authorization: Bearer <jeton> »."),
    403: _l("Cette action ou cette ressource n'est pas ouverte à votre compte."),
    404: _l("Rien ne correspond à cette adresse dans l'API."),
    405: _l("Cette méthode n'est pas permise sur cette adresse."),
    409: _l("Conflit avec ce qui est déjà enregistré : rien n'a été enregistré."),
    413: _l("Envoi trop volumineux : rien n'a été lu ni enregistré."),
    415: _l("Envoyez un corps JSON (Content-Type: application/json)."),
    422: _l("Saisie refusée : rien n'a été enregistré."),
    429: _l("Trop de requêtes avec ce jeton : réessayez dans un moment."),
    500: _l("Une erreur inattendue s'est produite ; rien n'a été enregistré."),
}
# Marshmallow's and webargs' field messages, in French (the rest is passed through).
FIELD_MESSAGES = {
    "Missing data for required field.": _l("Champ obligatoire."),
    "Not a valid integer.": _l("Nombre entier attendu."),
    "Not a valid string.": _l("Texte attendu."),
    "Not a valid UUID.": _l("Identifiant UUID attendu."),
    "Not a valid datetime.": _l("Date et heure ISO 8601 attendues."),
    "Not a valid date.": _l("Date AAAA-MM-JJ attendue."),
    "Not a valid mapping type.": _l("Objet JSON attendu."),
    "Unknown field.": _l("Champ inconnu."),
    "Field may not be null.": _l("Ce champ ne peut pas être vide (null)."),
    "Invalid input type.": _l("Type de valeur refusé."),
    "Not a valid aware datetime.": _l("Date et heure avec fuseau horaire attendues."),
    "Invalid JSON body.": _l("Corps JSON illisible (mal formé, tronqué ou pas en UTF-8)."),
    "Not a valid list.": _l("Liste JSON attendue."),
    "Not a valid number.": _l("Nombre attendu."),
    "Not a valid boolean.": _l("Booléen attendu (true ou false)."),
}
# marshmallow's Length messages, which carry their bounds (text: characters; a list: items).
LENGTH_MESSAGES = (
    (re.compile(r"Length must be between (\d+) and (\d+)\."),
     lambda low, high: _l("Longueur de %(low)s à %(high)s attendue.", low=low, high=high)),
    (re.compile(r"Longer than maximum length (\d+)\."),
     lambda high: _l("Trop long : %(high)s au plus.", high=high)),
    (re.compile(r"Shorter than minimum length (\d+)\."),
     lambda low: _l("Trop court : %(low)s au moins.", low=low)),
)


def french_message(message: str) -> str:
    """One marshmallow or webargs message in the person's language (unknown ones as they are)."""
    if message in FIELD_MESSAGES:
        return str(FIELD_MESSAGES[message])
    for pattern, french in LENGTH_MESSAGES:
        found = pattern.fullmatch(message)
        if found:
            return str(french(*found.groups()))
    return message


class ApiError(Exception):
    """A refusal the API answers as is: status, stable code, French message, field errors."""

    def __init__(self, status: int, message: object | None = None, code: str | None = None,
                 errors: dict | None = None) -> None:
        super().__init__(str(message or MESSAGES.get(status, "")))
        self.status = status
        self.code = code or CODES.get(status, "erreur")
        self.message = message or MESSAGES.get(status) or ""
        self.errors = errors
        self.crate_state: str | None = None  # a crate event's refusal: the crate's state now


def answer(status: int, code: str, message: object, errors: dict | None = None,
           crate_state: str | None = None) -> Response:
    body: dict[str, object] = {"code": code, "message": str(message)}
    if errors:
        body["errors"] = errors
    if crate_state:
        body["crate_state"] = crate_state
    response = jsonify(body)
    response.status_code = status
    return response


def french_fields(messages: object) -> object:
    """Webargs' nested {location: {field: [messages]}} with each known message translated."""
    if isinstance(messages, dict):
        return {key: french_fields(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [french_fields(value) for value in messages]
    if isinstance(messages, str):
        return french_message(messages)
    return messages


def on_api_error(error: ApiError) -> Response:
    db.session.rollback()
    return answer(error.status, error.code, error.message, error.errors, error.crate_state)


def on_http_error(error: HTTPException) -> Response:
    """werkzeug's aborts (and webargs' 422) as JSON; the body says which fields to fix."""
    db.session.rollback()
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = french_fields(data.get("messages")) if isinstance(data, dict) else None
    if status == 422 and errors:
        # webargs nests by location ("json", "query"): the client reads the fields directly
        flat: dict = {}
        for value in errors.values():
            if isinstance(value, dict):
                flat.update(value)
        errors = flat or errors
    own = error.description if status in (400, 404, 409, 413, 422) and error.description \
        and not error.description.startswith(("The ", "Not ", "A ", "Bad ")) else None
    response = answer(status, CODES.get(status, "erreur"), own or MESSAGES.get(status, gettext("Erreur")),
                      errors if isinstance(errors, dict) else None)
    for name in ("Retry-After", "Allow"):
        value = getattr(error, "get_headers", lambda: [])()
        for header, content in value:
            if header == name:
                response.headers[name] = content
    return response


def same_shape(response: Response) -> Response:
    """A refusal answered before the API's views (body too large, a NUL byte: the kernel's JSON
    {"error", "status"} or error page) in the API's shape {"code", "message"}."""
    status = response.status_code
    if status < 400 or response.mimetype not in ("application/json", "text/html"):
        return response
    body = response.get_json(silent=True) if response.mimetype == "application/json" else None
    html = response.mimetype == "text/html"  # a kernel error page: the API's own message instead
    if html or isinstance(body, dict) and set(body) == {"error", "status"}:
        message = MESSAGES.get(status, MESSAGES[400]) if html else body["error"]
        replaced = answer(status, CODES.get(status, "erreur"), message)
        for name in ("Retry-After", "Allow"):
            if name in response.headers:
                replaced.headers[name] = response.headers[name]
        return replaced
    return response
