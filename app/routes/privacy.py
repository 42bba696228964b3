"""Your data pages: download everything we hold about you, delete your account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.deps import CurrentUser, SessionDep, SettingsDep
from app.errors import Conflict, Invalid
from app.models import utcnow
from app.routes.api.privacy import personal_data_response
from app.routes.guards import csrf_protected, signed_in
from app.routes.web import clear_session_cookie, redirect
from app.services import privacy
from app.templating import render

account_router = APIRouter(prefix="/account", dependencies=[signed_in, csrf_protected], include_in_schema=False)
public_router = APIRouter(include_in_schema=False)
router = APIRouter()


@account_router.get("/data", response_class=HTMLResponse)
def data_page(request: Request) -> HTMLResponse:
    return render(request, "privacy/data.html")


@account_router.get("/data/export.json")
def download_data(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    data = privacy.export_personal_data(session, user=user, now=utcnow(), base_url=settings.base_url.rstrip("/"))
    return personal_data_response(data, user_id=user.id)  # type: ignore[arg-type]


@account_router.get("/delete", response_class=HTMLResponse)
def delete_page(request: Request) -> HTMLResponse:
    return render(request, "privacy/delete.html", {"errors": {}})


@account_router.post("/delete", response_class=HTMLResponse)
def delete_account(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    try:
        privacy.delete_account(session, user=user, password=password, settings=settings, now=utcnow())
    except privacy.WrongPassword as error:
        # Answered here (not raised): the request commits, so the failed attempt counts for throttling.
        return render(request, "privacy/delete.html", {"errors": {"password": error.message}}, status_code=422)
    except (Conflict, Invalid) as error:
        return render(request, "privacy/delete.html", {"errors": {"__all__": error.message}},
                      status_code=error.status_code)
    response = redirect("/account/deleted")
    clear_session_cookie(response, settings=settings)
    return response


@public_router.get("/account/deleted", response_class=HTMLResponse)
def deleted_page(request: Request) -> HTMLResponse:
    return render(request, "privacy/deleted.html")


router.include_router(account_router)
router.include_router(public_router)
