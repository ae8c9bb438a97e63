"""`flask bottles notify`: queue the condition alerts and send what is due (registered on the
kernel's group; run every minute by cron or a systemd timer, docs/notifications.md)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from notifications.dispatch import run


@click.command("notify")
@with_appcontext
def notify_command() -> None:
    """Alertes : enlèvements en retard et stock ancien, puis envoi des e-mails et webhooks dus."""
    outcome = run()
    click.echo(f"alertes : {outcome.queued} mises en file, {outcome.sent} envoyées, "
               f"{outcome.retried} à réessayer, {outcome.failed} en échec")
