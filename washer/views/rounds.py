"""Receipts by round: what each driver's round announced against what the dock counted."""

from __future__ import annotations

from flask import abort, render_template
from flask_babel import gettext as _

from bottles.auth import role_required
from bottles.db import db
from bottles.models import Round
from washer import queries
from washer.views import bp
from washer.views.common import STAFF, allowed_washer_ids


@bp.get("/tournees")
@role_required(*STAFF)
def rounds():
    """The rounds received here, each with its crates announced and counted."""
    return render_template("washer/rounds.html",
                           rounds=queries.rounds_received(db.session, allowed_washer_ids()))


@bp.get("/tournees/<int:round_id>")
@role_required(*STAFF)
def round_detail(round_id: int):
    """One round crate by crate: announced against counted, and the crates not received yet."""
    the_round = db.session.get(Round, round_id)
    if the_round is None:
        abort(404, description=_("Tournée inconnue."))
    lines = queries.round_receipts(db.session, round_id, allowed_washer_ids())
    if not lines:
        abort(404, description=_("Aucune caisse de cette tournée n'a été réceptionnée chez vous."))
    return render_template("washer/round.html", the_round=the_round, lines=lines,
                           pending=queries.round_pending(db.session, round_id))
