"""Kernel pages: sign-in, each role's home, the crate page, error pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, logout_user
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from bottles import codes, navigation, throttle
from bottles.auth import ROLE_LABELS, may_see_point, may_see_washer, password_matches, sign_in
from bottles.db import db, sqlite_begin_mode
from bottles.forms import LoginForm
from bottles.i18n import label
from bottles.ledger import held
from bottles.models import BottleModel, CollectionPoint, Crate, Reason, User, Washer, Winemaker
from bottles.paging import page_number
from bottles.people import operations
from bottles.queries import corrected_seqs, crate_event_count, crate_history
from bottles.rules import CRATE_STATE_LABELS, KIND_LABELS, STAGE_LABELS, CrateState

bp = Blueprint("bottles", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/bottles")


HISTORY_PER_PAGE = 20


def _safe_next(target: str | None) -> str | None:
    """Only local paths are followed after sign-in (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@throttle.per_address
@throttle.per_account
def login():
    """The sign-in form; signed in, the person goes on to the page they asked for, or home."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")) or url_for("bottles.home"))
    sqlite_begin_mode.set("DEFERRED")  # signing in only reads: SQLite's write lock is not held
    form = LoginForm()                 # through the scrypt below, while scans wait for it
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(
            func.lower(User.username) == form.username.data.strip().lower()))
        if password_matches(user, form.password.data) and user.active:
            sign_in(user, remember=form.remember.data)
            if user.must_change_password:
                return redirect(url_for("account.password"))
            return redirect(_safe_next(request.args.get("next")) or url_for("bottles.home"))
        flash(gettext("Identifiant ou mot de passe incorrect."), "error")
        return render_template("bottles/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("bottles/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Signs the person out on every device (a lost phone's sign-in ends too), back to the form."""
    operations.sign_out_everywhere(db.session, current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(gettext("Vous êtes déconnecté."), "info")
    return redirect(url_for("bottles.login"))


@bp.get("/")
@login_required
def home():
    """The person's home: their role's actions and the panels the packages add for it."""
    panels = [shown for shown in (panel(current_user) for panel in navigation.HOME_PANELS) if shown]
    return render_template("bottles/home.html", actions=navigation.actions_for(current_user.role),
                           panels=panels, role_label=ROLE_LABELS.get(current_user.role, ""))


def crate_or_404(code: str, for_update: bool = False) -> Crate:
    """The crate a typed or scanned code names, or a French 404 saying what is wrong.

    `for_update`: a write's first lock, in the ledger's order (bottles.ledger.lock_in_order), the
    row read under it once for the whole transaction."""
    try:
        canonical = codes.normalise(code)
    except codes.CrateCodeError as error:
        abort(404, description=str(error))
    query = select(Crate).where(Crate.code == canonical)
    if for_update:
        query = (query.with_for_update(of=Crate).options(lazyload("*"))
                 .execution_options(populate_existing=True))
    crate = db.session.scalar(query)
    if crate is not None and for_update:
        held(db.session).crates.add(crate.id)
    if crate is None:
        abort(404, description=gettext("Aucune caisse %(code)s dans le parc.", code=canonical))
    return crate


@bp.get("/c/<code>")
@login_required
def crate(code: str):
    """The crate page a QR code opens: state, history and the actions open to the person."""
    crate = crate_or_404(code)
    if crate.code != code:  # a typed variant: show the printed form in the address bar
        return redirect(url_for("bottles.crate", code=crate.code))
    return render_crate(crate)


# What point staff see of a crate's history: their own point's events, none of the washer's work.
POINT_STAFF_KINDS = ("crate_placed", "crate_full", "pickup", "receipt")


def render_crate(crate: Crate, status: int = 200):
    """The crate page; a package re-shows it (status 422) when one of its panel's forms is refused."""
    only = None
    if current_user.role == "point":
        only = {"point_ids": {point.id for point in current_user.collection_points},
                "kinds": POINT_STAFF_KINDS}
    total = crate_event_count(db.session, crate.id, **(only or {}))
    pages = max(1, -(-total // HISTORY_PER_PAGE))
    page = min(page_number(), pages)
    events = crate_history(db.session, crate.id, HISTORY_PER_PAGE, (page - 1) * HISTORY_PER_PAGE,
                           **(only or {}))
    corrected = corrected_seqs(db.session, [event.seq for event in events])
    panels = [shown for shown in (panel(crate, current_user) for panel in navigation.CRATE_PANELS)
              if shown]
    return render_template(
        "bottles/crate.html", crate=crate, events=events, corrected=corrected, panels=panels,
        page=page, pages=pages, total=total, staff_view=only is not None,
        state_label=CRATE_STATE_LABELS.get(CrateState(crate.state)) if crate.state else "—",
        kind_labels=KIND_LABELS, stage_labels=STAGE_LABELS,
        names=history_names(), may_see=_may_see_crate(crate)), status


def _may_see_crate(crate: Crate) -> bool:
    return may_see_point(current_user, crate.collection_point_id) or may_see_washer(
        current_user, crate.washer_id)


def history_names() -> dict[str, dict[int, str]]:
    """Names for history lines: models and reasons in the person's language, sites as named."""
    return {
        "model": {model.id: label(model) for model in db.session.scalars(select(BottleModel))},
        "reason": {reason.id: label(reason) for reason in db.session.scalars(select(Reason))},
        "washer": dict(db.session.execute(select(Washer.id, Washer.name)).all()),
        "winemaker": dict(db.session.execute(select(Winemaker.id, Winemaker.estate)).all()),
        "point": dict(db.session.execute(select(CollectionPoint.id, CollectionPoint.name)).all()),
    }


@bp.get("/c")
@login_required
def crate_lookup():
    """The crate page of a typed or scanned code (any form), or the lookup form saying what is wrong."""
    raw = request.args.get("code", "")
    try:
        return redirect(url_for("bottles.crate", code=codes.normalise(raw)))
    except codes.CrateCodeError as error:
        flash(str(error), "error")
        return render_template("bottles/lookup.html", raw=raw), 400
