"""Domain errors carry their HTTP status and a message a person understands.

Services raise them; `app.error_handlers` renders them as JSON under /api and as an HTML
page (or an htmx fragment) for browsers. Messages are translated when raised, in the
language of the request.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "bad_request"
    # When True, the request's transaction is committed before the error is answered:
    # for errors that must leave a trace (a failed login counts towards throttling).
    commit = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"detail": self.message, "code": self.code, **self.extra}


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    commit = True


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


class Invalid(DomainError):
    """Input that is well-formed but wrong; `field` names the form field for inline errors."""

    status_code = 422
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.field = field
        if field:
            self.extra.setdefault("field", field)


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        retry_after = max(1, int(retry_after))
        kwargs.setdefault("headers", {})["Retry-After"] = str(retry_after)
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.extra.setdefault("retry_after", retry_after)


class Unavailable(DomainError):
    status_code = 503
    code = "unavailable"
