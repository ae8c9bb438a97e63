"""Does the channel pay, and does it count (docs/indicators.md, "Rentabilité, seuils ADEME, AGEC et
PPWR"): rotations, crate cycles, cost per clean bottle sold against a new bottle, the break-even
volume, the ADEME 2023 thresholds and the figures a producer reports. Pure functions over the
phase's indicators and a few SQL counts; no Flask, no session."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

from flask_babel import lazy_gettext as _l

from reports.french import Later, plain_number
from reports.indicators import ratio

EARTH_RADIUS_KM = 6371.0
ADEME_USES_LOW, ADEME_USES_HIGH, ADEME_MAX_KM = 2, 4, 600
ADEME_SOURCE = _l("ADEME (RDC Environment), « Évaluation environnementale de la consigne pour réemploi "
                  "d'emballages en verre en France – Volet A », juin 2023")
AGEC_SOURCE = _l("Loi n° 2020-105 du 10 février 2020 relative à la lutte contre le gaspillage et à "
                 "l'économie circulaire (AGEC) et décret n° 2022-507 (proportion minimale d'emballages "
                 "réemployés) ; ADEME, FAQ réemploi des emballages, "
                 "https://filieres-rep.ademe.fr/faq/faq-reemploi-des-emballages")
PPWR_SOURCE = _l("Règlement (UE) 2025/40 du Parlement européen et du Conseil du 19 décembre 2024 relatif "
                 "aux emballages et aux déchets d'emballages (PPWR), article 3 (définitions)")


@dataclass(frozen=True)
class Verdict:
    """A plain verdict: a stable code for files and tests, and the sentence for people (lazy)."""

    code: str  # ok | partial | no | unmeasurable
    text: object


def rotations(sold: int, on_market: float | None) -> float | None:
    """Clean bottles sold again ÷ bottles put on the market in the area (the phase parameter)."""
    return ratio(sold, on_market)


def uses_per_bottle(rotation: float | None) -> float | None:
    """Fillings ÷ new bottles = (first fillings + refills) ÷ first fillings = 1 + rotations."""
    return None if rotation is None else 1 + rotation


def crate_cycles(pickups: int, crates: int) -> float | None:
    """Pickups ÷ distinct crates picked up: how many rounds trips a crate in use made."""
    return ratio(pickups, crates)


def cost_per_sold(cost_total: float | None, sold: int) -> float | None:
    """The phase's full cost ÷ clean bottles sold, to the cent."""
    if cost_total is None or not sold:
        return None
    return round(cost_total / sold, 2)


def variable_cost_per_sold(washed: int, wash_cost: float, km: float, cost_per_km: float,
                           sold: int) -> float | None:
    """(washing + rounds) ÷ bottles sold: what one more bottle sold costs, losses included."""
    if not sold:
        return None
    return (washed * wash_cost + km * cost_per_km) / sold


def break_even(fixed_per_year: float, price: float | None, variable: float | None) -> int | None:
    """Bottles to sell in a year so that sales cover the yearly fixed costs; None when each bottle
    sold loses money (price ≤ variable cost) or is not known."""
    if price is None or variable is None or price <= variable:
        return None
    return math.ceil(fixed_per_year / (price - variable) - 1e-9)


def per_year(count: int, days: int, year_days: int) -> int | None:
    """A count over `days` scaled to a year."""
    if days <= 0:
        return None
    return round(count * year_days / days)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points, in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def area_span_km(places: list[tuple[float, float]]) -> float | None:
    """The longest straight distance between two of the places (None under two places), to 0.1 km."""
    if len(places) < 2:
        return None
    return round(max(distance_km(a, b) for i, a in enumerate(places) for b in places[i + 1:]), 1)


def ademe_uses(uses: float | None) -> Verdict:
    """ADEME 2023: reusable glass beats single-use glass from 2 uses (household) to 4 (cafés, hotels)."""
    if uses is None:
        return Verdict("unmeasurable", _l("Non mesurable : le nombre de bouteilles mises sur le marché "
                                          "(paramètre de la phase) n'est pas renseigné."))
    if uses >= ADEME_USES_HIGH:
        return Verdict("ok", _l("Oui : au moins 4 utilisations par bouteille, le réemploi l'emporte sur "
                                "le verre à usage unique dans tous les scénarios de l'ADEME."))
    if uses >= ADEME_USES_LOW:
        return Verdict("partial", _l("En partie : entre 2 et 4 utilisations par bouteille, le réemploi "
                                     "l'emporte dans les scénarios ménagers de l'ADEME, pas encore dans "
                                     "ceux des cafés, hôtels et restaurants."))
    return Verdict("no", _l("Pas encore : moins de 2 utilisations par bouteille, sous le seuil où le "
                            "réemploi l'emporte sur le verre à usage unique."))


