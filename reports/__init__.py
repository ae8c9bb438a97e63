"""Boucle package `reports` (docs/architecture.md): phases, indicators, charts, dashboards, exports."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from reports import models  # noqa: F401  (tables known to migrations)


def init_app(app: Flask) -> None:
    """Register this package's pages, commands and hooks on the app."""
    from bottles import navigation
    from reports import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.group)
    navigation.add_action(_l("Phases et tableaux de bord"), "reports.index", {"coordinator", "admin"},
                          _l("Indicateurs de chaque phase, comparaison, rapports PDF et exports"))
    _register_demo_hook()


def _register_demo_hook() -> None:
    """Let the demo import create its two phases (bottles.demo calls AFTER_DEMO hooks)."""
    try:
        from bottles import demo
    except ImportError:  # the demo module is not there (yet)
        return
    from reports.demo import create_demo_phases

    hooks = getattr(demo, "AFTER_DEMO", None)
    if hooks is not None and create_demo_phases not in hooks:
        hooks.append(create_demo_phases)
