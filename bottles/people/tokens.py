"""Personal API tokens: shown once, stored as a SHA-256 digest, carrying their person's role and sites.

A token is "bcl_" followed by 32 random bytes (URL-safe base64). Only its digest and its first
characters (to recognise it in a list) are kept; a lost token is revoked and a new one made.
The JSON API (package `api`) reads them; the person's page lists and revokes them.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, defaultload, mapped_column, relationship

from bottles.db import db
from bottles.models import UTC_DT, User, utcnow

PREFIX = "bcl_"
SHOWN = 12  # characters kept to recognise a token in a list ("bcl_" and 8 more)
MAX_NAME = 80
MAX_DAYS = 3650


class TokenError(ValueError):
    """A token request refused (name too long, expiry out of range): a French message."""


class ApiToken(db.Model):
    """One personal token; `revoked_at` and `expires_at` end it, never a deletion."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTC_DT)
    last_used_at: Mapped[datetime | None] = mapped_column(UTC_DT)
    revoked_at: Mapped[datetime | None] = mapped_column(UTC_DT)
    user: Mapped[User] = relationship(lazy="joined")

    def live(self, now: datetime) -> bool:
        """Not revoked, not expired, its person still active."""
        return (self.revoked_at is None and (self.expires_at is None or now < self.expires_at)
                and self.user is not None and self.user.active)


@dataclass(frozen=True)
class Issued:
    row: ApiToken
    secret: str  # the whole token: shown once, never stored


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(session: Session, user: User, *, name: str = "", days: int | None = None,
           now: datetime | None = None) -> Issued:
    """A new token for `user` (flushed, not committed); `days` of validity, or none for no end."""
    name = (name or "").strip()
    if len(name) > MAX_NAME:
        raise TokenError(_l("Le nom du jeton dépasse %(n)s caractères.", n=MAX_NAME))
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise TokenError(_l("La durée de validité va de 1 à %(n)s jours.", n=MAX_DAYS))
    now = now or utcnow()
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=digest(secret), prefix=secret[:SHOWN],
                   created_at=now, expires_at=now + timedelta(days=days) if days else None)
    row.user = user
    session.add(row)
    session.flush()
    return Issued(row, secret)


def find(session: Session, secret: str, now: datetime | None = None) -> ApiToken | None:
    """The live token this secret is, or None (unknown, revoked, expired, person deactivated)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret))  # its person,
                         .options(defaultload(ApiToken.user).lazyload("*")))  # not their sites yet
    return row if row is not None and row.live(now or utcnow()) else None


def of(session: Session, user: User) -> list[ApiToken]:
    """The person's tokens, newest first, revoked ones included (the page shows their end)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke(session: Session, user: User, token_id: int, now: datetime | None = None) -> bool:
    """End one of the person's own tokens; False when it is not theirs (or does not exist)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return False
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
    session.flush()
    return True
