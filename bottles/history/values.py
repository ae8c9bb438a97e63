"""Cells of a history spreadsheet read as journal values: dates, whole numbers, decimals, codes.

French Excel's ways are the rule: dates 12/03/2017 (day first), 2017-03-12, 03/2017 (a month:
its last day), mars 2017, or Excel's serial numbers; numbers 1 200, 1 200,5 or 1200.5. Each
reader returns the journal's text or raises ValueError with the French reason.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from bottles.rules import PARIS

EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_RANGE = (20_000, 80_000)  # 1954 to 2119: a whole number there in a date column is a date
GROUPS = (" ", "\u00a0", "\u202f", "'")
MONTHS = {"janvier": 1, "janv": 1, "jan": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2,
          "fév": 2, "fev": 2, "mars": 3, "mar": 3, "avril": 4, "avr": 4, "mai": 5, "juin": 6,
          "juillet": 7, "juil": 7, "août": 8, "aout": 8, "aoû": 8, "septembre": 9, "sept": 9,
          "sep": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "décembre": 12,
          "decembre": 12, "déc": 12, "dec": 12}
DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})")
ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
MONTH_ONLY = re.compile(r"(\d{1,2})[/.-](\d{4})")
MONTH_NAME = re.compile(r"([a-zéû]+)\.?[\s-]+(\d{2}|\d{4})")
THOUSANDS_DOT = re.compile(r"\d{1,3}(\.\d{3})+")

# Formats shown beside each column (the detected one) and kept in a saved mapping.
DATE_EXCEL, DATE_SERIAL, DATE_DMY, DATE_ISO, DATE_MONTH, DATE_MONTH_NAME = (
    "date-excel", "date-serial", "date-jj/mm/aaaa", "date-aaaa-mm-jj", "date-mm/aaaa", "date-mois")
NUM_INT, NUM_GROUPED, NUM_COMMA, NUM_POINT, TEXT, EMPTY = (
    "entier", "entier-milliers", "decimal-virgule", "decimal-point", "texte", "vide")


def format_label(code: str) -> str:
    """A detected format as the page names it."""
    return {
        DATE_EXCEL: _("date (cellule date du tableur)"), DATE_SERIAL: _("date (numéro de série Excel)"),
        DATE_DMY: _("date JJ/MM/AAAA"), DATE_ISO: _("date AAAA-MM-JJ"),
        DATE_MONTH: _("mois MM/AAAA (dernier jour du mois)"),
        DATE_MONTH_NAME: _("mois en lettres (dernier jour du mois)"),
        NUM_INT: _("nombre entier"), NUM_GROUPED: _("nombre, milliers séparés (1 200)"),
        NUM_COMMA: _("nombre à virgule décimale (1200,5)"),
        NUM_POINT: _("nombre à point décimal (1200.5)"), TEXT: _("texte"), EMPTY: _("vide"),
    }.get(code, code)


def shown(value: object) -> str:
    """A cell as a person recognises it in the page and in a message."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() != time(0) else value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()[:60]


