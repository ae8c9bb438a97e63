"""Reading a journal file: every row parsed and checked on its own, codes resolved.

The ledger rules that need order (crate life-cycle, stocks, corrections) are applied
afterwards by bottles.journal_import, over the events this module builds.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from bottles import codes
from bottles.journal_export import ALL_COLUMNS, COLUMNS, EXTENSION_COLUMNS
from bottles.ledger import MAX_NOTE
from bottles.rules import KIND_LABELS, MAX_QUANTITY, MAX_UNIT_PRICE_CENTS, Kind, Stage

# Limits of the numeric columns (digits before the point, digits after), as in the models.
DECIMALS = {"hours": (6, 2), "km": (9, 1), "water_l": (11, 1), "energy_kwh": (10, 2)}
CODE_MAX = 32
KINDS = {kind.value: kind for kind in Kind}
STAGES = {stage.value: stage for stage in Stage}


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.message}"


class FastMove(NamedTuple):
    """A movement read from the file: the fields of rules.Move, lighter (a million of them)."""

    from_stage: Stage
    to_stage: Stage
    quantity: int
    model_id: int | None = None
    reason_id: int | None = None
    unit_price_cents: int | None = None
    winemaker_id: int | None = None


class Ev:
    """One event of the file, with its movements; ids may be negative (to be created)."""

    __slots__ = ("line", "id", "kind", "at", "actor", "crate", "point", "washer", "round",
                 "corrects", "note", "hours", "km", "water", "energy", "moves", "raw", "bad",
                 "seq", "corrects_seq")

    def __init__(self, line: int, event_id: uuid.UUID, raw: int | None) -> None:
        self.line = line
        self.id = event_id
        self.raw = raw
        self.moves: list[FastMove] = []
        self.bad = False
        self.seq: int | None = None
        self.corrects_seq: int | None = None


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
        self.first_use[(kind, code)] = (line, hint)
        self._next -= 1
        return planned[code]


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
REQUIRED_COLUMNS = ("event_id", "occurred_at", "kind")


def rows_of(rows_or_path: Any) -> Iterator[tuple[int, list[str]]]:
    """(line number, values) of a path, a text stream, or dicts; the header comes first (line 1)."""
    if isinstance(rows_or_path, str | Path):
        with open(rows_or_path, newline="", encoding="utf-8-sig") as handle:
            yield from _csv_rows(handle)
        return
    if isinstance(rows_or_path, io.IOBase) or hasattr(rows_or_path, "read"):
        yield from _csv_rows(rows_or_path)
        return
    yield 1, list(ALL_COLUMNS)
    for number, row in enumerate(rows_or_path, start=2):
        yield number, [_text(row.get(name)) for name in ALL_COLUMNS]


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _csv_rows(handle) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(handle)
    for values in reader:
        if values:
            yield reader.line_num, values


def check_header(header: list[str]) -> str | None:
    """Why the header is wrong, or None."""
    return read_header(header)[1]


def read_header(header: list[str]) -> tuple[list[int] | None, str | None]:
    """(layout, problem): the header may name the columns of DESIGN.md §5 in any order and
    leave out all but event_id, occurred_at and kind; the layout then gives, for each column
    of ALL_COLUMNS, its position in the file (-1: absent). None when it is Boucle's order."""
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    names = [name.strip().lower() for name in header]
    if tuple(names[:len(COLUMNS)]) == COLUMNS and all(
            name in EXTENSION_COLUMNS for name in names[len(COLUMNS):]) \
            and len(set(names)) == len(names):
        return None, None
    problems = [f"colonne {name} absente" for name in REQUIRED_COLUMNS if name not in names]
    unknown = [name or "(sans nom)" for name in names if name not in ALL_COLUMNS]
    if unknown:
        problems.append(("colonne inconnue : " if len(unknown) == 1 else "colonnes inconnues : ")
                        + ", ".join(unknown))
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        problems.append("colonne en double : " + ", ".join(doubled))
    if problems:
        return None, ("en-tête : " + " ; ".join(problems) + " (attendu les colonnes de DESIGN.md "
                      "§5 : " + ", ".join(COLUMNS) + ", puis, facultatives, "
                      + ", ".join(EXTENSION_COLUMNS) + ").")
    return [names.index(name) if name in names else -1 for name in ALL_COLUMNS], None


