"""Generate a Jura-scale ledger straight into a fresh SQLite file (fast bulk inserts).

The history follows the ledger rules: every crate goes placed → full → picked up → received
in sequence order, stocks never go negative in sequence order, sales draw on clean stock,
a few sales are corrected and recorded again; the crate and stock projections are written
at the end so that `flask bottles check-ledger` agrees with the raw ledger.
"""

from __future__ import annotations

import random
import sqlite3
from collections import deque
from datetime import UTC, date, datetime, timedelta

TERRITORIES = ["Lons-le-Saunier", "Revermont", "Bresse jurassienne", "Petite Montagne",
               "Arbois-Poligny", "Champagnole"]
MODELS = [("BOURG75", "Bourguignonne 75 cl", 750, 550), ("BORD75", "Bordelaise 75 cl", 750, 500),
          ("CLAV62", "Clavelin 62 cl", 620, 480)]
REFUSALS = [("etiquette_permanente", "Étiquette permanente"), ("cremant", "Crémant"),
            ("hors_pool", "Modèle hors pool"), ("casse_tri", "Cassée au tri")]
REJECTS = [("casse", "Casse"), ("ebrechure", "Ébréchure ou fêlure"),
           ("etiquette_restante", "Étiquette restée collée"), ("sale", "Salissure")]
LOSS = ("ecart_transport", "Écart de comptage en transport")
FMT = "%Y-%m-%d %H:%M:%S.%f"


def _ts(moment: datetime) -> str:
    return moment.strftime(FMT)


