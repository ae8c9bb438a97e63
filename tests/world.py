"""A small but complete world: every page of every role has something to show.

Two points, a washer, models and reasons with English names, crates in every state, a finished
phase and one in progress (dates relative to today), rounds, receipts, a sorting, wash batches,
clean stock, sales, a stock-take and corrections, all written through the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from bottles.models import (
    BottleModel,
    CollectionPoint,
    Crate,
    Event,
    PointKind,
    Reason,
    Round,
    Territory,
    User,
    Washer,
    Winemaker,
)
from bottles.rules import PARIS, Kind, Move, Stage
from reports.operations import PhaseInput, save_phase
from tests.factories import Factory


@dataclass
class World:
    """The rows the pages are fetched with, and the people who fetch them."""

    washer: Washer
    points: list[CollectionPoint]
    models: list[BottleModel]
    reasons: dict[str, Reason]
    winemaker: Winemaker
    crates: dict[str, Crate]          # by state: in_pool, at_point, full, in_transit, lost, retired
    rounds: list[Round]
    users: dict[str, User]            # by role: point, driver, washer, coordinator, admin
    phases: list                      # [finished, in progress]
    sale: Event
    sorting: Event
    corrected: Event
    extra: dict[str, int] = field(default_factory=dict)
    other: OtherSite | None = None  # a second site, when the test adds it (add_other_site)


@dataclass
class OtherSite:
    """A second washer, its point and their staff, another driver: whose crates and rounds are not
    the first site's people's business (and the reverse)."""

    washer: Washer
    point: CollectionPoint
    users: dict[str, User]            # "point", "driver", "washer" of this site
    round: Round                      # the other driver's open round of today, towards this washer
    round_token: str                  # the token that names it (what a page or a scan would send)
    closed: Round                     # a round of the first site's driver, today, already closed
    closed_token: str
    crates: dict[str, Crate]          # "in_transit" (on `round`, bound for this washer), "received"
    sorting: Event
    sale: Event
    estate: Winemaker | None = None   # another estate, whose winemaker ("winemaker" of `users`) reserves
    reservation: int | None = None    # its open reservation


def noon(days_ago: int, hour: int = 12) -> datetime:
    """That hour in the Jura `days_ago` days before today, in UTC (the world holds nothing from today:
    whatever the hour the test runs, nothing lies in the future)."""
    today = datetime.now(UTC).astimezone(PARIS).date()
    return datetime.combine(today - timedelta(days=days_ago), time(hour), PARIS).astimezone(UTC)


def today() -> date:
    return datetime.now(UTC).astimezone(PARIS).date()


def _day(days_ago: int) -> str:
    """A phase form's date, `days_ago` days before today (negative: after)."""
    return (today() - timedelta(days=days_ago)).isoformat()


def _catalogue(factory: Factory) -> tuple[list[BottleModel], dict[str, Reason]]:
    """Models and reasons whose French names hold common French words (their English ones don't)."""
    bourg = factory.model("BOURG75", "Bouteille bourguignonne 75 cl")
    bourg.name_en = "Burgundy 75 cl"
    clav = factory.model("CLAV62", "Clavelin du Jura 62 cl", 620, glass_mass_g=600)
    clav.name_en = "Clavelin 62 cl"
    reasons = {}
    for code, kind, french, english in (
            ("REF-CREMANT", "refusal", "Bouteille de crémant", "Crémant bottle"),
            ("REF-ETIQUETTE", "refusal", "Étiquette permanente sur la bouteille", "Permanent label"),
            ("REJ-CASSE", "reject", "Cassée au lavage", "Broken in the wash"),
            ("REJ-SALE", "reject", "Sale après le lavage", "Dirty"),
            ("PERTE-TRANSPORT", "loss", "Casse pendant la tournée", "Transit breakage"),
            ("PERTE-INVENTAIRE", "loss", "Écart d'inventaire", "Stock-take difference"),
            ("SURPLUS", "surplus", "Excédent constaté à la réception", "Surplus found")):
        reasons[code] = factory.reason(code, kind, french)
        reasons[code].label_en = english
    factory.session.flush()
    return [bourg, clav], reasons


