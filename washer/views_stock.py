"""The washer's dock after receipt: sorting, wash batches, clean stock, stock-take, corrections.

Routes on the washer blueprint (washer.views); thin: parse, call an operation, commit once.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from bottles.auth import role_required
from bottles.db import db
from bottles.i18n import number
from bottles.models import Crate, Event, Winemaker, utcnow
from bottles.queries import corrected_seqs
from bottles.rules import KIND_LABELS, STAGE_LABELS, Kind, LedgerError, Stage
from washer import operations, queries
from washer.rules import (
    InputError,
    is_label_reason,
    parse_count,
    parse_optional_decimal,
    parse_optional_hours,
)
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
        eligible = {m: parse_count(v, "Bouteilles triées", field=f"m-{m}")
                    for m, v in _ids_from("m-").items()}
        refusals = [operations.Refusal(r, parse_count(v, "Bouteilles écartées", field=f"r-{r}"))
                    for r, v in _ids_from("r-").items()]
        for key in {k for k in request.form if k.startswith("lq-")}:
            reason_id = _int_or_none(key[3:], "Motif")
            estates = request.form.getlist(f"lw-{reason_id}")
            for i, qty in enumerate(request.form.getlist(key)):
                count = parse_count(qty, "Étiquettes permanentes", field=key)
                if count:
                    estate = estates[i] if i < len(estates) else ""
                    refusals.append(operations.Refusal(reason_id or 0, count,
                                                       _int_or_none(estate, "Domaine")))
        recorded = operations.sort(
            db.session, actor=current_user, at=utcnow(), event_id=_event_id(), washer_id=washer.id,
            eligible=eligible, refusals=refusals, hours=parse_optional_hours(request.form.get("hours")),
            note=request.form.get("note", "")[:500], allowed=_allowed())
    except (InputError, LedgerError) as error:
        return _failed(error, "washer/sorting.html", lambda: _sorting_context(washer))
    db.session.commit()
    kept = sum(m.quantity for m in recorded.event.movements if m.to_stage == Stage.SORTED.value)
    out = sum(m.quantity for m in recorded.event.movements if m.to_stage == Stage.REFUSED.value)
    flash(_("Tri enregistré : %(kept)s, %(out)s.",
            kept=ngettext("%(n)s bouteille triée", "%(n)s bouteilles triées", kept, n=number(kept)),
            out=ngettext("%(n)s écartée", "%(n)s écartées", out, n=number(out))), "success")
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
                model_id, parse_count(raw, "Bouteilles prises", field=f"t-{model_id}"),
                parse_count(request.form.get(f"a-{model_id}"), "Bouteilles conformes",
                            field=f"a-{model_id}"))
        for key, raw in request.form.items():
            if key.startswith("x-"):
                parts = key.split("-")
                if len(parts) != 3 or not (parts[1].isdigit() and parts[2].isdigit()):
                    raise InputError("Rebut illisible : rien n'est enregistré.")
                model_id, reason_id = int(parts[1]), int(parts[2])
                line = lines.setdefault(model_id, operations.WashLine(model_id, 0, 0))
                line.rejects[reason_id] = parse_count(raw, "Rebuts", field=key)
        recorded = operations.wash(
            db.session, actor=current_user, at=utcnow(), event_id=_event_id(), washer_id=washer.id,
            lines=list(lines.values()),
            water_l=parse_optional_decimal(request.form.get("water_l"), "Eau", 1_000_000, "water_l"),
            energy_kwh=parse_optional_decimal(request.form.get("energy_kwh"), "Énergie", 1_000_000,
                                              "energy_kwh"),
            hours=parse_optional_hours(request.form.get("hours")),
            note=request.form.get("note", "")[:500], allowed=_allowed())
    except (InputError, LedgerError) as error:
        return _failed(error, "washer/batch.html", lambda: _wash_context(washer))
    db.session.commit()
    good = sum(m.quantity for m in recorded.event.movements if m.to_stage == Stage.CLEAN.value)
    bad = sum(m.quantity for m in recorded.event.movements if m.to_stage == Stage.REJECTED.value)
    flash(_("Lot de lavage enregistré : %(good)s, %(bad)s.",
            good=ngettext("%(n)s conforme", "%(n)s conformes", good, n=number(good)),
            bad=ngettext("%(n)s rebut", "%(n)s rebuts", bad, n=number(bad))), "success")
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


def _stocktake_context(washer, stage: Stage, counted: dict[int, int] | None = None) -> dict:
    """The stock-take form; with `counted`, the review: expected against counted, per model."""
    held = queries.stocks(db.session, washer.id)[stage]
    models = [] if stage == Stage.RECEIVED else [
        m for m in queries.models(db.session) if m.in_pool or m.id in held]
    lines = ([(0, _("Bouteilles non triées"))] if stage == Stage.RECEIVED
             else [(m.id, m.name) for m in models])
    review = None
    if counted is not None:
        review = [{"id": i, "name": name, "expected": held.get(i, 0), "counted": counted.get(i),
                   "gap": None if i not in counted else counted[i] - held.get(i, 0)}
                  for i, name in lines]
    return {**_common(washer), "stage": stage, "lines": lines, "review": review,
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


def _counted() -> dict[int, int]:
    """The counts typed (a blank field is not counted); at least one is needed."""
    counted = {m: parse_count(v, "Bouteilles comptées", field=f"c-{m}")
               for m, v in _ids_from("c-").items() if v.strip()}
    if not counted:
        raise InputError(_("Comptez au moins un modèle : un champ laissé vide n'est pas compté."))
    return counted


@bp.post("/inventaire")
@role_required(*STAFF)
def stocktake_post():
    """First the counts, then the review (expected against counted), then the confirmation."""
    washer = _washer()
    stage = _stage_arg()
    try:
        counted = _counted()
        if request.form.get("action") != "confirm":
            page = {**_stocktake_context(washer, stage, counted), "values": request.form}
            return render_template("washer/stocktake.html", **page)
        held = queries.stocks(db.session, washer.id)[stage]
        shown = {m: v.strip() for m, v in _ids_from("e-").items()}
        if any(shown.get(m) != str(held.get(m, 0)) for m in counted):
            flash(_("Le stock attendu a changé depuis votre comptage (une autre saisie) : vérifiez "
                    "les écarts ci-dessous, puis confirmez."), "warning")
            page = {**_stocktake_context(washer, stage, counted), "values": request.form}
            return render_template("washer/stocktake.html", **page), 409
        recorded = operations.stocktake(
            db.session, actor=current_user, at=utcnow(), event_id=_event_id(), washer_id=washer.id,
            stage=stage, counted=counted,
            loss_reason_id=_int_or_none(request.form.get("loss_reason"), "Motif"),
            surplus_reason_id=_int_or_none(request.form.get("surplus_reason"), "Motif"),
            note=request.form.get("note", "")[:500], allowed=_allowed())
    except (InputError, LedgerError) as error:
        return _failed(error, "washer/stocktake.html", lambda: _stocktake_context(
            washer, stage, _counted_or_none()))
    db.session.commit()
    if recorded is None:
        flash(_("Inventaire conforme : aucun écart, rien à enregistrer."), "success")
    else:
        lost = sum(m.quantity for m in recorded.event.movements if m.to_stage == Stage.LOST.value)
        extra = sum(m.quantity for m in recorded.event.movements if m.from_stage == Stage.OUTSIDE.value)
        flash(_("Inventaire enregistré : %(lost)s, %(extra)s.",
                lost=ngettext("%(n)s manquante", "%(n)s manquantes", lost, n=number(lost)),
                extra=ngettext("%(n)s en plus", "%(n)s en plus", extra, n=number(extra))), "success")
    return redirect(url_for("washer.stock", w=washer.id))


def _counted_or_none() -> dict[int, int] | None:
    """The counts for re-showing a refused review; None (the blank form) if they are unreadable."""
    try:
        return _counted()
    except InputError:
        return None


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
