"""The certification quiz: drawing an attempt, showing it, grading it once.

An attempt records the drawn question ids, each question's shuffled choice order, the
bank's content version and the language, so it can be shown again exactly as drawn and
graded against the bank it came from. What leaves this module before grading
(`PresentedQuestion`) has no correct flags and no explanations; they appear only in
`QuestionResult`, built from a graded attempt. Attempt states and the limits on
retakes live in `app.services.quiz_state` (re-exported here).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.config import Settings
from app.content import Question, QuizBank, TrainingContent
from app.errors import Conflict, Invalid, NotFound, RateLimited
from app.i18n import _
from app.models import QuizAttempt, User, utcnow
from app.services import audit, training
from app.services.quiz_state import (
    DAY,
    GRACE,
    AttemptState,
    Availability,
    Blocker,
    attempt_state,
    availability,
    blocked_message,
    is_gradable,
)

__all__ = [
    "DAY", "GRACE", "AttemptState", "Availability", "Blocker", "PresentedChoice", "PresentedQuestion",
    "QuestionResult", "attempt_state", "availability", "blocked_message", "clean_answers", "draw_questions",
    "get_attempt", "grade", "is_gradable", "present", "recent_attempts", "required_correct", "results",
    "start_attempt",
]  # fmt: skip

_system_random = random.SystemRandom()


@dataclass(frozen=True, slots=True)
class PresentedChoice:
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class PresentedQuestion:
    """A question as the volunteer sees it during the attempt: nothing that gives the answer away."""

    number: int
    id: str
    module: str
    prompt: str
    multiple: bool
    choices: tuple[PresentedChoice, ...]
    fell_back: bool  # some of its text is English because no translation exists


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """One question of a graded attempt, with the answer and why."""

    question: PresentedQuestion
    chosen_ids: tuple[str, ...]
    correct_ids: tuple[str, ...]  # in the order the choices were shown
    correct: bool
    explanation: str


# Drawing --------------------------------------------------------------------------------


def draw_questions(bank: QuizBank, *, rng: random.Random) -> list[Question]:
    """`questions_per_attempt` questions, spread evenly over the lessons, in random order.

    Lessons take turns giving one question each (in a random turn order), so every
    lesson is tested before any lesson is tested twice; a lesson with few questions
    simply drops out of the rotation when it runs dry.
    """
    pools: dict[str, list[Question]] = {}
    for question in bank.questions:
        pools.setdefault(question.module, []).append(question)
    rotation = list(pools.values())
    for pool in rotation:
        rng.shuffle(pool)
    rng.shuffle(rotation)
    wanted = min(bank.questions_per_attempt, len(bank.questions))
    drawn: list[Question] = []
    while len(drawn) < wanted:
        for pool in rotation:
            if pool and len(drawn) < wanted:
                drawn.append(pool.pop())
    rng.shuffle(drawn)
    return drawn


def _shuffled_choices(question: Question, rng: random.Random) -> list[str]:
    order = list(question.choice_ids)
    rng.shuffle(order)
    return order


# Starting -------------------------------------------------------------------------------


def start_attempt(session: Session, *, user: User, content: TrainingContent, settings: Settings, lang: str,
                  rng: random.Random | None = None, now: datetime | None = None) -> tuple[QuizAttempt, bool]:
    """(attempt, created): the attempt still open if there is one, else a newly drawn one.

    Raises Conflict (lessons unread) or RateLimited (cooldown, daily limit) with Retry-After.
    """
    now = now or utcnow()
    # Serialise starts per person (PostgreSQL; SQLite write transactions already are).
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    found = availability(session, user=user, content=content, settings=settings, now=now)
    if found.open_attempt is not None:
        return found.open_attempt, False
    if found.blocked_by is Blocker.lessons_unread:
        raise Conflict(blocked_message(found, content=content, lang=lang, now=now), code="lessons_unread",
                       extra={"unread_lessons": list(found.unread_lessons)})
    if found.blocked_by is not None:
        assert found.retry_at is not None
        raise RateLimited(blocked_message(found, content=content, lang=lang, now=now),
                          retry_after=math.ceil((found.retry_at - now).total_seconds()),
                          code=f"quiz_{found.blocked_by.value}",
                          extra={"retry_at": found.retry_at.isoformat()})
    rng = rng or _system_random
    drawn = draw_questions(content.quiz, rng=rng)
    attempt = QuizAttempt(
        user_id=user.id,  # type: ignore[arg-type]
        content_version=content.quiz.version,
        language=lang,
        question_ids=[question.id for question in drawn],
        choice_order={question.id: _shuffled_choices(question, rng) for question in drawn},
        started_at=now,
        expires_at=now + timedelta(minutes=settings.quiz_attempt_minutes),
    )
    session.add(attempt)
    session.flush()
    return attempt, True


def get_attempt(session: Session, *, user: User, attempt_id: int, for_update: bool = False) -> QuizAttempt:
    """The caller's own attempt; anyone else's is as absent as one that does not exist."""
    statement = select(QuizAttempt).where(QuizAttempt.id == attempt_id, QuizAttempt.user_id == user.id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    attempt = session.execute(statement).scalars().first()
    if attempt is None:
        raise NotFound(_("There is no such quiz attempt."))
    return attempt


def recent_attempts(session: Session, *, user: User, limit: int = 20) -> list[QuizAttempt]:
    return list(session.execute(
        select(QuizAttempt).where(QuizAttempt.user_id == user.id)
        .order_by(QuizAttempt.started_at.desc(), QuizAttempt.id.desc())  # type: ignore[attr-defined, union-attr]
        .limit(limit)
    ).scalars())


# Showing --------------------------------------------------------------------------------


def present(attempt: QuizAttempt, *, content: TrainingContent, lang: str) -> list[PresentedQuestion]:
    """The attempt's questions in drawn order, choices in shuffled order, in `lang` where translated.

    Questions that have since left the bank are skipped (such an attempt is stale).
    """
    presented = []
    for number, question_id in enumerate(attempt.question_ids, start=1):
        try:
            question, fell_back = content.question(question_id, lang)
        except KeyError:
            continue
        texts = {choice.id: choice.text for choice in question.choices}
        order = [cid for cid in attempt.choice_order.get(question_id, []) if cid in texts]
        order += [cid for cid in question.choice_ids if cid not in order]
        presented.append(PresentedQuestion(
            number=number,
            id=question.id,
            module=question.module,
            prompt=question.prompt,
            multiple=question.multiple,
            choices=tuple(PresentedChoice(id=cid, text=texts[cid]) for cid in order),
            fell_back=fell_back,
        ))
    return presented


def results(attempt: QuizAttempt, *, content: TrainingContent, lang: str) -> list[QuestionResult]:
    """Every question of a graded attempt with the right answer and its explanation."""
    if attempt.submitted_at is None:
        raise Conflict(_("This attempt has not been graded yet."), code="attempt_not_graded")
    chosen_by_question = attempt.answers or {}
    out = []
    for shown in present(attempt, content=content, lang=lang):
        question, _fell_back = content.question(shown.id, lang)
        chosen = tuple(chosen_by_question.get(shown.id) or ())
        correct_ids = question.correct_ids
        out.append(QuestionResult(
            question=shown,
            chosen_ids=chosen,
            correct_ids=tuple(choice.id for choice in shown.choices if choice.id in correct_ids),
            correct=question.is_correct(chosen),
            explanation=question.explanation,
        ))
    return out


# Grading --------------------------------------------------------------------------------


def required_correct(pass_mark: float, total: int) -> int:
    """Correct answers needed; the small epsilon keeps 0.8 x 10 from becoming 9 by rounding."""
    return max(1, math.ceil(pass_mark * total - 1e-9))


def _shown(value: str, limit: int = 80) -> str:
    """An id as echoed in an error: whatever was sent, but never a page of it."""
    return value if len(value) <= limit else value[:limit] + "…"


def clean_answers(attempt: QuizAttempt, bank: QuizBank, answers: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Answers keyed by every drawn question (unanswered = []); Invalid naming what is unknown."""
    drawn = set(attempt.question_ids)
    unknown_questions = sorted(_shown(str(key)) for key in answers if key not in drawn)
    unknown_choices: dict[str, list[str]] = {}
    too_many: list[str] = []
    cleaned: dict[str, list[str]] = {}
    for question_id in attempt.question_ids:
        picked = list(dict.fromkeys(str(cid) for cid in (answers.get(question_id) or ())))
        question = bank.by_id[question_id]
        strangers = [_shown(cid) for cid in picked if cid not in question.choice_ids]
        if strangers:
            unknown_choices[question_id] = strangers
        if not question.multiple and len(picked) > 1:
            too_many.append(question_id)
        cleaned[question_id] = sorted(picked)
    if unknown_questions or unknown_choices or too_many:
        parts = []
        if unknown_questions:
            parts.append(_("these questions are not part of this attempt: %(ids)s",
                           ids=", ".join(unknown_questions[:20])))
        for question_id, strangers in unknown_choices.items():
            parts.append(_("question %(question)s has no choice %(ids)s",
                           question=question_id, ids=", ".join(strangers[:20])))
        if too_many:
            parts.append(_("these questions take a single answer: %(ids)s", ids=", ".join(too_many)))
        raise Invalid(
            _("The answers could not be graded: %(problems)s.", problems="; ".join(parts)),
            field="answers",
            code="invalid_answers",
            extra={"unknown_questions": unknown_questions[:100], "unknown_choices": unknown_choices,
                   "single_answer_questions": too_many},
        )
    return cleaned


