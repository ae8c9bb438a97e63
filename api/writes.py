"""Writes: one field event per request, through the operations the pages call (one transaction each).

The client chooses the event id: the same event sent again is answered 200 with the recorded one
(an offline queue may resend freely), another content under the same id is a 409.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from flask import current_app
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from api import auth, bp
from api import schemas as s
from api.errors import ApiError
from api.reads import attach_crate_codes, crate_named
from api.scope import seller_washers
from bottles import codes
from bottles import field_time as field_times
from bottles.auth import washer_ids
from bottles.catalogue import operations as catalogue
from bottles.catalogue.queries import next_crate_numbers
from bottles.db import LATE_WRITERS, begin_write, db
from bottles.field_time import FieldTimeError
from bottles.ledger import LedgerConflict, Recorded, event_by_id, held
from bottles.models import CollectionPoint, Crate, Event, Round, User, Washer, utcnow
from bottles.retry import run
from bottles.rules import PARIS, CrateState, LedgerError, Stage
from collection_points import operations as points
from collection_points.rules import NotYours as PointNotYours
from collection_points.rules import Refused
from resales import operations as resales
from resales.queries import setting_int
from resales.rules import DEFAULT_RESALE_CENTS, Line, SaleFormError, SaleInputError, merge_lines
from washer import operations as dock
from washer import queries as dock_queries
from washer.rules import InputError
from washer.rules import NotYours as DockNotYours

# Who may record each kind (coordinators and admins may record every kind, as on the pages).
ROLES = {"crate_placed": ("point", "driver"), "crate_full": ("point", "driver"),
         "pickup": ("driver",), "receipt": ("washer",), "round_closed": ("driver",),
         "sorting": ("washer",), "wash": ("washer",), "stocktake": ("washer",), "correction": ("washer",),
         "sale": ("washer",), "crate_registered": (), "crate_retired": ()}
NEEDS = {"crate_placed": ("crate", "point_id"), "crate_full": ("crate", "count"),
         "pickup": ("crate",), "receipt": ("crate", "washer_id"),
         "round_closed": ("round_id", "km", "hours"), "sorting": ("washer_id",),
         "wash": ("washer_id", "lines"), "stocktake": ("washer_id", "stage", "counted_by_model"),
         "correction": ("corrects_seq", "note"), "sale": ("washer_id", "winemaker_id", "sold"),
         "crate_registered": ("capacity",), "crate_retired": ("crate",)}
CRATE_KINDS = ("crate_placed", "crate_full", "pickup", "receipt", "crate_retired")
# Kinds whose operation goes straight to bottles.ledger.record: its content hash tells a replay
# (200) from an id reused for another content (409).
HASHED_KINDS = ("sorting", "wash")
CONFLICT = _l("Cet identifiant d'événement a déjà servi pour un autre contenu : rien n'est enregistré. "
              "Choisissez un nouvel identifiant pour un nouvel événement.")


def missing_fields(data: dict) -> None:
    """422 naming each field the kind needs and the body lacks."""
    absent = [name for name in NEEDS[data["kind"]] if data.get(name) is None]
    if absent:
        message = _l("Champ obligatoire pour un événement « %(kind)s ».", kind=data["kind"])
        raise ApiError(422, errors={name: [str(message)] for name in absent})


def same_content(event: Event, data: dict, crate: Crate | None) -> bool:
    """Whether a recorded event says what this request says (a replay), by kind."""
    kind = data["kind"]
    note = (data.get("note") or "").strip()
    if event.kind != kind:
        return False
    if kind == "round_closed":
        return event.round_id == data["round_id"] and event.km == data["km"] \
            and event.hours == data["hours"] and event.note.strip() == note
    if kind == "correction":
        return event.corrects_seq == data["corrects_seq"] and event.note.strip() == note
    if kind == "stocktake":  # the counts it recorded were differences: the washer and note tell
        return event.washer_id == data["washer_id"] and event.note.strip() == note
    if kind == "sale":
        return same_sale(event, data) and event.note.strip() == note
    if kind == "crate_registered":
        return same_registration(event, data) and event.note.strip() == note
    if crate is None or event.crate_id != crate.id:
        return False
    if kind == "crate_placed":
        return event.collection_point_id == data["point_id"] and event.note.strip() == note
    if kind == "crate_full":
        split = {int(k): v for k, v in (data.get("split") or {}).items() if v}
        by_model = {m.bottle_model_id: m.quantity for m in event.movements if m.bottle_model_id}
        return sum(m.quantity for m in event.movements) == data["count"] and by_model == split \
            and event.note.strip() == note
    if kind == "crate_retired":
        return event.note.strip() == note
    if kind == "receipt":  # no count: as declared, whatever was received then
        received = sum(m.quantity for m in event.movements if m.to_stage == Stage.RECEIVED.value)
        return event.washer_id == data["washer_id"] and event.note.strip() == note \
            and (data.get("counted") is None or received == data["counted"])
    return event.note.strip().endswith(note)  # pickup: a driver's different count is noted before


def same_sale(event: Event, data: dict) -> bool:
    """A sale recorded with this washer, buyer and lines (merged as the sale form merges them)."""
    try:
        wanted = merge_lines(sale_lines(data))
    except SaleInputError:
        return False
    sold = sorted((m.bottle_model_id, m.quantity, m.unit_price_cents, m.winemaker_id)
                  for m in event.movements)
    return event.washer_id == data["washer_id"] and sold == sorted(
        (line.model_id, line.quantity, line.unit_price_cents, data["winemaker_id"]) for line in wanted)


def same_registration(event: Event, data: dict) -> bool:
    """A crate registered with this code (when one was given), capacity and washer."""
    crate = db.session.get(Crate, event.crate_id) if event.crate_id else None
    if crate is None or event.washer_id != data.get("washer_id") or crate.capacity != data["capacity"]:
        return False
    if data.get("crate"):
        try:
            return crate.code == codes.normalise(data["crate"])
        except codes.CrateCodeError:
            return False
    return True


def field_time(data: dict, person: User) -> datetime | None:
    """The phone's field time, checked as the pages check it (bottles.field_time: 5 minutes ahead at
    most, FIELD_TIME_PAST_DAYS back unless coordination; not before the crate's previous event,
    checked by the ledger); None when the client sent none (dated by the server)."""
    at = data.get("occurred_at")
    return None if at is None else field_times.check(at, person)


def split_of(data: dict) -> dict[int, int]:
    """crate_full's per-model counts, keys read as model ids (422 when one is not a whole number)."""
    split: dict[int, int] = {}
    for key, value in (data.get("split") or {}).items():
        if not key.isascii() or not key.isdigit() or len(key) > 9:
            raise ApiError(422, errors={"split": [str(_l("Identifiant de modèle attendu : %(key)s.",
                                                         key=key[:20]))]})
        if value:
            split[int(key)] = value
    if sum(split.values()) > data["count"]:
        raise ApiError(422, errors={"split": [str(_l("La répartition dépasse le nombre déclaré."))]})
    return split


