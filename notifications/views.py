"""The "Mes alertes" page: a person's own subscriptions, a new one, removal, the delivery log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from bottles.auth import role_required
from bottles.db import db
from bottles.models import CollectionPoint, utcnow
from bottles.production import is_production
from bottles.retry import retried
from notifications import operations, queries
from notifications.forms import SubscriptionFormError, parse_subscription
from notifications.models import Subscription
from notifications.rules import (
    CHANNEL_LABELS,
    DEFAULT_LATE_DAYS,
    ERROR_LABELS,
    MAX_LATE_DAYS,
    POINT_TOPICS,
    ROLES,
    STATUS_LABELS,
    TOPIC_LABELS,
    Channel,
    Topic,
    topics_for,
)

bp = Blueprint("notifications", __name__, url_prefix="/alertes", template_folder="templates")


def _points() -> list[CollectionPoint]:
    return list(db.session.scalars(select(CollectionPoint).where(CollectionPoint.active.is_(True))
                                   .order_by(CollectionPoint.name)))


def _page(values: dict, errors: dict, created: Subscription | None = None, status: int = 200):
    """The page; a new webhook's secret is on it once, so it is never cached."""
    user = current_user._get_current_object()
    response = make_response(render_template(
        "notifications/index.html", subscriptions=queries.subscriptions_of(db.session, user.id),
        deliveries=queries.deliveries_of(db.session, user.id), topics=topics_for(user.role),
        points=_points(), values=values, errors=errors, created=created,
        topic_labels=TOPIC_LABELS, channel_labels=CHANNEL_LABELS, status_labels=STATUS_LABELS,
        error_labels=ERROR_LABELS,
        point_topics=POINT_TOPICS, Topic=Topic, Channel=Channel, default_days=DEFAULT_LATE_DAYS,
        max_days=MAX_LATE_DAYS), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@role_required(*ROLES)
def index():
    return _page({}, {})


@bp.post("/")
@role_required(*ROLES)
@retried
def create():
    """A new alert for the person; an e-mail one goes back to the page, a webhook's shows its secret."""
    user = current_user._get_current_object()
    try:
        form = parse_subscription(request.form, user.role, is_production(),
                                  {p.id for p in _points()})
    except SubscriptionFormError as error:
        db.session.rollback()
        return _page(request.form.to_dict(), {k: str(v) for k, v in error.errors.items()}, status=422)
    row = operations.create_subscription(
        db.session, user=user, topic=form.topic, channel=form.channel, target=form.target,
        threshold_days=form.threshold_days, point_id=form.point_id, now=utcnow())
    db.session.commit()
    if form.channel == Channel.WEBHOOK:
        return _page({}, {}, created=row)
    flash(_("Alerte enregistrée : %(topic)s, par e-mail à %(target)s.",
            topic=TOPIC_LABELS[form.topic], target=form.target), "success")
    return redirect(url_for("notifications.index"))


@bp.post("/<int:subscription_id>/supprimer")
@role_required(*ROLES)
@retried
def remove(subscription_id: int):
    """Only one's own alert: another person's, or a removed one, is not found."""
    row = db.session.get(Subscription, subscription_id)
    if row is None or row.user_id != current_user.id or not row.active:
        abort(404, description=_("Alerte introuvable parmi les vôtres : rien n'a été supprimé."))
    operations.remove_subscription(db.session, row, utcnow())
    db.session.commit()
    flash(_("Alerte supprimée : plus rien ne sera envoyé pour elle."), "success")
    return redirect(url_for("notifications.index"))
