"""The ledger's write path: one event at a time, idempotent, never a negative stock.

Operations take the actor and the time explicitly, append, flush, and never commit.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from bottles import signals
from bottles.field_time import before_previous
from bottles.i18n import label
from bottles.models import (
    BottleModel,
    CollectionPoint,
    Crate,
    Event,
    Movement,
    StockLevel,
    Washer,
    Winemaker,
    utcnow,
)
from bottles.rules import (
    CRATE_TRANSITIONS,
    STAGE_LABELS,
    STOCK_SITE,
    CrateState,
    Kind,
    LedgerError,
    Move,
    Site,
    Stage,
    check_moves,
    next_crate_state,
    reverse,
    stock_deltas,
)

MAX_NOTE = 2000
LIVE_SINCE = "boucle.live_since"  # session.info: when the request's unit of work began (see live())
CONFLICT_MESSAGE = _l("Cet identifiant d'événement a déjà servi pour un autre contenu : rien n'est "
                    "enregistré. Rechargez la page avant de recommencer.")


class LedgerConflict(LedgerError):
    """An event id reused with a different content."""


@dataclass
class Draft:
    """An event as a form, a scan or a journal row describes it, ids resolved."""

    id: uuid.UUID
    kind: Kind
    occurred_at: datetime
    actor_id: int | None
    moves: list[Move] = field(default_factory=list)
    crate_id: int | None = None
    collection_point_id: int | None = None
    washer_id: int | None = None
    round_id: int | None = None
    corrects_seq: int | None = None
    note: str = ""
    hours: Decimal | None = None
    km: Decimal | None = None
    water_l: Decimal | None = None
    energy_kwh: Decimal | None = None
    field: bool = False  # occurred_at is a phone's field time: kept (at most the server's), checked in order

    def sites(self) -> dict[Site, int | None]:
        return {Site.COLLECTION_POINT: self.collection_point_id, Site.WASHER: self.washer_id}


@dataclass(frozen=True)
class Recorded:
    event: Event
    created: bool


def decimal_text(value: Decimal | None) -> str | None:
    """A decimal's canonical text (no exponent, no trailing zeros), as the content hash reads it."""
    return None if value is None else format(Decimal(value).normalize(), "f")


def none_first_key(values: list) -> list[tuple]:
    """Sort key for movements where some ids are None (None sorts first, never compared)."""
    return [(value is not None, value if value is not None else 0) for value in values]


def content_hash(draft: Draft) -> str:
    """A digest of everything the event says, to tell a replay from a reused id."""
    body = [
        draft.kind.value, draft.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        draft.actor_id,
        draft.crate_id, draft.collection_point_id, draft.washer_id, draft.round_id,
        draft.corrects_seq, draft.note, decimal_text(draft.hours), decimal_text(draft.km),
        decimal_text(draft.water_l), decimal_text(draft.energy_kwh),
        sorted(([m.from_stage.value, m.to_stage.value, m.quantity, m.model_id, m.reason_id,
                 m.unit_price_cents, m.winemaker_id] for m in draft.moves), key=none_first_key),
    ]
    return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()


_EVENT_BY_ID = select(Event).where(Event.id == bindparam("event_id"))
_CRATE_BY_CODE_LOCKED = (select(Crate).where(Crate.code == bindparam("code")).with_for_update(of=Crate)
                         .options(lazyload("*")).execution_options(populate_existing=True))


def event_by_id(session: Session, event_id: uuid.UUID) -> Event | None:
    """The event a client's id names, if recorded (built once: every write looks one up)."""
    return session.scalar(_EVENT_BY_ID, {"event_id": event_id})


def moves_of(event: Event) -> list[Move]:
    return [
        Move(Stage(m.from_stage), Stage(m.to_stage), m.quantity, m.bottle_model_id, m.reason_id,
             m.unit_price_cents, m.winemaker_id)
        for m in event.movements
    ]


