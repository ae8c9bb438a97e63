"""CSV import of the catalogue: every row is checked first; any error imports nothing.

A code already in the catalogue (any case) updates that entry with the file's values,
so importing the same file twice changes nothing the second time.
Columns left out of the file, and empty cells, keep their current value (or the default for
a new entry); a cell holding only `-` (CLEAR) empties that field on purpose.
Every import is first computed as a list of changes (the preview); `apply=False` stops there.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from bottles import codes
from bottles.catalogue import operations
from bottles.catalogue.kinds import KINDS, CatalogueKind
from bottles.cells import safe_row, unquoted
from bottles.models import Crate, Washer
from bottles.numbers import ParseError, parse_count
from bottles.spreadsheet import RFC4180, csv_dialect, write_csv_rows

MAX_ROWS = 20_000
MAX_ERRORS = 200
CRATE_COLUMNS = ("code", "capacity", "washer")
NEW_DEFAULTS = {"in_pool": "oui", "pallet_size": "1200", "staff_may_sell": "non", "kind": ""}
IMPORT_KINDS = (*KINDS, "crates")
CLEAR = "-"


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class RowChange:
    """One row of the file: a new entry, or an existing one and what changes (maybe nothing)."""

    line: int
    code: str
    new: bool
    fields: tuple[FieldChange, ...] = ()

    @property
    def unchanged(self) -> bool:
        return not self.new and not self.fields


class CsvError(ValueError):
    """The file cannot be read as a CSV file at all."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self) -> None:
        self.created = sum(1 for c in self.changes if c.new)
        self.unchanged = sum(1 for c in self.changes if c.unchanged)
        self.updated = len(self.changes) - self.created - self.unchanged

    def fingerprint(self, data: bytes) -> str:
        """Names the file and the exact changes it would make now: a stale preview differs."""
        digest = hashlib.sha256(data)
        digest.update(repr(self.changes).encode())
        return digest.hexdigest()

    def preview_lines(self) -> list[str]:
        """The preview as plain text lines (for the command line)."""
        out = []
        for change in self.changes:
            head = f"Ligne {change.line} · {change.code} : "
            if change.new:
                out.append(head + "nouveau — " + " ; ".join(
                    f"{f.label} = {f.new}" for f in change.fields if f.new))
            elif change.unchanged:
                out.append(head + "inchangé")
            else:
                out.extend(head + f"{f.label} : {f.old or '(vide)'} → {f.new or '(vide)'}"
                           for f in change.fields)
        return out


def columns_of(kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(all columns, required columns) of a kind's CSV file."""
    if kind == "crates":
        return CRATE_COLUMNS, ("code",)
    return KINDS[kind].csv_columns, KINDS[kind].csv_required


# The example's decimal columns, written with the flavour's decimal mark (the import reads both);
# dates stay AAAA-MM-JJ, the import's own format.
DECIMAL_COLUMNS = frozenset({"latitude", "longitude"})


def example_csv(kind: str, flavour: str = RFC4180) -> str:
    """An example file of a kind, in a CSV flavour (bottles.spreadsheet)."""
    columns, _required = columns_of(kind)
    rows = KINDS[kind].example if kind != "crates" else (
        (codes.make_code(1), "60", "LAV-LONS"), (codes.make_code(2), "", ""))
    dialect = csv_dialect(flavour)
    decimals = [i for i, name in enumerate(columns) if name in DECIMAL_COLUMNS]
    out = io.StringIO()
    write_csv_rows(out, dialect, columns,
                   (safe_row(value.replace(".", dialect.decimal) if i in decimals else value
                             for i, value in enumerate(row)) for row in rows))
    return out.getvalue()


def read_rows(data: bytes) -> list[dict[str, str]]:
    """Rows of a CSV file (UTF-8 or Windows-1252, comma or semicolon separated)."""
    if not data.strip():
        raise CsvError("Le fichier est vide.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise CsvError("Le fichier contient un caractère nul (NUL) : ce n'est pas un fichier CSV "
                       "texte. Réenregistrez-le en CSV (UTF-8) depuis le tableur.")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[dict[str, str]] = []
    try:
        if not reader.fieldnames:
            raise CsvError("Le fichier n'a pas de ligne d'en-tête.")
        reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames]
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise CsvError(f"Plus de {MAX_ROWS} lignes : découpez le fichier.")
            if None in row:
                row["__extra__"] = "1"
                row.pop(None)
            rows.append({k: unquoted((v or "").strip()) for k, v in row.items()})
    except csv.Error as error:  # a cell over csv.field_size_limit() (131,072 characters)
        raise CsvError(f"Ligne {reader.line_num + 1} illisible : une cellule dépasse "
                       f"{csv.field_size_limit():,} caractères".replace(",", "\u202f")
                       + " ou un guillemet ouvert n'est pas refermé.") from error
    return rows


