"""Pure rules of the ledger and of a crate's life (docs/ledger.md). No app, no session.

Messages are lazy gettext: French outside a request (the CLI), the person's language in one.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

# Times are stored in UTC and shown, bucketed by day and bounded by phase, in Paris time.
PARIS = ZoneInfo("Europe/Paris")

# Emission factors of one bottle (docs/indicators.md): a new ~550 g bottle × ~0.8 kg CO₂e per
# kg of new glass, and a washed one (reuse cuts ~76–85 % of the impact, ADEME 2018). Phases may
# override them as parameters; these are the defaults everywhere else.
CO2_NEW_BOTTLE_KG = 0.44
CO2_REUSED_BOTTLE_KG = 0.10


class Stage(StrEnum):
    OUTSIDE = "outside"
    AT_POINT = "at_point"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    SORTED = "sorted"
    CLEAN = "clean"
    SOLD = "sold"
    REFUSED = "refused"
    REJECTED = "rejected"
    LOST = "lost"


class Kind(StrEnum):
    CRATE_REGISTERED = "crate_registered"
    CRATE_RETIRED = "crate_retired"
    CRATE_LOST = "crate_lost"
    CRATE_PLACED = "crate_placed"
    CRATE_FULL = "crate_full"
    PICKUP = "pickup"
    RECEIPT = "receipt"
    SORTING = "sorting"
    WASH = "wash"
    SALE = "sale"
    STOCKTAKE = "stocktake"
    ROUND_CLOSED = "round_closed"
    CORRECTION = "correction"


class CrateState(StrEnum):
    IN_POOL = "in_pool"
    AT_POINT = "at_point"
    FULL = "full"
    IN_TRANSIT = "in_transit"
    LOST = "lost"
    RETIRED = "retired"


class Site(StrEnum):
    """Which site of an event a stage's stock belongs to."""

    COLLECTION_POINT = "collection_point"
    WASHER = "washer"
    WINEMAKER = "winemaker"
    NONE = "none"


# Stages whose stock is held (and so may never go negative), and where.
STOCK_SITE: dict[Stage, Site] = {
    Stage.AT_POINT: Site.COLLECTION_POINT,
    Stage.IN_TRANSIT: Site.COLLECTION_POINT,
    Stage.RECEIVED: Site.WASHER,
    Stage.SORTED: Site.WASHER,
    Stage.CLEAN: Site.WASHER,
    Stage.SOLD: Site.WINEMAKER,
}
# Before sorting, bottles are mixed: their stock is counted whatever model is named.
MODELLED_STAGES = frozenset({Stage.SORTED, Stage.CLEAN, Stage.SOLD})
SINKS = frozenset({Stage.REFUSED, Stage.REJECTED, Stage.LOST})

# The movements each kind may carry (from, to); a correction carries the reverse.
ALLOWED_MOVES: dict[Kind, frozenset[tuple[Stage, Stage]]] = {
    Kind.CRATE_REGISTERED: frozenset(),
    Kind.CRATE_RETIRED: frozenset(),
    Kind.CRATE_LOST: frozenset({(Stage.AT_POINT, Stage.LOST), (Stage.IN_TRANSIT, Stage.LOST)}),
    Kind.CRATE_PLACED: frozenset(),
    Kind.CRATE_FULL: frozenset({(Stage.OUTSIDE, Stage.AT_POINT)}),
    Kind.PICKUP: frozenset({(Stage.AT_POINT, Stage.IN_TRANSIT)}),
    Kind.RECEIPT: frozenset({
        (Stage.IN_TRANSIT, Stage.RECEIVED),
        (Stage.IN_TRANSIT, Stage.LOST),
        (Stage.OUTSIDE, Stage.RECEIVED),
    }),
    Kind.SORTING: frozenset({(Stage.RECEIVED, Stage.SORTED), (Stage.RECEIVED, Stage.REFUSED)}),
    Kind.WASH: frozenset({(Stage.SORTED, Stage.CLEAN), (Stage.SORTED, Stage.REJECTED)}),
    Kind.SALE: frozenset({(Stage.CLEAN, Stage.SOLD)}),
    Kind.STOCKTAKE: frozenset(
        {(stage, Stage.LOST) for stage in (Stage.RECEIVED, Stage.SORTED, Stage.CLEAN)}
        | {(Stage.OUTSIDE, stage) for stage in (Stage.RECEIVED, Stage.SORTED, Stage.CLEAN)}
    ),
    Kind.ROUND_CLOSED: frozenset(),
}
# Kinds that must name a crate, and the crate life-cycle transition each makes.
CRATE_TRANSITIONS: dict[Kind, dict[CrateState | None, CrateState]] = {
    Kind.CRATE_REGISTERED: {None: CrateState.IN_POOL},
    Kind.CRATE_PLACED: {CrateState.IN_POOL: CrateState.AT_POINT},
    Kind.CRATE_FULL: {CrateState.AT_POINT: CrateState.FULL},
    Kind.PICKUP: {CrateState.FULL: CrateState.IN_TRANSIT},
    Kind.RECEIPT: {CrateState.IN_TRANSIT: CrateState.IN_POOL},
    Kind.CRATE_RETIRED: {CrateState.IN_POOL: CrateState.RETIRED,
                         CrateState.AT_POINT: CrateState.RETIRED},
    Kind.CRATE_LOST: {state: CrateState.LOST for state in (
        CrateState.IN_POOL, CrateState.AT_POINT, CrateState.FULL, CrateState.IN_TRANSIT)},
}
# Kinds that need a reason on some of their movements.
REASON_NEEDED: frozenset[tuple[Stage, Stage]] = frozenset(
    {(Stage.RECEIVED, Stage.REFUSED), (Stage.SORTED, Stage.REJECTED)}
    | {(s, Stage.LOST) for s in Stage}
    | {(Stage.OUTSIDE, s) for s in (Stage.RECEIVED, Stage.SORTED, Stage.CLEAN)}
)
# Movements that need a bottle model (after sorting everything is by model).
MODEL_NEEDED = frozenset(MODELLED_STAGES)
MAX_QUANTITY = 10_000_000
MAX_UNIT_PRICE_CENTS = 1000

