"""The API's request and response shapes (marshmallow): one definition validates and documents."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from bottles.numbers import ID_MAX, SEQ_MAX, ascii_digits, bounded
from bottles.rules import MAX_QUANTITY, MAX_UNIT_PRICE_CENTS, CrateState, Kind, Stage

MAX_NOTE = 500
MAX_LIMIT = 500
WRITABLE_KINDS = ("crate_placed", "crate_full", "pickup", "receipt", "round_closed", "sorting", "wash",
                  "stocktake", "correction", "sale", "crate_registered", "crate_retired")
MAX_SALE_LINES = 50  # as the sale form (resales.rules.MAX_LINES)


class Whole(fields.Integer):
    """A whole number from 0 to `maximum`, ASCII digits only (as bottles.numbers reads every number)."""

    def __init__(self, *, maximum: int = ID_MAX, minimum: int = 0, **kwargs) -> None:
        super().__init__(strict=False, **kwargs)
        self.maximum, self.minimum = maximum, minimum

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError(str(_l("Nombre entier attendu.")))
        text = ascii_digits(str(value)) if isinstance(value, str) else str(value)
        number = bounded(text, self.maximum) if text and not text.startswith("-") else None
        if number is None or number < self.minimum:
            raise ValidationError(str(_l("Nombre entier de %(low)s à %(high)s attendu.",
                                         low=self.minimum, high=self.maximum)))
        return number


def one_of(choices) -> validate.OneOf:
    values = [str(c) for c in choices]
    return validate.OneOf(values, error=str(_l("Valeur inconnue ; attendu : %(values)s.",
                                               values=", ".join(values))))


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Refusal(Schema):
    code = fields.String(required=True, metadata={"description": "Stable code, e.g. conflit_identifiant"})
    message = fields.String(required=True, metadata={"description": "French (or English) message"})
    errors = fields.Dict(metadata={"description": "Field name → messages (422)"})
    crate_state = fields.String(metadata={
        "description": "A crate event refused: the crate's state now (at_point: it may be declared full)"})


class Site(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class Movement(Schema):
    from_stage = fields.String()
    to_stage = fields.String()
    quantity = fields.Integer()
    model_id = fields.Integer(attribute="bottle_model_id", allow_none=True)
    reason_id = fields.Integer(allow_none=True)
    unit_price_cents = fields.Integer(allow_none=True, metadata={"description": "sale: price of one bottle"})
    winemaker_id = fields.Integer(allow_none=True, metadata={
        "description": "sale: the buyer; sorting: a permanent label's estate"})


class EventOut(Schema):
    seq = fields.Integer()
    id = fields.UUID()
    kind = fields.String()
    occurred_at = fields.AwareDateTime()
    recorded_at = fields.AwareDateTime()
    actor = fields.Function(lambda event: event.actor.username if event.actor else None,
                            allow_none=True, metadata={"type": "string"})
    crate = fields.Function(lambda event: event.crate_code, allow_none=True, metadata={"type": "string"})
    collection_point_id = fields.Integer(allow_none=True)
    washer_id = fields.Integer(allow_none=True)
    round_id = fields.Integer(allow_none=True)
    corrects_seq = fields.Integer(allow_none=True)
    km = fields.Float(allow_none=True, metadata={"description": "round_closed: kilometres"})
    hours = fields.Float(allow_none=True, metadata={"description": "round_closed, sorting, wash: hours"})
    water_l = fields.Float(allow_none=True, metadata={"description": "wash: litres of water"})
    energy_kwh = fields.Float(allow_none=True, metadata={"description": "wash: kWh"})
    note = fields.String()
    movements = fields.List(fields.Nested(Movement))


class EventPage(Schema):
    items = fields.List(fields.Nested(EventOut))
    next_since = fields.Integer(allow_none=True, metadata={
        "description": "Pass as ?since= for the next page; null when nothing follows"})
    has_more = fields.Boolean()


class CrateOut(Schema):
    code = fields.String()
    state = fields.String(allow_none=True)
    capacity = fields.Integer()
    collection_point = fields.Nested(Site, allow_none=True)
    washer = fields.Nested(Site, allow_none=True)
    state_since = fields.AwareDateTime(allow_none=True)
    last_event_seq = fields.Integer(allow_none=True)


class CrateDetail(CrateOut):
    history = fields.List(fields.Nested(EventOut))


class CratePage(Schema):
    items = fields.List(fields.Nested(CrateOut))
    page = fields.Integer()
    pages = fields.Integer()
    total = fields.Integer()


class CrateQuery(Strict):
    state = fields.String(validate=one_of(CrateState))
    point_id = Whole(minimum=1)
    washer_id = Whole(minimum=1)
    page = Whole(minimum=1, maximum=100_000, load_default=1)


class StockRow(Schema):
    stage = fields.String()
    site_id = fields.Integer()
    model_id = fields.Integer()
    quantity = fields.Integer()


class StockQuery(Strict):
    stage = fields.String(validate=one_of(Stage))
    site_id = Whole()
    model_id = Whole()


class StockList(Schema):
    items = fields.List(fields.Nested(StockRow))


class EventQuery(Strict):
    since = Whole(maximum=SEQ_MAX, load_default=0, metadata={
        "description": "Only events with a larger seq (incremental sync)"})
    limit = Whole(minimum=1, maximum=MAX_LIMIT, load_default=100)
    kind = fields.String(validate=one_of(Kind))
    point_id = Whole(minimum=1)
    washer_id = Whole(minimum=1)
    crate = fields.String(validate=validate.Length(max=32))
    date_from = fields.Date(data_key="from", metadata={"description": "First day (Paris), YYYY-MM-DD"})
    date_to = fields.Date(data_key="to", metadata={"description": "Last day (Paris), YYYY-MM-DD"})


class PhaseOut(Schema):
    id = fields.Integer()
    name = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()


class PhaseList(Schema):
    items = fields.List(fields.Nested(PhaseOut))


class PhaseDetail(PhaseOut):
    indicators = fields.Dict(metadata={"description": "The keys of `flask reports kpis --json`"})


class AsciiDecimal(fields.Decimal):
    """A decimal as a JSON number or ASCII text (Decimal() alone reads "٣" as 3)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or isinstance(value, str) and not value.isascii():
            raise ValidationError(str(_l("Nombre attendu (chiffres ASCII).")))
        return super()._deserialize(value, attr, data, **kwargs)


