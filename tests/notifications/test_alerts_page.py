"""The "Mes alertes" page: one's own alerts only; every bad input is a French 4xx writing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from notifications.models import Subscription
from tests.factories import csrf_from, login, post_form


def _count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Subscription))


@pytest.fixture
def people(factory, session):
    point = factory.point()
    users = {role: factory.user(role) for role in ("driver", "coordinator", "point", "washer")}
    users["driver2"] = factory.user("driver")
    session.commit()
    return users, point


def test_driver_and_coordinator_see_the_page_point_and_washer_staff_do_not(client, people):
    users, _point = people
    for role, status in (("driver", 200), ("coordinator", 200), ("point", 403), ("washer", 403)):
        login(client, users[role])
        response = client.get("/alertes/")
        assert response.status_code == status, role
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})


def test_an_email_alert_is_kept_and_listed(client, session, people):
    users, point = people
    login(client, users["driver"])
    response = post_form(client, "/alertes/", {"topic": "pickup_late", "channel": "email",
                                               "target": "paul@example.org", "point_id": str(point.id),
                                               "threshold_days": "5"})
    assert response.status_code == 302
    row = session.scalar(select(Subscription))
    assert (row.user_id, row.topic, row.channel, row.target, row.collection_point_id,
            row.threshold_days, row.secret) == (users["driver"].id, "pickup_late", "email",
                                                "paul@example.org", point.id, 5, "")
    page = client.get("/alertes/").get_data(as_text=True)
    assert "paul@example.org" in page and "Alerte enregistrée" in page and "5 jours" in page


def test_a_webhook_secret_is_shown_once(client, session, webhook, people):
    users, _point = people
    login(client, users["coordinator"])
    response = post_form(client, "/alertes/", {"topic": "stock_old", "channel": "webhook",
                                               "target": webhook.url})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = session.scalar(select(Subscription.secret))
    assert len(secret) == 64 and secret in response.get_data(as_text=True)
    assert secret not in client.get("/alertes/").get_data(as_text=True)


BAD = [
    ({"topic": "crate_full", "channel": "email", "target": "pas-une-adresse"},
     "n'est pas une adresse e-mail valable"),
    ({"topic": "crate_full", "channel": "email", "target": ""}, "Donnez l'adresse e-mail"),
    ({"topic": "crate_full", "channel": "webhook", "target": "http://exemple.org/hook"},
     "https://"),
    ({"topic": "crate_full", "channel": "webhook", "target": "ftp://exemple.org/hook"}, "https://"),
    ({"topic": "crate_full", "channel": "webhook", "target": "https://user:pw@exemple.org/"},
     "illisible"),
    ({"topic": "pickup_late", "channel": "email", "target": "a@example.org", "threshold_days": "-2"},
     "entre 1 et 365"),
    ({"topic": "pickup_late", "channel": "email", "target": "a@example.org", "threshold_days": "0"},
     "entre 1 et 365"),
    ({"topic": "pickup_late", "channel": "email", "target": "a@example.org",
      "threshold_days": "99999999999"}, "entre 1 et 365"),
    ({"topic": "pickup_late", "channel": "email", "target": "a@example.org", "threshold_days": "٣"},
     "entre 1 et 365"),
    ({"topic": "pickup_late", "channel": "email", "target": "a@example.org", "point_id": "999999"},
     "point de collecte dans la liste"),
    ({"topic": "stock_old", "channel": "email", "target": "a@example.org"},
     "pas proposée à votre rôle"),
    ({"topic": "tout", "channel": "email", "target": "a@example.org"}, "sujet de l'alerte"),
    ({"topic": "crate_full", "channel": "pigeon", "target": "a@example.org"}, "e-mail ou webhook"),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_input_is_refused_in_french_and_writes_nothing(client, session, people, data, message):
    users, _point = people
    login(client, users["driver"])  # a driver: the washer's topics are not theirs
    response = post_form(client, "/alertes/", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Rien n'a été enregistré" in page and message in page.replace("&#39;", "'")
    assert _count(session) == 0


def test_http_to_this_machine_is_refused_in_production(client, session, people, monkeypatch):
    users, _point = people
    login(client, users["coordinator"])
    monkeypatch.setenv("BOUCLE_ENV", "production")
    response = post_form(client, "/alertes/", {"topic": "crate_full", "channel": "webhook",
                                               "target": "http://127.0.0.1:8080/hook"})
    assert response.status_code == 422 and "https://" in response.get_data(as_text=True)
    assert _count(session) == 0


@pytest.mark.parametrize("target", ["https://10.0.0.5/hook", "https://169.254.169.254/latest/",
                                    "https://[::1]/hook", "https://192.168.1.20:8443/hook"])
def test_a_webhook_into_the_internal_network_is_refused_in_production(client, session, people,
                                                                      monkeypatch, target):
    """The server must not be made to POST to its own network (cloud metadata, an admin page)."""
    users, _point = people
    login(client, users["coordinator"])
    monkeypatch.setenv("BOUCLE_ENV", "production")
    response = post_form(client, "/alertes/", {"topic": "crate_full", "channel": "webhook",
                                               "target": target})
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422 and "pas le réseau interne" in page
    assert _count(session) == 0


def test_missing_csrf_is_refused(client, session, people):
    users, _point = people
    login(client, users["driver"])
    response = client.post("/alertes/", data={"topic": "crate_full", "channel": "email",
                                              "target": "a@example.org"})
    assert response.status_code == 400 and "jeton de sécurité" in response.get_data(as_text=True)
    assert _count(session) == 0


def test_only_ones_own_alert_is_removed(client, session, people):
    users, _point = people
    login(client, users["driver"])
    post_form(client, "/alertes/", {"topic": "crate_full", "channel": "email", "target": "a@example.org"})
    mine = session.scalar(select(Subscription.id))
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    login(client, users["driver2"])
    response = post_form(client, f"/alertes/{mine}/supprimer", {}, page_url="/alertes/")
    assert response.status_code == 404 and "introuvable" in response.get_data(as_text=True)
    assert "a@example.org" not in client.get("/alertes/").get_data(as_text=True)
    session.expire_all()
    assert session.get(Subscription, mine).active
    response = post_form(client, "/alertes/99999999999/supprimer", {}, page_url="/alertes/")
    assert response.status_code == 404
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    login(client, users["driver"])
    response = post_form(client, f"/alertes/{mine}/supprimer", {}, page_url="/alertes/")
    assert response.status_code == 302
    session.expire_all()
    assert not session.get(Subscription, mine).active
    assert post_form(client, f"/alertes/{mine}/supprimer", {}, page_url="/alertes/").status_code == 404
