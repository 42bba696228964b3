"""Pages anyone may see: home, register, log in, language, the web app manifest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.deps import OptionalUser, SessionDep, SettingsDep
from app.errors import Conflict, Invalid, InvalidCredentials, RateLimited
from app.i18n import _, normalize_locale
from app.models import utcnow
from app.routes.guards import csrf_protected
from app.routes.web import redirect, safe_next, set_language_cookie, set_session_cookie
from app.services import accounts
from app.templating import render

router = APIRouter(dependencies=[csrf_protected], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: OptionalUser) -> HTMLResponse:
    """The front page: what Cyber Spotter is, and the next step for whoever is looking."""
    return render(request, "public/home.html", {"now": utcnow()})


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request, user: OptionalUser) -> Response:
    if user is not None:
        return redirect("/")
    return render(request, "auth/register.html", {"form": {}, "errors": {}})


@router.post("/register", response_class=HTMLResponse)
def register_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    display_name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    form = {"display_name": display_name, "email": email}
    try:
        user = accounts.register(
            session, email=email, password=password, display_name=display_name,
            locale=request.scope["state"].get("locale"),
        )
    except (Invalid, Conflict) as error:
        field = getattr(error, "field", None) or ("email" if isinstance(error, Conflict) else "__all__")
        return render(request, "auth/register.html", {"form": form, "errors": {field: error.message}},
                      status_code=error.status_code)
    issued = accounts.start_session(session, user=user, kind="web", settings=settings)
    response = redirect("/training")
    set_session_cookie(response, token=issued.token, settings=settings)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    if user is not None:
        return redirect(safe_next(next))
    return render(request, "auth/login.html", {"form": {}, "errors": {}, "next": safe_next(next, "")})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = {"email": email}
    try:
        user = accounts.authenticate(
            session, email=email, password=password,
            client_address=request.client.host if request.client else None, settings=settings,
        )
    except (InvalidCredentials, RateLimited) as error:
        # The failure is recorded by the service; returning (not raising) lets the request commit it.
        return render(request, "auth/login.html", {"form": form, "errors": {"__all__": error.message},
                      "next": safe_next(next, "")}, status_code=error.status_code, headers=error.headers)
    issued = accounts.start_session(session, user=user, kind="web", settings=settings)
    default = "/review" if user.is_staff else "/"
    response = redirect(safe_next(next, default))
    set_session_cookie(response, token=issued.token, settings=settings)
    if user.locale:
        set_language_cookie(response, locale=user.locale, settings=settings)
    return response


@router.post("/language")
def choose_language(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    language: Annotated[str, Form(max_length=16)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The language switcher: kept in a cookie, and in the account when logged in."""
    locale = normalize_locale(language)
    if locale is None:
        raise Invalid(_("Unknown language: choose en, fr, de or zh."), field="language")
    if user is not None:
        accounts.set_locale(session, user=user, locale=locale)
    response = redirect(safe_next(next))
    set_language_cookie(response, locale=locale, settings=settings)
    return response


@router.get("/manifest.webmanifest")
def manifest() -> JSONResponse:
    """Installable app; `share_target` puts Cyber Spotter in the phone's share menu."""
    return JSONResponse(
        {
            "name": "Cyber Spotter",
            "short_name": "Cyber Spotter",
            "description": _("Spot wildlife trafficking online, report it, get it taken down."),
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#f7f5ef",
            "theme_color": "#1f5f4a",
            "icons": [
                {"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
                {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
                {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"},
            ],
            "share_target": {
                "action": "/report",
                "method": "GET",
                "params": {"title": "title", "text": "text", "url": "url"},
            },
        },
        media_type="application/manifest+json",
    )
