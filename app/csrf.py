"""CSRF protection for cookie-authenticated pages.

Two checks on every unsafe request to the HTML routes: the browser must say it comes from
our own origin (Origin / Sec-Fetch-Site), and it must carry a token bound to the session
(or, before login, to the visitor's anonymous cookie). The JSON API is not concerned: it
never reads cookies.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import Request

from app.errors import Forbidden
from app.i18n import _
from app.security import csrf_token, csrf_valid

VISITOR_COOKIE = "cs_visitor"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_visitor_id() -> str:
    return secrets.token_urlsafe(24)


def _binding(request: Request) -> str:
    user_session = getattr(request.state, "user_session", None)
    if user_session is not None:
        return f"session:{user_session.id}"
    visitor = request.scope.get("state", {}).get("visitor_id") or request.cookies.get(VISITOR_COOKIE, "")
    return f"visitor:{visitor}"


def csrf_token_for(request: Request) -> str:
    return csrf_token(key=request.app.state.settings.signing_key, binding=_binding(request))


def _same_origin(request: Request) -> bool:
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        # Old browsers send no Origin on same-origin form posts; the token still has to match.
        return origin is None
    parts = urlsplit(origin)
    allowed = {request.headers.get("host", ""), urlsplit(request.app.state.settings.base_url).netloc}
    return parts.netloc in allowed


async def verify_csrf(request: Request) -> None:
    """Router dependency for every HTML router (after the user is known)."""
    if request.method in SAFE_METHODS:
        return
    if not _same_origin(request):
        raise Forbidden(_("This form was sent from another site, so it was refused."), code="csrf_origin")
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    if not csrf_valid(token, key=request.app.state.settings.signing_key, binding=_binding(request)):
        raise Forbidden(
            _("This form has expired or was not sent by this site. Please reload the page and try again."),
            code="csrf_token",
        )
