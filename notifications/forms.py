"""Reading the "new alert" form: each refusal kept beside its field, in French."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from bottles.numbers import parse_id
from notifications.rules import (
    POINT_TOPICS,
    Channel,
    SubscriptionError,
    Topic,
    parse_email,
    parse_threshold,
    parse_webhook_url,
    topics_for,
)


@dataclass(frozen=True)
class SubscriptionForm:
    topic: Topic
    channel: Channel
    target: str
    point_id: int | None
    threshold_days: int | None


class SubscriptionFormError(ValueError):
    """Every refused field of one submission: {field: French message}."""

    def __init__(self, errors: dict[str, object]) -> None:
        super().__init__("; ".join(str(m) for m in errors.values()))
        self.errors = errors


def _topic(raw: str, role: str) -> Topic:
    try:
        topic = Topic(raw)
    except ValueError:
        raise SubscriptionError(_l("Choisissez le sujet de l'alerte dans la liste."), "topic") from None
    if topic not in topics_for(role):
        raise SubscriptionError(_l("Cette alerte n'est pas proposée à votre rôle."), "topic")
    return topic


def _channel(raw: str) -> Channel:
    try:
        return Channel(raw)
    except ValueError:
        raise SubscriptionError(_l("Choisissez e-mail ou webhook."), "channel") from None


def _point(raw: str, known: set[int]) -> int | None:
    """0 or empty: every point; else one of the points listed."""
    text = (raw or "").strip()
    if text in ("", "0"):
        return None
    point_id = parse_id(text)
    if point_id is None or point_id not in known:
        raise SubscriptionError(_l("Choisissez le point de collecte dans la liste."), "point_id")
    return point_id


def parse_subscription(form: MultiDict, role: str, production: bool,
                       points: set[int]) -> SubscriptionForm:
    """The alert asked for, or SubscriptionFormError naming each field refused."""
    errors: dict[str, object] = {}
    values: dict[str, object] = {}
    for name, read in (("topic", lambda: _topic(form.get("topic", ""), role)),
                       ("channel", lambda: _channel(form.get("channel", "")))):
        try:
            values[name] = read()
        except SubscriptionError as error:
            errors[error.field] = error.message
    channel, topic = values.get("channel"), values.get("topic")
    try:
        if channel == Channel.WEBHOOK:
            values["target"] = parse_webhook_url(form.get("target", ""), production)
        elif channel == Channel.EMAIL:
            values["target"] = parse_email(form.get("target", ""))
    except SubscriptionError as error:
        errors[error.field] = error.message
    values["point_id"] = values["threshold_days"] = None
    if topic in POINT_TOPICS:
        try:
            values["point_id"] = _point(form.get("point_id", ""), points)
        except SubscriptionError as error:
            errors[error.field] = error.message
    if topic == Topic.PICKUP_LATE:
        try:
            values["threshold_days"] = parse_threshold(form.get("threshold_days"))
        except SubscriptionError as error:
            errors[error.field] = error.message
    if errors:
        raise SubscriptionFormError(errors)
    return SubscriptionForm(**values)  # type: ignore[arg-type]
