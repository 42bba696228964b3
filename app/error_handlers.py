"""Errors answered in the caller's language: JSON under /api, an app page (or fragment) for browsers."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import DomainError, NotAuthenticated
from app.i18n import _

log = logging.getLogger("cyberspotter.errors")


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/healthz", "/readyz", "/openapi.json")


def _status_message(status_code: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Please log in first."),
        403: _("You are not allowed to do this."),
        404: _("There is nothing here. The page may have moved, or it is not yours to see."),
        405: _("This method is not allowed here."),
        409: _("This conflicts with the current state. Reload and try again."),
        413: _("This is too large."),
        415: _("This type of content is not supported here."),
        422: _("Some of what was sent is not valid."),
        429: _("Too many requests. Please slow down."),
        500: _("Something went wrong on our side. It has been logged; please try again later."),
        503: _("The service is not available right now. Please try again in a moment."),
    }
    return messages.get(status_code, _("The request failed (%(status)s).", status=status_code))


def _html_error(request: Request, status_code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    from app.templating import is_htmx, render  # templating imports routes' helpers; keep the import late

    template = "errors/error.html"
    return render(
        request,
        template,
        {"status_code": status_code, "message": message},
        status_code=status_code,
        block="error_message" if is_htmx(request) else None,
        headers=headers,
    )


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


async def handle_domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    if wants_json(request):
        return JSONResponse(error.body(), status_code=error.status_code, headers=error.headers)
    if isinstance(error, NotAuthenticated) and request.method == "GET":
        return _login_redirect(request)
    headers = {k: v for k, v in error.headers.items() if k.lower() != "www-authenticate"}
    return _html_error(request, error.status_code, error.message, headers)


async def handle_http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail if isinstance(error.detail, str) and error.status_code not in (404, 405) else None
    message = detail or _status_message(error.status_code)
    headers = dict(error.headers or {})
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=error.status_code, headers=headers)
    if error.status_code == 401 and request.method == "GET":
        return _login_redirect(request)
    return _html_error(request, error.status_code, message, headers)


def _validation_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": _("This field is required."),
        "string_too_short": _("This is too short (at least %(n)s characters).", n=ctx.get("min_length", "")),
        "string_too_long": _("This is too long (at most %(n)s characters).", n=ctx.get("max_length", "")),
        "string_type": _("This must be text."),
        "int_parsing": _("This must be a whole number."),
        "int_type": _("This must be a whole number."),
        "float_parsing": _("This must be a number."),
        "decimal_parsing": _("This must be a number."),
        "bool_parsing": _("This must be true or false."),
        "greater_than": _("This must be greater than %(n)s.", n=ctx.get("gt", "")),
        "greater_than_equal": _("This must be at least %(n)s.", n=ctx.get("ge", "")),
        "less_than": _("This must be less than %(n)s.", n=ctx.get("lt", "")),
        "less_than_equal": _("This must be at most %(n)s.", n=ctx.get("le", "")),
        "literal_error": _("This must be one of: %(values)s.", values=ctx.get("expected", "")),
        "enum": _("This must be one of: %(values)s.", values=ctx.get("expected", "")),
        "json_invalid": _("The request body is not valid JSON."),
        "model_attributes_type": _("The request body must be a JSON object."),
        "dict_type": _("This must be an object."),
        "list_type": _("This must be a list."),
        "datetime_parsing": _("This must be a date and time (ISO 8601)."),
        "datetime_from_date_parsing": _("This must be a date and time (ISO 8601)."),
        "date_parsing": _("This must be a date (YYYY-MM-DD)."),
        "value_error": str(ctx.get("error", error.get("msg", ""))),
        "assertion_error": str(ctx.get("error", error.get("msg", ""))),
        "extra_forbidden": _("This field is not expected here."),
        "too_long": _("Too many items."),
        "too_short": _("Too few items."),
    }
    message = messages.get(kind)
    if kind in ("value_error", "assertion_error") and message:
        # pydantic prefixes our own messages with "Value error, "
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return message or str(error.get("msg", _("This value is not valid.")))


async def handle_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    details = []
    for item in error.errors():
        details.append(
            {
                "type": item.get("type"),
                "loc": list(item.get("loc", ())),
                "msg": _validation_message(item),
                **({"input": item["input"]} if isinstance(item.get("input"), str | int | float | bool) else {}),
            }
        )
    if wants_json(request):
        return JSONResponse({"detail": details}, status_code=422)
    summary = "; ".join(f"{d['loc'][-1] if d['loc'] else ''}: {d['msg']}" for d in details)
    return _html_error(request, 422, summary)


async def handle_database_unavailable(request: Request, error: Exception) -> Response:
    """The database is down or unreachable: say so (503), and let clients retry, instead of a bare 500."""
    log.error("database unavailable on %s %s: %s", request.method, request.url.path, type(error).__name__)
    headers = {"Retry-After": "30"}
    if wants_json(request):
        return JSONResponse({"detail": _status_message(503), "code": "database_unavailable"}, status_code=503,
                            headers=headers)
    return _html_error(request, 503, _status_message(503), headers)


async def handle_unexpected(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    if wants_json(request):
        return JSONResponse({"detail": _status_message(500)}, status_code=500)
    return _html_error(request, 500, _status_message(500))


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, handle_domain_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(OperationalError, handle_database_unavailable)
    app.add_exception_handler(Exception, handle_unexpected)
