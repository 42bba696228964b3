"""Listings and reports for review tests, scored by the same code the reports service uses."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from app.db import Database
from app.models import Evidence, Listing, ListingStatus, Report, User, utcnow
from app.services import listings as listing_service

_numbers = itertools.count(1)


def make_listing(
    db: Database,
    content: object,
    *,
    reporters: Sequence[User],
    species_id: str | None = None,
    species_ids: Sequence[str | None] | None = None,
    live_animal: bool = False,
    platform_id: str | None = "ebay",
    status: str = ListingStatus.pending,
    reported_at: datetime | None = None,
    seller_handle: str | None = None,
    listing_title: str | None = None,
    listing_text: str | None = None,
    notes: str | None = None,
    price: Decimal | None = None,
    currency: str | None = None,
    country: str | None = None,
) -> Listing:
    """A listing with one report per reporter (each guessing `species_ids[i]` or `species_id`)."""
    number = next(_numbers)
    now = reported_at or utcnow()
    url = f"https://www.ebay.co.uk/itm/{1000000 + number}"
    with db.transaction() as session:
        listing = Listing(
            url_hash=listing_service.url_hash(url), canonical_url=url, host="ebay.co.uk",
            registrable_domain="ebay.co.uk", platform_id=platform_id, external_id=str(number), status=status,
            first_reported_at=now, last_reported_at=now, updated_at=now,
        )
        session.add(listing)
        session.flush()
        for index, reporter in enumerate(reporters):
            guess = species_ids[index] if species_ids is not None else species_id
            session.add(Report(
                listing_id=listing.id, reporter_id=reporter.id, original_url=url + "?utm_source=app",  # type: ignore[arg-type]
                species_id=guess, live_animal=live_animal, seller_handle=seller_handle,
                listing_title=listing_title, listing_text=listing_text, notes=notes, price=price,
                currency=currency, country=country, created_at=now + timedelta(seconds=index),
            ))
        session.flush()
        listing_service.refresh_aggregates(session, listing=listing, content=content, now=now)
        session.flush()
        session.refresh(listing)
    return listing


def get_listing(db: Database, listing_id: int) -> Listing:
    with db.session() as session:
        listing = session.get(Listing, listing_id)
        assert listing is not None
        return listing


def set_fields(db: Database, listing_id: int, **fields: object) -> None:
    """Put a listing in a given state directly (the state machine is what the tests exercise)."""
    with db.transaction() as session:
        listing = session.get(Listing, listing_id)
        assert listing is not None
        for key, value in fields.items():
            setattr(listing, key, value)
        session.add(listing)


def claim_for(db: Database, listing_id: int, user: User, *, minutes: int = 30) -> None:
    set_fields(db, listing_id, status=ListingStatus.in_review, claimed_by_id=user.id,
               claim_expires_at=utcnow() + timedelta(minutes=minutes))


def add_evidence(db: Database, report_id: int) -> int:
    with db.transaction() as session:
        item = Evidence(report_id=report_id, sha256="0" * 64, content_type="image/png", width=10, height=10,
                        size_bytes=100, storage_key=f"test/{report_id}.png")
        session.add(item)
        session.flush()
        return item.id  # type: ignore[return-value]


def report_ids(db: Database, listing_id: int) -> list[int]:
    from sqlalchemy import select

    with db.session() as session:
        return list(session.execute(select(Report.id).where(Report.listing_id == listing_id).order_by(Report.id)).scalars())


def audit_actions(db: Database, listing_id: int) -> list[str]:
    from sqlalchemy import select

    from app.models import AuditEntry

    with db.session() as session:
        return list(session.execute(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "listing", AuditEntry.entity_id == str(listing_id))
            .order_by(AuditEntry.id)
        ).scalars())
