"""The scan station's and the phone's queue's texts, in the person's language, for their scripts.

The stations (bottles/static/scan.js) and the queue (bottles/static/queue.js) send each line as one
event of the JSON API (POST /api/v1/events, api/writes.py); what they show comes from here.
"""

from __future__ import annotations

from flask_babel import get_locale, get_translations
from flask_babel import gettext as _


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
        # a receipt's line: the bottles counted at the dock against those declared when the crate was
        # declared full, from the API's answer (its movements), e.g. "… 42 bouteilles comptées sur 44
        # annoncées, 2 manquantes."
        "receipt_counted": plural_pair("Réceptionnée : %(num)s bouteille comptée",
                                       "Réceptionnée : %(num)s bouteilles comptées"),
        "receipt_declared": plural_pair(" sur %(num)s annoncée", " sur %(num)s annoncées"),
        "receipt_missing": plural_pair(", %(num)s manquante", ", %(num)s manquantes"),
        "receipt_surplus": plural_pair(", %(num)s en plus", ", %(num)s en plus"),
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
