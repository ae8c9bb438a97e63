"""What an alert says: the e-mail's subject and text, in the recipient's language, and the webhook's
JSON body (the bytes that are signed)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale, gettext, ngettext

from bottles.i18n import when
from notifications.rules import STALE_DAYS, Topic


def _at(raw: str | None) -> str:
    return when(datetime.fromisoformat(raw)) if raw else "—"


def _subject_and_lines(topic: Topic, data: dict) -> tuple[str, str]:
    if topic == Topic.CRATE_FULL:
        return (gettext("Boucle : caisse pleine à %(point)s", point=data["point"]),
                ngettext("La caisse %(crate)s a été déclarée pleine à %(point)s le %(when)s "
                         "(%(num)s bouteille).",
                         "La caisse %(crate)s a été déclarée pleine à %(point)s le %(when)s "
                         "(%(num)s bouteilles).", data.get("bottles", 0),
                         crate=data.get("crate") or "—", point=data["point"],
                         when=_at(data.get("occurred_at"))))
    if topic == Topic.PICKUP_LATE:
        return (gettext("Boucle : enlèvement en retard à %(point)s", point=data["point"]),
                ngettext("%(point)s attend un enlèvement : %(num)s caisse pleine depuis le %(when)s, "
                         "plus de %(days)s jours.",
                         "%(point)s attend un enlèvement : %(num)s caisses pleines, la plus ancienne "
                         "depuis le %(when)s, plus de %(days)s jours.", data.get("full_crates", 0),
                         point=data["point"], when=_at(data.get("oldest_full")), days=data["days"]))
    if topic == Topic.STOCK_OLD:
        return (gettext("Boucle : stock propre de plus de %(days)s jours à %(washer)s",
                        days=STALE_DAYS, washer=data["washer"]),
                ngettext("%(washer)s garde %(num)s bouteille propre lavée il y a plus de %(days)s "
                         "jours (le %(when)s) : à vendre en premier ou à relaver.",
                         "%(washer)s garde %(num)s bouteilles propres lavées il y a plus de %(days)s "
                         "jours (la plus ancienne le %(when)s) : à vendre en premier ou à relaver.",
                         data.get("bottles", 0), washer=data["washer"], days=STALE_DAYS,
                         when=_at(data.get("oldest"))))
    return (gettext("Boucle : écart d'inventaire à %(washer)s", washer=data["washer"]),
            ngettext("L'inventaire du %(when)s à %(washer)s a trouvé un écart de %(num)s bouteille "
                     "(manquante ou en surplus).",
                     "L'inventaire du %(when)s à %(washer)s a trouvé un écart de %(num)s bouteilles "
                     "(manquantes ou en surplus).", data.get("bottles", 0),
                     washer=data["washer"], when=_at(data.get("occurred_at"))))


def email(topic: Topic, data: dict, language: str, page_url: str) -> tuple[str, str]:
    """The subject and the plain text of an alert e-mail, in `language` (French by default)."""
    with force_locale(language if language in ("fr", "en") else "fr"):
        subject, text = _subject_and_lines(topic, data)
        footer = gettext("Vous recevez ce message parce que vous avez demandé cette alerte dans "
                         "Boucle. Pour la supprimer : %(url)s", url=page_url)
    return subject, f"{text}\n\n-- \n{footer}\n"


def webhook_body(delivery_id: int, topic: Topic, data: dict, created_at: datetime) -> dict:
    """The JSON a webhook receives: which delivery, which topic, when, and the facts."""
    return {"delivery_id": delivery_id, "topic": topic.value, "created_at": created_at.isoformat(),
            "data": data}
