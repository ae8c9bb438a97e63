"""The dock's receipt, one crate at a time: scan or type its code, count its bottles."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from bottles import codes
from bottles.auth import role_required
from bottles.db import db
from bottles.i18n import number
from bottles.models import Crate, utcnow
from bottles.numbers import parse_id
from bottles.retry import retried
from bottles.rules import LedgerError
from washer import operations, queries, scope
from washer.rules import InputError, NotYours, parse_count
from washer.views import bp
from washer.views.common import (
    STAFF,
    allowed_washer_ids,
    blank_form,
    current_washer,
    form_event_id,
    int_or_none,
    page_context,
    refused_form,
    typed_note,
)


def receipt_context(washer, crate=None, expected=None) -> dict:
    """The receipt page: the crate being received, today's receipts, the crates on their way."""
    now = utcnow()
    return {**page_context(washer), "crate": crate, "expected": expected,
            "loss_reasons": operations.ensure_reasons(db.session, "loss"),
            "surplus_reasons": operations.ensure_reasons(db.session, "surplus"),
            "today": queries.recent_receipts(db.session, washer.id, queries.day_start(now)),
            "waiting": queries.expected_crates(db.session, allowed_washer_ids())}


def receipt_refused(washer, message: str, category: str, status: int):
    """The receipt page without a crate, and why the code given cannot be received."""
    flash(message, category)
    return render_template("washer/receipt.html", values={}, **receipt_context(washer)), status


@bp.route("/reception", methods=["GET"])
@role_required(*STAFF)
def receipt():
    """The receipt page; with ?code=, that crate's form with what its point declared."""
    washer = current_washer()
    raw = request.args.get("code", "").strip()
    crate = expected = None
    if raw:
        try:
            crate = db.session.scalar(select(Crate).where(Crate.code == codes.normalise(raw)))
        except codes.CrateCodeError as error:
            return receipt_refused(washer, str(error), "error", 400)
        if crate is None:
            missing = _("Aucune caisse %(code)s dans le parc.", code=codes.normalise(raw))
            return receipt_refused(washer, missing, "error", 404)
        if crate.state != "in_transit":
            return receipt_refused(washer, operations.not_in_transit(crate), "warning", 409)
        if not scope.may_receive_at(db.session, current_user, crate, washer.id):
            return receipt_refused(washer, scope.not_yours(crate), "error", 403)
        expected = queries.declared(db.session, crate)
    return blank_form("washer/receipt.html", receipt_context(washer, crate, expected))


@bp.post("/reception")
@role_required(*STAFF)
@retried
def receipt_post():
    """The crate received with its counted bottles, then the receipt page for the next one."""
    washer = current_washer()
    crate_id = parse_id(request.form.get("crate_id"))  # "-1", "²", "9" * 40: no crate, a 404
    crate = db.session.get(Crate, crate_id) if crate_id else None
    if crate is None:
        abort(404, description=_("Caisse inconnue."))
    try:
        counted = parse_count(request.form.get("counted"), "Bouteilles comptées", allow_blank=False,
                              field="counted")
        recorded = operations.receive(
            db.session, actor=current_user, at=utcnow(), event_id=form_event_id(), washer_id=washer.id,
            crate=crate, counted=counted,
            reason_id=int_or_none(request.form.get("reason_id"), _("Motif")),
            note=typed_note(), allowed=allowed_washer_ids())
    except (InputError, LedgerError) as error:
        shown = None if isinstance(error, NotYours) else crate  # another washer's crate: nothing of it shown
        return refused_form(error, "washer/receipt.html", lambda: receipt_context(
            washer, shown, queries.declared(db.session, shown) if shown else None))
    db.session.commit()
    if recorded.created:
        message = ngettext("Caisse %(code)s réceptionnée : %(n)s bouteille comptée. Scannez la suivante.",
                           "Caisse %(code)s réceptionnée : %(n)s bouteilles comptées. Scannez la suivante.",
                           counted, code=crate.code, n=number(counted))
    else:
        message = ngettext("Caisse %(code)s réceptionnée : %(n)s bouteille comptée (déjà enregistré). "
                           "Scannez la suivante.",
                           "Caisse %(code)s réceptionnée : %(n)s bouteilles comptées (déjà enregistré). "
                           "Scannez la suivante.", counted, code=crate.code, n=number(counted))
    flash(message, "success")
    return redirect(url_for("washer.receipt", w=washer.id))
