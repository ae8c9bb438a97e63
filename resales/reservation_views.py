"""Reservations pages: a winemaker's own page, coordination's list, the washer's list of what to
wash and assemble for whom, and the one-step sale of a reservation (on the resales blueprint)."""

from __future__ import annotations

import uuid

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from bottles.auth import OVERSEERS, role_required, washer_ids
from bottles.db import db
from bottles.errors import error_page
from bottles.i18n import day, number
from bottles.models import BottleModel, Washer, Winemaker, utcnow
from bottles.numbers import parse_id
from bottles.retry import retried
from bottles.rules import LedgerError
from resales import operations, queries
from resales.forms import parse_reservation
from resales.matching import Cover, balances
from resales.models import Reservation
from resales.rules import DEFAULT_RESALE_CENTS, SaleFormError, SaleInputError, parse_price
from resales.scope import may_cancel, may_see_reservation, own_estate, seller_washers
from resales.views import bp


def _refuse(message: str) -> None:
    """A 403 that says why (the generic 403 page says only that the page is not open to the account)."""
    abort(make_response(error_page(403, message)))


def _board(winemaker_id: int | None) -> dict:
    """What every reservation page shows: the reservations, each one's cover, the stock by model."""
    now = utcnow()
    covers = queries.covers(db.session, now)
    stock = queries.clean_stock_by_model(db.session)
    rows = queries.reservations(db.session, winemaker_id)
    return {"rows": rows, "covers": covers, "models": queries.model_names(db.session),
            "balances": balances(covers.values(), stock), "pace": queries.wash_pace(db.session, now),
            "pallet": queries.pallet_size(db.session), "pace_days": queries.PACE_DAYS,
            "history": queries.reservation_history(db.session, [r.id for r in rows]),
            "washer_names": dict(db.session.execute(select(Washer.id, Washer.name)).all())}


def _form_context(values, errors: dict, pick_winemaker: bool) -> dict:
    models = list(db.session.scalars(select(BottleModel).where(BottleModel.active.is_(True))
                                     .order_by(BottleModel.in_pool.desc(), BottleModel.name)))
    winemakers = list(db.session.scalars(select(Winemaker).where(Winemaker.active.is_(True))
                                         .order_by(Winemaker.estate))) if pick_winemaker else []
    return {"values": values, "errors": errors, "choices": models, "winemakers": winemakers,
            "new_id": str(uuid.uuid4()), "today": utcnow().date().isoformat()}


def unmet_message(cover: Cover | None, reservation: Reservation) -> str | None:
    """What to say when a reservation goes beyond what stock and washes supply by its day."""
    if cover is None or cover.unmet == 0:
        return None
    return _("Réservation acceptée, mais %(unmet)s bouteilles sur %(total)s ne sont couvertes ni par le "
             "stock propre ni par le rythme de lavage d'ici le %(day)s : elles sont comptées comme "
             "demande non satisfaite.", unmet=number(cover.unmet), total=number(cover.quantity),
             day=day(reservation.wanted_by))


@bp.get("/mes-reservations")
@role_required("winemaker")
def mine():
    """A winemaker's page: reserve, their reservations and how each is covered, the clean stock
    by model (no other estate named), their purchases and delivery notes."""
    if current_user.role in OVERSEERS:
        return redirect(url_for("resales.reservations"))
    estate = own_estate(current_user)
    return _mine_page(estate, {}, {}), 200


def _mine_page(estate: int, values, errors: dict) -> str:
    board = _board(estate)
    return render_template("resales/mine.html", winemaker=db.session.get(Winemaker, estate),
                           sales=queries.sales(db.session, None, winemaker_id=estate, limit=50),
                           **board, **_form_context(values, errors, pick_winemaker=False))


@bp.get("/reservations")
@role_required("coordinator")
def reservations():
    """Coordination: every reservation, its cover, demand against supply per model; enter one."""
    return _coordination_page({}, {})


def _coordination_page(values, errors: dict) -> str:
    return render_template("resales/reservations.html", **_board(None),
                           **_form_context(values, errors, pick_winemaker=True))


