"""Writes on people: flush, never commit; the last active admin and oneself are protected."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bottles.auth import end_sessions, hash_password
from bottles.models import CollectionPoint, User, Washer


class PeopleError(ValueError):
    """A change refused on purpose; the message is for the admin (French)."""


def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.active.is_(True), User.id != user.id)) or 0


def _attach(session: Session, user: User, point_ids: list[int], washer_ids: list[int]) -> None:
    user.collection_points = list(session.scalars(
        select(CollectionPoint).where(CollectionPoint.id.in_(point_ids)))) if point_ids else []
    user.washers = list(session.scalars(select(Washer).where(Washer.id.in_(washer_ids)))) \
        if washer_ids else []


def create_user(session: Session, data: dict) -> User:
    user = User(username=data["username"].strip(), display_name=data["display_name"].strip(),
                role=data["role"], phone=(data.get("phone") or "").strip(),
                language=data.get("language") or "fr", active=True,
                password_hash=hash_password(data["password"]), must_change_password=True)
    _attach(session, user, data.get("points") or [], data.get("washers") or [])
    user.winemaker_id = data.get("winemaker_id") if user.role == "winemaker" else None
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, actor: User, user: User, data: dict) -> None:
    if user.role == "admin" and data["role"] != "admin":
        if user.id == actor.id:
            raise PeopleError("Vous ne pouvez pas retirer votre propre rôle d'administration.")
        if user.active and _other_active_admins(session, user) == 0:
            raise PeopleError("C'est le dernier compte d'administration actif : il garde ce rôle.")
    user.username = data["username"].strip()
    user.display_name = data["display_name"].strip()
    user.role = data["role"]
    user.phone = (data.get("phone") or "").strip()
    user.language = data.get("language") or "fr"
    _attach(session, user, data.get("points") or [], data.get("washers") or [])
    user.winemaker_id = data.get("winemaker_id") if user.role == "winemaker" else None
    session.flush()


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    if not active:
        if user.id == actor.id:
            raise PeopleError("Vous ne pouvez pas désactiver votre propre compte.")
        if user.role == "admin" and user.active and _other_active_admins(session, user) == 0:
            raise PeopleError("C'est le dernier compte d'administration actif : il reste actif.")
    if not active:
        end_sessions(user)
    user.active = active
    session.flush()


def reset_password(session: Session, user: User, password: str) -> None:
    """An admin's new password: every sign-in of the account ends; the person picks their own
    at the next sign-in."""
    user.password_hash = hash_password(password)
    user.must_change_password = True
    end_sessions(user)
    session.flush()


def change_own_password(session: Session, user: User, password: str) -> None:
    """The person's own new password: their other sign-ins end (the caller signs this one in
    again)."""
    user.password_hash = hash_password(password)
    user.must_change_password = False
    end_sessions(user)
    session.flush()


def sign_out_everywhere(session: Session, user: User) -> None:
    """Signing out ends every sign-in of the account, on every device."""
    end_sessions(user)
    session.flush()
