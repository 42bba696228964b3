"""Nothing a person reads is left untranslated: every message extracted from the code and
templates is in the French, German and Chinese catalogues, translated, not fuzzy, not stale."""

from __future__ import annotations

import pytest

from app.i18n_catalogues import check_catalogue, extract_messages


@pytest.fixture(scope="module")
def extracted():  # type: ignore[no-untyped-def]
    return extract_messages()


def test_extraction_finds_the_interface(extracted) -> None:  # type: ignore[no-untyped-def]
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extracted if m.id}
    assert "Log in" in ids
    assert "Wrong e-mail address or password." in ids
    assert len(ids) > 100


@pytest.mark.parametrize("locale", ["fr", "de", "zh"])
def test_catalogue_is_complete(locale: str, extracted) -> None:  # type: ignore[no-untyped-def]
    problems = check_catalogue(locale, extracted)
    report = "\n".join(
        f"{kind} ({len(items)}): {items[:8]}"
        for kind, items in (
            ("missing", problems.missing),
            ("untranslated", problems.untranslated),
            ("fuzzy", problems.fuzzy),
            ("stale", problems.stale),
            ("placeholders differ", problems.bad_placeholders),
        )
        if items
    )
    assert not problems, f"app/locales/{locale}: run `make messages` and translate.\n{report}"
