"""Small builders for test data, written through the same operations as the app."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles import codes
from bottles.auth import hash_password
from bottles.ledger import Draft, record
from bottles.models import (
    BottleModel,
    CollectionPoint,
    Crate,
    PointKind,
    Reason,
    Territory,
    User,
    Washer,
    Winemaker,
)
from bottles.rules import Kind, Move, Stage

PASSWORD = "motdepasse-solide"
SEEDED_TERRITORIES = ("ECLA", "Bresse Haute Seille", "Pays des Lacs", "Porte du Jura",
                      "Petite Montagne", "Région d'Orgelet")
SEEDED_POINT_KINDS = (("shop", "caviste, épicerie"), ("restaurant", "restaurant, bar"),
                      ("supermarket", "grande surface"), ("recycling", "déchèterie, recyclerie"),
                      ("estate", "domaine viticole"), ("other", "autre"))
# Their English labels, as migration 0004 seeds them.
SEEDED_POINT_KINDS_EN = {"shop": "wine shop, grocery", "restaurant": "restaurant, bar",
                         "supermarket": "supermarket", "recycling": "recycling centre",
                         "estate": "wine estate", "other": "other"}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Factory:
    """Creates catalogue rows, people and events; every event goes through `record`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def model(self, code: str = "BOURG75", name: str = "Bourguignonne 75 cl", volume_ml: int = 750,
              in_pool: bool = True, glass_mass_g: int = 550) -> BottleModel:
        row = BottleModel(code=code, name=name, volume_ml=volume_ml, colour="feuille morte",
                          glass_mass_g=glass_mass_g, in_pool=in_pool)
        self.session.add(row)
        self.session.flush()
        return row

    def reason(self, code: str, kind: str = "refusal", label: str | None = None) -> Reason:
        row = Reason(code=code, kind=kind, label_fr=label or code)
        self.session.add(row)
        self.session.flush()
        return row

    def territory(self, name: str) -> Territory:
        """The territory of that name (the migration seeds the usual six), created if missing."""
        row = self.session.scalar(select(Territory).where(Territory.name == name))
        if row is None:
            code = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").upper()[:28] or "T"
            row = Territory(code=f"{code}-{self._next()}", name=name)
            self.session.add(row)
            self.session.flush()
        return row

    def point_kind(self, code: str = "shop", label: str = "caviste, épicerie") -> PointKind:
        row = self.session.scalar(select(PointKind).where(PointKind.code == code))
        if row is None:
            row = PointKind(code=code, label_fr=label, label_en=SEEDED_POINT_KINDS_EN.get(code, ""))
            self.session.add(row)
            self.session.flush()
        return row

    def point_catalogue(self) -> None:
        """The six territories and point kinds migration 0004 seeds (PostgreSQL test runs
        empty every table between tests, so tests that count on them call this)."""
        for name in SEEDED_TERRITORIES:
            self.territory(name)
        for code, label in SEEDED_POINT_KINDS:
            self.point_kind(code, label)

    def point(self, code: str | None = None, name: str | None = None,
              territory: str = "ECLA") -> CollectionPoint:
        n = self._next()
        row = CollectionPoint(code=code or f"P{n:02d}", name=name or f"Cave n°{n}",
                              kind=self.point_kind(),
                              territory=self.territory(territory) if territory else None,
                              address=f"{n} rue du Commerce, 39000 Lons-le-Saunier",
                              contact="Mme Martin", phone="03 84 00 00 00")
        self.session.add(row)
        self.session.flush()
        return row

    def washer(self, code: str = "LAV1", name: str = "Centre de lavage de Lons") -> Washer:
        row = Washer(code=code, name=name, address="ZA En Bercaille, 39000 Lons-le-Saunier")
        self.session.add(row)
        self.session.flush()
        return row

    def winemaker(self, code: str | None = None, estate: str | None = None) -> Winemaker:
        n = self._next()
        row = Winemaker(code=code or f"V{n:02d}", estate=estate or f"Domaine n°{n}",
                        commune="Arbois")
        self.session.add(row)
        self.session.flush()
        return row

    def user(self, role: str, username: str | None = None, points=(), washers=()) -> User:
        row = User(username=username or f"{role}{self._next()}", role=role,
                   display_name=f"{role.title()} de test", password_hash=hash_password(PASSWORD))
        row.collection_points = list(points)
        row.washers = list(washers)
        self.session.add(row)
        self.session.flush()
        return row

    def crate(self, number: int | None = None, capacity: int = 60, washer: Washer | None = None,
              actor: User | None = None, at: datetime = T0) -> Crate:
        row = Crate(code=codes.make_code(number or self._next()), capacity=capacity)
        self.session.add(row)
        self.session.flush()
        self.event(Kind.CRATE_REGISTERED, at=at, actor=actor, crate=row,
                   washer=washer.id if washer else None)
        return row

    def event(self, kind: Kind, *, at: datetime = T0, actor: User | None = None,
              crate: Crate | None = None, point: int | None = None, washer: int | None = None,
              moves: list[Move] | None = None, corrects: int | None = None, note: str = "",
              event_id: uuid.UUID | None = None, **extra):
        draft = Draft(id=event_id or uuid.uuid4(), kind=kind, occurred_at=at,
                      actor_id=actor.id if actor else None, moves=moves or [],
                      crate_id=crate.id if crate else None, collection_point_id=point,
                      washer_id=washer, corrects_seq=corrects, note=note, **extra)
        return record(self.session, draft).event

    def full_crate_at(self, point: CollectionPoint, count: int = 50, washer: Washer | None = None,
                      actor: User | None = None, at: datetime = T0) -> Crate:
        """A registered crate placed at `point` and declared full with `count` bottles."""
        crate = self.crate(washer=washer, actor=actor, at=at)
        self.event(Kind.CRATE_PLACED, at=at + timedelta(minutes=1), crate=crate, point=point.id,
                   actor=actor)
        self.event(Kind.CRATE_FULL, at=at + timedelta(days=1), crate=crate, point=point.id,
                   actor=actor, moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, count)])
        return crate


def login(client: FlaskClient, user: User, password: str = PASSWORD):
    """Sign in through the real form (CSRF token included)."""
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": user.username, "password": password,
                                       "csrf_token": token, "remember": "y"})


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict, page_url: str | None = None, **kwargs):
    """GET the form's page for its CSRF token, then POST `data` with it."""
    token = csrf_from(client.get(page_url or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)
