"""Decisions: what each needs, what it writes, what reporters then see; bulk reject; re-open."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Listing, ListingStatus, Referral, Report, ReviewQuestion
from app.services import review_texts
from tests.review.factories import claim_for, get_listing, make_listing, report_ids, set_fields

PARROT = "psittacus-erithacus"
ELEPHANT = "loxodonta-africana"


def _decide(client, headers, listing_id, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/review/listings/{listing_id}/decision", headers=headers, json=body)


def test_confirm_needs_a_catalogue_species_and_a_finding(client, db, training_content, reporter,  # type: ignore[no-untyped-def]
                                                         expert_headers) -> None:
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT, live_animal=True)
    cases = [
        ({"finding_template": "live_appendix_i"}, "species_id"),
        ({"species_id": PARROT, "note": "   "}, "finding_template"),
        ({"species_id": "unicorn", "finding_template": "live_appendix_i"}, "species_id"),
        ({"species_id": PARROT}, "finding_template"),
        ({"species_id": PARROT, "finding_template": "because"}, "finding_template"),
        ({"species_id": PARROT, "finding_template": "other"}, "note"),
    ]
    for body, field in cases:
        response = _decide(client, expert_headers, listing.id, decision="confirm", **body)
        assert response.status_code == 422, body
        assert response.json()["field"] == field, body
        assert response.json()["detail"]
    assert get_listing(db, listing.id).status == ListingStatus.pending
    unknown = _decide(client, expert_headers, listing.id, decision="confirm", species_id=PARROT,
                      finding_template="live_appendix_i", colour="red")
    assert unknown.status_code == 422  # extra fields are refused, not ignored


def test_confirm_writes_the_finding_and_the_referral_in_one_go(client, db, training_content, expert, reporter,  # type: ignore[no-untyped-def]
                                                               expert_headers) -> None:
    listing = make_listing(db, training_content, reporters=[reporter], species_id=ELEPHANT)
    response = _decide(client, expert_headers, listing.id, decision="confirm", species_id=PARROT,
                       finding_template="live_appendix_i", note="Six chicks, pictures show no closed rings.")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "confirmed" and body["species_id"] == PARROT and body["appendix"] == 1
    finding = body["finding"]
    assert "live specimen of Grey Parrot (Psittacus erithacus)" in finding
    assert "CITES Appendix I" in finding
    assert "Six chicks, pictures show no closed rings." in finding
    after = get_listing(db, listing.id)
    assert after.confirmed_at is not None and after.decided_by_id == expert.id
    with db.session() as session:
        referral = session.execute(select(Referral).where(Referral.listing_id == listing.id)).scalars().one()
    assert referral.status == "no_recipient"  # no company answers for eBay in this test


def test_the_finding_is_in_english_whatever_the_experts_language(client, db, training_content, reporter,  # type: ignore[no-untyped-def]
                                                                 expert_headers) -> None:
    listing = make_listing(db, training_content, reporters=[reporter], species_id=ELEPHANT)
    response = client.post(f"/api/v1/review/listings/{listing.id}/decision",
                           headers={**expert_headers, "Accept-Language": "de"},
                           json={"decision": "confirm", "species_id": ELEPHANT, "finding_template": "ivory"})
    assert response.status_code == 200
    assert response.json()["finding"].startswith("The listing offers items made of elephant ivory")


def test_reject_needs_a_reason_and_other_needs_words(client, db, training_content, reporter,  # type: ignore[no-untyped-def]
                                                     expert_headers) -> None:
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    for body, field in (({}, "reason"), ({"reason": "boring"}, "reason"), ({"reason": "other"}, "note"),
                        ({"reason": "other", "note": "   "}, "note")):
        response = _decide(client, expert_headers, listing.id, decision="reject", **body)
        assert response.status_code == 422 and response.json()["field"] == field, body
    response = _decide(client, expert_headers, listing.id, decision="reject", reason="legal_with_papers",
                       note="The seller shows an Article 10 certificate.")
    assert response.status_code == 200
    after = get_listing(db, listing.id)
    assert (after.status, after.reject_reason, after.decision_note) == (
        "rejected", "legal_with_papers", "The seller shows an Article 10 certificate.")
    assert after.finding is None


def test_needs_info_asks_the_reporters(client, db, training_content, expert, reporter, expert_headers) -> None:  # type: ignore[no-untyped-def]
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    assert _decide(client, expert_headers, listing.id, decision="needs_info").json()["field"] == "question"
    response = _decide(client, expert_headers, listing.id, decision="needs_info",
                       question="Does the advert show the birds' leg rings?")
    assert response.status_code == 200
    assert response.json()["status"] == "needs_info"
    assert response.json()["questions"][0]["text"] == "Does the advert show the birds' leg rings?"
    with db.session() as session:
        question = session.execute(select(ReviewQuestion).where(ReviewQuestion.listing_id == listing.id)).scalars().one()
    assert question.asked_by_id == expert.id


def test_a_stale_version_is_refused(client, db, training_content, reporter, expert_headers) -> None:  # type: ignore[no-untyped-def]
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    seen = client.get(f"/api/v1/review/listings/{listing.id}", headers=expert_headers).json()["version"]
    set_fields(db, listing.id, version=seen + 1)  # someone changed it meanwhile
    response = _decide(client, expert_headers, listing.id, decision="reject", reason="replica", version=seen)
    assert response.status_code == 409 and response.json()["code"] == "stale_version"
    assert _decide(client, expert_headers, listing.id, decision="reject", reason="replica",
                   version=seen + 1).status_code == 200


def test_reporters_see_the_outcome_and_the_reason_meant_for_them_but_not_each_other(  # type: ignore[no-untyped-def]
    client, db, training_content, reporter, second_reporter, expert_headers
) -> None:
    from tests.factories import auth_headers

    listing = make_listing(db, training_content, reporters=[reporter, second_reporter], species_id=PARROT,
                           notes="I bought from this seller before", seller_handle="parrot_paradise")
    first_report, second_report = report_ids(db, listing.id)
    with db.transaction() as session:
        session.get(Report, second_report).notes = "Sami's own note: I know the seller's address"  # type: ignore[union-attr]
    response = _decide(client, expert_headers, listing.id, decision="reject", reason="legal_with_papers",
                       note="The breeder's papers are in the advert's last photo.")
    assert response.status_code == 200
    mine = client.get(f"/api/v1/reports/{first_report}", headers=auth_headers(client, reporter))
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["status"] == "rejected"
    assert body["reject_reason"] == "legal_with_papers"
    text = mine.text
    assert "Sami" not in text and second_reporter.email not in text
    # Another reporter's report is not theirs to see.
    assert client.get(f"/api/v1/reports/{second_report}", headers=auth_headers(client, reporter)).status_code == 404
    # The message a reporter reads: the reason in words, and the expert's note.
    with db.session() as session:
        message = review_texts.reporter_message(session.get(Listing, listing.id))  # type: ignore[arg-type]
    assert message is not None
    assert "papers" in message and "The breeder's papers are in the advert's last photo." in message
    assert "Emeka" not in message


def test_bulk_reject_rejects_what_it_can_and_says_why_it_skipped_the_rest(  # type: ignore[no-untyped-def]
    client, db, training_content, reporter, other_expert, expert_headers
) -> None:
    free = [make_listing(db, training_content, reporters=[reporter]).id for _ in range(3)]
    decided = make_listing(db, training_content, reporters=[reporter]).id
    set_fields(db, decided, status=ListingStatus.confirmed)
    held = make_listing(db, training_content, reporters=[reporter]).id
    claim_for(db, held, other_expert)
    response = client.post("/api/v1/review/bulk-reject", headers=expert_headers,
                           json={"listing_ids": [*free, decided, held, 987654, free[0]], "reason": "not_wildlife"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rejected"] == free
    skipped = {item["listing_id"]: item["detail"] for item in body["skipped"]}
    assert set(skipped) == {decided, held, 987654}
    assert "already been decided" in skipped[decided]
    assert "Olu Otherexpert" in skipped[held]
    assert "987654" in skipped[987654]
    for listing_id in free:
        assert get_listing(db, listing_id).reject_reason == "not_wildlife"
    assert get_listing(db, decided).status == "confirmed"
    assert get_listing(db, held).status == "in_review"
    bad = client.post("/api/v1/review/bulk-reject", headers=expert_headers,
                      json={"listing_ids": free, "reason": "other"})
    assert bad.status_code == 422 and bad.json()["field"] == "note"
    empty = client.post("/api/v1/review/bulk-reject", headers=expert_headers, json={"listing_ids": [], "reason": "x"})
    assert empty.status_code == 422


def test_reopening_is_for_admins_with_a_reason(client, db, training_content, reporter, expert_headers,  # type: ignore[no-untyped-def]
                                               admin_headers) -> None:
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    _decide(client, expert_headers, listing.id, decision="reject", reason="replica")
    url = f"/api/v1/admin/listings/{listing.id}/reopen"
    assert client.post(url, headers=expert_headers, json={"reason": "I changed my mind"}).status_code == 403
    assert client.post(url, headers=admin_headers, json={}).status_code == 422
    assert client.post(url, headers=admin_headers, json={"reason": "   "}).status_code == 422
    response = client.post(url, headers=admin_headers, json={"reason": "The replica claim was wrong: lab report."})
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    after = get_listing(db, listing.id)
    assert (after.reject_reason, after.decided_by_id, after.decided_at, after.closed_at) == (None, None, None, None)
    assert client.post(url, headers=admin_headers, json={"reason": "again"}).status_code == 409
    # Decided anew: this time confirmed, with its referral.
    confirmed = _decide(client, expert_headers, listing.id, decision="confirm", species_id=PARROT,
                        finding_template="no_legal_origin")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"


def test_the_contracts_minimal_bodies_work(client, db, training_content, reporter, expert_headers) -> None:  # type: ignore[no-untyped-def]
    """design/api.md: `{decision, species_id?, note?}`; the note then is the whole explanation."""
    confirmed = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    response = _decide(client, expert_headers, confirmed.id, decision="confirm", species_id=PARROT,
                       note="Live chicks, no papers.")
    assert response.status_code == 200, response.text
    assert response.json()["finding"].startswith("Live chicks, no papers.")
    rejected = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    response = _decide(client, expert_headers, rejected.id, decision="reject", note="A toy parrot.")
    assert response.status_code == 200
    assert (response.json()["reject_reason"], response.json()["decision_note"]) == ("other", "A toy parrot.")
    asked = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    response = _decide(client, expert_headers, asked.id, decision="needs_info", note="Is it alive?")
    assert response.status_code == 200 and response.json()["questions"][0]["text"] == "Is it alive?"
    assert _decide(client, expert_headers, asked.id, decision="reject").json()["field"] == "reason"


def test_choices_are_labelled(client, expert_headers) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/review/choices", headers=expert_headers).json()
    assert {c["value"] for c in body["reject_reasons"]} == {
        "legal_with_papers", "replica", "not_wildlife", "not_enough_information", "duplicate", "other"}
    assert "live_appendix_i" in {c["value"] for c in body["finding_templates"]}
    assert all(c["label"] for c in body["finding_templates"] + body["reject_reasons"])


def test_a_decision_rescores_the_reporters_other_waiting_listings(client, db, training_content, reporter,  # type: ignore[no-untyped-def]
                                                                  expert_headers) -> None:
    earlier = [make_listing(db, training_content, reporters=[reporter], species_id=PARROT) for _ in range(3)]
    waiting = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    before = get_listing(db, waiting.id)
    for listing in earlier:
        _decide(client, expert_headers, listing.id, decision="confirm", species_id=PARROT,
                finding_template="live_appendix_i")
    after = get_listing(db, waiting.id)
    assert after.priority > before.priority
    assert "track_record:" in after.priority_reasons
    assert after.queue_rank < before.queue_rank  # moved up the queue
