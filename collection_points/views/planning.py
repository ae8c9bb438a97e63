"""Round planning (docs/rounds.md): the coordinator proposes a day's round with the optimiser and
saves it; the driver sees it as an ordered list with map links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from bottles.auth import role_required
from bottles.body_limits import FORM_BYTES, accepts_body
from bottles.db import db
from bottles.i18n import day, number
from bottles.models import User, Washer
from bottles.numbers import ascii_decimal, parse_id
from bottles.retry import retried
from collection_points import plan_operations, plan_queries, queries, routing
from collection_points.models import WasherLocation
from collection_points.rules import figure, maps_links
from collection_points.views import bp
from collection_points.views.common import now, today

MAX_MATRIX_BYTES = 2 * 1024 * 1024
DAYS_AHEAD, DAYS_BACK = 60, 366
ROAD_FACTOR_RANGE = (Decimal("1"), Decimal("3"))
SOURCES = ("coordinates", "csv")


@dataclass
class Choices:
    """What the coordinator chose on the form, read and checked."""

    day: date
    capacity: int
    washer: Washer | None
    location: WasherLocation | None
    source: str
    road_factor: Decimal
    skip: set[int]
    km_per_bottle: float = routing.KM_PER_BOTTLE
    driver: User | None = None
    typed: dict = field(default_factory=dict)


def _parse_day(raw: str | None) -> date:
    """The round's day (AAAA-MM-JJ), from a year back to two months ahead; today when not given."""
    text = (raw or "").strip()
    if not text:
        return today()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise routing.RoutingError(_l("« %(typed)s » n'est pas une date (AAAA-MM-JJ).", typed=text[:20]),
                                   "day") from None
    if not today() - timedelta(days=DAYS_BACK) <= day <= today() + timedelta(days=DAYS_AHEAD):
        raise routing.RoutingError(_l("La date doit être entre il y a un an et dans deux mois."), "day")
    return day


def _parse_factor(raw: str | None) -> Decimal:
    """The road factor (road km ÷ straight-line km), 1 to 3; 1,3 when not given."""
    text = (raw or "").strip().replace(",", ".")
    if not text:
        return Decimal(str(routing.ROAD_FACTOR))
    try:
        value = ascii_decimal(text)
    except InvalidOperation:
        value = None
    low, high = ROAD_FACTOR_RANGE
    if value is None or not low <= value <= high:
        raise routing.RoutingError(_l("Le facteur route doit être un nombre entre %(low)s et %(high)s "
                                      "(reçu « %(typed)s »).", low=figure(low), high=figure(high),
                                      typed=text[:20]), "road_factor")
    return value


def _parse_coordinate(raw: str | None, what: str, limit: int) -> Decimal:
    text = (raw or "").strip().replace(",", ".")
    try:
        value = ascii_decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not -limit <= value <= limit or value.as_tuple().exponent < -6:
        raise routing.RoutingError(_l("%(what)s doit être un nombre entre -%(limit)s et %(limit)s, six "
                                      "décimales au plus (reçu « %(typed)s »).", what=what, limit=limit,
                                      typed=text[:20]), "coordinates")
    return value


def read_choices(values) -> Choices:
    """The form's choices (query string or posted form), each refused with a French message."""
    typed = {key: values.get(key, "") for key in ("day", "capacity", "washer_id", "source", "road_factor",
                                                    "driver_id", "worth")}
    washers = plan_queries.washer_places(db.session)
    raw_washer = values.get("washer_id", "")
    if raw_washer:
        wanted = parse_id(raw_washer)
        found = [(w, loc) for w, loc in washers if w.id == wanted]
        if not found:
            raise routing.RoutingError(_l("Centre de lavage inconnu ou inactif."), "washer_id")
    else:
        found = washers[:1]
    washer, location = found[0] if found else (None, None)
    source = values.get("source") or "coordinates"
    if source not in SOURCES:
        raise routing.RoutingError(_l("Source des distances inconnue."), "source")
    raw_capacity = values.get("capacity")
    capacity = routing.parse_van_capacity(raw_capacity if raw_capacity not in (None, "")
                                          else plan_queries.van_capacity_default(db.session))
    skip = {pid for pid in (parse_id(raw) for raw in values.getlist("skip")) if pid}
    driver = None
    if values.get("driver_id"):
        driver_id = parse_id(values.get("driver_id"))
        driver = next((d for d in queries.drivers(db.session) if d.id == driver_id), None)
        if driver is None:
            raise routing.RoutingError(_l("Chauffeur inconnu ou inactif."), "driver_id")
    return Choices(_parse_day(values.get("day")), capacity, washer, location, source,
                   _parse_factor(values.get("road_factor")), skip,
                   routing.parse_km_per_bottle(values.get("worth")), driver, typed)


def _depot_code(washer: Washer) -> str:
    return washer.code.upper()


