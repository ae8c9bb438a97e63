"""Catalogue pages for coordinators: lists, forms, (de)activation, crates, CSV import."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from bottles import codes
from bottles.auth import role_required
from bottles.body_limits import FORM_BYTES, accepts_body
from bottles.catalogue import csv_import, import_stash, operations, queries
from bottles.catalogue.forms import (
    REASON_KINDS,
    CrateBatchForm,
    CrateEditForm,
    CsvUploadForm,
    RetireForm,
    ToggleForm,
    with_current,
)
from bottles.catalogue.kinds import KINDS, CatalogueKind
from bottles.db import db
from bottles.errors import code_taken
from bottles.models import CollectionPoint, Crate, Washer, utcnow
from bottles.paging import page_number
from bottles.retry import retried
from bottles.rules import CRATE_STATE_LABELS, CrateState
from bottles.spreadsheet import requested_flavour

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")


bp.register_error_handler(IntegrityError, code_taken)

MAX_CSV_BYTES = 5 * 1024 * 1024


@bp.before_request
@role_required("coordinator")
def _coordinators_only() -> None:
    """Every catalogue page is for coordinators and admins."""


def _kind(slug: str) -> CatalogueKind:
    kind = KINDS.get(slug)
    if kind is None:
        abort(404)
    return kind


def cell(kind: CatalogueKind, row, attr: str):
    value = getattr(row, attr)
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if attr == "kind" and kind.slug == "points":
        point_kind = row.point_kind
        if point_kind is None:
            return ""
        english = str(get_locale()) == "en" and point_kind.label_en
        return point_kind.label_en if english else point_kind.label_fr
    if attr == "kind":
        return _(REASON_KINDS.get(value, value))
    return value


@bp.get("/")
def index():
    """The catalogue's front page: each kind of entry with its count, and the crate fleet."""
    counts = {slug: db.session.scalar(db.select(func.count()).select_from(kind.model))
              for slug, kind in KINDS.items()}
    crates = queries.crate_counts_by_state(db.session)
    return render_template("catalogue/index.html", kinds=KINDS, counts=counts,
                           crate_total=sum(crates.values()))


@bp.get("/<slug>/")
def entries(slug: str):
    """One kind's entries, searched, filtered and paged, each with edit and (de)activate."""
    kind = _kind(slug)
    search = request.args.get("q", "")
    filters = {choice.param: request.args.get(choice.param, "") for choice in kind.filters}
    page = db.paginate(queries.entries(kind, search, filters), page=page_number(),
                       per_page=queries.PER_PAGE, error_out=False)
    return render_template("catalogue/list.html", kind=kind, page=page, search=search,
                           filters=filters, cell=cell, toggle=ToggleForm())


def _prepare(form, kind: CatalogueKind, row=None) -> None:
    if kind.slug == "points":
        form.set_choices()
    if kind.slug == "reasons":
        form.kind.choices = with_current([(code, _(label)) for code, label in REASON_KINDS.items()],
                                         row.kind if row else None)


@bp.route("/<slug>/new", methods=["GET", "POST"])
def create(slug: str):
    """The form for a new entry of one kind; saved, the person sees it in its list."""
    kind = _kind(slug)
    form = kind.form()
    _prepare(form, kind)
    if request.method == "GET" and kind.slug == "models":
        form.in_pool.data = True
    if form.validate_on_submit():
        row = operations.save_entry(db.session, kind, None, form.values(kind.csv_columns))
        db.session.commit()
        flash(_("%(what)s « %(code)s » créé.", what=str(kind.one).capitalize(), code=row.code),
              "success")
        return redirect(url_for("catalogue.entries", slug=slug, q=row.code))
    status = 422 if request.method == "POST" else 200
    return render_template("catalogue/form.html", kind=kind, form=form, row=None), status


@bp.route("/<slug>/<int:row_id>", methods=["GET", "POST"])
def edit(slug: str, row_id: int):
    """The form to change an entry, and the button to deactivate or reactivate it."""
    kind = _kind(slug)
    row = db.session.get(kind.model, row_id) or abort(404)
    form = kind.form(obj=row, obj_id=row.id)
    _prepare(form, kind, row)
    if form.validate_on_submit():
        operations.save_entry(db.session, kind, row, form.values(kind.csv_columns))
        db.session.commit()
        flash(_("Modifications enregistrées pour « %(code)s ».", code=row.code), "success")
        return redirect(url_for("catalogue.entries", slug=slug, q=row.code))
    status = 422 if request.method == "POST" else 200
    return render_template("catalogue/form.html", kind=kind, form=form, row=row,
                           toggle=ToggleForm()), status


@bp.post("/<slug>/<int:row_id>/active")
def set_active(slug: str, row_id: int):
    """Deactivates or reactivates an entry (kept in the history), back to the list it came from."""
    kind = _kind(slug)
    row = db.session.get(kind.model, row_id) or abort(404)
    form = ToggleForm()
    wanted = request.form.get("active")
    if not form.validate_on_submit() or wanted not in ("0", "1"):
        abort(400, description="Demande incomplète : rien n'a été modifié.")
    operations.set_active(db.session, row, wanted == "1")
    db.session.commit()
    flash(_("« %(code)s » réactivé.", code=row.code) if row.active
          else _("« %(code)s » désactivé : il reste dans l'historique.", code=row.code), "success")
    return redirect(request.form.get("back") if request.form.get("back", "").startswith("/catalogue/")
                    else url_for("catalogue.entries", slug=slug))


