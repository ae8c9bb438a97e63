"""Pure rules of the phase indicators (../shared/INDICATORS.md). No Flask, no session."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
HOURS_PER_FTE = 1607


class PhaseError(ValueError):
    """Bad phase input; the message is for the person (French)."""


@dataclass(frozen=True)
class Param:
    key: str
    label: str
    default: float | None
    source: str
    low: float
    high: float
    unit: str = "€"


PARAMS: dict[str, Param] = {p.key: p for p in (
    Param("new_bottle_price_eur", "Prix d'une bouteille neuve", 0.80,
          "Prix payé par un producteur bourguignon avant 2022 (doublé à 1,60 € en 2022-23) ; presse, 2023",
          0, 10),
    Param("resale_price_eur", "Prix de revente prévu", 0.30,
          "Prix tout compris du réemploi vers 0,23-0,29 € (Ma Bouteille s'appelle Reviens ; "
          "Bout' à Bout', 2022)", 0, 10),
    Param("wash_cost_per_bottle_eur", "Coût de lavage par bouteille", 0.22,
          "Prix du seul lavage 0,20-0,26 € par bouteille standard (laveurs français, 2019-2022)", 0, 10),
    Param("cost_per_km_eur", "Coût par kilomètre de tournée", 0.60,
          "Estimation pour un utilitaire léger ; à fixer d'après les comptes de la phase", 0, 20),
    Param("fixed_costs_eur", "Coûts fixes annuels", 0.0,
          "À saisir d'après les comptes (montant pour un an ; une phase est chargée au prorata "
          "des jours qu'elle couvre)", 0, 10_000_000, "€/an"),
    Param("co2_new_bottle_kg", "CO₂ d'une bouteille neuve", 0.44,
          "~550 g de verre × ~0,8 kg CO₂e par kg de verre neuf", 0, 10, "kg"),
    Param("co2_reused_bottle_kg", "CO₂ d'une bouteille réemployée", 0.10,
          "Le réemploi évite ~76-85 % de l'impact de la bouteille (ADEME 2018 ; revue Zero Waste Europe)",
          0, 10, "kg"),
    Param("bottles_on_market", "Bouteilles éligibles mises sur le marché local", None,
          "Estimation de la coordination pour la phase", 1, 1_000_000_000, "bouteilles"),
)}


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    kind: str  # count | ratio | eur | days | kg | hours | fte | object
    better: int  # +1 higher is better, -1 lower is better, 0 neither
    section: str


FLOW, NETWORK, MONEY = "Flux", "Réseau et logistique", "Argent, environnement, travail"
INDICATORS: list[Indicator] = [
    Indicator("bottles_collected", "Bouteilles collectées", "count", 1, FLOW),
    Indicator("bottles_picked_up", "Bouteilles enlevées", "count", 1, FLOW),
    Indicator("bottles_received", "Bouteilles réceptionnées", "count", 1, FLOW),
    Indicator("transit_loss", "Pertes en transport", "count", -1, FLOW),
    Indicator("bottles_sorted", "Bouteilles triées réemployables", "count", 1, FLOW),
    Indicator("bottles_refused", "Bouteilles écartées au tri", "count", -1, FLOW),
    Indicator("refused_by_reason", "Écarts par motif", "object", -1, FLOW),
    Indicator("eligible_share", "Part réemployable", "ratio", 1, FLOW),
    Indicator("bottles_washed", "Bouteilles lavées", "count", 1, FLOW),
    Indicator("bottles_accepted", "Bouteilles conformes", "count", 1, FLOW),
    Indicator("bottles_rejected", "Rebuts après lavage", "count", -1, FLOW),
    Indicator("rejected_by_reason", "Rebuts par motif", "object", -1, FLOW),
    Indicator("wash_yield", "Rendement de lavage", "ratio", 1, FLOW),
    Indicator("bottles_sold", "Bouteilles revendues", "count", 1, FLOW),
    Indicator("sell_through", "Taux d'écoulement", "ratio", 1, FLOW),
    Indicator("collected_to_reused", "Rendement global", "ratio", 1, FLOW),
    Indicator("return_rate", "Taux de retour", "ratio", 1, FLOW),
    Indicator("clean_stock_end", "Stock propre en fin de phase", "count", 0, FLOW),
    Indicator("active_collection_points", "Points de collecte actifs", "count", 1, NETWORK),
    Indicator("active_winemakers", "Vignerons acheteurs", "count", 1, NETWORK),
    Indicator("crate_trips", "Caisses enlevées", "count", 0, NETWORK),
    Indicator("avg_crate_fill", "Remplissage moyen des caisses", "ratio", 1, NETWORK),
    Indicator("median_days_full_to_pickup", "Délai médian plein → enlèvement (jours)", "days", -1,
              NETWORK),
    Indicator("median_days_pickup_to_receipt", "Délai médian enlèvement → réception (jours)", "days",
              -1, NETWORK),
    Indicator("revenue_eur", "Chiffre d'affaires reventes", "eur", 1, MONEY),
    Indicator("avg_resale_price_eur", "Prix moyen de revente", "eur", 0, MONEY),
    Indicator("winemaker_saving_eur", "Économie pour les vignerons", "eur", 1, MONEY),
    Indicator("cost_total_eur", "Coût total", "eur", 0, MONEY),
    Indicator("cost_per_clean_bottle_eur", "Coût par bouteille propre", "eur", -1, MONEY),
    Indicator("co2_avoided_kg", "CO₂ évité (kg)", "kg", 1, MONEY),
    Indicator("glass_avoided_kg", "Verre évité (kg)", "kg", 1, MONEY),
    Indicator("work_hours", "Heures de travail", "hours", 0, MONEY),
    Indicator("fte", "Emplois (ETP)", "fte", 1, MONEY),
]
BY_KEY = {i.key: i for i in INDICATORS}
TARGETABLE = frozenset(i.key for i in INDICATORS if i.kind != "object")
# Indicators that a subset of collection points cannot be credited with (washer side, sales).
POINT_LEVEL = frozenset({"bottles_collected", "bottles_picked_up", "bottles_received", "transit_loss",
                         "active_collection_points", "crate_trips", "avg_crate_fill",
                         "median_days_full_to_pickup", "median_days_pickup_to_receipt",
                         "return_rate"})
REFERENCES: dict[str, tuple[float | None, str]] = {
    "collected_to_reused": (0.36, "Test jurassien 2016-17 : 50 000 collectées, 18 000 réemployées"),
    "return_rate": (0.55, "0,15 automates de supermarché (2025) · ≈0,55 pilote catalan · "
                          "0,95-0,97 filières matures"),
    "wash_yield": (0.95, "Les inspecteurs de bouteilles écartent environ 5 consignées sur 100"),
    "cost_per_clean_bottle_eur": (0.25, "0,20-0,29 € chez les opérateurs français du réemploi, 2019-2022"),
}


# ---------------------------------------------------------------- phases: dates and input


def phase_bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """UTC [start, end) of a phase: first day 00:00 to the day after the last, Europe/Paris."""
    start = datetime.combine(first_day, time(0), PARIS).astimezone(UTC)
    end = datetime.combine(last_day + timedelta(days=1), time(0), PARIS).astimezone(UTC)
    return start, end


@dataclass(frozen=True)
class Period:
    """The days of a phase its figures cover at a given moment (all Europe/Paris days)."""

    first_day: date
    last_day: date
    until: date  # the last day the figures include; first_day - 1 when none yet
    status: str  # finished | in_progress | not_started

    @property
    def in_progress(self) -> bool:
        return self.status == "in_progress"

    @property
    def phase_days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def elapsed_days(self) -> int:
        return max((self.until - self.first_day).days + 1, 0)

    @property
    def remaining_days(self) -> int:
        return self.phase_days - self.elapsed_days

    @property
    def year_days(self) -> int:
        """Days from the first day to the same date a year later (365 or 366)."""
        first = self.first_day
        try:
            later = first.replace(year=first.year + 1)
        except ValueError:  # 29 February
            later = date(first.year + 1, 3, 1)
        return (later - first).days


def period(first_day: date, last_day: date, now: datetime) -> Period:
    """Finished phases cover all their days; a phase in progress runs to today's Paris midnight.

    Whole Paris days keep the figures exact on the daily roll-ups and stable through the day.
    """
    today = now.astimezone(PARIS).date()
    if today > last_day:
        return Period(first_day, last_day, last_day, "finished")
    if today < first_day:
        return Period(first_day, last_day, first_day - timedelta(days=1), "not_started")
    return Period(first_day, last_day, today - timedelta(days=1), "in_progress")


def period_bounds(p: Period, days: int | None = None) -> tuple[datetime, datetime]:
    """UTC [start, end) of the figures: the covered days, or only the first `days` of them."""
    last = p.until if days is None else min(p.until, p.first_day + timedelta(days=days - 1))
    start, _ = phase_bounds(p.first_day, p.first_day)
    if last < p.first_day:
        return start, start
    return start, phase_bounds(p.first_day, last)[1]


def fixed_cost_share(p: Period, days: int | None = None) -> float:
    """The share of the yearly fixed costs a period carries: its covered days over a year.

    A finished phase of exactly a year carries them whole; a longer or shorter one, or a phase
    in progress, carries them pro rata of its days.
    """
    covered = p.elapsed_days if days is None else min(days, p.elapsed_days)
    return covered / p.year_days


def plural(count: int, one: str, many: str) -> str:
    """"1 caisse", "0 caisse", "3 caisses": French takes the singular for 0 and 1."""
    return f"{_fr_number(count, 0)} {one if abs(count) <= 1 else many}"


def period_sentence(p: Period, fmt_day: Callable[[date], str]) -> str:
    """What the figures cover, in one French sentence (dashboard, PDF, command line)."""
    if p.status == "not_started":
        return f"Phase pas encore commencée : elle commence le {fmt_day(p.first_day)} ; aucun chiffre avant."
    if p.status == "finished":
        return (f"Phase terminée : chiffres du {fmt_day(p.first_day)} au {fmt_day(p.last_day)} "
                f"({plural(p.phase_days, 'jour', 'jours')}).")
    if not p.elapsed_days:
        return ("Phase en cours depuis aujourd'hui : les chiffres couvrent les journées complètes, "
                "les premiers paraîtront demain.")
    return (f"Phase en cours : chiffres du {fmt_day(p.first_day)} au {fmt_day(p.until)} inclus "
            f"(jusqu'à minuit, heure de Paris), soit {plural(p.elapsed_days, 'jour', 'jours')} sur "
            f"{p.phase_days} ; elle se termine le {fmt_day(p.last_day)}.")


def compare_days(periods: list[Period]) -> int | None:
    """Days compared when a phase is still running: the shortest covered period; None = whole phases."""
    if not any(p.in_progress for p in periods):
        return None
    return min(p.elapsed_days for p in periods)


def parse_day(raw: str, what: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        raise PhaseError(f"{what} : « {raw} » n'est pas une date AAAA-MM-JJ.") from None


def check_dates(first_day: date, last_day: date,
                others: list[tuple[str, date, date]]) -> None:
    """Dates in order, within a sane range, and no overlap with any other phase."""
    if first_day > last_day:
        raise PhaseError("Le premier jour doit précéder (ou égaler) le dernier jour.")
    if first_day.year < 2000 or last_day.year > 2100:
        raise PhaseError("Les dates doivent être entre 2000 et 2100.")
    if (last_day - first_day).days > 3 * 366:
        raise PhaseError("Une phase ne peut pas durer plus de trois ans.")
    for name, start, end in others:
        if first_day <= end and start <= last_day:
            raise PhaseError(f"Ces dates chevauchent la phase « {name} » ({start:%d/%m/%Y} – "
                             f"{end:%d/%m/%Y}).")


def _number(raw: object, what: str) -> float:
    text = str(raw).strip().replace(",", ".").replace("\u202f", "").replace(" ", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise PhaseError(f"{what} : « {raw} » n'est pas un nombre.") from None
    if not value.is_finite():
        raise PhaseError(f"{what} : « {raw} » n'est pas un nombre.")
    return float(value)


def _plain(value: float) -> str:
    """A bound in French: 10 000 000, 0,5 (never 1e+07 nor 0.5)."""
    if value == int(value):
        return _fr_number(value, 0)
    return f"{value:g}".replace(".", ",")


def parse_param(key: str, raw: object) -> float | None:
    """A parameter's value checked against its range; empty means unset (default)."""
    if key not in PARAMS:
        raise PhaseError(f"Paramètre inconnu : « {key} ». Paramètres possibles : "
                         f"{', '.join(PARAMS)}.")
    if raw is None or str(raw).strip() == "":
        return None
    param = PARAMS[key]
    value = _number(raw, param.label)
    if not param.low <= value <= param.high:
        raise PhaseError(f"{param.label} : {raw} est hors de l'intervalle permis "
                         f"({_plain(param.low)} à {_plain(param.high)}).")
    if key == "bottles_on_market" and value != int(value):
        raise PhaseError(f"{param.label} : un nombre entier de bouteilles est attendu.")
    return value


