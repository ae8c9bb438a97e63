"""Boucle package `washer` (docs/architecture.md): receipt, sorting, wash batches, clean stock."""

from __future__ import annotations

from flask import Flask, render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from bottles import navigation

STAFF_ROLES = {"washer", "coordinator", "admin"}


def home_panel(user) -> Markup | None:
    """The washer's home: what waits at each stage, clean stock age, this week's washing."""
    if user.role != "washer":
        return None
    from bottles.auth import washer_ids
    from bottles.db import db
    from bottles.models import utcnow
    from bottles.rules import Stage, wash_yield
    from washer import queries

    session, now = db.session, utcnow()
    allowed = washer_ids(user)
    expected = queries.expected_crates(session, allowed)
    blocks = []
    for washer in queries.washers_for(session, allowed):
        held = queries.stocks(session, washer.id)
        clean = queries.clean_stock(session, washer, now)
        accepted, rejected, top = queries.wash_figures(session, washer.id, queries.week_start(now))
        blocks.append({
            "washer": washer, "received": held[Stage.RECEIVED].get(0, 0),
            "sorted": sum(held[Stage.SORTED].values()), "clean": sum(r.quantity for r in clean),
            "oldest": max((r.age_days for r in clean if r.age_days is not None), default=None),
            "stale": sum(r.stale for r in clean), "accepted": accepted, "rejected": rejected,
            "yield": wash_yield(accepted, accepted + rejected), "top": top})
    return Markup(render_template("washer/_home_panel.html", blocks=blocks, expected=expected))


def crate_panel(crate, user) -> Markup | None:
    """On a crate in transit, the washer's one action: receive it."""
    if user.role not in STAFF_ROLES or crate.state != "in_transit":
        return None
    from bottles.db import db
    from washer import scope

    if not scope.may_receive_somewhere(db.session, user, crate):  # bound for another washer
        return None
    return Markup(render_template("washer/_crate_panel.html", crate=crate,
                                  url=url_for("washer.receipt", code=crate.code)))


def init_app(app: Flask) -> None:
    """Register this package's pages, commands and hooks on the app."""
    from washer import views

    app.register_blueprint(views.bp)
    roles = {"washer"}
    navigation.add_action(_l("Réception des caisses"), "washer.receipt", roles,
                          _l("Scanner les caisses arrivées et compter leurs bouteilles"))
    navigation.add_action(_l("Tri"), "washer.sorting", roles, _l("Trier les bouteilles reçues par modèle"))
    navigation.add_action(_l("Lot de lavage"), "washer.batch", roles,
                          _l("Conformes et rebuts par modèle, eau, énergie, heures"))
    navigation.add_action(_l("Stock propre"), "washer.stock", roles | {"coordinator"},
                          _l("Par modèle, en palettes, avec l'âge du lavage"))
    navigation.add_action(_l("Inventaire"), "washer.stocktake", roles, _l("Compté contre attendu"))
    navigation.add_action(_l("Historique et corrections"), "washer.history", roles | {"coordinator"},
                          _l("Annuler une saisie erronée par une écriture inverse"))
    navigation.add_action(_l("Réceptions par tournée"), "washer.rounds", roles | {"coordinator"},
                          _l("Annoncé contre compté, caisse par caisse"), in_menu=False)
    navigation.add_home_panel(home_panel)
    navigation.add_crate_panel(crate_panel)
