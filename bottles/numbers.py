"""Whole numbers typed or sent by people (counts, ids, pages), read by one rule everywhere.

The rule: surrounding spaces stripped; ASCII digits 0-9 only ("²".isdigit() and "٣".isdigit()
are true, and int() reads "٣" and "１２"); at most as many digits as the bound has, checked
before int() is called (int() refuses more than 4,300 digits); a value within the bound (an id
within the database's key range). A count people type may group thousands with spaces
("1 200"). The `int` URL converter follows the same rule.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask import Flask
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BaseConverter, Map, Rule, ValidationError

ID_MAX = 2**31 - 1  # the INTEGER primary keys of every table but the ledger's
SEQ_MAX = 2**63 - 1  # the ledger's BIGINT keys (events.seq, movements.id)
GROUP_SEPARATORS = (" ", "\u00a0", "\u202f")  # space, no-break space, narrow no-break space
PLAIN_DECIMAL = re.compile(r"-?(?:[0-9]{1,18}(?:\.[0-9]{0,9})?|\.[0-9]{1,9})")


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


def choice_id(raw: object) -> int:
    """A select's `coerce`: the number of the option chosen, by the same rule (0 included); ValueError,
    which WTForms reports as an invalid choice, otherwise (int() would read "٣" as 3)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = ascii_digits(raw) if isinstance(raw, str) else None
    value = bounded(text, SEQ_MAX) if text else None
    if value is None:
        raise ValueError(shown(raw))
    return value


def ascii_decimal(text: str) -> Decimal:
    """Decimal(text) for a plain number ("-12.5", dot already in place); InvalidOperation otherwise.

    Decimal() alone reads "٣", "１２", "1e999999" and "NaN": the same rule as whole numbers."""
    if not PLAIN_DECIMAL.fullmatch(text):
        raise InvalidOperation(text[:20])
    return Decimal(text)


def shown(raw: object, length: int = 20) -> str:
    """What was typed, cut short enough to quote in a message."""
    text = str(raw).strip()
    return text if len(text) <= length else text[:length] + "…"


class IdConverter(BaseConverter):
    """`<int:…>` in a URL: ASCII digits within the key's range (other ones are simply not found)."""

    regex = r"[0-9]{1,19}"
    weight = 50
    part_isolating = True

    def __init__(self, map: Map, max: int = SEQ_MAX) -> None:  # noqa: A002 (werkzeug's argument name)
        super().__init__(map)
        self.max = max

    def to_python(self, value: str) -> int:
        number = parse_id(value, self.max)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value: object) -> str:
        return str(int(value))  # type: ignore[call-overload]


class KeyRule(Rule):
    """A route whose `<int:…>` is bounded by the key it names: `seq` the ledger's BIGINT, any other
    id an INTEGER (PostgreSQL refuses to compare an INTEGER key with 2**31: a 500, not a 404)."""

    def get_converter(self, variable_name: str, converter_name: str, args: tuple,
                      kwargs: dict) -> BaseConverter:
        if converter_name == "int" and "max" not in kwargs:
            kwargs = {**kwargs, "max": SEQ_MAX if variable_name == "seq" else ID_MAX}
        return super().get_converter(variable_name, converter_name, args, kwargs)


def init_app(app: Flask) -> None:
    """Before any blueprint adds its rules: `int` in a route means IdConverter, bounded per key."""
    app.url_map.converters["int"] = IdConverter
    app.url_rule_class = KeyRule
