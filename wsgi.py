"""Composition root: the only module that imports every package."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

import api
import bottles
import collection_points
import notifications
import reports
import resales
import washer
from bottles import config, production


def create_app(overrides: dict | None = None) -> Flask:
    production.refuse_unsafe_start()  # BOUCLE_ENV=production without a real SECRET_KEY or BASE_URL
    instance = Path(os.environ.get("BOUCLE_INSTANCE", Path(__file__).parent / "instance"))
    app = Flask(__name__, instance_path=str(instance.resolve()))
    app.config.update(config.load(instance))
    # Each package keeps its own catalogues; Flask-Babel merges them. Only existing folders:
    # a missing one would reset the merged plural rule to gettext's default (n != 1).
    folders = (Path(package.__file__).parent / "translations"
               for package in (bottles, collection_points, washer, resales, reports, notifications, api))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(f) for f in folders if f.is_dir())
    app.config.update(overrides or {})
    bottles.init_app(app)
    resales.init_app(app)
    collection_points.init_app(app)
    washer.init_app(app)
    reports.init_app(app)
    notifications.init_app(app)
    api.init_app(app)  # after the packages: it calls their operations and reads reports
    return app

