"""Configuration from the environment, with safe defaults for a laptop."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one kept in instance/ so sessions survive restarts."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        instance_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance_path / 'boucle.db'}"
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _remember_days() -> int:
    """REMEMBER_DAYS (30 by default): how many days a sign-in may last, remembered or not."""
    raw = os.environ.get("REMEMBER_DAYS", "30").strip()
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 400):
        raise RuntimeError(f"REMEMBER_DAYS={raw!r} : un nombre de jours entre 1 et 400 est attendu.")
    return int(raw)


def _field_time_past_days() -> int:
    """FIELD_TIME_PAST_DAYS (7 by default): how old a phone's field time may be, 1 to 60 days."""
    raw = os.environ.get("FIELD_TIME_PAST_DAYS", "7").strip()
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 60):
        raise RuntimeError(f"FIELD_TIME_PAST_DAYS={raw!r} : un nombre de jours entre 1 et 60 est attendu.")
    return int(raw)


def _mail_port() -> int:
    """MAIL_PORT (25 by default; 587 for STARTTLS submission): the SMTP server's port."""
    raw = os.environ.get("MAIL_PORT", "25").strip() or "25"
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 65535):
        raise RuntimeError(f"MAIL_PORT={raw!r} : un numéro de port entre 1 et 65535 est attendu.")
    return int(raw)


def load(instance_path: Path) -> dict:
    from datetime import timedelta

    remember_days = _remember_days()
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "CHANNEL_NAME": os.environ.get("CHANNEL_NAME", "Boucle — réemploi des bouteilles du Jura"),
        "CRATE_PREFIX": os.environ.get("CRATE_PREFIX", "CJ"),
        # EPCIS export (docs/epcis.md): crates as GS1 GRAIs when the cooperative has a prefix.
        "GS1_COMPANY_PREFIX": os.environ.get("GS1_COMPANY_PREFIX", "").strip(),
        "GS1_CRATE_ASSET_TYPE": os.environ.get("GS1_CRATE_ASSET_TYPE", "0").strip(),
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "LANGUAGES": ["fr", "en"],
        # No sign-in outlives REMEMBER_DAYS, checked server-side too (bottles.auth).
        "REMEMBER_DAYS": remember_days,
        # An offline queue's field times may be this many days old; older needs a coordinator.
        "FIELD_TIME_PAST_DAYS": _field_time_past_days(),
        "REMEMBER_COOKIE_DURATION": timedelta(days=remember_days),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("BASE_URL", "").startswith("https://"),
        "REMEMBER_COOKIE_SECURE": os.environ.get("BASE_URL", "").startswith("https://"),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,  # seconds: a form left open overnight must be reloaded
        "MAX_CONTENT_LENGTH": 64 * 1024,  # forms; bigger bodies per route (bottles/body_limits.py)
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        "MAX_FORM_PARTS": 500,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        # Alert e-mails (notifications, `flask bottles notify`): the SMTP server that relays them.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "").strip(),
        "MAIL_PORT": _mail_port(),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "").strip().lower() in ("1", "true", "yes", "on"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "").strip() or "boucle@localhost",
    }
