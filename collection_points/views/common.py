"""What the collection points' views share: the clock, today in Paris, the event id a form carries."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from flask import abort
from flask_babel import gettext as _

from bottles.field_time import FieldTimeError
from bottles.rules import PARIS, LedgerError
from collection_points.rules import NotYours, Refused


def now() -> datetime:
    """The server's clock (UTC): when a request records something."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Paris: rounds, opening days and visits are counted in local days."""
    return now().astimezone(PARIS).date()


def refusal_status(error: LedgerError) -> int:
    """403 for another person's or site's crate, round or point; 422 for a refused input (a field
    time too); else 409."""
    if isinstance(error, NotYours):
        return 403
    return 422 if isinstance(error, Refused | FieldTimeError) else 409


def event_id_from(raw: object) -> uuid.UUID:
    """The event id the page chose when it was shown; a form without one is refused (400)."""
    try:
        return uuid.UUID(str(raw))
    except (ValueError, TypeError, AttributeError):
        abort(400, description=_("Formulaire incomplet (identifiant d'événement manquant) : rien n'a été "
                                 "enregistré. Rechargez la page et recommencez."))
