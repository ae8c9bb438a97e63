"""People: sign-in, roles and the sites each person may see."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from flask import abort
from flask_babel import gettext
from flask_login import LoginManager, current_user
from werkzeug.security import check_password_hash, generate_password_hash

from bottles.db import db
from bottles.models import User

ROLES = ("point", "driver", "washer", "coordinator", "admin")
ROLE_LABELS = {
    "point": "point de collecte", "driver": "chauffeur", "washer": "centre de lavage",
    "coordinator": "coordination", "admin": "administration",
}
OVERSEERS = frozenset({"coordinator", "admin"})
MIN_PASSWORD = 8

login_manager = LoginManager()
login_manager.login_view = "bottles.login"
login_manager.login_message = "Connectez-vous pour continuer."
login_manager.login_message_category = "info"
login_manager.localize_callback = gettext  # the sign-in prompt in the person's language
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


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
                from flask import current_app

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
