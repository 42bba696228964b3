"""Reporting through the JSON API: submit, duplicates, the gate, the hourly limit, validation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.models import AuditEntry, Listing, Report, Role, utcnow
from tests.factories import auth_headers, make_user
from tests.reporting.factories import EBAY_URL, ELEPHANT, GREY_PARROT, create_report, report_payload


@pytest.fixture
def volunteer(db):  # type: ignore[no-untyped-def]
    return make_user(db, certified=True)


@pytest.fixture
def headers(client, volunteer):  # type: ignore[no-untyped-def]
    return auth_headers(client, volunteer)


def test_a_report_creates_the_listing_of_its_canonical_url(client, headers):
    response = client.post("/api/v1/reports", json=report_payload(), headers=headers)
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/api/v1/reports/{body['id']}"
    assert body["status"] == "pending"
    assert body["canonical_url"] == "https://ebay.co.uk/itm/2567890123"
    assert body["original_url"] == EBAY_URL
    assert body["platform"] == "ebay" and body["platform_name"] == "eBay"
    assert body["duplicate"] is False
    assert body["species_id"] == ELEPHANT and body["species_name"].startswith("African Elephant")
    assert body["price"] == "120.50" and body["currency"] == "GBP" and body["country"] == "GB"
    assert body["created_at"].endswith("Z") or body["created_at"].endswith("+00:00")


def test_the_listing_aggregates_follow_its_reports(client, db, headers):
    first = create_report(client, headers, live_animal=False, listing_title="Carved bovine bone netsuke")
    other = make_user(db, certified=True)
    create_report(client, auth_headers(client, other), listing_url="http://ebay.co.uk/itm/2567890123",
                  live_animal=True, country="FR", listing_title=None)
    with db.session() as session:
        listing = session.get(Listing, first["listing_id"])
        assert listing.report_count == 2
        assert listing.species_id == ELEPHANT and listing.appendix_rank == 1 and listing.species_group == "mammal"
        assert listing.live_animal is True
        assert listing.code_word_hit is True  # "bovine bone" is a trader's name for ivory
        assert "appendix:I" in listing.priority_reasons and "reports:2" in listing.priority_reasons
        assert listing.priority >= 40 + 20 + 10 + 10


def test_another_volunteer_reporting_a_known_listing_is_a_duplicate(client, db, headers):
    first = create_report(client, headers)
    other = make_user(db, certified=True)
    # Another URL of the same eBay listing (mobile site, other title, tracking).
    second = create_report(client, auth_headers(client, other),
                           listing_url="https://m.ebay.co.uk/itm/other-title/2567890123?mkevt=1&utm_source=share",
                           species_id=None, species_guess="white carving, probably ivory")
    assert second["duplicate"] is True
    assert second["listing_id"] == first["listing_id"]
    assert second["id"] != first["id"]
    # The first report does not become a duplicate of the second.
    assert client.get(f"/api/v1/reports/{first['id']}", headers=headers).json()["duplicate"] is False


def test_each_report_has_its_audit_line(client, db, headers, volunteer):
    first = create_report(client, headers)
    other = make_user(db, certified=True)
    second = create_report(client, auth_headers(client, other))
    with db.session() as session:
        lines = session.query(AuditEntry).filter_by(action="report.submitted").order_by(AuditEntry.id).all()
    assert [(line.entity_type, line.entity_id, line.actor_id) for line in lines] == [
        ("report", str(first["id"]), volunteer.id), ("report", str(second["id"]), other.id)]
    assert [line.after for line in lines] == [
        {"listing_id": first["listing_id"], "new_listing": True, "evidence": 0},
        {"listing_id": first["listing_id"], "new_listing": False, "evidence": 0},
    ]


def test_the_same_volunteer_reporting_again_gets_409_with_a_link_to_the_first_report(client, headers):
    first = create_report(client, headers)
    again = client.post("/api/v1/reports", json=report_payload(listing_url="https://www.ebay.co.uk/itm/2567890123"),
                        headers=headers)
    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "already_reported"
    assert body["report_id"] == first["id"]
    assert body["report_url"] == f"/reports/{first['id']}"
    assert "already" in body["detail"]


def test_reporting_needs_a_certification(client, db):
    newcomer = make_user(db, certified=False)
    response = client.post("/api/v1/reports", json=report_payload(), headers=auth_headers(client, newcomer))
    assert response.status_code == 403
    assert response.json()["code"] == "certification_required"
    assert "/training" in response.json()["detail"]
    assert response.json()["training_url"] == "/training"


def test_an_expired_certification_is_refused_too(client, db):
    lapsed = make_user(db, certified=True)
    with db.transaction() as session:
        row = session.merge(lapsed)
        row.certified_until = utcnow() - timedelta(days=1)
    response = client.post("/api/v1/reports", json=report_payload(), headers=auth_headers(client, lapsed))
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.expert, Role.admin])
def test_experts_and_admins_may_report(client, db, role):
    staff = make_user(db, role=role)
    response = client.post("/api/v1/reports", json=report_payload(), headers=auth_headers(client, staff))
    assert response.status_code == 201


def test_anonymous_reports_are_refused(client):
    assert client.post("/api/v1/reports", json=report_payload()).status_code == 401


def test_the_hourly_limit_answers_429_with_retry_after(client, db, settings, headers):
    settings.reports_per_hour = 2
    create_report(client, headers, listing_url="https://www.etsy.com/listing/111111111/a")
    create_report(client, headers, listing_url="https://www.etsy.com/listing/222222222/b")
    response = client.post("/api/v1/reports", json=report_payload(listing_url="https://www.etsy.com/listing/333333333"),
                           headers=headers)
    assert response.status_code == 429
    retry_after = int(response.headers["retry-after"])
    assert 3500 <= retry_after <= 3601
    assert response.json()["retry_after"] == retry_after
    # Another volunteer is not held back.
    other = make_user(db, certified=True)
    assert client.post("/api/v1/reports", json=report_payload(listing_url="https://www.etsy.com/listing/333333333"),
                       headers=auth_headers(client, other)).status_code == 201


def test_the_limit_counts_only_the_last_hour(client, db, settings, volunteer, headers):
    settings.reports_per_hour = 1
    old = create_report(client, headers, listing_url="https://www.etsy.com/listing/111111111/a")
    with db.transaction() as session:
        session.get(Report, old["id"]).created_at = utcnow() - timedelta(minutes=61)
    create_report(client, headers, listing_url="https://www.etsy.com/listing/222222222/b")


# (what is sent, the field blamed, words the message must contain)
FIELD_CASES = [
    ({"listing_url": "javascript:alert(document.cookie)"}, "listing_url", "http"),
    ({"listing_url": "data:text/html,<script>alert(1)</script>"}, "listing_url", "http"),
    ({"listing_url": "ftp://files.example.com/ivory.jpg"}, "listing_url", "http"),
    ({"listing_url": "https://"}, "listing_url", "website"),
    ({"listing_url": "https://user:secret@www.ebay.co.uk/itm/1234567890"}, "listing_url", "password"),
    ({"listing_url": "https://www.ebay.co.uk/itm/1?q=" + "x" * 2100}, "listing_url", "2048"),
    ({"listing_url": "just some words"}, "listing_url", "address"),
    ({"listing_url": "http://192.168.1.10/item/3"}, "listing_url", "public"),
    ({"price": "-5"}, "price", "negative"),
    ({"price": "1e15"}, "price", "too high"),
    ({"price": "12.345"}, "price", "two decimals"),
    ({"currency": "EURO"}, "currency", None),
    ({"currency": "ZZZ"}, "currency", "ISO 4217"),
    ({"currency": "XXX"}, "currency", "ISO 4217"),
    ({"currency": None}, "currency", "currency of the price"),
    ({"country": "UK"}, "country", "ISO 3166"),
    ({"country": "XX"}, "country", "ISO 3166"),
    ({"species_id": "dodo-ineptus"}, "species_id", "catalogue"),
    ({"species_id": None, "species_guess": "   "}, "species_id", "Not sure"),
    ({"confidence": "certain"}, "confidence", None),
    ({"listing_title": "t" * 501}, "listing_title", None),
    ({"notes": "n" * 5001}, "notes", None),
]


def test_every_field_is_checked_with_a_clear_message(client, headers):
    # One volunteer for the whole table: a fresh account per row would cost more than the checks.
    problems = []
    for overrides, field, words in FIELD_CASES:
        response = client.post("/api/v1/reports", json=report_payload(**overrides), headers=headers)
        body = response.json()
        if response.status_code != 422:
            problems.append(f"{overrides}: {response.status_code}")
            continue
        if isinstance(body["detail"], list):  # the schema's own checks (types, lengths)
            blamed, message = body["detail"][0]["loc"][-1], body["detail"][0]["msg"]
        else:
            blamed, message = body["field"], body["errors"].get(field, "")
        if blamed != field or (words and words.lower() not in message.lower()):
            problems.append(f"{overrides}: blamed {blamed!r} with {message!r}")
    assert not problems, "\n".join(problems)


def test_all_problems_are_reported_at_once(client, headers):
    payload = report_payload(listing_url="javascript:alert(1)", price="-1", country="QQ", species_id=None)
    body = client.post("/api/v1/reports", json=payload, headers=headers).json()
    assert set(body["errors"]) == {"listing_url", "price", "country", "species_id"}
    assert body["field"] == "listing_url"


def test_nothing_is_stored_when_a_field_is_wrong(client, db, headers):
    client.post("/api/v1/reports", json=report_payload(country="QQ"), headers=headers)
    with db.session() as session:
        assert session.query(Listing).count() == 0 and session.query(Report).count() == 0


def test_control_characters_are_dropped_from_text(client, headers):
    body = create_report(client, headers, notes="line one\x00\x07\nline two", seller_handle="  ivory\x00king  ")
    assert body["notes"] == "line one\nline two"
    assert body["seller_handle"] == "ivoryking"


def test_not_sure_with_a_description_is_accepted(client, headers):
    body = create_report(client, headers, species_id=None, species_guess="small grey parrot chicks",
                         live_animal=True, price=None, currency=None)
    assert body["species_id"] is None and body["species_guess"] == "small grey parrot chicks"


def test_own_reports_newest_first_with_cursor_pages(client, db, headers):
    ids = [create_report(client, headers, listing_url=f"https://www.etsy.com/listing/{n}00000/x")["id"]
           for n in range(1, 6)]
    first = client.get("/api/v1/reports?limit=2", headers=headers).json()
    assert [item["id"] for item in first["items"]] == ids[::-1][:2]
    second = client.get(f"/api/v1/reports?limit=2&cursor={first['next_cursor']}", headers=headers).json()
    third = client.get(f"/api/v1/reports?limit=2&cursor={second['next_cursor']}", headers=headers).json()
    assert [item["id"] for item in second["items"] + third["items"]] == ids[::-1][2:]
    assert third["next_cursor"] is None
    # Nobody else's reports, and a broken cursor is a clear 422.
    other = make_user(db, certified=True)
    assert client.get("/api/v1/reports", headers=auth_headers(client, other)).json()["items"] == []
    assert client.get("/api/v1/reports?cursor=garbage!", headers=headers).status_code == 422
    assert client.get("/api/v1/reports?limit=201", headers=headers).status_code == 422


def test_a_report_is_visible_only_to_its_reporter(client, db, headers):
    report = create_report(client, headers)
    assert client.get(f"/api/v1/reports/{report['id']}", headers=headers).status_code == 200
    other = make_user(db, certified=True)
    assert client.get(f"/api/v1/reports/{report['id']}", headers=auth_headers(client, other)).status_code == 404
    assert client.get("/api/v1/reports/999999", headers=headers).status_code == 404


def test_platform_recognition_for_the_form_and_phones(client, headers):
    found = client.get("/api/v1/platforms/recognise",
                       params={"url": "Look! https://www.etsy.com/uk/listing/987654321/tiger-claw?ref=share ..."},
                       headers=headers)
    assert found.status_code == 200
    assert found.json() == {
        "canonical_url": "https://etsy.com/listing/987654321", "host": "etsy.com", "registrable_domain": "etsy.com",
        "platform": "etsy", "platform_name": "Etsy", "listing_id": "987654321",
    }
    unknown = client.get("/api/v1/platforms/recognise", params={"url": "https://parrots-for-sale.example.co.za/ad/7"},
                         headers=headers).json()
    assert unknown["platform"] is None and unknown["registrable_domain"] == "example.co.za"
    refused = client.get("/api/v1/platforms/recognise", params={"url": "javascript:alert(1)"}, headers=headers)
    assert refused.status_code == 422 and "http" in refused.json()["detail"]


def test_a_grey_parrot_report_scores_higher_than_a_walrus_product(client, db, headers):
    parrot = create_report(client, headers, listing_url="https://www.gumtree.com/p/birds/african-grey-chicks/1456789012",
                           species_id=GREY_PARROT, live_animal=True, listing_title="Hand-reared chicks")
    walrus = create_report(client, headers, listing_url="https://www.etsy.com/listing/123123123/scrimshaw",
                           species_id="odobenus-rosmarus", live_animal=False, listing_title="Scrimshaw")
    with db.session() as session:
        assert session.get(Listing, parrot["listing_id"]).priority > session.get(Listing, walrus["listing_id"]).priority


def test_a_token_logged_out_cannot_report(client, headers):
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    response = client.post("/api/v1/reports", json=report_payload(), headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_new_listing_starts_from_its_reporters_track_record(client, db, headers):
    first = [create_report(client, headers, listing_url=f"https://www.etsy.com/listing/{n}0000001/x") for n in range(1, 5)]
    with db.transaction() as session:
        for report, status in zip(first, ["confirmed", "removed", "rejected", "pending"], strict=True):
            session.get(Listing, report["listing_id"]).status = status
    fifth = create_report(client, headers, listing_url="https://www.etsy.com/listing/50000001/x")
    with db.session() as session:
        reasons = session.get(Listing, fifth["listing_id"]).priority_reasons
    # Three decided reports, two confirmed: (2 + 1) / (3 + 2).
    assert "track_record:60" in reasons.split(",")