def parse_target(key: str, raw: object) -> float | None:
    if key not in TARGETABLE:
        raise PhaseError(f"Objectif inconnu : « {key} ». Les objectifs portent sur les indicateurs "
                         "de INDICATORS.md (par ex. collected_to_reused, bottles_collected).")
    if raw is None or str(raw).strip() == "":
        return None
    indicator = BY_KEY[key]
    value = _number(raw, f"Objectif « {indicator.label} »")
    high = 1 if indicator.kind == "ratio" else 1_000_000_000
    if not 0 <= value <= high:
        raise PhaseError(f"Objectif « {indicator.label} » : {raw} est hors de l'intervalle permis "
                         f"(0 à {_plain(high)}{' ; un taux s’écrit 0,52 pour 52 %' if high == 1 else ''}).")
    return value


def parse_pairs(pairs: list[str], what: str) -> dict[str, str]:
    """`key=value` strings from the command line."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise PhaseError(f"{what} « {pair} » : la forme attendue est clé=valeur.")
        out[key.strip()] = value.strip()
    return out


def effective_params(stored: dict) -> dict[str, float | None]:
    """Each parameter's value: the phase's own, else the default of INDICATORS.md."""
    values: dict[str, float | None] = {}
    for key, param in PARAMS.items():
        own = (stored or {}).get(key) or {}
        values[key] = own.get("value") if own.get("value") is not None else param.default
    return values


def param_source(stored: dict, key: str) -> str:
    own = (stored or {}).get(key) or {}
    if own.get("value") is not None:
        return own.get("source") or "Valeur saisie pour la phase (source non précisée)"
    return PARAMS[key].source


# ---------------------------------------------------------------- indicators


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


def ratio(num: float | None, den: float | None) -> float | None:
    """num / den, or None when the denominator is zero or unknown."""
    if num is None or not den:
        return None
    return num / den


def _eur(value: Decimal | float | None) -> float | None:
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.01")))


def indicators(agg: Aggregates, params: dict[str, float | None], scoped: bool = False,
               fixed_share: float = 1.0) -> dict:
    """Every indicator of INDICATORS.md from the aggregates; `scoped` = a subset of points.

    `fixed_share` is the part of the yearly fixed costs the window carries (fixed_cost_share).
    """
    p = agg.pairs
    collected = p.get(("outside", "at_point"), 0)
    picked = p.get(("at_point", "in_transit"), 0)
    received = sum(q for (_f, t), q in p.items() if t == "received")
    sorted_ = p.get(("received", "sorted"), 0)
    refused = p.get(("received", "refused"), 0)
    accepted = p.get(("sorted", "clean"), 0)
    rejected = p.get(("sorted", "rejected"), 0)
    washed = accepted + rejected
    sold = p.get(("clean", "sold"), 0)
    pr = {k: Decimal(str(v)) if v is not None else None for k, v in params.items()}
    revenue = Decimal(agg.revenue_cents) / 100
    cost = (washed * pr["wash_cost_per_bottle_eur"] + Decimal(str(agg.round_km)) * pr["cost_per_km_eur"]
            + pr["fixed_costs_eur"] * Decimal(str(fixed_share)))
    out = {
        "bottles_collected": collected,
        "bottles_picked_up": picked,
        "bottles_received": received,
        "transit_loss": p.get(("in_transit", "lost"), 0),
        "bottles_sorted": sorted_,
        "bottles_refused": refused,
        "refused_by_reason": dict(sorted(agg.refused_by_reason.items())),
        "eligible_share": ratio(sorted_, sorted_ + refused),
        "bottles_washed": washed,
        "bottles_accepted": accepted,
        "bottles_rejected": rejected,
        "rejected_by_reason": dict(sorted(agg.rejected_by_reason.items())),
        "wash_yield": ratio(accepted, washed),
        "bottles_sold": sold,
        "sell_through": ratio(sold, accepted),
        "collected_to_reused": ratio(sold, collected),
        "return_rate": ratio(collected, params.get("bottles_on_market")),
        "clean_stock_end": agg.clean_stock_end,
        "active_collection_points": agg.active_points,
        "active_winemakers": agg.active_winemakers,
        "crate_trips": agg.crate_trips,
        "avg_crate_fill": ratio(agg.fill_sum, agg.fill_count),
        "median_days_full_to_pickup": _round(agg.median_full_to_pickup, 3),
        "median_days_pickup_to_receipt": _round(agg.median_pickup_to_receipt, 3),
        "revenue_eur": _eur(revenue),
        "avg_resale_price_eur": _eur(revenue / sold) if sold else None,
        "winemaker_saving_eur": _eur(sold * pr["new_bottle_price_eur"] - revenue),
        "cost_total_eur": _eur(cost),
        "cost_per_clean_bottle_eur": _eur(cost / accepted) if accepted else None,
        "co2_avoided_kg": _round(float(sold * (pr["co2_new_bottle_kg"] - pr["co2_reused_bottle_kg"])), 2),
        "glass_avoided_kg": agg.glass_g / 1000,
        "work_hours": _round(agg.work_hours, 2),
        "fte": _round(agg.work_hours / HOURS_PER_FTE, 3),
    }
    if scoped:
        for key in out:
            if key not in POINT_LEVEL:
                out[key] = None
    return out


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def median(values: list[float]) -> float | None:
    """The median (mean of the two middle values for an even count); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# ---------------------------------------------------------------- a phase in progress