def amount(maximum: int, places: int, description: str) -> fields.Decimal:
    """A decimal from 0 to `maximum` with at most `places` decimals (a JSON number or its text)."""

    def within(value) -> None:
        if not 0 <= value <= maximum:
            raise ValidationError(str(_l("Nombre de 0 à %(high)s attendu.", high=maximum)))

    return AsciiDecimal(places=places, allow_nan=False, validate=within, metadata={
        "description": description, "minimum": 0, "maximum": maximum})


class RefusalIn(Strict):
    reason_id = Whole(minimum=1, required=True)
    quantity = Whole(maximum=100_000, required=True)
    winemaker_id = Whole(minimum=1, metadata={"description": "A permanent label's estate"})


class WashLineIn(Strict):
    model_id = Whole(minimum=1, required=True)
    taken = Whole(maximum=100_000, required=True)
    accepted = Whole(maximum=100_000, required=True)
    rejects = fields.Dict(keys=fields.String(), values=Whole(maximum=100_000), load_default=dict,
                          metadata={"description": "Reject reason id → bottles"})


class SaleLineIn(Strict):
    model_id = Whole(minimum=1, required=True)
    quantity = Whole(minimum=1, maximum=MAX_QUANTITY, required=True)
    unit_price_cents = Whole(maximum=MAX_UNIT_PRICE_CENTS, metadata={
        "description": "Price of one bottle in cents (default: the channel's resale price)"})


