"""Offline first: the web app manifest, the service worker at the root scope and the offline pages.

The service worker (bottles/static/sw.js) keeps the pages a person visited and the static files
for when the network is gone; the actions taken meanwhile wait in the phone's queue
(bottles/static/queue.js). See docs/architecture.md, "Offline".
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import gettext as _

bp = Blueprint("offline", __name__)

STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates" / "bottles"
THEME = "#2f5d50"  # --green of boucle.css
# Kernel files the worker stores when it installs: the offline pages need them with no network.
PRECACHED_STATIC = ("boucle.css", "queue.js", "scan.js", "scan.css", "icons/icon-192.png")


@cache
def static_version(folders: tuple[str, ...]) -> str:
    """A hash of every static file and offline template: a change renames the worker's caches."""
    digest = hashlib.sha256()
    paths = [TEMPLATES / "offline.html", TEMPLATES / "offline_crate.html"]
    for folder in folders:
        paths += sorted(p for p in Path(folder).rglob("*") if p.is_file())
    for path in paths:
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def static_folders() -> tuple[str, ...]:
    """The static folders of the app and of each blueprint registered."""
    folders = [current_app.static_folder] + [b.static_folder for b in current_app.blueprints.values()]
    return tuple(sorted({f for f in folders if f and Path(f).is_dir()}))


@bp.get("/manifest.webmanifest")
def manifest():
    """What makes Boucle installable on a phone's home screen."""
    body = {
        "name": "Boucle", "short_name": "Boucle", "lang": "fr",
        "description": _("Suivi des bouteilles consignées : caisses, tournées, lavage."),
        "start_url": "/", "scope": "/", "display": "standalone",
        "theme_color": THEME, "background_color": "#f7f5f0",
        "icons": [{"src": url_for("bottles.static", filename=f"icons/icon-{size}.png"),
                   "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any maskable"}
                  for size in (192, 512)],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker():
    """The worker at the root, so its scope is the whole site; never cached by the browser."""
    precache = [url_for("offline.offline_page"), url_for("offline.offline_crate")]
    precache += [url_for("bottles.static", filename=name) for name in PRECACHED_STATIC]
    script = (STATIC / "sw.js").read_text(encoding="utf-8")
    script = script.replace('"__VERSION__"', json.dumps(static_version(static_folders())))
    script = script.replace('["__PRECACHE__"]', json.dumps(precache))
    response = Response(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/hors-ligne")
def offline_page():
    """What a page never visited shows with no network (stored when the worker installs)."""
    return render_template("bottles/offline.html", offline_shell=True)


@bp.get("/hors-ligne/caisse")
def offline_crate():
    """A crate page never visited, with no network: reads the code from the address, queues an action."""
    return render_template("bottles/offline_crate.html", offline_shell=True)
