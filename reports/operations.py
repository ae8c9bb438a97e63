"""Writes of reports: phases only (validated in full before anything changes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports.models import Phase
from reports.phase_input import PARAMS, PhaseError, check_dates, parse_day, parse_param, parse_target


@dataclass
class PhaseInput:
    """A phase as a form or the command line gives it: raw strings, not yet checked."""

    name: str
    start: str
    end: str
    description: str = ""
    params: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)


MAX_DESCRIPTION = 5000
MAX_SOURCE = 500


def save_phase(session: Session, data: PhaseInput, phase: Phase | None = None) -> Phase:
    """Create (or update) a phase; raises PhaseError with a message for the person, changing nothing."""
    name = (data.name or "").strip()
    if not name or len(name) > 80:
        raise PhaseError(_l("Le nom de la phase doit faire de 1 à 80 caractères."), "name")
    clash = session.scalar(select(Phase).where(func.lower(Phase.name) == name.lower()))
    if clash is not None and clash is not phase:
        raise PhaseError(_l("Une phase s'appelle déjà « %(name)s ».", name=name), "name")
    first = parse_day(data.start, _l("Premier jour"), "start")
    last = parse_day(data.end, _l("Dernier jour"), "end")
    others = session.execute(select(Phase.name, Phase.start_date, Phase.end_date)
                             .where(Phase.id != (phase.id if phase else -1))).all()
    check_dates(first, last, [tuple(o) for o in others])
    if len(data.description or "") > MAX_DESCRIPTION:
        raise PhaseError(_l("La description dépasse %(max)s caractères.", max=MAX_DESCRIPTION),
                         "description")
    params = {}
    for key in set(data.params) | set(data.sources):
        value = parse_param(key, data.params.get(key))
        source = (data.sources.get(key) or "").strip()
        if len(source) > MAX_SOURCE:
            raise PhaseError(_l("La source de « %(label)s » dépasse %(max)s caractères.",
                                label=PARAMS[key].label, max=MAX_SOURCE), f"source_{key}")
        if value is not None:
            params[key] = {"value": value, "source": source}
    targets = {}
    for key, raw in data.targets.items():
        value = parse_target(key, raw)
        if value is not None:
            targets[key] = value
    if phase is None:
        phase = Phase(name=name)
        session.add(phase)
    phase.name, phase.start_date, phase.end_date = name, first, last
    phase.description = (data.description or "").strip()
    # What the form does not edit (the pool proposal of the simulator) stays as it was.
    params.update({key: value for key, value in (phase.parameters or {}).items() if key not in PARAMS})
    phase.parameters, phase.targets = params, targets
    session.flush()
    return phase


def phase_by_name(session: Session, name: str) -> Phase:
    phase = session.scalar(select(Phase).where(func.lower(Phase.name) == (name or "").strip().lower()))
    if phase is None:
        known = ", ".join(session.scalars(select(Phase.name).order_by(Phase.start_date))) or _l("aucune")
        raise PhaseError(_l("Phase inconnue : « %(name)s ». Phases existantes : %(known)s.", name=name,
                            known=known))
    return phase
