"""Boucle package `notifications`: alerts by e-mail or signed webhook, queued after the ledger's
commit and sent by `flask bottles notify` (docs/notifications.md)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from notifications import models  # noqa: F401  (tables known to migrations)


def init_app(app: Flask) -> None:
    """Register the "Mes alertes" pages, the notify command and the ledger signal receiver."""
    from bottles import navigation
    from bottles.cli import group
    from notifications import dispatch, views
    from notifications.cli import notify_command
    from notifications.rules import ROLES

    app.register_blueprint(views.bp)
    if "notify" not in group.commands:
        group.add_command(notify_command)
    dispatch.connect()
    navigation.add_action(_l("Mes alertes"), "notifications.index", set(ROLES),
                          _l("E-mails et webhooks : caisses pleines, retards, stock, inventaires"))
