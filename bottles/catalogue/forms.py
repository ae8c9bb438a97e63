"""Catalogue forms: one per kind, used by the pages and, without CSRF, by the CSV import."""

from __future__ import annotations

import re
import unicodedata
from decimal import InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FileField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from bottles.db import db
from bottles.models import (
    BottleModel,
    CollectionPoint,
    PointKind,
    Reason,
    Territory,
    Washer,
    Winemaker,
)
from bottles.numbers import SEQ_MAX, ascii_decimal, ascii_digits, bounded, choice_id

REASON_KINDS = {"refusal": "écart au tri", "reject": "rebut de lavage", "loss": "perte",
                "surplus": "surplus à l'inventaire"}
FALSE_VALUES = ("false", "", "0", "non", "n", "no", "faux", "off")
REQUIRED = _l("Champ obligatoire.")


def _too_long(size: int) -> Length:
    return Length(max=size, message=_l("%(max)d caractères au plus."))


def _int_range(low: int, high: int) -> NumberRange:
    return NumberRange(low, high, message=_l("Nombre entier entre %(min)s et %(max)s."))


class FrenchDecimalField(DecimalField):
    """Accepts 46,67 as well as 46.67."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip().replace(",", ".").replace(" ", "")
        try:
            self.data = ascii_decimal(raw)
        except InvalidOperation as error:
            self.data = None
            raise ValueError(_("Nombre décimal attendu (par exemple 46,6742).")) from error
        if not self.data.is_finite():
            self.data = None
            raise ValueError(_("Nombre décimal attendu (par exemple 46,6742)."))


class FrenchIntegerField(IntegerField):
    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip()
        negative = raw.startswith("-")  # "-5" is a whole number: the range check names the bounds
        text = ascii_digits(raw[1:] if negative else raw, grouped=True)
        self.data = bounded(text, SEQ_MAX) if text is not None else None
        if self.data is None:
            raise ValueError(self._out_of_range() if text is not None else _("Nombre entier attendu."))
        if negative:
            self.data = -self.data

    def _out_of_range(self) -> str:
        """Digits too many to be a count: the field's own range message names its bounds."""
        for validator in self.validators:
            if isinstance(validator, NumberRange) and validator.message:
                return str(validator.message) % {"min": validator.min, "max": validator.max}
        return _("Nombre entier attendu.")

    def pre_validate(self, form) -> None:
        """An unreadable number says so once, not again as out of range."""
        if self.process_errors:
            raise StopValidation()