def _header_errors(kind: str, rows: list[dict[str, str]], header: list[str]) -> list[str]:
    columns, required = columns_of(kind)
    errors = []
    missing = [c for c in required if c not in header]
    if missing:
        errors.append(f"Colonnes obligatoires manquantes : {', '.join(missing)}.")
    unknown = [c for c in header if c not in columns]
    if unknown:
        errors.append(f"Colonnes inconnues : {', '.join(unknown)} (attendues : {', '.join(columns)}).")
    if not rows:
        errors.append("Aucune ligne de données.")
    return errors


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def import_csv(session: Session, kind: str, data: bytes, *, actor_id: int | None,
               at: datetime, crate_prefix: str = codes.DEFAULT_PREFIX,
               apply: bool = True) -> ImportResult:
    """Check every row and list the changes; then (if all are right and `apply`) make them.

    Never commits.
    """
    try:
        rows = read_rows(data)
    except CsvError as error:
        return ImportResult(errors=[str(error)])
    header = list(rows[0].keys()) if rows else []
    header = [h for h in header if h != "__extra__"]
    errors = _header_errors(kind, rows, header)
    if errors:
        return ImportResult(errors=errors)
    if kind == "crates":
        return _import_crates(session, rows, actor_id=actor_id, at=at, apply=apply)
    return _import_entries(session, KINDS[kind], rows, header, apply=apply)


def merged(current: dict[str, str], row: dict[str, str], header: list[str]) -> dict[str, str]:
    """The values a row asks for: an empty cell keeps, `-` clears, anything else replaces."""
    values = dict(current)
    for name in header:
        cell = row.get(name, "")
        if cell == CLEAR:
            values[name] = ""
        elif cell != "":
            values[name] = cell
    return values


def _import_entries(session: Session, kind: CatalogueKind, rows: list[dict[str, str]],
                    header: list[str], *, apply: bool) -> ImportResult:
    result = ImportResult()
    model = kind.model
    wanted = {row.get("code", "").lower() for row in rows}
    existing = {row.code.lower(): row for row in session.scalars(
        select(model).where(func.lower(model.code).in_(wanted)))} if wanted else {}
    seen: dict[str, int] = {}
    checked = []
    for number, row in enumerate(rows, start=2):
        if row.pop("__extra__", None):
            result.errors.append(f"Ligne {number} : plus de valeurs que de colonnes.")
            continue
        code = row.get("code", "").lower()
        if code in seen:
            result.errors.append(f"Ligne {number} : le code « {row['code']} » figure déjà "
                                 f"ligne {seen[code]}.")
            continue
        seen[code] = number
        current = existing.get(code)
        before = {name: (_as_text(getattr(current, name)) if current is not None
                         else NEW_DEFAULTS.get(name, "")) for name in kind.csv_columns}
        form = kind.form(formdata=MultiDict(merged(before, row, header)), meta={"csrf": False},
                         obj_id=current.id if current is not None else None)
        if not form.validate():
            for name, messages in form.errors.items():
                label = name if name == "code" else form[name].label.text
                result.errors.extend(f"Ligne {number} : {label} ({name}) — {m}" for m in messages)
            continue
        data = form.values(kind.csv_columns)
        if current is not None:
            data["code"] = current.code  # matched whatever the case: the stored spelling stays
        fields = tuple(
            FieldChange(str(form[name].label.text), before[name] if current is not None else "",
                        _as_text(form[name].data).strip())
            for name in kind.csv_columns if name != "code"
            and (current is None or _as_text(form[name].data).strip() != before[name]))
        result.changes.append(RowChange(number, data["code"], current is None, fields))
        checked.append((current, data, fields))
        if len(result.errors) > MAX_ERRORS:
            break
    result.count()
    if result.errors or not apply:
        return result
    for current, data, fields in checked:
        if current is None:
            operations.save_entry(session, kind, None, data)
        elif fields:
            operations.fill(kind, current, data)
    session.flush()
    return result


