"""People: sign-in, roles and the sites each person may see."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import LoginManager, current_user, login_user
from flask_login.config import COOKIE_NAME
from sqlalchemy.orm import lazyload
from werkzeug.security import check_password_hash, generate_password_hash

from bottles.db import db
from bottles.models import User
from bottles.numbers import SEQ_MAX, ascii_digits, bounded, parse_id

ROLES = ("point", "driver", "washer", "winemaker", "coordinator", "admin")
ROLE_LABELS = {
    "point": "point de collecte", "driver": "chauffeur", "washer": "centre de lavage",
    "winemaker": "vigneron", "coordinator": "coordination", "admin": "administration",
}
OVERSEERS = frozenset({"coordinator", "admin"})
MIN_PASSWORD = 8

login_manager = LoginManager()
login_manager.login_view = "bottles.login"
login_manager.login_message = "Connectez-vous pour continuer."
login_manager.login_message_category = "info"
login_manager.localize_callback = gettext  # the sign-in prompt in the person's language
login_manager.session_protection = "basic"


REMEMBER_DAYS = 30  # default of the REMEMBER_DAYS setting: no sign-in outlives it
CLOCK_SKEW = 300  # seconds a sign-in time may lie ahead (several app servers' clocks)
# Open to a person who must change their password first: that page, signing out, static files.
OPEN_BEFORE_CHANGE = frozenset({"account.password", "bottles.logout", "static", "switch_language"})


def now() -> int:
    """Epoch seconds (one place for tests to move the clock)."""
    return int(time.time())


def max_sign_in_age() -> int:
    """Seconds a sign-in lasts server-side, remembered or not, whatever the browser keeps."""
    return int(current_app.config.get("REMEMBER_DAYS", REMEMBER_DAYS)) * 86400


def _whole(text: str) -> int | None:
    digits = ascii_digits(text)
    return bounded(digits, SEQ_MAX) if digits else None


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The account of a sign-in "id:session version:signed-in time", or None when it has ended:
    account deactivated, version bumped (sign-out, password changed or reset) or too old."""
    parts = user_id.split(":")
    if len(parts) != 3:
        return None  # includes the bare ids of sign-ins made before session versions
    account, version, signed_in_at = parse_id(parts[0]), _whole(parts[1]), _whole(parts[2])
    if account is None or version is None or signed_in_at is None:
        return None
    if not -CLOCK_SKEW <= now() - signed_in_at <= max_sign_in_age():
        return None
    # One query: the account's row only. Its points and washers (and any other relation) load
    # when a page reads them (a point's or a washer's staff), not on every request of a driver.
    user = db.session.get(User, account, options=[lazyload("*")])
    if user is None or not user.active or user.session_version != version:
        return None
    user.signed_in_at = signed_in_at
    return user


def is_remembered() -> bool:
    """Whether this browser holds a remember-me cookie (kept when the sign-in is renewed)."""
    return current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies


def sign_in(user: User, remember: bool) -> None:
    """Start a sign-in now (the password was just typed): a new session and, if asked, a
    remember-me cookie, both ending when the account's session version moves."""
    user.signed_in_at = now()
    login_user(user, remember=remember)


def end_sessions(user: User) -> None:
    """Every sign-in of the account ends, on every device (a SQL increment: no lost bump)."""
    user.session_version = User.session_version + 1


def password_change_first():
    """Before every request: an account whose password an admin chose goes to the change page."""
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if request.endpoint is None or request.endpoint in OPEN_BEFORE_CHANGE \
            or request.endpoint.endswith(".static"):
        return None
    message = gettext("Choisissez votre propre mot de passe avant de continuer.")
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return {"error": message, "status": 403}, 403  # the scan station's fetch() says it
    flash(message, "info")
    return redirect(url_for("account.password"))


def hash_password(password: str) -> str:
    """scrypt, Werkzeug's default: memory-hard and salted."""
    return generate_password_hash(password)


@cache
def dummy_hash() -> str:
    """A hash of no one's password, made once: an unknown username runs the same one scrypt."""
    return hash_password(secrets.token_hex(16))


def password_matches(user: User | None, password: str) -> bool:
    """One scrypt whether the account exists or not, so timing does not reveal usernames."""
    if user is None or not user.password_hash:
        check_password_hash(dummy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


def role_required(*roles: str) -> Callable:
    """Let in only people with one of `roles` (admins and coordinators oversee everything)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.role not in roles and current_user.role not in OVERSEERS:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def sees_everything(user: User) -> bool:
    return user.role in OVERSEERS


def point_ids(user: User) -> set[int] | None:
    """Collection points the person may see; None means all of them."""
    if sees_everything(user) or user.role == "driver":
        return None
    return {p.id for p in user.collection_points}


def washer_ids(user: User) -> set[int] | None:
    """Washers the person may see; None means all of them."""
    if sees_everything(user) or user.role == "driver":
        return None
    return {w.id for w in user.washers}


def may_see_point(user: User, point_id: int | None) -> bool:
    allowed = point_ids(user)
    return allowed is None or point_id in allowed


def may_see_washer(user: User, washer_id: int | None) -> bool:
    allowed = washer_ids(user)
    return allowed is None or washer_id in allowed
