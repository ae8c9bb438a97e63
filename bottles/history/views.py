"""Pages of the spreadsheet history import (coordinators and admins): upload a file, map its
columns to journal fields, preview the journal rows, import them all or nothing; saved mappings."""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import time

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from bottles.auth import role_required
from bottles.body_limits import FORM_BYTES, MB, accepts_body
from bottles.db import db
from bottles.history import stash
from bottles.history.mapping import (
    FIELD_LABELS,
    FIXABLE,
    MAX_NAME,
    PREVIEW_ROWS,
    QUANTITY_OF,
    Built,
    Mapping,
    Problem,
    Resolver,
    build,
    check_mapping,
    columns,
    field_label,
    fold,
    from_saved,
    guess_header,
    headers,
    resolve_fixed,
    suggest_field,
)
from bottles.history.models import ImportMapping
from bottles.history.sheet import Grid, SheetError, read_upload
from bottles.history.values import format_label
from bottles.journal.importer import import_journal
from bottles.numbers import ascii_digits, bounded
from bottles.rules import KIND_LABELS, STAGE_LABELS, Kind, Stage

bp = Blueprint("history", __name__, url_prefix="/historique")

MAX_FILE_BYTES = 5 * MB
GRIDS_KEPT = 4
_GRIDS: OrderedDict[str, Grid] = OrderedDict()  # stash key -> its grid (the key is the file's SHA-256)
ACTIONS = ("preview", "import", "save")


class CsrfForm(FlaskForm):
    """Only the CSRF token: every form of these pages is read field by field."""


@bp.before_request
@role_required("coordinator")
def _coordinators_only() -> None:
    """The history import writes the ledger: coordinators and admins only."""


def _saved() -> list[ImportMapping]:
    return list(db.session.scalars(select(ImportMapping).order_by(ImportMapping.name)))


@bp.get("/")
def index():
    """The upload form and the saved mappings."""
    return render_template("history/index.html", form=CsrfForm(), mappings=_saved(),
                           labels=FIELD_LABELS)


@bp.post("/")
@accepts_body(MAX_FILE_BYTES + FORM_BYTES)
def upload():
    """Keep the uploaded file and open its mapping page (nothing is read into the ledger yet)."""
    if not CsrfForm().validate_on_submit():
        abort(400, description=_("Demande incomplète : rien n'a été importé."))
    upload_ = request.files.get("file")
    data = upload_.read(MAX_FILE_BYTES + 1) if upload_ else b""
    problem = None
    if not upload_ or not upload_.filename:
        problem = _("Choisissez un fichier XLSX ou CSV.")
    elif len(data) > MAX_FILE_BYTES:
        problem = _("Fichier de plus de 5 Mo : découpez-le.")
    else:
        try:
            grid = read_upload(data)
        except SheetError as error:
            problem = str(error)
    if problem:
        return render_template("history/index.html", form=CsrfForm(), mappings=_saved(),
                               labels=FIELD_LABELS, problem=problem), 422
    key = stash.put(current_app.instance_path, data)
    _GRIDS[key] = grid
    while len(_GRIDS) > GRIDS_KEPT:
        _GRIDS.popitem(last=False)
    return redirect(url_for("history.mapping", key=key))


