"""The collection points' blueprint: crate pages, drivers' rounds and scan stations, pickup requests, labels.

One module per page group; what they share is in `common`. Thin views: parse, call an operation,
commit once, redirect.
"""

from __future__ import annotations

from flask import Blueprint

# import_name is the package, so that templates/ and static/ are collection_points' own folders
bp = Blueprint("collection_points", "collection_points", template_folder="templates",
               static_folder="static", static_url_path="/static/points")

from collection_points.views import crate, labels, pickup_requests, planning, rounds, scan  # noqa: E402, F401  (routes on bp)