def by_model(raw: dict, name: str, keep_zero: bool = False) -> dict[int, int]:
    """{"<id>": n} read as ids (422 naming `name` when a key is not a whole number)."""
    out: dict[int, int] = {}
    for key, value in (raw or {}).items():
        if not key.isascii() or not key.isdigit() or len(key) > 9:
            raise ApiError(422, errors={name: [str(_l("Identifiant attendu : %(key)s.", key=key[:20]))]})
        if value or keep_zero:
            out[int(key)] = value
    return out


def sale_lines(data: dict) -> list[Line]:
    """The sale's lines; a line without a price takes the channel's resale price, as on the form."""
    price = setting_int(db.session, "resale_price_cents", DEFAULT_RESALE_CENTS)
    return [Line(line["model_id"], line["quantity"], line.get("unit_price_cents", price), index)
            for index, line in enumerate(data["sold"])]


def sale_errors(error: SaleInputError) -> dict:
    """The sale form's refusals by API field: its lines' (model_id-2, quantity-0) under `sold` as
    marshmallow nests a list's errors ({"sold": {"2": {"model_id": [...]}}})."""
    if not isinstance(error, SaleFormError):
        return {"sold": [str(error)]}
    errors: dict = {}
    for key, message in error.errors.items():
        name, _, index = key.rpartition("-")
        if name in ("model_id", "quantity", "unit_price") and index.isdigit():
            field = "unit_price_cents" if name == "unit_price" else name
            errors.setdefault("sold", {}).setdefault(index, {})[field] = [str(message)]
        else:
            errors[key] = [str(message)]
    return errors


