"""What companies answer (outcomes), what they read back, and the admin delivery log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.models import AuditEntry, Company, Listing, OutboxMessage, Referral, utcnow
from tests.factories import auth_headers
from tests.referrals.factories import make_company, make_confirmed_listing


@pytest.fixture
def ebay(db, settings, training_content):  # type: ignore[no-untyped-def]
    return make_company(db, settings, training_content, name="eBay", platforms=("ebay",))


@pytest.fixture
def etsy(db, settings, training_content):  # type: ignore[no-untyped-def]
    return make_company(db, settings, training_content, name="Etsy", platforms=("etsy",))


def key(credentials) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {credentials.api_key}"}


def outcome_audits(db, referral_id: int) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "referral.outcome", AuditEntry.entity_id == str(referral_id))).scalar_one()


def test_outcomes_need_the_companys_own_key(client, db, settings, training_content, reporters, ebay, etsy) -> None:
    _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters)
    url = f"/api/v1/company/referrals/{referral.id}/outcome"
    body = {"outcome": "removed"}
    answer = client.post(url, json=body)
    assert answer.status_code == 401 and "API key" in answer.json()["detail"]
    assert answer.headers["www-authenticate"] == "Bearer"
    assert client.post(url, json=body, headers={"Authorization": "Bearer csk_made_up"}).status_code == 401
    # A person's login is no company key either.
    assert client.post(url, json=body, headers=auth_headers(client, reporters[0])).status_code == 401
    # Another company: as if the referral did not exist.
    answer = client.post(url, json=body, headers=key(etsy))
    assert answer.status_code == 404 and "no referral" in answer.json()["detail"]
    assert client.get(f"/api/v1/company/referrals/{referral.id}", headers=key(etsy)).status_code == 404
    assert client.post("/api/v1/company/referrals/99999/outcome", json=body, headers=key(ebay)).status_code == 404
    # An inactive company's key stops working.
    with db.transaction() as session:
        session.get(Company, ebay.company.id).active = False
    assert client.post(url, json=body, headers=key(ebay)).status_code == 401


def test_removed_closes_the_listing_and_is_idempotent(client, db, settings, training_content, reporters,
                                                      ebay) -> None:
    listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters)
    url = f"/api/v1/company/referrals/{referral.id}/outcome"
    acted_at = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    acted = acted_at.isoformat().replace("+00:00", "Z")

    first = client.post(url, headers=key(ebay), json={"outcome": "removed", "note": "Seller banned", "acted_at": acted})
    assert first.status_code == 200, first.text
    assert first.json()["changed"] is True and first.json()["outcome"] == "removed"
    again = client.post(url, headers=key(ebay), json={"outcome": "removed", "note": "Seller banned"})
    assert again.status_code == 200 and again.json()["changed"] is False
    assert outcome_audits(db, referral.id) == 1

    with db.session() as session:
        stored = session.get(Referral, referral.id)
        closed = session.get(Listing, listing.id)
    assert stored.outcome == "removed" and stored.outcome_note == "Seller banned" and stored.status == "answered"
    assert stored.acted_at == acted_at and stored.outcome_received_at is not None
    assert closed.status == "removed" and closed.removed_at == acted_at
    assert closed.removed_at - closed.confirmed_at < timedelta(hours=1)  # confirmation to removal, derivable


def test_a_different_outcome_later_is_recorded_and_audited(client, db, settings, training_content, reporters,
                                                           ebay) -> None:
    listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters)
    url = f"/api/v1/company/referrals/{referral.id}/outcome"
    assert client.post(url, headers=key(ebay), json={"outcome": "not_removed", "note": "Legal antique"}).json()["changed"]
    with db.session() as session:
        assert session.get(Listing, listing.id).status == "confirmed"
    answer = client.post(url, headers=key(ebay), json={"outcome": "removed", "note": "On appeal: removed"})
    assert answer.json()["changed"] is True
    assert outcome_audits(db, referral.id) == 2
    with db.session() as session:
        assert session.get(Listing, listing.id).status == "removed"
        entries = list(session.execute(select(AuditEntry).where(AuditEntry.action == "referral.outcome")
                                       .order_by(AuditEntry.id)).scalars())
    assert entries[1].before["outcome"] == "not_removed" and entries[1].actor_company_id == ebay.company.id
    assert entries[1].actor_label == "company:eBay"


@pytest.mark.parametrize(("body", "field"), [
    ({"outcome": "deleted"}, "outcome"),
    ({"outcome": "removed", "acted_at": "2999-01-01T00:00:00Z"}, "acted_at"),
    ({"outcome": "removed", "acted_at": "2026-01-01T00:00:00"}, "acted_at"),
    ({"outcome": "removed", "note": "x" * 2001}, "note"),
    ({"outcome": "removed", "extra": 1}, "extra"),
])
def test_bad_outcomes_say_what_is_wrong(client, db, settings, training_content, reporters, ebay, body,
                                        field) -> None:
    _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters)
    answer = client.post(f"/api/v1/company/referrals/{referral.id}/outcome", headers=key(ebay), json=body)
    assert answer.status_code == 422
    assert field in answer.text
    assert outcome_audits(db, referral.id) == 0


def test_companies_poll_their_own_referrals(client, db, settings, training_content, reporters, ebay, etsy) -> None:
    mine = [make_confirmed_listing(db, settings, training_content, reporters=reporters)[1] for _ in range(3)]
    make_confirmed_listing(db, settings, training_content, reporters=reporters, domain="etsy.com", platform_id="etsy")
    client.post(f"/api/v1/company/referrals/{mine[0].id}/outcome", headers=key(ebay), json={"outcome": "not_found"})

    page = client.get("/api/v1/company/referrals?limit=2", headers=key(ebay)).json()
    assert [item["id"] for item in page["items"]] == [mine[2].id, mine[1].id]
    rest = client.get(f"/api/v1/company/referrals?limit=2&cursor={page['next_cursor']}", headers=key(ebay)).json()
    assert [item["id"] for item in rest["items"]] == [mine[0].id] and rest["next_cursor"] is None
    item = rest["items"][0]
    assert item["outcome"] == "not_found" and item["referral_id"] == str(mine[0].id)
    assert item["evidence"][0]["url"].startswith("http://testserver/evidence-links/")
    assert client.get(item["evidence"][0]["url"].replace("http://testserver", "")).status_code == 200

    waiting = client.get("/api/v1/company/referrals?outcome=none", headers=key(ebay)).json()
    assert {item["id"] for item in waiting["items"]} == {mine[1].id, mine[2].id}
    found = client.get("/api/v1/company/referrals?outcome=not_found", headers=key(ebay)).json()
    assert [item["id"] for item in found["items"]] == [mine[0].id]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert client.get("/api/v1/company/referrals", params={"since": future}, headers=key(ebay)).json()["items"] == []
    assert client.get("/api/v1/company/referrals?outcome=maybe", headers=key(ebay)).status_code == 422
    assert client.get("/api/v1/company/referrals?cursor=garbage", headers=key(ebay)).status_code == 422


def test_the_admin_delivery_log_retry_and_recover(client, db, settings, training_content, reporters, admin,
                                                  ebay) -> None:
    headers = auth_headers(client, admin)
    referrals = [make_confirmed_listing(db, settings, training_content, reporters=reporters)[1] for _ in range(3)]
    with db.transaction() as session:
        session.execute(update(OutboxMessage).values(status="failed", next_attempt_at=None, attempt_count=10))
        session.execute(update(Referral).values(status="failed"))

    page = client.get(f"/api/v1/admin/deliveries?company_id={ebay.company.id}&status=failed&limit=2",
                      headers=headers).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    assert page["items"][0]["referral_id"] == referrals[2].id and page["items"][0]["attempts"] == []
    assert client.get("/api/v1/admin/deliveries?status=lost", headers=headers).status_code == 422

    message_id = page["items"][0]["id"]
    answer = client.post(f"/api/v1/admin/deliveries/{message_id}/retry", headers=headers)
    assert answer.status_code == 202 and answer.json()["status"] == "pending"
    assert answer.json()["attempt_count"] == 0
    assert client.post("/api/v1/admin/deliveries/msg_nope/retry", headers=headers).status_code == 404
    with db.transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(status="delivered"))
    answer = client.post(f"/api/v1/admin/deliveries/{message_id}/retry", headers=headers)
    assert answer.status_code == 409 and "already delivered" in answer.json()["detail"]

    since = (utcnow() - timedelta(hours=1)).isoformat()
    answer = client.post(f"/api/v1/admin/companies/{ebay.company.id}/recover", headers=headers,
                         json={"since": since})
    assert answer.status_code == 202 and answer.json() == {"requeued": 2}
    statuses = client.get("/api/v1/admin/referrals", headers=headers).json()["items"]
    assert [item["status"] for item in statuses] == ["pending"] * 3
    no_recipient = client.get("/api/v1/admin/referrals?status=no_recipient", headers=headers).json()
    assert no_recipient["items"] == []
    one = client.get(f"/api/v1/admin/referrals/{referrals[0].id}", headers=headers).json()
    assert one["company_name"] == "eBay" and one["listing_status"] == "confirmed"