def grade(session: Session, *, user: User, attempt_id: int, content: TrainingContent, settings: Settings,
          answers: Mapping[str, Sequence[str]], now: datetime | None = None) -> QuizAttempt:
    """Grade an attempt once; passing certifies. 409 when graded already, expired or stale."""
    now = now or utcnow()
    attempt = get_attempt(session, user=user, attempt_id=attempt_id, for_update=True)
    state = attempt_state(attempt, content=content, now=now)
    if state is AttemptState.graded:
        raise Conflict(_("This attempt has already been graded; its result will not change."),
                       code="attempt_graded", extra={"attempt_id": attempt.id})
    if state is AttemptState.expired:
        raise Conflict(
            _("This attempt expired: answers had to be sent within %(n)s minutes. Start a new attempt.",
              n=settings.quiz_attempt_minutes),
            code="attempt_expired", extra={"attempt_id": attempt.id, "expired_at": attempt.expires_at.isoformat()})
    if state is AttemptState.stale:
        raise Conflict(_("The quiz was updated while you were answering, so this attempt cannot be graded. "
                         "Please start a new attempt."), code="quiz_changed", extra={"attempt_id": attempt.id})
    bank = content.quiz
    cleaned = clean_answers(attempt, bank, answers)
    correct_count = sum(1 for qid, picked in cleaned.items() if bank.by_id[qid].is_correct(picked))
    total = len(attempt.question_ids)
    attempt.submitted_at = now
    attempt.answers = cleaned
    attempt.correct_count = correct_count
    attempt.score = correct_count / total if total else 0.0
    attempt.pass_mark = bank.pass_mark
    attempt.passed = correct_count >= required_correct(bank.pass_mark, total)
    session.add(attempt)
    audit.record(session, action="quiz.graded", entity_type="quiz_attempt", entity_id=attempt.id,  # type: ignore[arg-type]
                 actor=user, after={"score": attempt.score, "passed": attempt.passed,
                                    "correct_count": correct_count, "total": total,
                                    "content_version": attempt.content_version}, at=now)
    if attempt.passed:
        training.certify(session, user=user, settings=settings, attempt_id=attempt.id, now=now)
    session.flush()
    return attempt
