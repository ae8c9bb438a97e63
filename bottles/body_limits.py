"""Request bodies bounded per route: a larger body is refused with 413 before anything parses it.

Every route accepts MAX_CONTENT_LENGTH bytes (a few kB: forms) and MAX_FORM_PARTS fields unless
its view is marked with `accepts_body(n)` (the CSV and spreadsheet uploads, the distance matrix). The
check runs first of all before_request hooks, so neither CSRF nor a login reads a refused body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request
from flask_babel import gettext as _

KB = 1024
MB = 1024 * KB
FORM_BYTES = 64 * KB  # the default for every route: far above the largest form a person types
FORM_FIELDS = 500  # fields in one form (urlencoded or multipart)
URLENCODED = "application/x-www-form-urlencoded"

View = TypeVar("View", bound=Callable)


def accepts_body(max_bytes: int) -> Callable[[View], View]:
    """Mark a view as accepting bodies up to max_bytes instead of the form default."""

    def mark(view: View) -> View:
        view.max_body_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


def route_limit() -> int:
    """The body size the requested route accepts, in bytes."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "max_body_bytes", current_app.config["MAX_CONTENT_LENGTH"])


def shown_size(size: int) -> str:
    """A byte count as a person reads it: "64 ko", "5 Mo"."""
    if size >= MB:
        return _("%(n)s Mo", n=size // MB)
    return _("%(n)s ko", n=max(1, size // KB))


def too_large(limit: int):
    """The short 413 answer: a French page, or JSON for the scan stations."""
    from bottles.errors import error_page

    return error_page(413, _("Envoi trop volumineux (%(size)s au plus) : rien n'a été lu ni "
                             "enregistré.", size=shown_size(limit)))


def too_many_fields(body: bytes, max_fields: int) -> bool:
    """Whether an urlencoded body holds more fields than max_fields (counted, not parsed)."""
    return body.count(b"&") + 1 > max_fields


def refuse_big_bodies():
    """Before anything reads the body: 413 when it is larger than the route accepts."""
    limit = route_limit()
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        return too_large(limit)
    max_fields = current_app.config["MAX_FORM_PARTS"]
    if request.mimetype == URLENCODED and too_many_fields(request.get_data(cache=True), max_fields):
        return too_many_fields_answer(max_fields)
    return None


def too_many_fields_answer(max_fields: int):
    """The 413 answer to a form with more fields than any page has."""
    from bottles.errors import error_page

    return error_page(413, _("Formulaire de plus de %(n)s champs : rien n'a été enregistré.",
                             n=max_fields))


def init_app(app: Flask) -> None:
    """Run the check before every other before_request hook (CSRF reads the form)."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_big_bodies)