def _winemaker_account(factory: Factory, estate: Winemaker, username: str) -> User:
    """A winemaker's account, scoped to its estate."""
    user = factory.user("winemaker", username)
    user.winemaker_id = estate.id
    factory.session.flush()
    return user


def _reservations(session, estate: Winemaker, models: list[BottleModel], by: User, coordinator: User) -> int:
    """Reservations of the estate: one open beyond the stock (part unmet), one covered, one cancelled;
    the id of the first."""
    from uuid import uuid4

    from resales.operations import cancel_reservation, create_reservation

    bourg, clav = models
    rows = [create_reservation(session, actor=actor, at=noon(days), request_id=uuid4(),
                               winemaker_id=estate.id, model_id=model.id, quantity=quantity, pallets=pallets,
                               wanted_by=today() + timedelta(days=wanted), note="")
            for actor, days, model, quantity, pallets, wanted in (
                (by, 3, bourg, 1200, 1, 40), (coordinator, 2, clav, 5, None, 10), (by, 2, bourg, 6, None, 5))]
    cancel_reservation(session, actor=by, at=noon(1), reservation=rows[2])
    return rows[0].id


def _people(factory: Factory, washer: Washer, point: CollectionPoint) -> dict[str, User]:
    return {"point": factory.user("point", "point-comedie", points=[point]),
            "driver": factory.user("driver", "driver-julien"),
            "washer": factory.user("washer", "washer-sandrine", washers=[washer]),
            "coordinator": factory.user("coordinator", "coordinator-claire"),
            "admin": factory.user("admin", "admin")}


def _trip(factory: Factory, crate: Crate, point: CollectionPoint, washer: Washer, count: int,
          full: int, picked: int | None = None, round_: Round | None = None,
          received: int | None = None, actor: User | None = None, loss: Reason | None = None) -> None:
    """A crate placed at `point`, declared full `full` days ago, maybe picked up and received."""
    event = factory.event
    event(Kind.CRATE_PLACED, at=noon(full + 3), crate=crate, point=point.id, actor=actor)
    event(Kind.CRATE_FULL, at=noon(full), crate=crate, point=point.id, actor=actor,
          moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, count)])
    if picked is None:
        return
    event(Kind.PICKUP, at=noon(picked, 9), crate=crate, point=point.id,
          round_id=round_.id if round_ else None, moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, count)])
    if received is None:
        return
    counted = count - 1 if loss else count
    moves = [Move(Stage.IN_TRANSIT, Stage.RECEIVED, counted)]
    if loss:
        moves.append(Move(Stage.IN_TRANSIT, Stage.LOST, 1, reason_id=loss.id))
    event(Kind.RECEIPT, at=noon(received, 15), crate=crate, point=point.id, washer=washer.id,
          round_id=round_.id if round_ else None, moves=moves)


def _alerts(session, driver: User, coordinator: User, point: CollectionPoint) -> None:
    """Alerts of every topic and channel, and a delivery log with each status (the "Mes alertes" page)."""
    from notifications.models import Delivery, Subscription

    at = noon(1)
    subs = [Subscription(user_id=driver.id, topic="crate_full", channel="email", target="paul@example.org",
                         created_at=at),
            Subscription(user_id=driver.id, topic="pickup_late", channel="webhook", secret="0" * 64,
                         target="https://hooks.example.org/boucle", collection_point_id=point.id,
                         threshold_days=3, created_at=at),
            Subscription(user_id=coordinator.id, topic="stock_old", channel="webhook", secret="1" * 64,
                         target="https://hooks.example.org/stock", created_at=at),
            Subscription(user_id=coordinator.id, topic="stocktake_gap", channel="email",
                         target="coordination@example.org", created_at=at),
            Subscription(user_id=coordinator.id, topic="pickup_late", channel="email", active=False,
                         target="ancienne@example.org", threshold_days=5, created_at=at)]
    session.add_all(subs)
    session.flush()
    log = [(subs[0], "sent", 1, ""), (subs[1], "pending", 2, "HTTP 500"), (subs[2], "failed", 5, "HTTP 404"),
           (subs[3], "sending", 1, ""), (subs[4], "failed", 0, "removed")]
    session.add_all(Delivery(subscription_id=sub.id, dedup_key=f"{sub.topic}:world:{n}", status=status,
                             attempts=attempts, last_error=error, payload={}, next_attempt_at=at,
                             created_at=at, sent_at=at if status == "sent" else None)
                    for n, (sub, status, attempts, error) in enumerate(log))


