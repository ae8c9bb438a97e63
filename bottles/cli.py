"""`flask bottles …`: accounts, the ledger check, catalogue and journal imports, the journal
and EPCIS exports and the demo (other packages add theirs to this group, e.g. labels)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from bottles.auth import MIN_PASSWORD, ROLES, hash_password
from bottles.backup import BackupError, backup, journal_matches, restore
from bottles.catalogue.csv_import import import_csv
from bottles.check import INVERSION, check_ledger
from bottles.db import db
from bottles.demo import DemoError, database_is_empty, demo_accounts, load_demo
from bottles.journal import export_journal, import_journal
from bottles.journal.epcis import identifiers
from bottles.journal.epcis_export import export_epcis
from bottles.models import CollectionPoint, User, Washer, utcnow
from bottles.people import tokens
from bottles.rules import PARIS
from bottles.spreadsheet import FLAVOURS, RFC4180

group = click.Group("bottles", help="Boucle : registre des bouteilles, caisses, personnes.")


@group.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", "display_name", default="", help="Nom affiché.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--point", "points", multiple=True, help="Code d'un point de collecte rattaché.")
@click.option("--washer", "washers", multiple=True, help="Code d'un centre de lavage rattaché.")
@with_appcontext
def create_user(username: str, role: str, display_name: str, password: str,
                points: tuple[str, ...], washers: tuple[str, ...]) -> None:
    """Create a person who can sign in."""
    username = username.strip()
    if not username or len(username) > 64:
        raise click.ClickException("L'identifiant doit faire de 1 à 64 caractères.")
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"Le mot de passe doit faire au moins {MIN_PASSWORD} caractères.")
    if db.session.scalar(select(User).where(func.lower(User.username) == username.lower())):
        raise click.ClickException(f"L'identifiant « {username} » existe déjà.")
    user = User(username=username, role=role, display_name=display_name or username,
                password_hash=hash_password(password))
    user.collection_points = _by_codes(CollectionPoint, points, "point de collecte")
    user.washers = _by_codes(Washer, washers, "centre de lavage")
    db.session.add(user)
    db.session.commit()
    click.echo(f"Compte « {username} » ({role}) créé.")


def _by_codes(model, wanted: tuple[str, ...], label: str) -> list:
    found = list(db.session.scalars(select(model).where(model.code.in_(wanted)))) if wanted else []
    missing = set(wanted) - {row.code for row in found}
    if missing:
        raise click.ClickException(f"{label} inconnu : {', '.join(sorted(missing))}")
    return found


@group.command("create-token")
@click.argument("username")
@click.option("--name", default="", help="Nom du jeton (l'appareil ou le programme qui s'en sert).")
@click.option("--expires", "days", type=click.IntRange(1, tokens.MAX_DAYS), default=None,
              help="Jours de validité (sans limite si absent).")
@with_appcontext
def create_token(username: str, name: str, days: int | None) -> None:
    """Create a personal API token for an account and print it, once."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.active:
        raise click.ClickException(f"Aucun compte actif « {username} ».")
    try:
        issued = tokens.create(db.session, user, name=name, days=days)
    except tokens.TokenError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(issued.secret)
    click.echo("Ce jeton ne sera plus jamais affiché : gardez-le en lieu sûr.", err=True)


@group.command("check-ledger")
@with_appcontext
def check_ledger_command() -> None:
    """Replay the whole ledger against every projection; exit 1 on any difference or time inversion."""
    problems = check_ledger(db.session)
    if problems:
        for problem in problems[:200]:
            click.echo(problem, err=True)
        late = sum(problem.startswith(INVERSION) for problem in problems)
        click.echo(f"{len(problems) - late} différence(s) entre le journal et les projections, "
                   f"{late} événement(s) daté(s) avant leur cause.", err=True)
        sys.exit(1)
    click.echo("Journal et projections concordent.")


