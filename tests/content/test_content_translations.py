"""Translated lessons and questions, and the English fallback the pages announce."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.content import load_content
from app.content.models import TrainingContent

SHIPPED = Path(__file__).resolve().parents[2] / "training_content"

LESSON_EN = """\
---
slug: first
title: The first lesson
order: 1
summary: English summary.
---

# The first lesson

English text.

## Sources

- <https://example.org/en>
"""

LESSON_FR = """\
---
slug: first
title: La première leçon
order: 1
summary: Résumé en français.
---

# La première leçon

Texte en français.

## Sources

- <https://example.org/fr>
"""

LESSON_ZH = """\
---
slug: first
title: 第一课
order: 1
summary: 中文摘要。
---

# 第一课

中文正文。

## 来源

- <https://example.org/zh>
"""

LESSON_SECOND = LESSON_EN.replace("slug: first", "slug: second").replace("order: 1", "order: 2")

QUIZ = """\
pass_mark: 0.5
questions_per_attempt: 2
questions:
  - id: q-single
    module: first
    prompt: "Which appendix?"
    choices:
      - {id: a, text: "Appendix I", correct: true}
      - {id: b, text: "Appendix II"}
    explanation: "English explanation."
  - id: q-multiple
    module: second
    prompt: "Tick all that apply."
    multiple: true
    choices:
      - {id: x, text: "Ivory", correct: true}
      - {id: y, text: "Rhino horn", correct: true}
      - {id: z, text: "Glass"}
    explanation: "Both are animal products."
"""

QUIZ_FR = """\
q-single:
  prompt: "Quelle annexe ?"
  explanation: "Explication en français."
  choices:
    a: "Annexe I"
    b: "Annexe II"
q-multiple:
  prompt: "Cochez tout ce qui s'applique."
  choices:
    x: "Ivoire"
"""

SPECIES = (
    "id,scientific_name,rank,group,cites_appendix,common_names_en,common_names_fr,"
    "common_names_de,common_names_zh,product_forms,live_trade,source\n"
    "manidae-spp,Manidae spp.,family,mammal,I,Pangolins,,Schuppentiere,穿山甲,scales,yes,https://example.org\n"
)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def content(tmp_path: Path) -> TrainingContent:
    root = tmp_path / "content"
    write(root / "modules" / "01-first.md", LESSON_EN)
    write(root / "modules" / "02-second.md", LESSON_SECOND)
    write(root / "modules" / "fr" / "01-first.md", LESSON_FR)
    write(root / "modules" / "zh" / "01-first.md", LESSON_ZH)
    write(root / "quiz" / "bank.yaml", QUIZ)
    write(root / "quiz" / "i18n" / "fr.yaml", QUIZ_FR)
    write(root / "species.csv", SPECIES)
    write(root / "code_words.csv", "term,language,kind,meaning,species_group,source\n")
    shutil.copy(SHIPPED / "platforms.yaml", root / "platforms.yaml")
    return load_content(root)


def test_translated_lesson_is_served_without_fallback(content: TrainingContent) -> None:
    lesson, fell_back = content.lesson("first", "fr")
    assert fell_back is False
    assert lesson.lang == "fr"
    assert lesson.title == "La première leçon"
    assert "Texte en français" in lesson.html
    assert lesson.sources == ("https://example.org/fr",)


def test_chinese_lesson_accepts_a_chinese_sources_heading(content: TrainingContent) -> None:
    lesson, fell_back = content.lesson("first", "zh")
    assert (lesson.title, fell_back) == ("第一课", False)
    assert lesson.sources == ("https://example.org/zh",)


@pytest.mark.parametrize("lang", ["de", "es", "fr-CA"])
def test_missing_lesson_translation_falls_back_to_english_and_says_so(
    content: TrainingContent, lang: str
) -> None:
    slug = "second" if lang == "fr-CA" else "first"
    lesson, fell_back = content.lesson(slug, lang)
    assert lesson.lang == "en"
    assert fell_back is True


def test_english_is_never_a_fallback(content: TrainingContent) -> None:
    assert content.lesson("first", "en").fell_back is False
    assert all(not fell_back for _, fell_back in content.lessons("en"))


def test_lessons_list_mixes_translations_and_fallbacks_in_course_order(content: TrainingContent) -> None:
    listed = content.lessons("fr")
    assert [(lesson.slug, lesson.lang, fell_back) for lesson, fell_back in listed] == [
        ("first", "fr", False),
        ("second", "en", True),
    ]
    assert content.lesson_languages("first") == ("en", "fr", "zh")


def test_unknown_lesson_slug_is_a_key_error(content: TrainingContent) -> None:
    with pytest.raises(KeyError):
        content.lesson("nope", "fr")


def test_fully_translated_question(content: TrainingContent) -> None:
    question, fell_back = content.question("q-single", "fr")
    assert fell_back is False
    assert question.prompt == "Quelle annexe ?"
    assert question.explanation == "Explication en français."
    assert [(c.id, c.text, c.correct) for c in question.choices] == [
        ("a", "Annexe I", True),
        ("b", "Annexe II", False),
    ]


def test_partly_translated_question_keeps_english_for_the_rest_and_falls_back(
    content: TrainingContent,
) -> None:
    question, fell_back = content.question("q-multiple", "fr")
    assert fell_back is True
    assert question.prompt == "Cochez tout ce qui s'applique."
    assert question.explanation == "Both are animal products."
    assert [c.text for c in question.choices] == ["Ivoire", "Rhino horn", "Glass"]


def test_untranslated_question_is_english_with_fallback(content: TrainingContent) -> None:
    question, fell_back = content.question("q-single", "de")
    assert fell_back is True
    assert question == content.quiz.by_id["q-single"]


def test_grading_does_not_depend_on_the_language(content: TrainingContent) -> None:
    for lang in ("en", "fr", "de", "zh", "es"):
        question, _ = content.question("q-multiple", lang)
        assert question.correct_ids == {"x", "y"}
        assert question.is_correct(["y", "x"])
        assert not question.is_correct(["x"])
        assert not question.is_correct(["x", "y", "z"])
    assert [q.id for q, _ in content.questions("fr")] == ["q-single", "q-multiple"]


def test_translations_do_not_change_the_bank_version(tmp_path: Path, content: TrainingContent) -> None:
    root = tmp_path / "content"
    (root / "quiz" / "i18n" / "fr.yaml").unlink()
    assert load_content(root).quiz.version == content.quiz.version


def test_species_names_fall_back_to_english(content: TrainingContent) -> None:
    pangolins = content.species_by_id["manidae-spp"]
    assert pangolins.names("fr") == ("Pangolins",)
    assert pangolins.names("de") == ("Schuppentiere",)
    assert pangolins.display_name("zh") == "穿山甲"