# Totals that grow through the phase: a yearly target on them is judged at the pace reached.
CUMULATIVE = frozenset({
    "bottles_collected", "bottles_picked_up", "bottles_received", "transit_loss", "bottles_sorted",
    "bottles_refused", "bottles_washed", "bottles_accepted", "bottles_rejected", "bottles_sold",
    "crate_trips", "revenue_eur", "winemaker_saving_eur", "cost_total_eur", "co2_avoided_kg",
    "glass_avoided_kg", "work_hours", "fte"})
DAYS_PER_MONTH = 365.25 / 12
LABELS_IN_PROGRESS = {"clean_stock_end": "Stock propre à ce jour"}


def label(key: str, p: Period | None = None) -> str:
    """An indicator's French label; while the phase runs, "en fin de phase" becomes "à ce jour"."""
    if p is not None and p.in_progress and key in LABELS_IN_PROGRESS:
        return LABELS_IN_PROGRESS[key]
    return BY_KEY[key].label


@dataclass(frozen=True)
class TargetStatus:
    """How a value stands against its target: met / missed, or ahead / behind while in progress."""

    state: str  # met | missed | ahead | behind
    mark: str  # a short French verdict
    text: str  # the sentence shown under the target
    expected: float | None = None  # where an even pace would be by now
    per_month: float | None = None  # what is needed (or still allowed) per remaining month

    @property
    def good(self) -> bool:
        return self.state in ("met", "ahead")


