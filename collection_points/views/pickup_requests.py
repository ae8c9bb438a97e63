"""Coordinators' pickup requests: full crates waiting, late ones, and their assignment to a driver."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from bottles.auth import role_required
from bottles.db import db
from bottles.models import CollectionPoint, User
from bottles.numbers import parse_id
from bottles.rules import LedgerError
from collection_points import operations, queries
from collection_points.views import bp
from collection_points.views.common import now
from collection_points.views.rounds import round_plan


@bp.get("/demandes")
@role_required("coordinator")
def requests_list():
    """The pickup requests by priority, the late ones marked, each with its driver to choose."""
    plan = round_plan(None)
    return render_template("collection_points/requests.html", **plan, drivers=queries.drivers(db.session))


@bp.post("/demandes/<int:point_id>/attribuer")
@role_required("coordinator")
def assign(point_id: int):
    """The point's pickups given to the chosen driver, then back to the requests."""
    point = db.session.get(CollectionPoint, point_id)
    raw_driver = request.form.get("driver_id", "")
    driver_id = parse_id(raw_driver)
    driver = db.session.get(User, driver_id) if driver_id else None
    if point is None or driver is None:
        abort(422, description=_("Choisissez un point et un chauffeur existants."))
    try:
        operations.assign(db.session, point=point, driver=driver, by=current_user, at=now())
    except LedgerError as error:
        db.session.rollback()
        abort(422, description=str(error))
    db.session.commit()
    flash(_("%(point)s attribué à %(driver)s.", point=point.name,
            driver=driver.display_name or driver.username), "success")
    return redirect(url_for("collection_points.requests_list"))
