"""A person's own account: choosing their password (required after an admin chose it), their API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bottles.auth import is_remembered, password_matches, sign_in
from bottles.db import db
from bottles.models import utcnow
from bottles.people import operations, tokens
from bottles.people.forms import OwnPasswordForm, ToggleForm, TokenForm
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


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def api_tokens():
    """The person's API tokens; a new one is shown once, on the page that made it."""
    user = current_user._get_current_object()
    form = TokenForm()
    issued = None
    if form.validate_on_submit():
        issued = tokens.create(db.session, user, name=form.name.data or "", days=form.days.data)
        db.session.commit()
        form = TokenForm(formdata=None)
    status = 422 if request.method == "POST" and issued is None else 200
    response = make_response(render_template(
        "people/tokens.html", form=form, issued=issued, rows=tokens.of(db.session, user),
        revoke_form=ToggleForm(), now=utcnow()), status)
    response.headers["Cache-Control"] = "no-store"  # the new token is on this page only
    return response


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """End one of the person's own tokens at once (a request with it is then a 401)."""
    form = ToggleForm()
    if not form.validate_on_submit():
        abort(400)
    if not tokens.revoke(db.session, current_user._get_current_object(), token_id):
        abort(404)
    db.session.commit()
    flash(_("Jeton révoqué : il ne permet plus rien."), "success")
    return redirect(url_for("account.api_tokens"))
