"""Crate codes: PREFIX-NNNNN-C with a Luhn mod 36 check character (docs/ledger.md, "Crate codes").

The format is printed on labels: it never changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
N = len(ALPHABET)
DEFAULT_PREFIX = "CJ"
_BARE = re.compile(r"^([A-Z]{1,4})([0-9]{5})([0-9A-Z])$")  # ASCII digits: "\d" takes "١"
# A keyboard-wedge scanner set to QWERTY on an AZERTY computer types the digit
# row shifted: this maps what it types back to what the label says.
_AZERTY = str.maketrans({"à": "0", "&": "1", "é": "2", '"': "3", "'": "4", "(": "5",
                         "-": "6", "è": "7", "_": "8", "ç": "9", ")": "-"})


class CrateCodeError(ValueError):
    """A scanned or typed crate code that cannot be a valid code (the message is lazy gettext)."""


def check_character(payload: str) -> str:
    """Luhn mod N check character of `payload` (prefix and digits, no hyphens)."""
    factor = 2
    total = 0
    for char in reversed(payload):
        addend = factor * ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // N + addend % N
    return ALPHABET[(N - total % N) % N]


def is_valid(payload_with_check: str) -> bool:
    """True when the last character is the Luhn mod 36 check of the rest."""
    factor = 1
    total = 0
    for char in reversed(payload_with_check):
        addend = factor * ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // N + addend % N
    return total % N == 0


def make_code(number: int, prefix: str = DEFAULT_PREFIX) -> str:
    """The printed code of crate `number`, e.g. CJ-00042-X."""
    prefix = prefix.upper()
    if not re.fullmatch(r"[A-Z]{1,4}", prefix):
        raise CrateCodeError(_l("Le préfixe doit faire 1 à 4 lettres."))
    if not 0 < number <= 99_999:
        raise CrateCodeError(_l("Le numéro de caisse doit être entre 1 et 99999."))
    digits = f"{number:05d}"
    return f"{prefix}-{digits}-{check_character(prefix + digits)}"


@dataclass(frozen=True)
class CrateCode:
    prefix: str
    number: int
    check: str

    def __str__(self) -> str:
        return f"{self.prefix}-{self.number:05d}-{self.check}"


def _strip_url(raw: str) -> str:
    """Keep what follows the last '/c/' of a scanned URL (query and fragment dropped)."""
    text = raw.strip()
    lowered = text.lower()
    marker = lowered.rfind("/c/")
    if marker >= 0:
        text = text[marker + 3:]
    return re.split(r"[?#/]", text, maxsplit=1)[0]


def _parse_bare(text: str) -> CrateCode | None:
    compact = re.sub(r"[\s\-]", "", text).upper()
    match = _BARE.match(compact)
    if not match:
        return None
    prefix, digits, check = match.groups()
    if not is_valid(prefix + digits + check):
        shown = "-".join((prefix, digits, check))
        raise CrateCodeError(_l("Code « %(code)s » : le caractère de contrôle ne correspond pas. "
                                "Vérifiez la saisie.", code=shown))
    return CrateCode(prefix, int(digits), check)


def parse(raw: str) -> CrateCode:
    """Parse a scanned URL or a typed code, any case, with or without hyphens."""
    if raw is None or not raw.strip():
        raise CrateCodeError(_l("Aucun code saisi."))
    if len(raw) > 300:
        raise CrateCodeError(_l("Saisie trop longue pour un code de caisse."))
    code = _parse_bare(_strip_url(raw))
    if code is None:
        code = _parse_bare(_strip_url(raw.translate(_AZERTY)))
    if code is None:
        raise CrateCodeError(_l("« %(typed)s » n'est pas un code de caisse (attendu : CJ-00042-X).",
                                typed=raw.strip()[:40]))
    return code


def normalise(raw: str) -> str:
    """The canonical printed form of a scanned or typed code."""
    return str(parse(raw))
