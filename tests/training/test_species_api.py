"""The species catalogue API: names in the reader's language, typos, ranking, one taxon by id."""

from __future__ import annotations

import pytest

from tests.factories import auth_headers, make_user


@pytest.fixture
def headers(client, db):  # type: ignore[no-untyped-def]
    return auth_headers(client, make_user(db))


def _search(client, headers, q: str, lang: str | None = None, **params):  # type: ignore[no-untyped-def]
    extra = {"Accept-Language": lang} if lang else {}
    response = client.get("/api/v1/species", params={"q": q, **params}, headers={**headers, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def test_search_needs_a_login(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/species?q=parrot").status_code == 401


def test_common_names_follow_accept_language(client, headers) -> None:  # type: ignore[no-untyped-def]
    english = _search(client, headers, "Psittacus erithacus")[0]
    assert english["id"] == "psittacus-erithacus"
    assert english["common_names_language"] == "en" and "Grey Parrot" in english["common_names"]
    french = _search(client, headers, "Psittacus erithacus", "fr-FR,fr;q=0.9")[0]
    assert french["common_names_language"] == "fr" and "Perroquet gris" in french["common_names"]
    german = _search(client, headers, "Psittacus erithacus", "de")[0]
    assert german["common_names"] == ["Graupapagei"]
    chinese = _search(client, headers, "Psittacus erithacus", "zh-CN")[0]
    assert chinese["common_names"] == ["非洲灰鹦鹉"]
    assert set(english["all_common_names"]) == {"en", "fr", "de", "zh"}
    assert english["cites_appendix"] == "I" and english["group"] == "bird"


def test_names_in_other_languages_are_found(client, headers) -> None:  # type: ignore[no-untyped-def]
    french = _search(client, headers, "perroquet gris", "fr")[0]
    assert french["id"] == "psittacus-erithacus" and french["match"] == "exact" and french["matched_language"] == "fr"
    assert _search(client, headers, "Graupapagei", "de")[0]["id"] == "psittacus-erithacus"
    pangolins = _search(client, headers, "穿山甲", "zh")
    assert pangolins[0]["id"] == "manidae-spp" and pangolins[0]["scientific_name"] == "Manidae spp."
    assert pangolins[0]["rank"] == "family"
    # A French name searched by someone reading in English still shows English names.
    found = _search(client, headers, "perroquet gris", "en")[0]
    assert found["id"] == "psittacus-erithacus" and "Grey Parrot" in found["common_names"]


def test_falls_back_to_english_names(client, headers) -> None:  # type: ignore[no-untyped-def]
    timneh = _search(client, headers, "Psittacus timneh", "fr")[0]
    assert timneh["id"] == "psittacus-timneh"
    assert timneh["common_names_language"] == "en" and timneh["common_names"] == ["Timneh Parrot"]


def test_case_accents_and_typos(client, headers) -> None:  # type: ignore[no-untyped-def]
    assert _search(client, headers, "pangolim")[0]["id"] == "manidae-spp"
    parrot = _search(client, headers, "Psitacus eritacus")[0]
    assert parrot["id"] == "psittacus-erithacus" and parrot["match"] == "fuzzy"
    ids = {hit["id"] for hit in _search(client, headers, "ELEPHANT")}
    assert {"loxodonta-africana", "elephas-maximus"} <= ids
    assert {"loxodonta-africana", "elephas-maximus"} <= {hit["id"] for hit in _search(client, headers, "elephant", "fr")}


def test_limit_and_empty_query(client, headers) -> None:  # type: ignore[no-untyped-def]
    assert len(_search(client, headers, "a", limit=3)) == 3
    listing = _search(client, headers, "", limit=5)
    assert len(listing) == 5 and listing[0]["match"] is None
    assert client.get("/api/v1/species?q=a&limit=0", headers=headers).status_code == 422
    assert client.get("/api/v1/species?q=a&limit=201", headers=headers).status_code == 422
    assert _search(client, headers, "zzzzqqqq") == []


def test_one_species_by_id(client, headers) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/species/manidae-spp", headers={**headers, "Accept-Language": "de"})
    assert response.status_code == 200
    body = response.json()
    assert body["scientific_name"] == "Manidae spp." and body["common_names"] == ["Schuppentiere"]
    assert body["cites_appendix"] == "I" and body["appendix_rank"] == 1 and "scales" in body["product_forms"]
    missing = client.get("/api/v1/species/no-such-taxon", headers=headers)
    assert missing.status_code == 404 and "no-such-taxon" in missing.json()["detail"]


def test_markup_in_a_query_comes_back_as_data(client, headers) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/species", params={"q": "<script>alert(1)</script>"}, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
