"""The streamed import: many chunks give the same ledger as one, a bad row in the last chunk
leaves nothing of the earlier ones, an event repeated far apart is caught by the database's
unique id; the progress bar of `flask bottles import-journal`."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bottles import cli
from bottles.check import check_ledger
from bottles.journal import ALL_COLUMNS, export_journal, import_journal, importer
from bottles.models import Event, Movement, Round
from tests.bottles.test_journal import other_session, world  # noqa: F401


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of two events: every look-back (corrections, crates) crosses chunks."""
    monkeypatch.setattr(importer, "CHUNK", 2)


def _export(session) -> str:
    out = io.StringIO()
    export_journal(session, out)
    return out.getvalue()


def _counts(session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (Event, Movement, Round))


def test_many_small_chunks_give_the_same_ledger(session, world, other_session, small_chunks):  # noqa: F811
    journal = _export(session)
    report = import_journal(other_session, io.StringIO(journal), create_missing=True)
    assert report.ok, report.errors
    other_session.commit()
    assert report.imported_events == session.scalar(select(func.count()).select_from(Event))
    assert _export(other_session) == journal
    assert check_ledger(other_session) == []
    assert report.created["round"] == ["T-1"] and report.created["point"] == ["LONS"]


def test_a_bad_row_in_the_last_chunk_leaves_nothing_of_the_first_ones(session, world, other_session,  # noqa: F811
                                                                      small_chunks):
    rows = list(csv.DictReader(io.StringIO(_export(session))))
    rows[-1]["quantity"] = "beaucoup"  # the last event (a crate placed) carries no quantity…
    rows[-1]["from_stage"], rows[-1]["to_stage"] = "outside", "at_point"
    before = _counts(other_session)
    report = import_journal(other_session, rows, create_missing=True)
    assert not report.ok and report.imported_events == 0 and report.created == {}
    assert [error.line for error in report.errors] == [len(rows) + 1]
    assert _counts(other_session) == before
    assert "rien n'a été importé" in report.summary()


def test_an_event_repeated_far_apart_is_skipped_or_refused(session, world, other_session,  # noqa: F811
                                                          small_chunks):
    rows = list(csv.DictReader(io.StringIO(_export(session))))
    first = [row for row in rows if row["kind"] == "round_closed"]  # a second one breaks no rule
    report = import_journal(other_session, rows + first, create_missing=True)
    assert report.ok, report.errors
    assert report.skipped_events == 1 and report.imported_events == len({r["event_id"] for r in rows})
    other_session.rollback()

    changed = [dict(row, note="autre contenu") for row in first]
    report = import_journal(other_session, rows + changed, create_missing=True)
    assert not report.ok and report.imported_events == 0
    assert [error.line for error in report.errors] == [len(rows) + 2]
    assert "existe déjà avec un autre contenu" in report.errors[0].message
    assert _counts(other_session)[0] == 0


def test_progress_counts_every_byte_of_a_file_and_every_row_of_a_stream(session, world, other_session,  # noqa: F811
                                                                        tmp_path):
    journal = _export(session)
    path = tmp_path / "journal.csv"
    path.write_text(journal, encoding="utf-8")
    read: list[int] = []
    assert import_journal(other_session, str(path), create_missing=True, progress=read.append).ok
    assert sum(read) == path.stat().st_size
    other_session.rollback()
    rows: list[int] = []
    assert import_journal(other_session, io.StringIO(journal), create_missing=True,
                          progress=rows.append).ok
    assert sum(rows) == len(journal.splitlines())


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _bar_output(monkeypatch, path: Path, quiet: bool, terminal: bool) -> tuple[bool, str]:
    stderr = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    with cli._progress(str(path), quiet) as progress:
        if progress is not None:
            progress(path.stat().st_size)
    return progress is not None, stderr.getvalue()


def test_the_progress_bar_shows_on_a_terminal_for_a_large_file_only(monkeypatch, tmp_path):
    large, small = tmp_path / "large.csv", tmp_path / "small.csv"
    large.write_text(",".join(ALL_COLUMNS) + "\n" + "x" * cli.PROGRESS_FROM_BYTES, encoding="utf-8")
    small.write_text(",".join(ALL_COLUMNS) + "\n", encoding="utf-8")
    shown, text = _bar_output(monkeypatch, large, quiet=False, terminal=True)
    assert shown and "Lecture et contrôle du journal" in text and "100%" in text
    for path, quiet, terminal in ((large, True, True), (large, False, False), (small, False, True)):
        assert _bar_output(monkeypatch, path, quiet, terminal) == (False, "")


def test_cli_import_quiet_prints_only_the_summary(app, session, world, tmp_path, other_session):  # noqa: F811
    path = tmp_path / "journal.csv"
    path.write_text(_export(session), encoding="utf-8")
    session.rollback()
    result = app.test_cli_runner().invoke(args=["bottles", "import-journal", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("déjà présent(s).")
