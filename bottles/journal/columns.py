"""The journal file's columns (docs/ledger.md, "The journal file"): their order, and an index
per column name so that code reads `row[QUANTITY]`, never `row[11]`."""

from __future__ import annotations

COLUMNS = (
    "event_id", "occurred_at", "kind", "actor", "crate", "collection_point", "washer", "winemaker",
    "bottle_model", "from_stage", "to_stage", "quantity", "reason", "unit_price_eur", "corrects",
    "note",
)
# Optional trailing columns: the round (its code) and the work and resources logged.
EXTENSION_COLUMNS = ("round", "hours", "km", "water_l", "energy_kwh")
ALL_COLUMNS = COLUMNS + EXTENSION_COLUMNS
# The columns a file may not leave out.
REQUIRED_COLUMNS = ("event_id", "occurred_at", "kind")

# The position of each column in a row laid out as ALL_COLUMNS.
(EVENT_ID, OCCURRED_AT, KIND, ACTOR, CRATE, COLLECTION_POINT, WASHER, WINEMAKER, BOTTLE_MODEL,
 FROM_STAGE, TO_STAGE, QUANTITY, REASON, UNIT_PRICE_EUR, CORRECTS, NOTE,
 ROUND, HOURS, KM, WATER_L, ENERGY_KWH) = range(len(ALL_COLUMNS))

# The columns that describe the event itself (each of its rows repeats them), as two slices of a
# row: occurred_at to washer, then corrects, the note and the optional columns. Winemaker to
# unit_price_eur, in between, describe one movement.
EVENT_HEAD = slice(OCCURRED_AT, WINEMAKER)
EVENT_TAIL = slice(CORRECTS, None)

# Limits of the numeric optional columns (digits before the point, digits after), as in the models.
DECIMALS = {"hours": (6, 2), "km": (9, 1), "water_l": (11, 1), "energy_kwh": (10, 2)}
