"""What this package adds to the kernel's crate page and home page (through bottles.navigation)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from flask import g, render_template
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from bottles.auth import sees_everything
from bottles.db import db
from bottles.i18n import PARIS
from bottles.models import BottleModel, Crate, User
from bottles.rules import CRATE_STATE_LABELS, CrateState
from collection_points import explain, queries
from collection_points.rules import co2_avoided_kg, is_late, point_in_service, reused_share, waiting_text


def crate_panel(crate: Crate, user: User) -> Markup | None:
    """The one action that fits the person and the crate, or where it is and whom to call."""
    if user.role not in ("point", "driver") and not sees_everything(user):
        return None
    state = CrateState(crate.state) if crate.state else None
    mine = {p.id for p in user.collection_points}
    acts_as_driver = user.role == "driver" or sees_everything(user)
    action, why = None, ""
    if state in (CrateState.RETIRED, CrateState.LOST):
        why = _("Cette caisse ne peut plus servir : ne la remplissez pas et mettez-la de côté.")
    elif state == CrateState.IN_POOL:
        action = "place"
    elif state == CrateState.AT_POINT:
        if acts_as_driver or crate.collection_point_id in mine:
            action = "full"
        else:
            why = _("Cette caisse n'est pas à votre point de collecte.")
    elif state == CrateState.FULL:
        if acts_as_driver:
            action = "pickup"
        elif crate.collection_point_id in mine:
            action = "waiting"
        else:
            why = _("Cette caisse n'est pas à votre point de collecte.")
    elif state == CrateState.IN_TRANSIT:
        why = (_("Cette caisse est déjà enlevée : remettez-la au centre de lavage, qui la réceptionnera.")
               if acts_as_driver else _("Cette caisse a déjà été enlevée par le chauffeur."))
    else:
        why = _("Cette caisse n'est pas enregistrée dans le parc.")
    context = {"crate": crate, "action": action, "event_id": uuid.uuid4(), "second_id": uuid.uuid4(),
               "labels": sees_everything(user)}
    if why:
        context["explanation"] = explain.refusal(db.session, crate, why)
    if action == "place":
        day = datetime.now(UTC).astimezone(PARIS).date()
        points = [p for p in user.collection_points if point_in_service(p, day)] if user.role == "point" \
            else queries.points_in_service(db.session, day)
        if not points:
            context["explanation"] = explain.refusal(
                db.session, crate, _("Votre compte n'est rattaché à aucun point de collecte."))
            context["action"] = None
        context["points"] = points
        context["driver"] = user.role != "point"
    if action == "full":
        typed = g.get("cp_full_form")
        context["typed"] = typed
        context["split_typed"] = bool(typed) and any(
            key.startswith("model_") and str(value).strip() for key, value in typed["values"].items())
        context["models"] = list(db.session.scalars(
            select(BottleModel).where(BottleModel.active.is_(True), BottleModel.in_pool.is_(True))
            .order_by(BottleModel.name)))
    if action in ("pickup", "waiting"):
        context["declared"] = queries.declared_counts(db.session, [crate.id]).get(crate.id, 0)
        context["waiting"] = waiting_text(crate.state_since, datetime.now(UTC))
    if action == "pickup":
        current = queries.open_round(db.session, user.id)
        context["round"] = current
    return Markup(render_template("collection_points/crate_panel.html", **context))


def month_start(now: datetime) -> datetime:
    local = now.astimezone(PARIS)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def home_panel(user: User) -> Markup | None:
    """Point staff: their crates, open requests, bottles collected and CO₂ avoided."""
    if user.role == "driver":
        return driver_panel(user)
    if user.role != "point":
        return None
    now = datetime.now(UTC)
    ids = {p.id for p in user.collection_points}
    crates = queries.crates_at(db.session, ids)
    needs = queries.point_needs(db.session, ids)
    declared = queries.declared_counts(db.session, [c.id for c in crates if c.state == CrateState.FULL])
    month = queries.bottles_collected(db.session, ids, month_start(now))
    year = queries.bottles_collected(db.session, ids, now - timedelta(days=365))
    washed, received = queries.washed_and_received(db.session)
    share, measured = reused_share(washed, received)
    return Markup(render_template(
        "collection_points/home_panel.html", crates=crates, needs=needs, declared=declared,
        month=month, year=year, share=share, measured=measured, co2=co2_avoided_kg(year, share),
        co2_month=co2_avoided_kg(month, share), now=now, waiting_text=waiting_text, is_late=is_late,
        state_labels=CRATE_STATE_LABELS, points=user.collection_points))


def driver_panel(user: User) -> Markup:
    """Drivers: what waits to be picked up, and the round in progress."""
    now = datetime.now(UTC)
    needs = [n for n in queries.point_needs(db.session).values() if n.full_crates]
    oldest = min((n.oldest_full for n in needs if n.oldest_full), default=None)
    return Markup(render_template(
        "collection_points/driver_panel.html", points=len(needs), crates=sum(n.full_crates for n in needs),
        bottles=sum(n.bottles for n in needs), waiting=waiting_text(oldest, now),
        late=sum(is_late(n.oldest_full, now) for n in needs),
        current=queries.open_round(db.session, user.id)))
