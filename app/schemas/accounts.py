from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.models import Role, User
from app.services import training


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320, examples=["spotter@example.org"])
    password: str = Field(max_length=256)
    display_name: str = Field(max_length=200)
    locale: str | None = Field(default=None, max_length=16)


class UserPublic(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role
    certified: bool
    certified_until: datetime | None
    locale: str | None = None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            id=user.id,  # type: ignore[arg-type]
            email=user.email,
            display_name=user.display_name,
            role=Role(user.role),
            certified=training.is_certified(user),
            certified_until=user.certified_until,
            locale=user.locale,
            created_at=user.created_at,
        )


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_at: datetime


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    reason: str | None = Field(default=None, max_length=2000)


class MeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: str | None = Field(default=None, max_length=16)
    display_name: str | None = Field(default=None, max_length=200)
