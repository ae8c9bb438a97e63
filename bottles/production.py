"""Production mode (BOUCLE_ENV=production): refuse to start without a real SECRET_KEY and BASE_URL,
and trust the reverse proxy's X-Forwarded-* headers (PROXY_HOPS proxies, 1 by default there).

Outside production nothing is required: a laptop gets a generated key and a loopback BASE_URL.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import click
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

MIN_SECRET_KEY = 32  # characters: `secrets.token_hex(32)` gives 64
# Keys seen in examples, tests and tutorials: whoever reads them could sign a session cookie.
KNOWN_DEV_KEYS = frozenset({
    "dev", "development", "test", "test-secret", "testing", "secret", "secret-key", "secret_key",
    "changeme", "change-me", "change_me", "please-change-me", "boucle", "flask", "default", "key",
})
MAX_PROXY_HOPS = 5


class StartupRefused(click.ClickException, RuntimeError):
    """The app must not start as configured; the message names each variable to set.

    Both gunicorn (a RuntimeError at start) and `flask …` (a ClickException, even while loading
    the app) print it as "Error: …" and exit 1, without a traceback.
    """


def is_production(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("BOUCLE_ENV", "").strip().lower() == "production"


def _loopback(host: str) -> bool:
    """localhost, 127.x, ::1, 0.0.0.0: an address no phone or other computer can open."""
    host = host.lower()
    if host in ("", "localhost") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def secret_key_problem(key: str) -> str | None:
    """Why this SECRET_KEY is not fit for production, or None."""
    if not key:
        return ("SECRET_KEY n'est pas défini : générez-en un avec "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`")
    if key.strip().lower() in KNOWN_DEV_KEYS or len(set(key)) < 8:
        return "SECRET_KEY est une valeur d'exemple ou de test : générez-en une aléatoire"
    if len(key) < MIN_SECRET_KEY:
        return f"SECRET_KEY est trop court ({len(key)} caractères, {MIN_SECRET_KEY} au moins)"
    return None


def base_url_problem(url: str) -> str | None:
    """Why this BASE_URL is not fit for production (unset, not https, loopback), or None."""
    if not url:
        return "BASE_URL n'est pas défini : l'adresse publique du site, par exemple https://boucle.example.org"
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return (f"BASE_URL « {url} » n'est pas une adresse https:// : en production le site est servi "
                "en HTTPS derrière le proxy (cookies sécurisés, HSTS)")
    if _loopback(parts.hostname):
        return (f"BASE_URL « {url} » est une adresse locale : les QR codes des étiquettes ne "
                "s'ouvriraient sur aucun téléphone")
    return None


def proxy_hops(environ: Mapping[str, str] = os.environ) -> int:
    """How many reverse proxies to trust (PROXY_HOPS): 1 in production, 0 elsewhere by default."""
    raw = environ.get("PROXY_HOPS", "").strip()
    if not raw:
        return 1 if is_production(environ) else 0
    if not raw.isdigit() or int(raw) > MAX_PROXY_HOPS:
        raise StartupRefused(f"PROXY_HOPS « {raw} » : un nombre de proxys de 0 à {MAX_PROXY_HOPS}.")
    return int(raw)


def startup_problems(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Each reason not to start in production (none outside production)."""
    if not is_production(environ):
        return []
    problems = [secret_key_problem(environ.get("SECRET_KEY", "")),
                base_url_problem(environ.get("BASE_URL", "").strip().rstrip("/"))]
    try:
        proxy_hops(environ)
    except StartupRefused as error:
        problems.append(str(error).rstrip("."))
    return [problem for problem in problems if problem]


def refuse_unsafe_start(environ: Mapping[str, str] = os.environ) -> None:
    """Raise StartupRefused listing every problem (gunicorn prints it and exits 1)."""
    problems = startup_problems(environ)
    if problems:
        raise StartupRefused("Boucle ne démarre pas en production (BOUCLE_ENV=production) :\n"
                             + "\n".join(f"  - {problem}." for problem in problems))


def init_app(app: Flask) -> None:
    """Trust PROXY_HOPS proxies for the client address, scheme and host (werkzeug's ProxyFix)."""
    hops = app.config.setdefault("PROXY_HOPS", proxy_hops())
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