@bp.post("/reservations")
@role_required("winemaker")
@retried
def reserve():
    """A reservation recorded (by the winemaker for their estate, or by coordination for one);
    beyond what can be supplied it is accepted as unmet demand, and the page says so."""
    coordinating = current_user.role in OVERSEERS
    estate = None if coordinating else own_estate(current_user)
    try:
        request_id = uuid.UUID(request.form.get("request_id", ""))
    except ValueError:
        abort(400, description=_("Identifiant de formulaire manquant : rechargez la page."))
    existing = db.session.scalar(select(Reservation).where(Reservation.request_id == request_id))
    if existing is not None and may_see_reservation(current_user, existing):
        flash(_("Déjà enregistré (envoi en double) : la réservation n'a été comptée qu'une fois."), "info")
        return redirect(url_for("resales.reservations" if coordinating else "resales.mine"))
    try:
        typed = parse_reservation(request.form, utcnow(), queries.pallet_size(db.session),
                                  pick_winemaker=coordinating)
        row = operations.create_reservation(
            db.session, actor=current_user, at=utcnow(), request_id=request_id,
            winemaker_id=typed.winemaker_id if coordinating else estate, model_id=typed.model_id,
            quantity=typed.quantity, pallets=typed.pallets, wanted_by=typed.wanted_by, note=typed.note)
    except SaleFormError as error:
        db.session.rollback()
        flash(_("Réservation non enregistrée : corrigez ce qui est signalé."), "error")
        page = _coordination_page(request.form, error.errors) if coordinating else \
            _mine_page(estate, request.form, error.errors)
        return page, 422
    cover = queries.covers(db.session, utcnow()).get(row.id)
    db.session.commit()
    warning = unmet_message(cover, row)
    if warning:
        flash(warning, "warning")
    else:
        flash(_("Réservation enregistrée."), "success")
    return redirect(url_for("resales.reservations" if coordinating else "resales.mine"))


def _reservation(reservation_id: int) -> Reservation:
    row = db.session.get(Reservation, reservation_id)
    if row is None or not may_see_reservation(current_user, row):
        abort(404, description=_("Réservation introuvable."))
    return row


@bp.post("/reservations/<int:reservation_id>/annuler")
@role_required("winemaker")
@retried
def cancel(reservation_id: int):
    """The reservation cancelled by its estate or by coordination; its history is kept."""
    row = _reservation(reservation_id)
    if not may_cancel(current_user, row):
        abort(403)
    try:
        operations.cancel_reservation(db.session, actor=current_user, at=utcnow(), reservation=row,
                                      note=request.form.get("note", ""))
    except SaleInputError as error:
        db.session.rollback()
        abort(409, description=str(error))
    db.session.commit()
    flash(_("Réservation annulée."), "success")
    return redirect(url_for("resales.mine" if current_user.role == "winemaker" else "resales.reservations"))


def _sale_washers(row: Reservation) -> list[tuple[Washer, int]]:
    """The washers the person may sell from with their clean stock of the reservation's model."""
    allowed = seller_washers(current_user)
    if allowed is not None and not allowed:
        _refuse(_("Votre centre de lavage ne vend pas lui-même : la coordination enregistre ses ventes."))
    held = {a.washer_id: a for a in queries.available(db.session, allowed)
            if a.model_id == row.bottle_model_id}
    washers = select(Washer).where(Washer.active.is_(True)).order_by(Washer.name)
    if allowed is not None:
        washers = washers.where(Washer.id.in_(allowed))
    now = utcnow()

    def oldest_first(washer: Washer):  # the washer holding the oldest wash is offered first
        lot = held.get(washer.id)
        return (lot is None, (lot.oldest or now) if lot else now, washer.name)

    return [(w, held[w.id].quantity if w.id in held else 0)
            for w in sorted(db.session.scalars(washers), key=oldest_first)]


def _fulfil_page(row: Reservation, values, errors: dict, status: int = 200):
    price = queries.setting_int(db.session, "resale_price_cents", DEFAULT_RESALE_CENTS)
    return render_template("resales/fulfil.html", row=row, washers=_sale_washers(row), values=values,
                           errors=errors, default_price=price, new_id=str(uuid.uuid4()),
                           cover=queries.covers(db.session, utcnow()).get(row.id)), status


