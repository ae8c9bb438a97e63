"""Reading the sale form: lines of model × quantity × price, the winemaker, the date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from werkzeug.datastructures import MultiDict

from bottles.i18n import PARIS
from bottles.resales.rules import Line, SaleInputError, parse_price, parse_quantity


@dataclass(frozen=True)
class SaleForm:
    washer_id: int
    winemaker_id: int
    occurred_at: datetime
    lines: list[Line]
    note: str


def _int(raw: str | None, what: str) -> int:
    raw = (raw or "").strip()
    if not raw.isdigit():
        raise SaleInputError(f"{what} : choisissez dans la liste.")
    return int(raw)


def sale_date(raw: str | None, now: datetime) -> datetime:
    """The sale's day (Paris): today means now, another past day means noon that day."""
    today = now.astimezone(PARIS).date()
    text = (raw or "").strip()
    try:
        day = date.fromisoformat(text) if text else today
    except ValueError:
        raise SaleInputError(f"Date « {text} » illisible (attendu : AAAA-MM-JJ).") from None
    if day > today:
        raise SaleInputError("La date de vente ne peut pas être dans le futur.")
    if day.year < 2000:
        raise SaleInputError("Date de vente invraisemblable.")
    return now if day == today else datetime.combine(day, time(12, 0), tzinfo=PARIS)


def parse_sale(form: MultiDict, now: datetime, default_price: int) -> SaleForm:
    lines = []
    models, quantities, prices = (form.getlist("model_id"), form.getlist("quantity"),
                                  form.getlist("unit_price"))
    for i, model in enumerate(models):
        quantity = quantities[i] if i < len(quantities) else ""
        price = prices[i] if i < len(prices) else ""
        if not model.strip() and not quantity.strip():
            continue  # an empty spare line
        lines.append(Line(_int(model, "Modèle"), parse_quantity(quantity),
                          parse_price(price, default_price)))
    return SaleForm(_int(form.get("washer_id"), "Centre de lavage"),
                    _int(form.get("winemaker_id"), "Vigneron"), sale_date(form.get("date"), now),
                    lines, (form.get("note") or "")[:500])