@group.command("import-catalogue")
@click.argument("kind", type=click.Choice(["models", "reasons", "points", "territories",
                                            "point-kinds", "washers", "winemakers", "crates"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Montrer les changements sans rien enregistrer.")
@with_appcontext
def import_catalogue(kind: str, file: str, dry_run: bool) -> None:
    """Import a catalogue CSV: all rows checked first, every change listed; empty cells keep, - clears."""
    with open(file, "rb") as handle:
        data = handle.read()
    result = import_csv(db.session, kind, data, actor_id=None, at=utcnow(),
                        crate_prefix=current_app.config["CRATE_PREFIX"], apply=not dry_run)
    if not result.ok:
        db.session.rollback()
        for error in result.errors:
            click.echo(error, err=True)
        raise click.ClickException("Rien n'a été importé.")
    for line in result.preview_lines():
        click.echo(line)
    summary = ", ".join(f"{n} {one if n < 2 else many}" for n, one, many in (
        (result.created, "créé", "créés"), (result.updated, "mis à jour", "mis à jour"),
        (result.unchanged, "inchangé", "inchangés")))
    if dry_run:
        db.session.rollback()
        click.echo(f"Essai (--dry-run), rien n'a été enregistré : {summary}.")
        return
    db.session.commit()
    click.echo(f"Import terminé : {summary}.")


@group.command("export-journal")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="Premier jour (inclus, heure de Paris).")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Jour de fin (exclu, heure de Paris).")
@click.option("--format", "flavour", type=click.Choice(FLAVOURS), default=RFC4180, show_default=True,
              help="rfc4180 : le fichier d'import et de sauvegarde ; excel-fr : Excel en français "
                   "(point-virgule, virgule décimale, UTF-8 avec BOM).")
@with_appcontext
def export_journal_command(path: str, start, end, flavour: str) -> None:
    """Write the whole ledger (or a date range) as one CSV file, one row per movement."""
    bounds = [day.replace(tzinfo=PARIS) if day else None for day in (start, end)]
    try:
        with open(path, "w", newline="", encoding="utf-8") as out:
            rows = export_journal(db.session, out, start=bounds[0], end=bounds[1], flavour=flavour)
    except OSError as error:
        raise click.ClickException(f"Impossible d'écrire {path} : {error.strerror}.") from None
    click.echo(f"{rows} ligne(s) écrite(s) dans {path}.")


@group.command("export-epcis")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="Premier jour (inclus, heure de Paris).")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Jour de fin (exclu, heure de Paris).")
@with_appcontext
def export_epcis_command(path: str, start, end) -> None:
    """Write the whole ledger (or a date range) as one EPCIS 2.0 JSON-LD document (docs/epcis.md)."""
    config = current_app.config
    try:
        ids = identifiers(config["BASE_URL"], config.get("GS1_COMPANY_PREFIX", ""),
                          config.get("GS1_CRATE_ASSET_TYPE", ""))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    bounds = [day.replace(tzinfo=PARIS) if day else None for day in (start, end)]
    if bounds[0] and bounds[1] and bounds[1] <= bounds[0]:
        raise click.ClickException("--end doit être après --start.")
    try:
        with open(path, "w", encoding="utf-8") as out:
            count = export_epcis(db.session, out, ids, utcnow(), start=bounds[0], end=bounds[1])
    except OSError as error:
        raise click.ClickException(f"Impossible d'écrire {path} : {error.strerror}.") from None
    click.echo(f"{count} événement(s) EPCIS écrit(s) dans {path}.")


# Files smaller than this import in a blink: no progress bar.
PROGRESS_FROM_BYTES = 1_000_000


@contextmanager
def _progress(path: str, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for a long import (click's: no extra dependency, and it writes
    where it is told); none with --quiet, when stderr is not a terminal, or for a small file."""
    size = Path(path).stat().st_size
    if quiet or size < PROGRESS_FROM_BYTES or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=size, label="Lecture et contrôle du journal", file=sys.stderr,
                           show_pos=False, show_percent=True, show_eta=True) as bar:
        yield bar.update


@group.command("import-journal")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--create-missing", is_flag=True,
              help="Créer les points, centres, vignerons, caisses, modèles, motifs et personnes inconnus.")
@click.option("--quiet", is_flag=True, help="Sans barre de progression.")
@with_appcontext
def import_journal_command(path: str, create_missing: bool, quiet: bool) -> None:
    """Check every row, then import the whole file or nothing (streamed: memory stays bounded)."""
    try:
        with _progress(path, quiet) as progress:
            report = import_journal(db.session, path, create_missing=create_missing, progress=progress)
    except UnicodeDecodeError:
        db.session.rollback()
        raise click.ClickException("Le fichier n'est pas en UTF-8 : rien n'a été importé (Excel "
                                   "enregistre en UTF-8 sous « CSV UTF-8 (délimité par des virgules) » ; "
                                   "son « CSV (séparateur : point-virgule) » est en Windows-1252).") from None
    if not report.ok:
        db.session.rollback()
        for error in report.errors[:500]:
            click.echo(str(error), err=True)
        if len(report.errors) > 500:
            click.echo(f"… et {len(report.errors) - 500} autre(s).", err=True)
        click.echo(report.summary(), err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(report.summary())


@group.command("backup")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def backup_command(directory: str) -> None:
    """Write DIRECTORY/boucle-<time>/: a consistent database snapshot, its journal and a manifest."""
    try:
        done = backup(db.engine, Path(directory))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    counts = done.manifest["counts"]
    click.echo(f"Sauvegarde écrite dans {done.folder} : base ({done.manifest['database']}, révision "
               f"{done.manifest['revision']}), journal de {done.manifest['journal_rows']} ligne(s) "
               f"({counts['events']} événements), manifeste avec les sha256.")


@group.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@with_appcontext
def restore_command(folder: str) -> None:
    """Restore a backup folder into the empty database of DATABASE_URL, upgrade it, compare journals."""
    from flask_migrate import upgrade

    try:
        manifest = restore(db.engine, Path(folder))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    upgrade(directory=current_app.extensions["migrate"].directory)
    if not journal_matches(db.engine, manifest):
        click.echo("Le journal de la base restaurée diffère de celui de la sauvegarde : vérifiez-la "
                   "avant de l'utiliser (flask bottles check-ledger).", err=True)
        sys.exit(1)
    click.echo(f"Sauvegarde du {manifest['created_at']} restaurée : {manifest['counts']['events']} "
               f"événements ; son journal est identique, octet pour octet, à celui de la sauvegarde.")


@group.command("demo")
@click.option("--scale", type=click.IntRange(1, 100), default=1, show_default=True,
              help="Multiplie le volume (40 ≈ un million d'événements).")
@click.option("--if-empty", is_flag=True, help="Ne rien faire (et réussir) si la base a déjà des données.")
@with_appcontext
def demo_command(scale: int, if_empty: bool) -> None:
    """Fill an empty database with two phases of realistic history (through the journal import)."""
    if not database_is_empty(db.session):
        if if_empty:
            click.echo("La base contient déjà des données : démonstration non rechargée.")
            return
        raise click.ClickException("La base n'est pas vide : la démonstration ne se charge que dans "
                                   "une base vide (utilisez --if-empty pour l'ignorer).")
    started = time.perf_counter()
    try:
        report = load_demo(db.session, scale=scale)
    except DemoError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Démonstration chargée en {time.perf_counter() - started:.1f} s : "
               f"{report.imported_events} événements, {report.imported_movements} mouvements.")


@group.command("demo-accounts")
@with_appcontext
def demo_accounts_command() -> None:
    """Print the demo accounts and their passwords."""
    accounts = demo_accounts(db.session)
    if not accounts:
        click.echo("Aucun compte de démonstration dans cette base.")
        return
    click.echo("Comptes de démonstration (identifiant / mot de passe — rôle) :")
    for username, role, password, display in accounts:
        click.echo(f"  {username:<18} {password:<20} {role:<12} {display}")