def detect(value: object) -> str:
    """The format of one cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return EMPTY
    if isinstance(value, datetime | date):
        return DATE_EXCEL
    if isinstance(value, bool):
        return TEXT
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return NUM_INT
    if isinstance(value, float):
        return NUM_POINT
    text = str(value).strip()
    lowered = text.lower()
    if DAY_FIRST.fullmatch(text):
        return DATE_DMY
    if ISO_DAY.match(text):
        return DATE_ISO
    if MONTH_ONLY.fullmatch(text):
        return DATE_MONTH
    match = MONTH_NAME.fullmatch(lowered)
    if match and match.group(1) in MONTHS:
        return DATE_MONTH_NAME
    plain = _ungrouped(text)
    if plain.isascii() and plain.isdigit():
        return NUM_GROUPED if plain != text else NUM_INT
    if re.fullmatch(r"\d+,\d+", plain):
        return NUM_COMMA
    if re.fullmatch(r"\d+\.\d+", plain):
        return NUM_POINT
    return TEXT


def detect_column(values: list[object]) -> str:
    """The format of most of a column's filled cells (four in five: a stray "Total" or a remark
    in a date column does not hide its dates), text when they disagree."""
    found = [code for code in (detect(value) for value in values) if code != EMPTY]
    if not found:
        return EMPTY
    dates = [code for code in found if is_date_format(code)]
    numbers = [code for code in found if code in (NUM_INT, NUM_GROUPED, NUM_COMMA, NUM_POINT)]
    if len(dates) * 5 >= len(found) * 4:
        return Counter(dates).most_common(1)[0][0]
    if len(numbers) * 5 >= len(found) * 4:
        kinds = set(numbers)
        if kinds <= {NUM_INT, NUM_GROUPED}:
            return NUM_GROUPED if NUM_GROUPED in kinds else NUM_INT
        if kinds <= {NUM_INT, NUM_GROUPED, NUM_COMMA}:
            return NUM_COMMA
        if kinds <= {NUM_INT, NUM_POINT}:
            return NUM_POINT
    return TEXT


def is_date_format(code: str) -> bool:
    return code.startswith("date")


def _ungrouped(text: str) -> str:
    for separator in GROUPS:
        text = text.replace(separator, "")
    return text


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def read_day(value: object) -> date | datetime:
    """A date cell as a day (or a datetime when the cell has a time)."""
    if isinstance(value, datetime):
        return value if value.time() != time(0) or value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1]:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError(_("« %(value)s » n'est pas une date (attendu 12/03/2017, 2017-03-12 ou 03/2017).",
                           value=shown(value)))
    text = str(value or "").strip()
    try:
        if match := DAY_FIRST.fullmatch(text):
            return date(_year(match.group(3)), int(match.group(2)), int(match.group(1)))
        if ISO_DAY.match(text):
            moment = datetime.fromisoformat(text)
            return moment if "T" in text or " " in text else moment.date()
        if match := MONTH_ONLY.fullmatch(text):
            return _last_day(int(match.group(2)), int(match.group(1)))
        match = MONTH_NAME.fullmatch(text.lower())
        if match and match.group(1) in MONTHS:
            return _last_day(_year(match.group(2)), MONTHS[match.group(1)])
        plain = _ungrouped(text)
        if plain.isascii() and plain.isdigit() and SERIAL_RANGE[0] <= int(plain) <= SERIAL_RANGE[1]:
            return EXCEL_EPOCH + timedelta(days=int(plain))
    except ValueError:
        raise ValueError(_("« %(value)s » n'est pas une date qui existe.", value=text[:30])) from None
    if not text:
        raise ValueError(_("date vide."))
    raise ValueError(_("« %(value)s » n'est pas une date (attendu 12/03/2017, 2017-03-12 ou 03/2017).",
                       value=text[:30]))


def read_when(value: object, hour: time) -> str:
    """A date cell as the journal's occurred_at: a day alone at `hour`, Paris time, with its offset."""
    day = read_day(value)
    if isinstance(day, datetime):
        moment = day if day.tzinfo else day.replace(tzinfo=PARIS)
    else:
        moment = datetime.combine(day, hour, tzinfo=PARIS)
    if not 1990 <= moment.year <= 2100:
        raise ValueError(_("« %(value)s » : année hors de la période possible.", value=shown(value)))
    return moment.isoformat()


def read_whole(value: object) -> str:
    """A count: 1200, 1 200, 1200,0 or 1.200 (thousands); never a fraction nor a negative."""
    if isinstance(value, bool):
        raise ValueError(_("« %(value)s » n'est pas un nombre entier.", value=shown(value)))
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = _ungrouped(str(value or "").strip())
        if THOUSANDS_DOT.fullmatch(text):
            text = text.replace(".", "")
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise ValueError(_("« %(value)s » n'est pas un nombre entier.", value=shown(value))) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(_("« %(value)s » n'est pas un nombre entier de bouteilles.", value=shown(value)))
    if number < 0:
        raise ValueError(_("« %(value)s » est négatif.", value=shown(value)))
    return str(int(number))


def read_decimal(value: object) -> str:
    """A decimal with a comma or a point, thousands grouped with spaces (1 200,5): its text."""
    if isinstance(value, bool):
        raise ValueError(_("« %(value)s » n'est pas un nombre.", value=shown(value)))
    if isinstance(value, int | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = _ungrouped(str(value or "").strip())
        if "," in text and "." in text:
            text = text.replace(".", "") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise ValueError(_("« %(value)s » n'est pas un nombre.", value=shown(value))) from None
    if not number.is_finite():
        raise ValueError(_("« %(value)s » n'est pas un nombre.", value=shown(value)))
    return format(number.normalize(), "f") if number == number.to_integral_value() \
        else format(number, "f")


def read_code(value: object) -> str:
    """A code or a name (a number typed in a code cell loses Excel's .0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return shown(value)
    return str(value).strip()
