"""Broken training content fails loudly, naming the file, the line or id, and the problem.

Each case starts from a small valid tree (which must load), breaks one thing, and checks
the ContentError message piece by piece.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from app.content import ContentError, load_content

SHIPPED = Path(__file__).resolve().parents[2] / "training_content"

LESSON_FIRST = """\
---
slug: first
title: The first lesson
order: 1
summary: What the first lesson is about.
version: "1"
---

# The first lesson

Some text.

## Sources

- Example source: <https://example.org/first>
"""

LESSON_SECOND = """\
---
slug: second
title: The second lesson
order: 2
summary: What the second lesson is about.
---

# The second lesson

More text.

## Sources

- <https://example.org/second>
"""

# Line numbers matter below: the first question starts on line 4, the second on line 12.
QUIZ_BASICS = """\
pass_mark: 0.8
questions_per_attempt: 2
questions:
  - id: q-one
    module: first
    prompt: "First question?"
    choices:
      - {id: a, text: "Right", correct: true}
      - {id: b, text: "Wrong"}
    explanation: "Because."

  - id: q-two
    module: second
    prompt: "Second question?"
    multiple: true
    choices:
      - {id: a, text: "Right", correct: true}
      - {id: b, text: "Also right", correct: true}
      - {id: c, text: "Wrong"}
    explanation: "Because both."
"""

QUIZ_MORE = """\
questions:
  - id: q-three
    module: first
    prompt: "Third question?"
    choices:
      - {id: a, text: "Right", correct: true}
      - {id: b, text: "Wrong"}
    explanation: "Because."
