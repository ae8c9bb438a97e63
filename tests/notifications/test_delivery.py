"""Alerts go out after the commit, by `flask bottles notify`: e-mail to a local SMTP server, signed
webhooks retried with backoff, never twice for one event or one condition of one day."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bottles.models import utcnow
from bottles.rules import Kind, Move, Stage
from bottles.signals import RecordedEvent, event_committed
from notifications import dispatch, operations
from notifications.models import Delivery, Subscription
from notifications.rules import Channel, Topic


@pytest.fixture
def site(factory, session):
    """A point, a washer, a driver and a coordinator."""
    point = factory.point(name="Cave de la Tour")
    washer = factory.washer()
    driver = factory.user("driver")
    coordinator = factory.user("coordinator")
    session.commit()
    return point, washer, driver, coordinator


def _subscribe(session, user, topic: Topic, channel: Channel, target: str, **extra) -> Subscription:
    row = operations.create_subscription(session, user=user, topic=topic, channel=channel,
                                         target=target, threshold_days=extra.get("days"),
                                         point_id=extra.get("point_id"), now=utcnow())
    session.commit()
    return row


def _deliveries(session) -> list[Delivery]:
    """The queue as committed (the test's session ends its transaction to read a fresh snapshot)."""
    session.commit()
    return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def _declare_full(factory, session, point, bottles: int = 42, event_id: uuid.UUID | None = None):
    crate = factory.crate(at=utcnow() - timedelta(hours=3))
    factory.event(Kind.CRATE_PLACED, at=utcnow() - timedelta(hours=2), crate=crate, point=point.id)
    event = factory.event(Kind.CRATE_FULL, at=utcnow() - timedelta(minutes=5), crate=crate,
                          point=point.id, moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, bottles)],
                          event_id=event_id)
    return crate, event


def test_crate_full_is_mailed_in_french_once(app, session, factory, site, smtp_sink):
    point, _washer, driver, _coordinator = site
    _subscribe(session, driver, Topic.CRATE_FULL, Channel.EMAIL, "paul@example.org")
    crate, event = _declare_full(factory, session, point)
    assert session.scalars(select(Delivery)).all() == []  # inside the transaction: nothing queued yet
    session.commit()
    [queued] = _deliveries(session)
    assert (queued.status, queued.dedup_key) == ("pending", f"crate_full:{event.id}")
    first = dispatch.run()
    second = dispatch.run()
    assert (first.sent, second.sent) == (1, 0)
    [mail] = smtp_sink.messages
    assert mail["To"] == "paul@example.org" and mail["From"] == "alertes@boucle.test"
    assert mail["Subject"] == "Boucle : caisse pleine à Cave de la Tour"
    text = mail.get_content()
    assert f"La caisse {crate.code} a été déclarée pleine à Cave de la Tour le " in text
    assert "(42 bouteilles)" in text and "https://boucle.test/alertes" in text
    [sent] = _deliveries(session)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, "") and sent.sent_at


def test_an_english_speaker_gets_it_in_english(app, session, factory, site, smtp_sink):
    point, _washer, driver, _coordinator = site
    driver.language = "en"
    _subscribe(session, driver, Topic.CRATE_FULL, Channel.EMAIL, "paul@example.org")
    _declare_full(factory, session, point)
    session.commit()
    dispatch.run()
    [mail] = smtp_sink.messages
    assert mail["Subject"] == "Boucle: crate full at Cave de la Tour"


def test_the_same_event_announced_twice_is_queued_once(app, session, factory, site):
    point, _washer, driver, _coordinator = site
    _subscribe(session, driver, Topic.CRATE_FULL, Channel.EMAIL, "paul@example.org")
    _crate, event = _declare_full(factory, session, point)
    session.commit()
    summary = RecordedEvent.of(event)
    event_committed.send(Kind.CRATE_FULL, event=summary)
    event_committed.send(Kind.CRATE_FULL, event=summary)
    assert len(_deliveries(session)) == 1


def test_a_rolled_back_event_queues_nothing(app, session, factory, site):
    point, _washer, driver, _coordinator = site
    _subscribe(session, driver, Topic.CRATE_FULL, Channel.EMAIL, "paul@example.org")
    _declare_full(factory, session, point)
    session.rollback()
    session.commit()
    assert _deliveries(session) == []


def test_a_past_event_imported_now_alerts_nobody(app, session, factory, site):
    point, _washer, driver, _coordinator = site
    _subscribe(session, driver, Topic.CRATE_FULL, Channel.EMAIL, "paul@example.org")
    factory.full_crate_at(point, at=utcnow() - timedelta(days=30))
    session.commit()
    assert _deliveries(session) == []


def test_a_subscription_to_another_point_is_not_told(app, session, factory, site):
    point, _washer, driver, _coordinator = site
    other = factory.point(name="Bar du Marché")
    _subscribe(session, driver, Topic.CRATE_FULL, Channel.EMAIL, "paul@example.org", point_id=other.id)
    _declare_full(factory, session, point)
    session.commit()
    assert _deliveries(session) == []


