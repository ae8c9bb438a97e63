"""`flask bottles demo` and `demo-accounts`: a realistic, consistent database, and every role can sign in."""

from __future__ import annotations

from sqlalchemy import func, select

from bottles import demo
from bottles.check import check_ledger
from bottles.demo.catalogue import ACCOUNTS
from bottles.demo.history import history
from bottles.models import CollectionPoint, Crate, Event, Movement, Round, User
from tests.factories import login, post_form


def _flow(session, kind_from: str, kind_to: str) -> int:
    return session.scalar(select(func.coalesce(func.sum(Movement.quantity), 0)).where(
        Movement.from_stage == kind_from, Movement.to_stage == kind_to))


def test_demo_fills_an_empty_database_and_the_ledger_checks(app, session, client):
    seen = []
    demo.AFTER_DEMO.append(lambda s: seen.append(s.scalar(select(func.count()).select_from(Event))))
    try:
        result = app.test_cli_runner().invoke(args=["bottles", "demo", "--scale", "1"])
    finally:
        demo.AFTER_DEMO.pop()
    assert result.exit_code == 0, result.output
    assert "Démonstration chargée" in result.output
    events = session.scalar(select(func.count()).select_from(Event))
    assert events > 15_000 and seen == [events]  # the hook ran after the import, same transaction
    assert session.scalar(select(func.count()).select_from(CollectionPoint)) == 12
    assert set(session.scalars(select(CollectionPoint.territory).select_from(CollectionPoint))) == {
        "ECLA", "Bresse Haute Seille", "Pays des Lacs", "Porte du Jura", "Petite Montagne",
        "Région d'Orgelet"}
    collected, sold = _flow(session, "outside", "at_point"), _flow(session, "clean", "sold")
    assert 0.3 < sold / collected < 0.8
    # current state: full crates waiting for the driver, crates at points, closed rounds
    states = dict(session.execute(select(Crate.state, func.count()).group_by(Crate.state)).all())
    assert states.get("full", 0) > 0 and states.get("at_point", 0) > 0 and states.get("in_pool", 0) > 0
    assert session.scalar(select(func.count()).where(Round.closed.is_(True), Round.km > 0)) > 100
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "correction")) == 2
    check = app.test_cli_runner().invoke(args=["bottles", "check-ledger"])
    assert check.exit_code == 0 and "concordent" in check.output
    assert check_ledger(session) == []

    again = app.test_cli_runner().invoke(args=["bottles", "demo"])
    assert again.exit_code != 0 and "n'est pas vide" in again.output
    quiet = app.test_cli_runner().invoke(args=["bottles", "demo", "--if-empty"])
    assert quiet.exit_code == 0 and "déjà des données" in quiet.output
    assert session.scalar(select(func.count()).select_from(Event)) == events

    accounts = app.test_cli_runner().invoke(args=["bottles", "demo-accounts"])
    assert accounts.exit_code == 0
    roles = set()
    for username, _display, role, password, _points, _washers in ACCOUNTS:
        assert username in accounts.output and password in accounts.output
        user = session.scalar(select(User).where(User.username == username))
        response = login(client, user, password=password)
        assert response.status_code == 302, username
        home = client.get("/")
        assert home.status_code == 200 and "Bonjour" in home.get_data(as_text=True)
        post_form(client, "/logout", {}, page_url="/")
        roles.add(role)
    assert roles == {"point", "driver", "washer", "winemaker", "coordinator", "admin"}


def test_demo_accounts_says_when_there_are_none(app):
    result = app.test_cli_runner().invoke(args=["bottles", "demo-accounts"])
    assert result.exit_code == 0 and "Aucun compte" in result.output


def test_demo_refuses_a_database_with_data(app, factory):
    factory.point()
    factory.session.commit()
    result = app.test_cli_runner().invoke(args=["bottles", "demo"])
    assert result.exit_code == 1 and "n'est pas vide" in result.output
    assert factory.session.scalar(select(func.count()).select_from(Event)) == 0


def test_history_is_deterministic_and_scales():
    one, crates = history(1)
    assert history(1)[0][:50] == one[:50]
    events = len({row["event_id"] for row in one})
    two = history(2)[0]
    assert 1.7 < len({row["event_id"] for row in two}) / events < 2.3
    assert len(crates) < 99_999
    refusals = [r for r in one if r.get("reason") == "REF-ETIQUETTE"]
    assert refusals and all(r.get("winemaker") for r in refusals)
    assert any(r.get("reason") == "REF-CREMANT" and r["bottle_model"] == "CREM75" for r in one)