def proposal(choices: Choices, order: list[int] | None = None) -> dict:
    """The candidates of the day split into visited, left out (and why), excluded and without
    coordinates; `order` (point ids) rebuilds a round already proposed instead of optimising."""
    washer, location = choices.washer, choices.location
    if washer is None:
        raise routing.RoutingError(_l("Aucun centre de lavage actif : ajoutez-en un au catalogue."),
                                   "washer_id")
    candidates = plan_queries.candidates(db.session, choices.day, now())
    excluded = [c for c in candidates if c.point.id in choices.skip]
    kept = [c for c in candidates if c.point.id not in choices.skip]
    if choices.source == "csv":
        matrix, _at = plan_queries.imported_matrix(db.session)
        if matrix is None:
            raise routing.RoutingError(_l("Aucune matrice de distances importée : importez-en une ou "
                                          "calculez les distances depuis les coordonnées."), "source")
        no_place = [c for c in kept if c.visit.code not in matrix.codes]
        routing.check_covers(matrix, [_depot_code(washer), *(c.visit.code for c in kept)])
    else:
        if location is None:
            raise routing.RoutingError(_l("Le centre de lavage %(name)s n'a pas de coordonnées : "
                                          "saisissez sa latitude et sa longitude ci-dessous.",
                                          name=washer.name), "coordinates")
        no_place = [c for c in kept if c.point.latitude is None or c.point.longitude is None]
        places = [(_depot_code(washer), float(location.latitude), float(location.longitude))]
        places += [(c.visit.code, float(c.point.latitude), float(c.point.longitude))
                   for c in kept if c not in no_place]
        matrix = routing.matrix_from_coordinates(places, float(choices.road_factor))
    usable = [c for c in kept if c not in no_place]
    visits = [c.visit for c in usable]
    if order is None:
        plan = routing.optimise(matrix, _depot_code(washer), visits, choices.capacity,
                                km_per_bottle=choices.km_per_bottle) if visits else routing.Plan([], 0.0, 0.0)
    else:
        by_id = {v.point_id: v for v in visits}
        if len(set(order)) != len(order) or any(pid not in by_id for pid in order):
            raise routing.RoutingError(_l("Les caisses en attente ont changé depuis la proposition : rien "
                                          "n'a été enregistré, proposez la tournée de nouveau."), "stops")
        ordered = [by_id[pid] for pid in order]
        if sum(v.crates for v in ordered) > choices.capacity:
            raise routing.RoutingError(_l("Cette tournée prend plus de caisses que le fourgon n'en contient "
                                          "(%(capacity)s) : rien n'a été enregistré.",
                                          capacity=choices.capacity), "capacity")
        plan = routing.build_plan(matrix, _depot_code(washer), ordered, choices.capacity,
                                  [v for v in visits if v.point_id not in set(order)], choices.km_per_bottle)
    by_point = {c.point.id: c for c in candidates}
    return {"plan": plan, "by_point": by_point, "excluded": excluded, "no_place": no_place,
            "matrix": matrix, "candidates": candidates}


def _page_context(choices: Choices | None, result: dict | None, error: routing.RoutingError | None,
                  values) -> dict:
    matrix, matrix_at = plan_queries.imported_matrix(db.session)
    washers = plan_queries.washer_places(db.session)
    day = choices.day if choices else today()
    saved = plan_queries.latest_plan(db.session, day)
    stop_ids = {s.collection_point_id for s in saved.stops} if saved else set()
    driver_ids = {saved.driver_id} if saved and saved.driver_id else set()
    return {"choices": choices, "result": result, "error": error, "values": values,
            "washers": washers, "drivers": queries.drivers(db.session), "imported": matrix,
            "imported_at": matrix_at, "saved": saved,
            "saved_points": plan_queries.points_by_id(db.session, stop_ids),
            "names": queries.user_names(db.session, driver_ids),
            "default_capacity": plan_queries.van_capacity_default(db.session),
            "road_factor": routing.ROAD_FACTOR, "speed": routing.SPEED_KMH,
            "stop_minutes": routing.STOP_MINUTES, "km_per_bottle": routing.KM_PER_BOTTLE,
            "today": today(), "maps_links": maps_links}


def _refused_page(error: routing.RoutingError, values, choices: Choices | None = None):
    db.session.rollback()
    return render_template("collection_points/plan.html",
                           **_page_context(choices, None, error, values)), 422


@bp.get("/tournees/preparer")
@role_required("coordinator")
def plan_page():
    """The form, and the proposed round once the coordinator asked for one (`propose` in the query)."""
    values = request.args
    if not values.get("propose"):
        return render_template("collection_points/plan.html", **_page_context(None, None, None, values))
    try:
        choices = read_choices(values)
        result = proposal(choices)
    except routing.RoutingError as error:
        return _refused_page(error, values)
    return render_template("collection_points/plan.html", **_page_context(choices, result, None, values))


