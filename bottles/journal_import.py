"""Importing a journal file in bulk, under the same rules as bottles.ledger.record.

Every row is checked first — alone (bottles.journal_read), then in occurred_at order
against in-memory stocks and crate projections seeded from the database — and nothing
is written unless every row is right. Then events and movements go in with Core
executemany (seq assigned here) and the projections are upserted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bottles.journal_read import Catalogue, Ev, Reader, RowError, kind_label, rows_of
from bottles.ledger import Draft, apply_crate, content_hash, moves_of
from bottles.models import (
    BottleModel,
    CollectionPoint,
    Crate,
    Event,
    Reason,
    Round,
    StockLevel,
    User,
    Washer,
    Winemaker,
)
from bottles.rules import (
    ALLOWED_MOVES,
    CRATE_STATE_LABELS,
    CRATE_TRANSITIONS,
    MODEL_NEEDED,
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

PARIS = ZoneInfo("Europe/Paris")
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
REGISTERED_NOTE = "caisse enregistrée à sa première utilisation par l'import du journal"
PLACED_NOTE = "dépôt au point déduit de son premier remplissage par l'import du journal"
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


def _codes(session: Session, model, column) -> dict[str, int]:
    return {code: id_ for id_, code in session.execute(select(model.id, column)).all()}


def import_journal(session: Session, rows_or_path: Any, *, create_missing: bool = False) -> ImportReport:
    """Check every row, then import all of them or nothing; flushes, never commits."""
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # The projections are computed in memory from this transaction's snapshot: no other
        # writer may append to the ledger until it commits (readers are not blocked).
        session.execute(text("LOCK TABLE events IN EXCLUSIVE MODE"))
    catalogue = Catalogue(create_missing, {
        "actor": _codes(session, User, User.username),
        "crate": _codes(session, Crate, Crate.code),
        "point": _codes(session, CollectionPoint, CollectionPoint.code),
        "washer": _codes(session, Washer, Washer.code),
        "winemaker": _codes(session, Winemaker, Winemaker.code),
        "model": _codes(session, BottleModel, BottleModel.code),
        "reason": _codes(session, Reason, Reason.code),
    })
    reader = Reader(catalogue)
    events = reader.read(rows_of(rows_or_path))
    reader.events = {}  # the list is enough from here on
    report = ImportReport(errors=reader.errors)
    rounds = _codes(session, Round, Round.code)
    existing = _existing(session, [ev.id for ev in events])
    fresh: list[Ev] = []
    for ev in events:
        if ev.id in existing:
            if not ev.bad and _same_content(session, ev, existing[ev.id], rounds):
                report.skipped_events += 1
            elif not ev.bad:
                report.errors.append(RowError(ev.line, f"l'événement {ev.id} existe déjà avec un "
                                                       "autre contenu."))
        else:
            fresh.append(ev)
    if not _is_sorted(fresh):
        fresh.sort(key=lambda ev: (ev.at or datetime.min.replace(tzinfo=UTC), ev.line))
    checker = Checker(session, catalogue, rounds)
    checker.run(fresh, report.errors)
    if report.errors:
        report.errors.sort(key=lambda error: error.line)
        return report
    from bottles.journal_write import Writer

    report.registered = sorted(checker.crate_codes[crate] for crate in checker.registered)
    Writer(session, catalogue, checker).write(report)
    return report


def _existing(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, str]]:
    """(seq, content hash) of the file's events already in the ledger."""
    if not ids or session.scalar(select(Event.seq).limit(1)) is None:
        return {}
    found = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for event_id, seq, digest in session.execute(
                select(Event.id, Event.seq, Event.content_hash).where(Event.id.in_(chunk))):
            found[event_id] = (seq, digest)
    return found


def _same_content(session: Session, ev: Ev, stored: tuple[int, str], rounds: dict[str, int]) -> bool:
    """Whether a row's event is the one already recorded under its id."""
    corrects_seq = None
    if ev.corrects is not None:
        corrects_seq = session.scalar(select(Event.seq).where(Event.id == ev.corrects))
    if ev.point is None and ev.crate is not None and ev.kind in POINT_FROM_CRATE:
        # the point was taken from the crate when it was imported
        ev.point = session.scalar(select(Event.collection_point_id).where(Event.seq == stored[0]))
    ids = (ev.actor, ev.crate, ev.point, ev.washer, *(m.model_id for m in ev.moves),
           *(m.reason_id for m in ev.moves), *(m.winemaker_id for m in ev.moves))
    if any(i is not None and i < 0 for i in ids) or (ev.round and ev.round not in rounds):
        return False
    return content_hash(_draft(ev, rounds.get(ev.round) if ev.round else None, corrects_seq)) \
        == stored[1]