class FrenchDateField(DateField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Date attendue au format AAAA-MM-JJ.")) from error


def _bool(label) -> BooleanField:
    return BooleanField(label, false_values=FALSE_VALUES)


def fold(text: str) -> str:
    """Case, accents and spacing left out: "Déchèterie " and "dechetERIE" compare equal."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().split())


def _kind_keys(kind: PointKind) -> list[str]:
    """What names a point kind: its code, its labels, each part of a label ("caviste")."""
    labels = [kind.label_fr, kind.label_en]
    parts = [p for label in labels for p in re.split(r"[,;/]", label or "")]
    return [fold(k) for k in (kind.code, *labels, *parts) if fold(k)]


def point_kind_options(keep_id: int | None = None) -> list[PointKind]:
    """Active point kinds (and the one a point already has), in the order they were added."""
    return list(db.session.scalars(select(PointKind).where(
        or_(PointKind.active.is_(True), PointKind.id == keep_id)).order_by(PointKind.id)))


def territory_options(keep_id: int | None = None) -> list[Territory]:
    """Active territories (and the one a point already has), by name."""
    return list(db.session.scalars(select(Territory).where(
        or_(Territory.active.is_(True), Territory.id == keep_id)).order_by(Territory.name)))


def with_current(choices: list[tuple[str, str]], current: str | None) -> list[tuple[str, str]]:
    """Keep a value already stored (e.g. imported) selectable even if not in the usual list."""
    if current and current not in {value for value, _label in choices}:
        return [*choices, (current, current)]
    return choices


class CatalogueForm(FlaskForm):
    """Shared code field and its case-insensitive uniqueness check."""

    model: type = None  # set by each subclass
    code = StringField(_l("Code"), validators=[
        DataRequired(REQUIRED), _too_long(32),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
               message=_l("Lettres, chiffres, point, tiret ou souligné, sans espace."))])

    def __init__(self, *args, obj_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.obj_id = obj_id
        self.refs: dict[str, object] = {}  # catalogue rows the fields resolved to

    def values(self, names) -> dict:
        """Validated data for `names`, with catalogue rows in place of the codes that named them."""
        return {name: self.refs[name] if name in self.refs else self[name].data for name in names}

    def validate_code(self, field) -> None:
        field.data = (field.data or "").strip()
        query = select(self.model.id).where(func.lower(self.model.code) == field.data.lower())
        if self.obj_id is not None:
            query = query.where(self.model.id != self.obj_id)
        if db.session.scalar(query) is not None:
            raise ValidationError(_("Le code « %(code)s » existe déjà (sans tenir compte des "
                                    "majuscules).", code=field.data))


class BottleModelForm(CatalogueForm):
    model = BottleModel
    name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), _too_long(120)])
    name_en = StringField(_l("Nom anglais"), validators=[Optional(), _too_long(120)])
    volume_ml = FrenchIntegerField(_l("Volume (ml)"), validators=[InputRequired(REQUIRED),
                                                                  _int_range(1, 10000)])
    colour = StringField(_l("Couleur du verre"), validators=[Optional(), _too_long(40)])
    glass_mass_g = FrenchIntegerField(_l("Masse de verre (g)"), validators=[
        InputRequired(REQUIRED), _int_range(1, 5000)])
    in_pool = _bool(_l("Dans le pool (réemployable)"))


class ReasonForm(CatalogueForm):
    model = Reason
    kind = SelectField(_l("Type"), choices=list(REASON_KINDS.items()), validate_choice=False,
                       validators=[DataRequired(REQUIRED)])
    label_fr = StringField(_l("Libellé (français)"), validators=[DataRequired(REQUIRED),
                                                               _too_long(120)])
    label_en = StringField(_l("Libellé (anglais)"), validators=[Optional(), _too_long(120)])

    def validate_kind(self, field) -> None:
        """A type's code or its French label, whatever the case and accents."""
        wanted = fold(field.data)
        found = next((code for code, label in REASON_KINDS.items()
                      if wanted in (fold(code), fold(label))), None)
        current = self.obj_id and db.session.scalar(
            select(Reason.kind).where(Reason.id == self.obj_id))
        if found is None and current and fold(current) == wanted:
            found = current  # a type stored by an older import stays
        if found is None:
            listed = ", ".join(f"{code} ({label})" for code, label in REASON_KINDS.items())
            raise ValidationError(_("« %(value)s » n'est pas un type de motif connu. Valeurs "
                                    "possibles : %(listed)s.", value=field.data, listed=listed))
        field.data = found


class CollectionPointForm(CatalogueForm):
    model = CollectionPoint
    name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), _too_long(120)])
    kind = SelectField(_l("Type de point"), choices=[], validate_choice=False,
                       validators=[DataRequired(REQUIRED)])
    territory = SelectField(_l("Territoire"), choices=[], validate_choice=False)
    address = StringField(_l("Adresse"), validators=[Optional(), _too_long(255)])
    latitude = FrenchDecimalField(_l("Latitude"), places=6, validators=[
        Optional(), NumberRange(-90, 90, message=_l("Latitude entre -90 et 90."))])
    longitude = FrenchDecimalField(_l("Longitude"), places=6, validators=[
        Optional(), NumberRange(-180, 180, message=_l("Longitude entre -180 et 180."))])
    contact = StringField(_l("Contact"), validators=[Optional(), _too_long(120)])
    phone = StringField(_l("Téléphone"), validators=[Optional(), _too_long(32)])
    active_from = FrenchDateField(_l("Actif à partir du"), validators=[Optional()])
    active_until = FrenchDateField(_l("Actif jusqu'au"), validators=[Optional()])

    def validate_latitude(self, field) -> None:
        if field.data is not None and field.data.as_tuple().exponent < -6:
            raise ValidationError(_("Six décimales au plus."))

    validate_longitude = validate_latitude

    def validate_active_until(self, field) -> None:
        if field.data and self.active_from.data and field.data < self.active_from.data:
            raise ValidationError(_("La date de fin doit suivre la date de début."))

    def _current(self, column):
        if self.obj_id is None:
            return None
        return db.session.scalar(select(column).where(CollectionPoint.id == self.obj_id))

    def set_choices(self) -> None:
        """The select lists of the page: active kinds and territories, and the point's own."""
        self.kind.choices = [(k.code, k.label_fr) for k in point_kind_options(
            self._current(CollectionPoint.kind_id))]
        self.territory.choices = [("", "—")] + [(t.name, t.name) for t in territory_options(
            self._current(CollectionPoint.territory_id))]

    def validate_kind(self, field) -> None:
        """A kind's code or any of its labels, whatever the case and accents ("caviste")."""
        options = point_kind_options(self._current(CollectionPoint.kind_id))
        wanted = fold(field.data)
        found = next((k for k in options if fold(k.code) == wanted), None) or next(
            (k for k in options if wanted in _kind_keys(k)), None)
        if found is None:
            listed = ", ".join(f"{k.code} ({k.label_fr})" for k in options)
            raise ValidationError(_("« %(value)s » n'est pas un type de point connu. Valeurs "
                                    "possibles : %(listed)s.", value=field.data, listed=listed))
        field.data = found.code
        self.refs["kind"] = found

    def validate_territory(self, field) -> None:
        """A territory's name or code, whatever the case and accents; empty for none."""
        if not (field.data or "").strip():
            field.data = ""
            self.refs["territory"] = None
            return
        options = territory_options(self._current(CollectionPoint.territory_id))
        wanted = fold(field.data)
        found = next((t for t in options if wanted in (fold(t.name), fold(t.code))), None)
        if found is None:
            listed = ", ".join(t.name for t in options)
            raise ValidationError(_("« %(value)s » n'est pas un territoire connu. Valeurs "
                                    "possibles : %(listed)s (ajoutez-en un au catalogue, rubrique "
                                    "Territoires).", value=field.data, listed=listed))
        field.data = found.name
        self.refs["territory"] = found


