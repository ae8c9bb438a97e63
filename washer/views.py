"""The washer blueprint, its shared helpers, and the dock receipt (the rest is in views_stock.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bottles import codes
from bottles.auth import role_required, washer_ids
from bottles.db import db
from bottles.errors import error_page
from bottles.i18n import number
from bottles.models import Crate, Event, Round, utcnow
from bottles.rules import STAGE_LABELS, LedgerError
from washer import operations, queries
from washer.rules import InputError, parse_count

bp = Blueprint("washer", __name__, url_prefix="/lavage", template_folder="templates",
               static_folder="static", static_url_path="/static/washer")
STAFF = ("washer",)


# --- helpers ---------------------------------------------------------------------------------


@bp.errorhandler(IntegrityError)
def _raced(_error):
    """Two submissions of one form at the same instant: the loser learns it was recorded once."""
    db.session.rollback()
    try:
        event_id = uuid.UUID(request.form.get("event_id", ""))
    except ValueError:
        event_id = None
    if event_id and db.session.scalar(select(Event.seq).where(Event.id == event_id)):
        flash(_("Déjà enregistré (envoi en double) : rien n'a été compté deux fois."), "info")
        return redirect(request.referrer or url_for("washer.receipt"))
    return error_page(409, "Conflit avec un autre enregistrement au même instant : rien n'a été "
                           "enregistré. Rechargez la page et recommencez.")


def _allowed() -> set[int] | None:
    return washer_ids(current_user)


def _choices():
    return queries.washers_for(db.session, _allowed())


def _washer():
    """The washer the page is about: ?w=<id> when several, else the person's only one."""
    choices = _choices()
    raw = request.values.get("w", "")
    if raw:
        if not raw.isdigit():
            abort(404, description="Centre de lavage inconnu.")
        chosen = next((w for w in choices if w.id == int(raw)), None)
        if chosen is None:
            abort(403)
        return chosen
    if not choices:
        abort(403)
    return choices[0]


def _event_id() -> uuid.UUID:
    try:
        return uuid.UUID(request.form.get("event_id", ""))
    except ValueError:
        abort(400, description="Identifiant d'événement manquant ou illisible : rechargez la page.")


