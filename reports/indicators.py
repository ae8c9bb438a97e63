"""The phase indicators (docs/indicators.md): their definitions and the pure functions over the
aggregates SQL returns — flow, network, money, lead times, the loss funnel, clean stock age.
No Flask, no session: labels are lazy gettext, French first, shown in the person's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from bottles.rules import co2_avoided_kg, wash_yield
from reports.period import Period

HOURS_PER_FTE = 1607


@dataclass(frozen=True)
class Indicator:
    """One figure of a phase: its key, French label, kind of value and which way is better."""

    key: str
    label: str
    kind: str  # count | ratio | eur | days | kg | hours | fte | object
    better: int  # +1 higher is better, -1 lower is better, 0 neither
    section: str


FLOW, NETWORK, MONEY = _l("Flux"), _l("Réseau et logistique"), _l("Argent, environnement, travail")
INDICATORS: list[Indicator] = [
    Indicator("bottles_collected", _l("Bouteilles collectées"), "count", 1, FLOW),
    Indicator("bottles_picked_up", _l("Bouteilles enlevées"), "count", 1, FLOW),
    Indicator("bottles_received", _l("Bouteilles réceptionnées"), "count", 1, FLOW),
    Indicator("transit_loss", _l("Pertes en transport"), "count", -1, FLOW),
    Indicator("bottles_sorted", _l("Bouteilles triées réemployables"), "count", 1, FLOW),
    Indicator("bottles_refused", _l("Bouteilles écartées au tri"), "count", -1, FLOW),
    Indicator("refused_by_reason", _l("Écarts par motif"), "object", -1, FLOW),
    Indicator("eligible_share", _l("Part réemployable"), "ratio", 1, FLOW),
    Indicator("bottles_washed", _l("Bouteilles lavées"), "count", 1, FLOW),
    Indicator("bottles_accepted", _l("Bouteilles conformes"), "count", 1, FLOW),
    Indicator("bottles_rejected", _l("Rebuts après lavage"), "count", -1, FLOW),
    Indicator("rejected_by_reason", _l("Rebuts par motif"), "object", -1, FLOW),
    Indicator("wash_yield", _l("Rendement de lavage"), "ratio", 1, FLOW),
    Indicator("bottles_sold", _l("Bouteilles revendues"), "count", 1, FLOW),
    Indicator("sell_through", _l("Taux d'écoulement"), "ratio", 1, FLOW),
    Indicator("collected_to_reused", _l("Rendement global"), "ratio", 1, FLOW),
    Indicator("return_rate", _l("Taux de retour"), "ratio", 1, FLOW),
    Indicator("clean_stock_end", _l("Stock propre en fin de phase"), "count", 0, FLOW),
    Indicator("active_collection_points", _l("Points de collecte actifs"), "count", 1, NETWORK),
    Indicator("active_winemakers", _l("Vignerons acheteurs"), "count", 1, NETWORK),
    Indicator("crate_trips", _l("Caisses enlevées"), "count", 0, NETWORK),
    Indicator("avg_crate_fill", _l("Remplissage moyen des caisses"), "ratio", 1, NETWORK),
    Indicator("median_days_full_to_pickup", _l("Délai médian plein → enlèvement (jours)"), "days", -1,
              NETWORK),
    Indicator("median_days_pickup_to_receipt", _l("Délai médian enlèvement → réception (jours)"), "days",
              -1, NETWORK),
    Indicator("revenue_eur", _l("Chiffre d'affaires reventes"), "eur", 1, MONEY),
    Indicator("avg_resale_price_eur", _l("Prix moyen de revente"), "eur", 0, MONEY),
    Indicator("winemaker_saving_eur", _l("Économie pour les vignerons"), "eur", 1, MONEY),
    Indicator("cost_total_eur", _l("Coût total"), "eur", 0, MONEY),
    Indicator("cost_per_clean_bottle_eur", _l("Coût par bouteille propre"), "eur", -1, MONEY),
    Indicator("co2_avoided_kg", _l("CO₂ évité (kg)"), "kg", 1, MONEY),
    Indicator("glass_avoided_kg", _l("Verre évité (kg)"), "kg", 1, MONEY),
    Indicator("work_hours", _l("Heures de travail"), "hours", 0, MONEY),
    Indicator("fte", _l("Emplois (ETP)"), "fte", 1, MONEY),
]
BY_KEY = {i.key: i for i in INDICATORS}
TARGETABLE = frozenset(i.key for i in INDICATORS if i.kind != "object")
# Indicators that a subset of collection points cannot be credited with (washer side, sales).
POINT_LEVEL = frozenset({"bottles_collected", "bottles_picked_up", "bottles_received", "transit_loss",
                         "active_collection_points", "crate_trips", "avg_crate_fill",
                         "median_days_full_to_pickup", "median_days_pickup_to_receipt",
                         "return_rate"})
REFERENCES: dict[str, tuple[float | None, str]] = {
    "collected_to_reused": (0.36, _l("Test jurassien 2016-17 : 50 000 collectées, 18 000 réemployées")),
    "return_rate": (0.55, _l("0,15 automates de supermarché (2025) · ≈0,55 pilote catalan · "
                             "0,95-0,97 filières matures")),
    "wash_yield": (0.95, _l("Les inspecteurs de bouteilles écartent environ 5 consignées sur 100")),
    "cost_per_clean_bottle_eur": (0.25, _l("0,20-0,29 € chez les opérateurs français du réemploi, "
                                           "2019-2022")),
}
LABELS_IN_PROGRESS = {"clean_stock_end": _l("Stock propre à ce jour")}


def label(key: str, covered: Period | None = None) -> str:
    """An indicator's label (lazy); while the phase runs, "en fin de phase" becomes "à ce jour"."""
    if covered is not None and covered.in_progress and key in LABELS_IN_PROGRESS:
        return LABELS_IN_PROGRESS[key]
    return BY_KEY[key].label


