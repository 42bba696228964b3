"""Referrals: what the webhook says (and never says), routing to companies, evidence links."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from app.models import Evidence, OutboxMessage, Referral, utcnow
from app.services import referrals
from app.webhooks import payloads
from tests.factories import auth_headers
from tests.referrals.factories import make_company, make_confirmed_listing


def messages(db) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.created_at)).scalars())


def test_the_payload_follows_the_contract(db, settings, training_content, reporters, expert) -> None:
    make_company(db, settings, training_content)
    listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters, expert=expert,
                                               evidence_per_report=2)
    (message,) = messages(db)
    assert referral.status == "pending" and message.referral_id == referral.id
    assert message.event_type == "referral.created" and message.status == "pending"
    body = message.payload
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "referral.created" and body["timestamp"].endswith("Z")
    data = body["data"]
    assert set(data) == {"referral_id", "listing_url", "platform", "species", "finding", "confirmed_at",
                         "report_count", "evidence", "outcome_url"}
    assert data["referral_id"] == str(referral.id)
    assert data["listing_url"] == listing.canonical_url and data["platform"] == "ebay"
    assert data["species"] == {"scientific_name": "Loxodonta africana", "common_name": "African Elephant",
                               "cites_appendix": "I/II"}
    assert data["finding"] == listing.finding and data["report_count"] == 2
    assert data["confirmed_at"].endswith("Z")
    assert data["outcome_url"] == f"http://testserver/api/v1/company/referrals/{referral.id}/outcome"
    assert len(data["evidence"]) == 4
    for item in data["evidence"]:
        assert set(item) == {"sha256", "content_type", "url"} and item["content_type"] == "image/png"
    assert len(json.dumps(body).encode()) < 20_000


def test_no_reporter_data_in_any_payload(client, db, settings, training_content, reporters, expert, admin) -> None:
    credentials = make_company(db, settings, training_content)
    _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters, expert=expert)
    company_view = client.get(f"/api/v1/company/referrals/{referral.id}",
                              headers={"Authorization": f"Bearer {credentials.api_key}"}).text
    company_list = client.get("/api/v1/company/referrals",
                              headers={"Authorization": f"Bearer {credentials.api_key}"}).text
    payload = json.dumps(messages(db)[0].payload, ensure_ascii=False)
    forbidden = ["reporter", "Private note", "seller-handle-secret", "Antique bone carving", "typed by the volunteer",
                 "elephant ivory?", "utm_source", "internal note of the expert", expert.email, expert.display_name]
    for person in reporters:
        forbidden += [person.email, person.display_name, person.email.split("@")[0]]
    for text in (payload, company_view, company_list):
        for secret in forbidden:
            assert secret.lower() not in text.lower(), secret


def test_evidence_links_open_that_referrals_evidence_only(client, db, settings, training_content, reporters) -> None:
    make_company(db, settings, training_content)
    _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters[:1])
    _other_listing, other = make_confirmed_listing(db, settings, training_content, reporters=reporters[:1])
    link = messages(db)[0].payload["data"]["evidence"][0]["url"]
    path = link.replace("http://testserver", "")

    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-disposition"].startswith("inline; filename=")
    with db.session() as session:
        evidence = session.execute(select(Evidence).order_by(Evidence.id)).scalars().first()
    assert answer.content == (settings.evidence_dir / evidence.storage_key).read_bytes()

    # Another referral in the link: the signature no longer matches.
    assert client.get(path.replace(f"referral={referral.id}", f"referral={other.id}")).status_code == 403
    # A genuine link of another referral does not open this referral's evidence.
    foreign = payloads.evidence_link(settings, evidence_id=evidence.id, referral_id=other.id, now=utcnow())
    answer = client.get(foreign.replace("http://testserver", ""))
    assert answer.status_code == 404 and "no such picture" in answer.text
    # Tampered signature or expiry.
    query = parse_qs(urlsplit(path).query)
    sig = query["sig"][0]
    tampered = path.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    assert client.get(tampered).status_code == 403
    later = str(int(query["expires"][0]) + 86400)
    answer = client.get(path.replace(f"expires={query['expires'][0]}", f"expires={later}"))
    assert answer.status_code == 403 and "not valid" in answer.text
    # Expired.
    old = payloads.evidence_link(settings, evidence_id=evidence.id, referral_id=referral.id,
                                 now=utcnow() - timedelta(days=settings.evidence_link_days, seconds=5))
    answer = client.get(old.replace("http://testserver", ""))
    assert answer.status_code == 410 and "expired" in answer.text
    # Deleted evidence.
    with db.transaction() as session:
        session.get(Evidence, evidence.id).deleted_at = utcnow()
    assert client.get(path).status_code == 410


def test_a_listing_without_a_company_waits_as_no_recipient_until_one_registers(
    client, db, settings, training_content, reporters, admin
) -> None:
    _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters,
                                                domain="etsy.com", platform_id="etsy")
    assert referral.status == "no_recipient" and referral.company_id is None
    assert messages(db) == []

    answer = client.post("/api/v1/admin/companies", headers=auth_headers(client, admin),
                         json={"name": "Etsy", "domains": [], "platforms": ["etsy"]})
    assert answer.status_code == 201, answer.text
    assert answer.json()["routed_referrals"] == 1
    (message,) = messages(db)
    assert message.referral_id == referral.id and message.company_id == answer.json()["id"]
    with db.session() as session:
        assert session.get(Referral, referral.id).status == "pending"


def test_an_inactive_company_is_no_recipient_until_activated(client, db, settings, training_content, reporters,
                                                             admin) -> None:
    credentials = make_company(db, settings, training_content, active=False)
    _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters)
    assert referral.status == "no_recipient"
    answer = client.patch(f"/api/v1/admin/companies/{credentials.company.id}", headers=auth_headers(client, admin),
                          json={"active": True})
    assert answer.status_code == 200 and answer.json()["unanswered_referrals"] == 1
    assert [m.referral_id for m in messages(db)] == [referral.id]


def test_a_domain_registered_by_an_admin_finds_its_company(db, settings, training_content, reporters) -> None:
    make_company(db, settings, training_content, platforms=("ebay",))
    credentials = make_company(db, settings, training_content, platforms=(), domains=("WildMarket.co.uk",),
                               name="Wild Market")
    _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters,
                                                domain="wildmarket.co.uk", platform_id=None)
    assert referral.company_id == credentials.company.id and referral.status == "pending"
    _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters,
                                                domain="ebay.ie", platform_id="ebay")
    assert referral.company_id != credentials.company.id and referral.status == "pending"
    _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters,
                                                domain="unknown-market.co.uk", platform_id=None)
    assert referral.status == "no_recipient"


def test_referring_a_listing_twice_keeps_one_referral_and_one_message(db, settings, training_content,
                                                                       reporters) -> None:
    make_company(db, settings, training_content)
    listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters)
    with db.transaction() as session:
        again = referrals.create_referral(session, listing=listing, actor=None, settings=settings,
                                          content=training_content)
    assert again.id == referral.id
    assert len(messages(db)) == 1
