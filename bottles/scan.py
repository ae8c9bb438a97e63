"""The scan station's batch, server side: the one reading of the JSON body that bottles/static/scan.js sends.

Both scan endpoints (a driver's pickups and drops, the washer's receipt) read it here, then apply
their own operation to each line. The body's shape is the contract at the top of scan.js.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from bottles import codes
from bottles.field_time import field_time_for
from bottles.ledger import held, lock_batch
from bottles.models import Crate, User
from bottles.rules import Kind

MAX_BATCH = 200
MAX_BODY_BYTES = 128 * 1024  # 200 lines of a long URL, an event id and a count: ~40 kB
SHOWN_CODE_LENGTH = 80  # an unreadable code is sent back cut to this length


class ScanBatchError(ValueError):
    """The body is not a list the station could have sent: nothing is recorded (answer 400)."""


@dataclass(frozen=True)
class ScanItem:
    """One scanned line: its code, its event id and the count typed beside it, as read."""

    code: str  # the canonical code, or the text as scanned (cut) when it is not a crate code
    event_id: uuid.UUID | None  # None when missing or unreadable
    count: object  # as sent, None when absent or blank; each station reads it by its own rules
    error: str | None = None  # why the code is not a crate code; the line is refused, the others go on
    occurred_at: object = None  # the field time as sent (the phone's clock when scanned); see field_time_of


@dataclass(frozen=True)
class ScanBatch:
    """The scanned lines, in order, and the page's extra fields (the macro's caller block)."""

    items: list[ScanItem]
    fields: dict[str, object]


def parse_batch(body: object, max_items: int = MAX_BATCH) -> ScanBatch:
    """Read `{"items": [{"code", "event_id", "occurred_at", "count"}, …], "fields": {…}}`; a malformed
    body raises."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ScanBatchError(_l("Liste de caisses illisible : rien n'a été enregistré."))
    items, fields = body["items"], body.get("fields") or {}
    if not items or len(items) > max_items or not isinstance(fields, dict):
        raise ScanBatchError(_l("Envoyez entre 1 et %(n)s caisses à la fois.", n=max_items))
    if not all(isinstance(item, dict) for item in items):
        raise ScanBatchError(_l("Liste de caisses illisible : rien n'a été enregistré."))
    return ScanBatch([parse_item(item) for item in items], fields)


def parse_item(item: dict) -> ScanItem:
    """One line of the list; an unreadable code or event id refuses this line only."""
    raw_code = str(item.get("code") or "")
    count = item.get("count")
    if isinstance(count, str) and not count.strip():
        count = None
    try:
        code = codes.normalise(raw_code)
    except codes.CrateCodeError as error:
        return ScanItem(raw_code[:SHOWN_CODE_LENGTH], None, count, str(error))
    try:
        event_id = uuid.UUID(str(item.get("event_id")))
    except ValueError:
        event_id = None
    return ScanItem(code, event_id, count, occurred_at=item.get("occurred_at"))


def field_time_of(session: Session, item: ScanItem, person: User | None, now: datetime) -> datetime | None:
    """The line's field time, checked (bottles.field_time); None: dated by the server (none sent,
    or a resend of a recorded line). Raises FieldTimeError, which refuses this line only."""
    return field_time_for(session, item.event_id, item.occurred_at, person, now)


def crates_scanned(session: Session, items: list[ScanItem]) -> dict[str, Crate]:
    """The crates the readable codes name, by code (an unknown code is simply absent)."""
    wanted = [item.code for item in items if item.error is None]
    if not wanted:
        return {}
    return {crate.code: crate for crate in session.scalars(select(Crate).where(Crate.code.in_(wanted)))}


def crates_locked(session: Session, items: list[ScanItem], kind: Kind,
                  washer_id: int | None = None) -> dict[str, Crate]:
    """The crates scanned, locked with the stocks a batch of `kind` touches before its first line
    (bottles.ledger.lock_batch): a batch never holds a stock row while it waits for a crate.

    The crates are found and locked by one statement, by id (the ledger's order), and read under
    their locks once for the whole transaction (bottles.ledger.held)."""
    wanted = [item.code for item in items if item.error is None]
    if not wanted:
        return {}
    crates = session.scalars(select(Crate).where(Crate.code.in_(wanted)).order_by(Crate.id)
                             .with_for_update(of=Crate).options(lazyload("*"))
                             .execution_options(populate_existing=True)).all()
    held(session).crates.update(crate.id for crate in crates)
    lock_batch(session, kind, crates, washer_id)
    return {crate.code: crate for crate in crates}


@dataclass(frozen=True)
class ScanTally:
    """How the lines of a batch ended: recorded, already recorded (a resend), refused."""

    recorded: int
    already: int
    refused: int

    @property
    def status(self) -> int:
        """200 when something is done (recorded or already), 422 when every line was refused."""
        return 422 if self.refused and not (self.recorded or self.already) else 200


def tally(statuses: Iterable[str]) -> ScanTally:
    """Count the lines' statuses ("recorded" | "already" | "refused") for the answer's summary."""
    counted = Counter(statuses)
    return ScanTally(counted["recorded"], counted["already"], sum(counted.values()) - counted["recorded"]
                     - counted["already"])


