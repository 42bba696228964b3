"""Helpers for the onboarding tests: read the lessons, take the quiz, move attempts back in time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.content import QuizBank, TrainingContent
from app.content.quiz import bank_version
from app.db import Database
from app.models import QuizAttempt, User
from app.services import training


def read_all_lessons(db: Database, user: User, content: TrainingContent) -> None:
    with db.transaction() as session:
        for slug in content.lesson_slugs:
            training.mark_read(session, user=user, content=content, slug=slug)


def right_answers(content: TrainingContent, attempt: dict[str, Any]) -> dict[str, list[str]]:
    """The correct choices of every question of an attempt (as the API returned it), from the bank."""
    return {q["id"]: sorted(content.quiz.by_id[q["id"]].correct_ids) for q in attempt["questions"]}


def wrong_choice(content: TrainingContent, question_id: str) -> str:
    question = content.quiz.by_id[question_id]
    return next(cid for cid in question.choice_ids if cid not in question.correct_ids)


def answers_with(content: TrainingContent, attempt: dict[str, Any], *, wrong: int) -> dict[str, list[str]]:
    """Right answers except for the first `wrong` questions."""
    answers = right_answers(content, attempt)
    for question in attempt["questions"][:wrong]:
        answers[question["id"]] = [wrong_choice(content, question["id"])]
    return answers


def start(client: TestClient, headers: dict[str, str], expected: int = 201) -> dict[str, Any]:
    response = client.post("/api/v1/training/attempts", headers=headers)
    assert response.status_code == expected, response.text
    return response.json()


def submit(client: TestClient, headers: dict[str, str], attempt_id: int, answers: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/training/attempts/{attempt_id}/answers", headers=headers, json={"answers": answers})


def shift_attempts(db: Database, user: User, *, by: timedelta) -> None:
    """Move all of a person's attempts `by` into the past (start, deadline and grading)."""
    with db.transaction() as session:
        for attempt in session.execute(select(QuizAttempt).where(QuizAttempt.user_id == user.id)).scalars():
            attempt.started_at -= by
            attempt.expires_at -= by
            if attempt.submitted_at is not None:
                attempt.submitted_at -= by
            session.add(attempt)


def with_bank(content: TrainingContent, *, questions=None, pass_mark=None, per_attempt=None) -> TrainingContent:  # type: ignore[no-untyped-def]
    """The same content with another question bank (as after an edit to quiz/*.yaml)."""
    bank = content.quiz
    questions = tuple(questions if questions is not None else bank.questions)
    pass_mark = pass_mark if pass_mark is not None else bank.pass_mark
    per_attempt = per_attempt if per_attempt is not None else bank.questions_per_attempt
    new_bank = QuizBank(pass_mark=pass_mark, questions_per_attempt=per_attempt, questions=questions,
                        version=bank_version(pass_mark, per_attempt, questions))
    return TrainingContent(
        lessons_by_lang=content.lessons_by_lang,
        quiz=new_bank,
        question_translations={},
        species=content.species,
        code_words=content.code_words,
        platforms=content.platforms,
    )
