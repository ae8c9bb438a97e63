"""The demo's catalogue: Jura bottle models, reasons, collection points, washer, estates, people.

Collection points and estates are invented, with addresses in real Jura communes.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles.auth import hash_password
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

# code, name, volume ml, colour, glass g, in the pool
MODELS = [
    ("BOURG75", "Bourguignonne 75 cl", 750, "feuille morte", 550, True),
    ("BORD75", "Bordelaise 75 cl", 750, "vert", 520, True),
    ("CLAV62", "Clavelin 62 cl (Jura)", 620, "feuille morte", 600, True),
    ("FLUTE75", "Flûte alsacienne 75 cl", 750, "vert", 500, True),
    ("FIL37", "Fillette 37,5 cl", 375, "feuille morte", 330, True),
    ("CREM75", "Crémant 75 cl", 750, "vert", 835, False),
    ("LOURDE75", "Bourguignonne lourde gravée 75 cl", 750, "extra-blanc", 900, False),
    ("MAGNUM150", "Magnum 150 cl", 1500, "feuille morte", 1100, False),
    ("POT46", "Pot lyonnais 46 cl", 460, "vert", 520, False),
]
# code → English name, shown in English
MODEL_NAMES_EN = {
    "BOURG75": "Burgundy 75 cl", "BORD75": "Bordeaux 75 cl", "CLAV62": "Clavelin 62 cl (Jura)",
    "FLUTE75": "Alsace flute 75 cl", "FIL37": "Half bottle 37.5 cl", "CREM75": "Crémant 75 cl",
    "LOURDE75": "Heavy engraved Burgundy 75 cl", "MAGNUM150": "Magnum 150 cl",
    "POT46": "Lyon pot 46 cl",
}
POOL_MODELS = [code for code, *_rest, in_pool in MODELS if in_pool]
ODD_MODELS = ["LOURDE75", "MAGNUM150", "POT46"]

# code, kind, French label, English label
REASONS = [
    ("REF-HORS-PARC", "refusal", "Modèle hors parc mutualisé", "Model not in the pool"),
    ("REF-CREMANT", "refusal", "Bouteille de crémant", "Crémant bottle"),
    ("REF-ETIQUETTE", "refusal", "Étiquette permanente (colle non lavable)",
     "Permanent label (glue that does not wash off)"),
    ("REF-CASSEE", "refusal", "Cassée", "Broken"),
    ("REF-AUTRE", "refusal", "Autre (refus)", "Other (refusal)"),
    ("REJ-CASSEE", "reject", "Cassée au lavage", "Broken in the wash"),
    ("REJ-EBRECHEE", "reject", "Ébréchée / fêlée", "Chipped / cracked"),
    ("REJ-ETIQUETTE", "reject", "Étiquette non décollée", "Label still on"),
    ("REJ-SALE", "reject", "Sale / contaminée", "Dirty / contaminated"),
    ("REJ-AUTRE", "reject", "Autre (rebut)", "Other (reject)"),
    ("PERTE-TRANSPORT", "loss", "Casse en transport", "Transit breakage"),
    ("PERTE-ECART", "loss", "Écart de comptage", "Count difference"),
    ("PERTE-INVENTAIRE", "loss", "Écart d'inventaire", "Stock-take difference"),
    ("SURPLUS", "surplus", "Excédent constaté", "Surplus found"),
]

# The point kinds and territories the demo uses (migration 0004 seeds them with these labels).
POINT_KIND_LABELS = {"shop": "caviste, épicerie", "supermarket": "grande surface",
                     "recycling": "déchèterie, recyclerie", "estate": "domaine viticole",
                     "restaurant": "restaurant, bar"}


def territory_code(name: str) -> str:
    """ "Région d'Orgelet" → "REGION-D-ORGELET", as the migration names the seeded ones."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", "-", plain.upper()).strip("-")[:28] or "T"


