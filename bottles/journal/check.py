"""The ledger's rules over a journal's new events, in the order given, on in-memory
projections (stocks, crates, rounds) seeded from the database: what bottles.ledger.record
would refuse, refused here with the row's line, before anything is written."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles.journal.catalogue import Catalogue
from bottles.journal.read import JournalEvent
from bottles.journal.rows import RowError
from bottles.ledger import apply_crate, moves_of
from bottles.models import Crate, Event, StockLevel
from bottles.rules import (
    ALLOWED_MOVES,
    CRATE_STATE_LABELS,
    CRATE_TRANSITIONS,
    KIND_LABELS,
    MODEL_NEEDED,
    PARIS,
    REASON_NEEDED,
    STAGE_LABELS,
    STOCK_SITE,
    CrateState,
    Kind,
    LedgerError,
    Move,
    Site,
    Stage,
    check_moves,
    reverse,
    stock_deltas,
)

NO_CRATE = (None, None, None, None, None)
# Kinds that mean nothing without a crate.
CRATE_KINDS = frozenset({Kind.CRATE_REGISTERED, Kind.CRATE_PLACED, Kind.CRATE_RETIRED,
                         Kind.CRATE_LOST})
# Kinds whose collection point may be left empty: the crate's own point is taken.
POINT_FROM_CRATE = {
    Kind.CRATE_FULL: "ou une caisse déjà déposée à un point",
    Kind.PICKUP: "ou une caisse pleine à un point",
    Kind.RECEIPT: "ou une caisse déjà enlevée à un point",
}
# What an unplaceable row's empty column would accept, and an example when the catalogue has none.
EXPECTED = {
    "crate": ("le code d'une caisse", "CJ-00001-R"),
    "collection_point": ("le code d'un point de collecte", "LONS-COMEDIE"),
    "washer": ("le code d'un centre de lavage", "LAV1"),
    "winemaker": ("le code du vigneron acheteur", "ARBOIS"),
    "bottle_model": ("le code d'un modèle de bouteille", "BOURG75"),
    "reason": ("le code d'un motif", "PERTE-ECART"),
}
COLUMN_CATALOGUE = {"crate": "crate", "collection_point": "point", "washer": "washer",
                    "winemaker": "winemaker", "bottle_model": "model", "reason": "reason"}
# A crate's latest transitions kept in memory for corrections; older ones are replayed from the
# database (rare: only a run of corrections deeper than this on one crate).
STACK_DEPTH = 8
REGISTERED_NOTE = "caisse enregistrée à sa première utilisation par l'import du journal"
PLACED_NOTE = "dépôt au point déduit de son premier remplissage par l'import du journal"


def kind_label(kind: Kind | None) -> str:
    return KIND_LABELS.get(kind, str(kind)) if kind else "?"


def _move_key(move: Move) -> tuple:
    return (move.from_stage.value, move.to_stage.value, move.quantity, move.model_id or 0,
            move.reason_id or 0, move.unit_price_cents or 0, move.winemaker_id or 0)


class MissingColumn(LedgerError):
    """A row the importer cannot place: the message names the empty column and what it takes."""


def _same(_kind: str, id_: int | None) -> int | None:
    return id_


class Checker:
    """The ledger's rules over the new events, in order, on in-memory projections.

    Memory stays bounded: accepted events wait in `accepted` until the importer takes them
    (`take`) to write; the last two takes are kept by id for corrections (`recent`, `older`);
    anything older is looked up in the database, after `flush` wrote what is still waiting.
    `planned` turns a database id back into the id this import knows it by (negative for a
    row --create-missing made), `real` the other way, `round_code` a round id into its code.
    """

    def __init__(self, session: Session, catalogue: Catalogue, rounds: dict[str, int], *,
                 flush: Callable[[], None] | None = None,
                 planned: Callable[[str, int | None], int | None] = _same,
                 real: Callable[[str, int | None], int | None] = _same,
                 round_code: Callable[[int], str | None] | None = None) -> None:
        self.session = session
        self.catalogue = catalogue
        self.rounds = rounds
        self.flush = flush or (lambda: None)
        self.planned = planned
        self.real = real
        codes = {id_: code for code, id_ in rounds.items()}
        self.round_code = round_code or codes.get
        self.stocks: dict[tuple, int] = {
            (stage, site, model): int(q) for stage, site, model, q in session.execute(
                select(StockLevel.stage, StockLevel.site_id, StockLevel.model_id,
                       StockLevel.quantity))}
        self.crates: dict[int, tuple] = {
            row[0]: tuple(row[1:]) for row in session.execute(
                select(Crate.id, Crate.state, Crate.collection_point_id, Crate.washer_id,
                       Crate.state_since, Crate.last_event_seq))}
        self.crate_codes = {v: k for k, v in {**catalogue.known["crate"],
                                              **catalogue.missing.get("crate", {})}.items()}
        self.stacks: dict[int, deque[tuple[int, tuple]]] = {}
        self.first_seq = (session.scalar(select(Event.seq).order_by(Event.seq.desc()).limit(1))
                          or 0) + 1
        self.accepted: list[JournalEvent] = []
        self.shapes: dict[tuple, str] = {}
        self.recent: dict[uuid.UUID, JournalEvent] = {}
        self.older: dict[uuid.UUID, JournalEvent] = {}
        self.next_seq = self.first_seq
        self.corrected: set[uuid.UUID] = set()
        self.touched_stocks: set[tuple] = set()
        self.touched_crates: set[int] = set()
        self.new_rounds: dict[str, list] = {}
        self.touched_rounds: set[str] = set()
        self.registered: list[int] = []

    def run(self, events: list[JournalEvent], errors: list[RowError]) -> None:
        for event in events:
            self.check(event, errors)

    def take(self) -> list[JournalEvent]:
        """The events accepted since the last take, to be written (kept a while for corrections)."""
        taken, self.accepted = self.accepted, []
        self.older, self.recent = self.recent, {}
        return taken

    def check(self, event: JournalEvent, errors: list[RowError]) -> None:
        """Accept the event (its seq set, the projections moved) or add why not to `errors`."""
        if event.bad:
            return
        seq = self.next_seq
        try:
            if event.crate is not None and event.kind in POINT_FROM_CRATE:
                self._point_from_crate(event)
            if event.crate is not None and self.catalogue.create_missing \
                    and event.kind in CRATE_TRANSITIONS and event.kind != Kind.CRATE_REGISTERED \
                    and self.crates.get(event.crate, NO_CRATE)[0] is None:
                seq = self.next_seq = self._register(event, seq)
            crate_now, deltas = self._check(event, seq)
        except MissingColumn as error:
            errors.append(RowError(event.line, str(error)))
            return
        except LedgerError as error:
            errors.append(RowError(event.line, f"{kind_label(event.kind)} {event.id} : {error}"))
            return
        for key, delta in deltas.items():
            self.stocks[key] = self.stocks.get(key, 0) + delta
            self.touched_stocks.add(key)
        if crate_now is not None:
            self._move_crate(event, crate_now, seq)
        event.seq = seq
        self.next_seq = seq + 1
        self.accepted.append(event)
        self.recent[event.id] = event
        if event.round:
            self._note_round(event)
        if event.kind == Kind.CORRECTION:
            self.corrected.add(event.corrects)

    def _point_from_crate(self, event: JournalEvent) -> None:
        """A row that names a crate but not its point takes the point where the crate is
        (for a receipt, the point of the crate's latest pickup)."""
        if event.point is None:
            event.point = self.crates.get(event.crate, NO_CRATE)[1]

    def _register(self, event: JournalEvent, seq: int) -> int:
        """Register (and, for a first `crate_full`, place) a crate the file uses without a
        `crate_registered` row; the added events' ids derive from the row's, so a second
        import finds the crate registered and adds nothing. Returns the next seq."""
        code = self.crate_codes.get(event.crate, "?")
        if event.kind in (Kind.PICKUP, Kind.RECEIPT):
            raise LedgerError(f"caisse {code} : elle apparaît d'abord dans un(e) "
                              f"{kind_label(event.kind)} sans avoir été déclarée pleine ; ajoutez "
                              "avant une ligne crate_full de cette caisse (ou laissez la colonne "
                              "crate vide).")
        steps = [(Kind.CRATE_REGISTERED, None, REGISTERED_NOTE)]
        if event.kind == Kind.CRATE_FULL:
            if event.point is None:
                raise MissingColumn(self._missing(event, "collection_point"))
            steps.append((Kind.CRATE_PLACED, event.point, PLACED_NOTE))
        for kind, point, note in steps:
            added = JournalEvent(event.line, uuid.uuid5(event.id, kind.value), None)
            added.kind, added.at, added.actor = kind, event.at, None
            added.crate, added.point = event.crate, point
            added.washer = added.round = added.corrects = None
            added.hours = added.km = added.water = added.energy = None
            added.note = note
            crate_now = apply_crate(self.crates.get(event.crate, NO_CRATE), kind, seq, event.at, point, None)
            self._move_crate(added, crate_now, seq)
            added.seq = seq
            seq += 1
            self.accepted.append(added)
            self.recent[added.id] = added
        self.registered.append(event.crate)
        return seq

    def _check(self, event: JournalEvent, seq: int) -> tuple[tuple | None, dict]:
        """What the event does to its crate and the stocks, or LedgerError."""
        if event.kind == Kind.CORRECTION:
            return self._check_correction(event)
        self._check_moves(event)
        crate_now = None
        if event.crate is not None and event.kind in CRATE_TRANSITIONS:
            current = self.crates.get(event.crate, NO_CRATE)
            try:
                crate_now = apply_crate(current, event.kind, seq, event.at, event.point, event.washer)
            except LedgerError as error:
                raise LedgerError(self._crate_message(event.crate, current, error)) from None
        return crate_now, self._deltas(event)

    def _check_moves(self, event: JournalEvent) -> None:
        """rules.check_moves and the columns the event needs, remembered by the event's shape
        (quantities are bounded when read)."""
        shape = (event.kind, event.crate is None, event.point is None, event.washer is None,
                 *((m.from_stage, m.to_stage, m.model_id is None, m.reason_id is None,
                    m.unit_price_cents, m.winemaker_id is None) for m in event.moves))
        known = self.shapes.get(shape)
        if known is None:
            allowed = ALLOWED_MOVES.get(event.kind, ())
            empty = None if any((m.from_stage, m.to_stage) not in allowed for m in event.moves) \
                else self._empty_column(event)
            try:
                if empty:
                    raise MissingColumn(self._missing(event, empty))
                check_moves(event.kind, event.moves)
                known = ""
            except LedgerError as error:
                known = error
            self.shapes[shape] = known
        if known:
            raise known

    def _empty_column(self, event: JournalEvent) -> str | None:
        """The first column the event needs and leaves empty, or None."""
        if event.crate is None and event.kind in CRATE_KINDS:
            return "crate"
        if event.point is None and event.kind == Kind.CRATE_PLACED:
            return "collection_point"
        for move in event.moves:
            for stage in (move.from_stage, move.to_stage):
                site = STOCK_SITE.get(stage)
                if site == Site.COLLECTION_POINT and event.point is None:
                    return "collection_point"
                if site == Site.WASHER and event.washer is None:
                    return "washer"
                if site == Site.WINEMAKER and move.winemaker_id is None:
                    return "winemaker"
            if move.to_stage in MODEL_NEEDED and move.model_id is None:
                return "bottle_model"
            if (move.from_stage, move.to_stage) in REASON_NEEDED and move.reason_id is None:
                return "reason"
            if move.to_stage == Stage.SOLD and move.unit_price_cents is None:
                return "unit_price_eur"
        return None

    def _missing(self, event: JournalEvent, column: str) -> str:
        """"colonne X vide — attendu : …", with an example from the catalogue."""
        if column == "unit_price_eur":
            return "colonne unit_price_eur vide — attendu : le prix unitaire en euros (ex. 0.30)."
        what, example = EXPECTED[column]
        known = self.catalogue.known[COLUMN_CATALOGUE[column]]
        if known:
            example = min(known)
        alternative = POINT_FROM_CRATE.get(event.kind) if column == "collection_point" else None
        return (f"colonne {column} vide — attendu : {what} (ex. {example})"
                + (f", {alternative}" if alternative else "") + ".")

    def _deltas(self, event: JournalEvent) -> dict:
        deltas = stock_deltas(event.moves, {Site.COLLECTION_POINT: event.point, Site.WASHER: event.washer})
        for key, delta in deltas.items():
            have = self.stocks.get(key, 0)
            if have + delta < 0:
                raise LedgerError(self._shortage(key, have, -delta))
        return deltas

    def _crate_message(self, crate_id: int, current: tuple, error: LedgerError) -> str:
        code = self.crate_codes.get(crate_id, "?")
        state, _point, _washer, since, _last = current
        if state is None and not self.catalogue.create_missing:
            return (f"caisse {code} : {error} Relancez l'import avec --create-missing pour "
                    "l'enregistrer à sa première utilisation.")
        if state is None:
            return f"caisse {code} : {error}"
        when = since.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") if since else "?"
        return f"caisse {code} : {error} Elle est {CRATE_STATE_LABELS[CrateState(state)]} depuis le {when}."

    def _shortage(self, key: tuple, have: int, need: int) -> str:
        stage, site_id, model_id = key
        site_kind = {Site.COLLECTION_POINT: "point", Site.WASHER: "washer",
                     Site.WINEMAKER: "winemaker"}[STOCK_SITE[Stage(stage)]]
        site = self.catalogue.code_of(site_kind, site_id)
        model = f" ({self.catalogue.code_of('model', model_id)})" if model_id else ""
        return (f"stock insuffisant — {STAGE_LABELS[Stage(stage)]}{model} à {site} : {have} "
                f"bouteilles disponibles, il en faudrait {need} ({need - have} de trop).")

    def _check_correction(self, event: JournalEvent) -> tuple[tuple | None, dict]:
        target = self._target(event.corrects)
        if target is None:
            raise LedgerError(f"l'événement à corriger {event.corrects} n'existe pas (ni dans la base "
                              "ni plus tôt dans le fichier).")
        if target.kind == Kind.CORRECTION:
            raise LedgerError("une correction ne peut pas être corrigée ; enregistrez l'événement juste.")
        if not event.note.strip():
            raise LedgerError("une correction doit donner son motif (note).")
        if target.id in self.corrected or (target.seq < self.first_seq and self.session.scalar(
                select(Event.seq).where(Event.corrects_seq == target.seq)) is not None):
            raise LedgerError("cet événement a déjà été corrigé.")
        if sorted(map(_move_key, event.moves)) != sorted(map(_move_key, reverse(target.moves))):
            raise LedgerError("les mouvements d'une correction doivent être l'inverse exact de ceux "
                              "de l'événement corrigé.")
        for attr, label in (("crate", "caisse"), ("point", "point de collecte"),
                            ("washer", "centre de lavage"), ("round", "tournée")):
            mine, theirs = getattr(event, attr), getattr(target, attr)
            if mine is not None and mine != theirs:
                raise LedgerError(f"la {label} d'une correction doit être celle de l'événement corrigé.")
            setattr(event, attr, theirs)
        event.corrects_seq = target.seq
        crate_now = None
        if event.crate is not None and target.kind in CRATE_TRANSITIONS:
            current = self.crates.get(event.crate, NO_CRATE)
            if current[4] != target.seq:
                raise LedgerError(f"la caisse {self.crate_codes.get(event.crate, '?')} a bougé depuis "
                                  "cet événement : corrigez d'abord les événements suivants.")
            crate_now = self._pop_crate(event.crate)
        return crate_now, self._deltas(event)

    def _target(self, event_id: uuid.UUID) -> JournalEvent | None:
        """The corrected event: earlier in this file, or in the database."""
        found = self.recent.get(event_id) or self.older.get(event_id)
        if found is not None:
            return found
        self.flush()
        row = self.session.scalar(select(Event).where(Event.id == event_id))
        if row is None:
            return None
        planned = self.planned
        target = JournalEvent(0, row.id, None)
        target.kind, target.seq = Kind(row.kind), row.seq
        target.moves = [Move(move.from_stage, move.to_stage, move.quantity,
                             planned("model", move.model_id), planned("reason", move.reason_id),
                             move.unit_price_cents, planned("winemaker", move.winemaker_id))
                        for move in moves_of(row)]
        target.crate, target.point = planned("crate", row.crate_id), planned("point", row.collection_point_id)
        target.washer = planned("washer", row.washer_id)
        target.round = self.round_code(row.round_id) if row.round_id is not None else None
        self.recent[event_id] = target
        return target

    def _pop_crate(self, crate_id: int) -> tuple:
        """The crate projection once its latest transition (checked: the corrected one) is undone
        (sentinel: popped)."""
        stack = self.stacks.get(crate_id)
        if stack:
            stack.pop()
            if stack:
                return ("pop", stack[-1][1])
        # Deeper than memory keeps: the crate's whole history, this import's events written first.
        self.flush()
        history = self._db_stack(crate_id)
        if history and history[-1][0] == self.crates.get(crate_id, NO_CRATE)[4]:
            history.pop()
        self.stacks[crate_id] = deque(history[-STACK_DEPTH:], maxlen=STACK_DEPTH)
        return ("pop", history[-1][1] if history else NO_CRATE)

    def _db_stack(self, crate_id: int) -> list[tuple[int, tuple]]:
        """The crate's transitions replayed from the database, ids as this import knows them."""
        real = self.real("crate", crate_id)
        planned = self.planned
        rows = [(seq, kind, corrects, at, planned("point", point), planned("washer", washer))
                for seq, kind, corrects, at, point, washer in self.session.execute(
                    select(Event.seq, Event.kind, Event.corrects_seq, Event.occurred_at,
                           Event.collection_point_id, Event.washer_id)
                    .where(Event.crate_id == real).order_by(Event.seq)).all()]
        stack: list[tuple[int, tuple]] = []
        current = NO_CRATE
        for seq, kind, corrects, at, point, washer in rows:
            if kind == Kind.CORRECTION:
                if stack and stack[-1][0] == corrects:
                    stack.pop()
                continue
            if Kind(kind) in CRATE_TRANSITIONS:
                current = apply_crate(stack[-1][1] if stack else NO_CRATE, Kind(kind), seq, at,
                                      point, washer)
                stack.append((seq, current))
        return stack

    def _move_crate(self, event: JournalEvent, crate_now: tuple, seq: int) -> None:
        self.touched_crates.add(event.crate)
        if crate_now[0] == "pop":
            self.crates[event.crate] = crate_now[1]
            return
        self.crates[event.crate] = crate_now
        stack = self.stacks.get(event.crate)
        if stack is None:
            stack = self.stacks[event.crate] = deque(maxlen=STACK_DEPTH)
        stack.append((seq, crate_now))

    def _note_round(self, event: JournalEvent) -> None:
        self.touched_rounds.add(event.round)
        if event.round in self.rounds:
            return
        info = self.new_rounds.get(event.round)
        if info is None:
            self.new_rounds[event.round] = [event.actor, event.at.astimezone(PARIS).date(), event.washer,
                                         event.kind == Kind.PICKUP]
            return
        if not info[3] and event.kind == Kind.PICKUP:
            info[0], info[3] = event.actor, True
        if info[2] is None:
            info[2] = event.washer