def target_status(ind: Indicator, value: float | None, target: float | None,
                  p: Period) -> TargetStatus | None:
    """A target read for the period: totals of a running phase at their pace, the rest as is."""
    if target is None or value is None:
        return None
    higher = ind.better >= 0
    if not (p.in_progress and ind.key in CUMULATIVE):
        ok = value >= target if higher else value <= target
        return TargetStatus("met" if ok else "missed", "✓ atteint" if ok else "✗ non atteint",
                            "atteint" if ok else "non atteint")
    expected = target * p.elapsed_days / p.phase_days
    ahead = value >= expected if higher else value <= expected
    months = p.remaining_days / DAYS_PER_MONTH
    left = target - value  # still to reach, or still allowed under a ceiling
    per_month = math.ceil(left / months) if ind.kind == "count" else round(left / months, 2)
    pace = fmt_value(ind.kind, expected)
    if higher and left <= 0:
        text = f"objectif déjà atteint (rythme prévu à ce jour : {pace})"
    elif higher:
        text = (f"rythme prévu à ce jour : {pace} ; il faut {fmt_value(ind.kind, per_month)} par mois "
                f"d'ici la fin de la phase")
    elif left < 0:
        text = f"plafond déjà dépassé (rythme prévu à ce jour : {pace})"
    else:
        text = (f"rythme prévu à ce jour : {pace} ; marge restante {fmt_value(ind.kind, per_month)} "
                f"par mois d'ici la fin de la phase")
    return TargetStatus("ahead" if ahead else "behind", "en avance" if ahead else "en retard", text,
                        expected, max(per_month, 0))