class TerritoryForm(CatalogueForm):
    model = Territory
    name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), _too_long(64)])

    def validate_name(self, field) -> None:
        field.data = (field.data or "").strip()
        query = select(Territory.id).where(func.lower(Territory.name) == field.data.lower())
        if self.obj_id is not None:
            query = query.where(Territory.id != self.obj_id)
        if db.session.scalar(query) is not None:
            raise ValidationError(_("Le territoire « %(name)s » existe déjà.", name=field.data))


class PointKindForm(CatalogueForm):
    model = PointKind
    label_fr = StringField(_l("Libellé (français)"), validators=[DataRequired(REQUIRED),
                                                               _too_long(120)])
    label_en = StringField(_l("Libellé (anglais)"), validators=[Optional(), _too_long(120)])


class WasherForm(CatalogueForm):
    model = Washer
    name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), _too_long(120)])
    address = StringField(_l("Adresse"), validators=[Optional(), _too_long(255)])
    contact = StringField(_l("Contact"), validators=[Optional(), _too_long(120)])
    phone = StringField(_l("Téléphone"), validators=[Optional(), _too_long(32)])
    pallet_size = FrenchIntegerField(_l("Bouteilles par palette"), default=1200, validators=[
        InputRequired(REQUIRED), _int_range(1, 100000)])
    staff_may_sell = _bool(_l("Le personnel du laveur peut enregistrer des ventes"))


class WinemakerForm(CatalogueForm):
    model = Winemaker
    estate = StringField(_l("Domaine"), validators=[DataRequired(REQUIRED), _too_long(120)])
    commune = StringField(_l("Commune"), validators=[Optional(), _too_long(120)])
    contact = StringField(_l("Contact"), validators=[Optional(), _too_long(120)])
    email = StringField(_l("Courriel"), validators=[
        Optional(), _too_long(160), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Courriel invalide."))])
    phone = StringField(_l("Téléphone"), validators=[Optional(), _too_long(32)])


class CrateBatchForm(FlaskForm):
    event_id = HiddenField()
    count = FrenchIntegerField(_l("Nombre de caisses"), default=1, validators=[
        InputRequired(REQUIRED), _int_range(1, 500)])
    capacity = FrenchIntegerField(_l("Capacité (bouteilles)"), default=60, validators=[
        InputRequired(REQUIRED), _int_range(1, 500)])
    washer_id = SelectField(_l("Centre de lavage où elles sont stockées"), coerce=choice_id, choices=[])


class CrateEditForm(FlaskForm):
    capacity = FrenchIntegerField(_l("Capacité (bouteilles)"), validators=[
        InputRequired(REQUIRED), _int_range(1, 500)])


class RetireForm(FlaskForm):
    event_id = HiddenField()
    note = StringField(_l("Motif du retrait"), validators=[DataRequired(REQUIRED), _too_long(500)])


class CsvUploadForm(FlaskForm):
    file = FileField(_l("Fichier CSV"))


class ToggleForm(FlaskForm):
    """Only the CSRF token: deactivate / reactivate buttons."""
