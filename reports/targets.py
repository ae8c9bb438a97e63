"""How a phase's figures stand against its targets: met or missed, or ahead or behind while it runs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

from flask_babel import lazy_gettext as _l

from reports.french import Later, fmt_value
from reports.indicators import Indicator
from reports.period import Period

# Totals that grow through the phase: a yearly target on them is judged at the pace reached.
CUMULATIVE = frozenset({
    "bottles_collected", "bottles_picked_up", "bottles_received", "transit_loss", "bottles_sorted",
    "bottles_refused", "bottles_washed", "bottles_accepted", "bottles_rejected", "bottles_sold",
    "crate_trips", "revenue_eur", "winemaker_saving_eur", "cost_total_eur", "co2_avoided_kg",
    "glass_avoided_kg", "work_hours", "fte"})
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class TargetStatus:
    """How a value stands against its target: met / missed, or ahead / behind while in progress."""

    state: str  # met | missed | ahead | behind
    mark: str  # a short verdict (lazy: in the person's language)
    text: str  # the sentence shown under the target (lazy)
    expected: float | None = None  # where an even pace would be by now
    per_month: float | None = None  # what is needed (or still allowed) per remaining month

    @property
    def good(self) -> bool:
        return self.state in ("met", "ahead")


def target_status(indicator: Indicator, value: float | None, target: float | None,
                  covered: Period) -> TargetStatus | None:
    """A target read for the period: totals of a running phase at their pace, the rest as is."""
    if target is None or value is None:
        return None
    higher = indicator.better >= 0
    if not (covered.in_progress and indicator.key in CUMULATIVE):
        ok = value >= target if higher else value <= target
        return TargetStatus("met" if ok else "missed", _l("✓ atteint") if ok else _l("✗ non atteint"),
                            _l("atteint") if ok else _l("non atteint"))
    expected = target * covered.elapsed_days / covered.phase_days
    ahead = value >= expected if higher else value <= expected
    months = covered.remaining_days / DAYS_PER_MONTH
    left = target - value  # still to reach, or still allowed under a ceiling
    per_month = math.ceil(left / months) if indicator.kind == "count" else round(left / months, 2)
    pace = Later(partial(fmt_value, indicator.kind, expected))
    needed = Later(partial(fmt_value, indicator.kind, per_month))
    if higher and left <= 0:
        text = _l("objectif déjà atteint (rythme prévu à ce jour : %(pace)s)", pace=pace)
    elif higher:
        text = _l("rythme prévu à ce jour : %(pace)s ; il faut %(needed)s par mois d'ici la fin de la "
                  "phase", pace=pace, needed=needed)
    elif left < 0:
        text = _l("plafond déjà dépassé (rythme prévu à ce jour : %(pace)s)", pace=pace)
    else:
        text = _l("rythme prévu à ce jour : %(pace)s ; marge restante %(needed)s par mois d'ici la fin "
                  "de la phase", pace=pace, needed=needed)
    return TargetStatus("ahead" if ahead else "behind", _l("en avance") if ahead else _l("en retard"),
                        text, expected, max(per_month, 0))