# ---------------------------------------------------------------- the loss funnel


FUNNEL_STEPS = [
    ("bottles_collected", "Collectées"), ("bottles_picked_up", "Enlevées"),
    ("bottles_received", "Réceptionnées"), ("bottles_sorted", "Triées réemployables"),
    ("bottles_accepted", "Conformes après lavage"), ("bottles_sold", "Revendues"),
]
FUNNEL_LOSSES = ["Restées au point", "Perdues / écart en transport", "Écartées au tri",
                 "Rebuts de lavage / en attente", "Stock propre non vendu"]


def funnel(values: dict) -> list[dict]:
    """Each step with its count and the drop from the step before (never negative)."""
    steps = []
    previous = None
    for i, (key, label) in enumerate(FUNNEL_STEPS):
        value = values.get(key) or 0
        drop = max(previous - value, 0) if previous is not None else 0
        steps.append({"key": key, "label": label, "value": value, "drop": drop,
                      "drop_label": FUNNEL_LOSSES[i - 1] if i else "",
                      "share": ratio(value, values.get("bottles_collected"))})
        previous = value
    return steps


# ---------------------------------------------------------------- clean stock age


def stock_age(stock: int, inflow_by_day: list[tuple[date, int]], at: date) -> dict[str, int]:
    """Split today's clean stock by age, assuming the oldest bottles leave first (FIFO)."""
    buckets = {"moins de 30 jours": 0, "30 à 90 jours": 0, "plus de 90 jours": 0}
    left = stock
    for day, qty in sorted(inflow_by_day, reverse=True):
        if left <= 0:
            break
        take = min(qty, left)
        age = (at - day).days
        key = "moins de 30 jours" if age < 30 else "30 à 90 jours" if age < 90 else "plus de 90 jours"
        buckets[key] += take
        left -= take
    if left > 0:
        buckets["plus de 90 jours"] += left
    return buckets