class Writer:
    """Buffers rows and writes them with executemany in big transactions."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.events: list[tuple] = []
        self.moves: list[tuple] = []
        self.seq = 0
        self.move_id = 0
        self.rand = random.Random(7)
        self.stock: dict[tuple, int] = {}
        self.event_count = 0
        self.move_count = 0

    def event(self, kind: str, at: datetime, *, crate=None, point=None, washer=None, round_id=None,
              corrects=None, hours=None, km=None, moves=()) -> int:
        self.seq += 1
        seq = self.seq
        self.events.append((seq, f"{self.rand.getrandbits(128):032x}", kind, _ts(at), _ts(at), None, crate,
                            point, washer, round_id, corrects, hours, km, None, None,
                            "correction de démonstration" if corrects else "", f"{seq:064x}"))
        for frm, to, q, model, reason, price, winemaker in moves:
            self.move_id += 1
            self.moves.append((self.move_id, seq, model, frm, to, q, reason, price, winemaker))
            for stage, sign in ((frm, -1), (to, 1)):
                key = _stock_key(stage, model, point, washer, winemaker)
                if key is not None:
                    self.stock[key] = self.stock.get(key, 0) + sign * q
                    if self.stock[key] < 0:
                        raise AssertionError(f"negative stock {key} at seq {seq}")
        if len(self.events) >= 50_000:
            self.flush()
        return seq

    def flush(self) -> None:
        self.conn.executemany("INSERT INTO events (seq, id, kind, occurred_at, recorded_at, actor_id, "
                              "crate_id, collection_point_id, washer_id, round_id, corrects_seq, hours, "
                              "km, water_l, energy_kwh, note, content_hash) VALUES "
                              "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", self.events)
        self.conn.executemany("INSERT INTO movements (id, event_seq, bottle_model_id, from_stage, "
                              "to_stage, quantity, reason_id, unit_price_cents, winemaker_id) VALUES "
                              "(?,?,?,?,?,?,?,?,?)", self.moves)
        self.event_count += len(self.events)
        self.move_count += len(self.moves)
        self.events.clear()
        self.moves.clear()


def _stock_key(stage: str, model, point, washer, winemaker) -> tuple | None:
    site = {"at_point": point, "in_transit": point, "received": washer, "sorted": washer,
            "clean": washer, "sold": winemaker}
    if stage not in site:
        return None
    return (stage, site[stage] or 0, (model or 0) if stage in ("sorted", "clean", "sold") else 0)


def generate(path: str, years: int = 10, bottles_per_year: int = 2_000_000, first_year: int = 2016,
             seed: int = 42) -> dict:
    """Fill the (migrated, empty) SQLite database at `path`; returns counts."""
    rnd = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    cur = conn.cursor()
    cur.executemany("INSERT INTO bottle_models (id, code, name, volume_ml, colour, glass_mass_g, in_pool, "
                    "active) VALUES (?,?,?,?,?,?,1,1)",
                    [(i + 1, c, n, v, "feuille morte", g) for i, (c, n, v, g) in enumerate(MODELS)])
    reasons = []
    for kind, items in (("refusal", REFUSALS), ("reject", REJECTS), ("loss", [LOSS])):
        for code, label in items:
            reasons.append((len(reasons) + 1, code, kind, label))
    cur.executemany("INSERT INTO reasons (id, code, kind, label_fr, label_en, active) VALUES (?,?,?,?,'',1)",
                    reasons)
    rid = {code: i for i, code, _k, _l in reasons}
    cur.execute("INSERT INTO washers (id, code, name, address, contact, phone, pallet_size, staff_may_sell, "
                "active) VALUES (1, 'LAV1', 'Centre de lavage du Jura', '', '', '', 1200, 0, 1)")
    n_points = 90
    # Territories and point kinds are catalogue rows (migration 0004 seeds some of them).
    cur.executemany("INSERT OR IGNORE INTO territories (code, name, active) VALUES (?,?,1)",
                    [(name.upper().replace(" ", "-")[:32], name) for name in TERRITORIES])
    cur.execute("INSERT OR IGNORE INTO point_kinds (code, label_fr, label_en, active) "
                "VALUES ('shop', 'caviste, épicerie', '', 1)")
    territory_ids = dict(cur.execute("SELECT name, id FROM territories").fetchall())
    shop_id = cur.execute("SELECT id FROM point_kinds WHERE code = 'shop'").fetchone()[0]
    points = [(i + 1, f"P{i + 1:03d}", f"Point de collecte n°{i + 1}", shop_id,
               territory_ids[TERRITORIES[i % 6]]) for i in range(n_points)]
    cur.executemany("INSERT INTO collection_points (id, code, name, kind_id, territory_id, address, "
                    "contact, phone, active) VALUES (?,?,?,?,?,'','','',1)", points)
    n_wm = 150
    cur.executemany("INSERT INTO winemakers (id, code, estate, commune, contact, email, phone, active) "
                    "VALUES (?,?,?,'Arbois','','','',1)",
                    [(i + 1, f"V{i + 1:03d}", f"Domaine n°{i + 1}") for i in range(n_wm)])
    n_crates = 7000
    cur.executemany("INSERT INTO crates (id, code, capacity, version) VALUES (?,?,30,0)",
                    [(i + 1, f"CJ-{i + 1:05d}-X") for i in range(n_crates)])
    w = Writer(conn)
    start = datetime(first_year, 8, 1, 6, tzinfo=UTC)
    crate_state: dict[int, tuple] = {}
    for crate in range(1, n_crates + 1):
        seq = w.event("crate_registered", start, crate=crate, washer=1)
        crate_state[crate] = ("in_pool", None, 1, start, seq)
    free: deque[tuple[date, int]] = deque((start.date(), c) for c in range(1, n_crates + 1))
    point_weight = [rnd.uniform(0.3, 2.0) for _ in points]
    day = date(first_year, 9, 1)
    end_day = date(first_year + years, 9, 1)
    sales: list[int] = []
    corrections = 0
    while day < end_day:
        year_index = (day - date(first_year, 9, 1)).days // 365
        season = 1.0 + 0.35 * (1 if day.month in (12, 1, 7, 8) else 0)
        trips = int(bottles_per_year / 24 / 365 * season * rnd.uniform(0.8, 1.2))
        noon = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        received_today = 0
        for _ in range(trips):
            while free and free[0][0] > day:
                free.rotate(-1)
            free_day, crate = free.popleft()
            point = rnd.choices(range(1, n_points + 1), weights=point_weight)[0]
            q = rnd.randint(16, 30)
            placed = noon - timedelta(days=rnd.randint(3, 9), minutes=rnd.randint(0, 600))
            full = noon - timedelta(hours=rnd.randint(2, 60))
            picked = noon + timedelta(minutes=rnd.randint(0, 480))
            got = picked + timedelta(hours=rnd.randint(2, 40))
            w.event("crate_placed", placed, crate=crate, point=point)
            w.event("crate_full", full, crate=crate, point=point,
                    moves=[("outside", "at_point", q, None, None, None, None)])
            w.event("pickup", picked, crate=crate, point=point,
                    moves=[("at_point", "in_transit", q, None, None, None, None)])
            lost = 1 if rnd.random() < 0.04 else 0
            moves = [("in_transit", "received", q - lost, None, None, None, None)]
            if lost:
                moves.append(("in_transit", "lost", lost, None, rid[LOSS[0]], None, None))
            seq = w.event("receipt", got, crate=crate, point=point, washer=1, moves=moves)
            crate_state[crate] = ("in_pool", None, 1, got, seq)
            free.append((got.date() + timedelta(days=1), crate))
            received_today += q - lost
            # Sorting: improving eligible share over the years.
            refuse_share = max(0.12, 0.42 - 0.03 * year_index) * rnd.uniform(0.7, 1.3)
            refused = min(q - lost, int(round((q - lost) * refuse_share)))
            kept = q - lost - refused
            smoves = []
            if kept:
                a = rnd.randint(0, kept)
                for model, n in ((1, a), (3, kept - a)):
                    if n:
                        smoves.append(("received", "sorted", n, model, None, None, None))
            if refused:
                r1 = rnd.randint(0, refused)
                wm = rnd.randint(1, n_wm)
                if r1:
                    smoves.append(("received", "refused", r1, None, rid["etiquette_permanente"], None, wm))
                other = rnd.choice(["cremant", "hors_pool", "casse_tri"])
                if refused - r1:
                    smoves.append(("received", "refused", refused - r1, None, rid[other], None, None))
            w.event("sorting", got + timedelta(hours=20), washer=1, hours=0.25, moves=smoves)
        # Wash all sorted stock of the day, by model; sell part of the clean stock.
        for model in (1, 3):
            stock = w.stock.get(("sorted", 1, model), 0)
            if stock:
                rej = int(stock * max(0.03, 0.12 - 0.01 * year_index) * rnd.uniform(0.6, 1.4))
                reason = rid[rnd.choice([c for c, _l in REJECTS])]
                moves = [("sorted", "clean", stock - rej, model, None, None, None)]
                if rej:
                    moves.append(("sorted", "rejected", rej, model, reason, None, None))
                w.event("wash", noon + timedelta(days=2), washer=1, hours=6.5, moves=moves)
        for _ in range(3):
            model = rnd.choice((1, 3))
            have = w.stock.get(("clean", 1, model), 0)
            if have < 200:
                continue
            q = min(have, rnd.randint(200, 1200))
            wm = rnd.randint(1, n_wm)
            price = rnd.choice((25, 28, 30))
            seq = w.event("sale", noon + timedelta(days=2, hours=3), washer=1,
                          moves=[("clean", "sold", q, model, None, price, wm)])
            sales.append(seq)
            if rnd.random() < 0.01:
                w.event("correction", noon + timedelta(days=5), washer=1, corrects=seq,
                        moves=[("sold", "clean", q, model, None, price, wm)])
                corrections += 1
        if day.weekday() < 5:
            w.event("round_closed", noon + timedelta(hours=8), km=round(rnd.uniform(60, 180), 1),
                    hours=round(rnd.uniform(4, 8), 2))
        day += timedelta(days=1)
    w.flush()
    cur.executemany("UPDATE crates SET state=?, collection_point_id=?, washer_id=?, state_since=?, "
                    "last_event_seq=? WHERE id=?",
                    [(s, cp, wa, _ts(since), last, c) for c, (s, cp, wa, since, last) in crate_state.items()])
    cur.executemany("INSERT INTO stock_levels (stage, site_id, model_id, quantity) VALUES (?,?,?,?)",
                    [(*k, v) for k, v in w.stock.items()])
    conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    return {"events": w.event_count, "movements": w.move_count, "corrections": corrections,
            "crates": n_crates, "points": n_points, "winemakers": n_wm}