def _import_crates(session: Session, rows: list[dict[str, str]], *, actor_id: int | None,
                   at: datetime, apply: bool) -> ImportResult:
    result = ImportResult()
    washer_codes = dict(session.execute(select(Washer.id, Washer.code)).all())
    washers = {code.lower(): wid for wid, code in washer_codes.items()}
    seen: dict[str, int] = {}
    checked: list[tuple[str, int | None, int | None]] = []
    for number, row in enumerate(rows, start=2):
        problems = []
        if row.pop("__extra__", None):
            problems.append("plus de valeurs que de colonnes")
        try:
            code = codes.normalise(row.get("code", ""))
        except codes.CrateCodeError as error:
            code = ""
            problems.append(str(error))
        if code and code in seen:
            problems.append(f"la caisse {code} figure déjà ligne {seen[code]}")
        seen.setdefault(code, number)
        raw_capacity = row.get("capacity", "")
        try:  # blank: None, a new crate gets 60, an existing one keeps its capacity
            capacity = parse_count(raw_capacity, 500, grouped=False)
        except ParseError:
            capacity = 0
        if capacity is not None and not 1 <= capacity <= 500:
            problems.append(f"capacité « {raw_capacity} » : nombre entier entre 1 et 500")
        washer_code = row.get("washer", "")
        washer_id = washers.get(washer_code.lower()) if washer_code else None
        if washer_code and washer_id is None:
            problems.append(f"centre de lavage « {washer_code} » inconnu")
        if problems:
            result.errors.append(f"Ligne {number} : " + " ; ".join(problems) + ".")
        else:
            checked.append((number, code, capacity, washer_id))
        if len(result.errors) > MAX_ERRORS:
            break
    if result.errors:
        return result
    existing = {c.code: c for c in session.scalars(
        select(Crate).where(Crate.code.in_([code for _n, code, _c, _w in checked])))}
    capacity_label, washer_label = "Capacité", "Centre de lavage"
    for number, code, capacity, washer_id in checked:
        crate = existing.get(code)
        if crate is None:
            fields = (FieldChange(capacity_label, "", str(capacity or 60)),
                      *((FieldChange(washer_label, "", washer_codes[washer_id]),)
                        if washer_id else ()))
            result.changes.append(RowChange(number, code, True, fields))
        elif capacity is not None and crate.capacity != capacity:
            result.changes.append(RowChange(number, code, False, (
                FieldChange(capacity_label, str(crate.capacity), str(capacity)),)))
        else:
            result.changes.append(RowChange(number, code, False))
    result.count()
    if not apply:
        return result
    for _number, code, capacity, washer_id in checked:
        crate = existing.get(code)
        if crate is None:
            operations.register_crate(session, actor_id=actor_id, at=at, code=code,
                                      capacity=capacity or 60, washer_id=washer_id)
        elif capacity is not None and crate.capacity != capacity:
            operations.set_capacity(session, crate, capacity)
    session.flush()
    return result
