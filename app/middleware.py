"""One pure-ASGI middleware for what every answer needs: its language, a visitor cookie for
CSRF before login, security headers, and one structured log line."""

from __future__ import annotations

import json
import logging
import time
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n
from app.csrf import VISITOR_COOKIE, new_visitor_id

LANGUAGE_COOKIE = "cs_lang"
log = logging.getLogger("cyberspotter.access")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)
# The interactive API docs load their script and style from the app itself (see app.main).
DOCS_PATHS = ("/docs", "/redoc")


def _cookies(scope: Scope) -> dict[str, str]:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                return {}
            return {key: morsel.value for key, morsel in jar.items()}
    return {}


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return None


def choose_locale(scope: Scope, cookies: dict[str, str]) -> str:
    """An explicit choice (cookie) beats Accept-Language, which beats English. The API ignores cookies."""
    is_api = scope["path"].startswith("/api/")
    explicit = None if is_api else i18n.normalize_locale(cookies.get(LANGUAGE_COOKIE))
    return explicit or i18n.negotiate(_header(scope, b"accept-language")) or i18n.DEFAULT_LOCALE


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        cookies = _cookies(scope)
        locale = choose_locale(scope, cookies)
        i18n.set_locale(locale)
        state = scope.setdefault("state", {})
        state["locale"] = locale
        new_visitor = None
        if not scope["path"].startswith(("/api/", "/static/")) and VISITOR_COOKIE not in cookies:
            new_visitor = new_visitor_id()
            state["visitor_id"] = new_visitor
        status_holder = {"status": 500}
        path = scope["path"]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
                if not path.startswith(DOCS_PATHS):
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                else:
                    headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
                headers.setdefault("Content-Language", i18n.HTML_LANG[locale])
                if new_visitor:
                    secure = "; Secure" if self.secure_cookies else ""
                    headers.append(
                        "Set-Cookie",
                        f"{VISITOR_COOKIE}={new_visitor}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000{secure}",
                    )
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            # Never log the query string, headers or bodies: they may carry tokens or personal data.
            log.info(
                json.dumps(
                    {
                        "event": "request",
                        "method": scope["method"],
                        "path": path,
                        "status": status_holder["status"],
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    }
                )
            )
