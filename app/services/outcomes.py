"""What companies tell us they did with a referral, and what they can read back.

`record_outcome` is idempotent: the same outcome again changes nothing and writes no
audit entry (a company's retry is harmless); a different outcome later is recorded and
audited. `removed` closes a confirmed listing as removed through the listing state
machine and keeps `removed_at`, so the time from confirmation to removal is known.
A company only ever sees its own referrals: another company's id is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.config import Settings
from app.errors import Invalid, NotFound
from app.i18n import _
from app.models import Company, Listing, ListingStatus, Referral, utcnow
from app.services import audit, listing_states
from app.services.deliveries import decode_cursor, encode_cursor
from app.services.referrals import ReferralStatus, evidence_by_listing
from app.webhooks import payloads

NOTE_MAX = 2000
# A company's clock may run a little ahead of ours; further in the future is a mistake.
CLOCK_SKEW = timedelta(minutes=5)


class Outcome(StrEnum):
    removed = "removed"
    not_removed = "not_removed"
    not_found = "not_found"


@dataclass
class OutcomeResult:
    referral: Referral
    changed: bool  # False when the same outcome had already been recorded


def company_referral(session: Session, *, company: Company, referral_id: int) -> Referral:
    """One of this company's referrals; 404 for anything else (not yours = not there)."""
    referral = session.get(Referral, referral_id)
    if referral is None or referral.company_id != company.id:
        raise NotFound(_("There is no referral %(id)s for your company.", id=referral_id))
    return referral


def _company_label(company: Company) -> str:
    return f"company:{company.name}"[:80]


def record_outcome(
    session: Session,
    *,
    company: Company,
    referral_id: int,
    outcome: str,
    note: str | None = None,
    acted_at: datetime | None = None,
) -> OutcomeResult:
    """Record what the company did. Same outcome again: no change, no audit entry."""
    referral = company_referral(session, company=company, referral_id=referral_id)
    try:
        outcome = Outcome(outcome)
    except ValueError:
        raise Invalid(
            _("The outcome must be one of: removed, not_removed, not_found."), field="outcome"
        ) from None
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise Invalid(_("The note must be at most %(n)s characters.", n=NOTE_MAX), field="note")
    now = utcnow()
    if acted_at is not None:
        if acted_at.tzinfo is None:
            raise Invalid(
                _("acted_at needs a time zone, for example 2026-11-24T10:00:00Z."), field="acted_at"
            )
        if acted_at > now + CLOCK_SKEW:
            raise Invalid(_("acted_at is in the future."), field="acted_at")

    if referral.outcome == outcome:
        return OutcomeResult(referral=referral, changed=False)

    before = {"outcome": referral.outcome, "note": referral.outcome_note, "acted_at": referral.acted_at}
    referral.outcome = outcome.value
    referral.outcome_note = note
    referral.acted_at = acted_at or now
    referral.outcome_received_at = now
    referral.status = ReferralStatus.answered
    session.add(referral)
    audit.record(
        session,
        action="referral.outcome",
        entity_type="referral",
        entity_id=referral.id,  # type: ignore[arg-type]
        actor_company_id=company.id,
        actor_label=_company_label(company),
        before=before,
        after={"outcome": referral.outcome, "note": note, "acted_at": referral.acted_at},
    )
    if outcome == Outcome.removed:
        listing = session.get(Listing, referral.listing_id)
        # Only a confirmed listing closes as removed; one an admin re-opened meanwhile keeps
        # its state, and the outcome stays on the referral for the people reviewing it.
        if listing is not None and listing.status == ListingStatus.confirmed:
            listing_states.transition(
                session,
                listing=listing,
                to=ListingStatus.removed,
                actor_company_id=company.id,
                actor_label=_company_label(company),
                action="listing.removed",
                reason=note,
                changes={"removed_at": referral.acted_at},
            )
    session.flush()
    return OutcomeResult(referral=referral, changed=True)


# --- What a company reads ------------------------------------------------------------------


@dataclass
class CompanyReferral:
    referral: Referral
    listing: Listing
    data: dict[str, Any]  # the webhook's `data`, with fresh evidence links


def _rows_with_data(
    session: Session, rows: list[tuple[Referral, Listing]], *, settings: Settings, content: Any
) -> list[CompanyReferral]:
    evidence = evidence_by_listing(session, [listing.id for _referral, listing in rows])  # type: ignore[misc]
    species = getattr(content, "species_by_id", None) if content is not None else None
    now = utcnow()
    return [
        CompanyReferral(
            referral=referral,
            listing=listing,
            data=payloads.referral_created(
                referral=referral, listing=listing, evidence=evidence[listing.id],  # type: ignore[index]
                settings=settings, species_by_id=species, now=now,
            )["data"],
        )
        for referral, listing in rows
    ]


def get_for_company(
    session: Session, *, company: Company, referral_id: int, settings: Settings, content: Any
) -> CompanyReferral:
    referral = company_referral(session, company=company, referral_id=referral_id)
    listing = session.get(Listing, referral.listing_id)
    assert listing is not None
    return _rows_with_data(session, [(referral, listing)], settings=settings, content=content)[0]


def list_for_company(
    session: Session,
    *,
    company: Company,
    settings: Settings,
    content: Any,
    outcome: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[CompanyReferral], str | None]:
    """The company's referrals, newest first. `outcome`: removed, not_removed, not_found,
    or "none" for those still waiting for an answer; `since`: created at or after."""
    query = (
        select(Referral, Listing)
        .join(Listing, Listing.id == Referral.listing_id)
        .where(Referral.company_id == company.id)
    )
    if outcome == "none":
        query = query.where(Referral.outcome.is_(None))
    elif outcome:
        if outcome not in {o.value for o in Outcome}:
            raise Invalid(
                _("The outcome filter must be one of: removed, not_removed, not_found, none."), field="outcome"
            )
        query = query.where(Referral.outcome == outcome)
    if since is not None:
        if since.tzinfo is None:
            raise Invalid(_("since needs a time zone, for example 2026-11-24T00:00:00Z."), field="since")
        query = query.where(Referral.created_at >= since)
    after = decode_cursor(cursor, int)
    if after is not None:
        query = query.where(Referral.id < after)
    rows = list(session.execute(query.order_by(Referral.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1][0].id) if len(rows) > limit else None  # type: ignore[arg-type]
    return _rows_with_data(session, rows[:limit], settings=settings, content=content), next_cursor


def outcomes_for_listings(session: Session, listing_ids: list[int]) -> dict[int, Referral]:
    """The referral of each of these listings that has one (for reporters' pages: outcome,
    acted_at, status "no_recipient"...)."""
    if not listing_ids:
        return {}
    return {
        referral.listing_id: referral
        for referral in session.execute(select(Referral).where(Referral.listing_id.in_(listing_ids))).scalars()
    }
