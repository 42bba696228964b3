"""People, their sessions and failed logins."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, optional_time_field, time_field


class Role(StrEnum):
    volunteer = "volunteer"
    expert = "expert"
    admin = "admin"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    display_name: str = Field(max_length=80)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=Role.volunteer, max_length=16, index=True)
    locale: str | None = Field(default=None, max_length=8)
    certified_until: datetime | None = optional_time_field()
    # Experts see distressing images all day: evidence is blurred until clicked unless they opt out.
    blur_evidence: bool = Field(default=True)
    leaderboard_opt_in: bool = Field(default=False)
    created_at: datetime = created_at_field()
    password_changed_at: datetime | None = optional_time_field()
    deleted_at: datetime | None = optional_time_field()

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.expert, Role.admin)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class UserSession(SQLModel, table=True):
    """A server-side session: logout and password changes end it, whatever the token says."""

    __tablename__ = "user_sessions"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    kind: str = Field(default="web", max_length=8)  # web (cookie) or api (bearer)
    created_at: datetime = created_at_field()
    expires_at: datetime = time_field()
    revoked_at: datetime | None = optional_time_field()


class LoginFailure(SQLModel, table=True):
    """One failed login, counted per account and per client address to throttle guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400)
    at: datetime = created_at_field()
