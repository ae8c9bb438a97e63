"""A small hand-made ledger whose indicators are worked out by hand (see test_indicators.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from bottles.rules import Kind, Move, Stage
from reports.operations import PhaseInput, save_phase


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass
class Handmade:
    phase: object
    points: list
    winemakers: list


def build(factory, session) -> Handmade:
    bourg = factory.model()
    label = factory.reason("etiquette_permanente", "refusal", "Étiquette permanente")
    cremant = factory.reason("cremant", "refusal", "Crémant")
    broken = factory.reason("casse", "reject", "Casse")
    loss = factory.reason("ecart_transport", "loss", "Écart de comptage")
    surplus = factory.reason("surplus", "surplus", "Surplus")
    washer = factory.washer()
    p1 = factory.point("P1", territory="Lons")
    p2 = factory.point("P2", territory="Revermont")
    p3 = factory.point("P3", territory="Revermont")
    w1, w2, w3 = (factory.winemaker(code) for code in ("W1", "W2", "W3"))
    before = utc("2024-08-01T08:00:00+00:00")
    crate_a = factory.crate(capacity=60, washer=washer, at=before)
    crate_b = factory.crate(capacity=60, washer=washer, at=before)
    crate_d = factory.crate(capacity=60, washer=washer, at=before)
    ev = factory.event
    for crate, point in ((crate_a, p1), (crate_b, p2), (crate_d, p3)):
        ev(Kind.CRATE_PLACED, at=utc("2024-08-20T08:00:00+00:00"), crate=crate, point=point.id)
    # A: full at 23:59 Paris on 31 August (outside the phase), picked up and received inside.
    ev(Kind.CRATE_FULL, at=utc("2024-08-31T23:59:00+02:00"), crate=crate_a, point=p1.id,
       moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 20)])
    ev(Kind.PICKUP, at=utc("2024-09-02T10:00:00+02:00"), crate=crate_a, point=p1.id,
       moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 20)])
    ev(Kind.RECEIPT, at=utc("2024-09-03T10:00:00+02:00"), crate=crate_a, point=p1.id, washer=washer.id,
       moves=[Move(Stage.IN_TRANSIT, Stage.RECEIVED, 19),
              Move(Stage.IN_TRANSIT, Stage.LOST, 1, reason_id=loss.id)])
    # B: full at 00:00 Paris on 1 September (inside), picked up, received with a surplus of 2.
    ev(Kind.CRATE_FULL, at=utc("2024-09-01T00:00:00+02:00"), crate=crate_b, point=p2.id,
       moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 45)])
    ev(Kind.PICKUP, at=utc("2024-09-01T12:00:00+02:00"), crate=crate_b, point=p2.id,
       moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 45)])
    ev(Kind.RECEIPT, at=utc("2024-09-02T12:00:00+02:00"), crate=crate_b, point=p2.id, washer=washer.id,
       moves=[Move(Stage.IN_TRANSIT, Stage.RECEIVED, 45),
              Move(Stage.OUTSIDE, Stage.RECEIVED, 2, reason_id=surplus.id)])
    ev(Kind.ROUND_CLOSED, at=utc("2024-09-02T18:00:00+02:00"), km=Decimal("100.0"), hours=Decimal("5"))
    # D: declared full with 40 by mistake (corrected), then with 30; never picked up.
    wrong = ev(Kind.CRATE_FULL, at=utc("2024-11-01T10:00:00+01:00"), crate=crate_d, point=p3.id,
               moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 40)])
    ev(Kind.CORRECTION, at=utc("2024-11-01T11:00:00+01:00"), corrects=wrong.seq, note="mauvais compte")
    ev(Kind.CRATE_FULL, at=utc("2024-11-02T10:00:00+01:00"), crate=crate_d, point=p3.id,
       moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 30)])
    # Washer: sorting (3.5 h), washing, sales.
    ev(Kind.SORTING, at=utc("2024-09-10T09:00:00+02:00"), washer=washer.id, hours=Decimal("3.5"),
       moves=[Move(Stage.RECEIVED, Stage.SORTED, 50, model_id=bourg.id),
              Move(Stage.RECEIVED, Stage.REFUSED, 10, reason_id=label.id, winemaker_id=w2.id),
              Move(Stage.RECEIVED, Stage.REFUSED, 6, reason_id=cremant.id)])
    ev(Kind.WASH, at=utc("2024-09-15T09:00:00+02:00"), washer=washer.id,
       moves=[Move(Stage.SORTED, Stage.CLEAN, 45, model_id=bourg.id),
              Move(Stage.SORTED, Stage.REJECTED, 5, model_id=bourg.id, reason_id=broken.id)])
    ev(Kind.SALE, at=utc("2024-10-01T09:00:00+02:00"), washer=washer.id,
       moves=[Move(Stage.CLEAN, Stage.SOLD, 20, model_id=bourg.id, unit_price_cents=30,
                   winemaker_id=w1.id)])
    sale = ev(Kind.SALE, at=utc("2024-10-02T09:00:00+02:00"), washer=washer.id,
              moves=[Move(Stage.CLEAN, Stage.SOLD, 10, model_id=bourg.id, unit_price_cents=25,
                          winemaker_id=w3.id)])
    # Corrected after the phase's end: both the sale and its correction are left out.
    ev(Kind.CORRECTION, at=utc("2025-10-05T09:00:00+02:00"), corrects=sale.seq, note="vente en double")
    ev(Kind.SALE, at=utc("2025-08-31T23:30:00+02:00"), washer=washer.id,
       moves=[Move(Stage.CLEAN, Stage.SOLD, 5, model_id=bourg.id, unit_price_cents=40,
                   winemaker_id=w2.id)])
    ev(Kind.SALE, at=utc("2025-09-01T00:00:00+02:00"), washer=washer.id,
       moves=[Move(Stage.CLEAN, Stage.SOLD, 7, model_id=bourg.id, unit_price_cents=30,
                   winemaker_id=w1.id)])
    ev(Kind.ROUND_CLOSED, at=utc("2025-09-02T18:00:00+02:00"), km=Decimal("50.0"), hours=Decimal("4"))
    phase = save_phase(session, PhaseInput(
        name="Phase 1", start="2024-09-01", end="2025-08-31",
        params={"bottles_on_market": "500", "fixed_costs_eur": "100"},
        sources={"bottles_on_market": "estimation", "fixed_costs_eur": "comptes"},
        targets={"collected_to_reused": "0.5"}))
    session.commit()
    return Handmade(phase, [p1, p2, p3], [w1, w2, w3])


# Worked out by hand from the events above.
EXPECTED = {
    "bottles_collected": 75,          # B 45 + D 30 (A's 20 at 23:59 on 31/08 is out; D's 40 corrected)
    "bottles_picked_up": 65,          # A 20 + B 45
    "bottles_received": 66,           # 19 + 45 + surplus 2
    "transit_loss": 1,
    "bottles_sorted": 50,
    "bottles_refused": 16,
    "refused_by_reason": {"cremant": 6, "etiquette_permanente": 10},
    "eligible_share": 50 / 66,
    "bottles_washed": 50,
    "bottles_accepted": 45,
    "bottles_rejected": 5,
    "rejected_by_reason": {"casse": 5},
    "wash_yield": 0.9,
    "bottles_sold": 25,               # 20 + 5 at 23:30 on 31/08; 10 corrected; 7 at 00:00 on 1/09 out
    "sell_through": 25 / 45,
    "collected_to_reused": 25 / 75,
    "return_rate": 75 / 500,
    "clean_stock_end": 20,            # 45 − 20 − 5
    "active_collection_points": 2,    # P2, P3
    "active_winemakers": 2,           # W1, W2 (W3's purchase corrected)
    "crate_trips": 2,
    "avg_crate_fill": (20 / 60 + 45 / 60) / 2,
    "median_days_full_to_pickup": 0.959,  # A 1 d 10 h 01 min = 1.41736, B 0.5 → mean 0.95868
    "median_days_pickup_to_receipt": 1.0,
    "revenue_eur": 8.0,               # 20 × 0.30 + 5 × 0.40
    "avg_resale_price_eur": 0.32,
    "winemaker_saving_eur": 12.0,     # 25 × 0.80 − 8
    "cost_total_eur": 171.0,          # 50 × 0.22 + 100 km × 0.60 + 100 fixed
    "cost_per_clean_bottle_eur": 3.8,  # 171 / 45
    "co2_avoided_kg": 8.5,            # 25 × (0.44 − 0.10)
    "glass_avoided_kg": 13.75,        # 25 × 0.550
    "work_hours": 8.5,                # round 5 h + sorting 3.5 h
    "fte": 0.005,                     # 8.5 / 1607
}
