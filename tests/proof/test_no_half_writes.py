"""No half-written records: a write that fails in the middle of a request leaves nothing behind.

Each test lets a multi-row service call get well into its work (rows already flushed in
the request's transaction, checked at the moment of failure), then makes a later write
fail, through HTTP as a client would. The answer is an error, and afterwards the database
holds none of it: no orphan listing, report, evidence (row or file), referral, outbox
message or audit entry, and the state that was there before is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.models import (
    AuditEntry,
    Evidence,
    Listing,
    ListingStatus,
    OutboxMessage,
    Referral,
    Report,
    Role,
)
from app.services import audit, evidence
from tests.conftest import csrf_token
from tests.factories import auth_headers, make_user, web_login
from tests.referrals.factories import make_company
from tests.reporting.factories import EBAY_URL, ELEPHANT, create_report, plain_jpeg

COUNTED = (Listing, Report, Evidence, Referral, OutboxMessage, AuditEntry)


class DiskFull(RuntimeError):
    pass


@pytest.fixture
def failing_client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """A client that gets the error answer (500/503) instead of the exception."""
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        yield client


def counts(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return {model.__name__: session.execute(select(func.count()).select_from(model)).scalar_one()
                for model in COUNTED}


def fail_at(monkeypatch, action: str, error: Exception) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Make the audit entry `action` fail; returns what the transaction held at that moment."""
    real = audit.record
    seen: dict[str, Any] = {}

    def record(session, **values):  # type: ignore[no-untyped-def]
        if values["action"] == action:
            session.flush()
            seen.update({model.__name__: session.execute(select(func.count()).select_from(model)).scalar_one()
                         for model in COUNTED})
            raise error
        return real(session, **values)

    monkeypatch.setattr(audit, "record", record)
    return seen


def fail_after_storing_evidence(monkeypatch, error: Exception) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Make a report fail just after its last write (its pictures, if any); returns what the
    transaction held at that moment."""
    real = evidence.store
    seen: dict[str, Any] = {}

    def store(session, **values):  # type: ignore[no-untyped-def]
        real(session, **values)
        seen.update({model.__name__: session.execute(select(func.count()).select_from(model)).scalar_one()
                     for model in COUNTED})
        raise error

    monkeypatch.setattr(evidence, "store", store)
    return seen


def evidence_files(settings) -> list[Path]:  # type: ignore[no-untyped-def]
    root = settings.evidence_dir
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_a_report_that_fails_after_its_rows_are_written_leaves_no_listing_or_report(
    failing_client, db, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    volunteer = make_user(db, certified=True)
    headers = auth_headers(failing_client, volunteer)
    before = counts(db)
    seen = fail_after_storing_evidence(monkeypatch, DiskFull("no space left on device"))

    response = failing_client.post("/api/v1/reports", headers=headers, json={
        "listing_url": EBAY_URL, "species_id": ELEPHANT, "confidence": "high", "notes": "carved tusk"})

    assert response.status_code == 500
    assert "went wrong on our side" in response.json()["detail"]
    assert seen["Listing"] == before["Listing"] + 1 and seen["Report"] == before["Report"] + 1  # half way
    assert seen["AuditEntry"] == before["AuditEntry"] + 1
    assert counts(db) == before


def test_a_report_form_with_a_screenshot_that_fails_leaves_no_rows_and_no_files(
    failing_client, db, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    web_login(failing_client, make_user(db, certified=True))
    token = csrf_token(failing_client, "/report")
    before = counts(db)
    seen = fail_after_storing_evidence(monkeypatch, DiskFull("no space left on device"))

    response = failing_client.post(
        "/report",
        data={"csrf_token": token, "listing_url": EBAY_URL, "species_id": ELEPHANT, "confidence": "high"},
        files={"evidence": ("shot.jpg", plain_jpeg(), "image/jpeg")},
        follow_redirects=False,
    )

    assert response.status_code == 500
    assert seen["Evidence"] == before["Evidence"] + 1  # the picture was stored before the failure
    assert counts(db) == before
    assert evidence_files(settings) == []  # the written files went with the rollback


def test_a_confirmation_that_fails_after_the_referral_leaves_the_listing_in_review(
    failing_client, db, settings, training_content, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    make_company(db, settings, training_content, webhook_url="http://127.0.0.1:9/hook")
    volunteer_headers = auth_headers(failing_client, make_user(db, certified=True))
    expert_headers = auth_headers(failing_client, make_user(db, role=Role.expert))
    listing_id = create_report(failing_client, volunteer_headers)["listing_id"]
    claim = failing_client.post(f"/api/v1/review/listings/{listing_id}/claim", headers=expert_headers)
    assert claim.status_code == 200, claim.text
    template = failing_client.get("/api/v1/review/choices", headers=expert_headers).json()["finding_templates"][0]
    before = counts(db)
    # The referral and its outbox message are written, then the referral's audit entry fails.
    seen = fail_at(monkeypatch, "referral.created", OperationalError("INSERT", {}, Exception("server closed the connection")))

    response = failing_client.post(f"/api/v1/review/listings/{listing_id}/decision", headers=expert_headers,
                                   json={"decision": "confirm", "species_id": ELEPHANT,
                                         "finding_template": template["value"]})

    assert response.status_code == 503  # the database went away in the middle: retry later
    assert response.headers["Retry-After"]
    assert seen["Referral"] == before["Referral"] + 1 and seen["OutboxMessage"] == before["OutboxMessage"] + 1
    assert seen["AuditEntry"] > before["AuditEntry"]  # the listing's own transition was recorded by then
    assert counts(db) == before
    with db.session() as session:
        listing = session.get(Listing, listing_id)
        assert listing.status == ListingStatus.in_review and listing.confirmed_at is None


def test_an_outcome_that_fails_while_closing_the_listing_leaves_the_referral_unanswered(
    failing_client, db, settings, training_content, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from tests.referrals.factories import make_confirmed_listing

    credentials = make_company(db, settings, training_content, webhook_url="http://127.0.0.1:9/hook")
    listing, referral = make_confirmed_listing(db, settings, training_content,
                                               reporters=[make_user(db, certified=True)])
    before = counts(db)
    seen = fail_at(monkeypatch, "listing.removed", DiskFull("no space left on device"))

    response = failing_client.post(f"/api/v1/company/referrals/{referral.id}/outcome",
                                   headers={"Authorization": f"Bearer {credentials.api_key}"},
                                   json={"outcome": "removed", "note": "Taken down."})

    assert response.status_code == 500
    assert seen["AuditEntry"] == before["AuditEntry"] + 1  # the outcome's own entry was written
    assert counts(db) == before
    with db.session() as session:
        stored = session.get(Referral, referral.id)
        assert stored.outcome is None and stored.outcome_received_at is None
        assert session.get(Listing, listing.id).status == ListingStatus.confirmed
