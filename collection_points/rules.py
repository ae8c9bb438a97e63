"""Pure rules for points and rounds: counts, priorities, CO₂, maps links; no Flask but lazy gettext."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask import has_app_context
from flask_babel import LazyString, format_date, lazy_ngettext
from flask_babel import lazy_gettext as _l

from bottles import rules as kernel
from bottles.numbers import ascii_decimal
from bottles.rules import LedgerError, parse_hours

if TYPE_CHECKING:
    from bottles.models import CollectionPoint

PARIS = ZoneInfo("Europe/Paris")
LATE_AFTER = timedelta(days=7)
# Share of collected bottles that end up reused when the ledger has too little to say:
# the Jura test of 2016–17 (18,000 reused of 50,000 collected).
REFERENCE_REUSED_SHARE = 0.36
MAX_KM = Decimal("2000")
MAX_HOURS = Decimal("24")


class Refused(LedgerError):
    """The person's input or request cannot be taken (shown as is, status 422).

    `field` names the form field the message belongs beside ("" when it is about the whole form).
    """

    def __init__(self, message: str | LazyString, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class NotYours(Refused):
    """The crate, round or point belongs to another person or site (shown as is, status 403)."""


HOW_TO_SET_BASE_URL = _l("Définissez la variable d'environnement BASE_URL avec l'adresse publique du site "
                         "(par exemple BASE_URL=https://boucle.example.org) puis redémarrez l'application")


def short_day(day: date) -> LazyString:
    """A date as "01/03/2026" in French (and outside the app), in the person's locale otherwise."""
    return LazyString(lambda: format_date(day, "short") if has_app_context() else f"{day:%d/%m/%Y}")


def label_base_url_problem(base_url: str | None) -> LazyString | None:
    """Why labels must not be printed with this address (unset or loopback), or None when it is fine.

    A QR code that leads to localhost works on the printing laptop and nowhere else: every label of
    the run would have to be printed again.
    """
    text = (base_url or "").strip()
    if not text:
        return _l("L'adresse du site (BASE_URL) n'est pas définie : les QR codes ne mèneraient nulle "
                  "part. %(how)s.", how=HOW_TO_SET_BASE_URL)
    from urllib.parse import urlsplit

    host = (urlsplit(text if "://" in text else f"//{text}").hostname or "").lower()
    loopback = host in ("", "localhost") or host.endswith(".localhost")
    if not loopback:
        try:
            address = ipaddress.ip_address(host)
            loopback = address.is_loopback or address.is_unspecified
        except ValueError:
            loopback = False
    if loopback:
        return _l("L'adresse du site (BASE_URL) est « %(address)s », une adresse locale : les QR codes "
                  "ne s'ouvriraient sur aucun téléphone. %(how)s.", address=text, how=HOW_TO_SET_BASE_URL)
    return None


def point_in_service(point: CollectionPoint, day: date) -> bool:
    """Active, already open (active_from) and not yet ended (active_until, inclusive) on `day`."""
    return bool(point.active) and (point.active_from is None or point.active_from <= day) and (
        point.active_until is None or point.active_until >= day)


def out_of_service_reason(point: CollectionPoint, day: date) -> LazyString | None:
    """Why nothing may go to `point` on `day` (in the person's language), or None when it is in service."""
    if not point.active:
        return _l("Le point %(point)s n'est plus actif.", point=point.name)
    if point.active_from is not None and point.active_from > day:
        return _l("Le point %(point)s n'est pas encore ouvert (à partir du %(date)s).", point=point.name,
                  date=short_day(point.active_from))
    if point.active_until is not None and point.active_until < day:
        return _l("Le point %(point)s est fermé depuis le %(date)s.", point=point.name,
                  date=short_day(point.active_until))
    return None


BOTTLE_COUNT = _l("Le nombre de bouteilles")
COUNTED = _l("Le nombre compté")
COUNT_BY_MODEL = _l("Le nombre par modèle")
DISTANCE = _l("Le kilométrage")


