"""What an import did, or why it did nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from bottles.journal.rows import RowError

CREATED_LABELS = {
    "point": "points de collecte", "washer": "centres de lavage", "winemaker": "vignerons",
    "crate": "caisses", "model": "modèles de bouteille", "reason": "motifs",
    "actor": "personnes (comptes inactifs)", "round": "tournées",
}


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    imported_events: int = 0
    imported_movements: int = 0
    skipped_events: int = 0
    created: dict[str, list[str]] = field(default_factory=dict)
    registered: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return (f"{len(self.errors)} ligne(s) refusée(s) : rien n'a été importé.")
        made = "; ".join(f"{CREATED_LABELS[k]} : {_listing(v)}" for k, v in self.created.items() if v)
        registered = (f" Caisses enregistrées à leur première utilisation : "
                      f"{_listing(self.registered)}." if self.registered else "")
        return (f"{self.imported_events} événement(s) et {self.imported_movements} mouvement(s) "
                f"importés, {self.skipped_events} déjà présent(s)."
                + (f" Créés : {made}." if made else "") + registered)


def _listing(codes: list[str]) -> str:
    if len(codes) <= 30:
        return ", ".join(codes)
    return f"{', '.join(codes[:10])}… ({len(codes)} en tout)"