def registered_code(data: dict) -> str:
    """The code a new crate takes: the printed one sent (unused), else the next free one, as the
    catalogue's batch form gives."""
    session = db.session
    if data.get("crate"):
        try:
            code = codes.normalise(data["crate"])
        except codes.CrateCodeError as error:
            raise ApiError(422, errors={"crate": [str(error)]}) from None
        if session.scalar(select(Crate.id).where(Crate.code == code)) is not None:
            message = _l("La caisse %(code)s est déjà enregistrée dans le parc.", code=code)
            raise ApiError(422, message, "refuse", {"crate": [str(message)]})
        return code
    prefix = current_app.config["CRATE_PREFIX"]
    try:
        return codes.make_code(next_crate_numbers(session, prefix, 1)[0], prefix)
    except codes.CrateCodeError as error:
        raise ApiError(422, str(error), "refuse") from None


def act_in_catalogue(person: User, data: dict, event_id: uuid.UUID, at: datetime) -> Callable[[], Recorded]:
    """sale and crate_registered: the operations of the sale form and of the catalogue's crates."""
    session, note = db.session, (data.get("note") or "").strip()
    at = min(at, utcnow())  # a phone's clock a little ahead dates its event now (as field times)
    if data["kind"] == "sale":
        allowed = seller_washers(person)
        if allowed is not None and data["washer_id"] not in allowed:
            raise ApiError(403, _l("Vous ne pouvez pas vendre le stock de ce centre de lavage."),
                           "pas_votre_site")
        lines = sale_lines(data)
        return lambda: resales.record_sale(session, actor=person, at=at, event_id=event_id,
                                           washer_id=data["washer_id"], winemaker_id=data["winemaker_id"],
                                           lines=lines, note=note)
    washer_id = data.get("washer_id")
    if washer_id is not None and not getattr(session.get(Washer, washer_id), "active", False):
        raise ApiError(422, errors={"washer_id": [str(_l("Centre de lavage inconnu."))]})
    code = registered_code(data)

    def register() -> Recorded:
        catalogue.register_crate(session, actor_id=person.id, at=at, code=code, capacity=data["capacity"],
                                 washer_id=washer_id, event_id=event_id, note=note)
        return Recorded(session.scalars(select(Event).where(Event.id == event_id)).one(), True)
    return lambda: points.once(session, event_id, register)


def retire(person: User, data: dict, crate: Crate, event_id: uuid.UUID, at: datetime,
           field: bool) -> Callable[[], Recorded]:
    """crate_retired: the catalogue's crate page (an empty crate, a reason required)."""
    session, note = db.session, (data.get("note") or "").strip()
    if not note:
        raise ApiError(422, errors={"note": [str(_l("Donnez le motif du retrait."))]})

    def work() -> Recorded:
        try:
            catalogue.retire_crate(session, actor_id=person.id, at=at, crate=crate, event_id=event_id,
                                   note=note, field=field)
        except FieldTimeError:
            raise
        except LedgerError as error:  # the crate's state: full, in transit, already retired…
            raise ApiError(422, str(error), "refuse", {"crate": [str(error)]}) from None
        return Recorded(session.scalars(select(Event).where(Event.id == event_id)).one(), True)
    return work


def act_at_dock(person: User, data: dict, event_id: uuid.UUID, at: datetime) -> Callable[[], Recorded]:
    """round_closed, stocktake, correction, sorting and wash: the operations of the driver's and the
    washer's pages."""
    session, kind, note = db.session, data["kind"], (data.get("note") or "").strip()
    if kind == "round_closed":
        the_round = session.get(Round, data["round_id"])
        if the_round is None:
            raise ApiError(422, errors={"round_id": [str(_l("Tournée inconnue."))]})
        return lambda: points.close_round(session, round_=the_round, actor=person, event_id=event_id,
                                          at=at, km=data["km"], hours=data["hours"], note=note)
    if kind == "stocktake":
        counted = by_model(data["counted_by_model"], "counted_by_model", keep_zero=True)
        return lambda: dock.stocktake(
            session, actor=person, at=at, event_id=event_id, washer_id=data["washer_id"],
            stage=Stage(data["stage"]), counted=counted, loss_reason_id=data.get("loss_reason_id"),
            surplus_reason_id=data.get("surplus_reason_id"), note=note, allowed=washer_ids(person))
    if kind == "correction":
        if not note:
            raise ApiError(422, errors={"note": [str(_l("Donnez le motif de la correction."))]})
        return lambda: dock.correct(session, actor=person, at=at, event_id=event_id,
                                    target_seq=data["corrects_seq"], note=note, allowed=washer_ids(person))
    if kind == "sorting":
        eligible = by_model(data.get("eligible"), "eligible")
        refusals = [dock.Refusal(r["reason_id"], r["quantity"], r.get("winemaker_id"))
                    for r in data.get("refusals") or []]
        return lambda: dock.sort(session, actor=person, at=at, event_id=event_id,
                                 washer_id=data["washer_id"], eligible=eligible, refusals=refusals,
                                 hours=data.get("hours"), note=note, allowed=washer_ids(person))
    lines = [dock.WashLine(line["model_id"], line["taken"], line["accepted"],
                           by_model(line.get("rejects"), "lines")) for line in data["lines"]]
    return lambda: dock.wash(session, actor=person, at=at, event_id=event_id, washer_id=data["washer_id"],
                             lines=lines, water_l=data.get("water_l"), energy_kwh=data.get("energy_kwh"),
                             hours=data.get("hours"), note=note, allowed=washer_ids(person))


