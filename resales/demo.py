"""The demo's reservations, made after the demo ledger is imported (bottles.demo.AFTER_DEMO): a few
estates reserve the pool's models, some beyond what stock and washes supply, one cancelled."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles.models import BottleModel, User, Winemaker
from bottles.rules import PARIS
from resales.operations import cancel_reservation, create_reservation

# estate code, model code, bottles, pallets, made (days ago), wanted in (days), note, cancelled
DEMO_RESERVATIONS = [
    ("ARBOIS-TILLEULS", "BOURG75", 1200, 1, 12, 21, "Mise en bouteille du savagnin", False),
    ("PUPILLIN-PLOUSSARD", "CLAV62", 600, None, 9, 30, "", False),
    ("VOITEUR-COTEAUX", "BOURG75", 2400, 2, 6, 45, "Crémant exclu : tranquilles seulement", False),
    ("MONTIGNY-ARSURES", "FIL37", 300, None, 4, 14, "", False),
    ("ETOILE-ARGENT", "FLUTE75", 3600, 3, 2, 20, "", False),
    ("ARBOIS-TILLEULS", "CLAV62", 120, None, 3, 10, "", True),
]


def create_demo_reservations(session: Session) -> None:
    """The demo's reservations, entered by the estates' accounts or by coordination."""
    now = datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    estates = {w.code: w for w in session.scalars(select(Winemaker))}
    models = {m.code: m for m in session.scalars(select(BottleModel))}
    people = list(session.scalars(select(User)))
    coordinator = next((u for u in people if u.role == "coordinator"), None)
    if coordinator is None or not estates or not models:
        return
    for code, model, quantity, pallets, made, wanted, note, cancelled in DEMO_RESERVATIONS:
        if code not in estates or model not in models:
            continue
        actor = next((u for u in people if u.winemaker_id == estates[code].id), coordinator)
        row = create_reservation(session, actor=actor, at=now - timedelta(days=made), request_id=uuid.uuid4(),
                                 winemaker_id=estates[code].id, model_id=models[model].id, quantity=quantity,
                                 pallets=pallets, wanted_by=today + timedelta(days=wanted), note=note)
        if cancelled:
            cancel_reservation(session, actor=actor, at=now - timedelta(days=1), reservation=row,
                               note="Commande reportée")
