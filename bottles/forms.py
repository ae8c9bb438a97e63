"""Kernel forms (Flask-WTF: every form carries its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Identifiant", validators=[DataRequired("Identifiant obligatoire."),
                                                      Length(max=64)])
    password = PasswordField("Mot de passe", validators=[DataRequired("Mot de passe obligatoire."),
                                                         Length(max=200)])
    remember = BooleanField("Rester connecté sur cet appareil", default=True)
