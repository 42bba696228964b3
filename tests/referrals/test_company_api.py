"""The admin companies API: secrets shown once, checks on what is saved, rotation, test events."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from app.models import AuditEntry, Company, Role, utcnow
from app.security import hash_api_key
from tests.factories import auth_headers, make_user
from tests.referrals.factories import Receiver, make_company


@pytest.fixture
def headers(client, admin) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return auth_headers(client, admin)


def test_creating_a_company_shows_its_secret_and_key_once(client, db, headers) -> None:
    answer = client.post("/api/v1/admin/companies", headers=headers, json={
        "name": "eBay", "domains": ["ebay.ie"], "platforms": ["ebay"], "contact_email": "Takedowns@Example.com",
    })
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["webhook_secret"].startswith("whsec_")
    assert len(base64.b64decode(created["webhook_secret"][6:])) == 32
    assert created["api_key"].startswith("csk_") and created["api_key"].startswith(created["api_key_prefix"])
    assert created["platforms"] == ["ebay"] and created["domains"] == ["ebay.ie"]
    assert created["endpoint_state"] == "not_configured" and created["active"] is True

    again = client.get(f"/api/v1/admin/companies/{created['id']}", headers=headers).json()
    assert "webhook_secret" not in again and "api_key" not in again
    listed = client.get("/api/v1/admin/companies", headers=headers).json()
    assert [item["name"] for item in listed["items"]] == ["eBay"] and listed["next_cursor"] is None
    with db.session() as session:
        company = session.get(Company, created["id"])
        assert company.api_key_hash == hash_api_key(created["api_key"])
        trail = json.dumps([entry.after for entry in session.execute(select(AuditEntry)).scalars()])
    assert created["api_key"] not in trail and created["webhook_secret"] not in trail


@pytest.mark.parametrize(("body", "status", "text"), [
    ({"name": "X", "webhook_url": "https://10.0.0.7/hook"}, 422, "private network"),
    ({"name": "X", "webhook_url": "https://169.254.169.254/latest"}, 422, "metadata"),
    ({"name": "X", "webhook_url": "ftp://hooks.example.com/"}, 422, ""),
    ({"name": "X", "platforms": ["no-such-platform"]}, 422, "no platform no-such-platform"),
    ({"name": "X", "domains": ["https://shop.ebay.co.uk/path"]}, 422, "not a registrable domain"),
    ({"name": "X", "domains": ["shop.wildmarket.co.uk"]}, 422, "write wildmarket.co.uk"),
    ({"name": "X", "contact_email": "not an address"}, 422, "not a valid e-mail address"),
    ({"name": "   "}, 422, "name"),
    ({"name": "X", "secret": "mine"}, 422, ""),
])
def test_what_is_saved_is_checked(client, settings, headers, body, status, text) -> None:
    strict = {"webhook_allow_private_targets": False}
    client.app.state.settings = settings.model_copy(update=strict)
    answer = client.post("/api/v1/admin/companies", headers=headers, json=body)
    assert answer.status_code == status, answer.text
    assert text in json.dumps(answer.json())


def test_names_platforms_and_domains_belong_to_one_company(client, db, settings, training_content, headers) -> None:
    make_company(db, settings, training_content, name="eBay", platforms=("ebay",), domains=("ebay.ie",))
    for body, text in [({"name": "EBAY"}, "already exists"),
                       ({"name": "Other", "platforms": ["ebay"]}, "already belongs to eBay"),
                       ({"name": "Other", "domains": ["ebay.ie"]}, "already belongs to eBay")]:
        answer = client.post("/api/v1/admin/companies", headers=headers, json=body)
        assert answer.status_code == 409 and text in answer.json()["detail"]


def test_only_admins(client, db) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/admin/companies").status_code == 401
    expert = make_user(db, role=Role.expert)
    assert client.get("/api/v1/admin/companies", headers=auth_headers(client, expert)).status_code == 403
    assert client.get("/api/v1/admin/deliveries", headers=auth_headers(client, expert)).status_code == 403


def test_updating_checks_the_new_url_and_reenables_the_endpoint(client, db, settings, training_content,
                                                               headers) -> None:
    credentials = make_company(db, settings, training_content, webhook_url="http://127.0.0.1:9/old")
    with db.transaction() as session:
        company = session.get(Company, credentials.company.id)
        company.endpoint_disabled_at = utcnow()
        company.endpoint_disabled_reason = "The endpoint answered 410 Gone."
    url = f"/api/v1/admin/companies/{credentials.company.id}"
    assert client.get(url, headers=headers).json()["endpoint_state"] == "disabled"
    client.app.state.settings = settings.model_copy(update={"webhook_allow_private_targets": False})
    answer = client.patch(url, headers=headers, json={"webhook_url": "https://127.0.0.1/new"})
    assert answer.status_code == 422 and "loopback" in answer.json()["detail"]
    client.app.state.settings = settings
    answer = client.patch(url, headers=headers, json={"webhook_url": "http://127.0.0.1:9/new", "name": "Renamed"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["endpoint_state"] == "untested" and answer.json()["name"] == "Renamed"
    assert client.patch(url, headers=headers, json={"api_key_hash": "x"}).status_code == 422


def test_rotating_the_api_key_stops_the_old_one(client, db, settings, training_content, headers) -> None:
    credentials = make_company(db, settings, training_content)
    old = {"Authorization": f"Bearer {credentials.api_key}"}
    assert client.get("/api/v1/company/referrals", headers=old).status_code == 200
    answer = client.post(f"/api/v1/admin/companies/{credentials.company.id}/rotate-api-key", headers=headers)
    assert answer.status_code == 200
    new = {"Authorization": f"Bearer {answer.json()['api_key']}"}
    assert client.get("/api/v1/company/referrals", headers=old).status_code == 401
    assert client.get("/api/v1/company/referrals", headers=new).status_code == 200


def test_rotating_the_secret_keeps_the_old_one_for_the_grace_period(client, db, settings, training_content,
                                                                     headers) -> None:
    credentials = make_company(db, settings, training_content)
    answer = client.post(f"/api/v1/admin/companies/{credentials.company.id}/rotate-secret", headers=headers)
    assert answer.status_code == 200
    rotated = answer.json()
    assert rotated["webhook_secret"].startswith("whsec_") and rotated["webhook_secret"] != credentials.webhook_secret
    from datetime import datetime

    until = datetime.fromisoformat(rotated["previous_secret_signs_until"].replace("Z", "+00:00"))
    assert abs(until - (utcnow() + timedelta(hours=24))) < timedelta(minutes=1)


def test_send_a_test_event_shows_what_the_endpoint_answered(client, db, settings, training_content,
                                                             headers) -> None:
    with Receiver(answers=[(200, {}, b'{"received": true}'), (500, {}, b"x" * 20000)]) as receiver:
        credentials = make_company(db, settings, training_content, webhook_url=receiver.url())
        url = f"/api/v1/admin/companies/{credentials.company.id}/ping"
        answer = client.post(url, headers=headers)
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert result["ok"] is True and result["status_code"] == 200
        assert result["response_body"] == '{"received": true}' and result["latency_ms"] >= 0
        event = Webhook(credentials.webhook_secret).verify(receiver.received[0].body, receiver.received[0].headers)
        assert event["type"] == "ping"

        failed = client.post(url, headers=headers).json()
        assert failed["ok"] is False and failed["status_code"] == 500 and failed["error"] == "HTTP 500"
        assert failed["truncated"] is True and len(failed["response_body"]) < 17000

    log = client.get(f"/api/v1/admin/deliveries?company_id={credentials.company.id}", headers=headers).json()
    assert [(d["event_type"], d["status"]) for d in log["items"]] == [("ping", "failed"), ("ping", "delivered")]
    with db.session() as session:
        assert session.get(Company, credentials.company.id).failing_since is None  # a test changes nothing


def test_a_test_event_needs_a_url(client, db, settings, training_content, headers) -> None:
    credentials = make_company(db, settings, training_content)
    answer = client.post(f"/api/v1/admin/companies/{credentials.company.id}/ping", headers=headers)
    assert answer.status_code == 422 and "no webhook URL" in answer.json()["detail"]
    assert client.post("/api/v1/admin/companies/999/ping", headers=headers).status_code == 404
