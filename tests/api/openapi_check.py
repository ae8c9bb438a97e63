"""Check an API answer against the OpenAPI document the app serves, with a schema validator.

The document is read from /api/v1/openapi.json (what a client reads), the answer's schema found by
path, method and status, and the body validated by openapi-schema-validator (OpenAPI 3.0 rules:
nullable, formats), references resolved inside the same document.
"""

from __future__ import annotations

from openapi_schema_validator import OAS30Validator, oas30_format_checker

PREFIX = "/api/v1"


def document(client) -> dict:
    answer = client.get(f"{PREFIX}/openapi.json")
    assert answer.status_code == 200
    return answer.get_json()


def answer_schema(spec: dict, path: str, method: str, status: int) -> dict:
    """The JSON schema the document gives for this path (its template), method and status."""
    operation = spec["paths"][path][method.lower()]
    responses = operation["responses"]
    # a refusal not listed is the document's `default` answer (401, 429…: every route's Refusal)
    key = str(status) if str(status) in responses or status < 400 else "default"
    assert key in responses, f"{method} {path}: {status} not documented ({sorted(responses)})"
    documented = responses[key]
    if "$ref" in documented:  # flask-smorest's shared answers: #/components/responses/…
        documented = spec["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    return documented["content"]["application/json"]["schema"]


def check(client, response, path: str, method: str = "get", spec: dict | None = None) -> dict:
    """The answer's JSON body, after validating it against the served document (AssertionError
    listing every violation otherwise). `path` is the document's template, e.g. /api/v1/crates/{code}."""
    spec = spec or document(client)
    body = response.get_json()
    schema = {**answer_schema(spec, path, method, response.status_code), "components": spec["components"]}
    validator = OAS30Validator(schema, format_checker=oas30_format_checker)
    problems = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                for error in validator.iter_errors(body)]
    assert not problems, (method, path, response.status_code, problems[:10])
    return body