def _verify(secret: str, headers: dict, body: bytes) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-boucle-signature"])


def test_stocktake_gap_webhook_is_signed(app, session, factory, site, webhook):
    _point, washer, _driver, coordinator = site
    sub = _subscribe(session, coordinator, Topic.STOCKTAKE_GAP, Channel.WEBHOOK, webhook.url)
    reason = factory.reason("count_over", kind="surplus")
    model = factory.model()
    event = factory.event(Kind.STOCKTAKE, at=utcnow() - timedelta(minutes=1), washer=washer.id,
                          moves=[Move(Stage.OUTSIDE, Stage.SORTED, 17, model_id=model.id,
                                      reason_id=reason.id)])
    session.commit()
    assert dispatch.run().sent == 1
    [(headers, body)] = webhook.received
    assert _verify(sub.secret, headers, body) and not _verify("wrong", headers, body)
    [delivery] = _deliveries(session)
    assert headers["x-boucle-delivery"] == str(delivery.id)
    assert headers["content-type"].startswith("application/json")
    payload = json.loads(body)
    assert payload["topic"] == "stocktake_gap" and payload["delivery_id"] == delivery.id
    assert payload["data"]["washer"] == washer.name and payload["data"]["bottles"] == 17
    assert payload["data"]["event_id"] == str(event.id)


def test_a_failing_webhook_is_retried_with_backoff_then_sent(app, session, factory, site, webhook):
    point, _washer, driver, _coordinator = site
    _subscribe(session, driver, Topic.CRATE_FULL, Channel.WEBHOOK, webhook.url)
    _declare_full(factory, session, point)
    session.commit()
    webhook.statuses = [500, 503]
    t0 = utcnow()
    assert dispatch.run(t0).retried == 1
    [d] = _deliveries(session)
    assert (d.status, d.attempts, d.last_error) == ("pending", 1, "HTTP 500")
    assert d.next_attempt_at == t0 + timedelta(minutes=1)
    assert dispatch.run(t0 + timedelta(seconds=30)).retried == 0  # not due yet: nothing sent
    assert len(webhook.received) == 1
    assert dispatch.run(t0 + timedelta(minutes=1)).retried == 1
    [d] = _deliveries(session)
    assert (d.attempts, d.last_error) == (2, "HTTP 503")
    assert d.next_attempt_at == t0 + timedelta(minutes=1) + timedelta(minutes=5)
    assert dispatch.run(t0 + timedelta(minutes=6)).sent == 1
    assert dispatch.run(t0 + timedelta(hours=5)).sent == 0
    [d] = _deliveries(session)
    assert (d.status, d.attempts, d.last_error) == ("sent", 3, "")
    assert len(webhook.received) == 3
    assert len({headers["x-boucle-delivery"] for headers, _body in webhook.received}) == 1


def test_after_five_failures_a_delivery_fails_for_good(app, session, factory, site, webhook):
    point, _washer, driver, _coordinator = site
    _subscribe(session, driver, Topic.CRATE_FULL, Channel.WEBHOOK, webhook.url)
    _declare_full(factory, session, point)
    session.commit()
    webhook.statuses = [500] * 10
    at = utcnow()
    for delay in (timedelta(0), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                  timedelta(hours=2)):
        at += delay
        dispatch.run(at)
    [d] = _deliveries(session)
    assert (d.status, d.attempts) == ("failed", 5)
    assert dispatch.run(at + timedelta(days=1)).sent == 0 and len(webhook.received) == 5


def test_an_unreachable_smtp_server_is_retried(app, session, factory, site):
    point, _washer, driver, _coordinator = site
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9)  # nothing listens on discard
    _subscribe(session, driver, Topic.CRATE_FULL, Channel.EMAIL, "paul@example.org")
    _declare_full(factory, session, point)
    session.commit()
    assert dispatch.run().retried == 1
    [d] = _deliveries(session)
    assert d.status == "pending" and d.last_error.startswith("SMTP")


def test_a_delivery_claimed_by_a_dead_sender_is_not_sent_again(app, session, factory, site, webhook):
    point, _washer, driver, _coordinator = site
    _subscribe(session, driver, Topic.CRATE_FULL, Channel.WEBHOOK, webhook.url)
    _declare_full(factory, session, point)
    session.commit()
    [d] = _deliveries(session)
    t0 = utcnow()
    assert operations.claim(session, d.id, t0)
    session.commit()
    assert not operations.claim(session, d.id, t0)  # a second sender finds it taken
    session.commit()
    dispatch.run(t0 + timedelta(minutes=20))
    [d] = _deliveries(session)
    assert (d.status, d.last_error) == ("failed", "interrupted") and webhook.received == []


def _full_since(factory, point, days: float):
    return factory.full_crate_at(point, at=utcnow() - timedelta(days=days + 1))


