"""Frozen models for the training content, and the aggregate the app reads.

Everything here is built once at start-up by `app.content.loader.load_content` and then
only read. Ids (lesson slugs, question and choice ids, species ids) are shared by all
languages, so grading and reporting never depend on the language a page was shown in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, Generic, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr

from app.content.platforms import PlatformCatalogue

DEFAULT_LANG = "en"
# English is the source language; these may carry translations.
TRANSLATION_LANGS: tuple[str, ...] = ("fr", "de", "zh")
CONTENT_LANGS: tuple[str, ...] = (DEFAULT_LANG, *TRANSLATION_LANGS)

SpeciesGroup = Literal["mammal", "bird", "reptile", "amphibian", "fish", "invertebrate", "plant"]
SPECIES_GROUPS: tuple[str, ...] = ("mammal", "bird", "reptile", "amphibian", "fish", "invertebrate", "plant")
APPENDIX_CODES: tuple[str, ...] = ("I", "II", "III", "NC")
APPENDIX_RANK = {"I": 1, "II": 2, "III": 3}
CodeWordKind = Literal["code word", "disguise", "red-flag claim", "listing pattern", "trade name"]
CODE_WORD_KINDS: tuple[str, ...] = (
    "code word",
    "disguise",
    "red-flag claim",
    "listing pattern",
    "trade name",
)

T = TypeVar("T")


class Localized(NamedTuple, Generic[T]):
    """An item in the asked-for language, or in English when no translation exists.

    Unpacks like a pair: ``lesson, fell_back = content.lesson("safety", "de")``.
    """

    item: T
    fell_back: bool


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Lesson(_Frozen):
    slug: str
    title: str
    order: int
    summary: str
    version: str
    body_markdown: str
    html: str
    sources: tuple[str, ...]
    lang: str = DEFAULT_LANG
    file: str = ""


class Choice(_Frozen):
    id: str
    text: str
    correct: bool = False


class Question(_Frozen):
    id: str
    module: str
    prompt: str
    multiple: bool = False
    choices: tuple[Choice, ...]
    explanation: str

    @property
    def correct_ids(self) -> frozenset[str]:
        return frozenset(choice.id for choice in self.choices if choice.correct)

    @property
    def choice_ids(self) -> tuple[str, ...]:
        return tuple(choice.id for choice in self.choices)

    def is_correct(self, selected: Iterable[str]) -> bool:
        """Right when the ticked choices are exactly the correct ones."""
        return frozenset(selected) == self.correct_ids


class QuizBank(_Frozen):
    pass_mark: float
    questions_per_attempt: int
    questions: tuple[Question, ...]
    version: str

    @cached_property
    def by_id(self) -> dict[str, Question]:
        return {question.id: question for question in self.questions}

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(question.id for question in self.questions)

    def questions_for(self, module: str) -> tuple[Question, ...]:
        return tuple(question for question in self.questions if question.module == module)


class QuestionTranslation(_Frozen):
    """Texts of one question in one language; anything missing falls back to English."""

    prompt: str | None = None
    explanation: str | None = None
    choices: dict[str, str] = {}


class Species(_Frozen):
    id: str
    scientific_name: str
    rank: str
    group: SpeciesGroup
    appendix: tuple[str, ...]
    appendix_rank: int | None
    common_names: dict[str, tuple[str, ...]]
    product_forms: tuple[str, ...]
    live_trade: bool
    sources: tuple[str, ...] = ()

    @property
    def appendix_label(self) -> str:
        return "/".join(self.appendix)

    def names(self, lang: str) -> tuple[str, ...]:
        """Common names in `lang`, else the English ones (possibly empty)."""
        return self.common_names.get(lang) or self.common_names.get(DEFAULT_LANG, ())

    def display_name(self, lang: str) -> str:
        names = self.names(lang)
        return names[0] if names else self.scientific_name


class CodeWord(_Frozen):
    term: str
    language: str
    kind: CodeWordKind
    meaning: str
    species_group: str
    sources: tuple[str, ...]


def _primary_lang(lang: str | None) -> str:
    """Primary subtag: fr-CA gives fr, empty gives en. Unknown languages are kept and fall back."""
    if not lang:
        return DEFAULT_LANG
    return lang.replace("_", "-").split("-")[0].lower()


class TrainingContent(BaseModel):
    """All training content, validated, with per-language accessors."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    lessons_by_lang: dict[str, dict[str, Lesson]]
    quiz: QuizBank
    question_translations: dict[str, dict[str, QuestionTranslation]] = {}
    species: tuple[Species, ...]
    code_words: tuple[CodeWord, ...]
    platforms: PlatformCatalogue

    _localized_questions: dict[str, dict[str, Localized[Question]]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        localized: dict[str, dict[str, Localized[Question]]] = {}
        for lang in CONTENT_LANGS:
            translations = self.question_translations.get(lang, {}) if lang != DEFAULT_LANG else {}
            localized[lang] = {
                q.id: _localize_question(q, translations.get(q.id), lang) for q in self.quiz.questions
            }
        self._localized_questions = localized

    # Lessons -------------------------------------------------------------------------

    @property
    def lesson_slugs(self) -> tuple[str, ...]:
        english = self.lessons_by_lang[DEFAULT_LANG]
        return tuple(sorted(english, key=lambda slug: (english[slug].order, slug)))

    def lesson(self, slug: str, lang: str = DEFAULT_LANG) -> Localized[Lesson]:
        """The lesson in `lang`, or in English with fell_back=True. KeyError if unknown."""
        english = self.lessons_by_lang[DEFAULT_LANG][slug]
        lang = _primary_lang(lang)
        if lang == DEFAULT_LANG:
            return Localized(english, False)
        translated = self.lessons_by_lang.get(lang, {}).get(slug)
        if translated is not None:
            return Localized(translated, False)
        return Localized(english, True)

    def lessons(self, lang: str = DEFAULT_LANG) -> list[Localized[Lesson]]:
        """Every lesson in course order, each in `lang` where translated."""
        return [self.lesson(slug, lang) for slug in self.lesson_slugs]

    def lesson_languages(self, slug: str) -> tuple[str, ...]:
        return tuple(lang for lang in CONTENT_LANGS if slug in self.lessons_by_lang.get(lang, {}))

    # Quiz ----------------------------------------------------------------------------

    def question(self, question_id: str, lang: str = DEFAULT_LANG) -> Localized[Question]:
        """The question in `lang`; fell_back=True when any of its texts is English.

        Ids and correct flags are those of the English bank. KeyError if unknown.
        """
        by_id = self._localized_questions.get(_primary_lang(lang))
        if by_id is None:  # a language the content does not know
            return Localized(self.quiz.by_id[question_id], True)
        return by_id[question_id]

    def questions(self, lang: str = DEFAULT_LANG) -> list[Localized[Question]]:
        return [self.question(q.id, lang) for q in self.quiz.questions]

    # Catalogues ----------------------------------------------------------------------

    @cached_property
    def species_by_id(self) -> Mapping[str, Species]:
        return {species.id: species for species in self.species}

    def code_words_by_kind(self, kind: str) -> tuple[CodeWord, ...]:
        return tuple(word for word in self.code_words if word.kind == kind)


def _localize_question(
    question: Question, translation: QuestionTranslation | None, lang: str
) -> Localized[Question]:
    if lang == DEFAULT_LANG:
        return Localized(question, False)
    if translation is None:
        return Localized(question, True)
    complete = translation.prompt is not None and translation.explanation is not None
    choices = []
    for choice in question.choices:
        text = translation.choices.get(choice.id)
        if text is None:
            complete = False
            choices.append(choice)
        else:
            choices.append(choice.model_copy(update={"text": text}))
    localized = question.model_copy(
        update={
            "prompt": translation.prompt if translation.prompt is not None else question.prompt,
            "explanation": (
                translation.explanation if translation.explanation is not None else question.explanation
            ),
            "choices": tuple(choices),
        }
    )
    return Localized(localized, not complete)
