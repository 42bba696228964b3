"""The signed-in person's own account pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import CurrentSession, CurrentUser, SessionDep, SettingsDep
from app.errors import Invalid
from app.i18n import _
from app.routes.guards import csrf_protected, signed_in
from app.routes.web import clear_session_cookie, redirect
from app.services import accounts
from app.templating import render
from app.views import role_names

router = APIRouter(dependencies=[signed_in, csrf_protected], include_in_schema=False)


def _account_page(request: Request, *, errors: dict[str, str] | None = None, message: str | None = None,
                   status_code: int = 200) -> HTMLResponse:
    return render(request, "account/account.html",
                  {"errors": errors or {}, "message": message, "role_names": role_names()},
                  status_code=status_code)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, user: CurrentUser, saved: str | None = None) -> HTMLResponse:
    return _account_page(request, message=_("Your password has been changed.") if saved == "password" else None)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    user: CurrentUser,
    user_session: CurrentSession,
    session: SessionDep,
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    try:
        accounts.change_password(session, user=user, current_password=current_password,
                                 new_password=new_password, current_session_id=user_session.id)
    except Invalid as error:
        return _account_page(request, errors={error.field or "__all__": error.message}, status_code=422)
    return redirect("/account?saved=password")


@router.post("/logout")
def logout(user_session: CurrentSession, session: SessionDep, settings: SettingsDep) -> Response:
    accounts.end_session(session, session_id=user_session.id)
    response = redirect("/")
    clear_session_cookie(response, settings=settings)
    return response
