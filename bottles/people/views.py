"""Users' admin pages: list and search, create, edit, (de)activate, reset a password."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from bottles.auth import ROLE_LABELS, ROLES, is_remembered, sign_in
from bottles.db import db
from bottles.errors import code_taken
from bottles.models import CollectionPoint, User, Washer, Winemaker
from bottles.paging import page_number
from bottles.people import operations
from bottles.people.forms import NewUserForm, PasswordForm, ToggleForm, UserForm

bp = Blueprint("people", __name__, url_prefix="/people")


bp.register_error_handler(IntegrityError, code_taken)


PER_PAGE = 25


@bp.before_request
def _admins_only():
    """Only admins manage accounts (coordinators included would let them grant themselves admin)."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role != "admin":
        abort(403)
    return None


def _choices(form: UserForm) -> None:
    form.points.choices = [(point_id, f"{name} ({code})") for point_id, code, name in db.session.execute(
        select(CollectionPoint.id, CollectionPoint.code, CollectionPoint.name)
        .order_by(CollectionPoint.active.desc(), CollectionPoint.name))]
    form.washers.choices = [(washer_id, f"{name} ({code})") for washer_id, code, name in db.session.execute(
        select(Washer.id, Washer.code, Washer.name).order_by(Washer.active.desc(), Washer.name))]
    form.winemaker_id.choices = [("", _("— aucun —"))] + [
        (winemaker_id, f"{estate} ({code})") for winemaker_id, code, estate in db.session.execute(
            select(Winemaker.id, Winemaker.code, Winemaker.estate)
            .order_by(Winemaker.active.desc(), Winemaker.estate))]


def _show_attached(form: UserForm, user: User) -> None:
    """Tick the points and washers the account is attached to."""
    form.points.data = [point.id for point in user.collection_points]
    form.washers.data = [washer.id for washer in user.washers]
    form.winemaker_id.data = user.winemaker_id


@bp.get("/")
def users():
    """The accounts, searched by name and filtered by role and status, with a link to each."""
    search = request.args.get("q", "").strip()[:100]
    role = request.args.get("role", "")
    active = request.args.get("active", "")
    query = select(User)
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(func.lower(User.username).like(pattern, escape="\\"),
                                func.lower(User.display_name).like(pattern, escape="\\")))
    if role in ROLES:
        query = query.where(User.role == role)
    if active in ("0", "1"):
        query = query.where(User.active.is_(active == "1"))
    page = db.paginate(query.order_by(User.active.desc(), func.lower(User.username)),
                       page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template("people/users.html", page=page, search=search, role=role,
                           active=active, roles=ROLE_LABELS)


def _data(form) -> dict:
    return {name: form[name].data for name in
            ("username", "display_name", "role", "phone", "language", "points", "washers",
             "winemaker_id")}


@bp.route("/new", methods=["GET", "POST"])
def create():
    """The form for a new account: role, attached points and washers, first password."""
    form = NewUserForm()
    _choices(form)
    if form.validate_on_submit():
        user = operations.create_user(db.session, {**_data(form), "password": form.password.data})
        db.session.commit()
        flash(_("Compte « %(name)s » créé. À la première connexion, la personne choisira son "
                "propre mot de passe.", name=user.username), "success")
        return redirect(url_for("people.users", q=user.username))
    status = 422 if request.method == "POST" else 200
    return render_template("people/form.html", form=form, user=None), status


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id: int):
    """One account's form (role, sites, language), with deactivation and a new password."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user, user_id=user.id)
    _choices(form)
    if request.method == "GET":
        _show_attached(form, user)
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            operations.update_user(db.session, current_user, user, _data(form))
        except operations.PeopleError as error:
            db.session.rollback()
            form.role.errors = [*form.role.errors, str(error)]  # said beside the role
            status = 409
        else:
            db.session.commit()
            flash(_("Compte « %(name)s » enregistré.", name=user.username), "success")
            return redirect(url_for("people.users", q=user.username))
    return render_template("people/form.html", form=form, user=user, toggle=ToggleForm(),
                           password_form=PasswordForm()), status


@bp.post("/<int:user_id>/active")
def set_active(user_id: int):
    """Deactivates or reactivates an account (never yourself, never the last admin)."""
    user = db.session.get(User, user_id) or abort(404)
    wanted = request.form.get("active")
    if not ToggleForm().validate_on_submit() or wanted not in ("0", "1"):
        abort(400, description="Demande incomplète : rien n'a été modifié.")
    try:
        operations.set_active(db.session, current_user, user, wanted == "1")
    except operations.PeopleError as error:
        db.session.rollback()
        form = UserForm(obj=user, user_id=user.id, formdata=None)
        _choices(form)
        _show_attached(form, user)
        return render_template("people/form.html", form=form, user=user, toggle=ToggleForm(),
                               password_form=PasswordForm(), access_error=str(error)), 409
    db.session.commit()
    flash(_("Compte « %(name)s » réactivé.", name=user.username) if user.active
          else _("Compte « %(name)s » désactivé : il ne peut plus se connecter.", name=user.username),
          "success")
    return redirect(url_for("people.edit", user_id=user.id))


@bp.post("/<int:user_id>/password")
def reset_password(user_id: int):
    """Sets a new password on an account, to be passed on by word of mouth."""
    user = db.session.get(User, user_id) or abort(404)
    form = PasswordForm(username=user.username)
    if form.validate_on_submit():
        if user.id == current_user.id:  # one's own: like the account page, this sign-in goes on
            remembered = is_remembered()
            operations.change_own_password(db.session, user, form.password.data)
            db.session.commit()
            sign_in(user, remember=remembered)
            flash(_("Mot de passe changé. Vos autres appareils sont déconnectés."), "success")
            return redirect(url_for("people.edit", user_id=user.id))
        operations.reset_password(db.session, user, form.password.data)
        db.session.commit()
        flash(_("Nouveau mot de passe enregistré pour « %(name)s » : transmettez-le de vive voix. "
                "Ses sessions en cours sont fermées ; à la prochaine connexion, la personne "
                "choisira le sien.", name=user.username), "success")
        return redirect(url_for("people.edit", user_id=user.id))
    edit_form = UserForm(obj=user, user_id=user.id, formdata=None)
    _choices(edit_form)
    _show_attached(edit_form, user)
    return render_template("people/form.html", form=edit_form, user=user, toggle=ToggleForm(),
                           password_form=form), 422
