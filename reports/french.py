"""Numbers for the phase pages, the PDF and the command line, in the person's language (Babel).

French stays as it always read (12 345,67 · 36 % · 1 234,50 €); English reads 12,345.67 · 36% ·
€1,234.50. Values are rounded the same way in both languages before Babel writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent, get_decimal_symbol
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

# Table headers whose cells are shares (shown as percentages).
SHARE, YIELD = _l("Part"), _l("Rendement")


def locale() -> str:
    """The language of the request (French outside one: the command line)."""
    return str(get_locale() or "fr")


def french() -> bool:
    return locale().startswith("fr")


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits else "")


def fr_number(value: float, digits: int) -> str:
    """A number grouped by thousands: 12 345,67 in French (narrow no-break space), 12,345.67 in English."""
    return format_decimal(Decimal(f"{value:.{digits}f}"), format=_pattern(digits), locale=locale())


def plain_number(value: float) -> str:
    """A bound: 10 000 000, 0,5 in French; 10,000,000, 0.5 in English (never 1e+07)."""
    if value == int(value):
        return fr_number(value, 0)
    return f"{value:g}".replace(".", get_decimal_symbol(locale()))


def plural(count: int, one: str, many: str) -> str:
    """"1 caisse", "0 caisse", "3 caisses": French takes the singular for 0 and 1 (command line)."""
    return f"{fr_number(count, 0)} {one if abs(count) <= 1 else many}"


def fmt_value(kind: str, value: float | None) -> str:
    """An indicator's value as its kind is shown, for pages, generated sentences and PDF tables."""
    if value is None:
        return "—"
    if kind == "ratio":
        return format_percent(Decimal(f"{value * 100:.0f}") / 100, locale=locale(),
                              format="0 %" if french() else "#,##0%")  # French: 1234 %, as ever
    if kind == "eur":
        return format_currency(Decimal(f"{value:.2f}"), "EUR", locale=locale(),
                               format="#,##0.00 ¤" if french() else None)
    if kind in ("days", "fte"):
        return fr_number(value, 1 if kind == "days" else 2)
    if kind == "hours":
        return fr_number(value, 1)
    return fr_number(value, 0)


def fmt_cell(value: object, header: object = "") -> str:
    """A table cell for people: shares as percentages, euros with cents, counts grouped."""
    if value is None or value == "":
        return "—"
    if not isinstance(value, int | float):
        return str(value)
    if str(header) in (str(SHARE), str(YIELD)):
        return fmt_value("ratio", value)
    if "€" in str(header):
        return fr_number(value, 2)
    if isinstance(value, float) and value != int(value):
        return fr_number(value, 2 if abs(value) < 100 else 1)
    return fr_number(value, 0)


def short_day(value: date) -> str:
    """A day in a refusal: 01/09/2024 in French, Sep 1, 2024 in English."""
    return format_date(value, "short" if french() else "medium", locale=locale())


class Later:
    """A value written only when the message is shown, so in the language of the page showing it."""

    def __init__(self, render: Callable[[], str]) -> None:
        self.render = render

    def __str__(self) -> str:
        return self.render()
