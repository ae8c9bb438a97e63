"""Writes of the washer's work: each one a single ledger event (take actor and time, never commit)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask import has_app_context
from flask_babel import LazyString, format_date, format_time
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles import i18n
from bottles.ledger import Draft, Recorded, event_by_id, held, record
from bottles.models import BottleModel, Crate, Event, Reason, User, Washer, Winemaker
from bottles.rules import (
    CRATE_STATE_LABELS,
    KIND_LABELS,
    PARIS,
    CrateState,
    Kind,
    LedgerError,
    Move,
    Stage,
)
from washer import queries, scope
from washer.rules import DEFAULT_REASONS, MAX_PALLET, InputError, NotYours, unbalanced

CORRECTABLE = frozenset(queries.WASHER_KINDS)


def ensure_reasons(session: Session, kind: str) -> list[Reason]:
    """The active reasons of `kind`; the standard ones are created if the catalogue has none."""
    found = queries.reasons(session, kind)
    if found:
        return found
    existing = set(session.scalars(select(Reason.code)))
    for code, label in DEFAULT_REASONS[kind]:
        if code not in existing:
            session.add(Reason(code=code, kind=kind, label_fr=label))
    session.flush()
    return queries.reasons(session, kind)


def _reason(session: Session, reason_id: int | None, kind: str, what: str | LazyString,
            field: str | None = None) -> int:
    reason = session.get(Reason, reason_id) if reason_id else None
    if reason is None or reason.kind != kind or not reason.active:
        raise InputError(_l("%(what)s : choisissez un motif dans la liste.", what=what), field)
    return reason.id


def _models_known(session: Session, model_ids: set[int], pool_only: bool = False) -> None:
    if not model_ids:
        return
    rows = session.execute(select(BottleModel.id, BottleModel.in_pool, BottleModel.active)
                           .where(BottleModel.id.in_(model_ids))).all()
    known = {i for i, in_pool, active in rows if active and (in_pool or not pool_only)}
    if model_ids - known:
        raise InputError(_l("Modèle de bouteille inconnu du catalogue (ou hors filière) : rien n'est "
                            "enregistré."))


def _check_washer(session: Session, washer_id: int, allowed: set[int] | None) -> Washer:
    washer = session.get(Washer, washer_id)
    if washer is None or (allowed is not None and washer_id not in allowed):
        raise NotYours(_l("Ce centre de lavage n'est pas le vôtre : rien n'est enregistré."))
    return washer


# --- Receipt ---------------------------------------------------------------------------------


def not_in_transit(crate: Crate) -> LazyString:
    """Why a crate cannot be received: where it is and since when."""
    state = _l(CRATE_STATE_LABELS.get(CrateState(crate.state), crate.state)) if crate.state else "—"
    site = crate.washer.name if crate.washer else (
        crate.collection_point.name if crate.collection_point else "")
    where = " (" + site + ")" if site else ""
    return _l("La caisse %(code)s n'est pas en transport : elle est %(state)s%(where)s depuis le %(since)s.",
              code=crate.code, state=state, where=where,
              since=moment(crate.state_since) if crate.state_since else "?")


def moment(at: datetime) -> LazyString:
    """"01/03/2026 à 14:05" in French (and outside the app), "3/1/26 at 2:05 PM" in English."""
    local = at.astimezone(PARIS)

    def text() -> str:
        if not has_app_context():
            return local.strftime("%d/%m/%Y à %H:%M")
        return str(_l("%(date)s à %(time)s", date=format_date(local.date(), "short"),
                      time=format_time(local, "short")))
    return LazyString(text)


def receive(session: Session, *, actor: User, at: datetime, event_id: uuid.UUID, washer_id: int,
            crate: Crate, counted: int, reason_id: int | None = None, note: str = "",
            allowed: set[int] | None = None, field: bool = False,
            expected: queries.Declared | None = None) -> Recorded:
    """A crate arrives: its counted bottles enter `received`, a difference is lost or surplus
    (`field`: `at` is the phone's field time, kept and checked by the ledger; `expected`: what
    `queries.declared` says of the crate, when the caller read it already under its lock)."""
    _check_washer(session, washer_id, allowed)
    scope.washer_may_receive(session, actor, crate, washer_id)  # before the replay (a received crate: anyone)
    locks = held(session)
    looked = crate.id in locks.crates and event_id in locks.unused_ids  # by the caller, under the lock
    replay = None if looked else event_by_id(session, event_id)
    if replay is not None:  # the same scan again: the ledger answers it as a no-op
        return Recorded(replay, False)
    if crate.id in locks.crates:  # looked under the crate's lock (the scan station's): record() need
        locks.unused_ids.add(event_id)  # not look again
    if crate.state != CrateState.IN_TRANSIT.value:
        raise LedgerError(not_in_transit(crate))
    expected = expected or queries.declared(session, crate)
    moves: list[Move] = []
    shared = min(counted, expected.quantity)
    if shared:
        moves.append(Move(Stage.IN_TRANSIT, Stage.RECEIVED, shared))
    if counted < expected.quantity:
        moves.append(Move(Stage.IN_TRANSIT, Stage.LOST, expected.quantity - counted,
                          reason_id=_reason(session, reason_id, "loss", _l("Bouteilles manquantes"),
                                            "reason_id")))
    elif counted > expected.quantity:
        moves.append(Move(Stage.OUTSIDE, Stage.RECEIVED, counted - expected.quantity,
                          reason_id=_reason(session, reason_id, "surplus", _l("Bouteilles en plus"),
                                            "reason_id")))
    if not moves:
        raise InputError(_l("Caisse vide annoncée et comptée vide : rien à réceptionner."))
    return record(session, Draft(
        id=event_id, kind=Kind.RECEIPT, occurred_at=at, actor_id=actor.id, moves=moves,
        crate_id=crate.id, collection_point_id=expected.point_id, washer_id=washer_id,
        round_id=expected.round_id, note=note.strip(), field=field))


# --- Sorting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    reason_id: int
    quantity: int
    winemaker_id: int | None = None


def sort(session: Session, *, actor: User, at: datetime, event_id: uuid.UUID, washer_id: int,
         eligible: dict[int, int], refusals: list[Refusal], hours: Decimal | None = None,
         note: str = "", allowed: set[int] | None = None) -> Recorded:
    """A sorting session: received bottles become sorted lots by model, or are refused."""
    _check_washer(session, washer_id, allowed)
    eligible = {m: q for m, q in eligible.items() if q}
    _models_known(session, set(eligible), pool_only=True)
    moves = [Move(Stage.RECEIVED, Stage.SORTED, q, model_id=m) for m, q in sorted(eligible.items())]
    for refusal in refusals:
        if not refusal.quantity:
            continue
        reason = _reason(session, refusal.reason_id, "refusal", _l("Bouteilles écartées"),
                         f"r-{refusal.reason_id}")
        if refusal.winemaker_id is not None and session.get(Winemaker, refusal.winemaker_id) is None:
            raise InputError(_l("Domaine inconnu pour l'étiquette permanente."))
        moves.append(Move(Stage.RECEIVED, Stage.REFUSED, refusal.quantity, reason_id=reason,
                          winemaker_id=refusal.winemaker_id))
    if not moves:
        raise InputError(_l("Aucune bouteille triée ni écartée : rien à enregistrer."))
    return record(session, Draft(id=event_id, kind=Kind.SORTING, occurred_at=at, actor_id=actor.id,
                                 moves=moves, washer_id=washer_id, hours=hours, note=note.strip()))


# --- Wash batch ------------------------------------------------------------------------------


@dataclass
class WashLine:
    model_id: int
    taken: int
    accepted: int
    rejects: dict[int, int] = field(default_factory=dict)  # reason id → bottles


def wash(session: Session, *, actor: User, at: datetime, event_id: uuid.UUID, washer_id: int,
         lines: list[WashLine], water_l: Decimal | None = None, energy_kwh: Decimal | None = None,
         hours: Decimal | None = None, note: str = "", allowed: set[int] | None = None) -> Recorded:
    """A wash batch: sorted bottles come out clean (accepted) or rejected, per model."""
    _check_washer(session, washer_id, allowed)
    lines = [line for line in lines if line.taken or line.accepted or any(line.rejects.values())]
    if not lines:
        raise InputError(_l("Le lot ne prend aucune bouteille : indiquez au moins un modèle."))
    _models_known(session, {line.model_id for line in lines})
    models = {model.id: model for model in session.scalars(select(BottleModel))}
    wrong = {f"t-{line.model_id}": unbalanced(model_name(models.get(line.model_id)), line.taken,
                                              line.accepted, sum(line.rejects.values()))
             for line in lines if line.accepted + sum(line.rejects.values()) != line.taken}
    if wrong:
        raise InputError(LazyString(lambda: " ".join(str(why) for why in wrong.values())), fields=wrong)
    moves: list[Move] = []
    for line in lines:
        if line.accepted:
            moves.append(Move(Stage.SORTED, Stage.CLEAN, line.accepted, model_id=line.model_id))
        for reason_id, quantity in sorted(line.rejects.items()):
            if quantity:
                moves.append(Move(Stage.SORTED, Stage.REJECTED, quantity, model_id=line.model_id,
                                  reason_id=_reason(session, reason_id, "reject", _l("Rebuts"),
                                                    f"x-{line.model_id}-{reason_id}")))
    return record(session, Draft(id=event_id, kind=Kind.WASH, occurred_at=at, actor_id=actor.id,
                                 moves=moves, washer_id=washer_id, water_l=water_l,
                                 energy_kwh=energy_kwh, hours=hours, note=note.strip()))


# --- Stock-take ------------------------------------------------------------------------------

STOCKTAKE_STAGES = (Stage.RECEIVED, Stage.SORTED, Stage.CLEAN)


def stocktake(session: Session, *, actor: User, at: datetime, event_id: uuid.UUID, washer_id: int,
              stage: Stage, counted: dict[int, int], loss_reason_id: int | None,
              surplus_reason_id: int | None, note: str = "",
              allowed: set[int] | None = None) -> Recorded | None:
    """Counted against expected per model (0 = mixed); differences become losses or surpluses.

    Returns None when everything matches (nothing to record).
    """
    _check_washer(session, washer_id, allowed)
    if stage not in STOCKTAKE_STAGES:
        raise InputError(_l("Étape d'inventaire inconnue."))
    if stage == Stage.RECEIVED:
        counted = {0: sum(counted.values())} if counted else {}
    else:
        _models_known(session, {m for m in counted if m})
    expected = queries.stocks(session, washer_id)[stage]
    moves: list[Move] = []
    for model_id in sorted(set(expected) | set(counted)):
        if model_id not in counted:
            continue  # a model not counted is left as it is
        diff = counted[model_id] - expected.get(model_id, 0)
        model = model_id or None
        if diff < 0:
            moves.append(Move(stage, Stage.LOST, -diff, model_id=model,
                              reason_id=_reason(session, loss_reason_id, "loss", _l("Manquants"),
                                                "loss_reason")))
        elif diff > 0:
            moves.append(Move(Stage.OUTSIDE, stage, diff, model_id=model,
                              reason_id=_reason(session, surplus_reason_id, "surplus", _l("Surplus"),
                                                "surplus_reason")))
    if not moves:
        return None
    return record(session, Draft(id=event_id, kind=Kind.STOCKTAKE, occurred_at=at, actor_id=actor.id,
                                 moves=moves, washer_id=washer_id, note=note.strip()))


# --- Corrections and settings ----------------------------------------------------------------


def correct(session: Session, *, actor: User, at: datetime, event_id: uuid.UUID, target_seq: int,
            note: str, allowed: set[int] | None = None) -> Recorded:
    """Reverse a receipt, sorting, batch, stock-take or sale of one's own washer, with a reason."""
    target = session.get(Event, target_seq)
    if target is None or (allowed is not None and target.washer_id not in allowed):
        raise InputError(_l("Événement introuvable dans votre centre de lavage."))
    if target.kind not in CORRECTABLE:
        raise InputError(_l("Un événement « %(kind)s » ne se corrige pas ici.",
                            kind=_l(KIND_LABELS.get(Kind(target.kind), target.kind))))
    if not note.strip():
        raise InputError(_l("Donnez le motif de la correction."), field="note")
    return record(session, Draft(id=event_id, kind=Kind.CORRECTION, occurred_at=at, actor_id=actor.id,
                                 corrects_seq=target.seq, note=note.strip()))


def model_name(model: BottleModel | None) -> LazyString:
    """A bottle model's name in the person's language (its English name in English)."""
    return LazyString(i18n.label, model) if model is not None else _l("Modèle")


def set_pallet_size(session: Session, washer: Washer, size: int) -> None:
    if not 1 <= size <= MAX_PALLET:
        raise InputError(_l("Une palette compte entre 1 et %(max)s bouteilles.", max=MAX_PALLET))
    washer.pallet_size = size
    session.flush()
