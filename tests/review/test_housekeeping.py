"""The housekeeping loop puts listings whose claim ran out back into the queue."""

from __future__ import annotations

from datetime import timedelta

from app.models import ListingStatus, Role, utcnow
from app.worker_jobs import run_frequent_jobs
from tests.factories import make_user
from tests.review.factories import audit_actions, claim_for, get_listing, make_listing, set_fields


def test_expired_claims_go_back_to_the_queue(db, training_content) -> None:  # type: ignore[no-untyped-def]
    expert = make_user(db, role=Role.expert)
    reporter = make_user(db, certified=True)
    expired = make_listing(db, training_content, reporters=[reporter])
    held = make_listing(db, training_content, reporters=[reporter])
    claim_for(db, expired.id, expert)
    claim_for(db, held.id, expert)
    set_fields(db, expired.id, claim_expires_at=utcnow() - timedelta(minutes=1))

    assert run_frequent_jobs(db) == 1
    assert get_listing(db, expired.id).status == ListingStatus.pending
    assert get_listing(db, expired.id).claimed_by_id is None
    assert "listing.claim_expired" in audit_actions(db, expired.id)
    assert get_listing(db, held.id).status == ListingStatus.in_review  # still held: untouched
    assert run_frequent_jobs(db) == 0  # idempotent
