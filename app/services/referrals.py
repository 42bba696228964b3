"""Referrals: a confirmed listing becomes one referral to the company hosting it.

`create_referral` is called by the review service inside the expert's decision
transaction, so the referral, its outbox message and the decision land together (or
not at all); the dispatcher sends the message afterwards. A listing whose platform has
no active company gets a referral with status "no_recipient"; `route_waiting_referrals`
queues those when a company that answers for them is registered or activated.

Referral statuses: no_recipient -> pending (in the outbox) -> delivered | failed;
"answered" once the company reported an outcome; "withdrawn" when an admin re-opened
the listing before the message went out (the dispatcher then does not send it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from app.config import Settings
from app.errors import Invalid, NotFound
from app.i18n import _
from app.models import (
    Company,
    CompanyDomain,
    CompanyPlatform,
    Evidence,
    Listing,
    OutboxMessage,
    Referral,
    Report,
    User,
    utcnow,
)
from app.services import audit
from app.services.deliveries import decode_cursor, encode_cursor
from app.webhooks import payloads
from app.webhooks.signing import new_message_id


class ReferralStatus:
    no_recipient = "no_recipient"
    pending = "pending"
    delivered = "delivered"
    failed = "failed"
    answered = "answered"
    withdrawn = "withdrawn"


def _catalogue(content: Any) -> Any:
    return getattr(content, "platforms", None) if content is not None else None


def _species_by_id(content: Any) -> Any:
    return getattr(content, "species_by_id", None) if content is not None else None


def platform_of(listing: Listing, content: Any) -> str | None:
    """The listing's platform id, or the catalogue's platform for its domain."""
    if listing.platform_id:
        return listing.platform_id
    catalogue = _catalogue(content)
    platform = catalogue.by_domain(listing.registrable_domain) if catalogue is not None else None
    return platform.id if platform is not None else None


def find_company(session: Session, *, listing: Listing, content: Any) -> Company | None:
    """The active company answering for the listing: a domain registered by an admin
    first (the more specific and more recent decision), then the listing's platform."""
    by_domain = session.execute(
        select(Company)
        .join(CompanyDomain, CompanyDomain.company_id == Company.id)
        .where(CompanyDomain.domain == listing.registrable_domain, Company.active.is_(True))
    ).scalars().first()
    if by_domain is not None:
        return by_domain
    platform_id = platform_of(listing, content)
    if platform_id is None:
        return None
    return session.execute(
        select(Company)
        .join(CompanyPlatform, CompanyPlatform.company_id == Company.id)
        .where(CompanyPlatform.platform_id == platform_id, Company.active.is_(True))
    ).scalars().first()


def evidence_by_listing(session: Session, listing_ids: Iterable[int]) -> dict[int, list[Evidence]]:
    """The evidence files still kept of each listing, oldest first."""
    ids = list(listing_ids)
    found: dict[int, list[Evidence]] = {listing_id: [] for listing_id in ids}
    if not ids:
        return found
    rows = session.execute(
        select(Report.listing_id, Evidence)
        .join(Report, Report.id == Evidence.report_id)
        .where(Report.listing_id.in_(ids), Evidence.deleted_at.is_(None))
        .order_by(Evidence.id)
    )
    for listing_id, evidence in rows:
        found[listing_id].append(evidence)
    return found


def evidence_of_listing(session: Session, listing_id: int) -> list[Evidence]:
    return evidence_by_listing(session, [listing_id])[listing_id]


def referral_payload(
    session: Session, *, referral: Referral, listing: Listing, settings: Settings, content: Any, now: datetime
) -> dict[str, Any]:
    return payloads.referral_created(
        referral=referral,
        listing=listing,
        evidence=evidence_of_listing(session, listing.id),  # type: ignore[arg-type]
        settings=settings,
        species_by_id=_species_by_id(content),
        now=now,
    )


