"""A person's own account: choosing their password (required after an admin chose it)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bottles.auth import is_remembered, password_matches, sign_in
from bottles.db import db
from bottles.people import operations
from bottles.people.forms import OwnPasswordForm
from bottles.throttle import own_password

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/password", methods=["GET", "POST"])
@login_required
@own_password
def password():
    """The person's new password; their other sign-ins end, this one goes on."""
    user = current_user._get_current_object()
    form = OwnPasswordForm(username=user.username)
    if form.validate_on_submit():
        if not password_matches(user, form.current.data):
            g.wrong_current_password = True
            form.current.errors = [*form.current.errors, _("Ce n'est pas votre mot de passe actuel.")]
        elif form.password.data == form.current.data:
            form.password.errors = [*form.password.errors,
                                    _("Choisissez un mot de passe différent de l'actuel.")]
        else:
            remembered = is_remembered()
            operations.change_own_password(db.session, user, form.password.data)
            db.session.commit()
            sign_in(user, remember=remembered)
            flash(_("Mot de passe changé. Vos autres appareils sont déconnectés."), "success")
            return redirect(url_for("bottles.home"))
    status = 422 if request.method == "POST" else 200
    return render_template("people/password.html", form=form,
                           required=user.must_change_password), status
