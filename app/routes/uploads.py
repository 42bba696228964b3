"""A route class that refuses oversize request bodies before they are read.

FastAPI reads (and spools) a whole multipart body before any dependency runs, so the
size check must come earlier: here, in the route's handler. A declared Content-Length
above the route's cap is answered 413 at once, without reading the body; a body without
one (chunked) is counted as it arrives and cut off at the cap.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import Message

from app.config import Settings
from app.errors import TooLarge
from app.i18n import _

# Room for the text fields and part headers of a report form (a listing's text is long).
FORM_OVERHEAD_BYTES = 512 * 1024
PER_FILE_OVERHEAD_BYTES = 16 * 1024
JSON_BODY_LIMIT = 512 * 1024

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def max_upload_files(count: int) -> Callable[[Endpoint], Endpoint]:
    """Declare how many files an endpoint takes at most (default: `evidence_per_report`)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.max_upload_files = count  # type: ignore[attr-defined]
        return endpoint

    return mark


def body_limit(settings: Settings, *, content_type: str, files: int) -> int:
    if content_type.startswith("multipart/form-data"):
        return files * (settings.evidence_max_bytes + PER_FILE_OVERHEAD_BYTES) + FORM_OVERHEAD_BYTES
    return JSON_BODY_LIMIT


def _too_large(limit: int) -> TooLarge:
    return TooLarge(
        _("What you sent is larger than %(size)s MB. Send fewer or smaller pictures.", size=f"{limit / 2**20:.0f}"),
        code="request_too_large",
    )


class UploadLimitedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        files = getattr(self.endpoint, "max_upload_files", None)

        async def limited(request: Request) -> Response:
            if request.method not in ("POST", "PUT", "PATCH"):
                return await handler(request)
            settings: Settings = request.app.state.settings
            limit = body_limit(settings, content_type=request.headers.get("content-type", ""),
                               files=files if files is not None else settings.evidence_per_report)
            declared = request.headers.get("content-length")
            if declared is not None:
                if declared.isdigit() and int(declared) > limit:
                    raise _too_large(limit)
                return await handler(request)
            received = {"bytes": 0, "over": False}
            upstream = request.receive

            async def counting_receive() -> Message:
                message = await upstream()
                if message["type"] == "http.request":
                    received["bytes"] += len(message.get("body", b""))
                    if received["bytes"] > limit:
                        received["over"] = True
                        raise _too_large(limit)
                return message

            try:
                return await handler(Request(request.scope, counting_receive))
            except HTTPException:
                # FastAPI turns a failure while reading the body into a 400; say what it was.
                if received["over"]:
                    raise _too_large(limit) from None
                raise

        return limited