"""

SPECIES_HEADER = (
    "id,scientific_name,rank,group,cites_appendix,common_names_en,common_names_fr,"
    "common_names_de,common_names_zh,product_forms,live_trade,source\n"
)
SPECIES_ROWS = (
    "manidae-spp,Manidae spp.,family,mammal,I,Pangolins,Pangolins,Schuppentiere,穿山甲,"
    "scales | meat,yes,https://example.org/p\n"
    "psittacus-erithacus,Psittacus erithacus,species,bird,I,Grey Parrot,Perroquet gris,Graupapagei,"
    "非洲灰鹦鹉,live birds,yes,https://example.org/g\n"
)
CODE_WORDS = (
    "term,language,kind,meaning,species_group,source\n"
    "bovine bone,en,disguise,covert ivory,elephant (ivory),https://example.org/b\n"
)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    write(root / "modules" / "01-first.md", LESSON_FIRST)
    write(root / "modules" / "02-second.md", LESSON_SECOND)
    write(root / "quiz" / "basics.yaml", QUIZ_BASICS)
    write(root / "quiz" / "more.yaml", QUIZ_MORE)
    write(root / "species.csv", SPECIES_HEADER + SPECIES_ROWS)
    write(root / "code_words.csv", CODE_WORDS)
    shutil.copy(SHIPPED / "platforms.yaml", root / "platforms.yaml")
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_small_tree_loads(tree: Path) -> None:
    content = load_content(tree)
    assert content.lesson_slugs == ("first", "second")
    assert [q.id for q in content.quiz.questions] == ["q-one", "q-two", "q-three"]
    assert content.quiz.pass_mark == 0.8 and content.quiz.questions_per_attempt == 2
    assert content.species_by_id["manidae-spp"].appendix_rank == 1
    assert content.lesson("first").item.sources == ("https://example.org/first",)


def _no_correct(root: Path) -> None:
    edit(root / "quiz" / "basics.yaml", '{id: a, text: "Right", correct: true}', '{id: a, text: "Right"}')


def _single_with_two_correct(root: Path) -> None:
    edit(root / "quiz" / "basics.yaml", '{id: b, text: "Wrong"}', '{id: b, text: "Wrong", correct: true}')


def _duplicate_question_id(root: Path) -> None:
    edit(root / "quiz" / "more.yaml", "id: q-three", "id: q-one")


def _unknown_module(root: Path) -> None:
    edit(root / "quiz" / "basics.yaml", "module: second", "module: sceond")


def _question_without_explanation(root: Path) -> None:
    edit(root / "quiz" / "basics.yaml", '    explanation: "Because."\n', "")


def _unknown_question_key(root: Path) -> None:
    edit(root / "quiz" / "basics.yaml", "    multiple: true\n", "    multiple: true\n    hint: nope\n")


def _repeated_yaml_key(root: Path) -> None:
    edit(
        root / "quiz" / "basics.yaml", '    prompt: "First question?"\n', '    prompt: "A"\n    prompt: "B"\n'
    )


def _bad_yaml(root: Path) -> None:
    edit(root / "quiz" / "basics.yaml", '      - {id: b, text: "Wrong"}\n', '      - {id: b, text: "Wrong"\n')


def _pass_mark_twice(root: Path) -> None:
    edit(root / "quiz" / "more.yaml", "questions:\n", "pass_mark: 0.5\nquestions:\n")


def _lesson_without_title(root: Path) -> None:
    edit(root / "modules" / "01-first.md", "title: The first lesson\n", "")


def _duplicate_slug(root: Path) -> None:
    edit(root / "modules" / "02-second.md", "slug: second", "slug: first")


def _lesson_without_sources(root: Path) -> None:
    edit(root / "modules" / "02-second.md", "## Sources", "## Further reading")


def _lesson_without_front_matter(root: Path) -> None:
    path = root / "modules" / "02-second.md"
    path.write_text(path.read_text(encoding="utf-8").split("---\n", 2)[2], encoding="utf-8")


def _unknown_appendix(root: Path) -> None:
    edit(root / "species.csv", "bird,I,Grey Parrot", "bird,IV,Grey Parrot")


def _unknown_group(root: Path) -> None:
    edit(root / "species.csv", "species,bird,I", "species,birds,I")


def _duplicate_species_id(root: Path) -> None:
    edit(root / "species.csv", "psittacus-erithacus,", "manidae-spp,")


def _wrong_species_header(root: Path) -> None:
    edit(root / "species.csv", "live_trade,source", "live,source")


def _bad_live_trade(root: Path) -> None:
    edit(root / "species.csv", "live birds,yes", "live birds,maybe")


def _unknown_code_word_kind(root: Path) -> None:
    edit(root / "code_words.csv", "en,disguise,", "en,secret,")


def _translation_unknown_question(root: Path) -> None:
    write(
        root / "quiz" / "i18n" / "fr.yaml",
        'q-one:\n  prompt: "Première question ?"\n\nq-nine:\n  prompt: "Question inconnue ?"\n',
    )


def _translation_unknown_choice(root: Path) -> None:
    write(
        root / "quiz" / "i18n" / "de.yaml",
        'q-two:\n  prompt: "Zweite Frage?"\n  choices:\n    a: "Richtig"\n    z: "Unbekannt"\n',
    )


def _translation_unknown_language(root: Path) -> None:
    write(root / "quiz" / "i18n" / "es.yaml", 'q-one:\n  prompt: "¿Primera pregunta?"\n')


def _translated_lesson_other_slug(root: Path) -> None:
    write(root / "modules" / "fr" / "01-first.md", LESSON_FIRST.replace("slug: first", "slug: premiere"))


def _translated_lesson_other_order(root: Path) -> None:
    write(root / "modules" / "de" / "01-first.md", LESSON_FIRST.replace("order: 1", "order: 7"))


def _translated_lesson_without_original(root: Path) -> None:
    write(root / "modules" / "zh" / "09-extra.md", LESSON_FIRST.replace("slug: first", "slug: extra"))


def _unknown_lesson_language_folder(root: Path) -> None:
    write(root / "modules" / "es" / "01-first.md", LESSON_FIRST)


CASES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    # (case, how to break the tree, fragments the message must contain)
    (
        "no correct choice",
        _no_correct,
        ["quiz/basics.yaml", "line 4", "question 'q-one'", "no choice is marked correct"],
    ),
    (
        "single answer, two correct",
        _single_with_two_correct,
        ["quiz/basics.yaml", "line 4", "question 'q-one'", "single-answer question has 2 correct choices"],
    ),
    (
        "duplicate question id",
        _duplicate_question_id,
        ["quiz/more.yaml", "line 2", "question 'q-one'", "duplicate question id", "quiz/basics.yaml"],
    ),
    (
        "module is not a lesson slug",
        _unknown_module,
        ["quiz/basics.yaml", "line 12", "question 'q-two'", "module 'sceond' is not a lesson slug"],
    ),
    (
        "question without explanation",
        _question_without_explanation,
        ["quiz/basics.yaml", "line 4", "question 'q-one'", "no explanation"],
    ),
    (
        "unknown question key",
        _unknown_question_key,
        ["quiz/basics.yaml", "line 12", "question 'q-two'", "hint"],
    ),
    (
        "repeated YAML key",
        _repeated_yaml_key,
        ["quiz/basics.yaml", "line 7", "'prompt' repeats the one on line 6"],
    ),
    ("YAML syntax error", _bad_yaml, ["quiz/basics.yaml", "line ", "invalid YAML"]),
    (
        "pass mark set twice",
        _pass_mark_twice,
        ["quiz/more.yaml", "'pass_mark' is already set in quiz/basics.yaml"],
    ),
    ("lesson without title", _lesson_without_title, ["modules/01-first.md", "lesson 'first'", "no title"]),
    (
        "duplicate lesson slug",
        _duplicate_slug,
        ["modules/02-second.md", "lesson 'first'", "duplicate slug", "modules/01-first.md"],
    ),
    (
        "lesson without sources",
        _lesson_without_sources,
        ["modules/02-second.md", "lesson 'second'", "'Sources'"],
    ),
    (
        "lesson without front matter",
        _lesson_without_front_matter,
        ["modules/02-second.md", "line 1", "front matter"],
    ),
    (
        "unknown appendix",
        _unknown_appendix,
        ["species.csv", "line 3", "species 'psittacus-erithacus'", "unknown CITES appendix 'IV'"],
    ),
    (
        "unknown group",
        _unknown_group,
        ["species.csv", "line 3", "species 'psittacus-erithacus'", "unknown group 'birds'"],
    ),
    (
        "duplicate species id",
        _duplicate_species_id,
        ["species.csv", "line 3", "species 'manidae-spp'", "duplicate species id", "first on line 2"],
    ),
    (
        "wrong species header",
        _wrong_species_header,
        ["species.csv", "line 1", "missing live_trade", "unexpected live"],
    ),
    ("live_trade not yes/no", _bad_live_trade, ["species.csv", "line 3", "live_trade must be yes or no"]),
    (
        "unknown code-word kind",
        _unknown_code_word_kind,
        ["code_words.csv", "line 2", "term 'bovine bone'", "unknown kind"],
    ),
    (
        "translation of an unknown question",
        _translation_unknown_question,
        ["quiz/i18n/fr.yaml", "line 5", "question 'q-nine'", "unknown question id"],
    ),
    (
        "translation of an unknown choice",
        _translation_unknown_choice,
        ["quiz/i18n/de.yaml", "line 4", "question 'q-two'", "unknown choice id 'z'"],
    ),
    (
        "translation in an unknown language",
        _translation_unknown_language,
        ["quiz/i18n/es.yaml", "fr, de, zh"],
    ),
    (
        "translated lesson with another slug",
        _translated_lesson_other_slug,
        ["modules/fr/01-first.md", "lesson 'premiere'", "slug must be 'first'"],
    ),
    (
        "translated lesson with another order",
        _translated_lesson_other_order,
        ["modules/de/01-first.md", "lesson 'first'", "order must be 1"],
    ),
    (
        "translated lesson without an English original",
        _translated_lesson_without_original,
        ["modules/zh/09-extra.md", "no English lesson modules/09-extra.md"],
    ),
    (
        "unknown lesson language folder",
        _unknown_lesson_language_folder,
        ["modules/es/", "unknown language folder"],
    ),
]


@pytest.mark.parametrize(("case", "breaks", "fragments"), CASES, ids=[case for case, _, _ in CASES])
def test_broken_content_names_file_place_and_problem(
    tree: Path, case: str, breaks: Callable[[Path], None], fragments: list[str]
) -> None:
    breaks(tree)
    with pytest.raises(ContentError) as caught:
        load_content(tree)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{case}: {fragment!r} missing from {message!r}"


def test_the_error_keeps_its_parts_for_tools(tree: Path) -> None:
    _unknown_appendix(tree)
    with pytest.raises(ContentError) as caught:
        load_content(tree)
    error = caught.value
    assert (error.file, error.line, error.item) == ("species.csv", 3, "species 'psittacus-erithacus'")
    assert error.problem is not None and error.problem.startswith("unknown CITES appendix")


def test_a_multi_line_csv_cell_does_not_shift_line_numbers(tree: Path) -> None:
    edit(tree / "species.csv", "scales | meat", '"scales |\nmeat"')
    _unknown_group(tree)
    with pytest.raises(ContentError, match=r"species\.csv, line 4, species 'psittacus-erithacus'"):
        load_content(tree)


def test_questions_per_attempt_cannot_exceed_the_bank(tree: Path) -> None:
    edit(tree / "quiz" / "basics.yaml", "questions_per_attempt: 2", "questions_per_attempt: 4")
    with pytest.raises(
        ContentError, match=r"quiz/basics\.yaml.*'questions_per_attempt' is 4 but the bank has only 3"
    ):
        load_content(tree)


def test_missing_platform_catalogue_is_an_error(tree: Path) -> None:
    (tree / "platforms.yaml").unlink()
    with pytest.raises(ContentError, match="platforms.yaml"):
        load_content(tree)


def test_species_cells_are_parsed(tree: Path) -> None:
    content = load_content(tree)
    pangolins = content.species_by_id["manidae-spp"]
    assert pangolins.product_forms == ("scales", "meat")
    assert pangolins.common_names == {
        "en": ("Pangolins",),
        "fr": ("Pangolins",),
        "de": ("Schuppentiere",),
        "zh": ("穿山甲",),
    }
    assert pangolins.live_trade is True
    assert pangolins.sources == ("https://example.org/p",)


@pytest.mark.parametrize(
    ("cell", "appendix", "rank"),
    [
        ("I", ("I",), 1),
        ("II/I", ("I", "II"), 1),
        ("II/NC", ("II", "NC"), 2),
        ("III", ("III",), 3),
        ("NC", ("NC",), None),
    ],
)
def test_appendix_tuple_and_strictest_rank(
    tree: Path, cell: str, appendix: tuple[str, ...], rank: int | None
) -> None:
    edit(tree / "species.csv", "bird,I,Grey Parrot", f"bird,{cell},Grey Parrot")
    parrot = load_content(tree).species_by_id["psittacus-erithacus"]
    assert parrot.appendix == appendix
    assert parrot.appendix_rank == rank


def test_bank_version_ignores_file_layout_but_not_text(tree: Path) -> None:
    before = load_content(tree).quiz.version
    # Moving q-three into basics.yaml changes nothing that grading or volunteers see.
    (tree / "quiz" / "more.yaml").unlink()
    moved = textwrap.indent(QUIZ_MORE.split("questions:\n", 1)[1], "")
    write(tree / "quiz" / "basics.yaml", QUIZ_BASICS + "\n" + moved)
    assert load_content(tree).quiz.version == before
    edit(tree / "quiz" / "basics.yaml", "Because both.", "Because both are right.")
    assert load_content(tree).quiz.version != before