@dataclass
class Aggregates:
    """What SQL returns for one scope, already summed (GROUP BY in the database)."""

    pairs: dict[tuple[str, str], int] = field(default_factory=dict)
    refused_by_reason: dict[str, int] = field(default_factory=dict)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    revenue_cents: int = 0
    glass_g: int = 0
    clean_stock_end: int = 0
    active_points: int = 0
    active_winemakers: int = 0
    crate_trips: int = 0
    fill_sum: float = 0.0
    fill_count: int = 0
    median_full_to_pickup: float | None = None
    median_pickup_to_receipt: float | None = None
    work_hours: float = 0.0
    round_km: float = 0.0


def sum_flow_rows(totals: Aggregates, rows: list[tuple], reasons: dict) -> None:
    """Add grouped flow rows (from, to, reason, point, winemaker, quantity, cents, glass g) to `totals`:
    the stage pairs, refusals and rejects by reason code, sales revenue and glass, active points
    and buying winemakers."""
    points, winemakers = set(), set()
    for from_stage, to_stage, reason_id, point_id, winemaker_id, quantity, cents, glass in rows:
        pair, quantity = (from_stage, to_stage), int(quantity or 0)
        totals.pairs[pair] = totals.pairs.get(pair, 0) + quantity
        code = reasons.get(reason_id, ("sans_motif", ""))[0]
        if pair == ("received", "refused"):
            totals.refused_by_reason[code] = totals.refused_by_reason.get(code, 0) + quantity
        elif pair == ("sorted", "rejected"):
            totals.rejected_by_reason[code] = totals.rejected_by_reason.get(code, 0) + quantity
        elif pair == ("clean", "sold"):
            totals.revenue_cents += int(cents or 0)
            totals.glass_g += int(glass or 0)
            if winemaker_id is not None and quantity:
                winemakers.add(winemaker_id)
        elif pair == ("outside", "at_point") and point_id is not None and quantity:
            points.add(point_id)
    totals.active_points, totals.active_winemakers = len(points), len(winemakers)


def ratio(num: float | None, den: float | None) -> float | None:
    """num / den, or None when the denominator is zero or unknown."""
    if num is None or not den:
        return None
    return num / den


