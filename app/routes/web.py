"""Small helpers shared by the HTML routes: cookies, redirects, safe `next` targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi.responses import RedirectResponse

from app.config import Settings
from app.deps import SESSION_COOKIE
from app.middleware import LANGUAGE_COOKIE


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: `next=https://evil.example` or `//evil.example` must not redirect away."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def set_session_cookie(response: RedirectResponse, *, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: RedirectResponse, *, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies)


def set_language_cookie(response: RedirectResponse, *, locale: str, settings: Settings) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE, locale, max_age=365 * 24 * 3600, httponly=True, samesite="lax",
        secure=settings.secure_cookies, path="/",
    )