def act(person: User, data: dict, crate: Crate | None, event_id: uuid.UUID) -> Callable[[], Recorded]:
    """The operation the pages call for this kind, ready to run in the request's savepoint."""
    session, kind, note = db.session, data["kind"], (data.get("note") or "").strip()
    given = field_time(data, person)
    at, field = given or utcnow(), given is not None
    if kind in ("sale", "crate_registered"):
        return act_in_catalogue(person, data, event_id, at)
    if crate is None:
        return act_at_dock(person, data, event_id, at)
    if kind == "crate_retired":
        return retire(person, data, crate, event_id, at, field)
    if kind == "crate_placed":
        point = session.get(CollectionPoint, data["point_id"])
        if point is None:
            raise ApiError(422, errors={"point_id": [str(_l("Point de collecte inconnu."))]})
        return lambda: points.place_crate(session, crate=crate, point=point, actor=person,
                                          event_id=event_id, at=at, note=note, field=field)
    if kind == "crate_full":
        split = split_of(data)
        return lambda: points.declare_full(session, crate=crate, actor=person, event_id=event_id, at=at,
                                           count=data["count"], split=split, note=note, field=field)
    if kind == "pickup":
        def pick() -> Recorded:
            the_round = points.ensure_round(session, person, at.astimezone(PARIS).date(),
                                            data.get("round_token") or str(event_id))
            return points.pick_up(session, crate=crate, actor=person, event_id=event_id, at=at,
                                  counted=data.get("counted"), round_id=the_round.id, note=note, field=field)
        return pick

    def receive() -> Recorded:
        expected = dock_queries.declared(session, crate)
        counted, reason_id = receipt_count(crate, data, expected.quantity)
        return dock.receive(session, actor=person, at=at, event_id=event_id, washer_id=data["washer_id"],
                            crate=crate, counted=counted, reason_id=reason_id, note=note,
                            allowed=washer_ids(person), field=field, expected=expected)
    return receive


def receipt_count(crate: Crate, data: dict, in_transit: int) -> tuple[int, int | None]:
    """A receipt's count (none sent: as declared, as the dock's scan station leaves it blank) and the
    reason of its gap: `reason_id`, else `loss_reason_id` or `surplus_reason_id` by the gap's sign.
    `in_transit`: what the crate's pickup declared (washer.queries.declared)."""
    counted = data.get("counted")
    declared = in_transit if crate.state == CrateState.IN_TRANSIT.value else None
    if counted is None:
        counted = declared or 0  # not in transit: dock.receive refuses it with the pages' sentence
    reason_id = data.get("reason_id")
    if reason_id is None and declared is not None and counted != declared:
        reason_id = data.get("loss_reason_id") if counted < declared else data.get("surplus_reason_id")
    return counted, reason_id


def refusal(error: Exception) -> ApiError:
    """An operation's refusal as the API's: 403 not yours, 422 input or state, 409 conflict."""
    message = str(error)
    errors = None
    field = getattr(error, "field", None)
    if field:
        errors = {field: [message]}
    named = getattr(error, "fields", None)
    if isinstance(named, dict) and named:
        errors = {key: [str(value)] for key, value in named.items()}
    if isinstance(error, PointNotYours | DockNotYours):
        return ApiError(403, message, "pas_votre_site")
    if isinstance(error, FieldTimeError):
        return ApiError(422, message, "heure_terrain_refusee", {"occurred_at": [message]})
    if isinstance(error, LedgerConflict):
        return ApiError(409, CONFLICT, "conflit_identifiant")
    if isinstance(error, Refused | InputError):
        return ApiError(422, message, "refuse", errors)
    if isinstance(error, SaleInputError):
        return ApiError(422, message, "refuse", sale_errors(error))
    return ApiError(409, message, "refuse_par_le_registre")


