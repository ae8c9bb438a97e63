"""`flask bottles labels …`: crate label sheets from the command line (registered on the kernel's group)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from bottles.db import db
from bottles.rules import LedgerError
from collection_points import labels
from collection_points.operations import PARIS
from collection_points.rules import label_base_url_problem
from collection_points.selection import mark_printed, select_crates


@click.command("labels")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.argument("codes", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Toutes les caisses en service.")
@click.option("--unprinted", is_flag=True, help="Les caisses dont l'étiquette n'a jamais été imprimée.")
@click.option("--point", "point_code", default=None, help="Les caisses d'un point de collecte (code).")
@click.option("--from", "first", default=None, help="Première caisse d'une plage (code).")
@click.option("--to", "last", default=None, help="Dernière caisse d'une plage (code).")
@click.option("--layout", type=click.Choice(sorted(labels.LAYOUTS)), default="3x8", show_default=True,
              help="Planche A4 : 3x8 (70 × 37 mm) ou 2x7 (99,1 × 38,1 mm).")
@click.option("--no-mark", is_flag=True, help="Ne pas noter les étiquettes comme imprimées.")
@click.option("--base-url", default=None,
              help="Adresse publique du site que porteront les QR codes (par défaut : BASE_URL).")
@with_appcontext
def labels_command(out: Path, codes: tuple[str, ...], all_: bool, unprinted: bool, point_code: str | None,
                   first: str | None, last: str | None, layout: str, no_mark: bool,
                   base_url: str | None) -> None:
    """Write an A4 PDF of crate labels (print at 100 %, « taille réelle »)."""
    base = (base_url or current_app.config.get("BASE_URL") or "").strip().rstrip("/")
    problem = label_base_url_problem(base)
    if problem:
        raise click.ClickException(f"{problem} (ou donnez --base-url https://…). Aucune étiquette écrite.")
    try:
        crates = select_crates(db.session, codes=list(codes), all_=all_, unprinted=unprinted,
                               point_code=point_code, first=first, last=last,
                               day=datetime.now(PARIS).date())
    except LedgerError as error:
        raise click.ClickException(str(error)) from None
    pdf = labels.sheet_pdf([c.code for c in crates], base, current_app.config["CHANNEL_NAME"], layout)
    out.write_bytes(pdf)
    if not no_mark:
        mark_printed(db.session, crates, datetime.now(UTC))
    db.session.commit()
    per_sheet = labels.LAYOUTS[layout].per_sheet
    click.echo(labels_written(len(crates), -(-len(crates) // per_sheet), layout, out))
    click.echo(f"Les codes mènent à {labels.crate_url(base, crates[0].code)}")


def labels_written(count: int, sheets: int, layout: str, out: Path) -> str:
    """'1 étiquette sur 1 planche 3x8 : out.pdf' with French plurals."""
    what = "étiquette" if count == 1 else "étiquettes"
    where = "planche" if sheets == 1 else "planches"
    return f"{count} {what} sur {sheets} {where} {layout} : {out}"
