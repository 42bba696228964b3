"""Onboarding over the API: lessons, the quiz, and admins' certification controls."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select
from sqlmodel import Session

from app.config import Settings
from app.content import TrainingContent
from app.deps import ContentDep, CurrentAdmin, CurrentUser, SessionDep, SettingsDep, require_admin
from app.errors import Invalid
from app.i18n import _, get_locale
from app.models import QuizAttempt, User
from app.routes.api.admin_users import UserById
from app.schemas.accounts import UserPublic
from app.schemas.common import ErrorPublic, Page
from app.schemas.training import (
    AdminTrainingStatusPublic,
    AttemptAnswersCreate,
    AttemptPublic,
    AttemptResultPublic,
    AttemptSummaryPublic,
    CertificationUpdate,
    ModuleDetailPublic,
    ModulePublic,
    ModuleReadPublic,
    TrainingStatusPublic,
)
from app.services import quiz, training

router = APIRouter(prefix="/training", tags=["training"])
admin_router = APIRouter(prefix="/admin/users", tags=["admin"], dependencies=[Depends(require_admin)])

NOT_LOGGED_IN = {401: {"model": ErrorPublic, "description": "Not logged in."}}
NO_SUCH_LESSON = {404: {"model": ErrorPublic, "description": "No lesson with this slug."}}
NO_SUCH_ATTEMPT = {404: {"model": ErrorPublic, "description": "No such attempt, or not the caller's."}}


def _cursor(attempt_id: int) -> str:
    return base64.urlsafe_b64encode(f"a{attempt_id}".encode()).decode().rstrip("=")


def _after(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if raw.startswith("a") and raw[1:].isdigit():
            return int(raw[1:])
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text given to b64decode
        pass
    raise Invalid(_("This cursor is not valid; use the next_cursor of a previous answer."), field="cursor")


def training_status(session: Session, *, user: User, content: TrainingContent, settings: Settings) -> TrainingStatusPublic:
    lessons = training.lesson_statuses(session, user=user, content=content, lang=get_locale())
    found = quiz.availability(session, user=user, content=content, settings=settings)
    return TrainingStatusPublic(
        certified=training.is_certified(user),
        certified_until=user.certified_until,
        lessons_total=len(lessons),
        lessons_read=sum(1 for status in lessons if status.read),
        unread_lessons=list(found.unread_lessons),
        open_attempt_id=found.open_attempt.id if found.open_attempt else None,
        can_start_attempt=found.can_start,
        blocked_by=found.blocked_by.value if found.blocked_by and not found.open_attempt else None,
        next_attempt_at=found.retry_at if not found.open_attempt else None,
        attempts_in_last_day=found.attempts_in_last_day,
        attempts_per_day=found.attempts_per_day,
        questions_per_attempt=content.quiz.questions_per_attempt,
        pass_mark=content.quiz.pass_mark,
        attempt_minutes=settings.quiz_attempt_minutes,
    )


# Lessons ------------------------------------------------------------------------------


@router.get("/modules", response_model=list[ModulePublic], responses=NOT_LOGGED_IN)
def list_modules(user: CurrentUser, session: SessionDep, content: ContentDep) -> list[ModulePublic]:
    """The lessons in course order, each in the caller's language where translated, with read / not read."""
    statuses = training.lesson_statuses(session, user=user, content=content, lang=get_locale())
    return [ModulePublic.of(status) for status in statuses]


@router.get("/modules/{slug}", response_model=ModuleDetailPublic, responses={**NOT_LOGGED_IN, **NO_SUCH_LESSON})
def read_module(slug: str, user: CurrentUser, session: SessionDep, content: ContentDep) -> ModuleDetailPublic:
    """One lesson with its body as sanitised HTML and its sources.

    `translated: false` means the lesson is shown in English because it has no
    translation in the caller's language yet.
    """
    lesson, fell_back = training.get_lesson(content, slug=slug, lang=get_locale())
    read_at = training.read_lessons(session, user=user).get(slug)
    status = training.LessonStatus(lesson=lesson, fell_back=fell_back, read_at=read_at, number=lesson.order)
    return ModuleDetailPublic(**ModulePublic.of(status).model_dump(), html=lesson.html, sources=list(lesson.sources),
                              next_slug=training.next_lesson_slug(content, slug))


@router.post("/modules/{slug}/read", response_model=ModuleReadPublic, responses={**NOT_LOGGED_IN, **NO_SUCH_LESSON})
def mark_module_read(slug: str, user: CurrentUser, session: SessionDep, content: ContentDep) -> ModuleReadPublic:
    """Mark a lesson as read (again is fine). The quiz opens once every lesson is read."""
    read_at = training.mark_read(session, user=user, content=content, slug=slug)
    unread = training.unread_lesson_slugs(session, user=user, content=content)
    return ModuleReadPublic(slug=slug, read_at=read_at, all_read=not unread,
                            next_slug=training.next_lesson_slug(content, slug))


@router.get("/status", response_model=TrainingStatusPublic, responses=NOT_LOGGED_IN)
def read_status(user: CurrentUser, session: SessionDep, content: ContentDep,
                settings: SettingsDep) -> TrainingStatusPublic:
    """Where the caller stands: lessons read, certification, and whether a quiz attempt may start now."""
    return training_status(session, user=user, content=content, settings=settings)


# The quiz -----------------------------------------------------------------------------


