"""Two phases around today: a finished one and one in progress, 30 days old (dates relative to now)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bottles.rules import PARIS, Kind, Move, Stage
from reports.operations import PhaseInput, save_phase

ELAPSED = 30


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), PARIS).astimezone(UTC)


@dataclass
class TwoPhases:
    done: object
    running: object
    today: date


def build(factory, session) -> TwoPhases:
    today = datetime.now(UTC).astimezone(PARIS).date()
    first = today - timedelta(days=ELAPSED)            # figures run from `first` to yesterday: 30 days
    prev_last = first - timedelta(days=1)
    prev_first = prev_last - timedelta(days=364)
    model = factory.model()
    washer = factory.washer()
    point = factory.point("P1", territory="Lons")
    for day, count in ((prev_first + timedelta(days=5), 100),    # in the finished phase's first 30 days
                       (prev_first + timedelta(days=200), 300),  # later in the finished phase
                       (first + timedelta(days=3), 72)):         # in the running phase
        crate = factory.crate(washer=washer, at=at_noon(day) - timedelta(days=1))
        factory.event(Kind.CRATE_PLACED, at=at_noon(day) - timedelta(hours=2), crate=crate, point=point.id)
        factory.event(Kind.CRATE_FULL, at=at_noon(day), crate=crate, point=point.id,
                      moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, count)])
    # 40 clean bottles found at a stock-take 10 days into the running phase: 20 days old today.
    factory.event(Kind.STOCKTAKE, at=at_noon(first + timedelta(days=10)), washer=washer.id,
                  moves=[Move(Stage.OUTSIDE, Stage.CLEAN, 40, model_id=model.id,
                              reason_id=factory.reason("surplus_inventaire", "surplus", "Surplus").id)])
    done = save_phase(session, PhaseInput(name="Phase A", start=prev_first.isoformat(),
                                          end=prev_last.isoformat()))
    running = save_phase(session, PhaseInput(
        name="Phase B", start=first.isoformat(), end=(first + timedelta(days=364)).isoformat(),
        params={"fixed_costs_eur": "3650"}, sources={"fixed_costs_eur": "budget annuel"},
        targets={"bottles_collected": "1000", "wash_yield": "0.95"}))
    session.commit()
    return TwoPhases(done, running, today)