def record(session: Session, draft: Draft) -> Recorded:
    """Append `draft` once: the same id and content again is a no-op, a changed one refused.

    Its crate and stock rows are locked first, in the global order (`lock_in_order`); only then
    are its time read (see `live`) and its seq drawn, so seq order and time order agree for
    events that depend on each other.
    """
    if len(draft.note or "") > MAX_NOTE:
        raise LedgerError(_l("La note dépasse %(n)s caractères.", n=MAX_NOTE))
    if draft.occurred_at.tzinfo is None:
        raise LedgerError(_l("La date de l'événement doit porter son fuseau horaire."))
    if draft.kind == Kind.CORRECTION:
        _prepare_correction(session, draft)
    deltas = stock_deltas(draft.moves, draft.sites())
    levels = lock_in_order(session, [draft.crate_id], deltas)
    clock = utcnow()
    since = session.info.get(LIVE_SINCE)
    on_clock = not draft.field and since is not None and since <= draft.occurred_at <= clock
    stamped = replace(draft, occurred_at=clock if on_clock else field_dated(draft, clock))
    digest = content_hash(stamped)

    def replay(recorded: Event) -> Recorded:
        """The same event again (a time read from the clock is the recorded one's), or a conflict."""
        at = recorded.occurred_at if on_clock else field_dated(draft, recorded.recorded_at)
        same = content_hash(replace(draft, occurred_at=at))
        if recorded.content_hash != same:
            raise LedgerConflict(CONFLICT_MESSAGE)
        return Recorded(recorded, False)

    locks = held(session)
    # Looked up after the locks (a twin committed meanwhile is seen), unless the operation just did,
    # under these locks (a twin that needs none is still caught by the insert's savepoint).
    existing = None if draft.id in locks.unused_ids else event_by_id(session, draft.id)
    if existing is not None:
        return replay(existing)
    check_moves(draft.kind, draft.moves)
    if draft.field and draft.crate_id is not None:
        _check_field_order(session, stamped)
    event = Event(
        id=draft.id, kind=draft.kind.value, occurred_at=stamped.occurred_at,
        recorded_at=clock, actor_id=draft.actor_id, crate_id=draft.crate_id,
        collection_point_id=draft.collection_point_id, washer_id=draft.washer_id,
        round_id=draft.round_id, corrects_seq=draft.corrects_seq, note=draft.note or "",
        hours=draft.hours, km=draft.km, water_l=draft.water_l, energy_kwh=draft.energy_kwh,
        content_hash=digest,
    )
    event.movements = [
        Movement(bottle_model_id=m.model_id, from_stage=m.from_stage.value,
                 to_stage=m.to_stage.value, quantity=m.quantity, reason_id=m.reason_id,
                 unit_price_cents=m.unit_price_cents, winemaker_id=m.winemaker_id)
        for m in draft.moves
    ]
    try:
        with session.begin_nested():  # a twin that holds no lock (no crate, no stock) may win the insert
            session.add(event)
            session.flush()
        locks.unused_ids.discard(draft.id)
    except IntegrityError:
        twin = event_by_id(session, draft.id)
        if twin is None:
            raise
        return replay(twin)
    if draft.crate_id is not None and (draft.kind in CRATE_TRANSITIONS
                                       or draft.kind == Kind.CORRECTION):
        _move_crate(session, stamped, event)
    _apply_locked(session, deltas, levels)
    session.flush()
    signals.announce(session, event)
    return Recorded(event, True)


def field_dated(draft: Draft, clock: datetime) -> datetime:
    """The time an event is dated by: a field time ahead of the server's clock (a phone running
    fast, within FIELD_TIME_FUTURE) is the server's; any other time as given."""
    return min(draft.occurred_at, clock) if draft.field else draft.occurred_at


