"""Resales pages: record a sale, its delivery note (page and PDF), winemaker pages, corrections."""

from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bottles.auth import OVERSEERS, role_required, washer_ids
from bottles.db import db
from bottles.errors import error_page
from bottles.i18n import day
from bottles.models import Event, Washer, Winemaker, utcnow
from bottles.numbers import parse_id
from bottles.paging import page_number
from bottles.queries import corrected_seqs
from bottles.retry import retried
from bottles.rules import CO2_NEW_BOTTLE_KG, CO2_REUSED_BOTTLE_KG, Kind, LedgerError
from resales import operations, queries
from resales.forms import parse_sale, typed_lines
from resales.models import Reservation
from resales.pdf import delivery_note_pdf
from resales.rules import (
    DEFAULT_NEW_BOTTLE_CENTS,
    DEFAULT_RESALE_CENTS,
    SaleFormError,
    SaleInputError,
    total_cents,
)
from resales.scope import may_see_sale

bp = Blueprint("resales", __name__, url_prefix="/ventes", template_folder="templates",
               static_folder="static", static_url_path="/static/resales")
ROLES = ("washer",)


@bp.errorhandler(IntegrityError)
def _raced(_error):
    """Two submissions of one form at the same instant: the loser learns it was recorded once."""
    db.session.rollback()
    try:
        seq = db.session.scalar(select(Event.seq).where(
            Event.id == uuid.UUID(request.form.get("event_id", ""))))
    except ValueError:
        seq = None
    if seq:
        flash(_("Déjà enregistré (envoi en double) : rien n'a été compté deux fois."), "info")
        return redirect(url_for("resales.note", seq=seq)
                        if request.endpoint in ("resales.create", "resales.fulfil")
                        else request.referrer or url_for("resales.index"))
    if request.endpoint == "resales.reserve" and db.session.scalar(select(Reservation.id).where(
            Reservation.request_id == _uuid_or_none(request.form.get("request_id", "")))):
        flash(_("Déjà enregistré (envoi en double) : la réservation n'a été comptée qu'une fois."), "info")
        return redirect(request.referrer or url_for("resales.mine"))
    return error_page(409, _("Conflit avec un autre enregistrement au même instant : rien n'a été "
                             "enregistré. Rechargez la page et recommencez."))


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


SALES_PER_PAGE = 30


def _seller_washers() -> set[int] | None:
    """Washers the person may sell from: all for coordinators, else those allowing their staff."""
    if current_user.role in OVERSEERS:
        return None
    allowed = {w.id for w in current_user.washers if w.staff_may_sell}
    if not allowed:
        abort(403)
    return allowed


def _prices() -> tuple[int, int]:
    return (queries.setting_int(db.session, "resale_price_cents", DEFAULT_RESALE_CENTS),
            queries.setting_int(db.session, "new_bottle_price_cents", DEFAULT_NEW_BOTTLE_CENTS))


def _form_context(allowed: set[int] | None) -> dict:
    resale, _new = _prices()
    washers = select(Washer).where(Washer.active.is_(True)).order_by(Washer.name)
    if allowed is not None:
        washers = washers.where(Washer.id.in_(allowed))
    stock = queries.available(db.session, allowed)
    return {
        "washers": list(db.session.scalars(washers)),
        "winemakers": list(db.session.scalars(select(Winemaker).where(Winemaker.active.is_(True))
                                              .order_by(Winemaker.estate))),
        "stock": stock, "default_price": resale, "new_id": str(uuid.uuid4()),
        "today": utcnow().date().isoformat(),
        # the washer holding the oldest clean stock comes first: sales draw on the oldest washes
        "first_washer": min(stock, key=lambda a: a.oldest or utcnow()).washer_id if stock else None,
    }


