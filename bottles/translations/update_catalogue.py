"""Re-extract a package's French strings, merge them into its English catalogue, compile it.

It also writes a French catalogue of the plural messages only, so French counts 0 as singular.

Run from the project root:  .venv/bin/python bottles/translations/update_catalogue.py [PACKAGE]
(PACKAGE: bottles by default, or collection_points, washer, resales; `make translations` does
the first three: resales' strings are still in the kernel's catalogue). Each package keeps its
catalogue in PACKAGE/translations/en; Flask-Babel merges them.
French is the source language: msgids are French. The kernel's labels kept in plain dicts
(rules.py is pure, without Flask) are added here, since pybabel only sees calls to _(),
gettext() and lazy_gettext().
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
PACKAGES = ("bottles", "collection_points", "washer", "resales", "reports", "api", "notifications")


def plain_labels() -> list[str]:
    """French labels shown through gettext at run time but not written as _() calls."""
    sys.path.insert(0, str(ROOT))
    from bottles.auth import ROLE_LABELS, login_manager
    from bottles.catalogue.forms import REASON_KINDS
    from bottles.catalogue.kinds import KINDS
    from bottles.errors import ERROR_MESSAGES, ERROR_TITLES
    from bottles.rules import CRATE_STATE_LABELS, KIND_LABELS, STAGE_LABELS

    labels = [*ERROR_TITLES.values(), *ERROR_MESSAGES.values(), "Erreur", *ROLE_LABELS.values(),
              login_manager.login_message,
              *REASON_KINDS.values(), *CRATE_STATE_LABELS.values(),
              *KIND_LABELS.values(), *STAGE_LABELS.values()]
    labels += [label for kind in KINDS.values() for flt in kind.filters if not callable(flt.choices)
               for _v, label in flt.choices]
    return list(dict.fromkeys(str(label) for label in labels))


def main(package: str = "bottles") -> None:
    if package not in PACKAGES:
        sys.exit(f"unknown package {package!r}: one of {', '.join(PACKAGES)}")
    folder = ROOT / package / "translations"
    pot = folder / "messages.pot"
    po = folder / "en" / "LC_MESSAGES" / "messages.po"
    folder.mkdir(exist_ok=True)
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract",
                    "-F", str(HERE / "babel.cfg"), "-k", "_l", "-k", "error_page:2", "-k", "plural_pair:1,2",
                    "-k", "lazy_ngettext:1,2", "--no-location", "--sort-output", "-o", str(pot), package],
                   cwd=ROOT, check=True)
    with pot.open("rb") as handle:
        template = read_po(handle)
    for label in plain_labels() if package == "bottles" else []:
        if label not in template:
            template.add(label)
    if po.exists():
        with po.open("rb") as handle:
            catalog = read_po(handle, locale="en")
    else:
        catalog = Catalog(locale="en", project="Boucle")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.fuzzy = False
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, omit_header=False, ignore_obsolete=True)
    with po.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalog)
    write_french_plurals(folder, template)
    pot.unlink()
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"{po.relative_to(ROOT)}: {len(catalog)} messages, {len(missing)} untranslated.")


def write_french_plurals(folder: Path, template: Catalog) -> None:
    """French counts 0 as singular ("0 bouteille"): a fr catalogue holding only the plural msgids.

    Without a French catalogue gettext falls back to the English rule (n != 1) and writes
    "0 bouteilles"; with one, the plural rule of fr (n > 1) picks the form.
    """
    french = Catalog(locale="fr", project="Boucle", fuzzy=False)
    french._num_plurals, french._plural_expr = 2, "(n > 1)"  # CLDR's third "many" form is unused
    for message in template:
        if message.id and message.pluralizable:
            french.add(message.id, string=tuple(message.id))
    po = folder / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as handle:
        write_po(handle, french, sort_output=True, omit_header=False)
    with po.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, french)


if __name__ == "__main__":
    main(*sys.argv[1:2])