def _check_field_order(session: Session, draft: Draft) -> None:
    """A field time may not precede its crate's previous event (in seq order) by more than two
    clocks' skew: the crate is locked, so that event is the one check-ledger will compare with."""
    previous = session.scalar(select(Event.occurred_at).where(Event.crate_id == draft.crate_id)
                              .order_by(Event.seq.desc()).limit(1))
    if previous is not None:
        crate = session.get(Crate, draft.crate_id)  # locked and read by lock_in_order: no query
        before_previous(draft.occurred_at, previous, crate.code if crate is not None else "?")


@contextmanager
def live(session: Session) -> Iterator[None]:
    """Within: a request's unit of work. A time it read from the server's clock (at or after the
    start) dates its event when the event's locks are held, not when the request began; a time
    typed or imported (earlier) is kept. A phone's clock is never the order of record: seq is."""
    session.info[LIVE_SINCE] = utcnow()
    try:
        yield
    finally:
        session.info.pop(LIVE_SINCE, None)


def lock_in_order(session: Session, crate_ids: Iterable[int | None] = (),
                  stock_keys: Iterable[tuple] = ()) -> dict[tuple, tuple[int, int]]:
    """Take write locks in the one global order, crates by id, then stock rows by key; returns
    each stock row's (id, quantity) under its lock. Every writer locks through here (record()
    for its own event, the API's write for its crate first: `lock_by_code`), so no two wait in a circle.

    A row this transaction already locked (and read under its lock) is not locked or read again:
    see `held`."""
    locks = held(session)
    ids = sorted({crate_id for crate_id in crate_ids if crate_id is not None} - locks.crates)
    if ids:
        session.scalars(select(Crate).where(Crate.id.in_(ids)).order_by(Crate.id)
                        .with_for_update(of=Crate).options(lazyload("*"))
                        .execution_options(populate_existing=True)).all()
        locks.crates.update(ids)
    keys = sorted(set(stock_keys))
    wanted = [key for key in keys if key not in locks.stocks]
    if wanted:
        session.execute(
            _insert_ignore(session).values(
                [{"stage": s, "site_id": site, "model_id": m, "quantity": 0} for s, site, m in wanted]
            ).on_conflict_do_nothing(index_elements=["stage", "site_id", "model_id"])
        )
    for key in wanted:
        stage, site_id, model_id = key
        locks.stocks[key] = tuple(session.execute(
            select(StockLevel.id, StockLevel.quantity)
            .where(StockLevel.stage == stage, StockLevel.site_id == site_id,
                   StockLevel.model_id == model_id)
            .with_for_update()
        ).one())
    return {key: locks.stocks[key] for key in keys}


def lock_by_code(session: Session, code: str) -> Crate | None:
    """The crate named `code`, read under its row lock in one statement when this transaction holds
    no lock yet (one crate alone is in the global order); lock_in_order will not read it again."""
    locks = held(session)
    if locks.crates or locks.stocks:  # already holding: take it in the global order instead
        crate = session.scalar(select(Crate).where(Crate.code == code))
        if crate is not None:
            lock_in_order(session, [crate.id])
        return crate
    crate = session.scalar(_CRATE_BY_CODE_LOCKED, {"code": code})
    if crate is not None:
        locks.crates.add(crate.id)
    return crate


@dataclass
class Held:
    """What this transaction holds locked: crate ids (their rows re-read under the lock) and stock
    rows by key with their (id, quantity) as this transaction leaves them."""

    crates: set[int] = field(default_factory=set)
    stocks: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    unused_ids: set[uuid.UUID] = field(default_factory=set)  # event ids looked up, absent, under the locks


HELD = "boucle.held_locks"  # session.info: the transaction's Held, forgotten when it ends


def held(session: Session) -> Held:
    """The locks this transaction took through `lock_in_order`: a batch's lines and record() take
    them again for free. Forgotten at the transaction's end and at any rollback, a savepoint's too
    (PostgreSQL releases the locks a rolled-back savepoint took; the rows may be re-read)."""
    return session.info.setdefault(HELD, Held())