def test_a_late_pickup_is_told_once_a_day_by_threshold_and_point(app, session, factory, site,
                                                                 smtp_sink):
    point, _washer, driver, coordinator = site
    quiet = factory.point(name="Bar du Marché")
    _full_since(factory, point, 5)
    _full_since(factory, quiet, 0.5)
    session.commit()
    _subscribe(session, driver, Topic.PICKUP_LATE, Channel.EMAIL, "paul@example.org", days=3)
    _subscribe(session, coordinator, Topic.PICKUP_LATE, Channel.EMAIL, "coord@example.org", days=7)
    _subscribe(session, coordinator, Topic.PICKUP_LATE, Channel.EMAIL, "bar@example.org", days=1,
               point_id=quiet.id)
    first = dispatch.run()
    assert (first.queued, first.sent) == (1, 1)
    assert dispatch.run().queued == 0  # the same condition on the same day: not again
    [mail] = smtp_sink.messages
    assert mail["To"] == "paul@example.org"
    assert mail["Subject"] == "Boucle : enlèvement en retard à Cave de la Tour"
    assert "plus de 3 jours" in mail.get_content()
    tomorrow = dispatch.run(utcnow() + timedelta(days=1))
    assert tomorrow.queued == 2  # a day on: still late for the driver, now late at the bar too


def test_clean_stock_older_than_30_days_is_told(app, session, factory, site, webhook):
    _point, washer, _driver, coordinator = site
    sub = _subscribe(session, coordinator, Topic.STOCK_OLD, Channel.WEBHOOK, webhook.url)
    model = factory.model()
    reason = factory.reason("count_over", kind="surplus")
    old = utcnow() - timedelta(days=40)
    factory.event(Kind.STOCKTAKE, at=old - timedelta(days=1), washer=washer.id,
                  moves=[Move(Stage.OUTSIDE, Stage.SORTED, 500, model_id=model.id, reason_id=reason.id)])
    factory.event(Kind.WASH, at=old, washer=washer.id,
                  moves=[Move(Stage.SORTED, Stage.CLEAN, 300, model_id=model.id)])
    factory.event(Kind.WASH, at=utcnow() - timedelta(days=2), washer=washer.id,
                  moves=[Move(Stage.SORTED, Stage.CLEAN, 200, model_id=model.id)])
    session.commit()
    assert _deliveries(session) == []  # past events imported: not an event alert
    outcome = dispatch.run()
    assert (outcome.queued, outcome.sent) == (1, 1)
    assert dispatch.run().queued == 0
    [(headers, body)] = webhook.received
    assert _verify(sub.secret, headers, body)
    data = json.loads(body)["data"]
    assert data["bottles"] == 300 and data["washer"] == washer.name
    assert datetime.fromisoformat(data["oldest"]) == old.astimezone(UTC)


def test_a_removed_alert_sends_nothing_more(app, session, factory, site, webhook):
    point, _washer, driver, _coordinator = site
    sub = _subscribe(session, driver, Topic.CRATE_FULL, Channel.WEBHOOK, webhook.url)
    _declare_full(factory, session, point)
    session.commit()
    operations.remove_subscription(session, session.get(Subscription, sub.id), utcnow())
    session.commit()
    assert dispatch.run().sent == 0 and webhook.received == []
    [d] = _deliveries(session)
    assert (d.status, d.last_error) == ("failed", "removed")
    _declare_full(factory, session, point)
    session.commit()
    assert len(_deliveries(session)) == 1


def test_the_notify_command(app, session, factory, site, smtp_sink):
    point, _washer, driver, _coordinator = site
    _subscribe(session, driver, Topic.CRATE_FULL, Channel.EMAIL, "paul@example.org")
    _declare_full(factory, session, point)
    session.commit()
    result = app.test_cli_runner().invoke(args=["bottles", "notify"])
    assert result.exit_code == 0, result.output
    assert "1 envoyées" in result.output and len(smtp_sink.messages) == 1


def test_a_point_name_with_a_line_break_stays_one_subject_line(app, session, factory, site, smtp_sink):
    point, _washer, driver, _coordinator = site
    point.name = "Cave\r\nBcc: intrus@example.org"
    _subscribe(session, driver, Topic.CRATE_FULL, Channel.EMAIL, "paul@example.org")
    _declare_full(factory, session, point)
    session.commit()
    assert dispatch.run().sent == 1
    [mail] = smtp_sink.messages
    assert mail["Subject"] == "Boucle : caisse pleine à Cave Bcc: intrus@example.org"
    assert mail["Bcc"] is None


def test_a_name_that_resolves_inward_is_not_posted_to(webhook):
    """Checked at each send: 'localhost' (a name, not an address) resolves to the loopback."""
    from notifications.sending import post_webhook

    url = webhook.url.replace("127.0.0.1", "localhost")
    reason = post_webhook(url, "secret", 1, "crate_full", b"{}", allow_internal=False)
    assert reason is not None and reason.startswith("internal address refused")
    assert webhook.received == []
    assert post_webhook(url, "secret", 2, "crate_full", b"{}", allow_internal=True) is None