STAGE_LABELS = {
    Stage.OUTSIDE: "hors filière", Stage.AT_POINT: "au point de collecte",
    Stage.IN_TRANSIT: "en transport", Stage.RECEIVED: "réceptionnées (non triées)",
    Stage.SORTED: "triées (à laver)", Stage.CLEAN: "stock propre", Stage.SOLD: "vendues",
    Stage.REFUSED: "écartées au tri", Stage.REJECTED: "rebuts de lavage",
    Stage.LOST: "perdues",
}
CRATE_STATE_LABELS = {
    CrateState.IN_POOL: "vide, au centre de lavage", CrateState.AT_POINT: "au point, en remplissage",
    CrateState.FULL: "pleine, enlèvement demandé", CrateState.IN_TRANSIT: "en transport",
    CrateState.LOST: "perdue", CrateState.RETIRED: "retirée du parc",
}
KIND_LABELS = {
    Kind.CRATE_REGISTERED: "caisse enregistrée", Kind.CRATE_RETIRED: "caisse retirée",
    Kind.CRATE_LOST: "caisse perdue", Kind.CRATE_PLACED: "caisse déposée au point",
    Kind.CRATE_FULL: "caisse pleine", Kind.PICKUP: "enlèvement", Kind.RECEIPT: "réception",
    Kind.SORTING: "tri", Kind.WASH: "lot de lavage", Kind.SALE: "vente",
    Kind.STOCKTAKE: "inventaire", Kind.ROUND_CLOSED: "fin de tournée",
    Kind.CORRECTION: "correction",
}


class LedgerError(ValueError):
    """An event the ledger refuses; the message is for the person (lazy: in their language)."""


class Move(NamedTuple):
    """One movement of an event, codes resolved to ids (a tuple: a journal import reads millions)."""

    from_stage: Stage
    to_stage: Stage
    quantity: int
    model_id: int | None = None
    reason_id: int | None = None
    unit_price_cents: int | None = None
    winemaker_id: int | None = None


def check_moves(kind: Kind, moves: list[Move]) -> None:
    """Refuse movements that the kind may not carry or that are malformed."""
    if kind == Kind.CORRECTION:
        return
    allowed = ALLOWED_MOVES[kind]
    if kind in (Kind.CRATE_FULL, Kind.PICKUP, Kind.RECEIPT, Kind.SORTING, Kind.WASH,
                Kind.SALE, Kind.STOCKTAKE) and not moves:
        raise LedgerError(_l("Un événement « %(kind)s » doit compter des bouteilles.",
                             kind=_l(KIND_LABELS[kind])))
    for move in moves:
        pair = (move.from_stage, move.to_stage)
        if pair not in allowed:
            raise LedgerError(_l(
                "Un événement « %(kind)s » ne peut pas déplacer des bouteilles de « %(origin)s » "
                "vers « %(target)s ».", kind=_l(KIND_LABELS[kind]), origin=str(move.from_stage),
                target=str(move.to_stage)))
        check_move(move)


def check_move(move: Move) -> None:
    """Refuse a malformed movement: quantity, model, reason, price."""
    if not isinstance(move.quantity, int) or isinstance(move.quantity, bool):
        raise LedgerError(_l("La quantité doit être un nombre entier."))
    if move.quantity <= 0:
        raise LedgerError(_l("La quantité doit être strictement positive."))
    if move.quantity > MAX_QUANTITY:
        raise LedgerError(_l("Quantité %(n)s invraisemblable.", n=move.quantity))
    if move.to_stage in MODEL_NEEDED and move.model_id is None:
        raise LedgerError(_l("Les bouteilles %(stage)s doivent avoir un modèle.",
                             stage=_l(STAGE_LABELS[move.to_stage])))
    if (move.from_stage, move.to_stage) in REASON_NEEDED and move.reason_id is None:
        raise LedgerError(_l("Un motif est obligatoire pour %(origin)s → %(target)s.",
                             origin=_l(STAGE_LABELS[move.from_stage]),
                             target=_l(STAGE_LABELS[move.to_stage])))
    if move.to_stage == Stage.SOLD:
        if move.unit_price_cents is None:
            raise LedgerError(_l("Une vente doit avoir un prix unitaire."))
        if not 0 <= move.unit_price_cents <= MAX_UNIT_PRICE_CENTS:
            raise LedgerError(_l("Le prix unitaire doit être entre 0 et 10 €."))
        if move.winemaker_id is None:
            raise LedgerError(_l("Une vente doit nommer le vigneron acheteur."))