def _forget_held(session: Session, *_args) -> None:
    session.info.pop(HELD, None)


def _transaction_ended(session: Session, transaction) -> None:
    if transaction.parent is None:
        _forget_held(session)


sa_event.listen(Session, "after_soft_rollback", _forget_held)
sa_event.listen(Session, "after_transaction_end", _transaction_ended)


def _prepare_correction(session: Session, draft: Draft) -> None:
    """Fill a correction draft with the exact reverse of the event it corrects."""
    target = session.get(Event, draft.corrects_seq) if draft.corrects_seq else None
    if target is None:
        raise LedgerError(_l("L'événement à corriger n'existe pas."))
    if target.kind == Kind.CORRECTION:
        raise LedgerError(_l("Une correction ne peut pas être corrigée ; enregistrez l'événement juste."))
    if not draft.note.strip():
        raise LedgerError(_l("Une correction doit donner son motif."))
    draft.moves = reverse(moves_of(target))
    draft.crate_id = target.crate_id
    draft.collection_point_id = target.collection_point_id
    draft.washer_id = target.washer_id
    draft.round_id = target.round_id
    other = session.scalar(select(Event.seq).where(Event.corrects_seq == target.seq))
    if other is not None and session.scalar(select(Event.id).where(Event.seq == other)) != draft.id:
        raise LedgerError(_l("Cet événement a déjà été corrigé."))


def _move_crate(session: Session, draft: Draft, event: Event) -> None:
    """Update the crate projection in the same transaction; a concurrent change loses."""
    crate = session.get(Crate, draft.crate_id)  # locked and re-read by record()
    if crate is None:
        raise LedgerError(_l("Caisse inconnue."))
    if draft.kind == Kind.CORRECTION:
        target = session.get(Event, draft.corrects_seq)
        if target.kind not in CRATE_TRANSITIONS:
            return
        if crate.last_event_seq != target.seq:
            raise LedgerError(_l("La caisse %(code)s a bougé depuis cet événement : corrigez d'abord "
                                 "les événements suivants.", code=crate.code))
        history = session.scalars(
            select(Event).where(Event.crate_id == crate.id).order_by(Event.seq)).all()
        state = replay_crate([(e.seq, Kind(e.kind), e.corrects_seq, e.occurred_at,
                               e.collection_point_id, e.washer_id) for e in history])
        crate.state, crate.collection_point_id, crate.washer_id, crate.state_since = state[:4]
        crate.last_event_seq = state[4]
        return
    current = CrateState(crate.state) if crate.state else None
    crate_now = apply_crate(
        (current, crate.collection_point_id, crate.washer_id,
         crate.state_since, crate.last_event_seq),
        draft.kind, event.seq, draft.occurred_at, draft.collection_point_id, draft.washer_id)
    crate.state, crate.collection_point_id, crate.washer_id, crate.state_since = crate_now[:4]
    crate.last_event_seq = crate_now[4]


CrateProjection = tuple  # (state, collection_point_id, washer_id, since, last_event_seq)


def apply_crate(current: CrateProjection, kind: Kind, seq: int, occurred_at: datetime,
                point_id: int | None, washer_id: int | None) -> CrateProjection:
    """The crate projection after one transition (pure)."""
    state, cp, washer, _since, _last = current
    new_state = next_crate_state(kind, CrateState(state) if state else None)
    if kind in (Kind.CRATE_PLACED, Kind.CRATE_FULL, Kind.PICKUP):
        cp = point_id or cp
    if kind in (Kind.CRATE_PLACED, Kind.PICKUP):
        washer = None
    if kind in (Kind.RECEIPT, Kind.CRATE_REGISTERED):
        cp, washer = None, washer_id
    return (new_state.value, cp, washer, occurred_at, seq)


