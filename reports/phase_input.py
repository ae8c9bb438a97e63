"""What a phase is made of and how its input is checked: dates, parameters with their sources, targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from bottles.rules import CO2_NEW_BOTTLE_KG, CO2_REUSED_BOTTLE_KG
from reports.french import plain_number
from reports.indicators import BY_KEY, TARGETABLE


class PhaseError(ValueError):
    """Bad phase input; the message is for the person (French)."""


@dataclass(frozen=True)
class Param:
    """A phase parameter: its default, where the default comes from, and its allowed range."""

    key: str
    label: str
    default: float | None
    source: str
    low: float
    high: float
    unit: str = "€"


PARAMS: dict[str, Param] = {param.key: param for param in (
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
    Param("co2_new_bottle_kg", "CO₂ d'une bouteille neuve", CO2_NEW_BOTTLE_KG,
          "~550 g de verre × ~0,8 kg CO₂e par kg de verre neuf", 0, 10, "kg"),
    Param("co2_reused_bottle_kg", "CO₂ d'une bouteille réemployée", CO2_REUSED_BOTTLE_KG,
          "Le réemploi évite ~76-85 % de l'impact de la bouteille (ADEME 2018 ; revue Zero Waste Europe)",
          0, 10, "kg"),
    Param("bottles_on_market", "Bouteilles éligibles mises sur le marché local", None,
          "Estimation de la coordination pour la phase", 1, 1_000_000_000, "bouteilles"),
)}


def parse_day(raw: str, what: str) -> date:
    """A day typed as AAAA-MM-JJ; `what` names the field in the refusal."""
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


def parse_number(raw: object, what: str) -> float:
    """A number typed the French or the English way (0,5 or 0.5; spaces between thousands)."""
    text = str(raw).strip().replace(",", ".").replace("\u202f", "").replace(" ", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise PhaseError(f"{what} : « {raw} » n'est pas un nombre.") from None
    if not value.is_finite():
        raise PhaseError(f"{what} : « {raw} » n'est pas un nombre.")
    return float(value)


def parse_param(key: str, raw: object) -> float | None:
    """A parameter's value checked against its range; empty means unset (default)."""
    if key not in PARAMS:
        raise PhaseError(f"Paramètre inconnu : « {key} ». Paramètres possibles : "
                         f"{', '.join(PARAMS)}.")
    if raw is None or str(raw).strip() == "":
        return None
    param = PARAMS[key]
    value = parse_number(raw, param.label)
    if not param.low <= value <= param.high:
        raise PhaseError(f"{param.label} : {raw} est hors de l'intervalle permis "
                         f"({plain_number(param.low)} à {plain_number(param.high)}).")
    if key == "bottles_on_market" and value != int(value):
        raise PhaseError(f"{param.label} : un nombre entier de bouteilles est attendu.")
    return value


def parse_target(key: str, raw: object) -> float | None:
    """A target on an indicator, checked against what it can reach; empty means none."""
    if key not in TARGETABLE:
        raise PhaseError(f"Objectif inconnu : « {key} ». Les objectifs portent sur les indicateurs "
                         "de docs/indicators.md (par ex. collected_to_reused, bottles_collected).")
    if raw is None or str(raw).strip() == "":
        return None
    indicator = BY_KEY[key]
    value = parse_number(raw, f"Objectif « {indicator.label} »")
    high = 1 if indicator.kind == "ratio" else 1_000_000_000
    if not 0 <= value <= high:
        raise PhaseError(f"Objectif « {indicator.label} » : {raw} est hors de l'intervalle permis "
                         f"(0 à {plain_number(high)}"
                         f"{' ; un taux s’écrit 0,52 pour 52 %' if high == 1 else ''}).")
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
    """Each parameter's value: the phase's own, else the default of docs/indicators.md."""
    values: dict[str, float | None] = {}
    for key, param in PARAMS.items():
        own = (stored or {}).get(key) or {}
        values[key] = own.get("value") if own.get("value") is not None else param.default
    return values


def param_source(stored: dict, key: str) -> str:
    """Where a parameter's value comes from: the phase's own source, else the default's."""
    own = (stored or {}).get(key) or {}
    if own.get("value") is not None:
        return own.get("source") or "Valeur saisie pour la phase (source non précisée)"
    return PARAMS[key].source
