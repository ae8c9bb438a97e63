"""Pure rules of a resale: lines, prices and what the winemaker saved (CO₂ factors: bottles.rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import LazyString, format_decimal
from flask_babel import lazy_gettext as _l

from bottles.numbers import ascii_digits, bounded, shown
from bottles.rules import MAX_QUANTITY, MAX_UNIT_PRICE_CENTS

DEFAULT_RESALE_CENTS = 30
DEFAULT_NEW_BOTTLE_CENTS = 80
MAX_LINES = 50


class SaleInputError(ValueError):
    """A sale form value the person must fix (a 422, nothing recorded)."""


class SaleFormError(SaleInputError):
    """Every field of the sale form that must be fixed, by field name (shown beside it)."""

    def __init__(self, errors: dict[str, str | LazyString]) -> None:
        super().__init__(" ".join(str(message) for message in errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Line:
    model_id: int
    quantity: int
    unit_price_cents: int
    index: int = field(default=0, compare=False)  # its place in the form, to show errors there


def shortage(held: int, washer: str, above: int = 0) -> LazyString:
    """Why a line asks for more clean bottles than the washer holds (`above`: what the lines
    above already take of the same model)."""
    if held <= 0:
        return _l("Aucune bouteille propre de ce modèle à %(washer)s.", washer=washer)
    if above:
        return _l("Stock insuffisant : il n'en reste que %(held)s en stock propre à %(washer)s, dont "
                  "%(above)s déjà pris par les lignes du dessus.", held=LazyString(format_decimal, held),
                  washer=washer, above=LazyString(format_decimal, above))
    return _l("Stock insuffisant : il n'en reste que %(held)s en stock propre à %(washer)s.",
              held=LazyString(format_decimal, held), washer=washer)


def total_cents(lines: list[Line]) -> int:
    return sum(line.quantity * line.unit_price_cents for line in lines)


def parse_price(raw: str | None, default_cents: int) -> int:
    """A unit price in euros typed as 0,30 or 0.30 (blank = the default), in integer cents."""
    text = (raw or "").strip().replace("€", "").replace(" ", "").replace(",", ".")
    if not text:
        return default_cents
    if not re.fullmatch(r"-?[0-9]{1,6}(\.[0-9]{1,2})?", text):
        raise SaleInputError(_l("Prix « %(typed)s » illisible : écrivez par exemple 0,30.",
                                  typed=raw.strip()))
    sign = -1 if text.startswith("-") else 1
    euros, _, cents = text.lstrip("-").partition(".")
    value = sign * (int(euros) * 100 + int((cents + "00")[:2]))
    if not 0 <= value <= MAX_UNIT_PRICE_CENTS:
        raise SaleInputError(_l("Le prix unitaire doit être entre 0 et 10 €."))
    return value


def parse_quantity(raw: str | None) -> int:
    text = ascii_digits(raw, grouped=True)
    if text is None or not text.strip("0"):
        raise SaleInputError(_l("Quantité « %(typed)s » : un nombre entier de bouteilles, plus grand "
                                "que zéro.", typed=shown(raw or "")))
    value = bounded(text, MAX_QUANTITY)
    if value is None:
        raise SaleInputError(_l("Quantité invraisemblable."))
    return value


def merge_lines(lines: list[Line]) -> list[Line]:
    """Refuse a sale without lines or naming a model twice at two prices."""
    if not lines:
        raise SaleInputError(_l("Une vente doit avoir au moins une ligne (modèle, quantité, prix)."))
    if len(lines) > MAX_LINES:
        raise SaleInputError(_l("Au plus %(n)s lignes par vente.", n=MAX_LINES))
    seen: dict[tuple[int, int], int] = {}
    for line in lines:
        key = (line.model_id, line.unit_price_cents)
        seen[key] = seen.get(key, 0) + line.quantity
    return [Line(m, q, p) for (m, p), q in seen.items()]


def saving_cents(quantity: int, unit_price_cents: int, new_bottle_cents: int) -> int:
    return quantity * (new_bottle_cents - unit_price_cents)
