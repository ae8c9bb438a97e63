"""The worked example of first-phase spreadsheet history imports cleanly and gives known figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "reports" / "examples" / "phase1_spreadsheet_example.csv"


def test_example_imports_with_create_missing_and_evaluates(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bottles", "import-journal", str(EXAMPLE), "--create-missing"])
    assert result.exit_code == 0, result.output
    assert "14 événement(s)" in result.output
    again = runner.invoke(args=["bottles", "import-journal", str(EXAMPLE), "--create-missing"])
    assert again.exit_code == 0 and "0 événement(s)" in again.output
    assert runner.invoke(args=["reports", "add-phase", "--name", "Phase 1", "--start", "2024-09-01",
                               "--end", "2025-08-31"]).exit_code == 0
    data = json.loads(runner.invoke(args=["reports", "kpis", "--phase", "Phase 1", "--json"]).output)
    # Worked out by hand from the file (README, « Charger l'historique d'une phase tenue sur tableur »).
    assert data["bottles_collected"] == 600
    assert data["bottles_received"] == 595 and data["transit_loss"] == 5
    assert data["refused_by_reason"] == {"cremant": 85, "etiquette_permanente": 120}
    assert data["bottles_accepted"] == 370 and data["bottles_rejected"] == 20
    assert data["bottles_sold"] == 290          # 200 + 50 (the 60 was corrected) + 40 at 23:30 on 31/08
    assert data["revenue_eur"] == 89.5
    assert data["collected_to_reused"] == pytest.approx(290 / 600)
    assert data["clean_stock_end"] == 80
    assert data["work_hours"] == 21.5
    assert data["avg_crate_fill"] is None and data["median_days_full_to_pickup"] is None
