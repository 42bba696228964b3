"""The question bank (`quiz/*.yaml`) and its translations (`quiz/i18n/<lang>.yaml`)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from app.content._yaml import LINE_KEY, line_of, load_yaml
from app.content.errors import ContentError
from app.content.models import TRANSLATION_LANGS, Choice, Question, QuestionTranslation, QuizBank

DEFAULT_PASS_MARK = 0.8
DEFAULT_QUESTIONS_PER_ATTEMPT = 10
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
BANK_KEYS = {"pass_mark", "questions_per_attempt", "questions"}
QUESTION_KEYS = {"id", "module", "prompt", "multiple", "choices", "explanation"}
CHOICE_KEYS = {"id", "text", "correct"}
TRANSLATION_KEYS = {"prompt", "explanation", "choices"}


def _keys(mapping: dict[Any, Any]) -> set[str]:
    return {str(key) for key in mapping if key != LINE_KEY}


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return text or None
    return None


def _parse_choice(raw: Any, rel: str, item: str, question_line: int | None) -> Choice:
    line = line_of(raw) or question_line
    if not isinstance(raw, dict):
        raise ContentError(rel, "each choice must be a mapping {id, text, correct}", line=line, item=item)
    unknown = sorted(_keys(raw) - CHOICE_KEYS)
    if unknown:
        raise ContentError(rel, f"unknown choice key(s): {', '.join(unknown)}", line=line, item=item)
    choice_id = _text(raw.get("id"))
    if choice_id is None:
        raise ContentError(rel, "a choice has no id", line=line, item=item)
    text = _text(raw.get("text"))
    if text is None:
        raise ContentError(rel, f"choice '{choice_id}' has no text", line=line, item=item)
    correct = raw.get("correct", False)
    if not isinstance(correct, bool):
        raise ContentError(
            rel, f"choice '{choice_id}': 'correct' must be true or false", line=line, item=item
        )
    return Choice(id=choice_id, text=text, correct=correct)


def _parse_question(raw: Any, rel: str, index: int, lesson_slugs: Collection[str]) -> Question:
    line = line_of(raw)
    if not isinstance(raw, dict):
        raise ContentError(rel, f"question #{index + 1} must be a mapping", line=line)
    question_id = _text(raw.get("id"))
    if question_id is None:
        raise ContentError(rel, f"question #{index + 1} has no id", line=line)
    item = f"question '{question_id}'"
    if not ID_RE.match(question_id):
        raise ContentError(
            rel, "the id must be lowercase letters, digits, '-', '_' or '.'", line=line, item=item
        )
    unknown = sorted(_keys(raw) - QUESTION_KEYS)
    if unknown:
        raise ContentError(rel, f"unknown key(s): {', '.join(unknown)}", line=line, item=item)
    module = _text(raw.get("module"))
    if module is None:
        raise ContentError(rel, "the question has no module (a lesson slug)", line=line, item=item)
    if module not in lesson_slugs:
        raise ContentError(
            rel,
            f"module '{module}' is not a lesson slug (lessons: {', '.join(sorted(lesson_slugs))})",
            line=line,
            item=item,
        )
    prompt = _text(raw.get("prompt"))
    if prompt is None:
        raise ContentError(rel, "the question has no prompt", line=line, item=item)
    explanation = _text(raw.get("explanation"))
    if explanation is None:
        raise ContentError(rel, "the question has no explanation", line=line, item=item)
    multiple = raw.get("multiple", False)
    if not isinstance(multiple, bool):
        raise ContentError(rel, "'multiple' must be true or false", line=line, item=item)
    raw_choices = raw.get("choices")
    if not isinstance(raw_choices, list) or len(raw_choices) < 2:
        raise ContentError(rel, "the question needs a list of at least two choices", line=line, item=item)
    choices = tuple(_parse_choice(c, rel, item, line) for c in raw_choices)
    seen: set[str] = set()
    for choice in choices:
        if choice.id in seen:
            raise ContentError(rel, f"choice id '{choice.id}' is used twice", line=line, item=item)
        seen.add(choice.id)
    correct = [choice.id for choice in choices if choice.correct]
    if not correct:
        raise ContentError(rel, "no choice is marked correct", line=line, item=item)
    if not multiple and len(correct) > 1:
        raise ContentError(
            rel,
            f"single-answer question has {len(correct)} correct choices ({', '.join(correct)}); "
            "set 'multiple: true' or keep one",
            line=line,
            item=item,
        )
    return Question(
        id=question_id,
        module=module,
        prompt=prompt,
        multiple=multiple,
        choices=choices,
        explanation=explanation,
    )


def bank_version(pass_mark: float, questions_per_attempt: int, questions: Collection[Question]) -> str:
    """A stable hash of what grading depends on and what volunteers saw (English).

    Questions are hashed in id order, so moving a question to another file or
    reordering a file does not change the version; editing any text or flag does.
    """
    payload = {
        "pass_mark": pass_mark,
        "questions_per_attempt": questions_per_attempt,
        "questions": [q.model_dump(mode="json") for q in sorted(questions, key=lambda q: q.id)],
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def load_quiz(root: Path, lesson_slugs: Collection[str]) -> QuizBank:
    folder = root / "quiz"
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")) if folder.is_dir() else []
    if not files:
        raise ContentError("quiz/", "there is no question bank (quiz/*.yaml)")
    questions: list[Question] = []
    where: dict[str, str] = {}
    settings: dict[str, tuple[Any, str]] = {}
    for path in files:
        rel = f"quiz/{path.name}"
        data = load_yaml(path.read_text(encoding="utf-8"), rel)
        if data is None:
            continue
        if not isinstance(data, dict):
            raise ContentError(rel, "a question bank file must be a mapping with a 'questions' list", line=1)
        unknown = sorted(_keys(data) - BANK_KEYS)
        if unknown:
            raise ContentError(rel, f"unknown top-level key(s): {', '.join(unknown)}", line=line_of(data))
        for key in ("pass_mark", "questions_per_attempt"):
            if key in data:
                if key in settings:
                    raise ContentError(
                        rel, f"'{key}' is already set in {settings[key][1]}; set it in one file only"
                    )
                settings[key] = (data[key], rel)
        raw_questions = data.get("questions", [])
        if raw_questions is None:
            raw_questions = []
        if not isinstance(raw_questions, list):
            raise ContentError(rel, "'questions' must be a list", line=line_of(data))
        for index, raw in enumerate(raw_questions):
            question = _parse_question(raw, rel, index, lesson_slugs)
            if question.id in where:
                raise ContentError(
                    rel,
                    f"duplicate question id: also used in {where[question.id]}",
                    line=line_of(raw),
                    item=f"question '{question.id}'",
                )
            where[question.id] = rel
            questions.append(question)
    if not questions:
        raise ContentError("quiz/", "the question bank has no questions")

    pass_mark_raw, pass_mark_file = settings.get("pass_mark", (DEFAULT_PASS_MARK, "quiz/"))
    if (
        isinstance(pass_mark_raw, bool)
        or not isinstance(pass_mark_raw, (int, float))
        or not 0 < pass_mark_raw <= 1
    ):
        raise ContentError(pass_mark_file, "'pass_mark' must be a share between 0 and 1, e.g. 0.8")
    per_attempt_raw, per_attempt_file = settings.get(
        "questions_per_attempt", (DEFAULT_QUESTIONS_PER_ATTEMPT, "quiz/")
    )
    if isinstance(per_attempt_raw, bool) or not isinstance(per_attempt_raw, int) or per_attempt_raw < 1:
        raise ContentError(per_attempt_file, "'questions_per_attempt' must be a whole number of at least 1")
    if per_attempt_raw > len(questions):
        raise ContentError(
            per_attempt_file,
            f"'questions_per_attempt' is {per_attempt_raw} but the bank has only {len(questions)} questions",
        )
    pass_mark = float(pass_mark_raw)
    return QuizBank(
        pass_mark=pass_mark,
        questions_per_attempt=per_attempt_raw,
        questions=tuple(questions),
        version=bank_version(pass_mark, per_attempt_raw, questions),
    )


def load_question_translations(root: Path, bank: QuizBank) -> dict[str, dict[str, QuestionTranslation]]:
    folder = root / "quiz" / "i18n"
    result: dict[str, dict[str, QuestionTranslation]] = {}
    if not folder.is_dir():
        return result
    for path in sorted(folder.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        rel = f"quiz/i18n/{path.name}"
        lang = path.stem
        if path.suffix not in (".yaml", ".yml") or lang not in TRANSLATION_LANGS:
            raise ContentError(
                rel,
                f"translation files are named <lang>.yaml with lang one of: {', '.join(TRANSLATION_LANGS)}",
            )
        if lang in result:
            raise ContentError(rel, f"a second translation file for '{lang}'")
        data = load_yaml(path.read_text(encoding="utf-8"), rel)
        if data is None:
            result[lang] = {}
            continue
        if not isinstance(data, dict):
            raise ContentError(
                rel, "must be a mapping of question id to {prompt, explanation, choices}", line=1
            )
        translations: dict[str, QuestionTranslation] = {}
        for key, raw in data.items():
            if key == LINE_KEY:
                continue
            question_id = str(key)
            item = f"question '{question_id}'"
            line = line_of(raw) or line_of(data)
            question = bank.by_id.get(question_id)
            if question is None:
                raise ContentError(rel, "unknown question id (not in the English bank)", line=line, item=item)
            if not isinstance(raw, dict):
                raise ContentError(
                    rel, "must be a mapping {prompt, explanation, choices}", line=line, item=item
                )
            unknown = sorted(_keys(raw) - TRANSLATION_KEYS)
            if unknown:
                raise ContentError(rel, f"unknown key(s): {', '.join(unknown)}", line=line, item=item)
            fields: dict[str, Any] = {}
            for field in ("prompt", "explanation"):
                if raw.get(field) is not None:
                    text = _text(raw[field])
                    if text is None:
                        raise ContentError(rel, f"'{field}' must be non-empty text", line=line, item=item)
                    fields[field] = text
            raw_choices = raw.get("choices") or {}
            if not isinstance(raw_choices, dict):
                raise ContentError(rel, "'choices' must map choice id to text", line=line, item=item)
            choices: dict[str, str] = {}
            for choice_key, choice_text in raw_choices.items():
                if choice_key == LINE_KEY:
                    continue
                choice_id = str(choice_key)
                choice_line = line_of(raw_choices) or line
                if choice_id not in question.choice_ids:
                    raise ContentError(
                        rel,
                        f"unknown choice id '{choice_id}' (the question has: {', '.join(question.choice_ids)})",
                        line=choice_line,
                        item=item,
                    )
                text = _text(choice_text)
                if text is None:
                    raise ContentError(
                        rel, f"choice '{choice_id}' must be non-empty text", line=choice_line, item=item
                    )
                choices[choice_id] = text
            translations[question_id] = QuestionTranslation(choices=choices, **fields)
        result[lang] = translations
    return result