def _round_plans(session, washer: Washer, points: list[CollectionPoint], driver: User,
                 coordinator: User, driven: Round) -> None:
    """The washer's coordinates and two planned rounds: today's for the driver (stops at both
    points) and one on the day of the round driven and closed (planned against driven km)."""
    from collection_points.models import RoundPlan, RoundPlanStop, WasherLocation

    session.add(WasherLocation(washer_id=washer.id, latitude=Decimal("46.726400"),
                               longitude=Decimal("5.791300"), updated_by_id=coordinator.id))
    for day, km in ((today(), "38.4"), (driven.round_date, "76.5")):
        session.add(RoundPlan(
            round_date=day, driver_id=driver.id, washer_id=washer.id, van_capacity=24,
            matrix_source="coordinates", road_factor=Decimal("1.30"), km=Decimal(km), minutes=95, crates=3,
            bottles=160, created_by_id=coordinator.id, stops=[
                RoundPlanStop(position=n, collection_point_id=point.id, full_crates=1, nearly_full=n - 1,
                              bottles=50 * n, leg_km=Decimal("12.30"), leg_minutes=Decimal("16.4"))
                for n, point in enumerate(points, start=1)]))


def build(factory: Factory) -> World:
    """The world, committed."""
    session = factory.session
    models, reasons = _catalogue(factory)
    bourg, clav = models
    washer = factory.washer("LAVJURA", "Lavoir Jura")
    washer.address = "Zone artisanale, 39300 Pont-du-Navoy"
    kind = factory.point_kind()
    points = [factory.point("LONS-COMEDIE", "Cave Comédie"),
              factory.point("BLETTERANS-EPI", "Épicerie Seille")]
    for point, address in zip(points, ("14 rue Lecourbe, 39000 Lons-le-Saunier",
                                       "9 Grande Rue, 39140 Bletterans"), strict=True):
        point.kind, point.address, point.contact = kind, address, "Mme Martin"
        point.phone = "03 84 47 12 34"  # a tel: link on the driver's round and the requests page
    winemaker = factory.winemaker("ARBOIS-TILLEULS", "Domaine des Tilleuls")
    winemaker.phone = "03 84 66 01 02"
    users = _people(factory, washer, points[0])
    users["winemaker"] = _winemaker_account(factory, winemaker, "vigneron-tilleuls")
    staff, driver = users["washer"], users["driver"]
    crates = {state: factory.crate(washer=washer, at=noon(420)) for state in (
        "in_pool", "at_point", "full", "in_transit", "lost", "retired", "old", "received")}
    event = factory.event

    # The finished phase (400 to 31 days ago): a full trip, sorted, washed, sold.
    old_round = Round(code="T-OLD-1", driver_id=driver.id, round_date=noon(300).date(), washer_id=washer.id)
    session.add(old_round)
    session.flush()
    _trip(factory, crates["old"], points[0], washer, 50, full=302, picked=300, round_=old_round,
          received=299, actor=users["point"])
    event(Kind.ROUND_CLOSED, at=noon(300, 17), actor=driver, round_id=old_round.id, washer=washer.id,
          km=Decimal("84.0"), hours=Decimal("4.5"))
    old_round.closed, old_round.km, old_round.hours = True, Decimal("84.0"), Decimal("4.5")
    event(Kind.SORTING, at=noon(298), actor=staff, washer=washer.id, hours=Decimal("1.5"), moves=[
        Move(Stage.RECEIVED, Stage.SORTED, 40, model_id=bourg.id),
        Move(Stage.RECEIVED, Stage.REFUSED, 10, reason_id=reasons["REF-CREMANT"].id)])
    event(Kind.WASH, at=noon(297), actor=staff, washer=washer.id, moves=[
        Move(Stage.SORTED, Stage.CLEAN, 36, model_id=bourg.id),
        Move(Stage.SORTED, Stage.REJECTED, 4, model_id=bourg.id, reason_id=reasons["REJ-CASSE"].id)])
    event(Kind.SALE, at=noon(290), actor=users["coordinator"], washer=washer.id, moves=[
        Move(Stage.CLEAN, Stage.SOLD, 20, model_id=bourg.id, unit_price_cents=30,
             winemaker_id=winemaker.id)])

    # The phase in progress (from 30 days ago): crates in every state, a round, the washer's work.
    current = Round(code="T-NOW-1", driver_id=driver.id, round_date=noon(2).date(), washer_id=washer.id)
    session.add(current)
    session.flush()
    event(Kind.CRATE_PLACED, at=noon(6), crate=crates["at_point"], point=points[1].id, actor=driver)
    _trip(factory, crates["full"], points[0], washer, 45, full=9, actor=users["point"])
    _trip(factory, crates["in_transit"], points[1], washer, 52, full=4, picked=2, round_=current)
    _trip(factory, crates["received"], points[0], washer, 48, full=10, picked=2, round_=current,
          received=1, actor=users["point"], loss=reasons["PERTE-TRANSPORT"])
    _trip(factory, crates["lost"], points[1], washer, 20, full=20)
    event(Kind.CRATE_LOST, at=noon(15), crate=crates["lost"], point=points[1].id, actor=users["coordinator"],
          moves=[Move(Stage.AT_POINT, Stage.LOST, 20, reason_id=reasons["PERTE-TRANSPORT"].id)],
          note="crate gone")
    event(Kind.CRATE_RETIRED, at=noon(25), crate=crates["retired"], actor=users["admin"])
    sorting = event(Kind.SORTING, at=noon(1, 16), actor=staff, washer=washer.id, hours=Decimal("2"), moves=[
        Move(Stage.RECEIVED, Stage.SORTED, 30, model_id=bourg.id),
        Move(Stage.RECEIVED, Stage.SORTED, 10, model_id=clav.id),
        Move(Stage.RECEIVED, Stage.REFUSED, 5, reason_id=reasons["REF-CREMANT"].id),
        Move(Stage.RECEIVED, Stage.REFUSED, 2, reason_id=reasons["REF-ETIQUETTE"].id,
             winemaker_id=winemaker.id)])
    event(Kind.WASH, at=noon(1, 17), actor=staff, washer=washer.id, water_l=Decimal("120"),
          energy_kwh=Decimal("8.5"), hours=Decimal("1.5"), moves=[
              Move(Stage.SORTED, Stage.CLEAN, 28, model_id=bourg.id),
              Move(Stage.SORTED, Stage.REJECTED, 2, model_id=bourg.id, reason_id=reasons["REJ-SALE"].id),
              Move(Stage.SORTED, Stage.CLEAN, 10, model_id=clav.id)])
    sale = event(Kind.SALE, at=noon(1, 18), actor=users["coordinator"], washer=washer.id, moves=[
        Move(Stage.CLEAN, Stage.SOLD, 10, model_id=bourg.id, unit_price_cents=30, winemaker_id=winemaker.id),
        Move(Stage.CLEAN, Stage.SOLD, 5, model_id=clav.id, unit_price_cents=45, winemaker_id=winemaker.id)])
    twice = event(Kind.SALE, at=noon(1, 19), actor=users["coordinator"], washer=washer.id, moves=[
        Move(Stage.CLEAN, Stage.SOLD, 2, model_id=bourg.id, unit_price_cents=30, winemaker_id=winemaker.id)])
    event(Kind.CORRECTION, at=noon(1, 20), actor=users["coordinator"], corrects=twice.seq, note="typed twice")
    event(Kind.STOCKTAKE, at=noon(1, 21), actor=staff, washer=washer.id, moves=[
        Move(Stage.CLEAN, Stage.LOST, 1, model_id=bourg.id, reason_id=reasons["PERTE-INVENTAIRE"].id)])

    finished = save_phase(session, PhaseInput(
        name="Phase 1", start=(today() - timedelta(days=400)).isoformat(),
        end=(today() - timedelta(days=31)).isoformat(),
        params={"bottles_on_market": "500", "fixed_costs_eur": "1200"},
        sources={"bottles_on_market": "estimate", "fixed_costs_eur": "accounts"},
        targets={"bottles_collected": "100"}))
    running = save_phase(session, PhaseInput(
        name="Phase 2", start=(today() - timedelta(days=30)).isoformat(),
        end=(today() + timedelta(days=334)).isoformat(),
        params={"fixed_costs_eur": "3650"}, sources={"fixed_costs_eur": "budget"},
        targets={"bottles_collected": "1000", "wash_yield": "0.95"}))
    reservation = _reservations(session, winemaker, models, users["winemaker"], users["coordinator"])
    _assign(session, points[0], driver, users["coordinator"])
    _alerts(session, driver, users["coordinator"], points[0])
    _round_plans(session, washer, points, driver, users["coordinator"], old_round)
    session.commit()
    return World(washer=washer, points=points, models=models, reasons=reasons, winemaker=winemaker,
                 crates=crates, rounds=[old_round, current], users=users, phases=[finished, running],
                 sale=sale, sorting=sorting, corrected=twice, extra={"reservation": reservation})


