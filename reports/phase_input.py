"""What a phase is made of and how its input is checked: dates, parameters with their sources, targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import InvalidOperation
from functools import partial

from flask_babel import lazy_gettext as _l

from bottles.numbers import ascii_decimal
from bottles.rules import CO2_NEW_BOTTLE_KG, CO2_REUSED_BOTTLE_KG
from reports.french import Later, plain_number, short_day
from reports.indicators import BY_KEY, TARGETABLE


class PhaseError(ValueError):
    """Bad phase input; the message (lazy) is for the person, in their language.

    `field` names the form input it is about ("name", "start", "end", "description",
    "param_<key>", "source_<key>", "target_<key>"), empty when it is about none in particular.
    """

    def __init__(self, message: object, field: str = "") -> None:
        super().__init__(message)
        self.field = field


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
    Param("new_bottle_price_eur", _l("Prix d'une bouteille neuve"), 0.80,
          _l("Prix payé par un producteur bourguignon avant 2022 (doublé à 1,60 € en 2022-23) ; "
             "presse, 2023"), 0, 10),
    Param("resale_price_eur", _l("Prix de revente prévu"), 0.30,
          _l("Prix tout compris du réemploi vers 0,23-0,29 € (Ma Bouteille s'appelle Reviens ; "
             "Bout' à Bout', 2022)"), 0, 10),
    Param("wash_cost_per_bottle_eur", _l("Coût de lavage par bouteille"), 0.22,
          _l("Prix du seul lavage 0,20-0,26 € par bouteille standard (laveurs français, 2019-2022)"),
          0, 10),
    Param("cost_per_km_eur", _l("Coût par kilomètre de tournée"), 0.60,
          _l("Estimation pour un utilitaire léger ; à fixer d'après les comptes de la phase"), 0, 20),
    Param("fixed_costs_eur", _l("Coûts fixes annuels"), 0.0,
          _l("À saisir d'après les comptes (montant pour un an ; une phase est chargée au prorata "
             "des jours qu'elle couvre)"), 0, 10_000_000, _l("€/an")),
    Param("co2_new_bottle_kg", _l("CO₂ d'une bouteille neuve"), CO2_NEW_BOTTLE_KG,
          _l("~550 g de verre × ~0,8 kg CO₂e par kg de verre neuf"), 0, 10, "kg"),
    Param("co2_reused_bottle_kg", _l("CO₂ d'une bouteille réemployée"), CO2_REUSED_BOTTLE_KG,
          _l("Le réemploi évite ~76-85 % de l'impact de la bouteille (ADEME 2018 ; revue Zero Waste "
             "Europe)"), 0, 10, "kg"),
    Param("bottles_on_market", _l("Bouteilles éligibles mises sur le marché local"), None,
          _l("Estimation de la coordination pour la phase"), 1, 1_000_000_000, _l("bouteilles")),
)}


def parse_day(raw: str, what: str, field: str = "") -> date:
    """A day typed as AAAA-MM-JJ; `what` names the field in the refusal, `field` its input."""
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        raise PhaseError(_l("%(what)s : « %(raw)s » n'est pas une date AAAA-MM-JJ.", what=what,
                            raw=raw), field) from None


def check_dates(first_day: date, last_day: date,
                others: list[tuple[str, date, date]]) -> None:
    """Dates in order, within a sane range, and no overlap with any other phase."""
    if first_day > last_day:
        raise PhaseError(_l("Le premier jour doit précéder (ou égaler) le dernier jour."), "end")
    if first_day.year < 2000 or last_day.year > 2100:
        raise PhaseError(_l("Les dates doivent être entre 2000 et 2100."),
                         "start" if first_day.year < 2000 else "end")
    if (last_day - first_day).days > 3 * 366:
        raise PhaseError(_l("Une phase ne peut pas durer plus de trois ans."), "end")
    for name, start, end in others:
        if first_day <= end and start <= last_day:
            raise PhaseError(_l("Ces dates chevauchent la phase « %(name)s » (%(start)s – %(end)s).",
                                name=name, start=Later(partial(short_day, start)),
                                end=Later(partial(short_day, end))),
                             "start" if start <= first_day <= end else "end")


def parse_number(raw: object, what: str, field: str = "") -> float:
    """A number typed the French or the English way (0,5 or 0.5; spaces between thousands)."""
    text = str(raw).strip().replace(",", ".").replace("\u202f", "").replace(" ", "")
    try:
        value = ascii_decimal(text)
    except InvalidOperation:
        raise PhaseError(_l("%(what)s : « %(raw)s » n'est pas un nombre.", what=what, raw=raw),
                         field) from None
    if not value.is_finite():
        raise PhaseError(_l("%(what)s : « %(raw)s » n'est pas un nombre.", what=what, raw=raw), field)
    return float(value)


def parse_param(key: str, raw: object) -> float | None:
    """A parameter's value checked against its range; empty means unset (default)."""
    if key not in PARAMS:
        raise PhaseError(_l("Paramètre inconnu : « %(key)s ». Paramètres possibles : %(known)s.",
                            key=key, known=", ".join(PARAMS)), f"param_{key}")
    if raw is None or str(raw).strip() == "":
        return None
    param, field = PARAMS[key], f"param_{key}"
    value = parse_number(raw, param.label, field)
    if not param.low <= value <= param.high:
        raise PhaseError(_l("%(what)s : %(raw)s est hors de l'intervalle permis (%(low)s à %(high)s).",
                            what=param.label, raw=raw, low=Later(partial(plain_number, param.low)),
                            high=Later(partial(plain_number, param.high))), field)
    if key == "bottles_on_market" and value != int(value):
        raise PhaseError(_l("%(what)s : un nombre entier de bouteilles est attendu.", what=param.label),
                         field)
    return value


def parse_target(key: str, raw: object) -> float | None:
    """A target on an indicator, checked against what it can reach; empty means none."""
    if key not in TARGETABLE:
        raise PhaseError(_l("Objectif inconnu : « %(key)s ». Les objectifs portent sur les indicateurs "
                            "de docs/indicators.md (par ex. collected_to_reused, bottles_collected).",
                            key=key), f"target_{key}")
    if raw is None or str(raw).strip() == "":
        return None
    indicator, field = BY_KEY[key], f"target_{key}"
    value = parse_number(raw, _l("Objectif « %(label)s »", label=indicator.label), field)
    high = 1 if indicator.kind == "ratio" else 1_000_000_000
    if high == 1 and not 0 <= value <= high:
        raise PhaseError(_l("Objectif « %(label)s » : %(raw)s est hors de l'intervalle permis "
                            "(0 à %(high)s ; un taux s’écrit 0,52 pour 52 %%).", label=indicator.label,
                            raw=raw, high=Later(partial(plain_number, high))), field)
    if not 0 <= value <= high:
        raise PhaseError(_l("Objectif « %(label)s » : %(raw)s est hors de l'intervalle permis "
                            "(0 à %(high)s).", label=indicator.label, raw=raw,
                            high=Later(partial(plain_number, high))), field)
    return value


def parse_pairs(pairs: list[str], what: str) -> dict[str, str]:
    """`key=value` strings from the command line."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise PhaseError(_l("%(what)s « %(pair)s » : la forme attendue est clé=valeur.", what=what,
                                pair=pair))
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
        return own.get("source") or _l("Valeur saisie pour la phase (source non précisée)")
    return PARAMS[key].source
