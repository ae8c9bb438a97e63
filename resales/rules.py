"""Pure rules of a resale: lines, prices and what the winemaker saved (CO₂ factors: bottles.rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from babel.numbers import format_decimal

from bottles.rules import MAX_QUANTITY, MAX_UNIT_PRICE_CENTS

DEFAULT_RESALE_CENTS = 30
DEFAULT_NEW_BOTTLE_CENTS = 80
MAX_LINES = 50


class SaleInputError(ValueError):
    """A sale form value the person must fix (a 422, nothing recorded)."""


class SaleFormError(SaleInputError):
    """Every field of the sale form that must be fixed, by field name (shown beside it)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Line:
    model_id: int
    quantity: int
    unit_price_cents: int
    index: int = field(default=0, compare=False)  # its place in the form, to show errors there


def shortage(held: int, washer: str, above: int = 0) -> str:
    """Why a line asks for more clean bottles than the washer holds (`above`: what the lines
    above already take of the same model)."""
    if held <= 0:
        return f"Aucune bouteille propre de ce modèle à {washer}."
    message = (f"Stock insuffisant : il n'en reste que {format_decimal(held, locale='fr_FR')} en "
               f"stock propre à {washer}")
    if above:
        message += f", dont {format_decimal(above, locale='fr_FR')} déjà pris par les lignes du dessus"
    return message + "."


def total_cents(lines: list[Line]) -> int:
    return sum(line.quantity * line.unit_price_cents for line in lines)


def parse_price(raw: str | None, default_cents: int) -> int:
    """A unit price in euros typed as 0,30 or 0.30 (blank = the default), in integer cents."""
    text = (raw or "").strip().replace("€", "").replace(" ", "").replace(",", ".")
    if not text:
        return default_cents
    if not re.fullmatch(r"-?\d{1,6}(\.\d{1,2})?", text):
        raise SaleInputError(f"Prix « {raw.strip()} » illisible : écrivez par exemple 0,30.")
    sign = -1 if text.startswith("-") else 1
    euros, _, cents = text.lstrip("-").partition(".")
    value = sign * (int(euros) * 100 + int((cents + "00")[:2]))
    if not 0 <= value <= MAX_UNIT_PRICE_CENTS:
        raise SaleInputError("Le prix unitaire doit être entre 0 et 10 €.")
    return value


def parse_quantity(raw: str | None) -> int:
    text = (raw or "").strip().replace(" ", "").replace("\u202f", "")
    if not text.isdigit() or int(text) <= 0:
        raise SaleInputError(f"Quantité « {(raw or '').strip()} » : un nombre entier de bouteilles, "
                             "plus grand que zéro.")
    if int(text) > MAX_QUANTITY:
        raise SaleInputError("Quantité invraisemblable.")
    return int(text)


def merge_lines(lines: list[Line]) -> list[Line]:
    """Refuse a sale without lines or naming a model twice at two prices."""
    if not lines:
        raise SaleInputError("Une vente doit avoir au moins une ligne (modèle, quantité, prix).")
    if len(lines) > MAX_LINES:
        raise SaleInputError(f"Au plus {MAX_LINES} lignes par vente.")
    seen: dict[tuple[int, int], int] = {}
    for line in lines:
        key = (line.model_id, line.unit_price_cents)
        seen[key] = seen.get(key, 0) + line.quantity
    return [Line(m, q, p) for (m, p), q in seen.items()]


def saving_cents(quantity: int, unit_price_cents: int, new_bottle_cents: int) -> int:
    return quantity * (new_bottle_cents - unit_price_cents)
