"""Where a quiz attempt stands, and whether a new one may start (lessons first, cooldown, daily limit).

Starting an attempt shows questions, so every attempt started counts towards the daily
limit, answered or not; only a failed attempt imposes the cooldown, because only grading
tells the volunteer anything about the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlmodel import Session

from app.config import Settings
from app.content import QuizBank, TrainingContent
from app.i18n import _, format_timedelta
from app.models import QuizAttempt, User, utcnow
from app.services import training

DAY = timedelta(hours=24)
# Answers sent in the last seconds of the hour still count: a slow phone should not lose the attempt.
GRACE = timedelta(seconds=90)


class AttemptState(StrEnum):
    open = "open"  # can be answered
    graded = "graded"
    expired = "expired"  # the hour ran out before answers came
    stale = "stale"  # the question bank changed so much that this attempt cannot be graded


class Blocker(StrEnum):
    lessons_unread = "lessons_unread"
    daily_limit = "daily_limit"
    cooldown = "cooldown"


@dataclass(frozen=True, slots=True)
class Availability:
    """Whether a new attempt may start now and, if not, why and until when."""

    open_attempt: QuizAttempt | None
    unread_lessons: tuple[str, ...]
    attempts_in_last_day: int
    attempts_per_day: int
    blocked_by: Blocker | None
    retry_at: datetime | None

    @property
    def can_start(self) -> bool:
        return self.open_attempt is not None or self.blocked_by is None

    @property
    def attempts_left(self) -> int:
        return max(0, self.attempts_per_day - self.attempts_in_last_day)


def is_gradable(attempt: QuizAttempt, bank: QuizBank) -> bool:
    """Every drawn question still exists with the same choices (texts may have been corrected)."""
    if attempt.content_version == bank.version:
        return True
    for question_id in attempt.question_ids:
        question = bank.by_id.get(question_id)
        if question is None or set(question.choice_ids) != set(attempt.choice_order.get(question_id, ())):
            return False
    return True


def attempt_state(attempt: QuizAttempt, *, content: TrainingContent, now: datetime | None = None) -> AttemptState:
    if attempt.submitted_at is not None:
        return AttemptState.graded
    if (now or utcnow()) > attempt.expires_at + GRACE:
        return AttemptState.expired
    if not is_gradable(attempt, content.quiz):
        return AttemptState.stale
    return AttemptState.open


def _open_attempt(session: Session, *, user: User, content: TrainingContent, now: datetime) -> QuizAttempt | None:
    candidates = session.execute(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.submitted_at.is_(None),  # type: ignore[union-attr]
               QuizAttempt.expires_at > now)
        .order_by(QuizAttempt.started_at.desc())  # type: ignore[attr-defined]
    ).scalars().all()
    for attempt in candidates:
        # A stale attempt (its questions left the bank) is not resumed: a new one is drawn instead.
        if attempt_state(attempt, content=content, now=now) is AttemptState.open:
            return attempt
    return None


def availability(session: Session, *, user: User, content: TrainingContent, settings: Settings,
                 now: datetime | None = None) -> Availability:
    """What the start button should say: resume, start, or wait (and why, and until when)."""
    now = now or utcnow()
    unread = tuple(training.unread_lesson_slugs(session, user=user, content=content))
    started = list(session.execute(
        select(QuizAttempt.started_at)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.started_at > now - DAY)
        .order_by(QuizAttempt.started_at)
    ).scalars())
    per_day = max(1, settings.quiz_attempts_per_day)
    blocked_by: Blocker | None = None
    retry_at: datetime | None = None
    if unread:
        blocked_by = Blocker.lessons_unread
    elif len(started) >= per_day:
        # A slot frees up when the attempt that fills the window leaves it, 24 hours after it began.
        blocked_by, retry_at = Blocker.daily_limit, started[len(started) - per_day] + DAY
    else:
        last_failed = session.execute(
            select(QuizAttempt.submitted_at)
            .where(QuizAttempt.user_id == user.id, QuizAttempt.passed.is_(False))  # type: ignore[attr-defined]
            .order_by(QuizAttempt.submitted_at.desc())  # type: ignore[union-attr]
            .limit(1)
        ).scalars().first()
        cooldown = timedelta(minutes=settings.quiz_cooldown_minutes)
        if last_failed is not None and last_failed + cooldown > now:
            blocked_by, retry_at = Blocker.cooldown, last_failed + cooldown
    return Availability(
        open_attempt=_open_attempt(session, user=user, content=content, now=now),
        unread_lessons=unread,
        attempts_in_last_day=len(started),
        attempts_per_day=per_day,
        blocked_by=blocked_by,
        retry_at=retry_at,
    )


def blocked_message(found: Availability, *, content: TrainingContent, lang: str, now: datetime | None = None) -> str:
    """Why no attempt can start now, in words a volunteer understands."""
    wait = ""
    if found.retry_at is not None:
        wait = format_timedelta(max(60.0, (found.retry_at - (now or utcnow())).total_seconds()))
    if found.blocked_by is Blocker.lessons_unread:
        titles = [content.lesson(slug, lang).item.title for slug in found.unread_lessons]
        return _("Read every lesson before the quiz. Still to read: %(lessons)s.", lessons=", ".join(titles))
    if found.blocked_by is Blocker.daily_limit:
        return _("You have used your %(n)s attempts for today. You can try again in %(wait)s.",
                 n=found.attempts_per_day, wait=wait)
    if found.blocked_by is Blocker.cooldown:
        return _("Please wait %(wait)s before the next attempt. Reading the lessons again in the meantime helps.",
                 wait=wait)
    return ""
