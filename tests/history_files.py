"""Small history spreadsheets for the shared tests (route matrix, English walk, bad input): kept in
the history import's stash of the suite's instance folder, as an upload would leave them."""

from __future__ import annotations

import os

from bottles.history import stash

# Points and the model of tests/world.py; no French words (the English walk reads the page).
SMALL_CSV = (b"Date;Point;BOURG75;Memo\n"
             b"31/10/2016;LONS-COMEDIE;120;\n"
             b"30/11/2016;BLETTERANS-EPI;1 200;\n")


def stashed(data: bytes = SMALL_CSV) -> str:
    """The key of `data` in the stash (the URL part of its mapping page)."""
    return stash.put(os.environ["BOUCLE_INSTANCE"], data)


def preview_form(actor: str) -> dict[str, str]:
    """The mapping of SMALL_CSV, previewed (a preview writes nothing)."""
    return {"header_line": "1", "first_line": "2", "last_line": "3", "hour": "18:00",
            "field-0": "occurred_at", "field-1": "collection_point", "field-2": "quantity:BOURG75",
            "field-3": "note", "fixed-kind": "crate_full", "fixed-actor": actor, "action": "preview"}
