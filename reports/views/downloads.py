"""A phase's downloads: one table as CSV, all tables as XLSX, the PDF report, the phase's journal
(CSV, and EPCIS 2.0 JSON-LD)."""

from __future__ import annotations

import io

from flask import Response, abort, current_app, stream_with_context
from flask_babel import gettext as _

from bottles.auth import role_required
from bottles.db import db
from bottles.errors import error_page
from bottles.spreadsheet import RFC4180, requested_flavour
from reports import exports, report
from reports.period import phase_bounds
from reports.views import bp
from reports.views.common import COORDINATORS, download, file_stem, now, phase_or_404, point_filter, slug


@bp.get("/<int:phase_id>/tableaux/<name>.csv")
@role_required(*COORDINATORS)
def table_csv(phase_id: int, name: str):
    """One of the phase's tables as a CSV file (for the points chosen, if any)."""
    phase = phase_or_404(phase_id)
    if name not in exports.TABLE_NAMES:
        abort(404, description=_("Tableau inconnu : %(name)s.", name=name))
    flavour = requested_flavour()
    phase_report = report.build_cached(db.session, phase, point_filter()[0], now())
    body = exports.table_csv(phase_report.table(name), flavour)
    filename = f"{file_stem(phase, phase_report)}-{exports.SHEET_NAMES.get(name, name)}.csv"
    return download(body, filename, "text/csv; charset=utf-8")


@bp.get("/<int:phase_id>/tableaux.xlsx")
@role_required(*COORDINATORS)
def workbook(phase_id: int):
    """All the phase's tables as one XLSX workbook, a sheet each."""
    phase = phase_or_404(phase_id)
    phase_report = report.build_cached(db.session, phase, point_filter()[0], now())
    filename = _("%(stem)s-tableaux.xlsx", stem=file_stem(phase, phase_report))
    return download(exports.workbook(phase_report), filename,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/<int:phase_id>/rapport.pdf")
@role_required(*COORDINATORS)
def pdf_report(phase_id: int):
    """The phase's A4 PDF report for funders."""
    from reports import pdf

    phase = phase_or_404(phase_id)
    phase_report = report.build_cached(db.session, phase, None, now())
    filename = _("%(stem)s-rapport.pdf", stem=file_stem(phase, phase_report))
    return download(pdf.phase_pdf(phase_report), filename, "application/pdf")


@bp.get("/<int:phase_id>/journal.csv")
@role_required(*COORDINATORS)
def journal(phase_id: int):
    """The ledger's movements of the phase's days as a journal CSV file: the import and backup form
    (RFC 4180) unless `?format=excel-fr` asks for French Excel's."""
    from bottles.journal import export_journal

    phase = phase_or_404(phase_id)
    flavour = requested_flavour(RFC4180)
    start, end = phase_bounds(phase.start_date, phase.end_date)
    out = io.StringIO()
    export_journal(db.session, out, start=start, end=end, flavour=flavour)
    return download(out.getvalue().encode("utf-8"), f"{slug(phase)}-journal.csv", "text/csv; charset=utf-8")


@bp.get("/<int:phase_id>/journal.jsonld")
@role_required(*COORDINATORS)
def journal_epcis(phase_id: int):
    """The ledger's events of the phase's days as an EPCIS 2.0 JSON-LD document, streamed."""
    from bottles.journal.epcis import MEDIA_TYPE, identifiers
    from bottles.journal.epcis_export import epcis_chunks

    phase = phase_or_404(phase_id)
    start, end = phase_bounds(phase.start_date, phase.end_date)
    config = current_app.config
    try:
        ids = identifiers(config["BASE_URL"], config.get("GS1_COMPANY_PREFIX", ""),
                          config.get("GS1_CRATE_ASSET_TYPE", ""))
    except ValueError as error:  # a setting of the server, not the person's doing
        return error_page(503, _("L'export EPCIS est mal configuré : %(problem)s Prévenez "
                                 "l'administrateur du serveur.", problem=str(error)))
    chunks = epcis_chunks(db.session, ids, now(), start=start, end=end)
    body = stream_with_context(chunk.encode("utf-8") for chunk in chunks)
    return Response(body, mimetype=MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{slug(phase)}-epcis.jsonld"'})
