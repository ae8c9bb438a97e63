"""A column mapping applied to a history spreadsheet: which journal field each column feeds, the
values every row shares, the lines that hold data; the journal rows it produces and why a line
or the mapping itself is refused (French, naming the line and the column).

The rows go to bottles.journal.importer.import_journal unchanged: the ledger's rules, the
all-or-nothing write and the idempotence (a row's event_id is derived from the file and its
line) are the journal import's own.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles.history.sheet import Grid, blank
from bottles.history.values import (
    detect_column,
    read_code,
    read_decimal,
    read_when,
    read_whole,
    shown,
)
from bottles.journal.check import CRATE_KINDS, POINT_FROM_CRATE
from bottles.journal.columns import ALL_COLUMNS
from bottles.models import BottleModel, CollectionPoint, Reason, User, Washer, Winemaker
from bottles.rules import (
    ALLOWED_MOVES,
    KIND_LABELS,
    MODEL_NEEDED,
    REASON_NEEDED,
    STAGE_LABELS,
    STOCK_SITE,
    Kind,
    Site,
    Stage,
)

# The namespace of the event ids a spreadsheet's lines get (see event_id).
NAMESPACE = uuid.UUID("5d0c3e1e-6c1b-4f0e-9a57-2b0c1a7e4f21")
QUANTITY_OF = "quantity:"  # a column counting one bottle model (one column per model)
PREVIEW_ROWS = 20
MAX_NAME = 80
DEFAULT_HOUR = time(18, 0)

FIELD_LABELS: dict[str, Any] = {
    "occurred_at": _l("Date (occurred_at)"),
    "kind": _l("Type d'événement (kind)"),
    "collection_point": _l("Point de collecte (collection_point)"),
    "bottle_model": _l("Modèle de bouteille (bottle_model)"),
    "quantity": _l("Quantité (quantity)"),
    "washer": _l("Centre de lavage (washer)"),
    "winemaker": _l("Vigneron (winemaker)"),
    "actor": _l("Personne (actor)"),
    "crate": _l("Caisse (crate)"),
    "from_stage": _l("Étape de départ (from_stage)"),
    "to_stage": _l("Étape d'arrivée (to_stage)"),
    "reason": _l("Motif (reason)"),
    "unit_price_eur": _l("Prix unitaire en euros (unit_price_eur)"),
    "note": _l("Note (note)"),
    "round": _l("Tournée (round)"),
    "hours": _l("Heures (hours)"),
    "km": _l("Kilomètres (km)"),
    "water_l": _l("Eau en litres (water_l)"),
    "energy_kwh": _l("Énergie en kWh (energy_kwh)"),
    "event_id": _l("Identifiant d'événement (event_id)"),
}
# Fields a value typed once on the page can fill for every row.
FIXABLE = ("kind", "actor", "collection_point", "washer", "winemaker", "bottle_model",
           "from_stage", "to_stage", "reason", "note", "round")
DECIMAL_FIELDS = frozenset({"unit_price_eur", "hours", "km", "water_l", "energy_kwh"})
# code fields -> (model, code column, other columns a spreadsheet may name it by)
CATALOGUE: dict[str, tuple[Any, Any, tuple]] = {
    "collection_point": (CollectionPoint, CollectionPoint.code, (CollectionPoint.name,)),
    "washer": (Washer, Washer.code, (Washer.name,)),
    "winemaker": (Winemaker, Winemaker.code, (Winemaker.estate,)),
    "bottle_model": (BottleModel, BottleModel.code, (BottleModel.name, BottleModel.name_en)),
    "reason": (Reason, Reason.code, (Reason.label_fr, Reason.label_en)),
    "actor": (User, User.username, (User.display_name,)),
}
UNKNOWN = {
    "collection_point": _l("point de collecte inconnu « %(value)s »"),
    "washer": _l("centre de lavage inconnu « %(value)s »"),
    "winemaker": _l("vigneron inconnu « %(value)s »"),
    "bottle_model": _l("modèle de bouteille inconnu « %(value)s »"),
    "reason": _l("motif inconnu « %(value)s »"),
    "actor": _l("personne inconnue « %(value)s »"),
}
# Kinds that must count bottles.
COUNTING = frozenset({Kind.CRATE_FULL, Kind.PICKUP, Kind.RECEIPT, Kind.SORTING, Kind.WASH,
                      Kind.SALE, Kind.STOCKTAKE})
TOTAL_WORDS = re.compile(r"^\s*(sous[\s-]?)?(total|totaux|somme|cumul)\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Text compared without case, accents nor spacing differences."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


def field_label(name: str) -> str:
    """A field as the page's select names it."""
    if name.startswith(QUANTITY_OF):
        return _("Quantité du modèle %(code)s", code=name[len(QUANTITY_OF):])
    return str(FIELD_LABELS.get(name, name))


