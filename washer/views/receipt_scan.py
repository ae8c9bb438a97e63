"""The dock's scan station: many crates received in one go, each counted as declared or as typed.

The list comes from the kernel's scan station (bottles/static/scan.js) and is read by bottles.scan.
"""

from __future__ import annotations

from flask import abort, jsonify, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bottles import scan
from bottles.auth import role_required
from bottles.body_limits import accepts_body
from bottles.db import db
from bottles.i18n import number
from bottles.models import Crate, Event, utcnow
from bottles.retry import retried
from bottles.rules import Kind, LedgerError
from washer import operations, queries
from washer.rules import InputError, parse_count
from washer.views import bp
from washer.views.common import STAFF, allowed_washer_ids, current_washer, int_or_none


def scanned_count(raw: object) -> int | None:
    """A line's counted bottles from the scan station: None (as declared) or a whole number ≥ 0."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InputError(_("Nombre compté illisible."))
    return parse_count(str(raw), _("Bouteilles comptées"), allow_blank=False)


def receipt_message(counted: int, declared: queries.Declared) -> str:
    """A scanned crate's line: counted against declared, the driver's count, the gap in words."""
    text = ngettext("Réceptionnée : %(n)s bouteille comptée", "Réceptionnée : %(n)s bouteilles comptées",
                    counted, n=number(counted))
    text += ngettext(" sur %(n)s annoncée", " sur %(n)s annoncées", declared.quantity,
                     n=number(declared.quantity))
    if declared.driver_counted is not None:
        text += _(" (chauffeur : %(n)s)", n=number(declared.driver_counted))
    gap = counted - declared.quantity
    if gap < 0:
        text += ngettext(", %(n)s manquante", ", %(n)s manquantes", -gap, n=number(-gap))
    elif gap > 0:
        text += ngettext(", %(n)s en plus", ", %(n)s en plus", gap, n=number(gap))
    return text + "."


def receive_one(washer, item: scan.ScanItem, crate: Crate | None, loss: int | None,
                surplus: int | None) -> dict:
    """One scanned line received in its own savepoint; its result row for the station."""
    if item.error is not None:
        return {"code": item.code, "status": "refused", "message": item.error}
    code, event_id = item.code, item.event_id
    if event_id is None:
        return {"code": code, "status": "refused", "message": "Identifiant d'événement manquant."}
    if crate is None:
        return {"code": code, "status": "refused", "message": f"Aucune caisse {code} dans le parc."}
    try:
        with db.session.begin_nested():
            count = scanned_count(item.count)
            expected = queries.declared(db.session, crate)
            counted = expected.quantity if count is None else count
            reason = None if counted == expected.quantity else (loss if counted < expected.quantity
                                                                 else surplus)
            field = scan.field_time_of(db.session, item, current_user, utcnow())
            outcome = operations.receive(db.session, actor=current_user, at=field or utcnow(),
                                         event_id=event_id, washer_id=washer.id, crate=crate,
                                         counted=counted, reason_id=reason, allowed=allowed_washer_ids(),
                                         field=field is not None)
    except IntegrityError:
        again = db.session.scalar(select(Event).where(Event.id == event_id))
        return {"code": code, "status": "already" if again else "refused",
                "message": "Déjà réceptionnée." if again else "Conflit : réessayez."}
    except (InputError, LedgerError) as error:
        db.session.refresh(crate)
        return {"code": code, "status": "refused", "message": str(error)}
    if not outcome.created:
        return {"code": code, "status": "already", "message": "Déjà réceptionnée."}
    return {"code": code, "status": "recorded", "message": receipt_message(counted, expected)}


@bp.post("/reception/scan")
@accepts_body(scan.MAX_BODY_BYTES)
@role_required(*STAFF)
@retried
def receipt_scan():
    """Each scanned crate received, one savepoint per crate: a result per crate (JSON) and a summary."""
    try:
        batch = scan.parse_batch(request.get_json(silent=True))
    except scan.ScanBatchError as error:
        abort(400, description=str(error))
    washer = current_washer(str(batch.fields.get("w", "")))
    try:
        loss = int_or_none(str(batch.fields.get("loss_reason") or ""), _("Motif"))
        surplus = int_or_none(str(batch.fields.get("surplus_reason") or ""), _("Motif"))
    except InputError as error:
        abort(422, description=str(error))
    crates = scan.crates_locked(db.session, batch.items, Kind.RECEIPT, washer.id)
    results = [receive_one(washer, item, crates.get(item.code), loss, surplus) for item in batch.items]
    tally = scan.tally(result["status"] for result in results)
    db.session.commit()
    parts = [ngettext("%(n)s caisse réceptionnée", "%(n)s caisses réceptionnées", tally.recorded,
                      n=number(tally.recorded))]
    if tally.already:
        parts.append(ngettext("%(n)s déjà réceptionnée", "%(n)s déjà réceptionnées", tally.already,
                              n=number(tally.already)))
    if tally.refused:
        parts.append(ngettext("%(n)s refusée : voir la liste", "%(n)s refusées : voir la liste",
                              tally.refused, n=number(tally.refused)))
    return jsonify({"results": results, "message": ", ".join(parts) + "."}), tally.status
