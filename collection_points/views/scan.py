"""The drivers' scan stations: crates picked up, empty crates dropped at a point, many in one go.

The pages only: the kernel's scan station (bottles/static/scan.js) sends each scanned line as one
event of the JSON API (POST /api/v1/events, api/writes.py) with the session cookie and the page's
CSRF token.
"""

from __future__ import annotations

import uuid

from flask import render_template, request
from flask_login import current_user

from bottles.auth import role_required
from bottles.db import db
from bottles.numbers import parse_id
from collection_points import queries
from collection_points.views import bp
from collection_points.views.common import today


@bp.get("/tournee/enlever")
@role_required("driver")
def scan_pickup_page():
    """The scan station for crates picked up: many crates in a row, one confirmation."""
    current = queries.open_round(db.session, current_user.id)
    return render_template("collection_points/scan_pickup.html", current=current, token=uuid.uuid4())


@bp.get("/tournee/deposer")
@role_required("driver")
def scan_place_page():
    """The scan station for empty crates left at a point, the point chosen first."""
    points = queries.points_in_service(db.session, today())
    chosen = parse_id(request.args.get("point"))
    return render_template("collection_points/scan_place.html", points=points, chosen=chosen)
