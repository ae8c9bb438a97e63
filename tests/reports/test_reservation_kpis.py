"""Reservations' demand against supply on a hand-worked ledger: the functions, the model view and
`flask reports kpis --json` (docs/indicators.md, "Réservations : demande et offre").

Model A: 900 washed 30 days ago (pace 900 / 90 = 10 a day), 300 sold → 600 clean. Model B: none.
  R1 500 A by today + 20: 500 from stock.
  R2 600 A by today + 30: 100 from stock, then 10 × 30 = 300 washed by then, 200 unmet.
  R3 100 B by today + 10: 100 unmet.
Reserved 1,200; from stock 600; from washes 300; unmet 300 (share 0.25); A's stock all held (free 0).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from bottles.rules import PARIS, Kind, Move, Stage
from reports import decide
from reports.operations import PhaseInput, save_phase
from resales.models import Reservation
from tests.factories import login


def _ledger(factory, session):
    now = datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    washer = factory.washer()
    a, b = factory.model("A75", "Modèle A"), factory.model("B62", "Modèle B", 620)
    estate = factory.winemaker(estate="Domaine des Essais")
    reasons = factory.reason("SURPLUS", "surplus")
    factory.event(Kind.STOCKTAKE, at=now - timedelta(days=31), washer=washer.id, moves=[
        Move(Stage.OUTSIDE, Stage.SORTED, 900, model_id=a.id, reason_id=reasons.id)])
    factory.event(Kind.WASH, at=now - timedelta(days=30), washer=washer.id,
                  moves=[Move(Stage.SORTED, Stage.CLEAN, 900, model_id=a.id)])
    factory.event(Kind.SALE, at=now - timedelta(days=2), washer=washer.id, moves=[
        Move(Stage.CLEAN, Stage.SOLD, 300, model_id=a.id, unit_price_cents=30, winemaker_id=estate.id)])
    for n, (model, quantity, days) in enumerate(((a, 500, 20), (a, 600, 30), (b, 100, 10))):
        session.add(Reservation(request_id=uuid.uuid4(), winemaker_id=estate.id, bottle_model_id=model.id,
                                quantity=quantity, wanted_by=today + timedelta(days=days), note="",
                                status="open", created_at=now - timedelta(hours=10 - n)))
    phase = save_phase(session, PhaseInput(name="Phase 1", start=(today - timedelta(days=60)).isoformat(),
                                           end=(today + timedelta(days=300)).isoformat()))
    session.commit()
    return a, b, phase


def test_demand_against_supply_worked_by_hand(factory, session):
    a, b, _phase = _ledger(factory, session)
    balance = decide.reservation_balances(session, datetime.now(UTC))
    got = {m: (x.reserved, x.from_stock, x.from_inflow, x.unmet, x.clean_stock, x.free_stock)
           for m, x in balance.items()}
    assert got == {a.id: (1100, 600, 300, 200, 600, 0), b.id: (100, 0, 0, 100, 0, 0)}


def test_the_kpis_command_and_the_model_view(app, client, factory, session):
    a, b, phase = _ledger(factory, session)
    result = app.test_cli_runner().invoke(args=["reports", "kpis", "--phase", "Phase 1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["bottles_reserved_open"], data["reserved_from_stock"], data["reserved_from_wash"],
            data["reserved_unmet"], data["unmet_demand_share"]) == (1200, 600, 300, 300, 0.25)
    assert data["reservations_by_model"] == {
        "A75": {"reserved": 1100, "from_stock": 600, "from_wash": 300, "unmet": 200, "clean_stock": 600,
                "free_stock": 0},
        "B62": {"reserved": 100, "from_stock": 0, "from_wash": 0, "unmet": 100, "clean_stock": 0,
                "free_stock": 0}}
    login(client, factory.user("coordinator"))
    page = client.get(f"/phases/{phase.id}/modeles").get_data(as_text=True)
    assert 'id="table-demande"' in page and "Domaine des Essais" not in page
    row = page.split('id="table-demande"')[1].split('data-model="A75"')[1].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in row.split('<td class="num">')[1:]] == \
        ["1\u202f100", "600", "300", "", "600", "0"]  # the unmet figure is in bold
    assert "<strong>200</strong>" in row