@bp.get("/")
@role_required(*ROLES)
def index():
    """The sales, newest first, by pages, and a link to record one where the person may sell."""
    allowed = washer_ids(current_user)
    may_sell = current_user.role in OVERSEERS or any(w.staff_may_sell for w in current_user.washers)
    page = page_number()
    rows = queries.sales(db.session, allowed, limit=SALES_PER_PAGE + 1,
                         offset=(page - 1) * SALES_PER_PAGE)
    return render_template("resales/index.html", sales=rows[:SALES_PER_PAGE], may_sell=may_sell,
                           page=page, has_next=len(rows) > SALES_PER_PAGE)


@bp.get("/nouvelle")
@role_required(*ROLES)
def new():
    """The sale form: the washers' clean stock, oldest wash first, lines of model, quantity, price."""
    return render_template("resales/new.html", values={}, errors={}, total=None,
                           **_form_context(_seller_washers()))


@bp.post("/nouvelle")
@role_required(*ROLES)
@retried
def create():
    """The sale recorded and its delivery note, or the form again with each refusal beside its field."""
    allowed = _seller_washers()
    resale, _new = _prices()
    try:
        event_id = uuid.UUID(request.form.get("event_id", ""))
    except ValueError:
        abort(400, description=_("Identifiant d'événement manquant : rechargez la page."))
    try:
        form = parse_sale(request.form, utcnow(), resale)
        if allowed is not None and form.washer_id not in allowed:
            raise SaleFormError({"washer_id": _("Vous ne pouvez pas vendre le stock de ce centre "
                                                "de lavage.")})
        recorded = operations.record_sale(
            db.session, actor=current_user, at=form.occurred_at, event_id=event_id,
            washer_id=form.washer_id, winemaker_id=form.winemaker_id, lines=form.lines,
            note=form.note)
    except (SaleInputError, LedgerError) as error:
        db.session.rollback()
        errors = _sale_errors(error, allowed, resale)
        flash(_("Vente non enregistrée : corrigez ce qui est signalé.") if errors else str(error),
              "error")
        status = 403 if _not_theirs(allowed) else 422 if isinstance(error, SaleInputError) else 409
        return render_template("resales/new.html", values=request.form, errors=errors,
                               total=total_cents(typed_lines(request.form, resale)),
                               **_form_context(allowed)), status
    db.session.commit()
    flash(_("Vente enregistrée. Voici le bon de livraison."), "success")
    return redirect(url_for("resales.note", seq=recorded.event.seq))


def _not_theirs(allowed: set[int] | None) -> bool:
    """The washer chosen is one the person may not sell from (its refusal is beside the field)."""
    washer_id = parse_id(request.form.get("washer_id"))
    return allowed is not None and washer_id is not None and washer_id not in allowed


def _sale_errors(error: Exception, allowed: set[int] | None, resale: int) -> dict[str, str]:
    """The refusal by field; the lines are checked against the stock even when another field
    was wrong, so every fix is shown at once."""
    errors = dict(error.errors) if isinstance(error, SaleFormError) else {}
    if not isinstance(error, SaleFormError) and isinstance(error, SaleInputError):
        errors["lines"] = str(error)
    washer_id = parse_id(request.form.get("washer_id"))
    washer = db.session.get(Washer, washer_id) if washer_id else None
    if washer is not None and (allowed is None or washer.id in allowed):
        for name, message in operations.check_lines(
                db.session, washer, typed_lines(request.form, resale)).items():
            errors.setdefault(name, message)
    return errors


def _sale(seq: int) -> Event:
    """The sale if the person may see it (resales.scope), else 404: another's is not revealed."""
    sale = db.session.get(Event, seq)
    if sale is None or sale.kind != Kind.SALE.value or not may_see_sale(current_user, sale):
        abort(404, description=_("Vente introuvable."))
    return sale