def ademe_distance(span_km: float | None) -> Verdict:
    """ADEME 2023: the advantage holds up to about 600 km between filling and distribution.

    The ledger knows no filling site (estates and the washer carry no coordinates): only the
    collection points' spread is measured, as an indication."""
    if span_km is None:
        return Verdict("unmeasurable", _l("Non mesurable : les domaines (lieux de remplissage) n'ont pas "
                                          "de coordonnées, et moins de deux points de collecte en ont."))
    km = Later(partial(plain_number, span_km))  # 41,4 in French, 41.4 in English
    if span_km <= ADEME_MAX_KM:
        return Verdict("ok", _l("Indication favorable : les points de collecte tiennent dans %(km)s km, "
                                "sous les 600 km de l'ADEME ; la distance remplissage → distribution "
                                "elle-même n'est pas mesurable (les domaines n'ont pas de coordonnées).",
                                km=km))
    return Verdict("no", _l("Attention : %(km)s km séparent deux points de collecte, au-delà des 600 km "
                            "de l'ADEME.", km=km))


def cost_verdict(cost_sold: float | None, new_price: float | None) -> Verdict:
    """A clean bottle sold against a new bottle's price."""
    if cost_sold is None or new_price is None:
        return Verdict("unmeasurable", _l("Non mesurable : aucune bouteille propre vendue pendant la phase."))
    if cost_sold <= new_price:
        return Verdict("ok", _l("Oui : une bouteille propre vendue coûte moins cher à la filière "
                                "qu'une bouteille neuve."))
    return Verdict("no", _l("Non : une bouteille propre vendue coûte plus cher à la filière qu'une "
                            "bouteille neuve."))


def figures(values: dict, params: dict, pickups: int, crates: int, span_km: float | None,
            elapsed_days: int, year_days: int, km: float) -> dict:
    """The phase's "does it pay, does it count" figures (keys of docs/indicators.md)."""
    sold, washed = values["bottles_sold"] or 0, values["bottles_washed"] or 0
    rotation = rotations(sold, params.get("bottles_on_market"))
    uses = uses_per_bottle(rotation)
    cost_sold = cost_per_sold(values["cost_total_eur"], sold)
    price = values["avg_resale_price_eur"] if sold else params["resale_price_eur"]
    variable = variable_cost_per_sold(washed, params["wash_cost_per_bottle_eur"], km,
                                      params["cost_per_km_eur"], sold)
    return {
        "rotations": None if rotation is None else round(rotation, 4),
        "uses_per_bottle": None if uses is None else round(uses, 4),
        "crate_cycles_per_crate": None if crate_cycles(pickups, crates) is None
        else round(crate_cycles(pickups, crates), 3),
        "cost_per_clean_bottle_sold_eur": cost_sold,
        "new_bottle_price_eur": params["new_bottle_price_eur"],
        "variable_cost_per_bottle_sold_eur": None if variable is None else round(variable, 2),
        "break_even_bottles_per_year": break_even(params["fixed_costs_eur"] or 0, price, variable),
        "bottles_sold_per_year": per_year(sold, elapsed_days, year_days),
        "collection_area_km": span_km,
        "verdict_cost": cost_verdict(cost_sold, params["new_bottle_price_eur"]).code,
        "verdict_ademe_uses": ademe_uses(uses).code,
        "verdict_ademe_distance": ademe_distance(span_km).code,
        "agec_reused_units": sold,
    }


# What a producer reports, with the definitions quoted and their sources.
DEFINITIONS = [
    ("AGEC", _l("Emballage réemployé"),
     _l("Un emballage réemployé est un emballage utilisé au moins deux fois. Objectif : 5 % d'emballages "
        "réemployés mis sur le marché en 2023 et 10 % en 2027 (en unités de vente), pour les producteurs "
        "qui mettent au moins 10 000 unités par an sur le marché ; sous 20 M€ de chiffre d'affaires : "
        "5 % en 2026 et 10 % en 2027."), AGEC_SOURCE),
    ("AGEC", _l("Part d'emballages réemployés"),
     _l("Unités réemployées mises sur le marché ÷ toutes les unités mises sur le marché par le producteur."),
     AGEC_SOURCE),
    ("PPWR", _l("Système de réemploi (re-use system)"),
     _l("« the organisational, technical or financial arrangements, together with incentives, that allow "
        "re-use either in a closed loop or open loop system, such as a deposit and return system that "
        "ensures that packaging is collected for re-use » (article 3, point 31)."), PPWR_SOURCE),
    ("PPWR", _l("Réemploi (re-use)"),
     _l("« any operation by which reusable packaging is used again multiple times for the same purpose "
        "for which it was conceived » (article 3)."), PPWR_SOURCE),
    ("PPWR", _l("Rotation"),
     _l("« the cycle that reusable packaging accomplishes from the moment it is placed on the market "
        "together with a product, to the stage it is ready for being reused in a system for re-use with "
        "a view to it being supplied again to the end users together with another product » (article 3)."),
     PPWR_SOURCE),
    ("ADEME", _l("Seuils environnementaux"),
     _l("Le verre réemployable l'emporte sur le verre à usage unique à partir de 2 utilisations "
        "(scénarios ménagers) à 4 (cafés, hôtels, restaurants), jusqu'à environ 600 km entre le site "
        "de remplissage et le centre de distribution."), ADEME_SOURCE),
]
