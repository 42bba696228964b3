"""Training content: lessons, the question bank and the catalogues, validated at start-up."""

from app.content.errors import ContentError
from app.content.loader import load_content
from app.content.markdown import render_markdown
from app.content.models import (
    CONTENT_LANGS,
    DEFAULT_LANG,
    TRANSLATION_LANGS,
    Choice,
    CodeWord,
    Lesson,
    Localized,
    Question,
    QuestionTranslation,
    QuizBank,
    Species,
    TrainingContent,
)

__all__ = [
    "CONTENT_LANGS",
    "DEFAULT_LANG",
    "TRANSLATION_LANGS",
    "Choice",
    "CodeWord",
    "ContentError",
    "Lesson",
    "Localized",
    "Question",
    "QuestionTranslation",
    "QuizBank",
    "Species",
    "TrainingContent",
    "load_content",
    "render_markdown",
]