def _note_context(sale: Event) -> dict:
    _resale, new_price = _prices()
    winemaker = db.session.get(Winemaker, sale.movements[0].winemaker_id) if sale.movements else None
    return {"sale": sale, "winemaker": winemaker, "washer": db.session.get(Washer, sale.washer_id),
            "note": queries.delivery_note(db.session, sale, new_price), "new_price": new_price,
            "channel": current_app.config["CHANNEL_NAME"],
            "co2_new_kg": CO2_NEW_BOTTLE_KG, "co2_reused_kg": CO2_REUSED_BOTTLE_KG,
            "corrected_by": corrected_seqs(db.session, [sale.seq]).get(sale.seq)}


@bp.get("/<int:seq>")
@role_required("washer", "winemaker")
def note(seq: int):
    """A sale's delivery note to print (saving, CO₂ and glass avoided); those allowed may cancel it."""
    sale = _sale(seq)
    return render_template("resales/note.html", new_id=str(uuid.uuid4()), values={},
                           may_correct=_may_correct(sale), **_note_context(sale))


@bp.get("/<int:seq>.pdf")
@role_required("washer", "winemaker")
def note_pdf(seq: int):
    """The delivery note as an A4 PDF."""
    sale = _sale(seq)
    context = _note_context(sale)
    body = delivery_note_pdf(
        channel=context["channel"], title=_("Bon de livraison n° %(seq)s", seq=sale.seq), sale=sale,
        winemaker=context["winemaker"], washer=context["washer"], when=day(sale.occurred_at, "long"),
        note=context["note"], new_bottle_cents=context["new_price"])
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="bon-livraison-{sale.seq}.pdf"'})


def _may_correct(sale: Event) -> bool:
    if current_user.role in OVERSEERS:
        return True
    return current_user.role == "washer" and sale.washer_id in {w.id for w in current_user.washers}


@bp.post("/<int:seq>/corriger")
@role_required(*ROLES)
@retried
def correct(seq: int):
    """The sale cancelled by its exact reverse, its bottles back in clean stock."""
    sale = _sale(seq)
    if not _may_correct(sale):
        abort(403)
    try:
        event_id = uuid.UUID(request.form.get("event_id", ""))
        operations.correct_sale(db.session, actor=current_user, at=utcnow(), event_id=event_id,
                                sale=sale, note=request.form.get("note", "")[:500])
    except ValueError as error:  # SaleInputError, LedgerError, a bad UUID
        db.session.rollback()
        message = str(error) if isinstance(error, SaleInputError | LedgerError) else \
            _("Identifiant d'événement manquant : rechargez la page.")
        flash(message, "error")
        return render_template("resales/note.html", new_id=str(uuid.uuid4()), values=request.form,
                               may_correct=True, **_note_context(sale)), \
            (409 if isinstance(error, LedgerError) else 422)
    db.session.commit()
    flash(_("Vente annulée : les bouteilles reviennent en stock propre."), "success")
    return redirect(url_for("resales.note", seq=sale.seq))


@bp.get("/vigneron/<int:winemaker_id>")
@role_required("coordinator")
def winemaker(winemaker_id: int):
    """One estate's purchases, savings, refused labelled bottles and sales."""
    row = db.session.get(Winemaker, winemaker_id)
    if row is None:
        abort(404, description=_("Vigneron inconnu."))
    _resale, new_price = _prices()
    return render_template("resales/winemaker.html", winemaker=row, new_price=new_price,
                           labels=queries.label_refusals(db.session).get(row.id, 0),
                           totals=queries.purchases(db.session, row.id, new_price),
                           sales=queries.sales(db.session, None, winemaker_id=row.id))


@bp.get("/vignerons")
@role_required("coordinator")
def winemakers():
    """The estates, those whose permanent labels get bottles refused first."""
    labels = queries.label_refusals(db.session)
    rows = sorted(db.session.scalars(select(Winemaker)), key=lambda w: (-labels.get(w.id, 0), w.estate))
    return render_template("resales/winemakers.html", winemakers=rows, labels=labels)