# --- Crates ---------------------------------------------------------------------------------

def _site_choices() -> list[tuple[str, str]]:
    points = db.session.execute(db.select(CollectionPoint.id, CollectionPoint.name)
                                .order_by(CollectionPoint.name)).all()
    washers = db.session.execute(db.select(Washer.id, Washer.name).order_by(Washer.name)).all()
    washer_label, point_label = _("Laveur"), _("Point")
    return ([("", _("tous les sites"))]
            + [(f"w{washer_id}", f"{washer_label} · {name}") for washer_id, name in washers]
            + [(f"p{point_id}", f"{point_label} · {name}") for point_id, name in points])


@bp.get("/crates/")
def crates():
    """The crate fleet, searched and filtered by state and site, with where each crate is."""
    search = request.args.get("q", "")
    state = request.args.get("state", "")
    if state not in {crate_state.value for crate_state in CrateState}:
        state = ""
    site = request.args.get("site", "")
    page = db.paginate(queries.crates(search, state, site), page=page_number(),
                       per_page=queries.PER_PAGE, error_out=False)
    return render_template("catalogue/crates.html", page=page, search=search, state=state,
                           site=site, states=CRATE_STATE_LABELS, sites=_site_choices())


def _washer_choices() -> list[tuple[int, str]]:
    return [(0, _("aucun (dépôt)"))] + [(washer.id, washer.name)
                                        for washer in queries.active_washers(db.session)]


@bp.route("/crates/new", methods=["GET", "POST"])
@retried
def crates_new():
    """The form to register a batch of crates with the next free codes."""
    form = CrateBatchForm()
    form.washer_id.choices = _washer_choices()
    prefix = current_app.config["CRATE_PREFIX"]
    if request.method == "GET":
        form.event_id.data = str(uuid.uuid4())
        if len(form.washer_id.choices) > 1:
            form.washer_id.data = form.washer_id.choices[1][0]  # new crates usually start at the washer
    if form.validate_on_submit():
        try:
            batch_id = uuid.UUID(form.event_id.data or "")
        except ValueError:
            abort(400, description="Identifiant de formulaire manquant : rechargez la page.")
        made = operations.register_crates(
            db.session, actor_id=current_user.id, at=utcnow(), batch_id=batch_id,
            count=form.count.data, capacity=form.capacity.data,
            washer_id=form.washer_id.data or None, prefix=prefix)
        db.session.commit()
        if len(made) == 1:
            flash(_("1 caisse enregistrée : %(code)s.", code=made[0].code), "success")
        elif made:
            flash(ngettext("%(num)d caisse enregistrée : %(first)s à %(last)s.",
                           "%(num)d caisses enregistrées : %(first)s à %(last)s.", len(made),
                           first=made[0].code, last=made[-1].code), "success")
        else:
            flash(_("Ce formulaire avait déjà été enregistré : aucune caisse en plus."), "info")
        return redirect(url_for("catalogue.crates"))
    status = 422 if request.method == "POST" else 200
    number = queries.next_crate_numbers(db.session, prefix, 1)[0]
    upcoming = codes.make_code(number, prefix) if number <= 99_999 else "—"
    return render_template("catalogue/crates_new.html", form=form, prefix=prefix,
                           upcoming=upcoming), status


@bp.route("/crates/<int:crate_id>", methods=["GET", "POST"])
def crate_edit(crate_id: int):
    """One crate: its capacity to change, and the form to retire it when it is empty."""
    crate = db.session.get(Crate, crate_id) or abort(404)
    form = CrateEditForm(obj=crate)
    if form.validate_on_submit():
        operations.set_capacity(db.session, crate, form.capacity.data)
        db.session.commit()
        flash(_("Capacité de %(code)s enregistrée.", code=crate.code), "success")
        return redirect(url_for("catalogue.crates", q=crate.code))
    status = 422 if request.method == "POST" else 200
    return _crate_page(crate, form, RetireForm(event_id=str(uuid.uuid4())), status)


def _crate_page(crate: Crate, form: CrateEditForm, retire: RetireForm, status: int):
    retirable = crate.state in (CrateState.IN_POOL, CrateState.AT_POINT)
    return render_template("catalogue/crate_edit.html", form=form, crate=crate, retire=retire,
                           retirable=retirable, states=CRATE_STATE_LABELS), status


