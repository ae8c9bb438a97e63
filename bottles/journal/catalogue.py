"""The codes a journal file names, resolved to the database's ids or planned for creation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bottles.journal.rows import RowError

CODE_MAX = 32
# What each kind of code names, in a message about it.
LABELS = {
    "actor": "personne (actor)", "crate": "caisse", "point": "point de collecte",
    "washer": "centre de lavage", "winemaker": "vigneron", "model": "modèle de bouteille",
    "reason": "motif",
}
UNKNOWN = {
    "actor": "personne (actor) inconnue", "crate": "caisse inconnue",
    "point": "point de collecte inconnu", "washer": "centre de lavage inconnu",
    "winemaker": "vigneron inconnu", "model": "modèle de bouteille inconnu",
    "reason": "motif inconnu",
}


@dataclass
class Catalogue:
    """Codes known to the database (code -> id), and the ones the file adds (negative ids)."""

    create_missing: bool
    known: dict[str, dict[str, int]]
    missing: dict[str, dict[str, int]] = field(default_factory=dict)
    first_use: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    actor_kinds: dict[str, set] = field(default_factory=dict)
    _next: int = -1
    _folded: dict[str, dict[str, int]] = field(default_factory=dict)

    def resolve(self, kind: str, code: str, line: int, errors: list[RowError],
                hint: Any = None) -> int | None:
        """The id of `code` in any case (codes are unique whatever their case, like the
        catalogue's); unknown codes are refused or, with create_missing, planned."""
        found = self.known[kind].get(code)
        if found is not None:
            return found
        folded = self._folded.get(kind)
        if folded is None:
            folded = self._folded[kind] = {known.casefold(): id_ for known, id_
                                           in reversed(self.known[kind].items())}
        found = folded.get(code.casefold())
        if found is not None:
            return found
        planned = self.missing.setdefault(kind, {})
        if code in planned:
            return planned[code]
        if not self.create_missing:
            errors.append(RowError(line, f"{UNKNOWN[kind]} : « {code} » (relancez l'import avec "
                                         "--create-missing pour le créer)."))
            return None
        if len(code) > (64 if kind == "actor" else CODE_MAX):
            errors.append(RowError(line, f"{LABELS[kind]} « {code[:40]}… » : code trop long."))
            return None
        planned[code] = folded[code.casefold()] = self._next
        self._next -= 1
        self.first_use[(kind, code)] = (line, hint)
        return planned[code]

    def code_of(self, kind: str, id_: int) -> str:
        """The code behind an id, known or planned (for messages)."""
        for table in (self.known[kind], self.missing.get(kind, {})):
            for code, known_id in table.items():
                if known_id == id_:
                    return code
        return "site inconnu"
