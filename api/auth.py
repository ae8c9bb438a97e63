"""Who calls the API: a personal bearer token (programs), or the browser's session cookie with its
CSRF token (Boucle's own pages: the scan stations and the phone's queue, bottles/static/)."""

from __future__ import annotations

import hashlib
import math
import time
from datetime import timedelta

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_limiter import RequestLimit
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy import update
from wtforms import ValidationError

from api.errors import MESSAGES, ApiError, answer
from bottles.auth import OVERSEERS
from bottles.db import begin_write, db, sqlite_begin_mode
from bottles.models import User, utcnow
from bottles.people import tokens

DEFAULT_API_LIMIT = "300 per minute"
LAST_USED_STEP = timedelta(minutes=5)  # last_used_at is written at most this often per token


def bearer() -> str | None:
    """The token of "Authorization: Bearer <token>", or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


CSRF_REFUSED = _l("Jeton de sécurité (CSRF) manquant ou expiré : rechargez la page ; rien n'a été "
                  "enregistré.")


def from_session() -> User | None:
    """The person signed in on this browser, when the request carries their CSRF token (header
    X-CSRFToken, as the pages' scripts send it): without it, another site could make a signed-in
    browser write. None: nobody signed in (then a 401). Every method is checked, reads included."""
    if not current_user.is_authenticated:
        return None
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
        except ValidationError:
            raise ApiError(400, CSRF_REFUSED, "jeton_csrf_invalide") from None
    return current_user._get_current_object()


def authenticate() -> None:
    """Before every API view: the token's live person in g.api_user (a bearer token: no cookie read,
    no CSRF needed), else the session's person with the page's CSRF token, else a 401."""
    secret = bearer()
    if not secret:
        person = from_session()
        if person is None:
            raise ApiError(401)
        g.api_user, g.api_token_id = person, None
        return
    row = tokens.find(db.session, secret)
    if row is None:
        raise ApiError(401)
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_STEP:
        mode = sqlite_begin_mode.get()
        begin_write(db.session)  # a write of its own (SQLite: never a read transaction upgraded)
        db.session.execute(update(tokens.ApiToken).where(tokens.ApiToken.id == row.id)
                           .values(last_used_at=now))
        db.session.commit()  # its own short transaction, before the request's unit of work
        sqlite_begin_mode.set(mode)
    g.api_user = db.session.get(User, row.user_id)
    g.api_token_id = row.id
    g.person_language = g.api_user.language  # messages in the person's language (bottles.i18n)
    refresh()


def user() -> User:
    return g.api_user


def allow(*roles: str) -> User:
    """The token's person if their role is one of `roles` (coordinators and admins always), else 403."""
    person = user()
    if person.role not in roles and person.role not in OVERSEERS:
        raise ApiError(403)
    return person


def limit_key() -> str:
    """Requests are counted per token (its digest), per person signed in (a session), or per address."""
    secret = bearer()
    if secret:
        return "api-token:" + hashlib.sha256(secret.encode()).hexdigest()
    if current_user.is_authenticated:
        return f"api-person:{current_user.id}"
    return "api-address:" + (request.remote_addr or "?")


def api_limit() -> str:
    return current_app.config.get("API_LIMIT") or DEFAULT_API_LIMIT


def too_many(limit: RequestLimit):
    """A JSON 429 with Retry-After (seconds until the window frees a request)."""
    wait = max(1, math.ceil(limit.reset_at - time.time()))
    response = answer(429, "trop_de_requetes", MESSAGES[429])
    response.headers["Retry-After"] = str(wait)
    return response
