"""Whole numbers typed or sent by people (counts, ids, pages), read by one rule everywhere.

The rule: surrounding spaces stripped; ASCII digits 0-9 only ("²".isdigit() and "٣".isdigit()
are true, and int() reads "٣" and "１２"); at most as many digits as the bound has, checked
before int() is called (int() refuses more than 4,300 digits); a value within the bound (an id
within the database's key range). A count people type may group thousands with spaces
("1 200"). The `int` URL converter follows the same rule.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BaseConverter, ValidationError

ID_MAX = 2**31 - 1  # the INTEGER primary keys of every table but the ledger's
SEQ_MAX = 2**63 - 1  # the ledger's BIGINT keys (events.seq, movements.id)
GROUP_SEPARATORS = (" ", "\u00a0", "\u202f")  # space, no-break space, narrow no-break space


class ParseError(ValueError):
    """A value that is not a whole number within its bounds; str() is the French message."""


def ascii_digits(raw: str | None, grouped: bool = False) -> str | None:
    """The value stripped (and ungrouped), when it is ASCII digits only; None otherwise."""
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if grouped:
        for separator in GROUP_SEPARATORS:
            text = text.replace(separator, "")
    return text if text.isascii() and text.isdigit() else None


def bounded(text: str, maximum: int) -> int | None:
    """The digits' value when it is at most `maximum` (too many digits: None, int() not called)."""
    if len(text.lstrip("0")) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None


def parse_count(raw: str | None, maximum: int, grouped: bool = True) -> int | None:
    """A count from 0 to `maximum`; None when blank; ParseError otherwise."""
    if raw is None or not str(raw).strip():
        return None
    text = ascii_digits(str(raw), grouped)
    if text is None:
        raise ParseError(_l("« %(typed)s » n'est pas un nombre entier positif (chiffres 0 à 9).",
                            typed=shown(raw)))
    value = bounded(text, maximum)
    if value is None:
        raise ParseError(_l("%(typed)s dépasse le maximum de %(maximum)s.", typed=shown(text),
                            maximum=maximum))
    return value


def parse_id(raw: object, maximum: int = ID_MAX) -> int | None:
    """The id a form, a query string or a JSON body names; None when it cannot be a row's id."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw <= maximum else None
    text = ascii_digits(raw) if isinstance(raw, str) else None
    value = bounded(text, maximum) if text else None
    return value if value else None


def shown(raw: object, length: int = 20) -> str:
    """What was typed, cut short enough to quote in a message."""
    text = str(raw).strip()
    return text if len(text) <= length else text[:length] + "…"


class IdConverter(BaseConverter):
    """`<int:…>` in a URL: ASCII digits within the widest key (larger ones are simply not found)."""

    regex = r"[0-9]{1,19}"
    weight = 50
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = parse_id(value, SEQ_MAX)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value: object) -> str:
        return str(int(value))  # type: ignore[call-overload]


def init_app(app: Flask) -> None:
    """Before any blueprint adds its rules: `int` in a route means IdConverter."""
    app.url_map.converters["int"] = IdConverter