# ---------------------------------------------------------------- comparison


def change(before: float | None, after: float | None) -> float | None:
    """Relative change (0.4 = +40 %), None when it cannot be said."""
    if before is None or after is None or before == 0:
        return None
    return (after - before) / abs(before)


def fmt_value(kind: str, value: float | None) -> str:
    """A French rendering of a value, for generated sentences and PDF tables."""
    if value is None:
        return "—"
    if kind == "ratio":
        return f"{value * 100:.0f} %".replace(".", ",")
    if kind == "eur":
        return _fr_number(value, 2) + " €"
    if kind in ("days", "fte"):
        return _fr_number(value, 1 if kind == "days" else 2)
    if kind == "hours":
        return _fr_number(value, 1)
    if kind == "kg":
        return _fr_number(value, 0)
    return _fr_number(value, 0)


def fmt_cell(value: object, header: str = "") -> str:
    """A table cell for people: shares as percentages, euros with cents, counts grouped."""
    if value is None or value == "":
        return "—"
    if not isinstance(value, int | float):
        return str(value)
    if header in ("Part", "Rendement"):
        return fmt_value("ratio", value)
    if "€" in header:
        return _fr_number(value, 2)
    if isinstance(value, float) and value != int(value):
        return _fr_number(value, 2 if abs(value) < 100 else 1)
    return _fr_number(value, 0)


def _fr_number(value: float, digits: int) -> str:
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def unchanged(kind: str, before: float, after: float) -> bool:
    """Equal as shown (95 % and 95 %), or a change that rounds to 0 %: not worth a verdict."""
    if math.isclose(before, after) or (kind and fmt_value(kind, before) == fmt_value(kind, after)):
        return True
    rel = change(before, after)
    return rel is not None and round(abs(rel) * 100) == 0


def verdict(indicator: Indicator, before: float | None, after: float | None,
            kind: str | None = None) -> int:
    """+1 improved, -1 got worse, 0 unchanged (as shown in `kind`), neutral or unknown."""
    if before is None or after is None or indicator.better == 0 \
            or unchanged(indicator.kind if kind is None else kind, before, after):
        return 0
    return indicator.better if after > before else -indicator.better