def reverse(moves: list[Move]) -> list[Move]:
    """The movements of a correction: each one turned back."""
    return [
        Move(m.to_stage, m.from_stage, m.quantity, m.model_id, m.reason_id,
             m.unit_price_cents, m.winemaker_id)
        for m in moves
    ]


def next_crate_state(kind: Kind, current: CrateState | None) -> CrateState:
    """The crate's state after `kind`, or LedgerError saying why it cannot happen."""
    table = CRATE_TRANSITIONS[kind]
    if current in table:
        return table[current]
    if current is None:
        raise LedgerError(_l("Cette caisse n'est pas enregistrée."))
    raise LedgerError(_l("Impossible : %(kind)s d'une caisse %(state)s.", kind=_l(KIND_LABELS[kind]),
                         state=_l(CRATE_STATE_LABELS[current])))


def stock_key(stage: Stage, model_id: int | None, sites: dict[Site, int | None]) -> tuple:
    """(stage, site id, model id) of the stock a movement side touches; 0 stands for none."""
    site = STOCK_SITE.get(stage, Site.NONE)
    site_id = sites.get(site) or 0 if site != Site.NONE else 0
    model = (model_id or 0) if stage in MODELLED_STAGES else 0
    return (stage.value, site_id, model)


def stock_deltas(moves: list[Move], sites: dict[Site, int | None]) -> dict[tuple, int]:
    """Net change each movement list makes to each held stock."""
    deltas: dict[tuple, int] = {}
    for move in moves:
        winemaker_sites = {**sites, Site.WINEMAKER: move.winemaker_id or sites.get(Site.WINEMAKER)}
        for stage, sign in ((move.from_stage, -1), (move.to_stage, 1)):
            if stage in STOCK_SITE:
                key = stock_key(stage, move.model_id, winemaker_sites)
                deltas[key] = deltas.get(key, 0) + sign * move.quantity
    return {k: v for k, v in deltas.items() if v}


MAX_HOURS_TYPED = 24
# ASCII digits only, as everywhere (bottles.numbers): "\d" would take "٣" and "１２".
_HOURS_CLOCK = r"([0-9]{1,2})\s*[hH:]\s*([0-9]{1,2})?\s*(?:min)?"
_HOURS_DECIMAL = r"([0-9]{1,3}(?:[.,][0-9]{1,2})?)\s*(?:h|heures?)?"


def parse_hours(text: str, maximum: int = MAX_HOURS_TYPED) -> Decimal:
    """Hours as people type them: "4h30", "4 h", "4:30", "4,5" or "4.5" (else ValueError saying why)."""
    raw = (text or "").strip().replace("\u202f", " ")
    clock = re.fullmatch(_HOURS_CLOCK, raw)
    if clock:
        minutes = int(clock.group(2) or 0)
        if minutes >= 60:
            raise ValueError(_l("« %(typed)s » : les minutes vont de 0 à 59.", typed=raw[:20]))
        value = Decimal(clock.group(1)) + (Decimal(minutes) / 60)
    else:
        decimal = re.fullmatch(_HOURS_DECIMAL, raw)
        if not decimal:
            raise ValueError(_l("« %(typed)s » n'est pas une durée : écrivez par exemple 4h30 ou 4,5.",
                                typed=raw[:20]))
        value = Decimal(decimal.group(1).replace(",", "."))
    if value > maximum:
        raise ValueError(_l("%(hours)s : au plus %(maximum)s h.", hours=format_hours(value), maximum=maximum))
    return value.quantize(Decimal("0.01"))


def format_hours(value: Decimal | float) -> str:
    """Hours in words a French reader uses: 4,5 → "4 h 30", 2 → "2 h"."""
    minutes = round(Decimal(str(value)) * 60)
    hours, rest = divmod(int(minutes), 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def co2_avoided_kg(bottles: int, new_kg: float = CO2_NEW_BOTTLE_KG,
                   reused_kg: float = CO2_REUSED_BOTTLE_KG) -> float:
    """CO₂e avoided by reusing `bottles` instead of making new ones."""
    return bottles * (new_kg - reused_kg)


def wash_yield(accepted: int | float | None, washed: int | float | None) -> float | None:
    """Share of washed bottles accepted (None when nothing was washed)."""
    return accepted / washed if accepted is not None and washed else None