@bp.get("/exemple.<fmt>")
def example_file(fmt: str):
    """The example spreadsheet (docs/examples/), written by bottles.history.example: the first
    phase's Jura collections, to try the page with."""
    from bottles.history import example

    if fmt == "xlsx":
        return Response(example.workbook(), headers={
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": "attachment; filename=jura_collectes_2016_2017.xlsx"})
    if fmt == "csv":
        return Response(example.french_csv(), headers={
            "Content-Type": "text/csv; charset=windows-1252",
            "Content-Disposition": "attachment; filename=jura_collectes_2016_2017.csv"})
    abort(404)


@bp.post("/correspondances/<int:mapping_id>/supprimer")
def delete_mapping(mapping_id: int):
    """Forget a saved mapping (the ledger rows it imported stay: they are the ledger's)."""
    if not CsrfForm().validate_on_submit():
        abort(400, description=_("Demande incomplète : rien n'a été supprimé."))
    row = db.session.get(ImportMapping, mapping_id)
    if row is None:
        abort(404)
    name = row.name
    db.session.delete(row)
    db.session.commit()
    flash(_("Correspondance « %(name)s » supprimée.", name=name), "success")
    return redirect(url_for("history.index"))


# --- the mapping page ------------------------------------------------------------------------

def _grid(key: str) -> Grid:
    """The stashed file's grid: read once per worker while its pages are used (a workbook of
    thousands of lines takes seconds to parse; the grid is only read, never changed)."""
    data = stash.get(current_app.instance_path, key)
    if data is None:
        _GRIDS.pop(key, None)
        abort(404, description=_("Ce fichier n'est plus là (plus d'un jour, ou déjà importé) : "
                                 "déposez-le de nouveau."))
    grid = _GRIDS.get(key)
    if grid is None:
        try:
            grid = read_upload(data)
        except SheetError as error:
            abort(422, description=str(error))
        _GRIDS[key] = grid
        while len(_GRIDS) > GRIDS_KEPT:
            _GRIDS.popitem(last=False)
    else:
        _GRIDS.move_to_end(key)
    return grid


def _choices(resolve: Resolver) -> list[tuple[str, str]]:
    models = resolve.models()
    return ([("", _("— ignorer cette colonne —"))]
            + [(name, field_label(name)) for name in FIELD_LABELS]
            + [(QUANTITY_OF + code, field_label(QUANTITY_OF + code)) for code in models])


def _suggested(grid: Grid, resolve: Resolver, wanted: str | None) -> tuple[Mapping, ImportMapping | None]:
    """The mapping to start from: the saved one asked for, else the newest saved one whose
    headers the file has, else one guessed from the headers."""
    header_line = guess_header(grid)
    names = headers(grid, header_line)
    saved = _saved()
    chosen = None
    if wanted is not None:
        digits = ascii_digits(wanted)
        chosen = db.session.get(ImportMapping, bounded(digits, 2**31 - 1) or 0) if digits else None
        if chosen is None:
            abort(404)
    for candidate in ([chosen] if chosen else sorted(saved, key=lambda m: m.created_at, reverse=True)):
        options = candidate.options or {}
        line = options.get("header_line", header_line)
        fields = from_saved(candidate.columns or [], headers(grid, line)) \
            if isinstance(line, int) and 1 <= line <= len(grid.rows) else None
        if fields is None:
            if chosen is not None:
                flash(_("La correspondance « %(name)s » ne convient pas à ce fichier (des en-têtes "
                        "qu'elle relie n'y sont pas) : voici celle que suggèrent ses en-têtes.",
                        name=chosen.name), "warning")
            continue
        first = options.get("first_line", line + 1)
        last = len(grid.rows) - int(options.get("skip_end", 0) or 0)
        hour = _hour(str(options.get("hour", ""))) or time(18, 0)
        return Mapping(fields, dict(candidate.fixed or {}), line, first, min(last, len(grid.rows)),
                       hour), candidate
    models = resolve.models()
    fields = [suggest_field(name, models) for name in names]
    seen: set[str] = set()
    for index, name in enumerate(fields):  # one column per field: the first keeps it
        if name and name in seen:
            fields[index] = ""
        seen.add(name)
    fixed = {"actor": current_user.username}
    if "kind" not in fields:
        fixed["kind"] = Kind.CRATE_FULL.value
    return Mapping(fields, fixed, header_line, header_line + 1, len(grid.rows)), None


def _hour(text: str) -> time | None:
    match = re.fullmatch(r"([01]?[0-9]|2[0-3])[:hH]([0-5][0-9])", text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def _line(name: str) -> int:
    digits = ascii_digits(request.form.get(name, ""))
    value = bounded(digits, 1_000_000) if digits is not None else None
    if value is None:
        abort(400, description=_("Numéro de ligne illisible (%(field)s) : un nombre entier est "
                                 "attendu. Rien n'a été importé.", field=name))
    return value


def _posted(grid: Grid, choices: list[tuple[str, str]]) -> Mapping:
    """The mapping the form sends; a value no select offers is a 400."""
    allowed = {value for value, _label in choices}
    header_line = _line("header_line")
    fields = []
    for index in range(grid.width):
        value = request.form.get(f"field-{index}", "")
        if value not in allowed:
            abort(400, description=_("Champ de journal inconnu pour la colonne %(n)s : rien n'a été "
                                     "importé.", n=index + 1))
        fields.append(value)
    fixed = {}
    for name in FIXABLE:
        value = request.form.get(f"fixed-{name}", "").strip()
        if len(value) > 200:
            abort(400, description=_("Valeur fixe trop longue (%(field)s) : rien n'a été importé.",
                                     field=field_label(name)))
        if value:
            fixed[name] = value
    hour = _hour(request.form.get("hour", "18:00"))
    if hour is None:
        abort(400, description=_("Heure illisible : attendu HH:MM, par exemple 18:00. Rien n'a "
                                 "été importé."))
    return Mapping(fields, fixed, header_line, _line("first_line"), _line("last_line"),
                   hour)


def _ledger_problems(built: Built) -> list[Problem]:
    """The journal import's own verdict on the rows (its messages, on the spreadsheet's lines)."""
    report = import_journal(db.session, built.rows)
    problems = []
    for error in report.errors:
        index = error.line - 2
        line = built.lines[index] if 0 <= index < len(built.lines) else None
        problems.append(Problem(error.message, line))
    return problems, report


def _page(key: str, grid: Grid, mapping: Mapping, resolve: Resolver, saved: ImportMapping | None,
          problems: list[Problem], built: Built | None, checked: bool, status: int, name: str = ""):
    names = headers(grid, mapping.header_line)
    first = max(mapping.first_line, 1)
    last = max(min(mapping.last_line, len(grid.rows)), first)
    shown_columns = columns(grid, mapping.header_line, first, last)
    general = [problem for problem in problems if problem.line is None]
    by_line = [problem for problem in problems if problem.line is not None]
    return render_template(
        "history/mapping.html", form=CsrfForm(), key=key, grid=grid, mapping=mapping,
        columns=shown_columns, names=names, choices=_choices(resolve), format_label=format_label,
        fixable=FIXABLE, field_label=field_label, saved=saved, mappings=_saved(),
        general=general, by_line=by_line, built=built, checked=checked,
        preview=PREVIEW_ROWS, kinds=[(kind.value, KIND_LABELS[kind]) for kind in Kind],
        stages=[(stage.value, STAGE_LABELS[stage]) for stage in Stage],
        hour=mapping.hour.strftime("%H:%M"), name=name or (saved.name if saved else ""),
        posted=_hidden(mapping)), status


def _hidden(mapping: Mapping) -> list[tuple[str, str]]:
    """The mapping as the form sends it (the preview's own import button repeats it)."""
    fields = [("header_line", str(mapping.header_line)), ("first_line", str(mapping.first_line)),
              ("last_line", str(mapping.last_line)), ("hour", mapping.hour.strftime("%H:%M"))]
    fields += [(f"field-{index}", name) for index, name in enumerate(mapping.fields)]
    fields += [(f"fixed-{name}", value) for name, value in mapping.fixed.items()]
    return fields


@bp.get("/<key>")
def mapping(key: str):
    """The mapping page of an uploaded file: columns, samples, fields, and the rows it gives."""
    grid = _grid(key)
    resolve = Resolver(db.session)
    chosen, saved = _suggested(grid, resolve, request.args.get("correspondance"))
    names = headers(grid, chosen.header_line)
    problems = check_mapping(chosen, names, grid, resolve)
    built = None
    if not problems:
        built = build(grid, resolve_fixed(chosen, resolve), names, resolve)
        problems = built.problems
    return _page(key, grid, chosen, resolve, saved, problems, built, False, 200)


@bp.post("/<key>")
@accepts_body(FORM_BYTES)
def apply(key: str):
    """Preview (the journal import's checks, then nothing kept), import (all or nothing), or save
    the mapping under a name."""
    if not CsrfForm().validate_on_submit():
        abort(400, description=_("Demande incomplète : rien n'a été importé."))
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400, description=_("Action inconnue : rien n'a été importé."))
    grid = _grid(key)
    resolve = Resolver(db.session)
    chosen = _posted(grid, _choices(resolve))
    names = headers(grid, chosen.header_line)
    name = request.form.get("name", "").strip()
    problems = check_mapping(chosen, names, grid, resolve)
    if action == "save":
        return _save(key, grid, chosen, resolve, names, name, problems)
    built = None
    if not problems:
        built = build(grid, resolve_fixed(chosen, resolve), names, resolve)
        problems = built.problems
        if not problems and not built.rows:
            problems = [Problem(_("Aucune ligne de données ne donne de bouteilles à importer : "
                                  "vérifiez les lignes de données et les colonnes choisies."))]
    if problems:
        db.session.rollback()
        return _page(key, grid, chosen, resolve, None, problems, built, False, 422, name)
    problems, report = _ledger_problems(built)
    if action == "preview" or problems:
        db.session.rollback()
        return _page(key, grid, chosen, resolve, None, problems, built, True,
                     422 if problems else 200, name)
    db.session.commit()
    stash.drop(current_app.instance_path, key)
    flash(_("Import terminé : %(events)s événement(s) et %(movements)s mouvement(s) inscrits au "
            "journal, %(skipped)s déjà présent(s).", events=report.imported_events,
            movements=report.imported_movements, skipped=report.skipped_events), "success")
    return redirect(url_for("history.index"))


def _save(key: str, grid: Grid, chosen: Mapping, resolve: Resolver, names: list[str], name: str,
          problems: list[Problem]):
    """Keep the mapping under its name (a name already used is updated: the same layout again)."""
    if not name:
        problems = [Problem(_("Donnez un nom à la correspondance pour l'enregistrer."))]
    elif len(name) > MAX_NAME:
        problems = [Problem(_("Nom de correspondance trop long (%(n)s caractères au plus).", n=MAX_NAME))]
    if problems:
        return _page(key, grid, chosen, resolve, None, problems, None, False, 422, name)
    row = db.session.scalar(select(ImportMapping).where(ImportMapping.name == name))
    if row is None:
        row = ImportMapping(name=name, created_by_id=current_user.id)
        db.session.add(row)
    row.columns = [{"header": names[index], "field": field_name,
                    "format": column.format}
                   for index, (field_name, column) in enumerate(
                       zip(chosen.fields, columns(grid, chosen.header_line, chosen.first_line,
                                                  max(chosen.first_line, chosen.last_line)), strict=True))
                   if field_name and fold(names[index])]
    row.fixed = dict(chosen.fixed)
    # the lines after the data (a total row) are counted from the end: next year's file is longer
    row.options = {"header_line": chosen.header_line, "first_line": chosen.first_line,
                   "skip_end": max(0, len(grid.rows) - chosen.last_line),
                   "hour": chosen.hour.strftime("%H:%M")}
    db.session.commit()
    flash(_("Correspondance « %(name)s » enregistrée : elle sera proposée pour les fichiers aux "
            "mêmes en-têtes.", name=name), "success")
    return redirect(url_for("history.mapping", key=key, correspondance=row.id))