@bp.post("/tournees/preparer")
@role_required("coordinator")
@retried
def plan_save():
    """The proposed round saved as the day's planned round (its order as shown), or why not."""
    values = request.form
    try:
        choices = read_choices(values)
        order = [parse_id(raw) or 0 for raw in values.getlist("stop")]
        if not order:
            raise routing.RoutingError(_l("Aucun point à visiter : rien n'a été enregistré."), "stops")
        result = proposal(choices, order)
    except routing.RoutingError as error:
        return _refused_page(error, values)
    plan = result["plan"]
    saved = plan_operations.save_plan(
        db.session, day=choices.day, driver_id=choices.driver.id if choices.driver else None,
        washer_id=choices.washer.id, capacity=choices.capacity, plan=plan, source=choices.source,
        road_factor=float(choices.road_factor) if choices.source == "coordinates" else None,
        actor=current_user, at=now())
    db.session.commit()
    flash(_("Tournée prévue du %(date)s enregistrée : %(n)s arrêts, %(km)s km.", date=day(saved.round_date),
            n=len(plan.stops), km=number(plan.km, 1)), "success")
    return redirect(url_for("collection_points.plan_page", day=choices.day.isoformat()))


@bp.post("/tournees/lavage/<int:washer_id>/coordonnees")
@role_required("coordinator")
@retried
def washer_location_save(washer_id: int):
    """A washer's latitude and longitude (the depot of its rounds)."""
    washer = db.session.get(Washer, washer_id)
    if washer is None:
        abort(404, description=_("Centre de lavage inconnu."))
    try:
        latitude = _parse_coordinate(request.form.get("latitude"), _("La latitude"), 90)
        longitude = _parse_coordinate(request.form.get("longitude"), _("La longitude"), 180)
    except routing.RoutingError as error:
        return _refused_page(error, request.form)
    plan_operations.set_washer_location(db.session, washer_id=washer.id, latitude=latitude,
                                        longitude=longitude, actor=current_user, at=now())
    db.session.commit()
    flash(_("Coordonnées de %(name)s enregistrées.", name=washer.name), "success")
    return redirect(url_for("collection_points.plan_page", washer_id=washer.id))


@bp.post("/tournees/matrice")
@role_required("coordinator")
@accepts_body(MAX_MATRIX_BYTES + FORM_BYTES)
@retried
def matrix_import():
    """A distance matrix exported by a routing tool replaces the one imported before; refused whole
    when it is not square, holds text or a negative distance, or names an unknown place."""
    upload = request.files.get("file")
    data = upload.read(MAX_MATRIX_BYTES + 1) if upload else b""
    try:
        if not upload or not upload.filename or not data:
            raise routing.RoutingError(_l("Choisissez un fichier CSV de distances."), "matrix")
        if len(data) > MAX_MATRIX_BYTES:
            raise routing.RoutingError(_l("Fichier de plus de 2 Mo : la matrice est trop grande."), "matrix")
        matrix = routing.parse_matrix_csv(data)
        known = {code.upper() for code in plan_queries.place_codes(db.session)}
        unknown = sorted(set(matrix.codes) - known)
        if unknown:
            raise routing.RoutingError(_l("Codes inconnus (ni point de collecte ni centre de lavage) : "
                                          "%(codes)s.", codes=", ".join(unknown[:20])), "matrix")
    except routing.RoutingError as error:
        return _refused_page(error, request.form)
    plan_operations.replace_matrix(db.session, matrix=matrix, actor=current_user, at=now())
    db.session.commit()
    flash(_("Matrice de distances importée : %(n)s lieux.", n=len(matrix.codes)), "success")
    return redirect(url_for("collection_points.plan_page", source="csv"))


@bp.post("/tournees/matrice/effacer")
@role_required("coordinator")
@retried
def matrix_clear():
    """The imported matrix removed: distances are computed from coordinates again."""
    plan_operations.clear_matrix(db.session)
    db.session.commit()
    flash(_("Matrice importée effacée : les distances sont calculées depuis les coordonnées."), "success")
    return redirect(url_for("collection_points.plan_page"))


@bp.get("/tournee/prevue")
@role_required("driver")
def planned_round():
    """The day's planned round for the driver: stops in order, crates at each, map links."""
    try:
        day = _parse_day(request.args.get("day"))
    except routing.RoutingError as error:
        abort(400, description=str(error))
    driver_id = current_user.id if current_user.role == "driver" else None
    plan = plan_queries.latest_plan(db.session, day, driver_id)
    stop_ids = {s.collection_point_id for s in plan.stops} if plan else set()
    points = plan_queries.points_by_id(db.session, stop_ids)
    washer = db.session.get(Washer, plan.washer_id) if plan else None
    location = db.session.get(WasherLocation, plan.washer_id) if plan else None
    return render_template("collection_points/planned_round.html", plan=plan, points=points, day=day,
                           washer=washer, location=location, maps_links=maps_links, today=today(),
                           stop_minutes=routing.STOP_MINUTES)
