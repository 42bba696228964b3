"""Rows with known timestamps, inserted directly: the figures are checked against hand counts."""

from __future__ import annotations

import hashlib
import itertools
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from app.models import Company, Evidence, Listing, Referral, Report, User
from app.security import hash_api_key

_numbers = itertools.count(1)


def at(text: str) -> datetime:
    """'2026-03-02 10:00' as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_listing(session: Session, *, first_reported_at: datetime, status: str = "pending",
                 platform_id: str | None = "ebay", **fields: Any) -> Listing:
    number = next(_numbers)
    url = fields.pop("canonical_url", f"https://www.example.com/item/{number}")
    listing = Listing(
        url_hash=hashlib.sha256(url.encode()).hexdigest(),
        canonical_url=url,
        host="example.com",
        registrable_domain="example.com",
        platform_id=platform_id,
        status=status,
        first_reported_at=first_reported_at,
        last_reported_at=fields.pop("last_reported_at", first_reported_at),
        **fields,
    )
    session.add(listing)
    session.flush()
    return listing


def make_report(session: Session, *, listing: Listing, reporter: User | None = None,
                created_at: datetime | None = None, **fields: Any) -> Report:
    report = Report(
        listing_id=listing.id,
        reporter_id=reporter.id if reporter else None,
        original_url=fields.pop("original_url", listing.canonical_url),
        created_at=created_at or listing.first_reported_at,
        **fields,
    )
    session.add(report)
    session.flush()
    return report


def make_company(session: Session, name: str) -> Company:
    company = Company(name=name, api_key_hash=hash_api_key(secrets.token_urlsafe(24)), api_key_prefix="cs_test")
    session.add(company)
    session.flush()
    return company


def make_referral(session: Session, *, listing: Listing, company: Company | None, created_at: datetime,
                  outcome: str | None = None, acted_at: datetime | None = None,
                  delivered_at: datetime | None = None, status: str | None = None) -> Referral:
    if status is None:
        status = "no_recipient" if company is None else ("answered" if outcome else "delivered")
    referral = Referral(
        listing_id=listing.id,
        company_id=company.id if company else None,
        status=status,
        created_at=created_at,
        sent_at=created_at if company else None,
        delivered_at=delivered_at if delivered_at is not None else (created_at if company else None),
        outcome=outcome,
        acted_at=acted_at,
        outcome_received_at=acted_at,
    )
    session.add(referral)
    session.flush()
    return referral


def make_evidence(session: Session, *, report: Report, storage_key: str, created_at: datetime | None = None) -> Evidence:
    evidence = Evidence(report_id=report.id, sha256=hashlib.sha256(storage_key.encode()).hexdigest(),
                        content_type="image/jpeg", width=10, height=10, size_bytes=100, storage_key=storage_key,
                        **({"created_at": created_at} if created_at else {}))
    session.add(evidence)
    session.flush()
    return evidence
