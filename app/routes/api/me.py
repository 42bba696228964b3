"""The caller's own account."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.deps import CurrentSession, CurrentUser, SessionDep
from app.errors import Invalid
from app.i18n import _, normalize_locale
from app.schemas.accounts import MeUpdate, PasswordChange, UserPublic
from app.services import accounts

router = APIRouter(prefix="/me", tags=["accounts"])


@router.get("", response_model=UserPublic)
def read_me(user: CurrentUser) -> UserPublic:
    """Who the token belongs to, with the role and certification."""
    return UserPublic.of(user)


@router.patch("", response_model=UserPublic)
def update_me(data: MeUpdate, user: CurrentUser, session: SessionDep) -> UserPublic:
    """Change the display name or the preferred language (en, fr, de, zh)."""
    if data.locale is not None:
        if normalize_locale(data.locale) is None:
            raise Invalid(_("Unknown language: choose en, fr, de or zh."), field="locale")
        accounts.set_locale(session, user=user, locale=data.locale)
    if data.display_name is not None:
        user.display_name = accounts.clean_display_name(data.display_name)
        session.add(user)
    return UserPublic.of(user)


@router.put("/password", status_code=204, response_class=Response)
def change_password(data: PasswordChange, user: CurrentUser, user_session: CurrentSession,
                    session: SessionDep) -> Response:
    """Change the password; every other session of this account ends."""
    accounts.change_password(
        session, user=user, current_password=data.current_password, new_password=data.new_password,
        current_session_id=user_session.id,
    )
    return Response(status_code=204)
