"""Failed sign-ins are throttled per account and per address (Flask-Limiter)."""

from __future__ import annotations

import math
import os
import time

from flask import Flask, Response, current_app, flash, g, make_response, render_template, request
from flask_babel import gettext, ngettext
from flask_limiter import Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded

from bottles.errors import error_page
from bottles.forms import LoginForm

DEFAULT_LOGIN_LIMIT = "10 per minute"

# Storage comes from RATELIMIT_STORAGE_URI (memory:// by default: counters per worker process);
# an unreachable shared storage (redis://…) falls back to memory rather than refusing sign-ins.
limiter = Limiter(key_func=lambda: request.remote_addr or "?", in_memory_fallback_enabled=True)


def _login_limit() -> str:
    """The failed-sign-in limit, e.g. "10 per minute" (setting LOGIN_LIMIT)."""
    return current_app.config.get("LOGIN_LIMIT") or DEFAULT_LOGIN_LIMIT


def _address_key() -> str:
    """The client's address (behind a reverse proxy, ProxyFix makes it the real one)."""
    return "address:" + (request.remote_addr or "?")


def _account_key() -> str:
    """The username as typed, without case or surrounding spaces: known or not, counted alike."""
    return "account:" + request.form.get("username", "").strip().lower()[:64]


def _failed(response: Response) -> bool:
    """Only refused credentials count (401); a sign-in, or a form refused for a missing field, does not."""
    return response.status_code == 401


def wait_text(seconds: int) -> str:
    """How long to wait, in seconds up to 90 s, in minutes beyond."""
    if seconds <= 90:
        return ngettext("%(num)d seconde", "%(num)d secondes", seconds)
    minutes = math.ceil(seconds / 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def _refuse_sign_in(limit: RequestLimit) -> Response:
    """The sign-in page again, status 429, saying how long to wait (also in Retry-After)."""
    wait = min(max(1, limit.reset_at - int(time.time())), limit.limit.get_expiry())
    flash(gettext("Trop de tentatives de connexion : réessayez dans %(wait)s.", wait=wait_text(wait)),
          "error")
    response = make_response(render_template("bottles/login.html", form=LoginForm()), 429)
    response.headers["Retry-After"] = str(wait)
    return response


def _too_many(error: RateLimitExceeded):
    """The page built when the limit was hit, or a plain French 429 page."""
    if error.response is not None:
        return error.response
    return error_page(429, gettext("Trop de requêtes : réessayez dans un moment."))


per_account = limiter.limit(_login_limit, key_func=_account_key, methods=["POST"],
                            deduct_when=_failed, on_breach=_refuse_sign_in, scope="login-account")
per_address = limiter.limit(_login_limit, key_func=_address_key, methods=["POST"],
                            deduct_when=_failed, on_breach=_refuse_sign_in, scope="login-address")


def _own_account_key() -> str:
    """The signed-in account: guessing its current password is counted like a failed sign-in."""
    from flask_login import current_user

    return f"own-password:{current_user.id if current_user.is_authenticated else '?'}"


def _wrong_current_password(_response: Response) -> bool:
    """Only a wrong current password counts, not a new password refused for its length."""
    return bool(g.get("wrong_current_password"))


def _refuse_password_change(limit: RequestLimit) -> Response:
    """A French 429 saying how long to wait (also in Retry-After)."""
    wait = min(max(1, limit.reset_at - int(time.time())), limit.limit.get_expiry())
    response = make_response(error_page(429, gettext(
        "Trop d'essais du mot de passe actuel : réessayez dans %(wait)s.", wait=wait_text(wait))))
    response.headers["Retry-After"] = str(wait)
    return response


own_password = limiter.limit(_login_limit, key_func=_own_account_key, methods=["POST"],
                             deduct_when=_wrong_current_password, on_breach=_refuse_password_change,
                             scope="own-password")


def init_app(app: Flask) -> None:
    """Settings from the environment; counters start empty per app; 429s keep the page built for them."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", os.environ.get("RATELIMIT_STORAGE_URI", "memory://"))
    app.config.setdefault("LOGIN_LIMIT", os.environ.get("LOGIN_LIMIT", DEFAULT_LOGIN_LIMIT))
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many)
