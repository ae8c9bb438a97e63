"""The JSON API under /api/v1: bearer tokens, OpenAPI 3 document, browsable docs (docs/api.md).

Built with flask-smorest: each view's marshmallow schemas validate its input and write the
OpenAPI document, so what is documented is what is checked. Only wsgi imports this package.
"""

from __future__ import annotations

import os

from flask import Blueprint as PageBlueprint
from flask import Flask, render_template, request, url_for
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from api import schemas

API_VERSION = "1.0.0"
PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX,
               description="Boucle: crates, stocks, the ledger's events, phases and indicators")
pages = PageBlueprint("api_pages", __name__, url_prefix=PREFIX, static_folder="static",
                      static_url_path="/static", template_folder="templates")


class Api(SmorestApi):
    """flask-smorest without its app-wide error handler: the app's pages keep their French HTML errors;
    the API blueprint answers its own errors as JSON (api.errors), documented by `Refusal`."""

    ERROR_SCHEMA = schemas.Refusal

    def _register_error_handlers(self) -> None:
        return None


@pages.get("/docs")
def docs():
    """The browsable documentation: Swagger UI served from this app (no CDN, no inline script)."""
    return render_template("api/docs.html", spec_url=url_for("api-docs.openapi_json"))


def init_app(app: Flask) -> None:
    from api import auth, errors, reads, writes  # noqa: F401 (registers the views on bp)
    from bottles import csrf
    from bottles.throttle import limiter

    app.config.setdefault("API_LIMIT", os.environ.get("API_LIMIT", auth.DEFAULT_API_LIMIT))
    app.config.update({
        "API_TITLE": "Boucle API", "API_VERSION": API_VERSION, "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": PREFIX, "OPENAPI_JSON_PATH": "openapi.json",
    })
    api = Api(spec_kwargs={"info": {"description": "See docs/api.md. Errors are JSON "
                                    "{code, message}; authenticate with Authorization: Bearer <token>."}})
    api.init_app(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    if not bp.before_request_funcs:  # the blueprint is set up once, whatever the number of apps
        bp.before_request(auth.authenticate)
        bp.register_error_handler(errors.ApiError, errors.on_api_error)
        bp.register_error_handler(HTTPException, errors.on_http_error)
        limiter.limit(auth.api_limit, key_func=auth.limit_key, on_breach=auth.too_many,
                      scope="api")(bp)
    csrf.exempt(bp)  # api.auth checks it itself: a session's every request, never a bearer token's
    api.register_blueprint(bp)
    app.register_blueprint(pages)

    @app.after_request
    def _api_refusals_in_json(response):
        """Under /api/v1/, every refusal in the API's shape: those made before its views (body too
        large, NUL byte) and those of routing (an unknown path 404, a method not allowed 405)."""
        return errors.same_shape(response) if request.path.startswith(PREFIX + "/") else response