def _int_or_none(raw: str | None, what: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InputError(f"{what} : valeur illisible.")
    return int(raw)


def _ids_from(prefix: str) -> dict[int, str]:
    """Form fields `<prefix><id>` → their raw values; a non-numeric id is refused."""
    out = {}
    for key, value in request.form.items():
        if key.startswith(prefix):
            rest = key[len(prefix):]
            if not rest.isdigit():
                raise InputError("Modèle de bouteille inconnu du catalogue : rien n'est enregistré.")
            out[int(rest)] = value
    return out


def _failed(error: Exception, template: str, context: Callable[[], dict]):
    """Re-show the form with the message and what was typed; nothing was recorded.

    `context` is built only after the rollback: nothing shown is read from the failed transaction.
    """
    db.session.rollback()
    status = 422 if isinstance(error, InputError) else 409
    flash(str(error), "error")  # at the top, and beside the field it is about when there is one
    page = {**context(), "values": request.form, "errors": getattr(error, "fields", {})}
    return render_template(template, **page), status


def _common(washer) -> dict:
    return {"washer": washer, "choices": _choices(), "new_id": str(uuid.uuid4()),
            "stage_labels": STAGE_LABELS, "errors": {}}


# --- receipt ---------------------------------------------------------------------------------


def _receipt_context(washer, crate=None, expected=None) -> dict:
    now = utcnow()
    return {**_common(washer), "crate": crate, "expected": expected,
            "loss_reasons": operations.ensure_reasons(db.session, "loss"),
            "surplus_reasons": operations.ensure_reasons(db.session, "surplus"),
            "today": queries.recent_receipts(db.session, washer.id, queries.day_start(now)),
            "waiting": queries.expected_crates(db.session, _allowed())}


@bp.route("/reception", methods=["GET"])
@role_required(*STAFF)
def receipt():
    washer = _washer()
    raw = request.args.get("code", "").strip()
    crate = expected = None
    if raw:
        try:
            crate = db.session.scalar(select(Crate).where(Crate.code == codes.normalise(raw)))
        except codes.CrateCodeError as error:
            flash(str(error), "error")
            return render_template("washer/receipt.html", values={}, **_receipt_context(washer)), 400
        if crate is None:
            flash(_("Aucune caisse %(code)s dans le parc.", code=codes.normalise(raw)), "error")
            return render_template("washer/receipt.html", values={}, **_receipt_context(washer)), 404
        if crate.state != "in_transit":
            flash(operations.not_in_transit(crate), "warning")
            return render_template("washer/receipt.html", values={}, **_receipt_context(washer)), 409
        expected = queries.declared(db.session, crate)
    page = render_template("washer/receipt.html", values={}, **_receipt_context(washer, crate, expected))
    db.session.commit()  # standard reasons, if they had to be created
    return page


@bp.post("/reception")
@role_required(*STAFF)
def receipt_post():
    washer = _washer()
    crate = db.session.get(Crate, _int_or_none(request.form.get("crate_id"), "Caisse") or 0)
    if crate is None:
        abort(404, description="Caisse inconnue.")
    try:
        counted = parse_count(request.form.get("counted"), "Bouteilles comptées", allow_blank=False,
                              field="counted")
        recorded = operations.receive(
            db.session, actor=current_user, at=utcnow(), event_id=_event_id(), washer_id=washer.id,
            crate=crate, counted=counted,
            reason_id=_int_or_none(request.form.get("reason_id"), "Motif"),
            note=request.form.get("note", "")[:500], allowed=_allowed())
    except (InputError, LedgerError) as error:
        return _failed(error, "washer/receipt.html",
                       lambda: _receipt_context(washer, crate, queries.declared(db.session, crate)))
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


MAX_SCAN_BATCH = 200


def _scan_count(raw) -> int | None:
    """A line's counted bottles from the scan station: None (as declared) or a whole number ≥ 0."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InputError("Nombre compté illisible.")
    return parse_count(str(raw), "Bouteilles comptées", allow_blank=False)


@bp.post("/reception/scan")
@role_required(*STAFF)
def receipt_scan():
    """The scan station's list (JSON, contract in bottles/static/scan.js), one savepoint per crate."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        abort(400, description="Liste de caisses illisible : rien n'a été enregistré.")
    fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
    items = body["items"]
    if not items or len(items) > MAX_SCAN_BATCH:
        abort(400, description=f"Envoyez entre 1 et {MAX_SCAN_BATCH} caisses à la fois.")
    washer = _washer_from(str(fields.get("w", "")))
    try:
        loss = _int_or_none(str(fields.get("loss_reason") or ""), "Motif")
        surplus = _int_or_none(str(fields.get("surplus_reason") or ""), "Motif")
    except InputError as error:
        abort(422, description=str(error))
    results = [_receive_one(washer, item, loss, surplus) for item in items]
    recorded = sum(r["status"] == "recorded" for r in results)
    already = sum(r["status"] == "already" for r in results)
    refused = len(results) - recorded - already
    db.session.commit()
    parts = [ngettext("%(n)s caisse réceptionnée", "%(n)s caisses réceptionnées", recorded,
                      n=number(recorded))]
    if already:
        parts.append(ngettext("%(n)s déjà réceptionnée", "%(n)s déjà réceptionnées", already,
                              n=number(already)))
    if refused:
        parts.append(ngettext("%(n)s refusée : voir la liste", "%(n)s refusées : voir la liste",
                              refused, n=number(refused)))
    status = 422 if refused and not (recorded or already) else 200
    return jsonify({"results": results, "message": ", ".join(parts) + "."}), status


def _receipt_message(counted: int, declared: queries.Declared) -> str:
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


def _washer_from(raw: str):
    choices = _choices()
    if raw:
        chosen = next((w for w in choices if str(w.id) == raw), None)
        if chosen is None:
            abort(403)
        return chosen
    if not choices:
        abort(403)
    return choices[0]


def _receive_one(washer, item, loss: int | None, surplus: int | None) -> dict:
    raw = str(item.get("code") or "")[:80] if isinstance(item, dict) else ""
    try:
        code = codes.normalise(raw)
    except codes.CrateCodeError as error:
        return {"code": raw, "status": "refused", "message": str(error)}
    try:
        event_id = uuid.UUID(str(item.get("event_id")))
    except ValueError:
        return {"code": code, "status": "refused", "message": "Identifiant d'événement manquant."}
    crate = db.session.scalar(select(Crate).where(Crate.code == code))
    if crate is None:
        return {"code": code, "status": "refused", "message": f"Aucune caisse {code} dans le parc."}
    try:
        with db.session.begin_nested():
            count = _scan_count(item.get("count"))
            expected = queries.declared(db.session, crate)
            counted = expected.quantity if count is None else count
            reason = None if counted == expected.quantity else (loss if counted < expected.quantity
                                                                 else surplus)
            outcome = operations.receive(db.session, actor=current_user, at=utcnow(),
                                         event_id=event_id, washer_id=washer.id, crate=crate,
                                         counted=counted, reason_id=reason, allowed=_allowed())
    except IntegrityError:
        again = db.session.scalar(select(Event).where(Event.id == event_id))
        return {"code": code, "status": "already" if again else "refused",
                "message": "Déjà réceptionnée." if again else "Conflit : réessayez."}
    except (InputError, LedgerError) as error:
        db.session.refresh(crate)
        return {"code": code, "status": "refused", "message": str(error)}
    if not outcome.created:
        return {"code": code, "status": "already", "message": "Déjà réceptionnée."}
    return {"code": code, "status": "recorded", "message": _receipt_message(counted, expected)}


@bp.get("/tournees")
@role_required(*STAFF)
def rounds():
    return render_template("washer/rounds.html",
                           rounds=queries.rounds_received(db.session, _allowed()))


@bp.get("/tournees/<int:round_id>")
@role_required(*STAFF)
def round_detail(round_id: int):
    the_round = db.session.get(Round, round_id)
    if the_round is None:
        abort(404, description="Tournée inconnue.")
    lines = queries.round_receipts(db.session, round_id, _allowed())
    if not lines:
        abort(404, description="Aucune caisse de cette tournée n'a été réceptionnée chez vous.")
    return render_template("washer/round.html", the_round=the_round, lines=lines,
                           pending=queries.round_pending(db.session, round_id))
