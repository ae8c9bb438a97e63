"""`flask bottles backup DIR` and `restore`: a round trip into a fresh database gives back the same
journal export, byte for byte (SQLite and PostgreSQL); a used database, a damaged backup or one of
the other kind is refused with a French message and nothing restored."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bottles import backup as backup_module
from bottles.backup import write_journal
from bottles.codes import make_code
from bottles.db import db
from bottles.ledger import Draft, record
from bottles.models import Crate, Event
from bottles.rules import Kind, Move, Stage
from tests.conftest import ON_POSTGRES
from tests.factories import T0


@pytest.fixture
def ledger(factory, session):
    """A small ledger: crates registered, placed and declared full, a pickup, a correction."""
    washer, point = factory.washer(), factory.point()
    driver = factory.user("driver", username="léa-chauffeuse")
    factory.user("point", username="marc", points=[point])
    crates = [factory.full_crate_at(point, count=40 + n, washer=washer, actor=driver) for n in range(3)]
    factory.crate(washer=washer)
    pickup = factory.event(Kind.PICKUP, at=T0 + timedelta(days=2), actor=driver, crate=crates[0],
                           point=point.id, moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 40)],
                           note="=SOMME(A1:A2) ; « guillemets », virgule")
    factory.event(Kind.CORRECTION, at=T0 + timedelta(days=3), actor=driver, crate=crates[0],
                  point=point.id, corrects=pickup.seq, moves=[Move(Stage.IN_TRANSIT, Stage.AT_POINT, 40)],
                  note="enlèvement saisi par erreur")
    session.commit()
    return session.scalar(select(func.count()).select_from(Event))


@pytest.fixture
def empty_database(db_url, tmp_path):
    """The URL of a brand-new empty database of the same kind as the test's."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    base = make_url(db_url)
    name = f"boucle_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _flask(app, *args: str):
    """Run a command on `app` (its own app context: with_appcontext keeps any current one)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _backup(app, directory: Path) -> Path:
    result = _flask(app, "bottles", "backup", str(directory))
    assert result.exit_code == 0, result.output
    (folder,) = directory.iterdir()
    return folder


def _other_app(url: str):
    from wsgi import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})


def test_a_backup_restored_into_a_fresh_database_exports_the_same_journal(app, ledger, tmp_path,
                                                                          empty_database):
    before = tmp_path / "before.csv"
    assert _flask(app, "bottles", "export-journal", str(before)).exit_code == 0
    folder = _backup(app, tmp_path / "backups")
    assert folder.name.startswith("boucle-") and folder.name.endswith("Z")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    database_file = "database.pgdump" if ON_POSTGRES else "database.sqlite3"
    assert sorted(p.name for p in folder.iterdir()) == sorted([database_file, "journal.csv", "manifest.json"])
    assert manifest["database"] == ("postgresql" if ON_POSTGRES else "sqlite")
    assert manifest["counts"]["events"] == ledger and manifest["revision"]
    assert (folder / "journal.csv").read_bytes() == before.read_bytes()

    restored = _other_app(empty_database)
    result = _flask(restored, "bottles", "restore", str(folder))
    assert result.exit_code == 0, result.output
    assert "identique, octet pour octet" in result.output
    after = tmp_path / "after.csv"
    assert _flask(restored, "bottles", "export-journal", str(after)).exit_code == 0
    assert after.read_bytes() == before.read_bytes()
    assert _flask(restored, "bottles", "check-ledger").exit_code == 0
    health = restored.test_client().get("/healthz")
    assert health.status_code == 200 and health.get_json()["revision"] == manifest["revision"]
    with restored.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == ledger
        db.session.remove()
        if ON_POSTGRES:  # the restored ledger is append-only still (the migration's trigger came back)
            with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
                connection.execute(text("UPDATE events SET note = 'x'"))
        db.engine.dispose()


def test_a_write_during_the_backup_is_in_neither_of_its_files(app, ledger, tmp_path, empty_database,
                                                             monkeypatch):
    """A crate registered by someone else right after the backup's snapshot: the database file and
    the journal both come from the snapshot, so the restore finds them identical, without it."""
    written: list[uuid.UUID] = []

    def write_then_someone_records(connection, path):
        rows = write_journal(connection, path)
        if not written:
            written.append(uuid.uuid4())
            with Session(db.engine) as other:
                crate = Crate(code=make_code(999), capacity=60)
                other.add(crate)
                other.flush()
                record(other, Draft(id=written[0], kind=Kind.CRATE_REGISTERED,
                                    occurred_at=T0 + timedelta(days=5), actor_id=None, crate_id=crate.id))
                other.commit()
        return rows

    monkeypatch.setattr(backup_module, "write_journal", write_then_someone_records)
    folder = _backup(app, tmp_path / "backups")
    assert written and str(written[0]) not in (folder / "journal.csv").read_text(encoding="utf-8")
    db.session.rollback()  # the test's own transaction began before that write
    assert db.session.scalar(select(func.count()).select_from(Event)) == ledger + 1

    restored = _other_app(empty_database)
    result = _flask(restored, "bottles", "restore", str(folder))
    assert result.exit_code == 0, result.output
    with restored.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == ledger
        db.session.remove()
        db.engine.dispose()


def test_a_restore_into_a_database_in_use_is_refused(app, ledger, tmp_path):
    folder = _backup(app, tmp_path / "backups")
    result = _flask(app, "bottles", "restore", str(folder))
    assert result.exit_code == 1
    assert "La base cible n'est pas vide" in result.output and "Rien n'a été restauré" in result.output
    assert db.session.scalar(select(func.count()).select_from(Event)) == ledger


def test_a_damaged_or_foreign_backup_is_refused(app, ledger, tmp_path, empty_database):
    folder = _backup(app, tmp_path / "backups")
    restored = _other_app(empty_database)
    journal = folder / "journal.csv"
    journal.write_bytes(journal.read_bytes().replace(b"40", b"41", 1))
    result = _flask(restored, "bottles", "restore", str(folder))
    assert result.exit_code == 1 and "est abîmé (sha256 différent du manifeste)" in result.output

    result = _flask(restored, "bottles", "restore", str(tmp_path))
    assert result.exit_code == 1 and "n'est pas une sauvegarde de Boucle" in result.output

    other = _backup(app, tmp_path / "more")
    manifest = json.loads((other / "manifest.json").read_text(encoding="utf-8"))
    manifest["database"] = "sqlite" if ON_POSTGRES else "postgresql"
    (other / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = _flask(restored, "bottles", "restore", str(other))
    assert result.exit_code == 1 and "importez plutôt son journal" in result.output
    with restored.app_context():
        from sqlalchemy import inspect

        assert inspect(db.engine).get_table_names() == []
        db.engine.dispose()


def test_a_backup_never_overwrites_and_says_where_it_cannot_write(app, ledger, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    result = _flask(app, "bottles", "backup", str(blocked / "backups"))
    assert result.exit_code == 1 and "Impossible d'écrire dans" in result.output
    assert not list(tmp_path.glob("**/.boucle-*.partial"))
