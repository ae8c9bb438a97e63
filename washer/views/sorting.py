"""Sorting received bottles: eligible ones by model, refusals by reason (permanent labels by estate)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from bottles.auth import role_required
from bottles.db import db
from bottles.i18n import number
from bottles.models import Winemaker, utcnow
from bottles.retry import retried
from bottles.rules import LedgerError, Stage
from washer import operations, queries
from washer.rules import InputError, is_label_reason, parse_count, parse_optional_hours
from washer.views import bp
from washer.views.common import (
    STAFF,
    allowed_washer_ids,
    blank_form,
    bottles_moved,
    current_washer,
    form_event_id,
    ids_from,
    int_or_none,
    page_context,
    refused_form,
    typed_note,
)

LABEL_QUANTITY_FIELD = "lq-"  # lq-<reason id>: bottles refused for a permanent label, one field per estate
LABEL_ESTATE_FIELD = "lw-"  # lw-<reason id>: the estate of each of those fields, in the same order


def sorting_context(washer) -> dict:
    """The sorting form: models in the pool, refusal reasons, estates, bottles waiting to be sorted."""
    refusal_reasons = operations.ensure_reasons(db.session, "refusal")
    return {**page_context(washer), "models": queries.models(db.session, in_pool_only=True),
            "reasons": refusal_reasons,
            "label_reasons": {reason.id for reason in refusal_reasons
                              if is_label_reason(reason.code, reason.label_fr)},
            "winemakers": list(db.session.scalars(select(Winemaker).where(Winemaker.active.is_(True))
                                                   .order_by(Winemaker.estate))),
            "received": queries.stocks(db.session, washer.id)[Stage.RECEIVED].get(0, 0)}


def label_refusals() -> list[operations.Refusal]:
    """Bottles refused for a permanent label, by reason and estate (an estate may stay blank)."""
    refusals = []
    for key in {key for key in request.form if key.startswith(LABEL_QUANTITY_FIELD)}:
        reason_id = int_or_none(key[len(LABEL_QUANTITY_FIELD):], _("Motif"))
        estates = request.form.getlist(f"{LABEL_ESTATE_FIELD}{reason_id}")
        for position, quantity in enumerate(request.form.getlist(key)):
            count = parse_count(quantity, _("Étiquettes permanentes"), field=key)
            if count:
                estate = estates[position] if position < len(estates) else ""
                refusals.append(operations.Refusal(reason_id or 0, count, int_or_none(estate, _("Domaine"))))
    return refusals


@bp.get("/tri")
@role_required(*STAFF)
def sorting():
    """The sorting form: eligible bottles by model, refusals by reason."""
    return blank_form("washer/sorting.html", sorting_context(current_washer()))


@bp.post("/tri")
@role_required(*STAFF)
@retried
def sorting_post():
    """The sorting recorded (sorted and refused bottles), or the form again with what to fix."""
    washer = current_washer()
    try:
        eligible = {model_id: parse_count(value, _("Bouteilles triées"), field=f"m-{model_id}")
                    for model_id, value in ids_from("m-").items()}
        refusals = [operations.Refusal(reason_id, parse_count(value, _("Bouteilles écartées"),
                                                              field=f"r-{reason_id}"))
                    for reason_id, value in ids_from("r-").items()]
        refusals += label_refusals()
        recorded = operations.sort(
            db.session, actor=current_user, at=utcnow(), event_id=form_event_id(), washer_id=washer.id,
            eligible=eligible, refusals=refusals, hours=parse_optional_hours(request.form.get("hours")),
            note=typed_note(), allowed=allowed_washer_ids())
    except (InputError, LedgerError) as error:
        return refused_form(error, "washer/sorting.html", lambda: sorting_context(washer))
    db.session.commit()
    kept = bottles_moved(recorded.event, to_stage=Stage.SORTED)
    out = bottles_moved(recorded.event, to_stage=Stage.REFUSED)
    flash(_("Tri enregistré : %(kept)s, %(out)s.",
            kept=ngettext("%(n)s bouteille triée", "%(n)s bouteilles triées", kept, n=number(kept)),
            out=ngettext("%(n)s écartée", "%(n)s écartées", out, n=number(out))), "success")
    return redirect(url_for("washer.sorting", w=washer.id))
