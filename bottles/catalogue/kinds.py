"""What each catalogue kind is: its table, form, list columns, search, filters and CSV columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from bottles.catalogue import forms
from bottles.db import db
from bottles.models import BottleModel, CollectionPoint, PointKind, Reason, Territory, Washer, Winemaker


@dataclass(frozen=True)
class Filter:
    param: str
    label: object
    attr: str
    choices: tuple[tuple[str, str], ...] | Callable[[], tuple[tuple[str, str], ...]]

    def options(self) -> tuple[tuple[str, str], ...]:
        """The choices, read from the catalogue when they are data (territories, point kinds)."""
        return self.choices() if callable(self.choices) else self.choices


def _territory_choices() -> tuple[tuple[str, str], ...]:
    names = db.session.scalars(select(Territory.name).order_by(Territory.name))
    return (("", "tous"), *((n, n) for n in names))


def _point_kind_choices() -> tuple[tuple[str, str], ...]:
    rows = db.session.execute(select(PointKind.code, PointKind.label_fr).order_by(PointKind.label_fr))
    return (("", "tous"), *((code, label) for code, label in rows))


@dataclass(frozen=True)
class CatalogueKind:
    slug: str
    title: object          # plural, for headings and menus
    one: object            # singular, for "Nouveau …"
    model: type
    form: type
    name_attr: str         # the human name column, searched with the code
    columns: tuple[tuple[str, object], ...]
    search: tuple[str, ...]
    csv_columns: tuple[str, ...]
    csv_required: tuple[str, ...]
    example: tuple[tuple[str, ...], ...]
    filters: tuple[Filter, ...] = field(default=())


ACTIVE_FILTER = Filter("active", _l("État"), "active",
                       (("", "tous"), ("1", "actifs"), ("0", "désactivés")))

KINDS: dict[str, CatalogueKind] = {k.slug: k for k in (
    CatalogueKind(
        "models", _l("Modèles de bouteille"), _l("modèle de bouteille"), BottleModel,
        forms.BottleModelForm, "name",
        (("code", _l("Code")), ("name", _l("Nom")), ("volume_ml", _l("Volume (ml)")),
         ("colour", _l("Couleur")), ("glass_mass_g", _l("Verre (g)")), ("in_pool", _l("Pool"))),
        ("code", "name", "colour"),
        ("code", "name", "name_en", "volume_ml", "colour", "glass_mass_g", "in_pool"),
        ("code", "name", "volume_ml", "glass_mass_g"),
        (("BOURG75", "Bourguignonne 75 cl", "Burgundy 75 cl", "750", "feuille morte", "550", "oui"),
         ("CLAV62", "Clavelin 62 cl", "Clavelin 62 cl", "620", "feuille morte", "600", "oui"),
         ("CREM75", "Crémant 75 cl", "Crémant 75 cl", "750", "vert", "900", "non")),
        (Filter("in_pool", _l("Pool"), "in_pool",
                (("", "tous"), ("1", "dans le pool"), ("0", "hors pool"))), ACTIVE_FILTER),
    ),
    CatalogueKind(
        "reasons", _l("Motifs"), _l("motif"), Reason, forms.ReasonForm, "label_fr",
        (("code", _l("Code")), ("kind", _l("Type")), ("label_fr", _l("Libellé")),
         ("label_en", _l("Libellé anglais"))),
        ("code", "label_fr", "label_en"),
        ("code", "kind", "label_fr", "label_en"),
        ("code", "kind", "label_fr"),
        (("ETIQ", "refusal", "Étiquette permanente", "Permanent label"),
         ("CASSE", "reject", "Cassée ou ébréchée", "Broken or chipped")),
        (Filter("kind", _l("Type"), "kind", (("", "tous"), *forms.REASON_KINDS.items())),
         ACTIVE_FILTER),
    ),
    CatalogueKind(
        "points", _l("Points de collecte"), _l("point de collecte"), CollectionPoint,
        forms.CollectionPointForm, "name",
        (("code", _l("Code")), ("name", _l("Nom")), ("kind", _l("Type")),
         ("territory", _l("Territoire")), ("address", _l("Adresse")),
         ("active_from", _l("Depuis")), ("active_until", _l("Jusqu'au"))),
        ("code", "name", "address", "contact"),
        ("code", "name", "kind", "territory", "address", "latitude", "longitude", "contact",
         "phone", "active_from", "active_until"),
        ("code", "name", "kind"),
        (("CAVE-LONS", "Cave du Vieux Lons", "shop", "ECLA", "12 rue du Commerce, 39000 Lons-le-Saunier",
          "46.6742", "5.5547", "Mme Martin", "03 84 00 00 00", "2026-01-05", ""),),
        (Filter("territory", _l("Territoire"), "territory", _territory_choices),
         Filter("kind", _l("Type"), "kind", _point_kind_choices),
         ACTIVE_FILTER),
    ),
    CatalogueKind(
        "territories", _l("Territoires"), _l("territoire"), Territory, forms.TerritoryForm, "name",
        (("code", _l("Code")), ("name", _l("Nom"))),
        ("code", "name"),
        ("code", "name"),
        ("code", "name"),
        (("ARBOIS-POLIGNY", "Arbois-Poligny"), ("CHAMPAGNOLE", "Champagnole")),
        (ACTIVE_FILTER,),
    ),
    CatalogueKind(
        "point-kinds", _l("Types de point"), _l("type de point"), PointKind, forms.PointKindForm,
        "label_fr",
        (("code", _l("Code")), ("label_fr", _l("Libellé")), ("label_en", _l("Libellé anglais"))),
        ("code", "label_fr", "label_en"),
        ("code", "label_fr", "label_en"),
        ("code", "label_fr"),
        (("coop", "cave coopérative", "cooperative cellar"),),
        (ACTIVE_FILTER,),
    ),
    CatalogueKind(
        "washers", _l("Centres de lavage"), _l("centre de lavage"), Washer, forms.WasherForm, "name",
        (("code", _l("Code")), ("name", _l("Nom")), ("address", _l("Adresse")),
         ("contact", _l("Contact")), ("pallet_size", _l("Palette"))),
        ("code", "name", "address"),
        ("code", "name", "address", "contact", "phone", "pallet_size", "staff_may_sell"),
        ("code", "name"),
        (("LAV-LONS", "Centre de lavage de Lons", "ZA En Bercaille, 39000 Lons-le-Saunier",
          "M. Girod", "03 84 11 22 33", "1200", "non"),),
        (ACTIVE_FILTER,),
    ),
    CatalogueKind(
        "winemakers", _l("Vignerons"), _l("vigneron"), Winemaker, forms.WinemakerForm, "estate",
        (("code", _l("Code")), ("estate", _l("Domaine")), ("commune", _l("Commune")),
         ("contact", _l("Contact")), ("email", _l("Courriel"))),
        ("code", "estate", "commune", "contact"),
        ("code", "estate", "commune", "contact", "email", "phone"),
        ("code", "estate"),
        (("DOM-ROLET", "Domaine Rolet", "Arbois", "Pierre Rolet", "contact@rolet.example",
          "03 84 66 00 00"),),
        (ACTIVE_FILTER,),
    ),
)}
