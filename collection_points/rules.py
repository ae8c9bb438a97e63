"""Pure rules for points and rounds: counts, priorities, CO₂ estimate, maps links. No Flask."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bottles import rules as kernel
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

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


HOW_TO_SET_BASE_URL = ("Définissez la variable d'environnement BASE_URL avec l'adresse publique du site "
                       "(par exemple BASE_URL=https://boucle.example.org) puis redémarrez l'application")


def label_base_url_problem(base_url: str | None) -> str | None:
    """Why labels must not be printed with this address (unset or loopback), or None when it is fine.

    A QR code that leads to localhost works on the printing laptop and nowhere else: every label of
    the run would have to be printed again.
    """
    text = (base_url or "").strip()
    if not text:
        return f"L'adresse du site (BASE_URL) n'est pas définie : les QR codes ne mèneraient nulle part. " \
               f"{HOW_TO_SET_BASE_URL}."
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
        return (f"L'adresse du site (BASE_URL) est « {text} », une adresse locale : les QR codes ne "
                f"s'ouvriraient sur aucun téléphone. {HOW_TO_SET_BASE_URL}.")
    return None


def point_in_service(point: CollectionPoint, day: date) -> bool:
    """Active, already open (active_from) and not yet ended (active_until, inclusive) on `day`."""
    return bool(point.active) and (point.active_from is None or point.active_from <= day) and (
        point.active_until is None or point.active_until >= day)


def out_of_service_reason(point: CollectionPoint, day: date) -> str | None:
    """Why nothing may go to `point` on `day` (French), or None when it is in service."""
    if not point.active:
        return f"Le point {point.name} n'est plus actif."
    if point.active_from is not None and point.active_from > day:
        return f"Le point {point.name} n'est pas encore ouvert (à partir du {point.active_from:%d/%m/%Y})."
    if point.active_until is not None and point.active_until < day:
        return f"Le point {point.name} est fermé depuis le {point.active_until:%d/%m/%Y}."
    return None


def parse_count(raw: object, capacity: int, *, what: str = "Le nombre de bouteilles",
                allow_zero: bool = False, field: str = "count") -> int:
    """A whole bottle count between 1 (or 0) and three times the crate's capacity."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        raise Refused(f"{what} est obligatoire.", field)
    if isinstance(raw, bool) or not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise Refused(f"{what} doit être un nombre entier (reçu « {text[:20]} »).", field)
    value = int(text)
    low = 0 if allow_zero else 1
    if value < low:
        raise Refused(f"{what} doit être au moins {low}.", field)
    if value > 3 * capacity:
        raise Refused(
            f"{what} ({value}) dépasse trois fois la capacité de la caisse ({capacity}) : "
            "vérifiez la saisie.", field)
    return value


def parse_split(raw: dict[int, object], total: int, capacity: int) -> dict[int, int]:
    """Optional split of a declared count by bottle model; the rest stays mixed."""
    split: dict[int, int] = {}
    for model_id, value in raw.items():
        if value is None or str(value).strip() in ("", "0"):
            continue
        split[model_id] = parse_count(value, capacity, what="Le nombre par modèle", field="split")
    if sum(split.values()) > total:
        raise Refused(
            f"La répartition par modèle ({sum(split.values())}) dépasse le total déclaré ({total}) : "
            "baissez un modèle ou augmentez le total.", "split")
    return split


def parse_decimal(raw: object, what: str, maximum: Decimal, places: int, field: str = "") -> Decimal:
    text = str(raw or "").strip().replace(",", ".")
    if not text:
        raise Refused(f"{what} est obligatoire.", field)
    try:
        value = Decimal(text)
    except InvalidOperation:
        typed = text[:20].replace(".", ",")
        raise Refused(f"{what} doit être un nombre (reçu « {typed} »).", field) from None
    if not value.is_finite() or value < 0 or value > maximum:
        limit = f"{maximum:f}".replace(".", ",")
        raise Refused(f"{what} doit être entre 0 et {limit}.", field)
    return round(value, places)


def parse_round_hours(raw: object, maximum: Decimal) -> Decimal:
    """A round's working time as drivers type it ("4h30", "4,5", "4:30"), at most `maximum` hours."""
    text = str(raw or "").strip()
    if not text:
        raise Refused("Le temps de travail est obligatoire (par exemple 4h30 ou 4,5).", "hours")
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


def waiting_text(since: datetime | None, now: datetime) -> str:
    """'3 j', '5 h', 'moins d'une heure' — how long something has waited."""
    if since is None:
        return "—"
    delta = now - since
    if delta >= timedelta(days=1):
        return f"{delta.days} j"
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} h" if hours else "moins d'une heure"


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