SUMMARY: list[tuple[str, str, bool, str]] = [  # key, subject, plural, level | rel
    ("collected_to_reused", "le rendement global", False, "level"),
    ("bottles_collected", "les bouteilles collectées", True, "rel"),
    ("return_rate", "le taux de retour", False, "level"),
    ("eligible_share", "la part réemployable", False, "level"),
    ("transit_loss", "les pertes en transport (par bouteille enlevée)", True, "rel"),
    ("wash_yield", "le rendement de lavage", False, "level"),
    ("sell_through", "le taux d'écoulement", False, "level"),
    ("bottles_sold", "les bouteilles revendues", True, "rel"),
    ("active_collection_points", "les points de collecte actifs", True, "level"),
    ("active_winemakers", "les vignerons acheteurs", True, "level"),
    ("avg_crate_fill", "le remplissage moyen des caisses", False, "level"),
    ("median_days_full_to_pickup", "le délai médian plein → enlèvement", False, "days"),
    ("median_days_pickup_to_receipt", "le délai médian enlèvement → réception", False, "days"),
    ("cost_per_clean_bottle_eur", "le coût par bouteille propre", False, "level"),
    ("co2_avoided_kg", "le CO₂ évité", False, "rel"),
]


def _sentence(subject: str, plural: bool, style: str, kind: str, a: float, b: float) -> str | None:
    if style == "level":
        return f"{subject} {'passent' if plural else 'passe'} de {fmt_value(kind, a)} à {fmt_value(kind, b)}"
    if style == "days":
        return f"{subject} passe de {fmt_value(kind, a)} à {fmt_value(kind, b)} jours"
    rel = change(a, b)
    if rel is None or abs(rel) < 0.05:
        return None
    verb = ("augmentent" if plural else "augmente") if rel > 0 else ("baissent" if plural else "baisse")
    return f"{subject} {verb} de {abs(rel) * 100:.0f} %"


def summary(before: dict, after: dict, reason_labels: dict[str, str]) -> dict[str, list[str]]:
    """Short French sentences from `before` to `after`: what improved, what got worse, the rest."""
    out: dict[str, list[str]] = {"better": [], "worse": [], "other": []}
    for key, subject, plural, style in SUMMARY:
        ind = BY_KEY[key]
        a, b = before.get(key), after.get(key)
        if key in PER:
            a, b = ratio(a, before.get(PER[key])), ratio(b, after.get(PER[key]))
        shown = "" if key in PER else ind.kind  # a loss per bottle is not shown as a count
        if a is None or b is None or unchanged(shown, a, b):
            continue
        text = _sentence(subject, plural, style, ind.kind, a, b)
        if text:
            out[{1: "better", -1: "worse", 0: "other"}[verdict(ind, a, b, shown)]].append(text)
    for field_, what, per in (("refused_by_reason", "les écarts pour", "bottles_received"),
                              ("rejected_by_reason", "les rebuts pour", "bottles_washed")):
        old, new = before.get(field_) or {}, after.get(field_) or {}
        moves = []
        for code in sorted(set(old) | set(new)):
            a, b = ratio(old.get(code, 0), before.get(per)), ratio(new.get(code, 0), after.get(per))
            rel = change(a, b)
            if rel is not None and abs(rel) >= 0.1:
                moves.append((abs(rel), code, a, b, rel))
        for _size, code, a, b, rel in sorted(moves, reverse=True)[:3]:
            text = _sentence(f"{what} {reason_labels.get(code, code).lower()}", True, "rel", "count", a, b)
            out["worse" if rel > 0 else "better"].append(text)
    return out


# Losses compared as a share of the bottles that could be lost, so volume growth does not mislead.
PER = {"transit_loss": "bottles_picked_up"}


def summary_text(parts: dict[str, list[str]]) -> str:
    """One paragraph: improvements first, then what got worse."""
    chunks = []
    if parts["better"]:
        chunks.append("Progrès : " + " ; ".join(parts["better"]) + ".")
    if parts["worse"]:
        chunks.append("Reculs : " + " ; ".join(parts["worse"]) + ".")
    if parts["other"]:
        chunks.append("Par ailleurs, " + " ; ".join(parts["other"]) + ".")
    return " ".join(chunks) or "Aucun changement notable entre ces phases."
