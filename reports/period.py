"""The days a phase's figures cover: its Paris-time bounds, a phase in progress, fixed costs pro rata."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext, ngettext

from bottles.rules import PARIS
from reports.french import fr_number


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


def period_bounds(covered: Period, days: int | None = None) -> tuple[datetime, datetime]:
    """UTC [start, end) of the figures: the covered days, or only the first `days` of them."""
    last = covered.until if days is None else min(covered.until, covered.first_day + timedelta(days=days - 1))
    start, _ = phase_bounds(covered.first_day, covered.first_day)
    if last < covered.first_day:
        return start, start
    return start, phase_bounds(covered.first_day, last)[1]


def fixed_cost_share(covered: Period, days: int | None = None) -> float:
    """The share of the yearly fixed costs a period carries: its covered days over a year.

    A finished phase of exactly a year carries them whole; a longer or shorter one, or a phase
    in progress, carries them pro rata of its days.
    """
    days_counted = covered.elapsed_days if days is None else min(days, covered.elapsed_days)
    return days_counted / covered.year_days


def compare_days(periods: list[Period]) -> int | None:
    """Days compared when a phase is still running: the shortest covered period; None = whole phases."""
    if not any(p.in_progress for p in periods):
        return None
    return min(p.elapsed_days for p in periods)


def day_count(days: int) -> str:
    """"1 jour", "0 jour", "3 jours" in French; "1 day", "3 days" in English."""
    return ngettext("%(days)s jour", "%(days)s jours", days, days=fr_number(days, 0))


def period_sentence(covered: Period, fmt_day: Callable[[date], str]) -> str:
    """What the figures cover, in one sentence in the person's language (dashboard, PDF, command line)."""
    first, last = fmt_day(covered.first_day), fmt_day(covered.last_day)
    if covered.status == "not_started":
        return gettext("Phase pas encore commencée : elle commence le %(first)s ; aucun chiffre avant.",
                       first=first)
    if covered.status == "finished":
        return gettext("Phase terminée : chiffres du %(first)s au %(last)s (%(days)s).", first=first,
                       last=last, days=day_count(covered.phase_days))
    if not covered.elapsed_days:
        return gettext("Phase en cours depuis aujourd'hui : les chiffres couvrent les journées complètes, "
                       "les premiers paraîtront demain.")
    return gettext("Phase en cours : chiffres du %(first)s au %(until)s inclus (jusqu'à minuit, heure de "
                   "Paris), soit %(days)s sur %(total)s ; elle se termine le %(last)s.", first=first,
                   until=fmt_day(covered.until), days=day_count(covered.elapsed_days),
                   total=covered.phase_days, last=last)
