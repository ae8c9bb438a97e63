"""Boucle package `resales`: clean bottles sold to winemakers, delivery notes, winemaker pages
(docs/architecture.md)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Register this package's pages and its link on the home pages and menu."""
    from bottles import navigation
    from resales import models, reservation_views, views  # noqa: F401  (tables and routes join in)

    app.register_blueprint(views.bp)
    navigation.add_action(_l("Ventes aux vignerons"), "resales.index", {"coordinator", "admin", "washer"},
                          _l("Ventes, bons de livraison, vignerons acheteurs"))
    navigation.add_action(_l("Réservations"), "resales.reservations", {"coordinator", "admin"},
                          _l("Réservations des vignerons : demande, stock, lavage à prévoir"))
    navigation.add_action(_l("À préparer"), "resales.prepare", {"washer"},
                          _l("Bouteilles à assembler et à laver pour les réservations"))
    navigation.add_action(_l("Mes réservations"), "resales.mine", {"winemaker"},
                          _l("Réserver des bouteilles propres, suivre mes réservations et mes achats"))
    _register_demo_hook()


def _register_demo_hook() -> None:
    """Let the demo import make its reservations (bottles.demo calls AFTER_DEMO hooks)."""
    from bottles import demo
    from resales.demo import create_demo_reservations

    if create_demo_reservations not in demo.AFTER_DEMO:
        demo.AFTER_DEMO.append(create_demo_reservations)
