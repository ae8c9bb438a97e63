"""The reports' blueprint (coordinators): the phases and their form, a phase's dashboard and charts,
the comparison of phases, and the downloads (CSV, XLSX, PDF, journal).

One module per page group; what they share is in `common`. Thin views: parse, call an operation or
build the report, commit once, render or redirect.
"""

from __future__ import annotations

from flask import Blueprint

# import_name is the package, so that templates/ and static/ are the reports' own folders
bp = Blueprint("reports", "reports", url_prefix="/phases", template_folder="templates",
               static_folder="static", static_url_path="/static/reports")

from reports.views import compare, dashboard, decide, downloads, phases, planned  # noqa: E402, F401  (routes on bp)