OTHER_TOKEN = "0b0b0b0b-0000-4000-8000-00000000000b"
CLOSED_TOKEN = "0c0c0c0c-0000-4000-8000-00000000000c"


def round_code(token: str) -> str:
    """The code a driver's page or scan station gives today's round opened with `token`."""
    return f"T-{today():%Y%m%d}-{token.replace('-', '')[:8].upper()}"


def add_other_site(factory: Factory, world: World) -> OtherSite:
    """A second site beside `world`'s: washer, point, their staff, another driver, their work; committed.

    Its round goes to its own washer; one crate was received there (stock to sort, wash and sell),
    one is still in transit. The first site's driver also gets a round of today already closed.
    """
    session, event = factory.session, factory.event
    bourg = world.models[0]
    washer = factory.washer("LAVBRESSE", "Lavoir de Bresse")
    washer.staff_may_sell = True
    point = factory.point("POLIGNY-CAVE", "Cave de Poligny")
    point.address, point.contact = "3 place des Déportés, 39800 Poligny", "M. Girard"
    users = {"point": factory.user("point", "point-poligny", points=[point]),
             "driver": factory.user("driver", "driver-marc"),
             "washer": factory.user("washer", "washer-bresse", washers=[washer])}
    estate = factory.winemaker("POLIGNY-VOISIN", "Domaine du Voisin")
    users["winemaker"] = _winemaker_account(factory, estate, "vigneron-voisin")
    the_round = Round(code=round_code(OTHER_TOKEN), driver_id=users["driver"].id, round_date=today(),
                      washer_id=washer.id)
    closed = Round(code=round_code(CLOSED_TOKEN), driver_id=world.users["driver"].id, round_date=today(),
                   washer_id=world.washer.id, closed=True, km=Decimal("12.0"), hours=Decimal("1"))
    session.add_all([the_round, closed])
    session.flush()
    event(Kind.ROUND_CLOSED, at=noon(1, 18), actor=world.users["driver"], round_id=closed.id,
          washer=world.washer.id, km=Decimal("12.0"), hours=Decimal("1"))
    crates = {state: factory.crate(washer=washer, at=noon(420)) for state in ("received", "in_transit")}
    _trip(factory, crates["received"], point, washer, 40, full=5, picked=1, round_=the_round, received=1,
          actor=users["point"])
    _trip(factory, crates["in_transit"], point, washer, 30, full=4, picked=1, round_=the_round,
          actor=users["point"])
    staff = users["washer"]
    sorting = event(Kind.SORTING, at=noon(1, 16), actor=staff, washer=washer.id, moves=[
        Move(Stage.RECEIVED, Stage.SORTED, 20, model_id=bourg.id)])
    event(Kind.WASH, at=noon(1, 17), actor=staff, washer=washer.id, moves=[  # stock for every role's sale
        Move(Stage.SORTED, Stage.CLEAN, 20, model_id=bourg.id)])
    sale = event(Kind.SALE, at=noon(1, 18), actor=staff, washer=washer.id, moves=[
        Move(Stage.CLEAN, Stage.SOLD, 2, model_id=bourg.id, unit_price_cents=30,
             winemaker_id=world.winemaker.id)])
    reservation = _reservations(session, estate, world.models, users["winemaker"], world.users["coordinator"])
    session.commit()
    world.other = OtherSite(washer=washer, point=point, users=users, round=the_round,
                            round_token=OTHER_TOKEN, closed=closed, closed_token=CLOSED_TOKEN,
                            crates=crates, sorting=sorting, sale=sale, estate=estate, reservation=reservation)
    return world.other


