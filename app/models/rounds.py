"""Rounds: a few weeks in which enrolled volunteers commit to a weekly minimum of reports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field


class Round(SQLModel, table=True):
    __tablename__ = "rounds"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    starts_on: date
    weeks: int = Field(default=4)
    weekly_minimum: int = Field(default=5)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()


class RoundEnrolment(SQLModel, table=True):
    __tablename__ = "round_enrolments"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    enrolled_at: datetime = created_at_field()