def parse_when(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("sans fuseau")
    return moment


def parse_decimal(name: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{name} « {text[:20]} » n'est pas un nombre.") from None
    digits, places = DECIMALS[name]
    if not value.is_finite() or value < 0 or value >= Decimal(10) ** digits:
        raise ValueError(f"{name} « {text[:20]} » hors des limites (0 à {10 ** digits}).")
    if value.as_tuple().exponent < -places:
        raise ValueError(f"{name} « {text} » : au plus {places} décimale(s).")
    return value


def parse_cents(text: str) -> int:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"prix « {text[:20]} » illisible.") from None
    if not value.is_finite() or value.as_tuple().exponent < -2:
        raise ValueError(f"prix « {text[:20]} » : au plus deux décimales.")
    cents = int(value * 100)
    if not 0 <= cents <= MAX_UNIT_PRICE_CENTS:
        raise ValueError("le prix unitaire doit être entre 0 et 10 €.")
    return cents


class Reader:
    """Turns rows into events, recording each bad row with its line and reason."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.cat = catalogue
        self.errors: list[RowError] = []
        self.events: dict[uuid.UUID, Ev] = {}
        self.rounds: set[str] = set()
        self._crate_codes: dict[str, str | None] = {}
        self._extras: list[int | None] = []
        self._line = 0
        self._cache: dict[str, dict[str, int]] = {kind: {} for kind in LABELS}
        self._prices: dict[str, int] = {}

    def read(self, rows: Iterable[tuple[int, list[str]]]) -> list[Ev]:
        rows = iter(rows)
        try:
            first = next(rows, None)
        except csv.Error as error:
            self.errors.append(RowError(1, f"CSV illisible : {error}."))
            return []
        if first is None:
            self.errors.append(RowError(1, "fichier vide (l'en-tête manque)."))
            return []
        layout, problem = read_header(first[1])
        if problem:
            self.errors.append(RowError(first[0], problem))
            return []
        width = len(first[1])
        header = list(ALL_COLUMNS) if layout else [name.strip() for name in first[1]]
        self._line = first[0]
        self._extras = [header.index(name) - 8 if name in header else None
                        for name in ("round", "hours", "km", "water_l", "energy_kwh")]
        if layout:
            rows = _laid_out(rows, layout, width)
        try:
            self._read_rows(rows, len(header))
        except csv.Error as error:
            self.errors.append(RowError(self._line + 1, f"CSV illisible : {error}."))
        events = list(self.events.values())
        for event in events:
            event.raw = None  # only needed to compare the rows of one event
        return events

    def _read_rows(self, rows: Iterator[tuple[int, list[str] | str]], width: int) -> None:
        last_text, last_event, last_values = None, None, None
        for line, values in rows:
            self._line = line
            if isinstance(values, str):  # a row _laid_out could not rearrange
                self.errors.append(RowError(line, values))
                continue
            if len(values) != width:
                self.errors.append(RowError(
                    line, f"{len(values)} colonnes au lieu de {width}."))
                continue
            before = len(self.errors)
            if values[0] == last_text:  # the next movement of the same event
                event = last_event
                if values[1:7] != last_values[1:7] or values[14:] != last_values[14:]:
                    self._differs(line, event)
            else:
                raw = values[1:7] + values[14:]
                # a digest is kept instead of the strings: a million events stay small
                event = self._event(line, values[0], raw, hash(tuple(raw)))
                if event is None:
                    continue
                last_text, last_event, last_values = values[0], event, values
            self._movement(event, line, values)
            if len(self.errors) > before:
                event.bad = True

    def _differs(self, line: int, event: Ev) -> None:
        self.errors.append(RowError(line, f"l'événement {event.id} (ligne {event.line}) a d'autres "
                                          "valeurs ici (date, type, sites, note…) : une même "
                                          "event_id doit répéter les mêmes colonnes d'événement."))

    def _event(self, line: int, text: str, raw: list[str], digest: int) -> Ev | None:
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
            event = Ev(line, event_id, digest)
            before = len(self.errors)
            self._event_fields(event, raw)
            event.bad = len(self.errors) > before
            self.events[event_id] = event
        elif event.raw != digest:
            self._differs(line, event)
            event.bad = True
        return event

    def _event_fields(self, ev: Ev, raw: list[str]) -> None:
        when, kind, actor, crate, point, washer = raw[0], raw[1], raw[2], raw[3], raw[4], raw[5]
        corrects, note = raw[6], raw[7]
        round_code, hours, km, water, energy = (
            "" if index is None else raw[index] for index in self._extras)
        when, kind, round_code = when.strip(), kind.strip(), round_code.strip()
        line, errors = ev.line, self.errors
        ev.at = None
        try:
            ev.at = parse_when(when)
        except ValueError:
            if not when:
                errors.append(RowError(line, "colonne occurred_at vide — attendu : une date ISO "
                                             "8601 avec son décalage horaire, p. ex. "
                                             "2025-03-14T09:30:00+01:00 ou 2025-03-14T08:30:00Z."))
            else:
                errors.append(RowError(line, f"date « {when[:40]} » : attendu ISO 8601 avec son "
                                             "décalage horaire, p. ex. 2025-03-14T09:30:00+01:00."))
        ev.kind = KINDS.get(kind) or KINDS.get(kind.lower())
        if ev.kind is None and not kind:
            errors.append(RowError(line, "colonne kind vide — attendu : l'un de "
                                         f"{', '.join(k.value for k in Kind)}."))
        elif ev.kind is None:
            errors.append(RowError(line, f"type d'événement inconnu : « {kind[:40]} » (attendu "
                                         f"l'un de {', '.join(k.value for k in Kind)})."))
        cache = self._cache
        ev.actor = (cache["actor"].get(actor) or self._code("actor", actor, line, ev.kind)) \
            if actor else None
        if ev.actor is not None and ev.actor < 0:
            self.cat.actor_kinds.setdefault(actor.strip(), set()).add(ev.kind)
        ev.crate = self._crate(crate, line) if crate else None
        ev.point = (cache["point"].get(point) or self._code("point", point, line)) if point else None
        ev.washer = (cache["washer"].get(washer) or self._code("washer", washer, line)) \
            if washer else None
        ev.corrects = None
        if corrects:
            try:
                ev.corrects = uuid.UUID(corrects.strip())
            except ValueError:
                errors.append(RowError(line, f"corrects « {corrects[:40]} » n'est pas un UUID."))
        if corrects and ev.kind not in (None, Kind.CORRECTION):
            errors.append(RowError(line, "seule une correction peut remplir la colonne corrects."))
        if ev.kind == Kind.CORRECTION and not corrects:
            errors.append(RowError(line, "une correction doit nommer l'événement corrigé (corrects)."))
        if len(note) > MAX_NOTE:
            errors.append(RowError(line, f"la note dépasse {MAX_NOTE} caractères."))
        ev.note = note
        if len(round_code) > 40:
            errors.append(RowError(line, "code de tournée trop long (40 caractères au plus)."))
        ev.round = round_code or None
        if ev.round:
            self.rounds.add(ev.round)
        if ev.kind == Kind.ROUND_CLOSED and not round_code:
            errors.append(RowError(line, "une fin de tournée doit nommer sa tournée (colonne round)."))
        ev.hours = ev.km = ev.water = ev.energy = None
        if not (hours or km or water or energy):
            return
        for name, text, attr in (("hours", hours, "hours"), ("km", km, "km"),
                                 ("water_l", water, "water"), ("energy_kwh", energy, "energy")):
            if text:
                try:
                    setattr(ev, attr, parse_decimal(name, text))
                except ValueError as error:
                    errors.append(RowError(line, str(error)))

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

    def _movement(self, ev: Ev, line: int, values: list[str]) -> None:
        from_text, to_text, quantity = values[9], values[10], values[11]
        if not from_text and not to_text:
            if values[7] or values[8] or values[11] or values[12] or values[13]:
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
        if not (quantity.isdigit() and quantity.isascii()):
            quantity = quantity.strip()
        if not (quantity.isascii() and quantity.isdigit()) or len(quantity) > 9:
            self.errors.append(RowError(line, f"quantité « {quantity[:20]} » : un entier positif "
                                              "est attendu."))
            return
        count = int(quantity)
        if not 0 < count <= MAX_QUANTITY:
            self.errors.append(RowError(line, f"quantité {count} hors limites (1 à {MAX_QUANTITY})."))
            return
        winemaker, model, reason, price = values[7], values[8], values[12], values[13]
        cache = self._cache
        cents = self._cents(price, line) if price else None
        model_id = (cache["model"].get(model) or self._code("model", model, line, to_stage)) \
            if model else None
        reason_id = (cache["reason"].get(reason) or self._code(
            "reason", reason, line, (from_stage, to_stage))) if reason else None
        winemaker_id = (cache["winemaker"].get(winemaker) or self._code(
            "winemaker", winemaker, line)) if winemaker else None
        ev.moves.append(FastMove(from_stage, to_stage, count, model_id, reason_id, cents,
                                 winemaker_id))

    def _cents(self, price: str, line: int) -> int | None:
        cents = self._prices.get(price)
        if cents is None:
            try:
                cents = self._prices[price] = parse_cents(price.strip())
            except ValueError as error:
                self.errors.append(RowError(line, str(error)))
        return cents

    def _code(self, kind: str, code: str, line: int, hint: Any = None) -> int | None:
        found = self._cache[kind].get(code)
        if found is None:
            found = self.cat.resolve(kind, code.strip(), line, self.errors, hint)
            if found is not None:
                self._cache[kind][code] = found
        return found


def _laid_out(rows: Iterator[tuple[int, list[str]]], layout: list[int],
              width: int) -> Iterator[tuple[int, list[str] | str]]:
    """The rows of a file whose header has its own order, in the order of ALL_COLUMNS."""
    for line, values in rows:
        if len(values) != width:
            yield line, f"{len(values)} colonnes au lieu de {width}."
            continue
        yield line, [values[i] if i >= 0 else "" for i in layout]


def kind_label(kind: Kind | None) -> str:
    return KIND_LABELS.get(kind, str(kind)) if kind else "?"
