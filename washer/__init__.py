"""Boucle package `washer` (see DESIGN.md §4)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this package's pages, commands and hooks on the app."""
