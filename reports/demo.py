"""The demo's two phases, created after the demo ledger is imported (bottles.demo.AFTER_DEMO)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.models import Phase
from reports.operations import PhaseInput, save_phase

DEMO_PHASES = [
    PhaseInput(
        name="Phase 1 — 2024-2025", start="2024-09-01", end="2025-08-31",
        description="Premier modèle, suivi sur tableur puis importé : quelques cavistes et "
                    "restaurants autour de Lons-le-Saunier, tournée à la demande, tous modèles de "
                    "bouteilles acceptés, aucun tri à la source, revente à 0,30 €.",
        params={"resale_price_eur": "0.30", "cost_per_km_eur": "0.60", "fixed_costs_eur": "18000",
                "bottles_on_market": "400000"},
        sources={"resale_price_eur": "Grille tarifaire de la phase 1",
                 "cost_per_km_eur": "Barème utilitaire léger, comptes 2024",
                 "fixed_costs_eur": "Comptes 2024-2025 de la SCIC (coordination, étiquettes, caisses)",
                 "bottles_on_market": "Estimation de la coordination d'après les ventes locales"},
        targets={"bottles_collected": "60000", "collected_to_reused": "0.4", "wash_yield": "0.9",
                 "active_winemakers": "8"}),
    PhaseInput(
        name="Phase 2 — 2025-2026", start="2025-09-01", end="2026-08-31",
        description="Deuxième modèle : points de collecte étendus au Revermont et à la Bresse, "
                    "tournées planifiées, consignes de tri affichées (pas d'étiquette permanente, "
                    "pas de crémant), trois modèles mutualisés, vente par palettes de 1 200.",
        params={"resale_price_eur": "0.28", "cost_per_km_eur": "0.55", "fixed_costs_eur": "22000",
                "bottles_on_market": "450000"},
        sources={"resale_price_eur": "Grille tarifaire de la phase 2",
                 "cost_per_km_eur": "Comptes 2025 (véhicule mutualisé)",
                 "fixed_costs_eur": "Budget 2025-2026 de la SCIC",
                 "bottles_on_market": "Estimation de la coordination d'après les ventes locales"},
        targets={"bottles_collected": "90000", "collected_to_reused": "0.5", "wash_yield": "0.95",
                 "eligible_share": "0.8", "active_winemakers": "15"}),
]


def create_demo_phases(session: Session) -> None:
    """Create the demo's phases once (a phase already there by that name is left alone)."""
    for data in DEMO_PHASES:
        if session.scalar(select(Phase.id).where(Phase.name == data.name)) is None:
            save_phase(session, data)
    session.flush()
