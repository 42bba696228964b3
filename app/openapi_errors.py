"""Document the error answers every API operation can give, from its guards and inputs.

A route declares the answers of its own logic (404 for a missing thing, 409, 429 ...).
The answers that come from the house are documented here, once, so that no route can
forget them and `/openapi.json` tells integrators the truth:

- 401 when the route needs a person or a company (its dependency tree holds a guard),
- 403 when it needs a certified volunteer, an expert or an admin,
- 400 when it reads a body (a body that cannot even be parsed),
- 422 as either shape the API really answers: FastAPI's list of field errors, or one
  sentence from a service (`{"detail": "...", "code": ..., "field": ...}`),
- 503 everywhere: the database is unavailable (with `Retry-After`).

The guards are read the way tests/proof/test_role_matrix.py reads them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import validation_error_definition, validation_error_response_definition
from fastapi.routing import APIRoute, iter_route_contexts

from app import deps
from app.schemas.common import ErrorPublic

_LEVELS = {
    deps.require_company: "company",
    deps.require_admin: "admin",
    deps.require_expert: "expert",
    deps.require_certified: "certified",
    deps.require_certified_reporter: "certified",
    deps.require_user: "user",
}
_FORBIDDEN_TEXT = {
    "certified": "Logged in, but not (or no longer) certified: pass the training quiz first.",
    "expert": "Logged in, but not a Coalition expert or an admin.",
    "admin": "Logged in, but not an admin.",
}
ERROR_REF = {"$ref": "#/components/schemas/ErrorPublic"}
VALIDATION_REF = {"$ref": "#/components/schemas/HTTPValidationError"}


def _guards(route: Any) -> set[str]:
    found: set[str] = set()

    def walk(dependant: Any) -> None:
        level = _LEVELS.get(dependant.call)
        if level:
            found.add(level)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    return found


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _document(operation: dict[str, Any], guards: set[str]) -> None:
    responses = operation.setdefault("responses", {})
    if guards:
        who = "a company API key" if guards == {"company"} else "a person's token"
        responses.setdefault("401", _json(ERROR_REF, f"Not authenticated: {who} is missing, expired or not valid."))
    forbidding = [level for level in ("admin", "expert", "certified") if level in guards]
    if forbidding:
        responses.setdefault("403", _json(ERROR_REF, _FORBIDDEN_TEXT[forbidding[0]]))
    if "requestBody" in operation:
        responses.setdefault("400", _json(ERROR_REF, "The request body could not be parsed."))
    if "requestBody" in operation or operation.get("parameters"):
        declared = responses.get("422", {})
        responses["422"] = _json(
            {"anyOf": [VALIDATION_REF, ERROR_REF]},
            declared.get("description") if declared.get("description") not in (None, "Validation Error")
            else "Invalid input: a list of field errors, or one sentence saying what is wrong.",
        )
    responses.setdefault("503", _json(ERROR_REF, "The database is not available right now; retry after Retry-After."))


def _add_components(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorPublic", ErrorPublic.model_json_schema(ref_template="#/components/schemas/{model}"))
    schemas.setdefault("ValidationError", validation_error_definition)
    schemas.setdefault("HTTPValidationError", validation_error_response_definition)


def document_errors(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Add the house's error answers to every /api operation of `document` (in place, idempotent)."""
    paths = document.get("paths", {})
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.path.startswith("/api/"):
            continue
        guards = _guards(route)
        for method in route.methods:
            operation = paths.get(route.path, {}).get(method.lower())
            if operation is not None:
                _document(operation, guards)
    _add_components(document)
    return document


def install(app: FastAPI) -> None:
    """Serve the documented errors in /openapi.json and /docs."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return document_errors(app, generate())

    app.openapi = openapi  # type: ignore[method-assign]