def replay_crate(events: list[tuple]) -> CrateProjection:
    """Replay (seq, kind, corrects_seq, occurred_at, point, washer) rows in seq order."""
    stack: list[tuple[int, CrateProjection]] = []
    current: CrateProjection = (None, None, None, None, None)
    for seq, kind, corrects, occurred_at, point_id, washer_id in events:
        if kind == Kind.CORRECTION:
            if stack and stack[-1][0] == corrects:
                stack.pop()
                current = stack[-1][1] if stack else (None, None, None, None, None)
            continue
        if kind not in CRATE_TRANSITIONS:
            continue
        current = apply_crate(current, kind, seq, occurred_at, point_id, washer_id)
        stack.append((seq, current))
    return current


def _insert_ignore(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(StockLevel)


def apply_stock(session: Session, deltas: dict[tuple, int]) -> None:
    """Add `deltas` to the stock projection, refusing any stock that would go negative."""
    if deltas:
        _apply_locked(session, deltas, lock_in_order(session, (), deltas))


def _apply_locked(session: Session, deltas: dict[tuple, int], levels: dict[tuple, tuple[int, int]]) -> None:
    """Add `deltas` to stock rows already locked (`levels`: id and quantity under the lock)."""
    for key in sorted(deltas):
        level_id, quantity = levels[key]
        if quantity + deltas[key] < 0:
            raise LedgerError(_shortage_message(session, key, quantity, -deltas[key]))
        session.execute(update(StockLevel).where(StockLevel.id == level_id)
                        .values(quantity=StockLevel.quantity + deltas[key]))
        locks = held(session)
        if key in locks.stocks:  # the quantity this transaction now leaves, for its next event
            locks.stocks[key] = (level_id, quantity + deltas[key])


def _shortage_message(session: Session, key: tuple, have: int, need: int) -> LazyString:
    """Which stock, where, how many there are and how many too many (lazy: the person's language)."""
    stage, site_id, model_id = key
    site_kind = STOCK_SITE[Stage(stage)]
    site_model = {Site.COLLECTION_POINT: CollectionPoint, Site.WASHER: Washer,
                  Site.WINEMAKER: Winemaker}[site_kind]
    site = session.get(site_model, site_id) if site_id else None
    site_name = getattr(site, "name", None) or getattr(site, "estate", None) or _l("site inconnu")
    model = session.get(BottleModel, model_id) if model_id else None
    values = {"stage": _l(STAGE_LABELS[Stage(stage)]), "site": site_name, "have": have, "need": need,
              "extra": need - have}
    if model is None:
        return _l("Stock insuffisant — %(stage)s à %(site)s : %(have)s bouteilles disponibles, il en "
                  "faudrait %(need)s (%(extra)s de trop).", **values)
    return _l("Stock insuffisant — %(stage)s (%(model)s) à %(site)s : %(have)s bouteilles disponibles, "
              "il en faudrait %(need)s (%(extra)s de trop).", model=LazyString(label, model), **values)


def install_append_only_guard(session_class: type[Session]) -> None:
    """Refuse, in the ORM, any update or delete of events and movements (once per class)."""
    if getattr(session_class, "_boucle_append_only", False):
        return
    session_class._boucle_append_only = True

    @sa_event.listens_for(session_class, "before_flush")
    def _refuse_changes(session: Session, _ctx, _instances) -> None:
        for obj in list(session.dirty) + list(session.deleted):
            if isinstance(obj, Event | Movement) and (
                obj in session.deleted or session.is_modified(obj, include_collections=False)
            ):
                raise LedgerError(_l("Le journal des mouvements est en ajout seul."))

    @sa_event.listens_for(session_class, "do_orm_execute")
    def _refuse_bulk(state) -> None:
        if (state.is_update or state.is_delete) and state.bind_mapper is not None and \
                state.bind_mapper.class_ in (Event, Movement):
            raise LedgerError(_l("Le journal des mouvements est en ajout seul."))
