"""Kernel forms (Flask-WTF: every form carries its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Identifiant"), validators=[DataRequired("Identifiant obligatoire."),
                                                      Length(max=64)])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired("Mot de passe obligatoire."),
                                                         Length(max=200)])
    # Unticked: a shared shop computer must not stay signed in by default.
    remember = BooleanField(_l("Rester connecté sur cet appareil"), default=False)