class EventIn(Strict):
    """One event from the field; which fields it needs depends on its kind."""

    id = fields.UUID(required=True, metadata={"description": "Chosen by the client: a resend is a replay"})
    kind = fields.String(required=True, validate=one_of(WRITABLE_KINDS))
    occurred_at = fields.AwareDateTime(metadata={
        "description": "Field time with its time zone (default: now)"})
    crate = fields.String(validate=validate.Length(min=1, max=32), metadata={
        "description": "Crate code (printed or typed form); crate_registered: the printed code to "
                       "register (default: the next free code)"})
    point_id = Whole(minimum=1, metadata={"description": "crate_placed: the point"})
    washer_id = Whole(minimum=1, metadata={
        "description": "receipt, sorting, wash, stocktake, sale: the washer; crate_registered: where "
                       "the new crate is kept (optional)"})
    winemaker_id = Whole(minimum=1, metadata={"description": "sale: the winemaker buying"})
    sold = fields.List(fields.Nested(SaleLineIn), validate=validate.Length(min=1, max=MAX_SALE_LINES),
                       metadata={"description": "sale: per model, clean bottles sold and their price"})
    capacity = Whole(minimum=1, maximum=500, metadata={"description": "crate_registered: bottles it holds"})
    count = Whole(minimum=1, maximum=500, metadata={"description": "crate_full: bottles declared"})
    split = fields.Dict(keys=fields.String(), values=Whole(maximum=500), metadata={
        "description": "crate_full: bottles per model id (the rest unsorted)"})
    counted = Whole(maximum=500, metadata={
        "description": "pickup and receipt (optional; a receipt without it: as declared): bottles counted"})
    reason_id = Whole(minimum=1, metadata={"description": "receipt: loss or surplus reason"})
    round_token = fields.String(validate=validate.Length(max=64), metadata={
        "description": "pickup: names the round opened by a first pickup (default: the event id)"})
    round_id = Whole(minimum=1, metadata={"description": "round_closed: the driver's round"})
    km = amount(2000, 1, "round_closed: kilometres driven")
    hours = amount(24, 2, "round_closed (required), sorting and wash (optional): hours of work")
    eligible = fields.Dict(keys=fields.String(), values=Whole(maximum=100_000), metadata={
        "description": "sorting: model id → bottles sorted for reuse"})
    refusals = fields.List(fields.Nested(RefusalIn), validate=validate.Length(max=100), metadata={
        "description": "sorting: bottles set aside, by reason"})
    lines = fields.List(fields.Nested(WashLineIn), validate=validate.Length(min=1, max=100), metadata={
        "description": "wash: per model, bottles taken, accepted and rejected by reason"})
    stage = fields.String(validate=one_of(("received", "sorted", "clean")), metadata={
        "description": "stocktake: the stage counted"})
    counted_by_model = fields.Dict(keys=fields.String(), values=Whole(maximum=1_000_000), metadata={
        "description": "stocktake: model id (0: unsorted) → bottles counted"})
    loss_reason_id = Whole(minimum=1, metadata={
        "description": "stocktake and receipt (without reason_id): reason of a shortfall"})
    surplus_reason_id = Whole(minimum=1, metadata={
        "description": "stocktake and receipt (without reason_id): reason of a surplus"})
    corrects_seq = Whole(minimum=1, maximum=SEQ_MAX, metadata={
        "description": "correction: the seq of the event reversed (note required: why)"})
    water_l = amount(1_000_000, 1, "wash: litres of water")
    energy_kwh = amount(1_000_000, 2, "wash: kWh")
    note = fields.String(validate=validate.Length(max=MAX_NOTE), load_default="", metadata={
        "description": "Free text; required for correction (why) and crate_retired (why)"})


class EventWritten(Schema):
    created = fields.Boolean()
    event = fields.Nested(EventOut, allow_none=True, metadata={
        "description": "null: a stock-take that found every count as expected (nothing to record)"})
