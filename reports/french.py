"""French renderings of numbers for the phase pages, the PDF and the command line."""

from __future__ import annotations


def fr_number(value: float, digits: int) -> str:
    """A number the French way: 12 345,67 (narrow no-break space between thousands)."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def plain_number(value: float) -> str:
    """A bound in French: 10 000 000, 0,5 (never 1e+07 nor 0.5)."""
    if value == int(value):
        return fr_number(value, 0)
    return f"{value:g}".replace(".", ",")


def plural(count: int, one: str, many: str) -> str:
    """"1 caisse", "0 caisse", "3 caisses": French takes the singular for 0 and 1."""
    return f"{fr_number(count, 0)} {one if abs(count) <= 1 else many}"


def fmt_value(kind: str, value: float | None) -> str:
    """A French rendering of an indicator's value, for generated sentences and PDF tables."""
    if value is None:
        return "—"
    if kind == "ratio":
        return f"{value * 100:.0f} %".replace(".", ",")
    if kind == "eur":
        return fr_number(value, 2) + " €"
    if kind in ("days", "fte"):
        return fr_number(value, 1 if kind == "days" else 2)
    if kind == "hours":
        return fr_number(value, 1)
    return fr_number(value, 0)


def fmt_cell(value: object, header: str = "") -> str:
    """A table cell for people: shares as percentages, euros with cents, counts grouped."""
    if value is None or value == "":
        return "—"
    if not isinstance(value, int | float):
        return str(value)
    if header in ("Part", "Rendement"):
        return fmt_value("ratio", value)
    if "€" in header:
        return fr_number(value, 2)
    if isinstance(value, float) and value != int(value):
        return fr_number(value, 2 if abs(value) < 100 else 1)
    return fr_number(value, 0)