def _queue(
    session: Session,
    *,
    referral: Referral,
    listing: Listing,
    company: Company,
    settings: Settings,
    content: Any,
    now: datetime,
) -> OutboxMessage:
    referral.company_id = company.id
    referral.status = ReferralStatus.pending
    session.add(referral)
    message = OutboxMessage(
        id=new_message_id(),
        company_id=company.id,  # type: ignore[arg-type]
        referral_id=referral.id,
        event_type=payloads.REFERRAL_CREATED,
        payload=referral_payload(
            session, referral=referral, listing=listing, settings=settings, content=content, now=now
        ),
        status="pending",
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


def create_referral(
    session: Session, *, listing: Listing, actor: User | None, settings: Settings, content: Any
) -> Referral:
    """Refer a confirmed listing to its company, in the caller's transaction.

    Writes the Referral and, when an active company answers for the listing, the
    outbox message with the `referral.created` body; otherwise the referral waits as
    "no_recipient". A listing that already has a referral (an admin re-opened and
    re-confirmed it) keeps it: the company was already told; one still waiting for a
    recipient, or withdrawn before it went out, is routed again.
    """
    now = utcnow()
    referral = session.execute(select(Referral).where(Referral.listing_id == listing.id)).scalars().first()
    if referral is not None and referral.status not in (ReferralStatus.no_recipient, ReferralStatus.withdrawn):
        return referral
    if referral is None:
        referral = Referral(listing_id=listing.id, status=ReferralStatus.no_recipient, created_at=now)  # type: ignore[arg-type]
        session.add(referral)
        session.flush()
        created = True
    else:
        created = False
        referral.status = ReferralStatus.no_recipient
        referral.company_id = None
    company = find_company(session, listing=listing, content=content)
    if company is not None:
        _queue(session, referral=referral, listing=listing, company=company, settings=settings,
               content=content, now=now)
    if created or company is not None:
        audit.record(
            session,
            action="referral.created" if created else "referral.routed",
            entity_type="referral",
            entity_id=referral.id,  # type: ignore[arg-type]
            actor=actor,
            after={
                "listing_id": listing.id,
                "company_id": company.id if company is not None else None,
                "status": referral.status,
            },
        )
    session.flush()
    return referral


def route_waiting_referrals(
    session: Session, *, company: Company, settings: Settings, content: Any, actor: User | None
) -> int:
    """Queue every "no_recipient" referral this (active) company now answers for; the count."""
    if not company.active:
        return 0
    platform_ids = list(
        session.execute(select(CompanyPlatform.platform_id).where(CompanyPlatform.company_id == company.id)).scalars()
    )
    domains = list(
        session.execute(select(CompanyDomain.domain).where(CompanyDomain.company_id == company.id)).scalars()
    )
    catalogue = _catalogue(content)
    if catalogue is not None:
        # Listings stored without a platform id whose domain the catalogue gives to one of ours.
        domains += [domain for domain, platform_id in catalogue.domains.items() if platform_id in platform_ids]
    if not platform_ids and not domains:
        return 0
    conditions = []
    if platform_ids:
        conditions.append(Listing.platform_id.in_(platform_ids))  # type: ignore[union-attr]
    if domains:
        conditions.append(Listing.registrable_domain.in_(domains))  # type: ignore[attr-defined]
    rows: Iterable[tuple[Referral, Listing]] = session.execute(
        select(Referral, Listing)
        .join(Listing, Listing.id == Referral.listing_id)
        .where(Referral.status == ReferralStatus.no_recipient, or_(*conditions))
        .order_by(Referral.id)
    )
    now = utcnow()
    count = 0
    for referral, listing in list(rows):
        # Another company may hold a more specific claim (a registered domain): ask the router.
        if find_company(session, listing=listing, content=content) is not company:
            continue
        _queue(session, referral=referral, listing=listing, company=company, settings=settings,
               content=content, now=now)
        audit.record(
            session,
            action="referral.routed",
            entity_type="referral",
            entity_id=referral.id,  # type: ignore[arg-type]
            actor=actor,
            before={"status": ReferralStatus.no_recipient},
            after={"status": ReferralStatus.pending, "company_id": company.id},
        )
        count += 1
    session.flush()
    return count


# --- For admins ------------------------------------------------------------------------------

REFERRAL_STATUSES = (
    ReferralStatus.no_recipient,
    ReferralStatus.pending,
    ReferralStatus.delivered,
    ReferralStatus.failed,
    ReferralStatus.answered,
    ReferralStatus.withdrawn,
)
ReferralRow = tuple[Referral, Listing, Company | None]


def list_referrals(
    session: Session,
    *,
    status: str | None = None,
    company_id: int | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[ReferralRow], str | None]:
    """Referrals newest first, with their listing and company."""
    if status and status not in REFERRAL_STATUSES:
        raise Invalid(
            _("Unknown referral status %(status)s (use one of: %(statuses)s).",
              status=status[:40], statuses=", ".join(REFERRAL_STATUSES)),
            field="status",
        )
    query = (
        select(Referral, Listing, Company)
        .join(Listing, Listing.id == Referral.listing_id)
        .outerjoin(Company, Company.id == Referral.company_id)
    )
    if status:
        query = query.where(Referral.status == status)
    if company_id is not None:
        query = query.where(Referral.company_id == company_id)
    after = decode_cursor(cursor, int)
    if after is not None:
        query = query.where(Referral.id < after)
    rows = list(session.execute(query.order_by(Referral.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1][0].id) if len(rows) > limit else None  # type: ignore[arg-type]
    return rows[:limit], next_cursor


def get_referral(session: Session, referral_id: int) -> ReferralRow:
    row = session.execute(
        select(Referral, Listing, Company)
        .join(Listing, Listing.id == Referral.listing_id)
        .outerjoin(Company, Company.id == Referral.company_id)
        .where(Referral.id == referral_id)
    ).first()
    if row is None:
        raise NotFound(_("No such referral."))
    return row