def parse_count(raw: object, capacity: int, *, what: str | LazyString = BOTTLE_COUNT,
                allow_zero: bool = False, field: str = "count") -> int:
    """A whole bottle count between 1 (or 0) and three times the crate's capacity."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        raise Refused(_l("%(what)s est obligatoire.", what=what), field)
    if isinstance(raw, bool) or not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise Refused(_l("%(what)s doit être un nombre entier (reçu « %(typed)s »).", what=what,
                         typed=text[:20]), field)
    value = int(text)
    low = 0 if allow_zero else 1
    if value < low:
        raise Refused(_l("%(what)s doit être au moins %(low)s.", what=what, low=low), field)
    if value > 3 * capacity:
        raise Refused(_l("%(what)s (%(value)s) dépasse trois fois la capacité de la caisse (%(capacity)s) : "
                         "vérifiez la saisie.", what=what, value=value, capacity=capacity), field)
    return value


def parse_split(raw: dict[int, object], total: int, capacity: int) -> dict[int, int]:
    """Optional split of a declared count by bottle model; the rest stays mixed."""
    split: dict[int, int] = {}
    for model_id, value in raw.items():
        if value is None or str(value).strip() in ("", "0"):
            continue
        split[model_id] = parse_count(value, capacity, what=COUNT_BY_MODEL, field="split")
    if sum(split.values()) > total:
        raise Refused(_l("La répartition par modèle (%(split)s) dépasse le total déclaré (%(total)s) : "
                         "baissez un modèle ou augmentez le total.", split=sum(split.values()), total=total),
                      "split")
    return split


def parse_decimal(raw: object, what: str | LazyString, maximum: Decimal, places: int,
                  field: str = "") -> Decimal:
    """A number typed with a comma or a dot, between 0 and `maximum`, rounded to `places`."""
    text = str(raw or "").strip().replace(",", ".")
    if not text:
        raise Refused(_l("%(what)s est obligatoire.", what=what), field)
    try:
        value = ascii_decimal(text)
    except InvalidOperation:
        raise Refused(_l("%(what)s doit être un nombre (reçu « %(typed)s »).", what=what,
                         typed=text[:20].replace(".", ",")), field) from None
    if not value.is_finite() or value < 0 or value > maximum:
        raise Refused(_l("%(what)s doit être entre 0 et %(limit)s.", what=what, limit=figure(maximum)),
                      field)
    return round(value, places)


def figure(value: Decimal | int) -> LazyString:
    """A limit in the person's locale ("2,5" in French, "2.5" in English), French outside the app."""
    def text() -> str:
        if has_app_context():
            from flask_babel import format_decimal

            return format_decimal(value, format="0.##")
        return f"{value:f}".replace(".", ",")
    return LazyString(text)


def parse_round_hours(raw: object, maximum: Decimal) -> Decimal:
    """A round's working time as drivers type it ("4h30", "4,5", "4:30"), at most `maximum` hours."""
    text = str(raw or "").strip()
    if not text:
        raise Refused(_l("Le temps de travail est obligatoire (par exemple 4h30 ou 4,5)."), "hours")
    try:
        return parse_hours(text, int(maximum))
    except ValueError as error:
        raise Refused(str(error), "hours") from None


@dataclass(frozen=True)
class PointNeed:
    """What a point needs from a round: its full crates and when it was last visited."""

    point_id: int
    full_crates: int
    bottles: int
    oldest_full: datetime | None
    last_visit: datetime | None


def priority_key(need: PointNeed, now: datetime) -> tuple:
    """Full crates waiting longest first, then points not visited for longest (never first)."""
    if need.full_crates:
        return (0, need.oldest_full or now)
    return (1, need.last_visit or datetime.min.replace(tzinfo=now.tzinfo))


def visited_on(last_visit: datetime | None, day: date) -> bool:
    """The point had a pickup or an empty crate dropped on `day` (Paris time)."""
    return last_visit is not None and last_visit.astimezone(PARIS).date() == day


def is_late(oldest_full: datetime | None, now: datetime) -> bool:
    return oldest_full is not None and now - oldest_full > LATE_AFTER


def waiting_text(since: datetime | None, now: datetime) -> str | LazyString:
    """'3 j', '5 h', 'moins d'une heure' ('3 days', '5 hours'…) — how long something has waited."""
    if since is None:
        return "—"
    delta = now - since
    if delta >= timedelta(days=1):
        return lazy_ngettext("%(num)s j", "%(num)s j", delta.days)
    hours = int(delta.total_seconds() // 3600)
    return lazy_ngettext("%(num)s h", "%(num)s h", hours) if hours else _l("moins d'une heure")


def reused_share(washed_ok: int, received: int) -> tuple[float, bool]:
    """Measured share of received bottles washed clean, else the Jura reference (flag False)."""
    if received >= 500 and washed_ok >= 0:
        return min(washed_ok / received, 1.0), True
    return REFERENCE_REUSED_SHARE, False


def co2_avoided_kg(bottles: int, share: float) -> float:
    """CO₂e avoided by the reused `share` of `bottles`, with the kernel's factors (docs/indicators.md)."""
    return kernel.co2_avoided_kg(bottles * share)


def maps_links(latitude: Decimal | None, longitude: Decimal | None, address: str) -> dict[str, str]:
    """A geo: URI (opens the phone's maps app) and an OpenStreetMap link, when coordinates exist."""
    from urllib.parse import quote

    if latitude is None or longitude is None:
        return {"geo": f"geo:0,0?q={quote(address)}", "web": ""} if address else {}
    lat, lon = f"{Decimal(latitude):f}", f"{Decimal(longitude):f}"
    return {
        "geo": f"geo:{lat},{lon}?q={lat},{lon}",
        "web": f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}",
    }
