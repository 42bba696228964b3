"""Training API shapes: lessons, quiz attempts (never the answers before grading), results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.content import TrainingContent
from app.models import QuizAttempt
from app.services import quiz, training

# Answers are small: one list of choice ids per drawn question.
MAX_ANSWERED_QUESTIONS = 200
MAX_CHOICES_PER_ANSWER = 20
ID_MAX = 100


class ModulePublic(BaseModel):
    slug: str
    title: str
    summary: str
    order: int
    read: bool
    read_at: datetime | None = None
    language: str = Field(description="The language the lesson is shown in (en when not translated yet).")
    translated: bool = Field(description="False when the lesson is shown in English for want of a translation.")
    version: str

    @classmethod
    def of(cls, status: training.LessonStatus) -> ModulePublic:
        lesson = status.lesson
        return cls(slug=lesson.slug, title=lesson.title, summary=lesson.summary, order=lesson.order,
                   read=status.read, read_at=status.read_at, language=lesson.lang,
                   translated=not status.fell_back, version=lesson.version)


class ModuleDetailPublic(ModulePublic):
    html: str = Field(description="The lesson body as sanitised HTML.")
    sources: list[str]
    next_slug: str | None = None


class ModuleReadPublic(BaseModel):
    slug: str
    read: bool = True
    read_at: datetime
    all_read: bool
    next_slug: str | None = None


class ChoicePublic(BaseModel):
    id: str
    text: str


class QuestionPublic(BaseModel):
    """A question as drawn for an attempt: no correct flags, no explanation."""

    id: str
    number: int
    module: str = Field(description="The slug of the lesson this question tests.")
    prompt: str
    multiple: bool = Field(description="True: tick every correct choice; false: exactly one.")
    choices: list[ChoicePublic]
    translated: bool

    @classmethod
    def of(cls, question: quiz.PresentedQuestion) -> QuestionPublic:
        return cls(id=question.id, number=question.number, module=question.module, prompt=question.prompt,
                   multiple=question.multiple, translated=not question.fell_back,
                   choices=[ChoicePublic(id=c.id, text=c.text) for c in question.choices])


class QuestionResultPublic(BaseModel):
    question_id: str
    correct: bool
    chosen_choice_ids: list[str]
    correct_choice_ids: list[str]
    explanation: str


class AttemptResultPublic(BaseModel):
    attempt_id: int
    score: float = Field(description="Share of questions answered correctly, 0 to 1.")
    pass_mark: float
    passed: bool
    certified_until: datetime | None = Field(description="The caller's certification after this attempt.")
    correct_count: int
    total: int
    graded_at: datetime
    results: list[QuestionResultPublic]

    @classmethod
    def of(cls, attempt: QuizAttempt, *, content: TrainingContent, lang: str,
           certified_until: datetime | None) -> AttemptResultPublic:
        return cls(
            attempt_id=attempt.id,  # type: ignore[arg-type]
            score=attempt.score or 0.0,
            pass_mark=attempt.pass_mark or content.quiz.pass_mark,
            passed=bool(attempt.passed),
            certified_until=certified_until,
            correct_count=attempt.correct_count or 0,
            total=len(attempt.question_ids),
            graded_at=attempt.submitted_at,  # type: ignore[arg-type]
            results=[
                QuestionResultPublic(question_id=r.question.id, correct=r.correct, chosen_choice_ids=list(r.chosen_ids),
                                     correct_choice_ids=list(r.correct_ids), explanation=r.explanation)
                for r in quiz.results(attempt, content=content, lang=lang)
            ],
        )


class AttemptPublic(BaseModel):
    id: int
    state: Literal["open", "graded", "expired", "stale"] = Field(
        description="open: answer it; graded: see `result`; expired: the hour ran out; "
        "stale: the question bank changed, start a new attempt.")
    started_at: datetime
    expires_at: datetime
    language: str
    content_version: str
    pass_mark: float
    questions: list[QuestionPublic]
    result: AttemptResultPublic | None = Field(default=None, description="Only once the attempt is graded.")

    @classmethod
    def of(cls, attempt: QuizAttempt, *, content: TrainingContent, lang: str,
           certified_until: datetime | None) -> AttemptPublic:
        state = quiz.attempt_state(attempt, content=content)
        return cls(
            id=attempt.id,  # type: ignore[arg-type]
            state=state.value,
            started_at=attempt.started_at,
            expires_at=attempt.expires_at,
            language=attempt.language,
            content_version=attempt.content_version,
            pass_mark=attempt.pass_mark or content.quiz.pass_mark,
            questions=[QuestionPublic.of(q) for q in quiz.present(attempt, content=content, lang=lang)],
            result=AttemptResultPublic.of(attempt, content=content, lang=lang, certified_until=certified_until)
            if state is quiz.AttemptState.graded else None,
        )


class AttemptSummaryPublic(BaseModel):
    id: int
    state: Literal["open", "graded", "expired", "stale"]
    started_at: datetime
    submitted_at: datetime | None
    language: str
    content_version: str
    score: float | None
    passed: bool | None
    correct_count: int | None
    total: int

    @classmethod
    def of(cls, attempt: QuizAttempt, *, content: TrainingContent) -> AttemptSummaryPublic:
        return cls(id=attempt.id, state=quiz.attempt_state(attempt, content=content).value,  # type: ignore[arg-type]
                   started_at=attempt.started_at, submitted_at=attempt.submitted_at, language=attempt.language,
                   content_version=attempt.content_version, score=attempt.score, passed=attempt.passed,
                   correct_count=attempt.correct_count, total=len(attempt.question_ids))


class AttemptAnswersCreate(BaseModel):
    """The choices ticked, per question id: one for a single-answer question, any for a multiple one."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[Annotated[str, Field(max_length=ID_MAX)],
                  Annotated[list[Annotated[str, Field(max_length=ID_MAX)]], Field(max_length=MAX_CHOICES_PER_ANSWER)]] = Field(
        max_length=MAX_ANSWERED_QUESTIONS,
        examples=[{"species-grey-parrot-appendix": ["a"], "code-words-red-flags": ["b", "d"]}],
    )


class TrainingStatusPublic(BaseModel):
    """Where the caller stands: lessons, certification, and whether a quiz attempt may start now."""

    certified: bool
    certified_until: datetime | None
    lessons_total: int
    lessons_read: int
    unread_lessons: list[str]
    open_attempt_id: int | None
    can_start_attempt: bool
    blocked_by: Literal["lessons_unread", "daily_limit", "cooldown"] | None
    next_attempt_at: datetime | None
    attempts_in_last_day: int
    attempts_per_day: int
    questions_per_attempt: int
    pass_mark: float
    attempt_minutes: int


class CertificationUpdate(BaseModel):
    """An admin grants or revokes a person's certification; the reason goes to the audit log."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["grant", "revoke"]
    reason: str = Field(min_length=1, max_length=2000)
    until: AwareDatetime | None = Field(
        default=None, description="grant only: when it ends, with a time zone (default: the usual period).")


class AdminTrainingStatusPublic(BaseModel):
    user_id: int
    role: str
    certified: bool
    certified_until: datetime | None
    lessons: list[ModulePublic]
    attempts: list[AttemptSummaryPublic]
