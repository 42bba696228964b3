"""Choosing the language: explicit choice > Accept-Language > English; every page says its lang."""

from __future__ import annotations

import pytest

from app.i18n import negotiate
from tests.conftest import post_form
from tests.factories import PASSWORD, auth_headers, make_user, web_login

# A string from the base layout, per language.
LOG_IN = {"en": "Log in", "fr": "Se connecter", "de": "Anmelden", "zh": "登录"}
HTML_LANG = {"en": "en", "fr": "fr", "de": "de", "zh": "zh-Hans"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("de-DE", "de"),
        ("zh-Hans-SG,zh;q=0.9", "zh"),
        ("zh-CN", "zh"),
        ("es-ES,de;q=0.5", "de"),
        ("en;q=0.2,fr;q=0.8", "fr"),
        ("es", None),
        ("", None),
        ("fr;q=0", None),
        ("*", None),
    ],
)
def test_accept_language_negotiation(header: str, expected: str | None) -> None:
    assert negotiate(header) == expected


@pytest.mark.parametrize("locale", ["en", "fr", "de", "zh"])
def test_pages_follow_accept_language(client, locale: str) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/login", "/register"):
        response = client.get(path, headers={"Accept-Language": locale})
        assert response.status_code == 200
        assert f'<html lang="{HTML_LANG[locale]}">' in response.text, path
        assert LOG_IN[locale] in response.text, path
        assert response.headers["Content-Language"] == HTML_LANG[locale]


def test_explicit_choice_beats_accept_language(client) -> None:  # type: ignore[no-untyped-def]
    response = post_form(client, "/language", {"language": "de", "next": "/login"})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "fr"})
    assert '<html lang="de">' in page.text and LOG_IN["de"] in page.text


def test_choice_is_kept_in_the_account(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    web_login(client, user)
    post_form(client, "/language", {"language": "zh", "next": "/account"}, from_path="/account")
    client.cookies.clear()
    # On a new device the account's language comes back at login.
    response = post_form(client, "/login", {"email": user.email, "password": PASSWORD}, from_path="/login")
    assert "cs_lang=zh" in response.headers.get("set-cookie", "")
    assert '<html lang="zh-Hans">' in client.get("/account").text


def test_unknown_language_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    response = post_form(client, "/language", {"language": "xx"})
    assert response.status_code == 422


def test_api_errors_follow_accept_language(client, db) -> None:  # type: ignore[no-untyped-def]
    body = {"username": "nobody@example.org", "password": "whatever12345"}
    english = client.post("/api/v1/auth/token", data=body)
    french = client.post("/api/v1/auth/token", data=body, headers={"Accept-Language": "fr"})
    assert english.status_code == french.status_code == 401
    assert english.json()["code"] == french.json()["code"] == "invalid_credentials"
    assert english.json()["detail"] != french.json()["detail"]
    missing = client.post("/api/v1/auth/register", json={}, headers={"Accept-Language": "de"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["type"] == "missing"  # machine-readable fields stay English
    assert missing.json()["detail"][0]["msg"] != "This field is required."


def test_api_ignores_the_language_cookie(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    client.cookies.set("cs_lang", "de")
    response = client.get("/api/v1/nothing-here", headers=auth_headers(client, user))
    assert response.headers["Content-Language"] == "en"


def test_dates_and_numbers_are_formatted_per_locale() -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from app import i18n

    moment = datetime(2026, 3, 7, 14, 30, tzinfo=UTC)
    formatted = {}
    for locale in ("en", "fr", "de", "zh"):
        with i18n.use_locale(locale):
            formatted[locale] = (i18n.format_date(moment), i18n.format_number(1234567.5),
                                 i18n.format_currency(Decimal("1250.5"), "EUR"))
    assert formatted["en"] == ("Mar 7, 2026", "1,234,567.5", "€1,250.50")
    assert formatted["de"][1] == "1.234.567,5" and formatted["de"][2].startswith("1.250,50")
    assert formatted["fr"][0] == "7 mars 2026"
    assert formatted["zh"][0] == "2026年3月7日"


def test_plural_forms() -> None:
    from app import i18n

    with i18n.use_locale("en"):
        assert i18n.ngettext("%(num)s report", "%(num)s reports", 1) == "1 report"
        assert i18n.ngettext("%(num)s report", "%(num)s reports", 2) == "2 reports"
