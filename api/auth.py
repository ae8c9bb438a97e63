"""Bearer tokens: every API request names its person by a personal token, never by a session cookie."""

from __future__ import annotations

import hashlib
import math
import time
from datetime import timedelta

from flask import current_app, g, request
from flask_babel import refresh
from flask_limiter import RequestLimit
from sqlalchemy import update

from api.errors import MESSAGES, ApiError, answer
from bottles.auth import OVERSEERS
from bottles.db import db
from bottles.models import User, utcnow
from bottles.people import tokens

DEFAULT_API_LIMIT = "300 per minute"
LAST_USED_STEP = timedelta(minutes=5)  # last_used_at is written at most this often per token


def bearer() -> str | None:
    """The token of "Authorization: Bearer <token>", or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def authenticate() -> None:
    """Before every API view: the token's live person in g.api_user, else a 401 (cookies ignored)."""
    secret = bearer()
    row = tokens.find(db.session, secret) if secret else None
    if row is None:
        raise ApiError(401)
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_STEP:
        db.session.execute(update(tokens.ApiToken).where(tokens.ApiToken.id == row.id)
                           .values(last_used_at=now))
        db.session.commit()  # its own short transaction, before the request's unit of work
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
    """Requests are counted per token (its digest), or per address without one."""
    secret = bearer()
    if secret:
        return "api-token:" + hashlib.sha256(secret.encode()).hexdigest()
    return "api-address:" + (request.remote_addr or "?")


def api_limit() -> str:
    return current_app.config.get("API_LIMIT") or DEFAULT_API_LIMIT


def too_many(limit: RequestLimit):
    """A JSON 429 with Retry-After (seconds until the window frees a request)."""
    wait = max(1, math.ceil(limit.reset_at - time.time()))
    response = answer(429, "trop_de_requetes", MESSAGES[429])
    response.headers["Retry-After"] = str(wait)
    return response
