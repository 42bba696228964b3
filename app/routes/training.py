"""Training pages: lessons, the quiz and its result. Plain forms; no JavaScript needed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from app.content import Lesson, TrainingContent
from app.deps import ContentDep, CurrentUser, SessionDep, SettingsDep
from app.errors import Conflict, Invalid, RateLimited
from app.i18n import get_locale
from app.models import QuizAttempt, User
from app.routes.guards import csrf_protected, signed_in
from app.routes.web import redirect
from app.services import quiz, training
from app.templating import render

router = APIRouter(prefix="/training", dependencies=[signed_in, csrf_protected], include_in_schema=False)

ANSWER_PREFIX = "answer-"
# The loader keeps a lesson's own "# Title"; the page prints the title itself.
_LEADING_H1 = re.compile(r"^\s*<h1>.*?</h1>\s*", re.DOTALL)


@dataclass
class AnswerForm:
    answers: dict[str, list[str]] = field(default_factory=dict)
    confirm_incomplete: bool = False


async def answer_form(request: Request) -> AnswerForm:
    """The quiz form: `answer-<question id>` fields, one value per ticked choice."""
    form = await request.form()
    parsed = AnswerForm(confirm_incomplete=form.get("confirm_incomplete") == "1")
    for key, value in form.multi_items():
        if key.startswith(ANSWER_PREFIX) and isinstance(value, str):
            parsed.answers.setdefault(key[len(ANSWER_PREFIX):], []).append(value)
    return parsed


def lesson_body(lesson: Lesson) -> str:
    return _LEADING_H1.sub("", lesson.html, count=1)


def _course_context(session: SessionDep, user: User, content: TrainingContent, settings: SettingsDep) -> dict[str, Any]:
    lang = get_locale()
    lessons = training.lesson_statuses(session, user=user, content=content, lang=lang)
    found = quiz.availability(session, user=user, content=content, settings=settings)
    return {
        "lessons": lessons,
        "read_count": sum(1 for status in lessons if status.read),
        "availability": found,
        "blocked_message": quiz.blocked_message(found, content=content, lang=lang) if found.blocked_by else "",
        "certified": training.is_certified(user),
        "bank": content.quiz,
        "settings": settings,
        "required": quiz.required_correct(content.quiz.pass_mark, content.quiz.questions_per_attempt),
    }


@router.get("", response_class=HTMLResponse)
def course(request: Request, user: CurrentUser, session: SessionDep, content: ContentDep,
           settings: SettingsDep) -> HTMLResponse:
    context = _course_context(session, user, content, settings)
    context["attempts"] = quiz.recent_attempts(session, user=user, limit=10)
    return render(request, "training/index.html", context)


@router.get("/lessons/{slug}", response_class=HTMLResponse)
def lesson_page(slug: str, request: Request, user: CurrentUser, session: SessionDep,
                content: ContentDep) -> HTMLResponse:
    lang = get_locale()
    lesson, fell_back = training.get_lesson(content, slug=slug, lang=lang)
    slugs = content.lesson_slugs
    position = slugs.index(slug)
    read = training.read_lessons(session, user=user)
    next_slug = training.next_lesson_slug(content, slug)
    return render(request, "training/lesson.html", {
        "lesson": lesson,
        "body_html": lesson_body(lesson),
        "fell_back": fell_back,
        "number": position + 1,
        "total": len(slugs),
        "read_at": read.get(slug),
        "all_read": all(s in read for s in slugs),
        "previous": content.lesson(slugs[position - 1], lang).item if position > 0 else None,
        "next": content.lesson(next_slug, lang).item if next_slug else None,
    })


@router.post("/lessons/{slug}/read")
def mark_read(slug: str, user: CurrentUser, session: SessionDep, content: ContentDep) -> Response:
    """Mark as read, then on to the next lesson (or to the quiz once every lesson is read)."""
    training.mark_read(session, user=user, content=content, slug=slug)
    unread = training.unread_lesson_slugs(session, user=user, content=content)
    next_slug = training.next_lesson_slug(content, slug)
    if next_slug and next_slug in unread:
        return redirect(f"/training/lessons/{next_slug}")
    if unread:
        return redirect(f"/training/lessons/{unread[0]}")
    return redirect("/training/quiz")


# The quiz -----------------------------------------------------------------------------


def _start_page(request: Request, session: SessionDep, user: User, content: TrainingContent, settings: SettingsDep,
                *, status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    context = _course_context(session, user, content, settings)
    return render(request, "training/quiz_start.html", context, status_code=status_code, headers=headers)


@router.get("/quiz", response_class=HTMLResponse)
def quiz_page(request: Request, user: CurrentUser, session: SessionDep, content: ContentDep,
              settings: SettingsDep) -> Response:
    found = quiz.availability(session, user=user, content=content, settings=settings)
    if found.open_attempt is not None:
        return redirect(f"/training/quiz/{found.open_attempt.id}")
    return _start_page(request, session, user, content, settings)


@router.post("/quiz", response_class=HTMLResponse)
def start_quiz(request: Request, user: CurrentUser, session: SessionDep, content: ContentDep,
               settings: SettingsDep) -> Response:
    try:
        attempt, _created = quiz.start_attempt(session, user=user, content=content, settings=settings,
                                               lang=get_locale())
    except (Conflict, RateLimited) as error:
        return _start_page(request, session, user, content, settings, status_code=error.status_code,
                           headers=error.headers)
    return redirect(f"/training/quiz/{attempt.id}")


def _attempt_page(request: Request, attempt: QuizAttempt, *, user: User, content: TrainingContent,
                  settings: SettingsDep, session: SessionDep, selected: dict[str, list[str]] | None = None,
                  error: str | None = None, missing: list[str] | None = None, status_code: int = 200,
                  message: str | None = None) -> HTMLResponse:
    lang = get_locale()
    state = quiz.attempt_state(attempt, content=content)
    context: dict[str, Any] = {
        "attempt": attempt,
        "state": state.value,
        "selected": selected or {},
        "error": error,
        "missing": set(missing or ()),
        "message": message,
        "settings": settings,
        "bank": content.quiz,
        "required": quiz.required_correct(content.quiz.pass_mark, len(attempt.question_ids)),
    }
    if state is quiz.AttemptState.graded:
        context["results"] = quiz.results(attempt, content=content, lang=lang)
        context["certified"] = training.is_certified(user)
        context["bank_changed"] = attempt.content_version != content.quiz.version
        found = quiz.availability(session, user=user, content=content, settings=settings)
        context["availability"] = found
        context["blocked_message"] = quiz.blocked_message(found, content=content, lang=lang) if found.blocked_by else ""
    elif state is quiz.AttemptState.open:
        context["questions"] = quiz.present(attempt, content=content, lang=lang)
    return render(request, "training/attempt.html", context, status_code=status_code)


@router.get("/quiz/{attempt_id}", response_class=HTMLResponse)
def attempt_page(attempt_id: int, request: Request, user: CurrentUser, session: SessionDep, content: ContentDep,
                 settings: SettingsDep) -> HTMLResponse:
    attempt = quiz.get_attempt(session, user=user, attempt_id=attempt_id)
    return _attempt_page(request, attempt, user=user, content=content, settings=settings, session=session)


@router.post("/quiz/{attempt_id}", response_class=HTMLResponse)
def submit_quiz(attempt_id: int, request: Request, form: Annotated[AnswerForm, Depends(answer_form)],
                user: CurrentUser, session: SessionDep, content: ContentDep, settings: SettingsDep) -> Response:
    attempt = quiz.get_attempt(session, user=user, attempt_id=attempt_id)
    if quiz.attempt_state(attempt, content=content) is quiz.AttemptState.graded:
        return redirect(f"/training/quiz/{attempt.id}")  # a second click on "Submit": show the result
    missing = [qid for qid in attempt.question_ids if not form.answers.get(qid)]
    if missing and not form.confirm_incomplete and quiz.attempt_state(attempt, content=content) is quiz.AttemptState.open:
        return _attempt_page(request, attempt, user=user, content=content, settings=settings, session=session,
                             selected=form.answers, missing=missing, status_code=422)
    try:
        quiz.grade(session, user=user, attempt_id=attempt.id, content=content, settings=settings,  # type: ignore[arg-type]
                   answers=form.answers)
    except Invalid as error:
        return _attempt_page(request, attempt, user=user, content=content, settings=settings, session=session,
                             selected=form.answers, error=error.message, status_code=422)
    except Conflict as error:
        if error.code == "attempt_graded":
            return redirect(f"/training/quiz/{attempt.id}")
        return _attempt_page(request, attempt, user=user, content=content, settings=settings, session=session,
                             message=error.message, status_code=409)
    return redirect(f"/training/quiz/{attempt.id}")
