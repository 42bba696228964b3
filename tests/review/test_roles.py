"""Who may use the review: anonymous 401, volunteers 403, experts and admins in; admin powers for admins."""

from __future__ import annotations

import pytest

from tests.factories import auth_headers, web_login
from tests.review.factories import make_listing

EXPERT_API = [
    ("GET", "/api/v1/review/queue"),
    ("GET", "/api/v1/review/listings/{id}"),
    ("POST", "/api/v1/review/listings/{id}/claim"),
    ("POST", "/api/v1/review/listings/{id}/release"),
    ("POST", "/api/v1/review/listings/{id}/decision"),
    ("POST", "/api/v1/review/bulk-reject"),
    ("GET", "/api/v1/review/choices"),
    ("GET", "/api/v1/review/code-words"),
    ("POST", "/api/v1/review/code-words"),
]
ADMIN_API = [
    ("POST", "/api/v1/admin/listings/{id}/reopen"),
    ("POST", "/api/v1/admin/listings/{id}/break-claim"),
    ("GET", "/api/v1/admin/audit"),
    ("POST", "/api/v1/admin/code-words/1/approve"),
    ("POST", "/api/v1/admin/code-words/1/reject"),
]


@pytest.fixture
def listing_id(db, training_content, reporter) -> int:  # type: ignore[no-untyped-def]
    return make_listing(db, training_content, reporters=[reporter], species_id="psittacus-erithacus").id  # type: ignore[return-value]


def test_the_api_checks_roles(client, listing_id, reporter, expert_headers, admin_headers) -> None:  # type: ignore[no-untyped-def]
    volunteer = auth_headers(client, reporter)
    for method, path in EXPERT_API + ADMIN_API:
        url = path.format(id=listing_id)
        anonymous = client.request(method, url, json={})
        assert anonymous.status_code == 401, (method, url)
        assert anonymous.json()["detail"]
        refused = client.request(method, url, headers=volunteer, json={})
        assert refused.status_code == 403, (method, url)
        assert "expert" in refused.json()["detail"].lower() or "admin" in refused.json()["detail"].lower()
    for method, path in ADMIN_API:
        url = path.format(id=listing_id)
        assert client.request(method, url, headers=expert_headers, json={}).status_code == 403, url
    assert client.get("/api/v1/review/queue", headers=expert_headers).status_code == 200
    assert client.get("/api/v1/review/queue", headers=admin_headers).status_code == 200
    assert client.get(f"/api/v1/review/listings/{listing_id}", headers=admin_headers).status_code == 200


def test_the_pages_check_roles(client, db, listing_id, reporter, expert) -> None:  # type: ignore[no-untyped-def]
    pages = ["/review", f"/review/listings/{listing_id}"]
    for url in pages + ["/admin/audit", "/admin/code-words"]:
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), url
    web_login(client, reporter)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Coalition experts" in response.text
    client.cookies.clear()
    web_login(client, expert)
    for url in pages:
        assert client.get(url).status_code == 200, url
    for url in ("/admin/audit", "/admin/code-words"):
        assert client.get(url).status_code == 403, url


def test_only_admins_break_claims_and_reopen_from_the_pages(client, db, listing_id, expert) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import post_form

    web_login(client, expert)
    for action in ("reopen", "break-claim"):
        response = post_form(client, f"/review/listings/{listing_id}/{action}", {"reason": "because"},
                             from_path=f"/review/listings/{listing_id}")
        assert response.status_code == 403, action
