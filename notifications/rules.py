"""Pure rules of the alerts: topics, who may choose them, targets, signatures, retry delays."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from datetime import date, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from bottles.rules import PARIS


class Topic(StrEnum):
    CRATE_FULL = "crate_full"
    PICKUP_LATE = "pickup_late"
    STOCK_OLD = "stock_old"
    STOCKTAKE_GAP = "stocktake_gap"


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


TOPIC_LABELS: dict[Topic, LazyString] = {
    Topic.CRATE_FULL: _l("Une caisse déclarée pleine à un point"),
    Topic.PICKUP_LATE: _l("Un enlèvement en retard (plus de N jours)"),
    Topic.STOCK_OLD: _l("Du stock propre lavé il y a plus de 30 jours"),
    Topic.STOCKTAKE_GAP: _l("Un écart d'inventaire au centre de lavage"),
}
CHANNEL_LABELS: dict[Channel, LazyString] = {
    Channel.EMAIL: _l("E-mail"),
    Channel.WEBHOOK: _l("Webhook (HTTPS, JSON signé)"),
}
STATUS_LABELS: dict[str, LazyString] = {
    "pending": _l("en attente"), "sending": _l("envoi en cours"), "sent": _l("envoyée"),
    "failed": _l("échec"),
}
# Errors Boucle itself records (a channel's own error is kept as the server said it).
REMOVED, INTERRUPTED, NO_MAIL_SERVER = "removed", "interrupted", "no_mail_server"
ERROR_LABELS: dict[str, LazyString] = {
    REMOVED: _l("alerte supprimée avant l'envoi"),
    INTERRUPTED: _l("envoi interrompu : pas renvoyé, pour ne pas l'envoyer deux fois"),
    NO_MAIL_SERVER: _l("aucun serveur d'e-mail configuré (MAIL_SERVER)"),
}
# Drivers are told about what their rounds fix; the washer's stock is the coordination's business.
TOPICS_BY_ROLE: dict[str, tuple[Topic, ...]] = {
    "driver": (Topic.CRATE_FULL, Topic.PICKUP_LATE),
    "coordinator": tuple(Topic),
    "admin": tuple(Topic),
}
ROLES = tuple(TOPICS_BY_ROLE)
# Topics about a collection point: a subscription may name one point, or none for every point.
POINT_TOPICS = frozenset({Topic.CRATE_FULL, Topic.PICKUP_LATE})

DEFAULT_LATE_DAYS = 3
MAX_LATE_DAYS = 365  # the table's check constraint says the same
STALE_DAYS = 30      # washer.rules.HYGIENE_DAYS: refill within 30 days of washing
# Retry delays after the 1st, 2nd, 3rd and 4th failed attempt; the 5th failure is final.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A delivery claimed this long ago and never finished: its sender died mid-way. It is not sent
# again (it may have gone out): it is marked failed.
STUCK_AFTER = timedelta(minutes=15)
# An event older than this when it is committed (a journal import of past months) alerts nobody.
FRESH_FOR = timedelta(days=1)
SEND_TIMEOUT_S = 10
MAX_TARGET = 500
LOG_ROWS = 50

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


class SubscriptionError(ValueError):
    """A refused field of the alert form: its French message and the field it belongs to."""

    def __init__(self, message: LazyString | str, field: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


def topics_for(role: str) -> tuple[Topic, ...]:
    return TOPICS_BY_ROLE.get(role, ())


def parse_email(raw: str) -> str:
    text = raw.strip()
    if not text:
        raise SubscriptionError(_l("Donnez l'adresse e-mail à prévenir."), "target")
    if len(text) > 254 or not EMAIL.match(text):
        raise SubscriptionError(_l("« %(typed)s » n'est pas une adresse e-mail valable.",
                                   typed=text[:80]), "target")
    return text


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def internal_address(address: str) -> bool:
    """Not a public Internet address: private, loopback, link-local (cloud metadata), reserved."""
    try:
        return not ipaddress.ip_address(address.split("%", 1)[0]).is_global
    except ValueError:
        return False


def parse_webhook_url(raw: str, production: bool) -> str:
    """An https:// URL; http:// only to this machine and outside production (tests, a laptop)."""
    text = raw.strip()
    if not text:
        raise SubscriptionError(_l("Donnez l'adresse (URL) du webhook."), "target")
    if len(text) > MAX_TARGET or any(c.isspace() for c in text):
        raise SubscriptionError(_l("Adresse de webhook illisible."), "target")
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError:
        raise SubscriptionError(_l("Adresse de webhook illisible."), "target") from None
    if not host or parts.username or parts.password:
        raise SubscriptionError(_l("Adresse de webhook illisible."), "target")
    if production and internal_address(host):  # the server must not be turned on its own network
        raise SubscriptionError(_l("Le webhook doit viser une adresse publique d'Internet, pas le "
                                   "réseau interne."), "target")
    if parts.scheme == "https":
        return text
    if parts.scheme == "http" and not production and _loopback(host):
        return text
    raise SubscriptionError(_l("Le webhook doit être une adresse https:// (chiffrée)."), "target")


def parse_threshold(raw: str | None) -> int:
    """Days a full crate may wait before its pickup is late (1 to 365; 3 when left empty)."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT_LATE_DAYS
    if not (text.isascii() and text.isdigit()) or len(text) > 3 or not 1 <= int(text) <= MAX_LATE_DAYS:
        raise SubscriptionError(_l("Le délai doit être un nombre entier de jours entre 1 et %(max)s.",
                                   max=MAX_LATE_DAYS), "threshold_days")
    return int(text)


def paris_day(at: datetime) -> date:
    return at.astimezone(PARIS).date()


def event_key(topic: Topic, event_id: object) -> str:
    """One delivery per subscription and ledger event, however often the event is announced."""
    return f"{topic.value}:{event_id}"


def condition_key(topic: Topic, subject_id: int, day: date) -> str:
    """One delivery per subscription, condition and Paris day: a late point is told once a day."""
    return f"{topic.value}:{subject_id}:{day.isoformat()}"


def body_bytes(payload: dict) -> bytes:
    """The webhook's JSON body, exactly the bytes that are signed."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """The X-Boucle-Signature header: sha256=<hex HMAC-SHA256 of the body with the secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def next_attempt(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts, or None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + BACKOFF[attempts - 1]
