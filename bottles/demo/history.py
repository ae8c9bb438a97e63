"""The demo's history as journal rows: two phases of the Jura channel, then the current weeks.

Pure and deterministic (a seeded random generator): a day-by-day simulation of points
filling crates, rounds, receipts, sorting, wash batches and resales, that only ever
writes what the ledger accepts.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bottles import codes
from bottles.demo.catalogue import ODD_MODELS, POINTS, POOL_MODELS, WASHER, WINEMAKERS, point_user
from bottles.rules import PARIS

START = date(2024, 9, 1)
PHASE2 = date(2025, 9, 1)
END = date(2026, 11, 25)  # "now" in the demo: the last day simulated
CAPACITY = 60
WASHER_CODE = WASHER[0]
SEASON = {1: 1.6, 2: 1.1, 3: 1.0, 4: 0.95, 5: 0.9, 6: 0.9, 7: 1.0, 8: 1.15, 9: 1.45, 10: 1.0,
          11: 1.0, 12: 1.2}
# Sorting outcome shares: eligible models, then refusals by reason (phase 1 close to the
# 2016-17 Jura test: many permanent labels and crémant bottles).
SORTING = {
    1: {"ok": 0.44, "REF-ETIQUETTE": 0.29, "REF-CREMANT": 0.13, "REF-HORS-PARC": 0.09,
        "REF-CASSEE": 0.03, "REF-AUTRE": 0.02},
    2: {"ok": 0.71, "REF-ETIQUETTE": 0.11, "REF-CREMANT": 0.09, "REF-HORS-PARC": 0.06,
        "REF-CASSEE": 0.02, "REF-AUTRE": 0.01},
}
MODEL_MIX = {"BOURG75": 0.45, "CLAV62": 0.25, "BORD75": 0.12, "FLUTE75": 0.07, "FIL37": 0.11}
WASH_REJECTS = {1: {"REJ-ETIQUETTE": 0.05, "REJ-EBRECHEE": 0.02, "REJ-CASSEE": 0.015,
                    "REJ-SALE": 0.01, "REJ-AUTRE": 0.005},
                2: {"REJ-ETIQUETTE": 0.015, "REJ-EBRECHEE": 0.015, "REJ-CASSEE": 0.01,
                    "REJ-SALE": 0.005, "REJ-AUTRE": 0.005}}
LABEL_CULPRITS = [code for code, _estate, _town, label, _buys in WINEMAKERS if label]


def phase_of(day: date) -> int:
    return 1 if day < PHASE2 else 2


@dataclass
class Point:
    code: str
    lat: float
    lon: float
    opens: date
    rate: float  # bottles a day, before season
    user: str
    filling: str | None = None
    empties: list[str] = field(default_factory=list)
    fulls: list[tuple[str, int]] = field(default_factory=list)
    pending: int = 0
    threshold: int = 55


class Story:
    """Accumulates journal rows (dicts keyed by column name)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rows: list[dict] = []

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def event(self, kind: str, at: datetime, actor: str, moves: tuple = (), **fields) -> str:
        event_id = fields.pop("event_id", None) or self.new_id()
        base = {"event_id": event_id, "occurred_at": at.isoformat(), "kind": kind, "actor": actor,
                **{k: v for k, v in fields.items() if v not in (None, "")}}
        if not moves:
            self.rows.append(base)
        for source, target, quantity, *rest in moves:
            model, reason, winemaker, price = (list(rest) + [None] * 4)[:4]
            row = dict(base, from_stage=source, to_stage=target, quantity=quantity)
            for key, value in (("bottle_model", model), ("reason", reason),
                               ("winemaker", winemaker), ("unit_price_eur", price)):
                if value:
                    row[key] = value
            self.rows.append(row)
        return event_id


def _at(day: date, hour: float) -> datetime:
    minutes = int(hour * 60)
    return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=PARIS)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Road distance estimate: great circle × 1.3."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    haversine = (math.sin((lat2 - lat1) / 2) ** 2
                 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 6371 * 2 * math.asin(math.sqrt(haversine)) * 1.3


