"""Forms of the users' admin pages."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from bottles.auth import MIN_PASSWORD, ROLE_LABELS, ROLES
from bottles.db import db
from bottles.models import User, Winemaker
from bottles.numbers import choice_id

REQUIRED = _l("Champ obligatoire.")
COMMON = {"motdepasse", "password", "azertyuiop", "12345678", "123456789", "azerty123",
          "qwertyuiop", "bouteille", "boucle123", "jura39000"}


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is too weak, in French, or None."""
    if len(password) < MIN_PASSWORD:
        return _("Le mot de passe doit faire au moins %(n)s caractères.", n=MIN_PASSWORD)
    if len(password) > 200:
        return _("Le mot de passe doit faire 200 caractères au plus.")
    if username and username.strip().lower() in password.lower():
        return _("Le mot de passe ne doit pas contenir l'identifiant.")
    if password.lower() in COMMON or len(set(password)) < 4:
        return _("Ce mot de passe est trop courant ou trop répétitif.")
    if not re.search(r"[^\W\d_]", password) or not re.search(r"[\d\W_]", password):
        return _("Le mot de passe doit mêler des lettres et au moins un chiffre ou un signe.")
    return None


def optional_choice_id(value: object) -> int | None:
    """A select's id, or None for its blank choice (or anything that is not an id)."""
    if value in (None, "", "None"):
        return None
    try:
        return choice_id(value)
    except (TypeError, ValueError):
        return -1  # unknown: refused by the field's check, said beside it


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(html_tag="ul", prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    username = StringField(_l("Identifiant"), validators=[
        DataRequired(REQUIRED), Length(max=64, message=_l("%(max)d caractères au plus.")),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.@\-]*$",
               message=_l("Lettres, chiffres, point, tiret, @ ou souligné, sans espace."))])
    display_name = StringField(_l("Nom affiché"), validators=[
        DataRequired(REQUIRED), Length(max=120, message=_l("%(max)d caractères au plus."))])
    role = SelectField(_l("Rôle"), choices=[(r, _l(ROLE_LABELS[r])) for r in ROLES],
                       validators=[DataRequired(REQUIRED)])
    phone = StringField(_l("Téléphone"), validators=[
        Optional(), Length(max=32, message=_l("%(max)d caractères au plus."))])
    language = SelectField(_l("Langue"), choices=[("fr", "français"), ("en", "English")])
    points = MultiCheckboxField(_l("Points de collecte rattachés"), coerce=choice_id, choices=[])
    washers = MultiCheckboxField(_l("Centres de lavage rattachés"), coerce=choice_id, choices=[])
    winemaker_id = SelectField(_l("Domaine (vigneron)"), coerce=optional_choice_id, choices=[],
                               validate_choice=False)

    def __init__(self, *args, user_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id = user_id

    def validate_username(self, field) -> None:
        field.data = (field.data or "").strip()
        query = select(User.id).where(func.lower(User.username) == field.data.lower())
        if self.user_id is not None:
            query = query.where(User.id != self.user_id)
        if db.session.scalar(query) is not None:
            raise ValidationError(_("L'identifiant « %(name)s » existe déjà.", name=field.data))

    def validate_points(self, field) -> None:
        if self.role.data == "point" and not field.data:
            raise ValidationError(_("Rattachez au moins un point de collecte à ce compte."))

    def validate_washers(self, field) -> None:
        if self.role.data == "washer" and not field.data:
            raise ValidationError(_("Rattachez au moins un centre de lavage à ce compte."))

    def validate_winemaker_id(self, field) -> None:
        """A winemaker's account names one estate of the catalogue (the only one it sees)."""
        if self.role.data != "winemaker":
            field.data = None
            return
        if field.data is None:
            raise ValidationError(_("Rattachez ce compte de vigneron à son domaine."))
        if db.session.get(Winemaker, field.data) is None:
            raise ValidationError(_("Domaine inconnu : choisissez dans la liste."))


class NewUserForm(UserForm):
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(_l("Mot de passe, encore"), validators=[
        DataRequired(REQUIRED), EqualTo("password", message=_l("Les deux mots de passe diffèrent."))])

    def validate_password(self, field) -> None:
        problem = password_problem(field.data or "", self.username.data or "")
        if problem:
            raise ValidationError(problem)


class PasswordForm(FlaskForm):
    password = PasswordField(_l("Nouveau mot de passe"), validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(_l("Nouveau mot de passe, encore"), validators=[
        DataRequired(REQUIRED), EqualTo("password", message=_l("Les deux mots de passe diffèrent."))])

    def __init__(self, *args, username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username

    def validate_password(self, field) -> None:
        problem = password_problem(field.data or "", self.username)
        if problem:
            raise ValidationError(problem)


class ToggleForm(FlaskForm):
    """Only the CSRF token: deactivate / reactivate."""


class OwnPasswordForm(PasswordForm):
    """A person's own new password: the current one first, so an unattended session cannot."""

    current = PasswordField(_l("Mot de passe actuel"), validators=[
        DataRequired(REQUIRED), Length(max=200, message=_l("%(max)d caractères au plus."))])


class TokenForm(FlaskForm):
    """A new personal API token: a name to recognise it and, if wanted, days of validity."""

    name = StringField(_l("Nom du jeton"), validators=[
        Optional(), Length(max=80, message=_l("%(max)d caractères au plus."))])
    days = StringField(_l("Valable (jours)"), validators=[Optional()])

    def validate_days(self, field) -> None:
        text = (field.data or "").strip()
        if not text:
            field.data = None
            return
        if not text.isascii() or not text.isdigit() or len(text) > 4 or not 1 <= int(text) <= 3650:
            raise ValidationError(_("Indiquez un nombre de jours de 1 à 3650, ou laissez vide."))
        field.data = int(text)
