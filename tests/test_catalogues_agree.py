"""Flask-Babel merges every package's English catalogue, the last one winning: a French message
shared by two packages must say the same thing in English in both, or one page reads the other's
words ("en cours" became "sending" on the phases list once the alerts joined)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]


def catalogues() -> dict[str, dict[str, object]]:
    found = {}
    for path in sorted(ROOT.glob("*/translations/en/LC_MESSAGES/messages.po")):
        with path.open("rb") as handle:
            found[path.parts[-5]] = {m.id if isinstance(m.id, str) else m.id[0]: m.string
                                     for m in read_po(handle) if m.id and m.string}
    return found


def test_a_message_shared_by_two_packages_has_one_english():
    seen: dict[str, tuple[str, object]] = {}
    clashes = []
    for package, messages in catalogues().items():
        for msgid, english in messages.items():
            if msgid in seen and seen[msgid][1] != english:
                clashes.append(f"{msgid!r}: {seen[msgid][0]} {seen[msgid][1]!r} ≠ {package} {english!r}")
            seen.setdefault(msgid, (package, english))
    assert not clashes, "give each its own French words, or one English:\n" + "\n".join(clashes)


def test_every_package_catalogue_is_found():
    assert {"bottles", "collection_points", "washer", "resales", "reports"} <= set(catalogues())