def sale_twin(error: Exception, data: dict, crate: Crate | None):
    """A sale refused for want of clean stock may be a resend racing its twin, which took that stock:
    once the twin is committed, the answer is the twin's (200; 409 for another content); else None."""
    if data["kind"] != "sale" or not isinstance(error, SaleInputError):
        return None
    db.session.rollback()
    twin = event_by_id(db.session, data["id"])
    if twin is None:
        return None
    if not same_content(twin, data, crate):
        raise ApiError(409, CONFLICT, "conflit_identifiant")
    return recorded_answer(twin, False, crate)


def raced(error: Exception, data: dict, crate: Crate | None):
    """A write that lost a race outside the ledger's own savepoint (the pages keep a savepoint per
    form, `collection_points.operations.once`; one event per request needs none): the transaction
    is rolled back whole, then the twin committed meanwhile answers (200, or 409 for another
    content), else a 409 saying to look again."""
    db.session.rollback()
    twin = event_by_id(db.session, data["id"])
    if twin is None:
        message = points.CHANGED if isinstance(error, StaleDataError) else points.RACED
        raise ApiError(409, message, "refuse_par_le_registre")
    if not same_content(twin, data, crate):
        raise ApiError(409, CONFLICT, "conflit_identifiant")
    return recorded_answer(twin, False, crate)


def recorded_answer(event: Event, created: bool, crate: Crate | None = None):
    """The answer's event with its crate's code: the crate the request holds, else one query (read
    before the commit's answer is sent, never a second transaction for it)."""
    if crate is not None and event.crate_id == crate.id:
        event.crate_code = crate.code
    else:
        attach_crate_codes(db.session, [event])
    return {"created": created, "event": event}, 201 if created else 200


LATE_WRITERS.add("api.WriteEvent")


@bp.route("/events")
class WriteEvent(MethodView):
    @bp.arguments(s.EventIn())  # an instance: webargs would build one per request from a class
    @bp.response(201, s.EventWritten)
    @bp.alt_response(200, schema=s.EventWritten, description="The same event again: already recorded")
    @bp.alt_response(403, schema=s.Refusal)
    @bp.alt_response(404, schema=s.Refusal)
    @bp.alt_response(409, schema=s.Refusal, description="code conflit_identifiant: id reused")
    @bp.alt_response(422, schema=s.Refusal)
    def post(self, data: dict):
        """Record one event: crate_placed, crate_full, pickup, receipt, round_closed, sorting, wash,
        stocktake, correction, sale, crate_registered or crate_retired (docs/api.md: the kinds)."""
        person = auth.allow(*ROLES[data["kind"]])
        missing_fields(data)
        begin_write(db.session)  # SQLite's write lock from here to the commit only (LATE_WRITERS)
        # A crate is locked as it is read (the request's first lock): a twin waits here, then finds
        # its event below, and the operation reads neither again (bottles.ledger.held).
        crate = crate_named(data["crate"], lock=True) if data["kind"] in CRATE_KINDS else None
        event_id = data["id"]

        def work():
            existing = event_by_id(db.session, event_id)
            if existing is not None and data["kind"] not in HASHED_KINDS:
                if not same_content(existing, data, crate):
                    raise ApiError(409, CONFLICT, "conflit_identifiant")
                return recorded_answer(existing, False, crate)
            locks = held(db.session)
            if existing is None and crate is not None and crate.id in locks.crates:
                locks.unused_ids.add(event_id)
            try:
                result = act(person, data, crate, event_id)()
            except (IntegrityError, StaleDataError) as error:
                return raced(error, data, crate)
            except (LedgerError, InputError, SaleInputError) as error:
                twin = sale_twin(error, data, crate)
                if twin is not None:
                    return twin
                refused = refusal(error)
                if crate is not None:  # what a client may offer instead (a pickup refused at its
                    db.session.rollback()  # point: declare it full); read once the savepoint is gone
                    refused.crate_state = db.session.scalar(select(Crate.state).where(Crate.id == crate.id))
                raise refused from None
            if result is None:  # a stock-take that found every count as expected
                db.session.rollback()
                return {"created": False, "event": None}, 200
            answer = recorded_answer(result.event, result.created, crate)
            db.session.commit()
            return answer

        return run(db.session, work)