@bp.get("/reservations/<int:reservation_id>/vendre")
@role_required("washer")
def fulfil_form(reservation_id: int):
    """The reservation's sale in one step: from which washer, at what price."""
    row = _reservation(reservation_id)
    if row.status != "open":
        flash(_("Cette réservation n'est plus ouverte (annulée ou déjà livrée)."), "info")
        return redirect(url_for("resales.note", seq=row.sale_seq) if row.sale_seq
                        else url_for("resales.reservations"))
    return _fulfil_page(row, {}, {})


@bp.post("/reservations/<int:reservation_id>/vendre")
@role_required("washer")
@retried
def fulfil(reservation_id: int):
    """The sale recorded and the reservation fulfilled in one transaction; then its delivery note."""
    row = _reservation(reservation_id)
    allowed = seller_washers(current_user)
    if allowed is not None and not allowed:
        _refuse(_("Votre centre de lavage ne vend pas lui-même : la coordination enregistre ses ventes."))
    try:
        event_id = uuid.UUID(request.form.get("event_id", ""))
    except ValueError:
        abort(400, description=_("Identifiant d'événement manquant : rechargez la page."))
    price = queries.setting_int(db.session, "resale_price_cents", DEFAULT_RESALE_CENTS)
    errors: dict[str, str] = {}
    washer_id = parse_id(request.form.get("washer_id"))
    if washer_id is None:
        errors["washer_id"] = _("Centre de lavage : choisissez dans la liste.")
    elif allowed is not None and washer_id not in allowed:
        _refuse(_("Vous ne pouvez pas vendre le stock de ce centre de lavage."))
    try:
        unit_price = parse_price(request.form.get("unit_price"), price)
    except SaleInputError as error:
        errors["unit_price"] = str(error)
    status = 422
    if not errors:
        try:
            recorded = operations.fulfil_reservation(
                db.session, actor=current_user, at=utcnow(), event_id=event_id, reservation=row,
                washer_id=washer_id, unit_price_cents=unit_price, note=request.form.get("note", "")[:500])
        except operations.ReservationStateError as error:
            db.session.rollback()
            errors["form"], status = str(error), 409
        except (SaleInputError, LedgerError) as error:
            db.session.rollback()
            messages = error.errors if isinstance(error, SaleFormError) else {"form": str(error)}
            errors["washer_id" if "washer_id" in messages or any(k.startswith("quantity") for k in messages)
                   else "form"] = " ".join(str(m) for m in messages.values())
        else:
            db.session.commit()
            flash(_("Réservation livrée : la vente est enregistrée. Voici le bon de livraison."), "success")
            return redirect(url_for("resales.note", seq=recorded.event.seq))
    db.session.rollback()
    row = _reservation(reservation_id)
    flash(_("Vente non enregistrée : corrigez ce qui est signalé."), "error")
    return _fulfil_page(row, request.form, errors, status)


@bp.get("/a-preparer")
@role_required("washer")
def prepare():
    """The washer's list: clean bottles to assemble for whom (oldest washes first) and what to wash
    for the reservations the stock does not cover yet."""
    board = _board(None)
    mine = washer_ids(current_user)
    assemble = []
    for row in board["rows"]:
        cover = board["covers"].get(row.id)
        if cover is None:
            continue
        takes = [t for t in cover.takes if mine is None or t.washer_id in mine]
        if takes:
            assemble.append((row, cover, takes))
    covers = board["covers"]
    to_wash = [(row, covers[row.id]) for row in board["rows"]
               if row.id in covers and covers[row.id].from_inflow + covers[row.id].unmet]
    to_wash.sort(key=lambda pair: (pair[0].wanted_by, pair[0].created_at))
    return render_template("resales/prepare.html", assemble=assemble, to_wash=to_wash,
                           sorted_stock=queries.sorted_stock(db.session, mine),
                           sellers=seller_washers(current_user), **board)
