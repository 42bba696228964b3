"""Read and validate the whole `training_content/` tree.

Bad content fails the boot and the tests, not a volunteer: every problem raises
ContentError naming the file, the line or id, and what is wrong.
"""

from __future__ import annotations

from pathlib import Path

from app.content.catalogues import load_code_words, load_species
from app.content.errors import ContentError
from app.content.lessons import load_lessons
from app.content.models import DEFAULT_LANG, TrainingContent
from app.content.platforms import load_platforms
from app.content.quiz import load_question_translations, load_quiz

PLATFORMS_FILE = "platforms.yaml"


def load_content(root: Path) -> TrainingContent:
    """Load lessons, quiz, translations and the species, code-word and platform catalogues."""
    root = Path(root)
    if not root.is_dir():
        raise ContentError(str(root), "the training content folder does not exist")
    lessons = load_lessons(root)
    quiz = load_quiz(root, lessons[DEFAULT_LANG].keys())
    translations = load_question_translations(root, quiz)
    species = load_species(root / "species.csv")
    code_words = load_code_words(root / "code_words.csv")
    return TrainingContent(
        lessons_by_lang=lessons,
        quiz=quiz,
        question_translations=translations,
        species=species,
        code_words=code_words,
        platforms=load_platforms(root / PLATFORMS_FILE),
    )
