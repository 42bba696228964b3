"""platforms.yaml: the shipped file loads, and every broken file says where and what."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.content.errors import ContentError
from app.content.platforms import (
    Platform,
    PlatformCatalogue,
    load_platforms,
    normalise_domain,
    registrable_domain,
)

REPO = Path(__file__).resolve().parents[2]
PLATFORMS_YAML = REPO / "training_content" / "platforms.yaml"
RESEARCH_CSV = REPO.parent / "shared" / "data" / "platforms.csv"


@pytest.fixture(scope="module")
def catalogue() -> PlatformCatalogue:
    return load_platforms(PLATFORMS_YAML)


# --- The shipped file ------------------------------------------------------------------


def test_shipped_file_loads(catalogue: PlatformCatalogue) -> None:
    assert len(catalogue) >= 45
    ids = [platform.id for platform in catalogue.platforms]
    assert len(ids) == len(set(ids))
    for expected in (
        "ebay",
        "etsy",
        "facebook",
        "instagram",
        "leboncoin",
        "kleinanzeigen",
        "taobao",
        "tiktok",
    ):
        assert catalogue.get(expected) is not None, expected
    members = [platform for platform in catalogue.platforms if platform.coalition_member]
    assert 30 <= len(members) < len(catalogue)
    assert "utm_*" in catalogue.global_tracking_params
    assert "fbclid" in catalogue.global_tracking_params


def test_lookup_by_registrable_domain(catalogue: PlatformCatalogue) -> None:
    assert catalogue.by_domain("ebay.co.uk").id == "ebay"  # type: ignore[union-attr]
    assert catalogue.by_domain("ebay.com.au").id == "ebay"  # type: ignore[union-attr]
    assert catalogue.by_domain("ebay-kleinanzeigen.de").id == "kleinanzeigen"  # type: ignore[union-attr]
    assert catalogue.by_domain("yahoo.co.jp").id == "yahoo-japan-auctions"  # type: ignore[union-attr]
    assert catalogue.by_domain("example.org") is None
    # Lookups take registrable domains, not hosts.
    assert catalogue.by_domain("www.ebay.co.uk") is None


def test_every_domain_is_registrable_and_normalised(catalogue: PlatformCatalogue) -> None:
    for platform in catalogue.platforms:
        for domain in platform.domains:
            assert registrable_domain(domain) == domain, (platform.id, domain)
            assert normalise_domain(domain) == domain


def test_platforms_with_patterns_have_tracking_and_templates(catalogue: PlatformCatalogue) -> None:
    with_patterns = [platform for platform in catalogue.platforms if platform.listing_patterns]
    assert len(with_patterns) >= 30
    for platform in with_patterns:
        assert platform.domains, platform.id
        for pattern in platform.listing_patterns:
            assert "id" in pattern.regex.groupindex
            assert "{id}" in pattern.template and pattern.template.startswith("https://")


def test_the_research_data_is_covered(catalogue: PlatformCatalogue) -> None:
    """Every domain named in shared/data/platforms.csv leads to a platform of the catalogue."""
    if not RESEARCH_CSV.is_file():
        pytest.skip("shared/data/platforms.csv is not beside the repository")
    with RESEARCH_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 40
    for row in rows:
        for raw in row["main_domains"].split(";"):
            host = re.sub(r"\(.*?\)", "", raw).strip().lower()
            if not host:
                continue
            domain = registrable_domain(host)
            assert domain is not None, host
            platform = catalogue.by_domain(domain)
            assert platform is not None, f"{host} ({row['platform_name']}) has no platform"
            member = row["coalition_member"].strip().lower() == "yes"
            assert platform.coalition_member == member, (host, row["coalition_member"])


# --- Run-time domains ------------------------------------------------------------------


def test_with_extra_domains(catalogue: PlatformCatalogue) -> None:
    vinted = Platform(id="vinted", name="Vinted", company="Vinted", coalition_member=False)
    extended = catalogue.with_extra_domains(
        {"WWW.eBay.IN": "ebay", "vinted.fr": vinted, "bücher.de": "buecher", "tb.cn": "xianyu"}
    )
    assert extended.by_domain("ebay.in").id == "ebay"  # type: ignore[union-attr]
    assert extended.by_domain("vinted.fr").name == "Vinted"  # type: ignore[union-attr]
    # An id the file does not know: a platform registered only in the database.
    assert extended.by_domain("xn--bcher-kva.de").id == "buecher"  # type: ignore[union-attr]
    # Run-time mappings win over the file.
    assert extended.by_domain("tb.cn").id == "xianyu"  # type: ignore[union-attr]
    assert extended.by_domain("taobao.com").id == "taobao"  # type: ignore[union-attr]
    # The loaded catalogue is left as it was.
    assert catalogue.by_domain("ebay.in") is None
    assert catalogue.by_domain("tb.cn").id == "taobao"  # type: ignore[union-attr]
    assert catalogue.get("vinted") is None


@pytest.mark.parametrize("domain", ["shop.example.com", "co.uk", "localhost", "not a domain", ""])
def test_with_extra_domains_refuses_what_is_not_a_registrable_domain(
    catalogue: PlatformCatalogue, domain: str
) -> None:
    with pytest.raises(ValueError):
        catalogue.with_extra_domains({domain: "ebay"})


def test_catalogue_is_frozen(catalogue: PlatformCatalogue) -> None:
    with pytest.raises(ValueError):
        catalogue.platforms[0].name = "changed"  # type: ignore[misc]


# --- Broken files ----------------------------------------------------------------------


def _base() -> dict[str, Any]:
    return {
        "global_tracking_params": ["utm_*", "fbclid"],
        "platforms": [
            {
                "id": "ebay",
                "name": "eBay",
                "company": "eBay",
                "coalition_member": True,
                "domains": ["ebay.com", "ebay.co.uk"],
                "canonical_template": "https://{host}/itm/{id}",
                "listing_patterns": [r"/itm/(?:[^/]+/)?(?P<id>\d+)"],
                "tracking_params": ["_trksid", "hash"],
            },
            {
                "id": "etsy",
                "name": "Etsy",
                "company": "Etsy",
                "coalition_member": True,
                "domains": ["etsy.com"],
                "canonical_template": "https://etsy.com/listing/{id}",
                "listing_patterns": [r"/listing/(?P<id>\d+)"],
            },
        ],
    }


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "platforms.yaml"
    path.write_text(
        data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8"
    )
    return path


def test_minimal_file_loads(tmp_path: Path) -> None:
    catalogue = load_platforms(_write(tmp_path, _base()))
    assert [platform.id for platform in catalogue.platforms] == ["ebay", "etsy"]
    assert catalogue.by_domain("ebay.co.uk").id == "ebay"  # type: ignore[union-attr]
    assert catalogue.tracking_rules("ebay").drops("_TRKSID")
    assert catalogue.tracking_rules("ebay").drops("utm_campaign")
    assert not catalogue.tracking_rules("etsy").drops("_trksid")
    assert not catalogue.tracking_rules(None).drops("utm")


def _second(change: dict[str, Any]) -> dict[str, Any]:
    data = _base()
    data["platforms"][1].update(change)
    return data


BROKEN = [
    ("duplicate id", _second({"id": "ebay", "domains": ["ebay.fr"]}), "ebay", "duplicate id"),
    ("domain claimed twice", _second({"domains": ["etsy.com", "ebay.co.uk"]}), "etsy",
     "'ebay.co.uk' is already claimed by platform 'ebay'"),
    ("domain listed twice", _second({"domains": ["etsy.com", "ETSY.com"]}), "etsy", "listed twice"),
    ("pattern does not compile", _second({"listing_patterns": ["/listing/(?P<id>\\d+"]}), "etsy", "does not compile"),
    ("pattern without id group", _second({"listing_patterns": ["/listing/(\\d+)"]}), "etsy",
     "has no named group 'id'"),
    ("template without id", _second({"canonical_template": "https://etsy.com/listing/"}), "etsy", "has no {id}"),
    ("template with an unknown name", _second({"canonical_template": "https://etsy.com/{slug}/{id}"}), "etsy",
     "slug"),
    ("template with a format spec", _second({"canonical_template": "https://etsy.com/{id:>10}"}), "etsy",
     "plain name"),
    ("template not https", _second({"canonical_template": "http://etsy.com/listing/{id}"}), "etsy",
     "must start with https://"),
    ("pattern template without id", _second({"listing_patterns": [
        {"pattern": "/l/(?P<id>\\d+)", "template": "https://etsy.com/l/"}]}), "etsy", "has no {id}"),
    ("pattern without any template", _second({"canonical_template": None}), "etsy", "no canonical_template"),
    ("pattern mapping with unknown key", _second({"listing_patterns": [{"regex": "/l/(?P<id>\\d+)"}]}), "etsy",
     "unknown key(s) regex"),
    ("not a registrable domain", _second({"domains": ["shop.etsy.com"]}), "etsy",
     "is not a registrable domain (use 'etsy.com')"),
    ("unknown suffix", _second({"domains": ["etsy.invalidtld"]}), "etsy", "no registrable domain"),
    ("bad id", _second({"id": "Etsy Inc"}), "Etsy Inc", "the id must be lower-case"),
    ("missing name", _second({"name": ""}), "etsy", "'name' is missing or empty"),
    ("coalition flag not a bool", _second({"coalition_member": "yes"}), "etsy", "'coalition_member' must be true or false"),
    ("misspelt key", _second({"domian": ["etsy.com"]}), "etsy", "unknown key(s) domian"),
    ("wildcard in the middle", _second({"tracking_params": ["utm_*x"]}), "etsy", "may only end with '*'"),
    ("domains not a list", _second({"domains": "etsy.com"}), "etsy", "domains must be a list"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "data", "platform_id", "problem"), BROKEN, ids=[row[0] for row in BROKEN])
def test_broken_platform_names_id_and_problem(
    tmp_path: Path, case: str, data: dict[str, Any], platform_id: str, problem: str
) -> None:
    with pytest.raises(ContentError) as caught:
        load_platforms(_write(tmp_path, data))
    message = str(caught.value)
    assert message.startswith("platforms.yaml"), message
    assert f"platform '{platform_id}'" in message, message
    assert problem in message, message
    # The second platform starts after the first one's nine lines (and the two of the header).
    assert caught.value.line is not None and caught.value.line > 10, message


BROKEN_FILES = [
    ("not YAML", "platforms: [\n  - id: ebay\n", "invalid YAML"),
    ("repeated key", "platforms:\n  - id: ebay\n    id: etsy\n", "repeats"),
    ("not a mapping", "- ebay\n- etsy\n", "must be a mapping"),
    ("unknown top-level key", {**_base(), "platfroms": []}, "unknown top-level key(s) platfroms"),
    ("no platforms", {"global_tracking_params": []}, "'platforms' must be a non-empty list"),
    ("bad global tracking", {**_base(), "global_tracking_params": ["*utm"]}, "global_tracking_params"),
]


@pytest.mark.parametrize(("case", "data", "problem"), BROKEN_FILES, ids=[row[0] for row in BROKEN_FILES])
def test_broken_file_names_the_problem(tmp_path: Path, case: str, data: Any, problem: str) -> None:
    with pytest.raises(ContentError) as caught:
        load_platforms(_write(tmp_path, data))
    assert str(caught.value).startswith("platforms.yaml")
    assert problem in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="missing"):
        load_platforms(tmp_path / "platforms.yaml")


def test_error_line_points_at_the_platform(tmp_path: Path) -> None:
    text = PLATFORMS_YAML.read_text(encoding="utf-8")
    broken = text.replace("  - id: etsy\n", "  - id: etsy\n    colour: orange\n", 1)
    assert broken != text
    with pytest.raises(ContentError) as caught:
        load_platforms(_write(tmp_path, broken))
    expected_line = broken.splitlines().index("  - id: etsy") + 1
    assert caught.value.line == expected_line
    assert caught.value.item == "platform 'etsy'"
    assert "unknown key(s) colour" in str(caught.value)
