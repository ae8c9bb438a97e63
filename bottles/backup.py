"""Backups: one folder per run holding a consistent snapshot of the database, the ledger's journal
taken from that same snapshot, and a manifest (schema revision, counts, sha256 of each file).

    DIR/boucle-20261129T170000Z/
        database.sqlite3 | database.pgdump   SQLite's online backup API | pg_dump --format=custom
        journal.csv                          the journal export (docs/ledger.md) of that snapshot
        manifest.json

SQLite: the backup API copies every page under one read lock, then the journal is read from the
copy. PostgreSQL: one REPEATABLE READ transaction exports its snapshot; the journal is read in it
and pg_dump dumps that very snapshot (--snapshot). A restore goes into an empty database only and
checks that the restored ledger exports the same journal, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from bottles.journal import export_journal
from bottles.models import Crate, Event, Movement, User

FORMAT = 1
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
JOURNAL_FILE = "journal.csv"
MANIFEST_FILE = "manifest.json"
COUNTED = {"events": Event, "movements": Movement, "users": User, "crates": Crate}


class BackupError(Exception):
    """A backup or a restore that cannot be done; the message says why, in French."""


@dataclass(frozen=True)
class Backup:
    folder: Path
    manifest: dict


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_journal(connection: Connection, path: Path) -> int:
    """The journal export of what this connection sees, written exactly as `export-journal` does."""
    with Session(bind=connection) as session, path.open("w", newline="", encoding="utf-8") as out:
        return export_journal(session, out)


def _facts(connection: Connection) -> dict:
    """The schema revision and a few counts, for the manifest (a restore is compared with them)."""
    heads = MigrationContext.configure(connection).get_current_heads()
    counts = {name: connection.scalar(select(func.count()).select_from(model.__table__))
              for name, model in COUNTED.items()}
    return {"revision": ",".join(sorted(heads)) or None, "counts": counts}


def _snapshot_sqlite(engine: Engine, folder: Path) -> dict:
    """The online backup API, then the journal and the counts read from the copy itself."""
    copy = folder / SQLITE_FILE
    raw = engine.raw_connection()
    try:
        with closing(sqlite3.connect(copy)) as target:
            raw.driver_connection.backup(target)
    finally:
        raw.close()
    reader = create_engine(f"sqlite:///{copy}")
    try:
        with reader.connect() as connection:
            facts = _facts(connection)
            facts["journal_rows"] = write_journal(connection, folder / JOURNAL_FILE)
    finally:
        reader.dispose()
    with closing(sqlite3.connect(copy)) as target:
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    return facts


def postgres_environment(url: URL) -> dict[str, str]:
    """libpq's variables for pg_dump and pg_restore (the password never on a command line)."""
    pairs = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username,
             "PGPASSWORD": url.password, "PGDATABASE": url.database,
             "PGSSLMODE": url.query.get("sslmode")}
    return {**os.environ, **{key: str(value) for key, value in pairs.items() if value}}


def _program(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} est introuvable : installez le client PostgreSQL (paquet "
                          "postgresql-client, de la version du serveur ou plus récent).")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} a échoué ({done.returncode}) : "
                          f"{done.stderr.strip()[-2000:]}")


def _snapshot_postgres(engine: Engine, folder: Path) -> dict:
    """One REPEATABLE READ transaction: its journal, its counts, and pg_dump of its snapshot."""
    pg_dump = _program("pg_dump")
    connect = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with connect as connection, connection.begin():
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        facts = _facts(connection)
        facts["journal_rows"] = write_journal(connection, folder / JOURNAL_FILE)
        _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password",
              f"--file={folder / POSTGRES_FILE}"], postgres_environment(engine.url))
    return facts


def backup(engine: Engine, directory: Path, *, now: datetime | None = None) -> Backup:
    """Write DIR/boucle-<UTC time>/ (a hidden .partial folder until it is complete)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    name = f"boucle-{now:%Y%m%dT%H%M%SZ}"
    folder, partial = directory / name, directory / f".{name}.partial"
    if folder.exists():
        raise BackupError(f"{folder} existe déjà : rien n'a été écrit.")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial.mkdir()
    except OSError as error:
        raise BackupError(f"Impossible d'écrire dans {directory} : {error.strerror}.") from None
    try:
        if engine.dialect.name == "sqlite":
            facts, database_file = _snapshot_sqlite(engine, partial), SQLITE_FILE
        elif engine.dialect.name == "postgresql":
            facts, database_file = _snapshot_postgres(engine, partial), POSTGRES_FILE
        else:
            raise BackupError(f"Base {engine.dialect.name} : seules SQLite et PostgreSQL sont sauvegardées.")
        manifest = {"format": FORMAT, "created_at": now.isoformat(), "database": engine.dialect.name,
                    **facts, "files": {file: {"bytes": (partial / file).stat().st_size,
                                              "sha256": sha256_of(partial / file)}
                                       for file in (database_file, JOURNAL_FILE)}}
        (partial / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Backup(folder, manifest)


def read_manifest(folder: Path) -> dict:
    """The manifest, once every file it lists is there with its sha256."""
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"{folder} n'est pas une sauvegarde de Boucle (manifest.json absent ou "
                          "illisible) : rien n'a été restauré.") from None
    for file, expected in manifest.get("files", {}).items():
        path = folder / file
        if not path.is_file() or sha256_of(path) != expected["sha256"]:
            raise BackupError(f"{path} manque ou est abîmé (sha256 différent du manifeste) : rien "
                              "n'a été restauré.")
    return manifest


def _refuse_a_used_database(engine: Engine) -> None:
    tables = inspect(engine).get_table_names()
    engine.dispose()
    if tables:
        raise BackupError(f"La base cible n'est pas vide ({len(tables)} tables) : une sauvegarde se "
                          "restaure dans une base neuve et vide. Rien n'a été restauré.")


def restore(engine: Engine, folder: Path) -> dict:
    """Restore a backup folder into the empty database of `engine`; return its manifest.

    Bring the schema to the code's head afterwards (`flask db upgrade`), then `journal_matches`.
    """
    manifest = read_manifest(folder)
    source, target = manifest.get("database"), engine.dialect.name
    if source != target:
        raise BackupError(f"Cette sauvegarde vient de {source}, la base cible est {target} : "
                          f"importez plutôt son journal (flask bottles import-journal "
                          f"{folder / JOURNAL_FILE} --create-missing). Rien n'a été restauré.")
    _refuse_a_used_database(engine)
    if target == "sqlite":
        with closing(sqlite3.connect(f"file:{folder / SQLITE_FILE}?mode=ro", uri=True)) as copy, \
                closing(sqlite3.connect(engine.url.database)) as database:
            copy.backup(database)
    else:
        _run([_program("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", "--no-password", f"--dbname={engine.url.database}",
              str(folder / POSTGRES_FILE)], postgres_environment(engine.url))
    return manifest


def journal_matches(engine: Engine, manifest: dict) -> bool:
    """Whether the database's journal export is the backup's, byte for byte (same sha256)."""
    with tempfile.TemporaryDirectory() as scratch, engine.connect() as connection:
        path = Path(scratch) / JOURNAL_FILE
        write_journal(connection, path)
        return sha256_of(path) == manifest["files"][JOURNAL_FILE]["sha256"]
