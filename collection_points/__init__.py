"""Boucle package `collection_points`: point staff and drivers (docs/architecture.md)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from collection_points import models  # noqa: F401  (tables known to migrations)


def init_app(app: Flask) -> None:
    """Register this package's pages, commands and hooks on the app."""
    from bottles import navigation
    from bottles.cli import group
    from collection_points import views
    from collection_points.cli import labels_command
    from collection_points.panels import crate_panel, home_panel

    app.register_blueprint(views.bp)
    _register_demo_hook()
    if "labels" not in group.commands:
        group.add_command(labels_command)
    navigation.add_crate_panel(crate_panel)
    navigation.add_home_panel(home_panel)
    navigation.add_action(_l("Tournée"), "collection_points.round_list", {"driver"},
                          _l("Points à visiter par priorité, caisses à enlever, fin de tournée"))
    navigation.add_action(_l("Scanner des caisses enlevées"), "collection_points.scan_pickup_page",
                          {"driver"},
                          _l("Plusieurs caisses à la suite, une seule validation"))
    navigation.add_action(_l("Tournée prévue"), "collection_points.planned_round", {"driver"},
                          _l("Arrêts dans l'ordre prévu par la coordination, avec les cartes"))
    navigation.add_action(_l("Déposer des caisses vides"), "collection_points.scan_place_page", {"driver"},
                          _l("Caisses du parc laissées à un point"))
    overseers = {"coordinator", "admin"}
    navigation.add_action(_l("Demandes d'enlèvement"), "collection_points.requests_list", overseers,
                          _l("Caisses pleines en attente, retards, attribution aux chauffeurs"))
    navigation.add_action(_l("Préparer la tournée"), "collection_points.plan_page", overseers,
                          _l("Tournée du jour optimisée : ordre des arrêts, km et temps estimés"))
    navigation.add_action(_l("Étiquettes de caisses"), "collection_points.labels_page", overseers,
                          _l("Planches A4 de QR codes à imprimer"))


def _register_demo_hook() -> None:
    """The demo's washer gets the coordinates its catalogue gives (the depot of planned rounds)."""
    try:
        from bottles import demo
    except ImportError:  # the demo module is not there
        return
    from collection_points.plan_operations import demo_washer_location

    if demo_washer_location not in demo.AFTER_DEMO:
        demo.AFTER_DEMO.append(demo_washer_location)

