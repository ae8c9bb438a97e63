"""What the reports' views share: the clock, the phase or a 404, the roll-ups caught up, the point
filter of the query string, file names and downloads, and the template filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Response, abort, request
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError

from bottles.db import db
from reports import report, rollup
from reports.french import fmt_cell, fmt_value
from reports.indicators import BY_KEY
from reports.models import Phase
from reports.queries import point_ids_for
from reports.views import bp

COORDINATORS = ("coordinator",)


@bp.app_template_filter("kpi")
def kpi_filter(value, key: str) -> str:
    """An indicator's value in the person's language, as its kind is shown (count when the key is unknown)."""
    indicator = BY_KEY.get(key)
    return fmt_value(indicator.kind if indicator else "count", value)


@bp.app_template_filter("kpi_ratio")
def ratio_filter(value) -> str:
    """A share as the indicators show it: 36 % in French, 36% in English."""
    return fmt_value("ratio", value)


@bp.app_template_filter("cellfmt")
def cell_filter(value, header: str = "") -> str:
    """A table cell in the person's language: shares as percentages, euros with cents, counts grouped."""
    return fmt_cell(value, header)


def now() -> datetime:
    """The moment the pages read the figures at (a phase in progress runs up to today)."""
    return datetime.now(UTC)


def phase_or_404(phase_id: int) -> Phase:
    """The phase (roll-ups caught up first), or a 404 page."""
    catch_up()
    phase = db.session.get(Phase, phase_id)
    if phase is None:
        abort(404, description=_("Cette phase n'existe pas."))
    return phase


def catch_up() -> None:
    """Feed the daily roll-ups with the new events (figures are exact either way; this keeps reads fast)."""
    try:
        if rollup.refresh(db.session):
            db.session.commit()
    except OperationalError:  # another request holds the write lock: the live tail covers it
        db.session.rollback()


def point_filter() -> tuple[tuple[int, ...] | None, list[str], list[str]]:
    """(point ids or None for all, point codes, territories) chosen in the query string."""
    codes = [code for code in request.args.getlist("point") if code]
    chosen_territories = [name for name in request.args.getlist("territoire") if name]
    if not codes and not chosen_territories:
        return None, [], []
    return tuple(point_ids_for(db.session, codes, chosen_territories)), codes, chosen_territories


def slug(phase: Phase) -> str:
    """The phase's name as a file name."""
    return re.sub(r"[^A-Za-z0-9]+", "-", phase.name).strip("-").lower() or f"phase-{phase.id}"


def file_stem(phase: Phase, phase_report: report.Report) -> str:
    """The phase's slug, plus "en-cours-au-<day>" ("in-progress-to-<day>") while it runs (a file read
    later says so)."""
    if phase_report.period.in_progress:
        return _("%(slug)s-en-cours-au-%(day)s", slug=slug(phase), day=phase_report.period.until.isoformat())
    return slug(phase)


def download(body: bytes, filename: str, mimetype: str) -> Response:
    """A response the browser saves as `filename`."""
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
