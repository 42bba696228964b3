"""Registration and tokens for phones and integrations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from app.deps import CurrentSession, SessionDep, SettingsDep
from app.schemas.accounts import Token, UserCreate, UserPublic
from app.schemas.common import ErrorPublic
from app.services import accounts

router = APIRouter(prefix="/auth", tags=["accounts"])


@router.post("/register", status_code=201, response_model=UserPublic,
             responses={409: {"model": ErrorPublic}, 422: {"description": "Invalid e-mail, name or password"}})
def register(data: UserCreate, session: SessionDep) -> UserPublic:
    """Create a volunteer account. Passwords: at least 12 characters, not a common one."""
    user = accounts.register(
        session, email=data.email, password=data.password, display_name=data.display_name, locale=data.locale
    )
    return UserPublic.of(user)


@router.post("/token", response_model=Token, responses={401: {"model": ErrorPublic}, 429: {"model": ErrorPublic}})
def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """OAuth2 password flow: `username` is the e-mail address. Failed logins are throttled."""
    user = accounts.authenticate(
        session,
        email=form.username,
        password=form.password,
        client_address=request.client.host if request.client else None,
        settings=settings,
    )
    issued = accounts.start_session(session, user=user, kind="api", settings=settings)
    return Token(access_token=issued.token, expires_at=issued.expires_at)


@router.post("/logout", status_code=204, response_class=Response)
def logout(user_session: CurrentSession, session: SessionDep) -> Response:
    """End the session of this token: it stops working at once."""
    accounts.end_session(session, session_id=user_session.id)
    return Response(status_code=204)
