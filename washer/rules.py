"""Pure rules of the washer's work: parsing counts, pallets, hygiene age. No session; lazy gettext only."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import has_app_context
from flask_babel import LazyString, lazy_ngettext
from flask_babel import lazy_gettext as _l

from bottles.numbers import ascii_decimal, ascii_digits, bounded, shown
from bottles.rules import MAX_QUANTITY

HYGIENE_DAYS = 30
DEFAULT_PALLET = 1200
MAX_PALLET = 100_000

# Reasons the washer needs, created when the catalogue has none of a kind (code, label).
DEFAULT_REASONS: dict[str, list[tuple[str, str]]] = {
    "refusal": [("not_in_pool", "Modèle hors filière"), ("cremant", "Crémant"),
                ("permanent_label", "Étiquette permanente"), ("broken", "Cassée"),
                ("other", "Autre")],
    "reject": [("broken_wash", "Cassée"), ("chipped", "Ébréchée / fêlée"),
               ("label_on", "Étiquette restée"), ("dirty", "Sale"), ("other_wash", "Autre")],
    "loss": [("transit_breakage", "Casse en transport"), ("count_short", "Écart de comptage (manque)")],
    "surplus": [("count_over", "Écart de comptage (en plus)")],
}
# A refusal reason whose code or label says "permanent label" lets the sorter name the estate.
LABEL_HINTS = ("tiquette", "label", "permanent")


# How the driver's own count is noted on the pickup (collection_points.operations.pick_up).
_DRIVER_COUNT = re.compile(r"Compté à l'enlèvement\s*:\s*([0-9][0-9 \u202f\u00a0]{0,12}?)\s*bouteilles?\b")


def driver_count(note: str | None) -> int | None:
    """The bottles the driver counted at pickup, when the pickup's note records a count."""
    match = _DRIVER_COUNT.search(note or "")
    if not match:
        return None
    digits = ascii_digits(match.group(1), grouped=True)
    return bounded(digits, MAX_QUANTITY) if digits else None


def is_label_reason(code: str, label: str) -> bool:
    text = f"{code} {label}".lower()
    return any(hint in text for hint in LABEL_HINTS)


class InputError(ValueError):
    """A form value the person must fix (shown as a 422, nothing recorded), beside `field` if named."""

    def __init__(self, message: str | LazyString, field: str | None = None,
                 fields: dict[str, str | LazyString] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or ({field: message} if field else {}))


class NotYours(InputError):
    """The crate, round or washer belongs to another site (shown as a 403, nothing recorded)."""


def figure(value: int | float) -> LazyString:
    """A number in the person's locale ("1 200" in French, "1,200" in English); French outside the app."""
    def text() -> str:
        if has_app_context():
            from bottles.i18n import number

            return number(value)
        return f"{value:,}".replace(",", "\u202f")
    return LazyString(text)


def parse_count(raw: str | None, what: str, allow_blank: bool = True, field: str | None = None) -> int:
    """A bottle count typed in a form: a whole number ≥ 0 (blank means 0)."""
    text = (raw or "").strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    if not text:
        if allow_blank:
            return 0
        raise InputError(_l("%(what)s : indiquez un nombre de bouteilles.", what=what), field)
    if ascii_digits(text) is None:
        raise InputError(_l("%(what)s : « %(typed)s » n'est pas un nombre entier positif.", what=what,
                            typed=shown(raw)), field)
    value = bounded(text, MAX_QUANTITY)
    if value is None:
        raise InputError(_l("%(what)s : %(n)s bouteilles, c'est invraisemblable.", what=what,
                            n=shown(text)), field)
    return value


def parse_optional_decimal(raw: str | None, what: str, maximum: int, field: str | None = None):
    """Water or energy: blank, or a number ≥ 0 with a comma or a dot."""
    from decimal import Decimal, InvalidOperation

    text = (raw or "").strip().replace(",", ".").replace("\u202f", "").replace(" ", "")
    if not text:
        return None
    try:
        value = ascii_decimal(text)
    except InvalidOperation:
        raise InputError(_l("%(what)s : « %(typed)s » n'est pas un nombre.", what=what,
                            typed=raw.strip()), field) from None
    if not value.is_finite() or value < 0 or value > maximum:
        raise InputError(_l("%(what)s : la valeur doit être entre 0 et %(max)s.", what=what,
                            max=figure(maximum)), field)
    return value.quantize(Decimal("0.01"))


def parse_optional_hours(raw: str | None, field: str = "hours"):
    """Hours worked: blank, or as people type them ("4h30", "4,5"), shown beside `field` if wrong."""
    from bottles.rules import parse_hours

    if not (raw or "").strip():
        return None
    try:
        return parse_hours(raw)
    except ValueError as error:
        raise InputError(_l("Heures travaillées : %(error)s", error=error), field) from None


def bottles(n: int) -> LazyString:
    """"1 bouteille", "1 200 bouteilles" ("1,200 bottles"): a count of bottles in words."""
    return lazy_ngettext("%(count)s bouteille", "%(count)s bouteilles", n, count=figure(n))


def unbalanced(model: str | LazyString, taken: int, accepted: int, rejected: int) -> LazyString:
    """Why a wash line does not add up, in words: taken must be accepted + rejects."""
    return _l("%(model)s : %(accepted)s + %(rejected)s = %(total)s, mais le lot a pris %(taken)s.",
              model=model, accepted=lazy_ngettext("%(n)s conforme", "%(n)s conformes", accepted,
                                                  n=figure(accepted)),
              rejected=lazy_ngettext("%(n)s rebut", "%(n)s rebuts", rejected, n=figure(rejected)),
              total=figure(accepted + rejected), taken=bottles(taken))


def pallets(quantity: int, size: int) -> tuple[int, int]:
    """Full pallets and the remainder of bottles."""
    size = size if size and size > 0 else DEFAULT_PALLET
    return divmod(max(quantity, 0), size)


def age_days(washed_at: datetime, now: datetime) -> int:
    return max(0, (now - washed_at) // timedelta(days=1))


def is_stale(washed_at: datetime, now: datetime) -> bool:
    """Hygiene: refill within 30 days of washing."""
    return now - washed_at > timedelta(days=HYGIENE_DAYS)


# --- Corrections blocked by later work ---------------------------------------------------------

StockKey = tuple[str, int]  # (stage, model id; 0 = mixed)


def shortfalls(needs: dict[StockKey, int], held: dict[StockKey, int]) -> dict[StockKey, int]:
    """Bottles a correction would take from each stock beyond what the stock holds now."""
    return {key: need - held.get(key, 0) for key, need in needs.items() if need > held.get(key, 0)}


def to_correct_first(missing: dict[StockKey, int],
                     takers: list[tuple[int, str, int, int]]) -> list[int]:
    """The latest events (seq, stage, model, bottles taken) whose correction gives the bottles back.

    `takers` come latest first; for each short stock, events are kept until they cover the gap.
    """
    left = dict(missing)
    chosen: list[int] = []
    for seq, stage, model_id, quantity in takers:
        key = (stage, model_id)
        if left.get(key, 0) > 0:
            left[key] -= quantity
            if seq not in chosen:
                chosen.append(seq)
    return chosen
