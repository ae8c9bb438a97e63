"""Which bottle models to take next phase (docs/indicators.md, "Modèles et simulateur du parc"):
the figures per model, the date a model's clean stock fills a pallet, and the pool simulator's
projected funnel. Pure functions over the per-model aggregates SQL returns; no Flask, no session."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from reports.indicators import AGE_BUCKETS, ratio, stock_age

NOT_STATED = 0  # the model id of bottles whose model was not stated (sorted as "mixed")


@dataclass
class ModelFlow:
    """One bottle model's figures over a phase window (model 0: not stated)."""

    model_id: int
    code: str
    name: str
    in_pool: bool
    sorted: int = 0       # received → sorted (accepted at sorting)
    accepted: int = 0     # sorted → clean (entered clean stock)
    rejected: int = 0     # sorted → rejected (after washing)
    sold: int = 0         # clean → sold
    clean_stock: int = 0  # clean stock at the window's end (all history)
    sorted_by_month: dict[str, int] = field(default_factory=dict)
    clean_inflow: list[tuple[date, int]] = field(default_factory=list)  # per Paris day, 180 days back

    @property
    def active(self) -> bool:
        """The model took part in the phase (or sits in stock): the simulator ticks it by default."""
        return self.in_pool or any((self.sorted, self.accepted, self.rejected, self.sold, self.clean_stock))


@dataclass
class PoolFlows:
    """What the simulator starts from: the phase's funnel, split by model and by label estate."""

    collected: int = 0
    received: int = 0
    refused: int = 0
    refused_by_month: dict[str, int] = field(default_factory=dict)
    # Bottles refused at sorting for a permanent label, by the estate that labelled them (0 = not stated).
    label_refused_by_estate: dict[int, int] = field(default_factory=dict)
    models: dict[int, ModelFlow] = field(default_factory=dict)
    days: int = 0  # Paris days the window covers


def pallet_fill_date(stock: int, inflow: int, days: int, pallet_size: int, today: date) -> date | None:
    """The day the model's clean stock reaches `pallet_size`, at the window's pace of entries into
    clean stock (`inflow` bottles over `days`), sales left aside; `today` when already there, None
    when it never will at this pace."""
    if stock >= pallet_size:
        return today
    if days <= 0 or inflow <= 0:
        return None
    per_day = inflow / days
    return today + timedelta(days=math.ceil((pallet_size - stock) / per_day))


def default_ticks(flows: PoolFlows) -> set[int]:
    """The current pool: the models in the pool or with bottles in the phase or in stock."""
    return {model_id for model_id, model in flows.models.items() if model.active}


@dataclass
class Projection:
    """The simulator's projected funnel for a choice of models and estates."""

    collected: int
    received: int
    refused: int
    refused_labels_at_point: int
    refused_out_of_pool: int
    sorted: int
    washed: int
    accepted: int
    sold: int
    reuse_rate: float | None
    unsold_clean: int
    unsold_age: dict[str, int]

    def funnel(self) -> list[tuple[str, int]]:
        return [(str(_l("Collectées")), self.collected), (str(_l("Écartées au tri")), self.refused),
                (str(_l("Lavées")), self.washed), (str(_l("Revendues")), self.sold)]


def simulate(flows: PoolFlows, ticked: set[int], labels_refused_at_point: set[int],
             at: date) -> Projection:
    """The phase replayed with only the `ticked` models accepted and, for the estates in
    `labels_refused_at_point`, their permanent-label bottles refused at the point instead of at
    sorting. A model left out: its sorted bottles become refusals, its washing, sales and clean
    stock are gone (no other model takes its place). With the current pool ticked and no estate,
    every figure is the phase's own."""
    kept = [m for model_id, m in flows.models.items() if model_id in ticked]
    dropped = [m for model_id, m in flows.models.items() if model_id not in ticked]
    at_point = sum(q for estate, q in flows.label_refused_by_estate.items()
                   if estate in labels_refused_at_point)
    out_of_pool = sum(m.sorted for m in dropped)
    age = {str(bucket): 0 for bucket in AGE_BUCKETS}
    for model in kept:
        for bucket, qty in stock_age(model.clean_stock, model.clean_inflow, at).items():
            age[str(bucket)] += qty
    collected = flows.collected - at_point
    sold = sum(m.sold for m in kept)
    return Projection(
        collected=collected, received=flows.received - at_point,
        refused=flows.refused - at_point + out_of_pool, refused_labels_at_point=at_point,
        refused_out_of_pool=out_of_pool, sorted=sum(m.sorted for m in kept),
        washed=sum(m.accepted + m.rejected for m in kept), accepted=sum(m.accepted for m in kept),
        sold=sold, reuse_rate=ratio(sold, collected), unsold_clean=sum(m.clean_stock for m in kept),
        unsold_age=age)


ASSUMPTIONS = [
    _l("Les chiffres rejouent la phase choisie : mêmes apports, même tri, même lavage, mêmes ventes."),
    _l("Un modèle décoché n'est plus accepté : ses bouteilles triées deviennent des refus « hors parc », "
       "et son lavage, ses ventes et son stock propre disparaissent ; aucun autre modèle ne prend sa place."),
    _l("Un modèle coché qui n'a rien eu pendant la phase n'ajoute rien : les refus ne disent pas de quel "
       "modèle était la bouteille, on ne peut donc pas estimer ce qu'il apporterait."),
    _l("Étiquettes permanentes refusées au point : les bouteilles de ce domaine écartées au tri pour "
       "étiquette ne sont plus collectées ; elles sortent des collectées, des réceptionnées et des refus."),
    _l("Taux de réemploi = revendues ÷ collectées ; âge du stock propre : les plus anciennes bouteilles "
       "partent d'abord (premier entré, premier sorti)."),
]


class PoolError(ValueError):
    """A pool proposal that cannot be saved; the message (lazy) is for the person."""

    def __init__(self, message: object, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def parse_ids(raw: list[str], known: set[int], what: str) -> set[int]:
    """Ids typed in a form (ASCII digits), each one of `known`; an unknown one is refused."""
    out = set()
    for text in raw:
        text = (text or "").strip()
        if not (text.isascii() and text.isdigit()) or int(text) not in known:
            raise PoolError(_l("%(what)s inconnu : « %(raw)s ».", what=what, raw=text[:40]))
        out.add(int(text))
    return out


def proposal(ticked: set[int], estates: set[int], model_codes: dict[int, str],
             estate_codes: dict[int, str], source_phase: str, saved_on: date) -> dict:
    """The proposal as stored in the next phase's parameters ("pool"): model and estate codes."""
    if not ticked:
        raise PoolError(_l("Cochez au moins un modèle : une proposition sans modèle n'est pas enregistrée."))
    return {"models": sorted(model_codes[i] for i in ticked),
            "labels_refused_at_point": sorted(estate_codes[i] for i in estates),
            "from_phase": source_phase, "saved_on": saved_on.isoformat()}
