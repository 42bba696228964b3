"""Demo training: Vera has read every lesson and passed the quiz (after one miss); Noor is half way."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.content import TrainingContent
from app.demo.accounts import DEMO_PASSWORD
from app.models import QuizAttempt, User, utcnow
from app.services import accounts, quiz, training

if TYPE_CHECKING:
    from app.demo import DemoContext

NEW_VOLUNTEER_EMAIL = "new@demo.cyberspotter.org"
NEW_VOLUNTEER_NAME = "Noor (new volunteer)"


def _answers(content: TrainingContent, attempt: QuizAttempt, *, wrong: int) -> dict[str, list[str]]:
    """Right answers, except for the first `wrong` questions (answered with a wrong choice)."""
    answers = {}
    for position, question_id in enumerate(attempt.question_ids):
        question = content.quiz.by_id[question_id]
        right = sorted(question.correct_ids)
        if position < wrong:
            wrong_ids = [cid for cid in question.choice_ids if cid not in question.correct_ids]
            answers[question_id] = wrong_ids[:1] if wrong_ids else []
        else:
            answers[question_id] = right
    return answers


def _take_quiz(context: DemoContext, user: User, content: TrainingContent) -> None:
    session, settings = context.session, context.settings
    passed = session.execute(
        select(QuizAttempt.id).where(QuizAttempt.user_id == user.id, QuizAttempt.passed.is_(True))  # type: ignore[attr-defined]
    ).first()
    if passed is not None:
        return
    rng = random.Random(2026)  # the same demo on every machine
    # Two days ago: one attempt just missed the pass mark, the retake after the cooldown passed.
    first_at = utcnow() - timedelta(days=2)
    retake_at = first_at + timedelta(minutes=settings.quiz_cooldown_minutes + 25)
    for started, should_pass in ((first_at, False), (retake_at, True)):
        attempt, _ = quiz.start_attempt(session, user=user, content=content, settings=settings, lang="en",
                                        rng=rng, now=started)
        total = len(attempt.question_ids)
        spare = total - quiz.required_correct(content.quiz.pass_mark, total)
        wrong = min(1, spare) if should_pass else spare + 1
        quiz.grade(session, user=user, attempt_id=attempt.id, content=content, settings=settings,  # type: ignore[arg-type]
                   answers=_answers(content, attempt, wrong=wrong), now=started + timedelta(minutes=12))

def load(context: DemoContext) -> None:
    content = context.content
    if not isinstance(content, TrainingContent):
        return
    session = context.session
    volunteer = context.users.get("volunteer")
    if isinstance(volunteer, User):
        for slug in content.lesson_slugs:
            training.mark_read(session, user=volunteer, content=content, slug=slug)
        _take_quiz(context, volunteer, content)

    newcomer = accounts.get_by_email(session, NEW_VOLUNTEER_EMAIL)
    if newcomer is None:
        newcomer = accounts.register(session, email=NEW_VOLUNTEER_EMAIL, password=DEMO_PASSWORD,
                                     display_name=NEW_VOLUNTEER_NAME)
    half = len(content.lesson_slugs) // 2
    for slug in content.lesson_slugs[:half]:
        training.mark_read(session, user=newcomer, content=content, slug=slug)
    context.users["new_volunteer"] = newcomer
    context.notes.append(f"{'volunteer':<10} {NEW_VOLUNTEER_EMAIL}  password: {DEMO_PASSWORD}  "
                         f"(half way through the training)")