def _split(rng: random.Random, total: int, shares: dict[str, float]) -> Counter:
    """`total` bottles drawn into categories with the given shares."""
    keys = list(shares)
    if total <= 0:
        return Counter()
    return Counter(rng.choices(keys, weights=[shares[k] for k in keys], k=total))


class Simulation:
    def __init__(self, scale: int, seed: int) -> None:
        self.scale = max(1, scale)
        self.story = Story(seed)
        self.rng = self.story.rng
        self.points = [
            Point(code, float(lat), float(lon), START if phase == 1 else PHASE2 + timedelta(days=i * 9),
                  (32 if phase == 1 else 37) * self.scale * (1.4 if "LONS" in code else 1.0),
                  point_user(code))
            for i, (code, _name, _kind, _territory, _address, lat, lon, phase) in enumerate(POINTS)]
        self.washer_at = (float(WASHER[3]), float(WASHER[4]))
        self.pool: list[str] = []
        self.crates: list[tuple[str, int]] = []
        self.received: list[tuple[str, int, datetime]] = []
        self.sorted: Counter = Counter()
        self.clean: Counter = Counter()
        self.round_number = 0
        self.special_done: set[str] = set()

    def register_crates(self, count: int, day: date) -> None:
        for _ in range(count):
            number = len(self.crates) + 1
            code = codes.make_code(number)
            self.crates.append((code, CAPACITY))
            self.story.event("crate_registered", _at(day, 7.5), "laveur", crate=code,
                             washer=WASHER_CODE, note="Caisse mise en service")
            self.pool.append(code)

    def run(self) -> list[dict]:
        self.register_crates(12 * self.scale, START - timedelta(days=6))
        day = START
        while day <= END:
            weekday = day.weekday()
            phase = phase_of(day)
            if weekday == 1 or (phase == 2 and weekday == 4):
                self.round(day)
            self.collect(day)
            self.crate_mishaps(day)
            if weekday in (0, 2, 4) and self.received:
                self.sort(day)
            if weekday == 3 or (phase == 2 and weekday == 0):
                self.wash(day)
            if weekday == 2:
                self.sell(day)
            if (day.month, day.day) in ((8, 28),):
                self.stocktake(day)
            day += timedelta(days=1)
        self.story.rows.sort(key=lambda row: row["occurred_at"] and datetime.fromisoformat(
            row["occurred_at"]))
        return self.story.rows

    def crate_mishaps(self, day: date) -> None:
        """A cracked crate retired from the pool, and one that went missing at a point."""
        if day == date(2025, 3, 4) and self.pool:
            self.story.event("crate_retired", _at(day, 17.5), "laveur", crate=self.pool.pop(),
                             washer=WASHER_CODE, note="Caisse fendue, retirée du parc")
        if day == date(2026, 2, 10):
            point = next(p for p in self.points if p.empties)
            self.story.event("crate_lost", _at(day, 21.5), "chauffeur", crate=point.empties.pop(),
                             collection_point=point.code, note="Caisse introuvable au point")

    # -- collection points -------------------------------------------------------------------
    def collect(self, day: date) -> None:
        season = SEASON[day.month] * (0.35 if day.weekday() == 6 else 1.0)
        for point in self.points:
            if day < point.opens:
                continue
            point.pending = min(point.pending + int(point.rate * season * self.rng.uniform(0.5, 1.5)),
                                CAPACITY * 3 * self.scale)
            while point.filling and point.pending >= point.threshold:
                self.declare_full(point, day)

    def declare_full(self, point: Point, day: date) -> None:
        count = point.threshold
        crate = point.filling
        at = _at(day, self.rng.uniform(19, 21.5))
        if day >= date(2024, 11, 12) and "wrong-count" not in self.special_done:
            self.special_done.add("wrong-count")
            wrong = self.story.event("crate_full", at, point.user,
                                     (("outside", "at_point", count + 40),),
                                     crate=crate, collection_point=point.code)
            at += timedelta(minutes=6)
            self.story.event("correction", at, point.user, (("at_point", "outside", count + 40),),
                             crate=crate, collection_point=point.code, corrects=wrong,
                             note=f"Erreur de saisie : {count + 40} au lieu de {count} bouteilles")
            at += timedelta(minutes=2)
        self.story.event("crate_full", at, point.user, (("outside", "at_point", count),),
                         crate=crate, collection_point=point.code)
        point.pending -= count
        point.fulls.append((crate, count))
        point.filling = point.empties.pop(0) if point.empties else None
        point.threshold = self.rng.randint(46, CAPACITY)

    # -- rounds ------------------------------------------------------------------------------
    def round(self, day: date) -> None:
        self.round_number += 1
        code = f"T-{day:%Y%m%d}"
        days_to_next = 7 if phase_of(day) == 1 else 4
        clock = 7.75
        position = self.washer_at
        distance = 0.0
        picked: list[tuple[str, int, str]] = []
        season = SEASON[day.month]
        for point in self.points:
            if day < point.opens:
                continue
            expected = point.rate * season * days_to_next * 1.25 / 52
            wanted = max(1, math.ceil(expected)) + 1
            have = len(point.empties) + (1 if point.filling else 0)
            to_place = max(0, wanted - have)
            if not point.fulls and not to_place:
                continue
            distance += _km(position, (point.lat, point.lon))
            position = (point.lat, point.lon)
            clock += 0.35
            for crate, count in point.fulls:
                at = _at(day, clock)
                self.story.event("pickup", at, "chauffeur", (("at_point", "in_transit", count),),
                                 crate=crate, collection_point=point.code, round=code)
                picked.append((crate, count, point.code))
                clock += 0.02 / self.scale
            point.fulls = []
            if len(self.pool) < to_place:
                self.register_crates(to_place - len(self.pool) + 2 * self.scale, day)
            for _ in range(to_place):
                crate = self.pool.pop(0)
                self.story.event("crate_placed", _at(day, clock), "chauffeur", crate=crate,
                                 collection_point=point.code, round=code)
                clock += 0.02 / self.scale
                if point.filling is None:
                    point.filling = crate
                else:
                    point.empties.append(crate)
        if not picked and distance == 0:
            return
        distance += _km(position, self.washer_at)
        clock += distance / 55
        for crate, count, point_code in picked:
            self.receive(day, clock, crate, count, point_code, code)
            clock += 0.03 / self.scale
        self.story.event("round_closed", _at(day, clock + 0.2), "chauffeur", round=code,
                         washer=WASHER_CODE, km=f"{distance:.1f}", hours=f"{clock + 0.2 - 7.5:.2f}")

    def receive(self, day: date, clock: float, crate: str, count: int, point: str, round_code: str) -> None:
        moves = []
        received = count
        roll = self.rng.random()
        if roll < 0.012:
            broken = min(count - 1, self.rng.randint(2, 6))
            moves.append(("in_transit", "lost", broken, None, "PERTE-TRANSPORT"))
            received -= broken
        elif roll < 0.04:
            missing = min(count - 1, self.rng.randint(1, 3))
            moves.append(("in_transit", "lost", missing, None, "PERTE-ECART"))
            received -= missing
        moves.insert(0, ("in_transit", "received", received))
        at = _at(day, clock)
        self.story.event("receipt", at, "laveur", tuple(moves), crate=crate, collection_point=point,
                         washer=WASHER_CODE, round=round_code)
        self.received.append((crate, received, at))
        self.pool.append(crate)

    # -- washer ------------------------------------------------------------------------------
    def sort(self, day: date) -> None:
        shares = SORTING[phase_of(day)]
        clock = 8.0
        waiting = [item for item in self.received if item[2].date() < day]
        self.received = [item for item in self.received if item[2].date() >= day]
        for crate, count, _at_received in waiting:
            outcome = _split(self.rng, count, shares)
            moves = []
            eligible = _split(self.rng, outcome.pop("ok", 0), MODEL_MIX)
            for model, quantity in sorted(eligible.items()):
                moves.append(("received", "sorted", quantity, model))
                self.sorted[model] += quantity
            for reason, quantity in sorted(outcome.items()):
                if reason == "REF-ETIQUETTE":
                    culprits = LABEL_CULPRITS if phase_of(day) == 1 else LABEL_CULPRITS[-2:]
                    estate = self.rng.choice(culprits)
                    model = self.rng.choice(["BOURG75", "CLAV62"])
                    moves.append(("received", "refused", quantity, model, reason, estate))
                elif reason == "REF-CREMANT":
                    moves.append(("received", "refused", quantity, "CREM75", reason))
                elif reason == "REF-HORS-PARC":
                    moves.append(("received", "refused", quantity, self.rng.choice(ODD_MODELS), reason))
                else:
                    moves.append(("received", "refused", quantity, None, reason))
            self.story.event("sorting", _at(day, clock), "laveur", tuple(moves), crate=crate,
                             washer=WASHER_CODE, hours=f"{count * 0.005:.2f}")
            clock = min(clock + 0.05, 17.5)

    def wash(self, day: date) -> None:
        total = sum(self.sorted.values())
        if total < 150 * self.scale:
            return
        rejects = WASH_REJECTS[phase_of(day)]
        shares = {"ok": 1 - sum(rejects.values()), **rejects}
        moves = []
        for model in sorted(self.sorted):
            quantity = self.sorted[model]
            if not quantity:
                continue
            outcome = _split(self.rng, quantity, shares)
            clean = outcome.pop("ok", 0)
            if clean:
                moves.append(("sorted", "clean", clean, model))
                self.clean[model] += clean
            for reason, rejected in sorted(outcome.items()):
                moves.append(("sorted", "rejected", rejected, model, reason))
            self.sorted[model] = 0
        self.story.event("wash", _at(day, 18), "laveur", tuple(moves), washer=WASHER_CODE,
                         hours=f"{2 + total / 1500:.2f}", water_l=f"{total * 0.6:.1f}",
                         energy_kwh=f"{total * 0.045:.2f}")

    def sell(self, day: date) -> None:
        phase = phase_of(day)
        buyers = [code for code, _estate, _town, _label, buys in WINEMAKERS if buys and buys <= phase]
        chance, share = (0.3, 0.55) if phase == 1 else (0.45, 0.6)
        for buyer in buyers:
            if self.rng.random() > chance:
                continue
            model = max(POOL_MODELS, key=lambda model: (self.clean[model], model))
            quantity = int(self.clean[model] * share * self.rng.uniform(0.6, 1.0))
            if quantity < 60:
                continue
            price = "0.30" if phase == 1 else self.rng.choice(["0.28", "0.30", "0.32"])
            at = _at(day, self.rng.uniform(9, 17))
            move = (("clean", "sold", quantity, model, None, buyer, price),)
            if phase == 2 and "wrong-buyer" not in self.special_done:
                self.special_done.add("wrong-buyer")
                other = next(code for code in buyers if code != buyer)
                wrong = self.story.event("sale", at, "coordination",
                                         (("clean", "sold", quantity, model, None, other, price),),
                                         washer=WASHER_CODE)
                self.story.event("correction", at + timedelta(minutes=20), "coordination",
                                 (("sold", "clean", quantity, model, None, other, price),),
                                 washer=WASHER_CODE, corrects=wrong,
                                 note="Vente saisie au nom du mauvais domaine")
                at += timedelta(minutes=25)
            self.story.event("sale", at, "coordination", move, washer=WASHER_CODE,
                             note=f"Facture {day:%Y%m}-{len(self.story.rows) % 1000:03d}")
            self.clean[model] -= quantity

    def stocktake(self, day: date) -> None:
        model = max(POOL_MODELS, key=lambda model: (self.clean[model], model))
        missing = min(self.clean[model], 8 * self.scale)
        moves = []
        if missing:
            moves.append(("clean", "lost", missing, model, "PERTE-INVENTAIRE"))
            self.clean[model] -= missing
        moves.append(("outside", "sorted", 3 * self.scale, "FIL37", "SURPLUS"))
        self.sorted["FIL37"] += 3 * self.scale
        self.story.event("stocktake", _at(day, 18.5), "laveur", tuple(moves), washer=WASHER_CODE,
                         note="Inventaire annuel du centre de lavage", hours="3.00")


def history(scale: int = 1, seed: int = 2024) -> tuple[list[dict], list[tuple[str, int]]]:
    """The journal rows of the demo and the crates they use (code, capacity)."""
    simulation = Simulation(scale, seed)
    rows = simulation.run()
    return rows, simulation.crates