@dataclass
class Problem:
    """A refusal: the spreadsheet line and column it is about, when it is about one."""

    message: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        if self.line is not None and self.column:
            return _("ligne %(line)s, colonne « %(column)s » : %(message)s", line=self.line,
                     column=self.column, message=self.message)
        if self.line is not None:
            return _("ligne %(line)s : %(message)s", line=self.line, message=self.message)
        return self.message


@dataclass
class Mapping:
    """What the page chose: a field per column (by position, "" ignores it), values every row
    takes, the header line and the data lines, the hour of dates without one."""

    fields: list[str]
    fixed: dict[str, str] = field(default_factory=dict)
    header_line: int = 1
    first_line: int = 2
    last_line: int = 2
    hour: time = DEFAULT_HOUR

    def mapped(self, name: str) -> list[int]:
        return [index for index, chosen in enumerate(self.fields) if chosen == name]

    def given(self, name: str) -> bool:
        """Whether a column or a fixed value fills the field."""
        return bool(self.mapped(name)) or bool(self.fixed.get(name, "").strip())


@dataclass
class Column:
    """One column of the file as the page shows it."""

    index: int
    header: str
    samples: list[str]
    format: str


@dataclass
class Built:
    """The journal rows a spreadsheet gives, the line each comes from, and the refusals."""

    rows: list[dict[str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    events: int = 0
    empty_lines: int = 0
    zero_lines: int = 0

    def problems_of(self, line: int) -> list[Problem]:
        return [problem for problem in self.problems if problem.line == line]


# --- the file's shape ------------------------------------------------------------------------

def guess_header(grid: Grid) -> int:
    """The first line that looks like a header: texts in most of the table's columns."""
    width = grid.width
    for line, row in enumerate(grid.rows[:30], start=1):
        filled = [value for value in row if not blank(value)]
        if len(filled) >= max(2, (width + 1) // 2) and all(isinstance(v, str) for v in filled):
            return line
    return 1


def headers(grid: Grid, header_line: int) -> list[str]:
    """The header of each column (its letter when the cell is empty)."""
    names = []
    for index in range(grid.width):
        value = grid.cell(header_line, index)
        names.append(shown(value) if not blank(value) else _("(colonne %(letter)s)",
                                                               letter=letter(index)))
    return names


def letter(index: int) -> str:
    """A 0-based column index as the spreadsheet's letters (0: A, 26: AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def columns(grid: Grid, header_line: int, first: int, last: int) -> list[Column]:
    """Each column with its header, up to five sample values and its detected format."""
    names = headers(grid, header_line)
    found = []
    for index, name in enumerate(names):
        values = [grid.cell(line, index) for line in range(first, last + 1)]
        filled = [value for value in values if not blank(value)]
        samples: list[str] = []
        for value in filled:
            text = shown(value)
            if text not in samples:
                samples.append(text)
            if len(samples) == 5:
                break
        found.append(Column(index, name, samples, detect_column(filled[:200])))
    return found


def last_filled_line(grid: Grid) -> int:
    return len(grid.rows)


# --- suggestions -----------------------------------------------------------------------------

HINTS: list[tuple[str, str]] = [
    (r"\btotal|\bsomme|\bcumul", ""),
    (r"\bdate|\bmois\b|\bjour\b|\bperiode", "occurred_at"),
    (r"\btype\b|\bevenement|\bkind\b", "kind"),
    (r"\bpoint|\blieu\b|\bdepot\b|\bmagasin", "collection_point"),
    (r"\bmodele|\bbouteille type|\bformat\b", "bottle_model"),
    (r"\bquantite|\bnombre\b|\bnb\b|\bbouteilles\b|\bqte\b", "quantity"),
    (r"\blaveur|\bcentre\b|\blavage", "washer"),
    (r"\bvigneron|\bdomaine|\bacheteur|\bclient", "winemaker"),
    (r"\bcaisse", "crate"),
    (r"\bmotif|\braison", "reason"),
    (r"\bprix", "unit_price_eur"),
    (r"\bremarque|\bcommentaire|\bnote\b|\bobservation", "note"),
    (r"\btournee", "round"),
    (r"\bheures?\b", "hours"),
    (r"\bkm\b|\bkilometre", "km"),
    (r"\beau\b", "water_l"),
    (r"\benergie|\bkwh\b", "energy_kwh"),
    (r"\bsaisi par|\bpersonne|\bagent|\bchauffeur", "actor"),
]


def suggest_field(header: str, models: dict[str, str]) -> str:
    """A field for a header nobody mapped yet: a bottle model's code or name makes a quantity
    column of that model; otherwise words of the header."""
    folded = fold(header)
    for code, name in models.items():
        if folded in (fold(code), fold(name)):
            return QUANTITY_OF + code
    for pattern, name in HINTS:
        if re.search(pattern, folded):
            return name
    return ""


def from_saved(saved_columns: list[dict[str, Any]], names: list[str]) -> list[str] | None:
    """The fields of a saved mapping laid on this file's headers, None when a saved header is
    missing from the file (the mapping is for another layout)."""
    by_header = {fold(column.get("header", "")): column.get("field", "") for column in saved_columns}
    folded = [fold(name) for name in names]
    if any(header not in folded for header in by_header):
        return None
    return [by_header.get(name, "") for name in folded]


# --- checking the mapping --------------------------------------------------------------------

def needs(kind: Kind | None, mapping: Mapping) -> list[str]:
    """The fields a row of `kind` cannot do without (beyond the date and the kind)."""
    if kind is None:
        return []
    wanted: list[str] = []
    if kind in CRATE_KINDS:
        wanted.append("crate")
    pairs = ALLOWED_MOVES.get(kind, frozenset())
    if kind not in COUNTING or not pairs:
        return wanted
    wanted.append("quantity")
    if len(pairs) == 1:
        stages = [next(iter(pairs))]
    else:
        wanted += ["from_stage", "to_stage"]
        origin = read_stage(mapping.fixed.get("from_stage", ""))
        target = read_stage(mapping.fixed.get("to_stage", ""))
        stages = [(origin, target)] if origin and target else []
    for origin, target in stages:
        for stage in (origin, target):
            site = STOCK_SITE.get(stage)
            if site == Site.COLLECTION_POINT:
                wanted.append("collection_point" if kind not in POINT_FROM_CRATE
                              or not mapping.given("crate") else "crate")
            elif site == Site.WASHER:
                wanted.append("washer")
            elif site == Site.WINEMAKER:
                wanted += ["winemaker", "unit_price_eur"]
        if target in MODEL_NEEDED:
            wanted.append("bottle_model")
        if (origin, target) in REASON_NEEDED:
            wanted.append("reason")
    return list(dict.fromkeys(wanted))


KINDS = {kind.value: kind for kind in Kind}
STAGES = {stage.value: stage for stage in Stage}


@lru_cache(maxsize=256)
def read_kind(text: str) -> Kind | None:
    """A kind by its journal value or its French label ("caisse pleine", "collecte")."""
    folded = fold(text)
    for kind in Kind:
        if folded in (fold(kind.value), fold(KIND_LABELS[kind])):
            return kind
    return Kind.CRATE_FULL if folded in ("collecte", "collectes", "apport", "apports") else None


@lru_cache(maxsize=256)
def read_stage(text: str) -> Stage | None:
    folded = fold(text)
    for stage in Stage:
        if folded in (fold(stage.value), fold(STAGE_LABELS[stage])):
            return stage
    return None


def check_mapping(mapping: Mapping, names: list[str], grid: Grid,
                  resolve: Callable[[str, str], str | None]) -> list[Problem]:
    """Why the mapping cannot be applied (a field fed twice, a required field left empty, a
    fixed value unknown, data lines out of the file), or nothing."""
    problems: list[Problem] = []
    total = len(grid.rows)
    if not 1 <= mapping.header_line < mapping.first_line <= mapping.last_line <= total:
        problems.append(Problem(_(
            "Lignes impossibles : l'en-tête (ligne %(header)s) doit précéder la première ligne de "
            "données (%(first)s), elle-même avant ou égale à la dernière (%(last)s), dans les "
            "%(total)s lignes du fichier.", header=mapping.header_line, first=mapping.first_line,
            last=mapping.last_line, total=total)))
    chosen: dict[str, list[int]] = {}
    for index, name in enumerate(mapping.fields):
        if name:
            chosen.setdefault(name, []).append(index)
    for name, indexes in chosen.items():
        if len(indexes) > 1:
            problems.append(Problem(_(
                "Le champ « %(field)s » est choisi pour plusieurs colonnes (%(columns)s) : une "
                "seule colonne par champ.", field=field_label(name),
                columns=", ".join(f"« {names[i]} »" for i in indexes))))
        if name in mapping.fixed and mapping.fixed[name].strip():
            problems.append(Problem(_(
                "Le champ « %(field)s » a une colonne (« %(column)s ») et une valeur fixe : "
                "gardez l'une des deux.", field=field_label(name), column=names[indexes[0]])))
    by_model = [name for name in chosen if name.startswith(QUANTITY_OF)]
    if by_model and "quantity" in chosen:
        problems.append(Problem(_(
            "Une colonne « Quantité » et des colonnes « Quantité du modèle » à la fois : choisissez "
            "l'une des deux présentations.")))
    if by_model and mapping.given("bottle_model"):
        problems.append(Problem(_(
            "Les colonnes « Quantité du modèle » donnent déjà le modèle : ne choisissez pas aussi "
            "le champ « %(field)s ».", field=field_label("bottle_model"))))
    kind = None
    fixed_kind = mapping.fixed.get("kind", "").strip()
    if fixed_kind:
        kind = read_kind(fixed_kind)
        if kind is None:
            problems.append(Problem(_("Type d'événement inconnu : « %(value)s ».", value=fixed_kind[:40])))
    for stage_field in ("from_stage", "to_stage"):
        value = mapping.fixed.get(stage_field, "").strip()
        if value and read_stage(value) is None:
            problems.append(Problem(_("Étape inconnue pour « %(field)s » : « %(value)s ».",
                                      field=field_label(stage_field), value=value[:40])))
    for name in CATALOGUE:
        value = mapping.fixed.get(name, "").strip()
        if value and resolve(name, value) is None:
            problems.append(Problem(_("Valeur fixe du champ « %(field)s » : %(why)s.",
                                      field=field_label(name),
                                      why=UNKNOWN[name] % {"value": value[:40]})))
    required = ["occurred_at", "kind", *needs(kind, mapping)]
    for name in required:
        if name == "quantity" and by_model:
            continue
        if name == "bottle_model" and by_model:
            continue
        if not mapping.given(name):
            how = _("choisissez la colonne qui le porte") if name not in FIXABLE else _(
                "choisissez la colonne qui le porte ou donnez une valeur fixe")
            problems.append(Problem(_(
                "Le champ obligatoire « %(field)s » n'est rempli par aucune colonne : %(how)s.",
                field=field_label(name), how=how)))
    return problems


def check_area(grid: Grid, mapping: Mapping, names: list[str]) -> list[Problem]:
    """Merged cells in the header or the data, and total rows among the data (a line number:
    the rows built skip it)."""
    problems: list[Problem] = []
    for first, last, left, _right, ref in grid.merged:
        if last < mapping.header_line or first > mapping.last_line:
            continue  # a title above the header, a note below the data
        problems.append(Problem(_(
            "cellules fusionnées %(ref)s (colonne « %(column)s ») : défusionnez-les dans le tableur "
            "et répétez la valeur sur chaque ligne, puis recommencez.", ref=ref,
            column=names[left - 1] if left - 1 < len(names) else letter(left - 1)),
            line=max(first, mapping.header_line)))
    for line in range(mapping.first_line, mapping.last_line + 1):
        row = grid.rows[line - 1] if line <= len(grid.rows) else []
        word = next((value for value in row if isinstance(value, str) and TOTAL_WORDS.match(value)), None)
        formula = grid.formulas.get(line)
        if word is not None or formula is not None:
            problems.append(Problem(_(
                "ligne de total (« %(what)s ») parmi les données : rien n'est importé. Si c'est "
                "la fin du tableau, réglez « Dernière ligne de données » sur %(previous)s.",
                what=(word or formula or "").strip()[:40], previous=line - 1), line=line))
    return problems


# --- the rows --------------------------------------------------------------------------------

class Resolver:
    """Codes, names and usernames of the catalogue, folded, for one request."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._known: dict[str, dict[str, str]] = {}

    def table(self, name: str) -> dict[str, str]:
        if name not in self._known:
            model, code, others = CATALOGUE[name]
            known: dict[str, str] = {}
            for row in self.session.execute(select(code, *others)).all():
                for alias in reversed(row):
                    if alias:
                        known[fold(alias)] = row[0]
            self._known[name] = known
        return self._known[name]

    def __call__(self, name: str, value: str) -> str | None:
        """The code a value names (its code or its name, any case), None when unknown."""
        return self.table(name).get(fold(value))

    def models(self) -> dict[str, str]:
        """Bottle model code -> French name (for the quantity-per-model fields)."""
        return dict(self.session.execute(select(BottleModel.code, BottleModel.name)
                                         .order_by(BottleModel.code)).all())


def event_id(line: int, row: dict[str, str], moves: list[tuple[str | None, str]]) -> str:
    """The id of a spreadsheet line's event, from its line and what it records (not who
    imports it): the same table imported again, from the XLSX or from its CSV, gives the same
    ids, which the journal import skips; by someone else, it is refused, never doubled."""
    content = {name: value for name, value in row.items()
               if name not in ("event_id", "actor", "quantity", "bottle_model")}
    body = json.dumps([line, sorted(content.items()), row["bottle_model"], row["quantity"], moves])
    return str(uuid.uuid5(NAMESPACE, body))


def build(grid: Grid, mapping: Mapping, names: list[str], resolve: Resolver) -> Built:
    """The journal rows of the data lines, or the problems of each line (all of them)."""
    built = Built()
    built.problems += check_area(grid, mapping, names)
    refused = {problem.line for problem in built.problems if not problem.column}
    kind_fixed = read_kind(mapping.fixed.get("kind", "")) if mapping.fixed.get("kind") else None
    for line in range(mapping.first_line, mapping.last_line + 1):
        if line in refused:
            continue
        cells = {index: grid.cell(line, index) for index, name in enumerate(mapping.fields) if name}
        if all(blank(value) for value in cells.values()):
            built.empty_lines += 1
            continue
        before = len(built.problems)
        row: dict[str, str] = {name: "" for name in ALL_COLUMNS}
        for name, value in mapping.fixed.items():
            if value.strip():
                row[name] = value.strip()
        quantities: list[tuple[str, str]] = []
        for index, value in cells.items():
            name = mapping.fields[index]
            problem = _read_cell(row, quantities, name, value, mapping, resolve)
            if problem:
                built.problems.append(Problem(problem, line, names[index]))
        kind = read_kind(row["kind"]) if row["kind"] else kind_fixed
        if row["kind"] and kind is None and not any(
                p.line == line and p.column for p in built.problems[before:]):
            built.problems.append(Problem(_("type d'événement inconnu « %(value)s ».",
                                            value=row["kind"][:40]), line))
        if kind is not None:
            row["kind"] = kind.value
            pairs = ALLOWED_MOVES.get(kind, frozenset())
            if len(pairs) == 1 and not row["from_stage"] and not row["to_stage"]:
                origin, target = next(iter(pairs))
                row["from_stage"], row["to_stage"] = origin.value, target.value
        if len(built.problems) > before:
            continue
        if kind in COUNTING and all(quantity in ("", "0") for _model, quantity in quantities):
            if any(quantity == "" for _model, quantity in quantities) and "quantity" in mapping.fields:
                column = names[mapping.fields.index("quantity")]
                built.problems.append(Problem(_("quantité vide."), line, column))
            else:
                built.zero_lines += 1
            continue
        built.events += 1
        moves = [(model, quantity) for model, quantity in quantities if quantity not in ("", "0")]
        if not row["event_id"]:
            row["event_id"] = event_id(line, row, moves)
        if not moves:
            built.rows.append(row)
            built.lines.append(line)
        for model, quantity in moves:
            built.rows.append({**row, "quantity": quantity,
                               "bottle_model": model if model is not None else row["bottle_model"]})
            built.lines.append(line)
    return built


def _read_cell(row: dict[str, str], quantities: list[tuple[str | None, str]], name: str,
               value: object, mapping: Mapping, resolve: Resolver) -> str | None:
    """Put one cell into the row; the reason it cannot be read, or None."""
    try:
        if name.startswith(QUANTITY_OF):
            quantities.append((name[len(QUANTITY_OF):], "" if blank(value) else read_whole(value)))
        elif name == "quantity":
            quantities.append((None, "" if blank(value) else read_whole(value)))
        elif blank(value):
            return None
        elif name == "occurred_at":
            row[name] = read_when(value, mapping.hour)
        elif name in DECIMAL_FIELDS:
            row[name] = read_decimal(value)
        elif name in CATALOGUE:
            text = read_code(value)
            code = resolve(name, text)
            if code is None:
                return str(UNKNOWN[name] % {"value": text[:40]}) + _(
                    " (créez-le d'abord dans le catalogue, ou corrigez le tableur).")
            row[name] = code
        elif name == "kind":
            kind = read_kind(read_code(value))
            if kind is None:
                return _("type d'événement inconnu « %(value)s ».", value=read_code(value)[:40])
            row[name] = kind.value
        elif name in ("from_stage", "to_stage"):
            stage = read_stage(read_code(value))
            if stage is None:
                return _("étape inconnue « %(value)s ».", value=read_code(value)[:40])
            row[name] = stage.value
        else:
            row[name] = read_code(value)
    except ValueError as error:
        return str(error)
    return None


def resolve_fixed(mapping: Mapping, resolve: Resolver) -> Mapping:
    """The fixed values written as the journal writes them (codes for names, kinds, stages)."""
    fixed = {}
    for name, value in mapping.fixed.items():
        value = value.strip()
        if not value:
            continue
        if name in CATALOGUE:
            value = resolve(name, value) or value
        elif name == "kind":
            value = kind.value if (kind := read_kind(value)) else value
        elif name in ("from_stage", "to_stage"):
            value = stage.value if (stage := read_stage(value)) else value
        fixed[name] = value
    return Mapping(mapping.fields, fixed, mapping.header_line, mapping.first_line,
                   mapping.last_line, mapping.hour)