def plural_pair(singular: str, plural: str) -> list[str]:
    """Both forms of a plural message, placeholders kept, for the browser to pick by count."""
    translations = get_translations()
    return [translations.ungettext(singular, plural, 1), translations.ungettext(singular, plural, 2)]


def station_strings() -> dict[str, object]:
    """Every message scan.js shows, in the person's language, its %(name)s placeholders kept.

    The station macro renders it as a JSON block (no inline script: the CSP stays strict); the
    code-reading messages are bottles/codes.py's own, so both sides say the same thing.
    """
    return {
        "lang": str(get_locale() or "fr"),
        "no_code": _("Aucun code saisi."),
        "too_long": _("Saisie trop longue pour un code de caisse."),
        "bad_check": _("Code « %(code)s » : le caractère de contrôle ne correspond pas. Vérifiez la saisie."),
        "not_a_code": _("« %(typed)s » n'est pas un code de caisse (attendu : CJ-00042-X)."),
        "status": {"pending": _("à valider"), "recorded": _("enregistrée"),
                   "already": _("déjà enregistrée"), "refused": _("refusée"), "sending": _("envoi…")},
        "crates": plural_pair("%(num)s caisse", "%(num)s caisses"),
        "duplicate": _("Déjà scanné : %(code)s est déjà dans la liste (%(status)s)."),
        "added": _("%(code)s ajoutée (%(num)s à valider)."),
        "remove": _("Retirer %(code)s de la liste"),
        "bad_count": _("Le nombre pour %(code)s doit être un nombre entier positif."),
        "sending": _("Envoi de %(crates)s…"),
        "signed_out": _("Vous n'êtes plus connecté(e) : reconnectez-vous dans un autre onglet puis "
                        "revalidez ; la liste est gardée."),
        "unreadable": _("Réponse illisible du serveur (%(status)s)."),
        "offline": _("Pas de réseau : la liste est gardée sur ce téléphone. Réessayez « %(label)s » dès "
                     "que possible ; rien ne sera compté deux fois."),
        "recorded": plural_pair("%(num)s caisse enregistrée", "%(num)s caisses enregistrées"),
        "refused_tail": plural_pair(", %(num)s refusée : voir la liste.",
                                    ", %(num)s refusées : voir la liste."),
        "confirm_clear": plural_pair("Retirer la caisse non validée de la liste ?",
                                     "Retirer les %(num)s caisses non validées de la liste ?"),
        "camera_starting": _("Ouverture de la caméra…"),
        "camera_denied": _("Accès à la caméra refusé : autorisez-le dans les réglages du navigateur, ou "
                           "utilisez le champ de saisie."),
        "camera_missing": _("Aucune caméra trouvée sur cet appareil : utilisez le champ de saisie."),
        "camera_busy": _("La caméra est déjà utilisée par une autre application : fermez-la et réessayez, "
                         "ou utilisez le champ de saisie."),
        "camera_unavailable": _("La caméra n'est pas disponible sur cette page (il faut une adresse en "
                                "https) : utilisez le champ de saisie."),
        "decoder_failed": _("Le lecteur de QR codes n'a pas pu se charger : réessayez, ou utilisez le "
                            "champ de saisie."),
        "no_camera": _("Caméra refusée ou absente : utilisez le champ de saisie ou l'appareil photo "
                       "du téléphone."),
        "declare_full": _("Déclarer pleine"),
    }


def queue_strings() -> dict[str, object]:
    """Every message the phone's queue (bottles/static/queue.js) shows, in the person's language.

    base.html renders it as a JSON block on every page, like `station_strings` (no inline script).
    """
    return {
        "lang": str(get_locale() or "fr"),
        "waiting_badge": _("%(num)s en attente d'envoi"),
        "title": _("Envois depuis ce téléphone"),
        "waiting": _("en attente d'envoi"),
        "sending": _("envoi…"),
        "status": {"recorded": _("enregistrée"), "already": _("déjà enregistrée"), "refused": _("refusée")},
        "kind": {"full": _("Pleine"), "place": _("Posée au point"), "pickup": _("Enlevée"),
                 "drop": _("Déposée"), "receipt": _("Réceptionnée")},
        "at": _("le %(when)s"),
        "count": _("%(num)s bouteilles"),
        "dismiss": _("Retirer ce résultat de la liste"),
        "cancel": _("Annuler cet envoi"),
        "confirm_cancel": _("Annuler cet envoi en attente ? Rien ne sera enregistré pour cette caisse."),
        "declare_full": _("Déclarer pleine"),
        "count_label": _("Nombre de bouteilles"),
        "queued": _("Pas de réseau : « %(what)s » pour %(code)s est gardée sur ce téléphone et partira "
                    "dès le retour du réseau."),
        "queued_station": _("Pas de réseau : la liste est gardée en attente d'envoi sur ce téléphone ; "
                            "elle partira d'elle-même dès le retour du réseau."),
        "signed_out": _("Reconnectez-vous : les envois en attente partiront ensuite."),
        "retry_later": _("Envoi impossible pour l'instant (%(status)s) : nouvel essai au prochain "
                         "chargement de page."),
        "bad_count": _("Indiquez un nombre entier de bouteilles, au moins 1."),
        "bad_code": _("Cette adresse ne contient pas de code de caisse lisible."),
    }