def _eur(value: Decimal | float | None) -> float | None:
    """Euros rounded to the cent."""
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.01")))


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def compute(totals: Aggregates, params: dict[str, float | None], scoped: bool = False,
            fixed_share: float = 1.0) -> dict:
    """Every indicator of docs/indicators.md from the aggregates; `scoped` = a subset of points.

    `fixed_share` is the part of the yearly fixed costs the window carries (fixed_cost_share).
    """
    moved = totals.pairs
    collected = moved.get(("outside", "at_point"), 0)
    picked = moved.get(("at_point", "in_transit"), 0)
    received = sum(quantity for (_from, to), quantity in moved.items() if to == "received")
    sorted_ = moved.get(("received", "sorted"), 0)
    refused = moved.get(("received", "refused"), 0)
    accepted = moved.get(("sorted", "clean"), 0)
    rejected = moved.get(("sorted", "rejected"), 0)
    washed = accepted + rejected
    sold = moved.get(("clean", "sold"), 0)
    prices = {k: Decimal(str(v)) if v is not None else None for k, v in params.items()}
    revenue = Decimal(totals.revenue_cents) / 100
    cost = (washed * prices["wash_cost_per_bottle_eur"]
            + Decimal(str(totals.round_km)) * prices["cost_per_km_eur"]
            + prices["fixed_costs_eur"] * Decimal(str(fixed_share)))
    out = {
        "bottles_collected": collected,
        "bottles_picked_up": picked,
        "bottles_received": received,
        "transit_loss": moved.get(("in_transit", "lost"), 0),
        "bottles_sorted": sorted_,
        "bottles_refused": refused,
        "refused_by_reason": dict(sorted(totals.refused_by_reason.items())),
        "eligible_share": ratio(sorted_, sorted_ + refused),
        "bottles_washed": washed,
        "bottles_accepted": accepted,
        "bottles_rejected": rejected,
        "rejected_by_reason": dict(sorted(totals.rejected_by_reason.items())),
        "wash_yield": wash_yield(accepted, washed),
        "bottles_sold": sold,
        "sell_through": ratio(sold, accepted),
        "collected_to_reused": ratio(sold, collected),
        "return_rate": ratio(collected, params.get("bottles_on_market")),
        "clean_stock_end": totals.clean_stock_end,
        "active_collection_points": totals.active_points,
        "active_winemakers": totals.active_winemakers,
        "crate_trips": totals.crate_trips,
        "avg_crate_fill": ratio(totals.fill_sum, totals.fill_count),
        "median_days_full_to_pickup": _round(totals.median_full_to_pickup, 3),
        "median_days_pickup_to_receipt": _round(totals.median_pickup_to_receipt, 3),
        "revenue_eur": _eur(revenue),
        "avg_resale_price_eur": _eur(revenue / sold) if sold else None,
        "winemaker_saving_eur": _eur(sold * prices["new_bottle_price_eur"] - revenue),
        "cost_total_eur": _eur(cost),
        "cost_per_clean_bottle_eur": _eur(cost / accepted) if accepted else None,
        "co2_avoided_kg": _round(co2_avoided_kg(sold, params["co2_new_bottle_kg"],
                                                params["co2_reused_bottle_kg"]), 2),
        "glass_avoided_kg": totals.glass_g / 1000,
        "work_hours": _round(totals.work_hours, 2),
        "fte": _round(totals.work_hours / HOURS_PER_FTE, 3),
    }
    if scoped:
        for key in out:
            if key not in POINT_LEVEL:
                out[key] = None
    return out


def median(values: list[float]) -> float | None:
    """The median (mean of the two middle values for an even count); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# ---------------------------------------------------------------- the loss funnel


FUNNEL_STEPS = [
    ("bottles_collected", _l("Collectées")), ("bottles_picked_up", _l("Enlevées")),
    ("bottles_received", _l("Réceptionnées")), ("bottles_sorted", _l("Triées réemployables")),
    ("bottles_accepted", _l("Conformes après lavage")), ("bottles_sold", _l("Revendues")),
]
FUNNEL_LOSSES = [_l("Restées au point"), _l("Perdues / écart en transport"), _l("Écartées au tri"),
                 _l("Rebuts de lavage / en attente"), _l("Stock propre non vendu")]


def funnel(values: dict) -> list[dict]:
    """Each step with its count and the drop from the step before (never negative)."""
    steps = []
    previous = None
    for i, (key, step_label) in enumerate(FUNNEL_STEPS):
        value = values.get(key) or 0
        drop = max(previous - value, 0) if previous is not None else 0
        steps.append({"key": key, "label": step_label, "value": value, "drop": drop,
                      "drop_label": FUNNEL_LOSSES[i - 1] if i else "",
                      "share": ratio(value, values.get("bottles_collected"))})
        previous = value
    return steps


# ---------------------------------------------------------------- clean stock age


AGE_BUCKETS = (_l("moins de 30 jours"), _l("30 à 90 jours"), _l("plus de 90 jours"))


def stock_age(stock: int, inflow_by_day: list[tuple[date, int]], at: date) -> dict[str, int]:
    """Split today's clean stock by age, assuming the oldest bottles leave first (FIFO)."""
    young, middle, old = AGE_BUCKETS
    buckets = {young: 0, middle: 0, old: 0}
    left = stock
    for day, qty in sorted(inflow_by_day, reverse=True):
        if left <= 0:
            break
        take = min(qty, left)
        age = (at - day).days
        buckets[young if age < 30 else middle if age < 90 else old] += take
        left -= take
    if left > 0:
        buckets[old] += left
    return buckets
