"""The ledger as EPCIS 2.0 JSON-LD (docs/epcis.md): pure functions from ledger events, codes
resolved, to EPCIS events and the document around them. No session, no app.

One ledger event becomes one EPCIS event per *part*: its movements grouped by the stage they
reach, their reason and their estate (an ObjectEvent holds one disposition). A wash becomes a
TransformationEvent (sorted → clean, per model) plus its rejects. A correction becomes the
error declaration of the event it reverses: that event again, the same eventIDs, with an
errorDeclaration.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import quote

from flask_babel import lazy_gettext as _l

from bottles.rules import PARIS, Kind, Stage

CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
MEDIA_TYPE = "application/ld+json"
UNSORTED_CLASS = "urn:boucle:unsorted"  # bottles not sorted by model yet (a mixed crate)
PIECE = "H87"  # UN/ECE rec. 20 unit: piece

# Per kind: EPCIS action, CBV business step, and the stage its main part reaches (None: the
# crate alone, or nothing). CBV 2.0 has no step for cleaning: a wash is `repairing` (bringing
# an object back into use), named by boucle:process = "washing".
KIND_STEPS: dict[Kind, tuple[str, str, Stage | None]] = {
    Kind.CRATE_REGISTERED: ("ADD", "commissioning", None),
    Kind.CRATE_RETIRED: ("DELETE", "decommissioning", None),
    Kind.CRATE_LOST: ("DELETE", "decommissioning", Stage.LOST),
    Kind.CRATE_PLACED: ("OBSERVE", "arriving", None),
    Kind.CRATE_FULL: ("OBSERVE", "collecting", Stage.AT_POINT),
    Kind.PICKUP: ("OBSERVE", "departing", Stage.IN_TRANSIT),
    Kind.RECEIPT: ("OBSERVE", "receiving", Stage.RECEIVED),
    Kind.SORTING: ("OBSERVE", "inspecting", Stage.SORTED),
    Kind.WASH: ("OBSERVE", "repairing", Stage.CLEAN),
    Kind.SALE: ("OBSERVE", "shipping", Stage.SOLD),
    Kind.STOCKTAKE: ("OBSERVE", "stock_taking", None),
    Kind.ROUND_CLOSED: ("OBSERVE", "transporting", None),
}
# The CBV disposition of bottles that reach a stage.
STAGE_DISPOSITIONS: dict[Stage, str] = {
    Stage.AT_POINT: "active",
    Stage.IN_TRANSIT: "in_transit",
    Stage.RECEIVED: "in_progress",
    Stage.SORTED: "conformant",
    Stage.CLEAN: "available",
    Stage.SOLD: "in_transit",
    Stage.REFUSED: "non_conformant",
    Stage.REJECTED: "non_conformant",
    Stage.LOST: "unknown",
}
# The disposition of a crate in an event that moves no bottles.
CRATE_DISPOSITIONS: dict[Kind, str] = {
    Kind.CRATE_REGISTERED: "active", Kind.CRATE_PLACED: "active",
    Kind.CRATE_RETIRED: "inactive", Kind.CRATE_LOST: "unknown",
}
# Parts whose bottles are no longer at the event's site: no bizLocation.
AWAY = frozenset({Stage.IN_TRANSIT, Stage.SOLD, Stage.LOST})
STAGE_ORDER = {stage: n for n, stage in enumerate(Stage)}


class LedgerMove(NamedTuple):
    """One movement, its catalogue rows named by their codes."""

    from_stage: Stage
    to_stage: Stage
    quantity: int
    model: str | None = None
    reason: str | None = None
    unit_price_cents: int | None = None
    winemaker: str | None = None


@dataclass(frozen=True)
class LedgerEvent:
    """One ledger event with codes in place of ids (what the journal file says of it)."""

    id: uuid.UUID
    seq: int
    kind: Kind
    occurred_at: datetime
    recorded_at: datetime
    moves: tuple[LedgerMove, ...] = ()
    crate: str | None = None
    point: str | None = None
    washer: str | None = None
    round: str | None = None
    note: str = ""
    hours: Decimal | None = None
    km: Decimal | None = None
    water_l: Decimal | None = None
    energy_kwh: Decimal | None = None


class Identifiers(NamedTuple):
    """How things are named: Boucle URNs, crates as GS1 GRAIs when a company prefix is set."""

    namespace: str
    company_prefix: str = ""
    asset_type: str = ""

    def crate(self, code: str) -> str:
        if self.company_prefix:
            return f"urn:epc:id:grai:{self.company_prefix}.{self.asset_type}.{epc_escape(code)}"
        return urn("crate", code)

    def bottle_class(self, model: str | None) -> str:
        return urn("model", model) if model else UNSORTED_CLASS


@lru_cache(maxsize=65536)
def urn(kind: str, code: str) -> str:
    """`urn:boucle:<kind>:<code>`, the code escaped as a URN needs."""
    return f"urn:boucle:{kind}:{quote(code, safe='-._~!$&()*+,;=:@')}"


def epc_escape(text: str) -> str:
    """A GRAI serial as the EPC URI writes it (TDS: %-escape " % & / < > ? and non-ASCII)."""
    return quote(text, safe="-._!'()*+,;:=")


def identifiers(base_url: str, company_prefix: str = "", asset_type: str = "") -> Identifiers:
    """The naming from the settings, or ValueError saying what is wrong (lazy: French outside a
    request, the person's language in one)."""
    namespace = f"{base_url.rstrip('/')}/ns/epcis#"
    prefix = (company_prefix or "").strip()
    if not prefix:
        return Identifiers(namespace)
    if not re.fullmatch(r"\d{6,12}", prefix):
        raise ValueError(_l("GS1_COMPANY_PREFIX « %(value)s » : un préfixe d'entreprise GS1 compte "
                            "de 6 à 12 chiffres.", value=prefix[:20]))
    digits = 12 - len(prefix)
    asset = (asset_type or "").strip() or "0"
    if not re.fullmatch(r"\d+", asset) or len(asset.lstrip("0")) > digits:
        raise ValueError(_l("GS1_CRATE_ASSET_TYPE « %(value)s » : le type d'actif doit tenir en "
                            "%(digits)s chiffre(s) avec ce préfixe (%(prefix)s).",
                            value=asset[:20], digits=digits, prefix=prefix))
    return Identifiers(namespace, prefix, asset.lstrip("0").zfill(digits) if digits else "")


def when(moment: datetime) -> str:
    """ISO 8601 in Paris time with its offset (the instant is exact)."""
    return moment.astimezone(PARIS).isoformat()


def zone_offset(moment: datetime) -> str:
    """Paris's offset at that instant, as EPCIS writes it: "+01:00" or "+02:00"."""
    text = moment.astimezone(PARIS).strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def part_id(event_id: uuid.UUID, key: str) -> str:
    """A part's eventID: stable, derived from the ledger event's id."""
    return f"urn:uuid:{uuid.uuid5(event_id, key) if key else event_id}"


def _quantities(moves: Iterable[LedgerMove], ids: Identifiers) -> list[dict[str, Any]]:
    """Quantities summed per bottle class, in class order."""
    totals: dict[str, int] = {}
    for move in moves:
        key = ids.bottle_class(move.model)
        totals[key] = totals.get(key, 0) + move.quantity
    return [{"epcClass": key, "quantity": totals[key], "uom": PIECE} for key in sorted(totals)]


def _parts(event: LedgerEvent) -> list[tuple[str, Stage | None, str | None, str | None,
                                             list[LedgerMove]]]:
    """(key, stage reached, reason, estate, movements) of each part. The first part has the key ""
    (its eventID is the ledger event's id) and carries the crate: the kind's main movements when
    there are any, else the crate alone (or the only part there is)."""
    main = KIND_STEPS[event.kind][2]
    groups: dict[tuple, list[LedgerMove]] = {}
    for move in event.moves:
        groups.setdefault((move.to_stage, move.reason, move.winemaker), []).append(move)
    ordered = sorted(groups, key=lambda g: (
        (g[0], g[1]) != (main, None), STAGE_ORDER[g[0]], g[1] or "", g[2] or ""))
    parts = [(f"{stage.value}/{reason or ''}/{estate or ''}", stage, reason, estate,
              groups[(stage, reason, estate)]) for stage, reason, estate in ordered]
    if parts and (parts[0][1], parts[0][2]) == (main, None):
        return [("", *parts[0][1:]), *parts[1:]]
    if event.crate is not None or not parts:
        return [("", None, None, None, []), *parts]
    return [("", *parts[0][1:]), *parts[1:]]


# Kinds that happen at the collection point, whatever washer the event also names.
AT_POINT_KINDS = frozenset({Kind.CRATE_PLACED, Kind.CRATE_FULL, Kind.PICKUP})


def _where(event: LedgerEvent, stage: Stage | None) -> dict[str, Any]:
    """readPoint (where it was seen) and bizLocation (where the objects now are) of a part."""
    point = urn("point", event.point) if event.point else None
    washer = urn("washer", event.washer) if event.washer else None
    site = (point or washer) if event.kind in AT_POINT_KINDS else (washer or point)
    if site is None:
        return {}
    if stage in AWAY or event.kind in (Kind.CRATE_RETIRED, Kind.CRATE_LOST):
        return {"readPoint": {"id": site}}
    return {"readPoint": {"id": site}, "bizLocation": {"id": site}}


def _links(event: LedgerEvent, ids: Identifiers, part: list[LedgerMove]) -> dict[str, Any]:
    """Business transactions (round, delivery note), sources and destinations."""
    out: dict[str, Any] = {}
    transactions = []
    if event.round:
        transactions.append({"type": f"{ids.namespace}round", "bizTransaction": urn("round", event.round)})
    if event.kind == Kind.SALE:
        transactions.append({"type": "desadv", "bizTransaction": urn("delivery-note", str(event.seq))})
    if transactions:
        out["bizTransactionList"] = transactions
    sources, destinations = [], []
    if event.kind in (Kind.PICKUP, Kind.RECEIPT) and event.point:
        sources.append({"type": "location", "source": urn("point", event.point)})
    if event.kind == Kind.PICKUP and event.washer:
        destinations.append({"type": "location", "destination": urn("washer", event.washer)})
    if event.kind == Kind.SALE:
        if event.washer:
            sources.append({"type": "location", "source": urn("washer", event.washer)})
        for estate in sorted({m.winemaker for m in part if m.winemaker}):
            destinations += [{"type": "owning_party", "destination": urn("winemaker", estate)},
                             {"type": "location", "destination": urn("winemaker", estate)}]
    if sources:
        out["sourceList"] = sources
    if destinations:
        out["destinationList"] = destinations
    return out


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _extensions(event: LedgerEvent, reason: str | None, estate: str | None,
                part: list[LedgerMove], ids: Identifiers) -> dict[str, Any]:
    """Boucle's own fields (docs/epcis.md), under the boucle: namespace."""
    out: dict[str, Any] = {"boucle:kind": event.kind.value, "boucle:ledgerEvent": f"urn:uuid:{event.id}"}
    if event.kind == Kind.WASH:
        out["boucle:process"] = "washing"
    if reason:
        out["boucle:reason"] = reason
    if estate and event.kind != Kind.SALE:
        out["boucle:winemaker"] = urn("winemaker", estate)
    prices = sorted({(ids.bottle_class(m.model), m.unit_price_cents) for m in part
                     if m.unit_price_cents is not None})
    if prices:
        out["boucle:unitPrices"] = [{"boucle:epcClass": key, "boucle:unitPriceEUR": cents / 100}
                                    for key, cents in prices]
    for name, value in (("boucle:hours", event.hours), ("boucle:km", event.km),
                        ("boucle:waterL", event.water_l), ("boucle:energyKWh", event.energy_kwh)):
        if value is not None:
            out[name] = _number(value)
    if event.note:
        out["boucle:note"] = event.note
    return out


def epcis_events(event: LedgerEvent, ids: Identifiers) -> list[dict[str, Any]]:
    """The EPCIS events one ledger event becomes (a correction: see error_declarations)."""
    action, step, _main = KIND_STEPS[event.kind]
    times = {"eventTime": when(event.occurred_at), "eventTimeZoneOffset": zone_offset(event.occurred_at),
             "recordTime": when(event.recorded_at)}
    out = []
    for key, stage, reason, estate, part in _parts(event):
        head: dict[str, Any] = {"type": "ObjectEvent", **times, "eventID": part_id(event.id, key)}
        sink = stage in (Stage.REFUSED, Stage.REJECTED)
        if event.kind == Kind.WASH and stage == Stage.CLEAN:
            taken = [m for m in event.moves if m.from_stage == Stage.SORTED]
            body: dict[str, Any] = {"type": "TransformationEvent",
                                    "inputQuantityList": _quantities(taken, ids),
                                    "outputQuantityList": _quantities(part, ids),
                                    "bizStep": step, "disposition": STAGE_DISPOSITIONS[stage]}
        else:
            body = {"action": action}
            if key == "" and event.crate is not None:
                body["epcList"] = [ids.crate(event.crate)]
            elif not part:
                body["epcList"] = []
            if part:
                body["quantityList"] = _quantities(part, ids)
            body["bizStep"] = "inspecting" if sink else step
            disposition = STAGE_DISPOSITIONS.get(stage) if stage else CRATE_DISPOSITIONS.get(event.kind)
            if disposition:
                body["disposition"] = disposition
        out.append({**head, **body, **_where(event, stage), **_links(event, ids, part),
                    **_extensions(event, reason, estate, part, ids)})
    return out


def error_declarations(correction: LedgerEvent, target: LedgerEvent,
                       ids: Identifiers) -> list[dict[str, Any]]:
    """The corrected event's EPCIS events again, same eventIDs, each declared erroneous.

    The ledger links a correction to the event it reverses, not to the right event recorded
    after it, so no correctiveEventIDs: boucle:correction names the correction instead.
    """
    declaration: dict[str, Any] = {"declarationTime": when(correction.occurred_at),
                                   "reason": "incorrect_data",
                                   "boucle:correction": f"urn:uuid:{correction.id}"}
    if correction.note:
        declaration["boucle:note"] = correction.note
    return [{**part, "recordTime": when(correction.recorded_at), "errorDeclaration": declaration}
            for part in epcis_events(target, ids)]


def document_head(ids: Identifiers, created: datetime) -> dict[str, Any]:
    """Everything of the EPCISDocument but its events."""
    return {"@context": [CONTEXT_URL, {"boucle": ids.namespace}], "type": "EPCISDocument",
            "schemaVersion": "2.0", "creationDate": when(created)}


def document_chunks(head: dict[str, Any], events: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The document as text, one event a line, so that a big ledger is written as it is read."""
    opening = json.dumps(head, ensure_ascii=False)
    yield opening[:-1] + ', "epcisBody": {"eventList": ['
    separator = "\n"
    for event in events:
        yield separator + json.dumps(event, ensure_ascii=False)
        separator = ",\n"
    yield "\n]}}\n"
