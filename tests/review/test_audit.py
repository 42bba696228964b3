"""The audit log: complete for claims, decisions and re-opening; filterable and paged for admins."""

from __future__ import annotations

from datetime import timedelta

from app.models import utcnow
from tests.review.factories import make_listing

PARROT = "psittacus-erithacus"


def _log(client, headers, **params):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/admin/audit", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_claim_decision_and_reopening_is_recorded_with_before_and_after(  # type: ignore[no-untyped-def]
    client, db, training_content, expert, admin, reporter, expert_headers, admin_headers
) -> None:
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    base = f"/api/v1/review/listings/{listing.id}"
    steps = [
        (client.post(f"{base}/claim", headers=expert_headers), "listing.claimed"),
        (client.post(f"{base}/claim", headers=expert_headers), "listing.claim_extended"),
        (client.post(f"{base}/release", headers=expert_headers), "listing.released"),
        (client.post(f"{base}/decision", headers=expert_headers,
                     json={"decision": "needs_info", "question": "Are the rings closed?"}), "listing.needs_info"),
        (client.post(f"{base}/decision", headers=expert_headers,
                     json={"decision": "reject", "reason": "replica"}), "listing.rejected"),
        (client.post(f"/api/v1/admin/listings/{listing.id}/reopen", headers=admin_headers,
                     json={"reason": "A second look: real feathers."}), "listing.reopened"),
        (client.post(f"{base}/decision", headers=expert_headers,
                     json={"decision": "confirm", "species_id": PARROT, "finding_template": "live_appendix_i"}),
         "listing.confirmed"),
    ]
    for response, _action in steps:
        assert response.status_code == 200, response.text
    entries = list(reversed(_log(client, admin_headers, entity_type="listing", entity_id=str(listing.id))["items"]))
    assert [entry["action"] for entry in entries] == [action for _response, action in steps]
    by_action = {entry["action"]: entry for entry in entries}
    assert by_action["listing.claimed"]["before"]["status"] == "pending"
    assert by_action["listing.claimed"]["after"] == {
        "status": "in_review", "claimed_by_id": expert.id,
        "claim_expires_at": by_action["listing.claimed"]["after"]["claim_expires_at"]}
    assert by_action["listing.released"]["after"]["status"] == "pending"
    asked = client.get(f"/api/v1/review/listings/{listing.id}", headers=expert_headers).json()["questions"]
    assert by_action["listing.needs_info"]["after"]["question_id"] == asked[0]["id"]
    assert asked[0]["text"] == "Are the rings closed?"
    assert by_action["listing.rejected"]["after"]["reject_reason"] == "replica"
    assert by_action["listing.reopened"]["before"]["status"] == "rejected"
    assert by_action["listing.reopened"]["reason"] == "A second look: real feathers."
    assert by_action["listing.reopened"]["actor_id"] == admin.id
    assert by_action["listing.confirmed"]["after"]["status"] == "confirmed"
    assert by_action["listing.confirmed"]["actor_name"] == "Emeka Expert"
    assert all(entry["actor_id"] == expert.id for entry in entries if entry["action"] != "listing.reopened")
    # The referral the confirmation made is in the log too.
    assert _log(client, admin_headers, action="referral.created")["items"]


def test_role_and_certification_changes_are_in_the_same_log(client, db, admin_headers, reporter) -> None:  # type: ignore[no-untyped-def]
    response = client.patch(f"/api/v1/admin/users/{reporter.id}/role", headers=admin_headers,
                            json={"role": "expert", "reason": "Joined the Coalition team."})
    assert response.status_code == 200
    entry = _log(client, admin_headers, action="user.role_changed")["items"][0]
    assert entry["entity_id"] == str(reporter.id)
    assert entry["before"]["role"] == "volunteer" and entry["after"]["role"] == "expert"


def test_the_log_is_filtered_and_paged_newest_first(client, db, training_content, expert, reporter,  # type: ignore[no-untyped-def]
                                                    expert_headers, admin_headers) -> None:
    for _ in range(5):
        listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
        client.post(f"/api/v1/review/listings/{listing.id}/claim", headers=expert_headers)
    everything = _log(client, admin_headers, action="listing.*", limit=200)["items"]
    assert len(everything) == 5
    ids = [entry["id"] for entry in everything]
    assert ids == sorted(ids, reverse=True)
    paged, cursor = [], None
    while True:
        body = _log(client, admin_headers, action="listing.*", limit=2, **({"cursor": cursor} if cursor else {}))
        paged.extend(entry["id"] for entry in body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert paged == ids
    assert len(_log(client, admin_headers, actor_id=expert.id, action="listing.claimed")["items"]) == 5
    assert _log(client, admin_headers, actor_id=reporter.id, action="listing.*")["items"] == []
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    assert _log(client, admin_headers, since=tomorrow)["items"] == []
    assert len(_log(client, admin_headers, until=tomorrow, action="listing.claimed")["items"]) == 5
    assert client.get("/api/v1/admin/audit?cursor=zzz", headers=admin_headers).status_code == 422
    assert client.get("/api/v1/admin/audit", headers=expert_headers).status_code == 403


def test_the_admin_audit_page_filters_and_pages(client, db, training_content, admin, reporter,  # type: ignore[no-untyped-def]
                                                expert_headers) -> None:
    from tests.factories import web_login

    for _ in range(3):
        listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
        client.post(f"/api/v1/review/listings/{listing.id}/claim", headers=expert_headers)
    web_login(client, admin)
    page = client.get("/admin/audit?action=listing.claimed")
    assert page.status_code == 200
    assert page.text.count("<code>listing.claimed</code>") == 3
    assert "Emeka Expert" in page.text
    assert client.get("/admin/audit?actor=nobody@example.org").status_code == 422
    assert "Nobody has the e-mail address" in client.get("/admin/audit?actor=nobody@example.org").text
    assert client.get("/admin/audit?since=31-12-2026").status_code == 422
    assert "/admin/audit" in client.get("/admin").text