# code, name, kind, territory, address, lat, lon, phase (1 = from the start, 2 = from phase 2)
POINTS = [
    ("LONS-COMEDIE", "Cave de la Comédie", "shop", "ECLA",
     "14 rue de la Comédie, 39000 Lons-le-Saunier", "46.674650", "5.555210", 1),
    ("LONS-BIOCOOP", "Biocoop Les Salines", "supermarket", "ECLA",
     "320 avenue de Montaigu, 39000 Lons-le-Saunier", "46.662380", "5.561940", 1),
    ("CONLIEGE-RECYC", "Recyclerie du Revermont", "recycling", "ECLA",
     "2 route de Lons, 39570 Conliège", "46.655300", "5.597200", 1),
    ("BLETTERANS-EPI", "Épicerie de la Seille", "shop", "Bresse Haute Seille",
     "9 Grande Rue, 39140 Bletterans", "46.746700", "5.453900", 1),
    ("VOITEUR-CAVEAU", "Caveau des Coteaux de la Haute Seille", "estate", "Bresse Haute Seille",
     "3 place de la Mairie, 39210 Voiteur", "46.753600", "5.612200", 1),
    ("LONS-BISTROT", "Bistrot du Puits Salé", "restaurant", "ECLA",
     "5 place de la Liberté, 39000 Lons-le-Saunier", "46.675300", "5.554400", 2),
    ("MONTMOROT-DECH", "Déchetterie de Montmorot", "recycling", "ECLA",
     "Zone de l'Aiglepierre, 39570 Montmorot", "46.680500", "5.510700", 2),
    ("CHALON-CAVE", "Cave du Vin Jaune", "shop", "Bresse Haute Seille",
     "1 rue de l'Église, 39210 Château-Chalon", "46.754700", "5.625300", 2),
    ("CLAIRVAUX-SUPER", "Supérette des Lacs", "supermarket", "Pays des Lacs",
     "18 Grande Rue, 39130 Clairvaux-les-Lacs", "46.573600", "5.748900", 2),
    ("ORGELET-HALLE", "Épicerie de la Halle", "shop", "Région d'Orgelet",
     "4 place au Vin, 39270 Orgelet", "46.521400", "5.611100", 2),
    ("STAMOUR-CAVE", "Cave de Saint-Amour", "shop", "Porte du Jura",
     "27 rue du Commerce, 39160 Saint-Amour", "46.436400", "5.343100", 2),
    ("ARINTHOD-MARCHE", "Marché de Petite Montagne", "shop", "Petite Montagne",
     "6 place de l'Église, 39240 Arinthod", "46.393900", "5.567200", 2),
]
WASHER = ("LAVJURA", "Centre de lavage du Jura", "Zone artisanale, 39300 Pont-du-Navoy",
          Decimal("46.730000"), Decimal("5.783000"))

# code, estate, commune, leaves permanent labels (phase 1), buys from phase (1 or 2 or 0)
WINEMAKERS = [
    ("ARBOIS-TILLEULS", "Domaine des Tilleuls", "Arbois", False, 1),
    ("ARBOIS-CUISANCE", "Caveau de la Cuisance", "Arbois", True, 2),
    ("PUPILLIN-PLOUSSARD", "Domaine du Ploussard", "Pupillin", False, 1),
    ("ETOILE-ARGENT", "Domaine de l'Étoile d'Argent", "L'Étoile", True, 2),
    ("CHALON-ROCHE", "Domaine de la Roche Jaune", "Château-Chalon", True, 0),
    ("MONTIGNY-ARSURES", "Domaine des Arsures", "Montigny-lès-Arsures", False, 2),
    ("VOITEUR-COTEAUX", "Cave des Coteaux", "Voiteur", False, 1),
    ("POLIGNY-ORAIN", "Domaine du Val d'Orain", "Poligny", True, 2),
    ("ROTALIER-GRANGES", "Domaine des Granges", "Rotalier", False, 2),
    ("GEVINGEY-COMBE", "Domaine de la Combe", "Gevingey", True, 0),
    ("MESNAY-FORGES", "Domaine des Forges", "Mesnay", False, 2),
]

