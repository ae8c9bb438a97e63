"""Reading the sale form: lines of model × quantity × price, the winemaker, the date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from bottles.numbers import parse_id, shown
from bottles.rules import PARIS
from resales.rules import (
    Line,
    SaleFormError,
    SaleInputError,
    parse_price,
    parse_quantity,
)


@dataclass(frozen=True)
class SaleForm:
    washer_id: int
    winemaker_id: int
    occurred_at: datetime
    lines: list[Line]
    note: str


def _int(raw: str | None, what: LazyString) -> int:
    number = parse_id(raw)
    if number is None:
        raise SaleInputError(_l("%(what)s : choisissez dans la liste.", what=what))
    return number


def _model(raw: str) -> int:
    return _int(raw, _l("Modèle"))


def sale_date(raw: str | None, now: datetime) -> datetime:
    """The sale's day (Paris): today means now, another past day means noon that day."""
    today = now.astimezone(PARIS).date()
    text = (raw or "").strip()
    try:
        day = date.fromisoformat(text) if text else today
    except ValueError:
        raise SaleInputError(_l("Date « %(typed)s » illisible (attendu : AAAA-MM-JJ).",
                                 typed=text)) from None
    if day > today:
        raise SaleInputError(_l("La date de vente ne peut pas être dans le futur."))
    if day.year < 2000:
        raise SaleInputError(_l("Date de vente invraisemblable."))
    return now if day == today else datetime.combine(day, time(12, 0), tzinfo=PARIS)


def _lines(form: MultiDict, default_price: int, errors: dict[str, str]) -> list[Line]:
    """The lines typed, each error kept under its field name (model_id-0, quantity-1…)."""
    lines = []
    models, quantities, prices = (form.getlist("model_id"), form.getlist("quantity"),
                                  form.getlist("unit_price"))
    for i, model in enumerate(models):
        quantity = quantities[i] if i < len(quantities) else ""
        price = prices[i] if i < len(prices) else ""
        if not model.strip() and not quantity.strip():
            continue  # an empty spare line
        parsed = {}
        for name, parse, raw in (("model_id", _model, model), ("quantity", parse_quantity, quantity),
                                 ("unit_price", lambda text: parse_price(text, default_price),
                                  price)):
            try:
                parsed[name] = parse(raw)
            except SaleInputError as error:
                errors[f"{name}-{i}"] = str(error)
        if len(parsed) == 3:
            lines.append(Line(parsed["model_id"], parsed["quantity"], parsed["unit_price"], i))
    return lines


def typed_lines(form: MultiDict, default_price: int) -> list[Line]:
    """The lines of a form that could be read (for the total shown again beside a refusal)."""
    return _lines(form, default_price, {})


def parse_sale(form: MultiDict, now: datetime, default_price: int) -> SaleForm:
    """The sale typed, or SaleFormError naming every field to fix."""
    errors: dict[str, str] = {}
    lines = _lines(form, default_price, errors)
    values = {}
    for name, parse in (("winemaker_id", lambda: _int(form.get("winemaker_id"), _l("Vigneron"))),
                        ("washer_id", lambda: _int(form.get("washer_id"), _l("Centre de lavage"))),
                        ("date", lambda: sale_date(form.get("date"), now))):
        try:
            values[name] = parse()
        except SaleInputError as error:
            errors[name] = str(error)
    if not lines and not any(key.startswith(("model_id", "quantity", "unit_price"))
                             for key in errors):
        errors["lines"] = str(_l("Une vente doit avoir au moins une ligne (modèle, quantité, prix)."))
    if errors:
        raise SaleFormError(errors)
    return SaleForm(values["washer_id"], values["winemaker_id"], values["date"], lines,
                    (form.get("note") or "")[:500])


# --- A reservation ---------------------------------------------------------------------------------

UNITS = ("bottles", "pallets")
MAX_PALLETS = 1000
MAX_AHEAD_DAYS = 3 * 366  # a wanted-by day further than three years is a typing slip


@dataclass(frozen=True)
class ReservationForm:
    winemaker_id: int | None  # None: the person's own estate
    model_id: int
    quantity: int             # bottles
    pallets: int | None       # as typed, when asked in pallets
    wanted_by: date
    note: str


def wanted_day(raw: str | None, now: datetime) -> date:
    """The day the bottles are wanted by: today (Paris) or later, within three years."""
    text = (raw or "").strip()
    if not text:
        raise SaleInputError(_l("Indiquez pour quand les bouteilles sont voulues."))
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise SaleInputError(_l("Date « %(typed)s » illisible (attendu : AAAA-MM-JJ).",
                                 typed=shown(text))) from None
    today = now.astimezone(PARIS).date()
    if day < today:
        raise SaleInputError(_l("La date voulue est passée : choisissez aujourd'hui ou plus tard."))
    if (day - today).days > MAX_AHEAD_DAYS:
        raise SaleInputError(_l("Date voulue trop lointaine : trois ans au plus."))
    return day


def parse_reservation(form: MultiDict, now: datetime, pallet_size: int,
                      pick_winemaker: bool) -> ReservationForm:
    """The reservation typed, or SaleFormError naming every field to fix (quantity in bottles,
    or in pallets of `pallet_size`)."""
    errors: dict[str, str] = {}
    values: dict = {}
    unit = form.get("unit") or "bottles"
    if unit not in UNITS:
        errors["unit"] = str(_l("Unité : bouteilles ou palettes."))
    fields = [("model_id", lambda: _int(form.get("model_id"), _l("Modèle"))),
              ("quantity", lambda: parse_quantity(form.get("quantity"))),
              ("wanted_by", lambda: wanted_day(form.get("wanted_by"), now))]
    if pick_winemaker:
        fields.append(("winemaker_id", lambda: _int(form.get("winemaker_id"), _l("Vigneron"))))
    for name, parse in fields:
        try:
            values[name] = parse()
        except SaleInputError as error:
            errors[name] = str(error)
    pallets = None
    if "quantity" in values and unit == "pallets":
        if values["quantity"] > MAX_PALLETS:
            errors["quantity"] = str(_l("Au plus %(n)s palettes par réservation.", n=MAX_PALLETS))
        else:
            pallets = values["quantity"]
            values["quantity"] = pallets * pallet_size
    if errors:
        raise SaleFormError(errors)
    return ReservationForm(values.get("winemaker_id"), values["model_id"], values["quantity"], pallets,
                           values["wanted_by"], (form.get("note") or "").strip()[:500])
