"""Boucle package `notifications`: alerts by e-mail or signed webhook, sent after the commit by
`flask bottles notify` (docs/notifications.md)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the tables, the signal handlers, the command and the "Mes alertes" pages."""
    from notifications import models  # noqa: F401  (the tables, for migrations and create_all)
