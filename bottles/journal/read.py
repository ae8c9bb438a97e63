"""Reading a journal file: every row parsed and checked on its own, codes resolved.

The ledger rules that need order (crate life-cycle, stocks, corrections) are applied
afterwards by bottles.journal.check, over the events this module builds.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable, Iterator

from bottles import codes
from bottles.journal.catalogue import LABELS, Catalogue
from bottles.journal.columns import (
    ACTOR,
    ALL_COLUMNS,
    BOTTLE_MODEL,
    COLLECTION_POINT,
    CORRECTS,
    CRATE,
    EVENT_HEAD,
    EVENT_ID,
    EVENT_TAIL,
    EXTENSION_COLUMNS,
    FROM_STAGE,
    KIND,
    NOTE,
    OCCURRED_AT,
    QUANTITY,
    REASON,
    TO_STAGE,
    UNIT_PRICE_EUR,
    WASHER,
    WINEMAKER,
)
from bottles.journal.rows import RowError, laid_out, parse_cents, parse_decimal, parse_when, read_header
from bottles.ledger import MAX_NOTE
from bottles.numbers import ascii_digits, bounded, shown
from bottles.rules import MAX_QUANTITY, Kind, Move, Stage

KINDS = {kind.value: kind for kind in Kind}
STAGES = {stage.value: stage for stage in Stage}
# The optional numeric columns and the event attribute each one fills.
NUMBER_ATTRIBUTES = {"hours": "hours", "km": "km", "water_l": "water", "energy_kwh": "energy"}


class JournalEvent:
    """One event of the file, with its movements; ids may be negative (to be created)."""

    __slots__ = ("line", "id", "kind", "at", "actor", "crate", "point", "washer", "round",
                 "corrects", "note", "hours", "km", "water", "energy", "moves", "digest", "bad",
                 "seq", "corrects_seq")

    def __init__(self, line: int, event_id: uuid.UUID, digest: int | None) -> None:
        self.line = line
        self.id = event_id
        self.digest = digest
        self.moves: list[Move] = []
        self.bad = False
        self.seq: int | None = None
        self.corrects_seq: int | None = None


def unreadable(error: csv.Error) -> str:
    """Why the csv module stopped, in French (its own message is English)."""
    if "field limit" in str(error):
        limit = f"{csv.field_size_limit():,}".replace(",", "\u202f")
        return f"CSV illisible : une cellule dépasse {limit} caractères."
    return f"CSV illisible : {error}."


class Reader:
    """Turns rows into events, recording each bad row with its line and reason."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.errors: list[RowError] = []
        self.events: dict[uuid.UUID, JournalEvent] = {}
        self.rounds: set[str] = set()
        self._crate_codes: dict[str, str | None] = {}
        self._extension_positions: dict[str, int | None] = {}
        self._line = 0
        self._cache: dict[str, dict[str, int]] = {kind: {} for kind in LABELS}
        self._prices: dict[str, int] = {}

    def read(self, rows: Iterable[tuple[int, list[str]]]) -> list[JournalEvent]:
        """Every event of the file at once (a small file; a large one goes through stream)."""
        return [event for chunk in self.stream(rows, None) for event in chunk]

    def stream(self, rows: Iterable[tuple[int, list[str]]],
               size: int | None) -> Iterator[list[JournalEvent]]:
        """The file's events, complete, about `size` at a time (all at once if None), so that
        memory does not grow with the file. The rows of one event are merged within a window of
        `size` events: a row naming an event further back makes a second event with that id,
        which the importer refuses or skips like any id already recorded."""
        rows = iter(rows)
        try:
            first = next(rows, None)
        except csv.Error as error:
            self.errors.append(RowError(1, unreadable(error)))
            return
        if first is None:
            self.errors.append(RowError(1, "fichier vide (l'en-tête manque)."))
            return
        layout, problem = read_header(first[1])
        if problem:
            self.errors.append(RowError(first[0], problem))
            return
        width = len(first[1])
        header = list(ALL_COLUMNS) if layout else [name.strip() for name in first[1]]
        self._line = first[0]
        self._extension_positions = {name: header.index(name) if name in header else None
                                     for name in EXTENSION_COLUMNS}
        if layout:
            rows = laid_out(rows, layout, width)
        try:
            for _started in self._read_rows(rows, len(header)):
                if size is not None and len(self.events) > size:
                    yield self._take(keep_last=True)
        except csv.Error as error:
            self.errors.append(RowError(self._line + 1, unreadable(error)))
        yield self._take(keep_last=False)

    def _take(self, *, keep_last: bool) -> list[JournalEvent]:
        """The events read so far, but the one being read when `keep_last` (more rows may follow)."""
        events = list(self.events.values())
        last = events.pop() if keep_last and events else None
        self.events = {last.id: last} if last is not None else {}
        for event in events:
            event.digest = None  # only needed to compare the rows of one event
        return events

    def _read_rows(self, rows: Iterator[tuple[int, list[str] | str]], width: int) -> Iterator[None]:
        """Reads the rows into self.events; yields each time an event begins."""
        last_text, last_event, last_values = None, None, None
        for line, values in rows:
            self._line = line
            if isinstance(values, str):  # a row laid_out could not rearrange
                self.errors.append(RowError(line, values))
                continue
            if "\x00" in "".join(values):  # PostgreSQL stores no NUL in text
                self.errors.append(RowError(line, "caractère nul (NUL) dans une cellule : la ligne "
                                                  "n'est pas du texte."))
                continue
            if len(values) != width:
                self.errors.append(RowError(
                    line, f"{len(values)} colonnes au lieu de {width}."))
                continue
            before = len(self.errors)
            if values[EVENT_ID] == last_text:  # the next movement of the same event
                event = last_event
                if values[EVENT_HEAD] != last_values[EVENT_HEAD] \
                        or values[EVENT_TAIL] != last_values[EVENT_TAIL]:
                    self._differs(line, event)
            else:
                # a digest is kept instead of the strings: a million events stay small
                event = self._event(line, values,
                                    hash((*values[EVENT_HEAD], *values[EVENT_TAIL])))
                if event is None:
                    continue
                last_text, last_event, last_values = values[EVENT_ID], event, values
                if event.line == line:
                    yield None
            self._movement(event, line, values)
            if len(self.errors) > before:
                event.bad = True

    def _differs(self, line: int, event: JournalEvent) -> None:
        self.errors.append(RowError(line, f"l'événement {event.id} (ligne {event.line}) a d'autres "
                                          "valeurs ici (date, type, sites, note…) : une même "
                                          "event_id doit répéter les mêmes colonnes d'événement."))

    def _event(self, line: int, values: list[str], digest: int) -> JournalEvent | None:
        text = values[EVENT_ID]
        if not text.strip():
            self.errors.append(RowError(line, "colonne event_id vide — attendu : un identifiant "
                                              "UUID, le même sur chaque ligne de l'événement "
                                              "(ex. 0b6e3f1c-5d2a-4c8e-9f1a-2b3c4d5e6f70)."))
            return None
        try:
            event_id = uuid.UUID(text.strip())
        except ValueError:
            self.errors.append(RowError(line, f"event_id « {text.strip()[:40]} » n'est pas un UUID."))
            return None
        event = self.events.get(event_id)
        if event is None:
            event = JournalEvent(line, event_id, digest)
            before = len(self.errors)
            self._event_fields(event, values)
            event.bad = len(self.errors) > before
            self.events[event_id] = event
        elif event.digest != digest:
            self._differs(line, event)
            event.bad = True
        return event

    def _event_fields(self, event: JournalEvent, values: list[str]) -> None:
        line, errors = event.line, self.errors
        self._when_and_kind(event, values[OCCURRED_AT].strip(), values[KIND].strip())
        self._sites(event, values[ACTOR], values[CRATE], values[COLLECTION_POINT],
                    values[WASHER])
        corrects, note = values[CORRECTS], values[NOTE]
        extension = {name: "" if position is None else values[position]
                     for name, position in self._extension_positions.items()}
        event.corrects = None
        if corrects:
            try:
                event.corrects = uuid.UUID(corrects.strip())
            except ValueError:
                errors.append(RowError(line, f"corrects « {corrects[:40]} » n'est pas un UUID."))
        if corrects and event.kind not in (None, Kind.CORRECTION):
            errors.append(RowError(line, "seule une correction peut remplir la colonne corrects."))
        if event.kind == Kind.CORRECTION and not corrects:
            errors.append(RowError(line, "une correction doit nommer l'événement corrigé (corrects)."))
        if len(note) > MAX_NOTE:
            errors.append(RowError(line, f"la note dépasse {MAX_NOTE} caractères."))
        event.note = note
        round_code = extension["round"].strip()
        if len(round_code) > 40:
            errors.append(RowError(line, "code de tournée trop long (40 caractères au plus)."))
        event.round = round_code or None
        if event.round:
            self.rounds.add(event.round)
        if event.kind == Kind.ROUND_CLOSED and not round_code:
            errors.append(RowError(line, "une fin de tournée doit nommer sa tournée (colonne round)."))
        event.hours = event.km = event.water = event.energy = None
        for name, attribute in NUMBER_ATTRIBUTES.items():
            if extension[name]:
                try:
                    setattr(event, attribute, parse_decimal(name, extension[name]))
                except ValueError as error:
                    errors.append(RowError(line, str(error)))

    def _when_and_kind(self, event: JournalEvent, when: str, kind: str) -> None:
        line, errors = event.line, self.errors
        event.at = None
        try:
            event.at = parse_when(when)
        except ValueError:
            if not when:
                errors.append(RowError(line, "colonne occurred_at vide — attendu : une date ISO "
                                             "8601 avec son décalage horaire, p. ex. "
                                             "2025-03-14T09:30:00+01:00 ou 2025-03-14T08:30:00Z."))
            else:
                errors.append(RowError(line, f"date « {when[:40]} » : attendu ISO 8601 avec son "
                                             "décalage horaire, p. ex. 2025-03-14T09:30:00+01:00."))
        event.kind = KINDS.get(kind) or KINDS.get(kind.lower())
        if event.kind is None and not kind:
            errors.append(RowError(line, "colonne kind vide — attendu : l'un de "
                                         f"{', '.join(k.value for k in Kind)}."))
        elif event.kind is None:
            errors.append(RowError(line, f"type d'événement inconnu : « {kind[:40]} » (attendu "
                                         f"l'un de {', '.join(k.value for k in Kind)})."))

    def _sites(self, event: JournalEvent, actor: str, crate: str, point: str, washer: str) -> None:
        """The actor, crate, collection point and washer of the event, as ids."""
        cache, line = self._cache, event.line
        event.actor = (cache["actor"].get(actor) or self._code("actor", actor, line, event.kind)) \
            if actor else None
        if event.actor is not None and event.actor < 0:
            self.catalogue.actor_kinds.setdefault(actor.strip(), set()).add(event.kind)
        event.crate = self._crate(crate, line) if crate else None
        event.point = (cache["point"].get(point) or self._code("point", point, line)) \
            if point else None
        event.washer = (cache["washer"].get(washer) or self._code("washer", washer, line)) \
            if washer else None

    def _crate(self, text: str, line: int) -> int | None:
        code = self._crate_codes.get(text, "")
        if code == "":
            try:
                code = codes.normalise(text)
            except codes.CrateCodeError as error:
                code = None
                self.errors.append(RowError(line, f"caisse : {error}"))
            self._crate_codes[text] = code
        if code is None:
            return None
        return self._code("crate", code, line)

    def _movement(self, event: JournalEvent, line: int, values: list[str]) -> None:
        from_text, to_text, quantity = values[FROM_STAGE], values[TO_STAGE], values[QUANTITY]
        winemaker, model = values[WINEMAKER], values[BOTTLE_MODEL]
        reason, price = values[REASON], values[UNIT_PRICE_EUR]
        if not from_text and not to_text:
            if winemaker or model or quantity or reason or price:
                self.errors.append(RowError(line, "quantité, modèle, motif, prix ou vigneron sans "
                                                  "étapes (from_stage, to_stage)."))
            return
        from_stage = STAGES.get(from_text) or STAGES.get(from_text.strip())
        to_stage = STAGES.get(to_text) or STAGES.get(to_text.strip())
        if from_stage is None or to_stage is None:
            self.errors.append(RowError(line, f"étape inconnue : « {from_text[:20]} » → "
                                              f"« {to_text[:20]} » (attendu l'une de "
                                              f"{', '.join(s.value for s in Stage)})."))
            return
        if from_stage == to_stage:
            self.errors.append(RowError(line, "les étapes de départ et d'arrivée sont identiques."))
            return
        digits = ascii_digits(quantity)
        count = bounded(digits, MAX_QUANTITY) if digits is not None else None
        if digits is None:
            self.errors.append(RowError(line, f"quantité « {quantity.strip()[:20]} » : un entier "
                                              "positif est attendu."))
            return
        if count is None or count == 0:
            self.errors.append(RowError(line, f"quantité {shown(digits)} hors limites (1 à {MAX_QUANTITY})."))
            return
        cache = self._cache
        cents = self._cents(price, line) if price else None
        model_id = (cache["model"].get(model) or self._code("model", model, line, to_stage)) \
            if model else None
        reason_id = (cache["reason"].get(reason) or self._code(
            "reason", reason, line, (from_stage, to_stage))) if reason else None
        winemaker_id = (cache["winemaker"].get(winemaker) or self._code(
            "winemaker", winemaker, line)) if winemaker else None
        event.moves.append(Move(from_stage, to_stage, count, model_id, reason_id, cents, winemaker_id))

    def _cents(self, price: str, line: int) -> int | None:
        cents = self._prices.get(price)
        if cents is None:
            try:
                cents = self._prices[price] = parse_cents(price.strip())
            except ValueError as error:
                self.errors.append(RowError(line, str(error)))
        return cents

    def _code(self, kind: str, code: str, line: int, hint: object = None) -> int | None:
        found = self._cache[kind].get(code)
        if found is None:
            found = self.catalogue.resolve(kind, code.strip(), line, self.errors, hint)
            if found is not None:
                self._cache[kind][code] = found
        return found
