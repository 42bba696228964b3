"""Onboarding: lessons read and quiz attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, optional_time_field, time_field


class LessonProgress(SQLModel, table=True):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    lesson_slug: str = Field(max_length=80)
    read_at: datetime = created_at_field()


class QuizAttempt(SQLModel, table=True):
    __tablename__ = "quiz_attempts"
    __table_args__ = (Index("ix_quiz_attempts_user_started", "user_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    content_version: str = Field(max_length=64)
    language: str = Field(default="en", max_length=8)
    # The drawn questions in order, and each question's shuffled choice order.
    question_ids: list[str] = Field(sa_type=JSON)
    choice_order: dict[str, list[str]] = Field(sa_type=JSON)
    started_at: datetime = created_at_field()
    expires_at: datetime = time_field()
    submitted_at: datetime | None = optional_time_field()
    answers: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    correct_count: int | None = None
    score: float | None = None
    pass_mark: float | None = None
    passed: bool | None = None