def build_empty(factory: Factory) -> World:
    """The same catalogue and people with nothing done yet: the pages' empty states.

    Its crates are all in the pool; its phases hold no event; the sale and events it names do
    not exist (their pages answer 404 and are left out of the walk)."""
    from types import SimpleNamespace

    models, reasons = _catalogue(factory)
    washer = factory.washer("LAVJURA", "Lavoir Jura")
    points = [factory.point("LONS-COMEDIE", "Cave Comédie"),
              factory.point("BLETTERANS-EPI", "Épicerie Seille")]
    winemaker = factory.winemaker("ARBOIS-TILLEULS", "Domaine des Tilleuls")
    users = _people(factory, washer, points[0])
    users["winemaker"] = _winemaker_account(factory, winemaker, "vigneron-tilleuls")
    crates = {state: factory.crate(washer=washer, at=noon(420))
              for state in ("in_pool", "full", "in_transit")}
    phases = [save_phase(factory.session, PhaseInput(name=name, start=_day(days), end=_day(days - 364)))
              for name, days in (("Phase 1", 400), ("Phase 2", 30))]
    missing = SimpleNamespace(seq=10**9)
    factory.session.commit()
    return World(washer=washer, points=points, models=models, reasons=reasons, winemaker=winemaker,
                 crates=crates, rounds=[], users=users, phases=phases, sale=missing, sorting=missing,
                 corrected=missing)


