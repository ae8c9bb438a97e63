"""The washer's dock after receipt: sorting, wash batches, clean stock, stock-take, corrections.

Routes on the washer blueprint (washer.views); thin: parse, call an operation, commit once.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from bottles.auth import role_required
from bottles.db import db
from bottles.models import Crate, Event, Winemaker, utcnow
from bottles.queries import corrected_seqs
from bottles.rules import KIND_LABELS, STAGE_LABELS, Kind, LedgerError, Stage
from washer import operations, queries
from washer.rules import InputError, is_label_reason, parse_count, parse_optional_decimal
from washer.views import (
    STAFF,
    _allowed,
    _common,
    _event_id,
    _failed,
    _ids_from,
    _int_or_none,
    _washer,
    bp,
)

# --- sorting ---------------------------------------------------------------------------------


def _sorting_context(washer) -> dict:
    refusal_reasons = operations.ensure_reasons(db.session, "refusal")
    return {**_common(washer), "models": queries.models(db.session, in_pool_only=True),
            "reasons": refusal_reasons,
            "label_reasons": {r.id for r in refusal_reasons if is_label_reason(r.code, r.label_fr)},
            "winemakers": list(db.session.scalars(select(Winemaker).where(Winemaker.active.is_(True))
                                                   .order_by(Winemaker.estate))),
            "received": queries.stocks(db.session, washer.id)[Stage.RECEIVED].get(0, 0)}


@bp.get("/tri")
@role_required(*STAFF)
def sorting():
    washer = _washer()
    page = render_template("washer/sorting.html", values={}, **_sorting_context(washer))
    db.session.commit()
    return page


@bp.post("/tri")
@role_required(*STAFF)
def sorting_post():
    washer = _washer()
    try:
        eligible = {m: parse_count(v, "Bouteilles triées") for m, v in _ids_from("m-").items()}
        refusals = [operations.Refusal(r, parse_count(v, "Bouteilles écartées"))
                    for r, v in _ids_from("r-").items()]
        for key in {k for k in request.form if k.startswith("lq-")}:
            reason_id = _int_or_none(key[3:], "Motif")
            estates = request.form.getlist(f"lw-{reason_id}")
            for i, qty in enumerate(request.form.getlist(key)):
                count = parse_count(qty, "Étiquettes permanentes")
                if count:
                    estate = estates[i] if i < len(estates) else ""
                    refusals.append(operations.Refusal(reason_id or 0, count,
                                                       _int_or_none(estate, "Domaine")))
        recorded = operations.sort(
            db.session, actor=current_user, at=utcnow(), event_id=_event_id(), washer_id=washer.id,
            eligible=eligible, refusals=refusals,
            hours=parse_optional_decimal(request.form.get("hours"), "Heures", 24),
            note=request.form.get("note", "")[:500], allowed=_allowed())
    except (InputError, LedgerError) as error:
        return _failed(error, "washer/sorting.html", lambda: _sorting_context(washer))
    db.session.commit()
    kept = sum(m.quantity for m in recorded.event.movements if m.to_stage == Stage.SORTED.value)
    out = sum(m.quantity for m in recorded.event.movements if m.to_stage == Stage.REFUSED.value)
    flash(_("Tri enregistré : %(kept)s bouteilles triées, %(out)s écartées.", kept=kept, out=out), "success")
    return redirect(url_for("washer.sorting", w=washer.id))


# --- wash batches ----------------------------------------------------------------------------


def _wash_context(washer) -> dict:
    sorted_stock = queries.stocks(db.session, washer.id)[Stage.SORTED]
    models = [m for m in queries.models(db.session) if m.id in sorted_stock]
    return {**_common(washer), "models": models, "sorted_stock": sorted_stock,
            "reasons": operations.ensure_reasons(db.session, "reject")}


@bp.get("/lot")
@role_required(*STAFF)
def batch():
    washer = _washer()
    page = render_template("washer/batch.html", values={}, **_wash_context(washer))
    db.session.commit()
    return page


@bp.post("/lot")
@role_required(*STAFF)
def batch_post():
    washer = _washer()
    try:
        lines: dict[int, operations.WashLine] = {}
        for model_id, raw in _ids_from("t-").items():
            lines[model_id] = operations.WashLine(
                model_id, parse_count(raw, "Bouteilles prises"),
                parse_count(request.form.get(f"a-{model_id}"), "Bouteilles conformes"))
        for key, raw in request.form.items():
            if key.startswith("x-"):
                parts = key.split("-")
                if len(parts) != 3 or not (parts[1].isdigit() and parts[2].isdigit()):
                    raise InputError("Rebut illisible : rien n'est enregistré.")
                model_id, reason_id = int(parts[1]), int(parts[2])
                line = lines.setdefault(model_id, operations.WashLine(model_id, 0, 0))
                line.rejects[reason_id] = parse_count(raw, "Rebuts")
        recorded = operations.wash(
            db.session, actor=current_user, at=utcnow(), event_id=_event_id(), washer_id=washer.id,
            lines=list(lines.values()),
            water_l=parse_optional_decimal(request.form.get("water_l"), "Eau (L)", 1_000_000),
            energy_kwh=parse_optional_decimal(request.form.get("energy_kwh"), "Énergie (kWh)", 1_000_000),
            hours=parse_optional_decimal(request.form.get("hours"), "Heures", 24),
            note=request.form.get("note", "")[:500], allowed=_allowed())
    except (InputError, LedgerError) as error:
        return _failed(error, "washer/batch.html", lambda: _wash_context(washer))
    db.session.commit()
    good = sum(m.quantity for m in recorded.event.movements if m.to_stage == Stage.CLEAN.value)
    bad = sum(m.quantity for m in recorded.event.movements if m.to_stage == Stage.REJECTED.value)
    flash(_("Lot de lavage enregistré : %(good)s conformes, %(bad)s rebuts.", good=good, bad=bad), "success")
    return redirect(url_for("washer.stock", w=washer.id))


# --- clean stock and stock-take --------------------------------------------------------------


@bp.get("/stock")
@role_required(*STAFF)
def stock():
    washer = _washer()
    now = utcnow()
    held = queries.stocks(db.session, washer.id)
    names = {m.id: m.name for m in queries.models(db.session)}
    return render_template("washer/stock.html", **_common(washer),
                           rows=queries.clean_stock(db.session, washer, now), held=held, names=names,
                           may_edit=current_user.role in ("coordinator", "admin"))


@bp.post("/palette")
@role_required("coordinator")
def pallet():
    washer = _washer()
    try:
        operations.set_pallet_size(db.session, washer, parse_count(
            request.form.get("pallet_size"), "Taille de palette", allow_blank=False))
    except InputError as error:
        db.session.rollback()
        abort(422, description=str(error))
    db.session.commit()
    flash(_("Palette de %(size)s bouteilles pour %(name)s.", size=washer.pallet_size, name=washer.name),
          "success")
    return redirect(url_for("washer.stock", w=washer.id))


def _stocktake_context(washer, stage: Stage) -> dict:
    held = queries.stocks(db.session, washer.id)[stage]
    models = [] if stage == Stage.RECEIVED else [
        m for m in queries.models(db.session) if m.in_pool or m.id in held]
    return {**_common(washer), "stage": stage, "expected": held, "models": models,
            "stages": operations.STOCKTAKE_STAGES,
            "loss_reasons": operations.ensure_reasons(db.session, "loss"),
            "surplus_reasons": operations.ensure_reasons(db.session, "surplus")}


def _stage_arg() -> Stage:
    raw = request.values.get("etape", Stage.CLEAN.value)
    if raw not in {s.value for s in operations.STOCKTAKE_STAGES}:
        abort(404, description="Étape d'inventaire inconnue.")
    return Stage(raw)


@bp.get("/inventaire")
@role_required(*STAFF)
def stocktake():
    washer = _washer()
    page = render_template("washer/stocktake.html", values={},
                           **_stocktake_context(washer, _stage_arg()))
    db.session.commit()
    return page


@bp.post("/inventaire")
@role_required(*STAFF)
def stocktake_post():
    washer = _washer()
    stage = _stage_arg()
    try:
        counted = {m: parse_count(v, "Bouteilles comptées") for m, v in _ids_from("c-").items()
                   if v.strip()}
        recorded = operations.stocktake(
            db.session, actor=current_user, at=utcnow(), event_id=_event_id(), washer_id=washer.id,
            stage=stage, counted=counted,
            loss_reason_id=_int_or_none(request.form.get("loss_reason"), "Motif"),
            surplus_reason_id=_int_or_none(request.form.get("surplus_reason"), "Motif"),
            note=request.form.get("note", "")[:500], allowed=_allowed())
    except (InputError, LedgerError) as error:
        return _failed(error, "washer/stocktake.html", lambda: _stocktake_context(washer, stage))
    db.session.commit()
    if recorded is None:
        flash(_("Inventaire conforme : aucun écart, rien à enregistrer."), "success")
    else:
        lost = sum(m.quantity for m in recorded.event.movements if m.to_stage == Stage.LOST.value)
        extra = sum(m.quantity for m in recorded.event.movements if m.from_stage == Stage.OUTSIDE.value)
        flash(_("Inventaire enregistré : %(lost)s manquantes, %(extra)s en plus.", lost=lost, extra=extra),
              "success")
    return redirect(url_for("washer.stock", w=washer.id))


# --- history and corrections -----------------------------------------------------------------


@bp.get("/historique")
@role_required(*STAFF)
def history():
    page = queries.history(db.session, _allowed(), request.args.get("page", 1, type=int))
    events = list(page.items)
    names = _names()
    crate_ids = {e.crate_id for e in events if e.crate_id}
    if crate_ids:
        names["crate"] = dict(db.session.execute(select(Crate.id, Crate.code)
                                                 .where(Crate.id.in_(crate_ids))).all())
    return render_template("washer/history.html", page=page, events=events,
                           corrected=corrected_seqs(db.session, [e.seq for e in events]),
                           kind_labels=KIND_LABELS, stage_labels=STAGE_LABELS, names=names,
                           correctable={k.value for k in operations.CORRECTABLE})


def _names() -> dict[str, dict[int, str]]:
    from bottles.models import BottleModel, Reason, Washer

    return {
        "model": dict(db.session.execute(select(BottleModel.id, BottleModel.name)).all()),
        "reason": dict(db.session.execute(select(Reason.id, Reason.label_fr)).all()),
        "washer": dict(db.session.execute(select(Washer.id, Washer.name)).all()),
        "winemaker": dict(db.session.execute(select(Winemaker.id, Winemaker.estate)).all()),
        "crate": {},
    }


def _target(seq: int) -> Event:
    target = db.session.get(Event, seq)
    allowed = _allowed()
    if target is None or target.kind not in {k.value for k in operations.CORRECTABLE} or (
            allowed is not None and target.washer_id not in allowed):
        abort(404, description="Événement introuvable dans votre centre de lavage.")
    return target


def _correction_context(seq: int) -> dict:
    target = _target(seq)
    already = corrected_seqs(db.session, [seq]).get(seq)
    return {"target": target, "new_id": str(uuid.uuid4()), "kind_labels": KIND_LABELS,
            "stage_labels": STAGE_LABELS, "names": _names(), "already": already,
            "blockers": [] if already else queries.correction_blockers(db.session, target)}


@bp.get("/corriger/<int:seq>")
@role_required(*STAFF)
def correction(seq: int):
    return render_template("washer/correction.html", values={}, errors={}, **_correction_context(seq))


@bp.post("/corriger/<int:seq>")
@role_required(*STAFF)
def correction_post(seq: int):
    target = _target(seq)
    try:
        operations.correct(db.session, actor=current_user, at=utcnow(), event_id=_event_id(),
                           target_seq=target.seq, note=request.form.get("note", "")[:500],
                           allowed=_allowed())
    except (InputError, LedgerError) as error:
        return _failed(error, "washer/correction.html", lambda: _correction_context(seq))
    db.session.commit()
    flash(_("Correction enregistrée : les mouvements du n° %(seq)s (%(kind)s) sont annulés.",
            seq=target.seq, kind=_(KIND_LABELS[Kind(target.kind)])), "success")
    return redirect(url_for("washer.history"))
