"""Boucle package `resales`: clean bottles sold to winemakers, delivery notes, winemaker pages
(docs/architecture.md)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Register this package's pages and its link on the home pages and menu."""
    from bottles import navigation
    from resales import models, views  # noqa: F401  (models: the reservation tables join the metadata)

    app.register_blueprint(views.bp)
    navigation.add_action(_l("Ventes aux vignerons"), "resales.index", {"coordinator", "admin", "washer"},
                          _l("Ventes, bons de livraison, vignerons acheteurs"))
