"""French first: locale selection and French formats for dates, numbers and money."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_currency, format_decimal, format_percent
from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel, format_date, format_datetime, get_locale, refresh
from flask_login import current_user

from bottles.rules import PARIS, format_hours

babel = Babel()


def select_locale() -> str:
    """The language chosen with the switch, else the user's, else French."""
    if not has_request_context():  # commands speak French
        return "fr"
    chosen = session.get("lang")
    if chosen in ("fr", "en"):
        return chosen
    if g.get("person_language") in ("fr", "en"):  # a request without a session (the API's tokens)
        return g.person_language
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.language or "fr"
    return "fr"


def _locale() -> str:
    return str(get_locale() or "fr")


def number(value: int | float | Decimal | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale())


def money(cents: int | None) -> str:
    """Integer cents as euros in the person's locale, e.g. 1 234,50 €."""
    if cents is None:
        return "—"
    return format_currency(Decimal(cents) / 100, "EUR", locale=_locale())


def euros(value: float | Decimal | None) -> str:
    if value is None:
        return "—"
    return format_currency(Decimal(str(value)), "EUR", locale=_locale())


def percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + " %"
    return format_percent(value, format=pattern, locale=_locale())


_FIRST_OF_MONTH = re.compile(r"(?<![\d/.-])1 (?=janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)")


def first_of_month(text: str) -> str:
    """French writes the first of a month "1er" ("1er mars"), never "1 mars"."""
    return _FIRST_OF_MONTH.sub("1er ", text) if _locale().startswith("fr") else text


def when(value: datetime | None, fmt: str = "short") -> str:
    """A stored UTC time shown in Europe/Paris."""
    if value is None:
        return "—"
    return first_of_month(format_datetime(value, fmt))


def day(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    return first_of_month(format_date(value, fmt))


def label(entry: object, english: str | None = None) -> str:
    """A catalogue entry's name in the person's language: its English one when set, in English.

    A bare French name may come with its English one: `name|label(name_en)`."""
    french = getattr(entry, "label_fr", None) or getattr(entry, "name", None) or str(entry)
    if not _locale().startswith("en"):
        return french
    return english or getattr(entry, "label_en", None) or getattr(entry, "name_en", None) or french


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=lambda: "Europe/Paris")
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters.update(number=number, money=money, euros=euros, percent=percent,
                                 when=when, day=day, hours=format_hours,
                                 label=label)

    @app.before_request
    def _fresh_locale() -> None:
        """Choose the language per request (an app context shared by requests keeps no stale one)."""
        refresh()

    @app.get("/lang/<code>")
    def switch_language(code: str):
        from flask import redirect, url_for

        if code in ("fr", "en"):
            session["lang"] = code
        return redirect(_same_site(request.referrer) or url_for("bottles.home"))


def _same_site(referrer: str | None) -> str | None:
    """The page the switch was used on, as a local path; never another site (no open redirect)."""
    from urllib.parse import urlsplit

    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path + (f"?{parts.query}" if parts.query else "")
