"""Reading the sale form: lines of model × quantity × price, the winemaker, the date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from bottles.numbers import parse_id
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