def _draft(ev: Ev, round_id: int | None, corrects_seq: int | None) -> Draft:
    return Draft(id=ev.id, kind=ev.kind, occurred_at=ev.at, actor_id=ev.actor, moves=ev.moves,
                 crate_id=ev.crate, collection_point_id=ev.point, washer_id=ev.washer,
                 round_id=round_id, corrects_seq=corrects_seq, note=ev.note, hours=ev.hours,
                 km=ev.km, water_l=ev.water, energy_kwh=ev.energy)


def _is_sorted(events: list[Ev]) -> bool:
    previous = None
    for ev in events:
        if ev.at is None:
            return False
        if previous is not None and ev.at < previous:
            return False
        previous = ev.at
    return True


def _move_key(move: Move) -> tuple:
    return (move.from_stage.value, move.to_stage.value, move.quantity, move.model_id or 0,
            move.reason_id or 0, move.unit_price_cents or 0, move.winemaker_id or 0)


class MissingColumn(LedgerError):
    """A row the importer cannot place: the message names the empty column and what it takes."""


class Checker:
    """The ledger's rules over the new events, in order, on in-memory projections."""

    def __init__(self, session: Session, catalogue: Catalogue, rounds: dict[str, int]) -> None:
        self.session = session
        self.catalogue = catalogue
        self.rounds = rounds
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
        self.stacks: dict[int, list[tuple[int, tuple]]] = {}
        self.db_stacks: dict[int, list[tuple[int, tuple]]] = {}
        self.first_seq = (session.scalar(select(Event.seq).order_by(Event.seq.desc()).limit(1))
                          or 0) + 1
        self.accepted: list[Ev] = []
        self.shapes: dict[tuple, str] = {}
        self.by_id: dict[uuid.UUID, Ev] = {}
        self.corrected: set[uuid.UUID] = set()
        self.touched_stocks: set[tuple] = set()
        self.touched_crates: set[int] = set()
        self.new_rounds: dict[str, list] = {}
        self.touched_rounds: set[str] = set()
        self.registered: list[int] = []

    def run(self, events: list[Ev], errors: list[RowError]) -> None:
        wanted = {ev.corrects for ev in events if ev.corrects is not None}
        seq = self.first_seq
        for ev in events:
            if ev.bad:
                continue
            try:
                if ev.crate is not None and ev.kind in POINT_FROM_CRATE:
                    self._point_from_crate(ev)
                if ev.crate is not None and self.catalogue.create_missing \
                        and ev.kind in CRATE_TRANSITIONS and ev.kind != Kind.CRATE_REGISTERED \
                        and self.crates.get(ev.crate, NO_CRATE)[0] is None:
                    seq = self._register(ev, seq)
                crate_now, deltas = self._check(ev, seq)
            except MissingColumn as error:
                errors.append(RowError(ev.line, str(error)))
                continue
            except LedgerError as error:
                errors.append(RowError(ev.line, f"{kind_label(ev.kind)} {ev.id} : {error}"))
                continue
            for key, delta in deltas.items():
                self.stocks[key] = self.stocks.get(key, 0) + delta
                self.touched_stocks.add(key)
            if crate_now is not None:
                self._move_crate(ev, crate_now, seq)
            ev.seq = seq
            seq += 1
            self.accepted.append(ev)
            if ev.id in wanted:
                self.by_id[ev.id] = ev
            if ev.round:
                self._note_round(ev)
            if ev.kind == Kind.CORRECTION:
                self.corrected.add(ev.corrects)

    def _point_from_crate(self, ev: Ev) -> None:
        """A row that names a crate but not its point takes the point where the crate is
        (for a receipt, the point of the crate's latest pickup)."""
        if ev.point is None:
            ev.point = self.crates.get(ev.crate, NO_CRATE)[1]

    def _register(self, ev: Ev, seq: int) -> int:
        """Register (and, for a first `crate_full`, place) a crate the file uses without a
        `crate_registered` row; the added events' ids derive from the row's, so a second
        import finds the crate registered and adds nothing. Returns the next seq."""
        code = self.crate_codes.get(ev.crate, "?")
        if ev.kind in (Kind.PICKUP, Kind.RECEIPT):
            raise LedgerError(f"caisse {code} : elle apparaît d'abord dans un(e) "
                              f"{kind_label(ev.kind)} sans avoir été déclarée pleine ; ajoutez "
                              "avant une ligne crate_full de cette caisse (ou laissez la colonne "
                              "crate vide).")
        steps = [(Kind.CRATE_REGISTERED, None, REGISTERED_NOTE)]
        if ev.kind == Kind.CRATE_FULL:
            if ev.point is None:
                raise MissingColumn(self._missing(ev, "collection_point"))
            steps.append((Kind.CRATE_PLACED, ev.point, PLACED_NOTE))
        for kind, point, note in steps:
            added = Ev(ev.line, uuid.uuid5(ev.id, kind.value), None)
            added.kind, added.at, added.actor, added.crate, added.point = kind, ev.at, None, ev.crate, point
            added.washer = added.round = added.corrects = None
            added.hours = added.km = added.water = added.energy = None
            added.note = note
            crate_now = apply_crate(self.crates.get(ev.crate, NO_CRATE), kind, seq, ev.at, point, None)
            self._move_crate(added, crate_now, seq)
            added.seq = seq
            seq += 1
            self.accepted.append(added)
        self.registered.append(ev.crate)
        return seq

    def _check(self, ev: Ev, seq: int) -> tuple[tuple | None, dict]:
        """What the event does to its crate and the stocks, or LedgerError."""
        if ev.kind == Kind.CORRECTION:
            return self._check_correction(ev)
        self._check_moves(ev)
        crate_now = None
        if ev.crate is not None and ev.kind in CRATE_TRANSITIONS:
            current = self.crates.get(ev.crate, NO_CRATE)
            try:
                crate_now = apply_crate(current, ev.kind, seq, ev.at, ev.point, ev.washer)
            except LedgerError as error:
                raise LedgerError(self._crate_message(ev.crate, current, error)) from None
        return crate_now, self._deltas(ev)

    def _check_moves(self, ev: Ev) -> None:
        """rules.check_moves and the columns the event needs, remembered by the event's shape
        (quantities are bounded when read)."""
        shape = (ev.kind, ev.crate is None, ev.point is None, ev.washer is None,
                 *((m.from_stage, m.to_stage, m.model_id is None, m.reason_id is None,
                    m.unit_price_cents, m.winemaker_id is None) for m in ev.moves))
        known = self.shapes.get(shape)
        if known is None:
            allowed = ALLOWED_MOVES.get(ev.kind, ())
            empty = None if any((m.from_stage, m.to_stage) not in allowed for m in ev.moves) \
                else self._empty_column(ev)
            try:
                if empty:
                    raise MissingColumn(self._missing(ev, empty))
                check_moves(ev.kind, ev.moves)
                known = ""
            except LedgerError as error:
                known = error
            self.shapes[shape] = known
        if known:
            raise known

    def _empty_column(self, ev: Ev) -> str | None:
        """The first column the event needs and leaves empty, or None."""
        if ev.crate is None and ev.kind in CRATE_KINDS:
            return "crate"
        if ev.point is None and ev.kind == Kind.CRATE_PLACED:
            return "collection_point"
        for move in ev.moves:
            for stage in (move.from_stage, move.to_stage):
                site = STOCK_SITE.get(stage)
                if site == Site.COLLECTION_POINT and ev.point is None:
                    return "collection_point"
                if site == Site.WASHER and ev.washer is None:
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

    def _missing(self, ev: Ev, column: str) -> str:
        """"colonne X vide — attendu : …", with an example from the catalogue."""
        if column == "unit_price_eur":
            return "colonne unit_price_eur vide — attendu : le prix unitaire en euros (ex. 0.30)."
        what, example = EXPECTED[column]
        known = self.catalogue.known[COLUMN_CATALOGUE[column]]
        if known:
            example = min(known)
        alternative = POINT_FROM_CRATE.get(ev.kind) if column == "collection_point" else None
        return (f"colonne {column} vide — attendu : {what} (ex. {example})"
                + (f", {alternative}" if alternative else "") + ".")

    def _deltas(self, ev: Ev) -> dict:
        deltas = stock_deltas(ev.moves, {Site.COLLECTION_POINT: ev.point, Site.WASHER: ev.washer})
        for key, delta in deltas.items():
            have = self.stocks.get(key, 0)
            if have + delta < 0:
                raise LedgerError(self._shortage(key, have, -delta))
        return deltas

    def _crate_message(self, crate_id: int, current: tuple, error: LedgerError) -> str:
        code = self.crate_codes.get(crate_id, "?")
        state, _cp, _w, since, _last = current
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
        site = self._code_of(site_kind, site_id)
        model = f" ({self._code_of('model', model_id)})" if model_id else ""
        return (f"stock insuffisant — {STAGE_LABELS[Stage(stage)]}{model} à {site} : {have} "
                f"bouteilles disponibles, il en faudrait {need} ({need - have} de trop).")

    def _code_of(self, kind: str, id_: int) -> str:
        for table in (self.catalogue.known[kind], self.catalogue.missing.get(kind, {})):
            for code, known_id in table.items():
                if known_id == id_:
                    return code
        return "site inconnu"

    def _check_correction(self, ev: Ev) -> tuple[tuple | None, dict]:
        target = self._target(ev.corrects)
        if target is None:
            raise LedgerError(f"l'événement à corriger {ev.corrects} n'existe pas (ni dans la base "
                              "ni plus tôt dans le fichier).")
        if target.kind == Kind.CORRECTION:
            raise LedgerError("une correction ne peut pas être corrigée ; enregistrez l'événement juste.")
        if not ev.note.strip():
            raise LedgerError("une correction doit donner son motif (note).")
        if target.id in self.corrected or (target.seq < self.first_seq and self.session.scalar(
                select(Event.seq).where(Event.corrects_seq == target.seq)) is not None):
            raise LedgerError("cet événement a déjà été corrigé.")
        if sorted(map(_move_key, ev.moves)) != sorted(map(_move_key, reverse(target.moves))):
            raise LedgerError("les mouvements d'une correction doivent être l'inverse exact de ceux "
                              "de l'événement corrigé.")
        for attr, label in (("crate", "caisse"), ("point", "point de collecte"),
                            ("washer", "centre de lavage"), ("round", "tournée")):
            mine, theirs = getattr(ev, attr), getattr(target, attr)
            if mine is not None and mine != theirs:
                raise LedgerError(f"la {label} d'une correction doit être celle de l'événement corrigé.")
            setattr(ev, attr, theirs)
        ev.corrects_seq = target.seq
        crate_now = None
        if ev.crate is not None and target.kind in CRATE_TRANSITIONS:
            current = self.crates.get(ev.crate, NO_CRATE)
            if current[4] != target.seq:
                raise LedgerError(f"la caisse {self.crate_codes.get(ev.crate, '?')} a bougé depuis "
                                  "cet événement : corrigez d'abord les événements suivants.")
            crate_now = self._pop_crate(ev.crate)
        return crate_now, self._deltas(ev)

    def _target(self, event_id: uuid.UUID) -> Ev | None:
        """The corrected event: earlier in this file, or in the database."""
        if event_id in self.by_id:
            return self.by_id[event_id]
        row = self.session.scalar(select(Event).where(Event.id == event_id))
        if row is None:
            return None
        target = Ev(0, row.id, None)
        target.kind, target.seq, target.moves = Kind(row.kind), row.seq, moves_of(row)
        target.crate, target.point, target.washer = row.crate_id, row.collection_point_id, row.washer_id
        target.round = next((code for code, id_ in self.rounds.items() if id_ == row.round_id), None)
        self.by_id[event_id] = target
        return target

    def _pop_crate(self, crate_id: int) -> tuple:
        """The crate projection once its latest transition is undone (sentinel: popped)."""
        stack = self.stacks.get(crate_id) or []
        if stack:
            stack.pop()
            if stack:
                return ("pop", stack[-1][1])
        below = self.db_stacks.get(crate_id)
        if below is None:
            below = self.db_stacks[crate_id] = self._db_stack(crate_id)
        if not stack and below and self.crates.get(crate_id, NO_CRATE)[4] == below[-1][0]:
            below.pop()
        return ("pop", below[-1][1] if below else NO_CRATE)

    def _db_stack(self, crate_id: int) -> list[tuple[int, tuple]]:
        rows = self.session.execute(
            select(Event.seq, Event.kind, Event.corrects_seq, Event.occurred_at,
                   Event.collection_point_id, Event.washer_id)
            .where(Event.crate_id == crate_id).order_by(Event.seq)).all()
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

    def _move_crate(self, ev: Ev, crate_now: tuple, seq: int) -> None:
        self.touched_crates.add(ev.crate)
        if crate_now[0] == "pop":
            self.crates[ev.crate] = crate_now[1]
            return
        self.crates[ev.crate] = crate_now
        self.stacks.setdefault(ev.crate, []).append((seq, crate_now))

    def _note_round(self, ev: Ev) -> None:
        self.touched_rounds.add(ev.round)
        if ev.round in self.rounds:
            return
        info = self.new_rounds.get(ev.round)
        if info is None:
            self.new_rounds[ev.round] = [ev.actor, ev.at.astimezone(PARIS).date(), ev.washer,
                                         ev.kind == Kind.PICKUP]
            return
        if not info[3] and ev.kind == Kind.PICKUP:
            info[0], info[3] = ev.actor, True
        if info[2] is None:
            info[2] = ev.washer
