"""The generated comparison of two phases: a verdict per indicator and short sentences, French or English."""

from __future__ import annotations

import math

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from reports.french import fmt_value, french
from reports.indicators import BY_KEY, Indicator, ratio


def change(before: float | None, after: float | None) -> float | None:
    """Relative change (0.4 = +40 %), None when it cannot be said."""
    if before is None or after is None or before == 0:
        return None
    return (after - before) / abs(before)


def unchanged(kind: str, before: float, after: float) -> bool:
    """Equal as shown (95 % and 95 %), or a change that rounds to 0 %: not worth a verdict."""
    if math.isclose(before, after) or (kind and fmt_value(kind, before) == fmt_value(kind, after)):
        return True
    relative = change(before, after)
    return relative is not None and round(abs(relative) * 100) == 0


def verdict(indicator: Indicator, before: float | None, after: float | None,
            kind: str | None = None) -> int:
    """+1 improved, -1 got worse, 0 unchanged (as shown in `kind`), neutral or unknown."""
    if before is None or after is None or indicator.better == 0 \
            or unchanged(indicator.kind if kind is None else kind, before, after):
        return 0
    return indicator.better if after > before else -indicator.better


SUMMARY: list[tuple[str, str, bool, str]] = [  # key, subject, plural, level | rel | days
    ("collected_to_reused", _l("le rendement global"), False, "level"),
    ("bottles_collected", _l("les bouteilles collectées"), True, "rel"),
    ("return_rate", _l("le taux de retour"), False, "level"),
    ("eligible_share", _l("la part réemployable"), False, "level"),
    ("transit_loss", _l("les pertes en transport (par bouteille enlevée)"), True, "rel"),
    ("wash_yield", _l("le rendement de lavage"), False, "level"),
    ("sell_through", _l("le taux d'écoulement"), False, "level"),
    ("bottles_sold", _l("les bouteilles revendues"), True, "rel"),
    ("active_collection_points", _l("les points de collecte actifs"), True, "level"),
    ("active_winemakers", _l("les vignerons acheteurs"), True, "level"),
    ("avg_crate_fill", _l("le remplissage moyen des caisses"), False, "level"),
    ("median_days_full_to_pickup", _l("le délai médian plein → enlèvement"), False, "days"),
    ("median_days_pickup_to_receipt", _l("le délai médian enlèvement → réception"), False, "days"),
    ("cost_per_clean_bottle_eur", _l("le coût par bouteille propre"), False, "level"),
    ("co2_avoided_kg", _l("le CO₂ évité"), False, "rel"),
]
# Losses compared as a share of the bottles that could be lost, so volume growth does not mislead.
PER = {"transit_loss": "bottles_picked_up"}
BY_REASON = (("refused_by_reason", _l("les écarts pour %(reason)s"), "bottles_received"),
             ("rejected_by_reason", _l("les rebuts pour %(reason)s"), "bottles_washed"))


def sentence(subject: str, plural: bool, style: str, kind: str, before: float, after: float) -> str | None:
    """One clause on how `subject` moved, in the person's language; None when a relative move is under 5 %."""
    values = {"subject": subject, "before": fmt_value(kind, before), "after": fmt_value(kind, after)}
    if style == "level":
        return (gettext("%(subject)s passent de %(before)s à %(after)s", **values) if plural
                else gettext("%(subject)s passe de %(before)s à %(after)s", **values))
    if style == "days":
        return gettext("%(subject)s passe de %(before)s à %(after)s jours", **values)
    relative = change(before, after)
    if relative is None or abs(relative) < 0.05:
        return None
    moved = {"subject": subject, "change": fmt_value("ratio", abs(relative))}
    if relative > 0:
        return (gettext("%(subject)s augmentent de %(change)s", **moved) if plural
                else gettext("%(subject)s augmente de %(change)s", **moved))
    return (gettext("%(subject)s baissent de %(change)s", **moved) if plural
            else gettext("%(subject)s baisse de %(change)s", **moved))


def summary(before: dict, after: dict, reason_labels: dict[str, str]) -> dict[str, list[str]]:
    """Short sentences from `before` to `after`: what improved, what got worse, the rest."""
    out: dict[str, list[str]] = {"better": [], "worse": [], "other": []}
    for key, subject, plural, style in SUMMARY:
        indicator = BY_KEY[key]
        old, new = before.get(key), after.get(key)
        if key in PER:
            old, new = ratio(old, before.get(PER[key])), ratio(new, after.get(PER[key]))
        shown = "" if key in PER else indicator.kind  # a loss per bottle is not shown as a count
        if old is None or new is None or unchanged(shown, old, new):
            continue
        text = sentence(str(subject), plural, style, indicator.kind, old, new)
        if text:
            out[{1: "better", -1: "worse", 0: "other"}[verdict(indicator, old, new, shown)]].append(text)
    for by_reason, what, per in BY_REASON:
        old_counts, new_counts = before.get(by_reason) or {}, after.get(by_reason) or {}
        moves = []
        for code in sorted(set(old_counts) | set(new_counts)):
            old = ratio(old_counts.get(code, 0), before.get(per))
            new = ratio(new_counts.get(code, 0), after.get(per))
            relative = change(old, new)
            if relative is not None and abs(relative) >= 0.1:
                moves.append((abs(relative), code, old, new, relative))
        for _size, code, old, new, relative in sorted(moves, reverse=True)[:3]:
            subject = what % {"reason": reason_labels.get(code, code).lower()}
            text = sentence(subject, True, "rel", "count", old, new)
            out["worse" if relative > 0 else "better"].append(text)
    return out


def summary_text(parts: dict[str, list[str]]) -> str:
    """One paragraph: improvements first, then what got worse."""
    separator = " ; " if french() else "; "
    chunks = []
    if parts["better"]:
        chunks.append(gettext("Progrès : %(items)s.", items=separator.join(parts["better"])))
    if parts["worse"]:
        chunks.append(gettext("Reculs : %(items)s.", items=separator.join(parts["worse"])))
    if parts["other"]:
        chunks.append(gettext("Par ailleurs, %(items)s.", items=separator.join(parts["other"])))
    return " ".join(chunks) or gettext("Aucun changement notable entre ces phases.")
