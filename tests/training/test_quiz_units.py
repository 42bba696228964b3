"""The subtle parts of the quiz as plain functions: drawing, the pass mark, calendar months."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

from app.content import Choice, Question, QuizBank
from app.models import QuizAttempt
from app.services.quiz import clean_answers, draw_questions, required_correct
from app.services.training import add_months


def _question(qid: str, module: str) -> Question:
    return Question(id=qid, module=module, prompt="?", explanation="!",
                    choices=(Choice(id="a", text="A", correct=True), Choice(id="b", text="B"), Choice(id="c", text="C")))


def _bank(per_module: dict[str, int], per_attempt: int) -> QuizBank:
    questions = tuple(_question(f"{module}-{n}", module) for module, count in per_module.items() for n in range(count))
    return QuizBank(pass_mark=0.8, questions_per_attempt=per_attempt, questions=questions, version="v")


def test_draw_spreads_over_the_lessons() -> None:
    bank = _bank({"a": 20, "b": 3, "c": 10, "d": 10, "e": 10, "f": 10}, per_attempt=10)
    for seed in range(200):
        drawn = draw_questions(bank, rng=random.Random(seed))
        assert len(drawn) == 10 and len({q.id for q in drawn}) == 10
        counts = Counter(q.module for q in drawn)
        assert set(counts) == set("abcdef")  # every lesson is tested
        assert max(counts.values()) - min(counts.values()) <= 1


def test_draw_when_a_lesson_runs_dry() -> None:
    bank = _bank({"a": 1, "b": 9}, per_attempt=8)
    drawn = draw_questions(bank, rng=random.Random(1))
    assert Counter(q.module for q in drawn) == {"a": 1, "b": 7}


def test_draw_is_random() -> None:
    bank = _bank({"a": 10, "b": 10, "c": 10}, per_attempt=6)
    draws = {tuple(q.id for q in draw_questions(bank, rng=random.Random(seed))) for seed in range(20)}
    assert len(draws) > 15


def test_required_correct_is_not_fooled_by_rounding() -> None:
    assert required_correct(0.8, 10) == 8
    assert required_correct(0.7, 10) == 7  # 0.7 * 10 is 7.000000000000001 in floating point
    assert required_correct(0.8, 12) == 10
    assert required_correct(1.0, 10) == 10
    assert required_correct(0.01, 3) == 1


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(datetime(2026, 1, 31, 9, 30, tzinfo=UTC), 1) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert add_months(datetime(2027, 2, 28, tzinfo=UTC), 12) == datetime(2028, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2028, 2, 29, tzinfo=UTC), 12) == datetime(2029, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 15, tzinfo=UTC), 14) == datetime(2028, 1, 15, tzinfo=UTC)


def test_clean_answers_dedupes_and_fills_in_unanswered() -> None:
    bank = _bank({"a": 2}, per_attempt=2)
    attempt = QuizAttempt(user_id=1, content_version="v", question_ids=["a-0", "a-1"],
                          choice_order={"a-0": ["b", "a", "c"], "a-1": ["c", "b", "a"]},
                          expires_at=datetime(2030, 1, 1, tzinfo=UTC))
    assert clean_answers(attempt, bank, {"a-0": ["a", "a"]}) == {"a-0": ["a"], "a-1": []}
