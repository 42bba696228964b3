"""The training content shipped in the repository loads and meets the programme's counts."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from app.content import load_content
from app.content.models import CODE_WORD_KINDS, SPECIES_GROUPS, TrainingContent

ROOT = Path(__file__).resolve().parents[2] / "training_content"
EXPECTED_SLUGS = ("why-it-matters", "cites-and-the-law", "species-id", "code-words", "good-reports", "safety")


@pytest.fixture(scope="module")
def content() -> TrainingContent:
    return load_content(ROOT)


def test_six_lessons_in_course_order(content: TrainingContent) -> None:
    assert content.lesson_slugs == EXPECTED_SLUGS
    for lesson, fell_back in content.lessons("en"):
        assert not fell_back
        assert lesson.title and lesson.summary and lesson.version


def test_every_lesson_is_phone_sized_and_ends_with_its_sources(content: TrainingContent) -> None:
    for lesson, _ in content.lessons("en"):
        body = lesson.body_markdown
        words = len(body.split())
        assert 600 <= words <= 1500, f"{lesson.slug}: {words} words"
        headings = re.findall(r"^#{2,3} (.+)$", body, flags=re.MULTILINE)
        assert headings[-1] == "Sources", f"{lesson.slug}: the last section is {headings[-1]!r}"
        assert len(lesson.sources) >= 5, lesson.slug
        assert all(url.startswith(("http://", "https://")) for url in lesson.sources)
        # Short paragraphs and list items: nothing longer than ~90 words to read on a phone.
        for block in re.split(r"\n\s*\n|\n(?=- |\d+\. )", body):
            if block.lstrip().startswith(("|", "#")):
                continue
            assert len(block.split()) <= 90, f"{lesson.slug}: long block {block[:60]!r}"


def test_lesson_html_is_rendered_and_links_are_safe(content: TrainingContent) -> None:
    for lesson, _ in content.lessons("en"):
        assert "<h2>Sources</h2>" in lesson.html
        assert "<script" not in lesson.html
        external = re.findall(r'<a href="https?://[^"]+"[^>]*>', lesson.html)
        assert external, lesson.slug
        for tag in external:
            assert 'target="_blank"' in tag and 'rel="noopener noreferrer"' in tag


def test_question_bank_counts(content: TrainingContent) -> None:
    bank = content.quiz
    assert bank.pass_mark == 0.8
    assert bank.questions_per_attempt == 10
    assert len(bank.questions) >= 48
    assert sum(q.multiple for q in bank.questions) >= 10
    per_module = Counter(q.module for q in bank.questions)
    assert set(per_module) == set(EXPECTED_SLUGS)
    assert min(per_module.values()) >= 8
    assert re.fullmatch(r"[0-9a-f]{16}", bank.version)


def test_every_question_is_well_formed(content: TrainingContent) -> None:
    for question in content.quiz.questions:
        assert len(question.explanation) >= 30, question.id
        assert question.correct_ids, question.id
        assert len(question.choices) >= 2, question.id
        if not question.multiple:
            assert len(question.correct_ids) == 1, question.id
        else:
            # A multiple-answer question that has every choice correct teaches nothing.
            assert len(question.correct_ids) < len(question.choices), question.id
        assert question.id.startswith(("wim-", "cites-", "sid-", "cw-", "gr-", "sf-")), question.id


def test_species_catalogue(content: TrainingContent) -> None:
    species = content.species
    assert len(species) >= 105
    by_id = content.species_by_id
    for group_entry in (
        "manidae-spp",
        "psittaciformes-spp",
        "testudinidae-spp",
        "rhinocerotidae-spp",
        "felidae-spp",
    ):
        assert group_entry in by_id
    assert set(Counter(s.group for s in species)) == set(SPECIES_GROUPS)
    for taxon in species:
        expected_id = re.sub(r"[^a-z0-9]+", "-", taxon.scientific_name.lower()).strip("-")
        assert taxon.id == expected_id
        assert taxon.common_names.get("en"), taxon.id
        assert taxon.appendix
        assert taxon.sources, taxon.id
    with_de = sum(bool(s.common_names.get("de")) for s in species)
    with_zh = sum(bool(s.common_names.get("zh")) for s in species)
    assert with_de >= 0.95 * len(species)
    assert with_zh >= 0.9 * len(species)


@pytest.mark.parametrize(
    ("species_id", "appendix", "live"),
    [
        ("loxodonta-africana", ("I", "II"), False),
        ("manidae-spp", ("I",), True),
        ("psittacus-erithacus", ("I",), True),
        ("aonyx-cinereus", ("I",), True),  # moved to Appendix I at CoP18 (2019)
        ("geochelone-elegans", ("I",), True),  # moved to Appendix I at CoP18
        ("pycnonotus-zeylanicus", ("I",), True),  # moved to Appendix I at CoP19 (2022)
        ("rhincodon-typus", ("I",), False),  # moved to Appendix I at CoP20 (2025)
        ("gekko-gecko", ("II",), True),  # added to Appendix II at CoP19
        ("odobenus-rosmarus", ("III",), False),
        ("psittaciformes-spp", ("I", "II", "NC"), True),
    ],
)
def test_key_listings(
    content: TrainingContent, species_id: str, appendix: tuple[str, ...], live: bool
) -> None:
    taxon = content.species_by_id[species_id]
    assert taxon.appendix == appendix
    assert taxon.live_trade is live


def test_unverified_listing_is_not_in_the_catalogue(content: TrainingContent) -> None:
    # The research data marks the Poecilotheria listing "II (unverified)".
    assert "poecilotheria-spp" not in content.species_by_id


def test_code_words(content: TrainingContent) -> None:
    words = content.code_words
    assert len(words) >= 50
    assert set(Counter(w.kind for w in words)) == set(CODE_WORD_KINDS)
    assert {"en", "zh", "de", "fr"} <= {w.language for w in words}
    terms = {(w.term, w.language): w for w in words}
    assert terms[("bovine bone", "en")].kind == "disguise"
    assert terms[("猪甲", "zh")].kind == "code word"
    assert "white gold" not in {w.term for w in words}  # single low-authority anecdote
    for word in words:
        assert word.sources, word.term


def test_platform_catalogue_is_loaded(content: TrainingContent) -> None:
    assert content.platforms is not None
    assert content.platforms.by_domain("ebay.co.uk") is not None


def test_facts_the_lessons_teach_match_the_quiz(content: TrainingContent) -> None:
    # Figures quoted in both places must agree.
    why = content.lesson("why-it-matters").item.body_markdown
    assert "11,772" in why and "5,381" in why and "80%" in why and "33,006" in why
    share = content.quiz.by_id["wim-disrupt-live-share"]
    assert next(c.text for c in share.choices if c.correct) == "80%"