@router.post(
    "/attempts",
    status_code=201,
    response_model=AttemptPublic,
    responses={
        **NOT_LOGGED_IN,
        200: {"model": AttemptPublic, "description": "An attempt was still open: it is returned, not a new one."},
        409: {"model": ErrorPublic, "description": "Some lessons are not read yet (`unread_lessons`)."},
        429: {"model": ErrorPublic, "description": "Cooldown after a failed attempt, or the daily limit; "
                                                   "see `Retry-After` (seconds) and `retry_at`."},
    },
)
def start_attempt(response: Response, user: CurrentUser, session: SessionDep, content: ContentDep,
                  settings: SettingsDep) -> AttemptPublic:
    """Start a quiz attempt: `questions_per_attempt` questions drawn at random across the lessons.

    Choices come shuffled and without any hint of which are right. Answer within the
    attempt's hour with `POST /api/v1/training/attempts/{id}/answers`. If an attempt is
    still open it is returned again (200) instead of drawing a new one. After a failed
    attempt the next one waits for the cooldown, and a day allows a limited number of
    attempts; beyond that the answer is 429 with `Retry-After`.
    """
    lang = get_locale()
    attempt, created = quiz.start_attempt(session, user=user, content=content, settings=settings, lang=lang)
    response.status_code = 201 if created else 200
    return AttemptPublic.of(attempt, content=content, lang=lang, certified_until=user.certified_until)


@router.get("/attempts", response_model=Page[AttemptSummaryPublic], responses=NOT_LOGGED_IN)
def list_attempts(
    user: CurrentUser,
    session: SessionDep,
    content: ContentDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[AttemptSummaryPublic]:
    """The caller's attempts, newest first, with their scores."""
    statement = select(QuizAttempt).where(QuizAttempt.user_id == user.id)
    after = _after(cursor)
    if after is not None:
        statement = statement.where(QuizAttempt.id < after)
    rows = list(session.execute(statement.order_by(QuizAttempt.id.desc()).limit(limit + 1)).scalars())  # type: ignore[union-attr]
    next_cursor = _cursor(rows[limit - 1].id) if len(rows) > limit else None  # type: ignore[arg-type]
    return Page(items=[AttemptSummaryPublic.of(a, content=content) for a in rows[:limit]], next_cursor=next_cursor)


@router.get("/attempts/{attempt_id}", response_model=AttemptPublic, responses={**NOT_LOGGED_IN, **NO_SUCH_ATTEMPT})
def read_attempt(attempt_id: int, user: CurrentUser, session: SessionDep, content: ContentDep) -> AttemptPublic:
    """One of the caller's attempts: its questions, and once graded its `result` with every explanation."""
    attempt = quiz.get_attempt(session, user=user, attempt_id=attempt_id)
    return AttemptPublic.of(attempt, content=content, lang=get_locale(), certified_until=user.certified_until)


@router.post(
    "/attempts/{attempt_id}/answers",
    response_model=AttemptResultPublic,
    responses={
        **NOT_LOGGED_IN,
        **NO_SUCH_ATTEMPT,
        409: {"model": ErrorPublic, "description": "Already graded (`attempt_graded`), expired (`attempt_expired`) "
                                                   "or the question bank changed (`quiz_changed`)."},
        422: {"model": ErrorPublic, "description": "Unknown question or choice ids (named in the answer), "
                                                   "or several choices for a single-answer question."},
    },
)
def submit_answers(attempt_id: int, data: AttemptAnswersCreate, user: CurrentUser, session: SessionDep,
                   content: ContentDep, settings: SettingsDep) -> AttemptResultPublic:
    """Grade the attempt, once. An unanswered question counts as wrong.

    A question is right when the ticked choices are exactly the correct ones. Passing
    (at least `pass_mark` of the questions) certifies the caller for the configured
    period; `certified_until` says until when. The answer shows every question's
    correct choices and explanation.
    """
    attempt = quiz.grade(session, user=user, attempt_id=attempt_id, content=content, settings=settings,
                         answers=data.answers)
    return AttemptResultPublic.of(attempt, content=content, lang=get_locale(), certified_until=user.certified_until)


# Admins -------------------------------------------------------------------------------


@admin_router.post(
    "/{user_id}/certification",
    response_model=UserPublic,
    responses={404: {"model": ErrorPublic, "description": "No such user."},
               422: {"model": ErrorPublic, "description": "No reason given, or an end date in the past."}},
)
def change_certification(data: CertificationUpdate, person: UserById, admin: CurrentAdmin, session: SessionDep,
                         settings: SettingsDep) -> UserPublic:
    """Grant or revoke someone's certification, with a reason (kept in the audit log).

    `grant` certifies for the usual period (or until `until`); `revoke` ends it now. Either
    way the person can (re)gain it by passing the quiz.
    """
    if data.action == "grant":
        training.grant_certification(session, admin=admin, user=person, settings=settings, reason=data.reason,
                                     until=data.until)
    else:
        if data.until is not None:
            raise Invalid(_("A revocation takes effect now; leave out `until`."), field="until")
        training.revoke_certification(session, admin=admin, user=person, reason=data.reason)
    return UserPublic.of(person)


@admin_router.get("/{user_id}/training", response_model=AdminTrainingStatusPublic,
                  responses={404: {"model": ErrorPublic, "description": "No such user."}})
def read_training_status(person: UserById, session: SessionDep, content: ContentDep) -> AdminTrainingStatusPublic:
    """A person's training: lessons read, quiz attempts with scores, certification."""
    lessons = training.lesson_statuses(session, user=person, content=content, lang=get_locale())
    attempts = quiz.recent_attempts(session, user=person, limit=50)
    return AdminTrainingStatusPublic(
        user_id=person.id,  # type: ignore[arg-type]
        role=person.role,
        certified=training.is_certified(person),
        certified_until=person.certified_until,
        lessons=[ModulePublic.of(status) for status in lessons],
        attempts=[AttemptSummaryPublic.of(a, content=content) for a in attempts],
    )

