"""Plain explanations (French, or English with the switch): where a crate is, whom to call."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from bottles.i18n import when
from bottles.models import Crate, Event, Setting
from bottles.rules import CRATE_STATE_LABELS, KIND_LABELS, CrateState


def coordination_contact(session: Session) -> str:
    phone = session.get(Setting, "coordination_phone")
    if phone is not None and phone.value.strip():
        return _("la coordination de la filière (%(phone)s)", phone=phone.value.strip())
    return _("la coordination de la filière")


def whom_to_call(session: Session, crate: Crate) -> str:
    """The person who can sort the crate out: its point's contact, its washer, or coordination."""
    site = crate.collection_point if crate.state in (CrateState.AT_POINT, CrateState.FULL) else None
    site = site or (crate.washer if crate.state == CrateState.IN_POOL else None)
    if site is not None and (site.contact or site.phone):
        phone = site.phone.replace(" ", "\u00a0")  # a phone number never breaks across lines
        who = " ".join(part for part in (site.contact, f"({phone})" if phone else "") if part)
        return _("%(site)s : %(who)s", site=site.name, who=who)
    return coordination_contact(session)


def where_is(session: Session, crate: Crate) -> str:
    """'La caisse CJ-… est pleine, enlèvement demandé — Cave X, depuis le … (par …).'"""
    state = _(CRATE_STATE_LABELS.get(CrateState(crate.state), crate.state)) if crate.state \
        else _("non enregistrée")
    place = ""
    on_the_road = (CrateState.AT_POINT, CrateState.FULL, CrateState.IN_TRANSIT)
    if crate.state in on_the_road and crate.collection_point:
        place = (_(" — enlevée à %(point)s", point=crate.collection_point.name)
                 if crate.state == CrateState.IN_TRANSIT else f" — {crate.collection_point.name}")
    elif crate.washer is not None:
        place = f" — {crate.washer.name}"
    since = _(", depuis le %(date)s", date=when(crate.state_since)) if crate.state_since else ""
    last = session.get(Event, crate.last_event_seq) if crate.last_event_seq else None
    by = ""
    if last is not None and last.actor is not None:
        who = last.actor.display_name or last.actor.username
        by = _(" (%(what)s par %(who)s)", what=_(KIND_LABELS.get(last.kind, last.kind)), who=who)
    return _("La caisse %(code)s est %(state)s%(place)s%(since)s%(by)s.", code=crate.code, state=state,
             place=place, since=since, by=by)


def refusal(session: Session, crate: Crate, why: str | LazyString) -> str:
    """A refusal that always says where the crate is, since when, and whom to call."""
    return _("%(why)s %(where)s En cas de doute, appelez %(whom)s.", why=why, where=where_is(session, crate),
             whom=whom_to_call(session, crate))