@bp.post("/crates/<int:crate_id>/retire")
@retried
def crate_retire(crate_id: int):
    """Retires an empty crate from the fleet (a crate_retired event), back to the crate list."""
    crate = db.session.get(Crate, crate_id) or abort(404)
    retire = RetireForm()
    if not retire.validate_on_submit():
        return _crate_page(crate, CrateEditForm(obj=crate), retire, 422)
    try:
        event_id = uuid.UUID(retire.event_id.data or "")
    except ValueError:
        abort(400, description="Identifiant de formulaire manquant : rechargez la page.")
    operations.retire_crate(db.session, actor_id=current_user.id, at=utcnow(), crate=crate,
                            event_id=event_id, note=retire.note.data)
    db.session.commit()
    flash(_("Caisse %(code)s retirée du parc.", code=crate.code), "success")
    return redirect(url_for("catalogue.crates", q=crate.code))


# --- CSV import -----------------------------------------------------------------------------

def _import_kind(slug: str) -> str:
    if slug not in csv_import.IMPORT_KINDS:
        abort(404)
    return slug


def _import_title(slug: str):
    return _("Caisses") if slug == "crates" else KINDS[slug].title


@bp.get("/import/<slug>/example.csv")
def import_example(slug: str):
    """An example CSV file of one kind, with its expected columns: French Excel's by default,
    `?format=rfc4180` for tools."""
    slug = _import_kind(slug)
    body = csv_import.example_csv(slug, requested_flavour()).encode("utf-8")
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=exemple-{slug}.csv"})


def _import_context(slug: str) -> dict:
    columns, required = csv_import.columns_of(slug)
    return {"slug": slug, "title": _import_title(slug), "columns": columns, "required": required,
            "form": CsvUploadForm(), "clear": csv_import.CLEAR}


def _plan(slug: str, data: bytes, apply: bool) -> csv_import.ImportResult:
    return csv_import.import_csv(db.session, slug, data, actor_id=current_user.id, at=utcnow(),
                                 crate_prefix=current_app.config["CRATE_PREFIX"], apply=apply)


def _preview_page(slug: str, data: bytes, result: csv_import.ImportResult, status: int,
                  stale: bool = False):
    """The changes a file would make, with a form that confirms exactly these."""
    key = import_stash.put(current_app.instance_path, data)
    digest = import_stash.sign(current_app.config["SECRET_KEY"], slug, key, result.fingerprint(data))
    return render_template("catalogue/import_preview.html", result=result, key=key, digest=digest,
                           stale=stale, toggle=ToggleForm(), **_import_context(slug)), status


@bp.route("/import/<slug>", methods=["GET", "POST"])
@accepts_body(MAX_CSV_BYTES + FORM_BYTES)
def import_csv(slug: str):
    """The import form of one kind; an uploaded file gives the preview of every change, unwritten."""
    slug = _import_kind(slug)
    context = _import_context(slug)
    if request.method == "GET":
        return render_template("catalogue/import.html", **context)
    if not context["form"].validate_on_submit():
        abort(400, description="Demande incomplète : rien n'a été importé.")
    upload = request.files.get("file")
    data = upload.read(MAX_CSV_BYTES + 1) if upload else b""
    if not upload or not upload.filename:
        result = csv_import.ImportResult(errors=[_("Choisissez un fichier CSV.")])
    elif len(data) > MAX_CSV_BYTES:
        result = csv_import.ImportResult(errors=[_("Fichier de plus de 5 Mo : découpez-le.")])
    else:
        result = _plan(slug, data, apply=False)
    db.session.rollback()
    if not result.ok:
        return render_template("catalogue/import.html", result=result, **context), 422
    return _preview_page(slug, data, result, 200)


@bp.post("/import/<slug>/confirm")
def import_confirm(slug: str):
    """Writes what the preview showed, refused if the file or the catalogue changed since."""
    slug = _import_kind(slug)
    if not ToggleForm().validate_on_submit():
        abort(400, description="Demande incomplète : rien n'a été importé.")
    key = request.form.get("key", "")
    data = import_stash.get(current_app.instance_path, key)
    if data is None:
        result = csv_import.ImportResult(errors=[_(
            "Cet aperçu a expiré ou son fichier a changé : rien n'a été importé. "
            "Choisissez de nouveau le fichier.")])
        return render_template("catalogue/import.html", result=result, **_import_context(slug)), 409
    result = _plan(slug, data, apply=True)
    expected = import_stash.sign(current_app.config["SECRET_KEY"], slug, key, result.fingerprint(data))
    if not result.ok or not import_stash.same(expected, request.form.get("digest", "")):
        db.session.rollback()
        if not result.ok:
            return render_template("catalogue/import.html", result=result,
                                   **_import_context(slug)), 409
        return _preview_page(slug, data, result, 409, stale=True)
    db.session.commit()
    import_stash.drop(current_app.instance_path, key)
    flash(_("Import terminé : %(created)s, %(updated)s, %(unchanged)s.",
            created=ngettext("%(num)d créé", "%(num)d créés", result.created),
            updated=ngettext("%(num)d mis à jour", "%(num)d mis à jour", result.updated),
            unchanged=ngettext("%(num)d inchangé", "%(num)d inchangés", result.unchanged)),
          "success")
    return redirect(url_for("catalogue.crates") if slug == "crates"
                    else url_for("catalogue.entries", slug=slug))
