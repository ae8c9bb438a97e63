"""Moving a whole installation: the backup (flask bottles backup / restore) carries the catalogue
around the ledger — point names, phases and their parameters, people's sites — so the restored
database gives the same phase figures and the same journal; the journal alone does not
(docs/deployment.md, "Moving an installation")."""

from __future__ import annotations

import io
import json
from datetime import date

from sqlalchemy import select

from bottles.db import db
from bottles.journal import export_journal, import_journal
from bottles.models import CollectionPoint, User
from reports.models import Phase
from tests.bottles.test_backup import _backup, _flask, _other_app, empty_database  # noqa: F401
from tests.bottles.test_journal import other_session, world  # noqa: F401

PHASE = "Phase pilote"


def _figures(app) -> dict:
    """What a coordinator reads: the phase's indicators, the points' names, people's sites."""
    result = _flask(app, "reports", "kpis", "--phase", PHASE, "--json")
    assert result.exit_code == 0, result.output
    with app.app_context():
        points = dict(db.session.execute(select(CollectionPoint.code, CollectionPoint.name)).all())
        sites = {user.username: sorted(point.code for point in user.collection_points)
                 for user in db.session.scalars(select(User))}
        phases = [(p.name, p.start_date, p.end_date, p.parameters, p.targets)
                  for p in db.session.scalars(select(Phase))]
        out = io.StringIO()
        export_journal(db.session, out)
        db.session.remove()
    return {"kpis": json.loads(result.output), "points": points, "sites": sites, "phases": phases,
            "journal": out.getvalue()}


def test_a_restored_backup_gives_the_same_figures_and_the_journal_alone_does_not(
        app, session, world, tmp_path, empty_database, other_session):  # noqa: F811
    point = world["point"]
    point.name = "Cave de la Comédie"
    session.add(Phase(name=PHASE, start_date=date(2026, 2, 1), end_date=date(2026, 6, 30),
                      parameters={"cost_per_km_eur": {"value": 0.62, "source": "barème 2026"}},
                      targets={"return_rate": 0.5}))
    session.commit()
    before = _figures(app)
    assert before["kpis"]["bottles_picked_up"] == 50 and before["points"]["LONS"] == "Cave de la Comédie"
    assert before["sites"]["point-lons"] == ["LONS"]

    restored = _other_app(empty_database)
    result = _flask(restored, "bottles", "restore", str(_backup(app, tmp_path / "backups")))
    assert result.exit_code == 0, result.output
    assert _figures(restored) == before

    # The journal alone rebuilds the ledger, not what surrounds it.
    report = import_journal(other_session, io.StringIO(before["journal"]), create_missing=True)
    assert report.ok, report.errors[:3]
    other_session.commit()
    out = io.StringIO()
    export_journal(other_session, out)
    assert out.getvalue() == before["journal"]
    assert other_session.scalar(select(Phase)) is None
    assert other_session.scalar(select(CollectionPoint.name).where(CollectionPoint.code == "LONS")) == "LONS"
    person = other_session.scalar(select(User).where(User.username == "point-lons"))
    assert person.collection_points == [] and not person.active
