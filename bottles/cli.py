"""`flask bottles …`: people, ledger checks (journal, demo and labels add their commands)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from bottles.auth import MIN_PASSWORD, ROLES, hash_password
from bottles.check import check_ledger
from bottles.db import db
from bottles.models import CollectionPoint, User, Washer

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


@group.command("check-ledger")
@with_appcontext
def check_ledger_command() -> None:
    """Replay the whole ledger against every projection; exit 1 on any difference."""
    problems = check_ledger(db.session)
    if problems:
        for problem in problems[:200]:
            click.echo(problem, err=True)
        click.echo(f"{len(problems)} différence(s) entre le journal et les projections.", err=True)
        sys.exit(1)
    click.echo("Journal et projections concordent.")
