"""Every review action from every listing status, through the API: allowed ones move the listing,
refused ones answer 409 and change nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.models import ListingStatus
from tests.review.factories import claim_for, get_listing, make_listing, set_fields

S = ListingStatus
PARROT = "psittacus-erithacus"
BODIES = {
    "confirm": {"decision": "confirm", "species_id": PARROT, "finding_template": "live_appendix_i"},
    "reject": {"decision": "reject", "reason": "replica"},
    "needs_info": {"decision": "needs_info", "question": "Is the bird ringed?"},
}
# start: "held_by_me" and "held_by_other" are in_review with a live claim.
STARTS = ("pending", "held_by_me", "held_by_other", "needs_info", "confirmed", "rejected", "removed")
# (start, action) -> status after, or None for 409 with nothing changed.
EXPECTED: dict[tuple[str, str], str | None] = {
    ("pending", "claim"): S.in_review,
    ("pending", "release"): None,
    ("pending", "confirm"): S.confirmed,
    ("pending", "reject"): S.rejected,
    ("pending", "needs_info"): S.needs_info,
    ("pending", "reopen"): None,
    ("held_by_me", "claim"): S.in_review,  # extends the claim
    ("held_by_me", "release"): S.pending,
    ("held_by_me", "confirm"): S.confirmed,
    ("held_by_me", "reject"): S.rejected,
    ("held_by_me", "needs_info"): S.needs_info,
    ("held_by_me", "reopen"): None,
    ("held_by_other", "claim"): None,
    ("held_by_other", "release"): None,
    ("held_by_other", "confirm"): None,
    ("held_by_other", "reject"): None,
    ("held_by_other", "needs_info"): None,
    ("held_by_other", "reopen"): None,
    ("needs_info", "claim"): S.in_review,
    ("needs_info", "release"): None,
    ("needs_info", "confirm"): S.confirmed,
    ("needs_info", "reject"): S.rejected,
    ("needs_info", "needs_info"): None,  # already asked; claim it and ask again
    ("needs_info", "reopen"): S.pending,
    **{(start, action): None for start in ("confirmed", "rejected", "removed")
       for action in ("claim", "release", "confirm", "reject", "needs_info")},
    ("confirmed", "reopen"): S.pending,
    ("rejected", "reopen"): S.pending,
    ("removed", "reopen"): S.pending,
}


def _prepare(db, content, start, expert, other_expert, reporter):  # type: ignore[no-untyped-def]
    listing = make_listing(db, content, reporters=[reporter], species_id=PARROT, live_animal=True)
    if start == "held_by_me":
        claim_for(db, listing.id, expert)
    elif start == "held_by_other":
        claim_for(db, listing.id, other_expert)
    elif start != "pending":
        set_fields(db, listing.id, status=start)
    return get_listing(db, listing.id)


def _act(client: TestClient, action: str, listing_id: int, expert_headers, admin_headers):  # type: ignore[no-untyped-def]
    if action == "reopen":
        return client.post(f"/api/v1/admin/listings/{listing_id}/reopen", headers=admin_headers,
                           json={"reason": "Checked again with the species team."})
    if action in ("claim", "release"):
        return client.post(f"/api/v1/review/listings/{listing_id}/{action}", headers=expert_headers)
    return client.post(f"/api/v1/review/listings/{listing_id}/decision", headers=expert_headers, json=BODIES[action])


@pytest.mark.parametrize("start", STARTS)
def test_every_action_from_every_status(client, db, training_content, expert, other_expert, reporter,  # type: ignore[no-untyped-def]
                                        expert_headers, admin_headers, start) -> None:
    for action in ("claim", "release", "confirm", "reject", "needs_info", "reopen"):
        listing = _prepare(db, training_content, start, expert, other_expert, reporter)
        response = _act(client, action, listing.id, expert_headers, admin_headers)
        expected = EXPECTED[(start, action)]
        after = get_listing(db, listing.id)
        if expected is None:
            assert response.status_code == 409, (start, action, response.text)
            assert response.json()["detail"], (start, action)
            assert (after.status, after.version, after.claimed_by_id) == (listing.status, listing.version,
                                                                          listing.claimed_by_id), (start, action)
        else:
            assert response.status_code == 200, (start, action, response.text)
            assert response.json()["status"] == expected == after.status, (start, action)
            assert after.version > listing.version, (start, action)


def test_a_claim_held_by_another_expert_is_named_in_the_409(client, db, training_content, expert, other_expert,  # type: ignore[no-untyped-def]
                                                            reporter, expert_headers) -> None:
    listing = _prepare(db, training_content, "held_by_other", expert, other_expert, reporter)
    response = client.post(f"/api/v1/review/listings/{listing.id}/decision", headers=expert_headers,
                           json=BODIES["reject"])
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "claimed"
    assert "Olu Otherexpert" in body["detail"]
    assert body["claimed_by"]["id"] == other_expert.id


def test_decisions_end_the_claim_and_record_who_decided(client, db, training_content, expert, reporter,  # type: ignore[no-untyped-def]
                                                        expert_headers) -> None:
    for action, status in (("confirm", S.confirmed), ("reject", S.rejected), ("needs_info", S.needs_info)):
        listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
        assert client.post(f"/api/v1/review/listings/{listing.id}/claim", headers=expert_headers).status_code == 200
        response = client.post(f"/api/v1/review/listings/{listing.id}/decision", headers=expert_headers,
                               json=BODIES[action])
        assert response.status_code == 200, response.text
        assert response.json()["claim"] is None
        after = get_listing(db, listing.id)
        assert (after.status, after.claimed_by_id, after.claim_expires_at) == (status, None, None)
        if action != "needs_info":
            assert after.decided_by_id == expert.id and after.decided_at is not None
