"""Claims: one expert at a time, on SQLite and PostgreSQL; expiry; admins break them."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from app.errors import Conflict
from app.models import AuditEntry, ListingStatus, utcnow
from app.services import claims
from tests.review.factories import audit_actions, claim_for, get_listing, make_listing, set_fields

PARROT = "psittacus-erithacus"


def _claim_in_thread(db, settings, listing_id, expert, results, *, start=None, hold_seconds=0.0, claimed=None):  # type: ignore[no-untyped-def]
    """Claim in a connection of its own, as a second app process would."""
    try:
        if start is not None:
            start.wait(timeout=10)
        with db.session(write=True) as session:
            try:
                claims.claim(session, listing_id=listing_id, expert=expert, settings=settings)
                if claimed is not None:
                    claimed.set()
                time.sleep(hold_seconds)  # keep the row (PostgreSQL) or the database (SQLite) locked a while
                session.commit()
                results.append(("won", expert.id))
            except Conflict as error:
                session.rollback()
                results.append(("409", error.message))
    except Exception as error:  # noqa: BLE001 - surfaced by the assertion below
        results.append(("error", repr(error)))


def test_two_experts_claiming_at_once_exactly_one_wins(db, settings, training_content, expert, other_expert,  # type: ignore[no-untyped-def]
                                                       reporter) -> None:
    for _round in range(5):
        listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
        start = threading.Barrier(2)
        results: list[tuple[str, object]] = []
        threads = [
            threading.Thread(target=_claim_in_thread, args=(db, settings, listing.id, person, results),
                             kwargs={"start": start})
            for person in (expert, other_expert)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        outcomes = sorted(kind for kind, _detail in results)
        assert outcomes == ["409", "won"], results
        winner_id = next(detail for kind, detail in results if kind == "won")
        loser_message = next(detail for kind, detail in results if kind == "409")
        after = get_listing(db, listing.id)
        assert after.claimed_by_id == winner_id and after.status == ListingStatus.in_review
        winner_name = expert.display_name if winner_id == expert.id else other_expert.display_name
        assert winner_name in loser_message
        assert audit_actions(db, listing.id) == ["listing.claimed"]


def test_the_second_claim_waits_for_the_first_then_loses(db, settings, training_content, expert, other_expert,  # type: ignore[no-untyped-def]
                                                         reporter) -> None:
    """The second UPDATE runs while the first transaction is still open: on PostgreSQL it waits for
    the row lock and re-reads the row, on SQLite it waits for the write lock."""
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    results: list[tuple[str, object]] = []
    claimed = threading.Event()
    first = threading.Thread(target=_claim_in_thread, args=(db, settings, listing.id, expert, results),
                             kwargs={"hold_seconds": 0.4, "claimed": claimed})
    first.start()
    assert claimed.wait(timeout=10)
    second = threading.Thread(target=_claim_in_thread, args=(db, settings, listing.id, other_expert, results))
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)
    assert results[0] == ("won", expert.id)
    assert results[1][0] == "409" and expert.display_name in str(results[1][1])
    assert get_listing(db, listing.id).claimed_by_id == expert.id


def test_a_second_expert_gets_409_naming_the_holder(client, db, training_content, reporter, expert_headers,  # type: ignore[no-untyped-def]
                                                    other_headers) -> None:
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    first = client.post(f"/api/v1/review/listings/{listing.id}/claim", headers=expert_headers)
    assert first.status_code == 200
    assert first.json()["claim"]["display_name"] == "Emeka Expert"
    second = client.post(f"/api/v1/review/listings/{listing.id}/claim", headers=other_headers)
    assert second.status_code == 409
    assert second.json()["code"] == "claimed"
    assert "Emeka Expert" in second.json()["detail"]
    # Claiming again extends one's own claim.
    expires = get_listing(db, listing.id).claim_expires_at
    again = client.post(f"/api/v1/review/listings/{listing.id}/claim", headers=expert_headers)
    assert again.status_code == 200
    assert get_listing(db, listing.id).claim_expires_at >= expires  # type: ignore[operator]


def test_a_claim_lasts_claim_minutes(client, db, settings, training_content, reporter, expert_headers) -> None:  # type: ignore[no-untyped-def]
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    before = utcnow()
    client.post(f"/api/v1/review/listings/{listing.id}/claim", headers=expert_headers)
    expires = get_listing(db, listing.id).claim_expires_at
    assert expires is not None
    assert timedelta(minutes=settings.claim_minutes) <= expires - before < timedelta(minutes=settings.claim_minutes,
                                                                                     seconds=30)


def test_an_expired_claim_no_longer_blocks_and_is_released_with_an_audit_entry(  # type: ignore[no-untyped-def]
    client, db, training_content, expert, reporter, other_headers
) -> None:
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    claim_for(db, listing.id, expert)
    set_fields(db, listing.id, claim_expires_at=utcnow() - timedelta(minutes=1))
    queue = client.get("/api/v1/review/queue", headers=other_headers).json()["items"]
    assert queue[0]["claim"] is None  # shown as free as soon as it runs out
    response = client.post(f"/api/v1/review/listings/{listing.id}/claim", headers=other_headers)
    assert response.status_code == 200, response.text
    assert response.json()["claim"]["display_name"] == "Olu Otherexpert"
    assert audit_actions(db, listing.id) == ["listing.claim_expired", "listing.claimed"]
    with db.session() as session:
        expired = session.execute(select(AuditEntry).where(AuditEntry.action == "listing.claim_expired")).scalars().one()
    assert expired.actor_id is None and expired.actor_label == "system"
    assert expired.before["claimed_by_id"] == expert.id and expired.after["status"] == "pending"


def test_release_expired_claims_returns_listings_to_the_queue(db, training_content, expert, reporter) -> None:  # type: ignore[no-untyped-def]
    stale = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    fresh = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    claim_for(db, stale.id, expert)
    claim_for(db, fresh.id, expert)
    set_fields(db, stale.id, claim_expires_at=utcnow() - timedelta(seconds=1))
    with db.transaction() as session:
        assert claims.release_expired_claims(session) == 1
    assert get_listing(db, stale.id).status == ListingStatus.pending
    assert get_listing(db, fresh.id).status == ListingStatus.in_review


def test_only_the_holder_releases(client, db, training_content, reporter, expert_headers, other_headers) -> None:  # type: ignore[no-untyped-def]
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    client.post(f"/api/v1/review/listings/{listing.id}/claim", headers=expert_headers)
    refused = client.post(f"/api/v1/review/listings/{listing.id}/release", headers=other_headers)
    assert refused.status_code == 409 and "Emeka Expert" in refused.json()["detail"]
    released = client.post(f"/api/v1/review/listings/{listing.id}/release", headers=expert_headers)
    assert released.status_code == 200
    assert released.json()["status"] == "pending" and released.json()["claim"] is None
    assert audit_actions(db, listing.id) == ["listing.claimed", "listing.released"]


def test_an_admin_breaks_a_claim_with_a_reason(client, db, training_content, expert, admin, reporter,  # type: ignore[no-untyped-def]
                                               expert_headers, other_headers, admin_headers) -> None:
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    client.post(f"/api/v1/review/listings/{listing.id}/claim", headers=expert_headers)
    url = f"/api/v1/admin/listings/{listing.id}/break-claim"
    assert client.post(url, headers=other_headers, json={"reason": "mine now"}).status_code == 403
    response = client.post(url, headers=admin_headers, json={"reason": "Emeka is away until Monday."})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending" and response.json()["claim"] is None
    with db.session() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "listing.claim_broken")).scalars().one()
    assert entry.actor_id == admin.id
    assert entry.reason == "Emeka is away until Monday."
    assert entry.before["claimed_by_id"] == expert.id and entry.after["claimed_by_id"] is None
    # Nothing left to break.
    again = client.post(url, headers=admin_headers, json={})
    assert again.status_code == 409
    # The other expert can now take it.
    assert client.post(f"/api/v1/review/listings/{listing.id}/claim", headers=other_headers).status_code == 200


def test_claiming_a_decided_listing_is_409(client, db, training_content, reporter, expert_headers) -> None:  # type: ignore[no-untyped-def]
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    set_fields(db, listing.id, status=ListingStatus.rejected)
    response = client.post(f"/api/v1/review/listings/{listing.id}/claim", headers=expert_headers)
    assert response.status_code == 409
    assert "already been decided" in response.json()["detail"]
    assert client.post("/api/v1/review/listings/999999/claim", headers=expert_headers).status_code == 404