def _assign(session, point: CollectionPoint, driver: User, coordinator: User) -> None:
    """The point's open request given to the driver (the coordinator's requests page shows it)."""
    from collection_points.operations import assign

    assign(session, point=point, driver=driver, by=coordinator, at=noon(1, 22))


def data_strings(session) -> list[str]:
    """Text the world holds as entered (names, addresses, notes): never counted as a leftover."""
    columns = (CollectionPoint.name, CollectionPoint.address, CollectionPoint.contact,
               CollectionPoint.phone, Washer.name, Washer.address, Winemaker.estate,
               Winemaker.commune, Winemaker.contact, Territory.name, User.display_name,
               BottleModel.colour, Event.note)
    found: set[str] = set()
    for column in columns:
        found.update(value for value in session.scalars(select(column)) if value)
    return sorted(found, key=len, reverse=True)


def french_catalogue_strings(session) -> list[str]:
    """French names of catalogue entries, legitimately shown (beside the English ones) in the catalogue,
    and the rows of its example CSV files."""
    from bottles.catalogue.kinds import KINDS

    found = {cell for kind in KINDS.values() for row in kind.example for cell in row if cell}
    for column in (Reason.label_fr, BottleModel.name, PointKind.label_fr):
        found.update(value for value in session.scalars(select(column)) if value)
    return sorted(found, key=len, reverse=True)