# username, display name, role, password, attached point codes, attached washer codes
ACCOUNTS = [
    ("admin", "Administration Boucle", "admin", "demo-admin", (), ()),
    ("coordination", "Claire Vuillermoz (coordination)", "coordinator", "demo-coordination", (), ()),
    ("chauffeur", "Julien Bourgeois (chauffeur)", "driver", "demo-chauffeur", (), ()),
    ("laveur", "Sandrine Mathieu (centre de lavage)", "washer", "demo-laveur", (), ("LAVJURA",)),
    ("point-comedie", "Cave de la Comédie", "point", "demo-point", ("LONS-COMEDIE",), ()),
    ("point-biocoop", "Biocoop Les Salines", "point", "demo-point", ("LONS-BIOCOOP",), ()),
    ("point-conliege", "Recyclerie du Revermont", "point", "demo-point", ("CONLIEGE-RECYC",), ()),
    ("point-bletterans", "Épicerie de la Seille", "point", "demo-point", ("BLETTERANS-EPI",), ()),
    ("point-voiteur", "Caveau de Voiteur", "point", "demo-point", ("VOITEUR-CAVEAU",), ()),
    ("point-lons", "Points de Lons (bistrot, déchetterie)", "point", "demo-point",
     ("LONS-BISTROT", "MONTMOROT-DECH"), ()),
    ("point-lacs", "Points du sud (Lacs, Orgelet, Saint-Amour, Arinthod, Château-Chalon)", "point",
     "demo-point", ("CLAIRVAUX-SUPER", "ORGELET-HALLE", "STAMOUR-CAVE", "ARINTHOD-MARCHE",
                    "CHALON-CAVE"), ()),
    ("vigneron-tilleuls", "Domaine des Tilleuls (vigneron)", "winemaker", "demo-vigneron", (), ()),
    ("vigneron-coteaux", "Cave des Coteaux (vigneron)", "winemaker", "demo-vigneron", (), ()),
]
# a winemaker's account → the estate (its code) whose reservations and purchases it sees
WINEMAKER_ACCOUNTS = {"vigneron-tilleuls": "ARBOIS-TILLEULS", "vigneron-coteaux": "VOITEUR-COTEAUX"}


def point_user(code: str) -> str:
    """The demo account that declares crates full at a point."""
    return next(username for username, _display, _role, _password, points, _washers in ACCOUNTS
                if code in points)


def create_catalogue(session: Session, crate_codes: list[tuple[str, int]]) -> None:
    """Models, reasons, points, washer, estates, crates and the demo accounts, through the ORM."""
    session.add_all(BottleModel(code=code, name=name, name_en=MODEL_NAMES_EN[code], volume_ml=volume,
                                colour=colour, glass_mass_g=glass, in_pool=in_pool)
                    for code, name, volume, colour, glass, in_pool in MODELS)
    session.add_all(Reason(code=code, kind=kind, label_fr=label_fr, label_en=label_en)
                    for code, kind, label_fr, label_en in REASONS)
    kinds = {kind.code: kind for kind in session.scalars(select(PointKind))}
    territories = {territory.name: territory for territory in session.scalars(select(Territory))}
    points = {}
    for code, name, kind, territory, address, lat, lon, phase in POINTS:
        if kind not in kinds:  # the migration seeds them; a wiped database may not have them
            kinds[kind] = PointKind(code=kind, label_fr=POINT_KIND_LABELS[kind])
        if territory not in territories:
            territories[territory] = Territory(code=territory_code(territory), name=territory)
        points[code] = CollectionPoint(
            code=code, name=name, kind=kinds[kind], territory=territories[territory],
            address=address,
            latitude=Decimal(lat), longitude=Decimal(lon), contact="Responsable du point",
            phone=f"03 84 {sum(map(ord, code)) % 90 + 10:02d} {len(name) + 10:02d} 00",
            active_from=date(2024, 9, 1) if phase == 1 else date(2025, 9, 1))
    session.add_all(points.values())
    code, name, address, _lat, _lon = WASHER
    washer = Washer(code=code, name=name, address=address, contact="Accueil du quai",
                    phone="03 84 25 00 00", pallet_size=1200)
    session.add(washer)
    estates = {code: Winemaker(code=code, estate=estate, commune=town, contact=f"{estate} — vente",
                               email=f"contact@{code.lower()}.example")
               for code, estate, town, _label, _buys in WINEMAKERS}
    session.add_all(estates.values())
    session.add_all(Crate(code=code, capacity=capacity) for code, capacity in crate_codes)
    hashes: dict[str, str] = {}
    for username, display, role, password, point_codes, washer_codes in ACCOUNTS:
        if password not in hashes:
            hashes[password] = hash_password(password)
        user = User(username=username, display_name=display, role=role,
                    password_hash=hashes[password])
        user.collection_points = [points[point_code] for point_code in point_codes]
        user.washers = [washer] if washer_codes else []
        user.winemaker = estates.get(WINEMAKER_ACCOUNTS.get(username, ""))
        session.add(user)
    session.flush()
