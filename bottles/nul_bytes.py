"""Text holding a NUL character (\\x00) is refused with 400 before any view reads it.

PostgreSQL cannot store or even compare a NUL in text (SQLite can): without this check the same
form would work on one database and fail with 500 on the other. No page asks for one, so it is
refused everywhere the same way: the path, the query string, the form (names and values, file
names), and every string of a JSON body. A JSON body nested too deep to read is refused too.
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import gettext as _

NUL = "\x00"
MAX_JSON_DEPTH = 64  # the scan stations send two levels


def _json_strings(value: object) -> tuple[list[str], int]:
    """Every key and string of a parsed JSON body, and how deep it nests (walked without recursion)."""
    strings: list[str] = []
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, str):
            strings.append(item)
        elif isinstance(item, dict):
            strings.extend(key for key in item if isinstance(key, str))
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return strings, deepest


def _form_texts() -> list[str]:
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        texts += [*request.form.keys(), *request.form.values()]
        texts += [upload.filename or "" for upload in request.files.values()]
    return texts


def refuse_nul_bytes():
    """400 with a French message when any text the request carries holds a NUL character."""
    from bottles.errors import error_page

    texts = _form_texts()
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:
            return error_page(400, _("Contenu JSON illisible (trop imbriqué) : rien n'a été "
                                     "enregistré."))
        strings, depth = _json_strings(body)
        if depth > MAX_JSON_DEPTH:
            return error_page(400, _("Contenu JSON illisible (trop imbriqué) : rien n'a été "
                                     "enregistré."))
        texts += strings
    if any(NUL in text for text in texts):
        return error_page(400, _("Un texte envoyé contient un caractère nul (NUL), que Boucle "
                                 "n'enregistre pas : rien n'a été enregistré. Retapez la saisie."))
    return None


def init_app(app: Flask) -> None:
    """Right after the body size check (bottles.body_limits), before CSRF and sign-in read the form."""
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(1 if hooks else 0, refuse_nul_bytes)
