"""People management for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.deps import CurrentAdmin, SessionDep, require_admin
from app.errors import NotFound
from app.i18n import _
from app.models import Role, User
from app.schemas.accounts import RoleChange, UserPublic
from app.schemas.common import ErrorPublic
from app.services import accounts

router = APIRouter(prefix="/admin/users", tags=["admin"], dependencies=[Depends(require_admin)])


def load_user(user_id: int, session: SessionDep) -> User:
    user = session.get(User, user_id)
    if user is None or user.is_deleted:
        raise NotFound(_("No such user."))
    return user


UserById = Annotated[User, Depends(load_user)]


@router.get("", response_model=list[UserPublic])
def list_users(
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    role: Role | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[UserPublic]:
    """Everyone with an account, filtered by name/e-mail and role."""
    return [UserPublic.of(u) for u in accounts.list_users(session, query=q, role=role, limit=limit, offset=offset)]


@router.patch("/{user_id}/role", response_model=UserPublic,
              responses={404: {"model": ErrorPublic, "description": "No such user."}})
def change_role(data: RoleChange, user: UserById, admin: CurrentAdmin, session: SessionDep) -> UserPublic:
    """Make someone a volunteer, an expert or an admin (audited)."""
    return UserPublic.of(accounts.change_role(session, admin=admin, user=user, role=data.role, reason=data.reason))
