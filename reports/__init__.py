"""Boucle package `reports` (see DESIGN.md §4)."""

from __future__ import annotations

from flask import Flask

from reports import models  # noqa: F401  (tables known to migrations)


def init_app(app: Flask) -> None:
    """Register this package's pages, commands and hooks on the app."""
    from reports import cli

    app.cli.add_command(cli.group)
