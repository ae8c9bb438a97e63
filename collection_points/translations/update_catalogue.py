"""Re-extract collection_points' French strings, merge them into its English catalogue, compile it.

Run from the project root:  .venv/bin/python collection_points/translations/update_catalogue.py
French is the source language: msgids are French. The kernel's labels (crate states, event
kinds) are translated by the kernel's catalogue, merged at run time through
BABEL_TRANSLATION_DIRECTORIES; only this package's own strings live here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
POT = HERE / "messages.pot"
PO = HERE / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def main() -> None:
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract",
                    "-F", str(HERE / "babel.cfg"), "-k", "_l",
                    "--no-location", "--sort-output", "-o", str(POT), "collection_points"],
                   cwd=ROOT, check=True)
    with POT.open("rb") as handle:
        template = read_po(handle)
    if PO.exists():
        with PO.open("rb") as handle:
            catalog = read_po(handle, locale="en")
    else:
        catalog = Catalog(locale="en", project="Boucle")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.fuzzy = False
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, omit_header=False, ignore_obsolete=True)
    with MO.open("wb") as handle:
        write_mo(handle, catalog)
    POT.unlink()
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"{PO.relative_to(ROOT)}: {len(catalog)} messages, {len(missing)} untranslated.")


if __name__ == "__main__":
    main()
