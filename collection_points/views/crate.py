"""Crate actions from /c/<CODE>: placed, full, picked up. Thin: parse, call an operation, commit once."""

from __future__ import annotations

from datetime import datetime

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from bottles.auth import role_required
from bottles.db import db
from bottles.field_time import field_time_for
from bottles.models import BottleModel, CollectionPoint, Crate
from bottles.numbers import parse_id
from bottles.retry import retried
from bottles.rules import LedgerError
from bottles.views import crate_or_404, render_crate
from collection_points import operations
from collection_points.rules import COUNTED, parse_count, parse_split
from collection_points.views import bp
from collection_points.views.common import event_id_from, now, refusal_status, today

MODEL_FIELD = "model_"  # the "Pleine" form's split by model: one field model_<id> per bottle model


def refused_page(crate: Crate | None, error: LedgerError):
    """The refusal with a way back to the crate; nothing was recorded."""
    db.session.rollback()
    return render_template("collection_points/refused.html", message=str(error), crate=crate), \
        refusal_status(error)


def reshow_full_form(crate: Crate, error: LedgerError):
    """The crate page again (422) with the "Pleine" form as typed and the message beside its field."""
    db.session.rollback()
    g.cp_full_form = {"values": request.form, "field": getattr(error, "field", ""), "message": str(error)}
    return render_crate(crate, 422)


def sent_field_time(event_id) -> datetime | None:
    """The form's optional field time (`occurred_at`, from a phone's queue), checked; None: now."""
    return field_time_for(db.session, event_id, request.form.get("occurred_at"), current_user)


def typed_note() -> str:
    """The optional note of a crate form, trimmed to what the ledger keeps."""
    return (request.form.get("note") or "").strip()[:500]


def typed_split() -> dict[int, object]:
    """The "Pleine" form's counts by bottle model, for the models the catalogue knows."""
    model_ids = set(db.session.scalars(select(BottleModel.id)))
    split = {}
    for key, value in request.form.items():
        model_id = parse_id(key[len(MODEL_FIELD):]) if key.startswith(MODEL_FIELD) else None
        if model_id in model_ids:
            split[model_id] = value
    return split


@bp.post("/c/<code>/placee")
@role_required("point", "driver")
@retried
def place(code: str):
    """An empty crate recorded at the chosen point, then back to the crate page."""
    crate = crate_or_404(code, for_update=True)
    event_id = event_id_from(request.form.get("event_id"))
    raw_point = request.form.get("point_id", "")
    point_id = parse_id(raw_point)
    point = db.session.get(CollectionPoint, point_id) if point_id else None
    if point is None:
        return refused_page(crate, operations.Refused(
            _("Choisissez le point de collecte où la caisse est posée.")))
    try:
        field = sent_field_time(event_id)
        operations.once(db.session, event_id, lambda: operations.place_crate(
            db.session, crate=crate, point=point, actor=current_user, event_id=event_id, at=field or now(),
            note=typed_note(), field=field is not None))
    except LedgerError as error:
        return refused_page(crate, error)
    db.session.commit()
    flash(_("Caisse %(code)s posée à %(point)s.", code=crate.code, point=point.name), "success")
    return redirect(url_for("bottles.crate", code=crate.code))


@bp.post("/c/<code>/pleine")
@role_required("point", "driver")
@retried
def full(code: str):
    """The crate declared full (its pickup requested), or the form again with what to fix."""
    crate = crate_or_404(code, for_update=True)
    event_id = event_id_from(request.form.get("event_id"))
    try:
        count = parse_count(request.form.get("count"), crate.capacity)
        split = parse_split(typed_split(), count, crate.capacity)
        field = sent_field_time(event_id)
        operations.once(db.session, event_id, lambda: operations.declare_full(
            db.session, crate=crate, actor=current_user, event_id=event_id, at=field or now(), count=count,
            split=split, note=typed_note(), field=field is not None))
    except LedgerError as error:
        if getattr(error, "field", ""):
            return reshow_full_form(crate, error)
        return refused_page(crate, error)
    db.session.commit()
    flash(ngettext("Caisse %(code)s pleine (%(num)s bouteille) : l'enlèvement est demandé. Merci !",
                   "Caisse %(code)s pleine (%(num)s bouteilles) : l'enlèvement est demandé. Merci !",
                   count, code=crate.code), "success")
    return redirect(url_for("bottles.crate", code=crate.code))


@bp.post("/c/<code>/enlevee")
@role_required("driver")
@retried
def pickup(code: str):
    """The crate picked up on the driver's round of the day (opened if need be), then back to it."""
    crate = crate_or_404(code, for_update=True)
    event_id = event_id_from(request.form.get("event_id"))
    raw_count = (request.form.get("counted") or "").strip()
    try:
        counted = parse_count(raw_count, crate.capacity, what=COUNTED, allow_zero=True) \
            if raw_count else None
        field = sent_field_time(event_id)
        the_round = operations.ensure_round(db.session, current_user, today(),
                                            request.form.get("round_token") or str(event_id))
        operations.once(db.session, event_id, lambda: operations.pick_up(
            db.session, crate=crate, actor=current_user, event_id=event_id, at=field or now(),
            counted=counted, round_id=the_round.id, note=typed_note(), field=field is not None))
    except LedgerError as error:
        return refused_page(crate, error)
    db.session.commit()
    flash(_("Caisse %(code)s enlevée (tournée %(round)s).", code=crate.code, round=the_round.code), "success")
    return redirect(url_for("bottles.crate", code=crate.code))

