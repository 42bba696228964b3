"""Species search: names in four languages and Latin, accents, typos, ranking, speed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.content.catalogues import load_species
from app.content.models import Species
from app.services.species import SCIENTIFIC, SpeciesIndex, fold, search_species, species_index

ROOT = Path(__file__).resolve().parents[2] / "training_content"


@pytest.fixture(scope="module")
def catalogue() -> tuple[Species, ...]:
    return load_species(ROOT / "species.csv")


def ids(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.id for hit in hits]


def taxon(species_id: str, scientific: str, **names: tuple[str, ...]) -> Species:
    return Species(
        id=species_id,
        scientific_name=scientific,
        rank="species",
        group="mammal",
        appendix=("II",),
        appendix_rank=2,
        common_names={lang: value for lang, value in names.items() if value},
        product_forms=(),
        live_trade=False,
    )


# English, French, German, Chinese and scientific names -----------------------------


def test_english_common_name(catalogue) -> None:  # type: ignore[no-untyped-def]
    hits = search_species(catalogue, "Tiger", lang="en")
    assert hits[0].id == "panthera-tigris"
    assert hits[0].match == "exact"
    assert hits[0].matched_lang == "en"
    assert hits[0].common_names == ("Tiger",)


def test_french_name_shown_in_french(catalogue) -> None:  # type: ignore[no-untyped-def]
    hits = search_species(catalogue, "perroquet gris", lang="fr")
    assert hits[0].id == "psittacus-erithacus"
    assert hits[0].matched_name == "Perroquet gris"
    assert hits[0].matched_lang == "fr"
    assert hits[0].common_names_lang == "fr"
    assert "Perroquet gris" in hits[0].common_names


def test_german_name_found_by_an_english_reader(catalogue) -> None:  # type: ignore[no-untyped-def]
    hits = search_species(catalogue, "Graupapagei", lang="en")
    assert hits[0].id == "psittacus-erithacus"
    assert hits[0].matched_lang == "de"
    assert hits[0].common_names[0] == "Grey Parrot"  # the reader's language


def test_german_group_name(catalogue) -> None:  # type: ignore[no-untyped-def]
    hits = search_species(catalogue, "Schuppentier", lang="de")
    assert hits[0].id == "manidae-spp"  # "Schuppentiere", a prefix match
    assert hits[0].match == "prefix"
    # "Riesenschuppentier", "Weißbauchschuppentier": substrings inside one word
    assert {"manis-gigantea", "manis-tricuspis"} <= {hit.id for hit in hits if hit.match == "substring"}


def test_chinese_exact_then_substring(catalogue) -> None:  # type: ignore[no-untyped-def]
    hits = search_species(catalogue, "穿山甲", lang="zh")
    assert hits[0].id == "manidae-spp"
    assert hits[0].match == "exact"
    assert all(hit.species.id.startswith(("manis-", "manidae")) for hit in hits)
    assert len(hits) == 9  # the family and all eight species
    assert {hit.match for hit in hits[1:]} == {"substring"}


def test_chinese_substring_inside_a_name(catalogue) -> None:  # type: ignore[no-untyped-def]
    hits = search_species(catalogue, "灰鹦鹉", lang="zh")
    assert ids(hits) == ["psittacus-erithacus"]
    assert hits[0].matched_name == "非洲灰鹦鹉"
    assert hits[0].common_names == ("非洲灰鹦鹉",)


def test_traditional_characters_match_too(catalogue) -> None:  # type: ignore[no-untyped-def]
    assert search_species(catalogue, "馬來穿山甲", lang="zh")[0].id == "manis-javanica"


def test_scientific_name(catalogue) -> None:  # type: ignore[no-untyped-def]
    hits = search_species(catalogue, "psittacus", lang="en")
    prefix_hits = [hit for hit in hits if hit.match == "prefix"]
    assert {hit.id for hit in prefix_hits} == {"psittacus-erithacus", "psittacus-timneh"}
    assert hits[: len(prefix_hits)] == prefix_hits
    assert all(hit.matched_lang == SCIENTIFIC for hit in prefix_hits)
    assert search_species(catalogue, "Manidae spp.", lang="en")[0].id == "manidae-spp"


# Case, accents, punctuation ------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("ELEPHANT D'AFRIQUE", "fr", "loxodonta-africana"),
        ("eléphant d’afrique", "fr", "loxodonta-africana"),
        ("tortue a eperon", "fr", "astrochelys-yniphora"),
        ("LÖWE", "de", "panthera-leo"),
        ("lowe", "de", "panthera-leo"),
        ("hermanns tortoise", "en", "testudo-hermanni"),
        ("Hermann's", "en", "testudo-hermanni"),
        ("eagle owl", "en", "bubo-sumatranus"),
        ("Weissbauchschuppentier", "de", "manis-tricuspis"),
    ],
)
def test_case_accents_and_punctuation_do_not_matter(catalogue, query: str, lang: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert search_species(catalogue, query, lang=lang)[0].id == expected


def test_fold() -> None:
    assert fold("Tortue à éperon") == "tortue a eperon"
    assert fold("  Hermann’s   Tortoise ") == "hermanns tortoise"
    assert fold("Blue-throated Macaw") == "blue throated macaw"
    assert fold("Weißbauchschuppentier") == "weissbauchschuppentier"


# Typos -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pangloin", "manidae-spp"),  # transposition
        ("grey parot", "psittacus-erithacus"),  # missing letter
        ("hyacinth macow", "anodorhynchus-hyacinthinus"),  # wrong letter
        ("cheetha", "acinonyx-jubatus"),
        ("rhinocerus", "rhinocerotidae-spp"),
    ],
)
def test_small_typos_are_forgiven(catalogue, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    hits = search_species(catalogue, query, lang="en")
    assert hits, query
    assert hits[0].id == expected
    assert hits[0].match == "fuzzy"


def test_nonsense_finds_nothing(catalogue) -> None:  # type: ignore[no-untyped-def]
    assert search_species(catalogue, "qxzvwk", lang="en") == []


def test_short_queries_are_not_fuzzy(catalogue) -> None:  # type: ignore[no-untyped-def]
    assert all(hit.match != "fuzzy" for hit in search_species(catalogue, "owk", lang="en"))


# Ranking -----------------------------------------------------------------------


@pytest.fixture
def ranking_catalogue() -> tuple[Species, ...]:
    return (
        taxon("fuzzy-one", "Aaa fuzzy", en=("Otrer",)),
        taxon("substring-one", "Aaa sub", en=("Seaotters",)),
        taxon("word-long", "Aaa wordlong", en=("Giant river otter",)),
        taxon("word-short", "Aaa wordshort", en=("Sea otter",)),
        taxon("prefix-one", "Aaa prefix", en=("Otters of Asia",)),
        taxon("exact-one", "Aaa exact", en=("Otter",), fr=("Loutre",)),
    )


def test_exact_then_prefix_then_word_then_substring_then_fuzzy(ranking_catalogue) -> None:  # type: ignore[no-untyped-def]
    hits = search_species(ranking_catalogue, "otter", lang="en")
    assert [(hit.id, hit.match) for hit in hits] == [
        ("exact-one", "exact"),
        ("prefix-one", "prefix"),
        ("word-short", "word"),  # ties by name length: "Sea otter" before "Giant river otter"
        ("word-long", "word"),
        ("substring-one", "substring"),
        ("fuzzy-one", "fuzzy"),
    ]


def test_a_taxon_appears_once_with_its_best_name(ranking_catalogue) -> None:  # type: ignore[no-untyped-def]
    hits = search_species(ranking_catalogue, "a", lang="en")
    assert len(hits) == len(set(ids(hits))) == len(ranking_catalogue)


def test_limit(catalogue) -> None:  # type: ignore[no-untyped-def]
    assert len(search_species(catalogue, "a", lang="en", limit=5)) == 5
    assert len(search_species(catalogue, "a", lang="en")) == 20
    assert search_species(catalogue, "tiger", lang="en", limit=0) == []


def test_group_entry_ranks_above_species_for_a_group_word(catalogue) -> None:  # type: ignore[no-untyped-def]
    assert search_species(catalogue, "parrots", lang="en")[0].id == "psittaciformes-spp"
    assert search_species(catalogue, "pangolin", lang="en")[0].id == "manidae-spp"


# Names offered to the reader -----------------------------------------------------


def test_common_names_fall_back_to_english(ranking_catalogue) -> None:  # type: ignore[no-untyped-def]
    hit = search_species(ranking_catalogue, "sea otter", lang="de")[0]
    assert (hit.common_names, hit.common_names_lang) == (("Sea otter",), "en")
    french = search_species(ranking_catalogue, "otter", lang="fr")[0]
    assert (french.common_names, french.common_names_lang) == (("Loutre",), "fr")
    assert french.label == "Loutre (Aaa exact)"


def test_taxon_without_common_names_is_labelled_by_its_scientific_name() -> None:
    bare = (taxon("x-y", "Xus yus"),)
    hit = search_species(bare, "xus", lang="zh")[0]
    assert hit.common_names == ()
    assert hit.label == "Xus yus"


@pytest.mark.parametrize("query", ["", " ", "\t\n", "  ,  "])
def test_empty_query_returns_nothing(catalogue, query: str) -> None:  # type: ignore[no-untyped-def]
    assert search_species(catalogue, query, lang="en") == []


# Index cache and speed -----------------------------------------------------------


def test_index_is_built_once_per_catalogue(catalogue) -> None:  # type: ignore[no-untyped-def]
    first = species_index(catalogue)
    assert species_index(catalogue) is first
    assert len(first) == len(catalogue)
    other = tuple(catalogue[:10])
    assert species_index(other) is not first


def test_index_accepts_the_content_aggregate(catalogue) -> None:  # type: ignore[no-untyped-def]
    class Holder:
        species = catalogue

    holder = Holder()
    assert species_index(holder) is species_index(holder)
    assert search_species(holder, "tiger", lang="en")[0].id == "panthera-tigris"


def test_queries_answer_well_under_a_millisecond(catalogue) -> None:  # type: ignore[no-untyped-def]
    index = SpeciesIndex(catalogue)
    queries = ["pa", "pangolin", "pangloin", "grey parot", "tortue", "穿山甲", "Schuppentier", "qxzvwk"]
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(20):
            for query in queries:
                index.search(query, lang="en")
        best = min(best, (time.perf_counter() - start) / (20 * len(queries)))
    assert best < 0.001, f"{best * 1e6:.0f} µs per query"
