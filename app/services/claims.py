"""Claims: one expert at a time works on a listing, for `claim_minutes` (30 by default).

Claiming is one conditional UPDATE, so that of two experts clicking at the same moment
exactly one wins, on either engine: the row changes only if nobody holds an unexpired
claim (or the caller already holds it) and the listing is still undecided. On
PostgreSQL the second UPDATE waits for the first transaction's row lock, then re-reads
the row, finds it claimed and changes nothing; on SQLite writers are serialised by
BEGIN IMMEDIATE. The loser gets 409 naming who holds the listing.

A claim ends by hand (`release`), with a decision (`app.services.decisions`), when an
admin breaks it (`break_claim`, audited with a reason) or when it runs out: an expired
claim stops blocking anyone at once, and `release_expired_claims` (run before every
claim and decision) puts the listing back to "pending" with an audit entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlmodel import Session

from app.config import Settings
from app.errors import Conflict, Invalid
from app.i18n import _, format_datetime
from app.models import Listing, ListingStatus, User, utcnow
from app.services import audit, listing_states
from app.services.review import active_holder_id, load_listing

S = ListingStatus
CLAIMABLE: tuple[str, ...] = (S.pending, S.in_review, S.needs_info)
REASON_MAX = 2000


def _claim_snapshot(session: Session, listing_id: int) -> dict[str, Any]:
    row = session.execute(
        select(Listing.status, Listing.claimed_by_id, Listing.claim_expires_at).where(Listing.id == listing_id)
    ).one_or_none()
    if row is None:
        load_listing(session, listing_id)  # raises NotFound
    status, holder, expires = row  # type: ignore[misc]
    return {"status": status, "claimed_by_id": holder, "claim_expires_at": expires}


def _reload(session: Session, listing_id: int) -> Listing:
    statement = select(Listing).where(Listing.id == listing_id).execution_options(populate_existing=True)
    return session.execute(statement).scalars().one()


def held_by_other(session: Session, listing: Listing, *, user: User, now: datetime) -> Conflict | None:
    """The 409 for acting on a listing someone else holds, or None when `user` may act."""
    holder_id = active_holder_id(listing, now)
    if holder_id is None or holder_id == user.id:
        return None
    holder = session.get(User, holder_id)
    name = holder.display_name if holder is not None else _("another expert")
    return Conflict(
        _("%(name)s is reviewing this listing until %(time)s. Choose another one, or ask them.",
          name=name, time=format_datetime(listing.claim_expires_at, "short")),
        code="claimed",
        extra={
            "claimed_by": {"id": holder_id, "display_name": name},
            "claim_expires_at": listing.claim_expires_at.isoformat() if listing.claim_expires_at else None,
        },
    )


def claim(session: Session, *, listing_id: int, expert: User, settings: Settings, now: datetime | None = None) -> Listing:
    """Claim (or extend one's claim on) a listing for `settings.claim_minutes`; 409 if another expert holds it."""
    now = now or utcnow()
    release_expired_claims(session, now=now)
    before = _claim_snapshot(session, listing_id)
    expires = now + settings.claim_duration
    result = session.execute(
        update(Listing)
        .where(
            Listing.id == listing_id,
            Listing.status.in_(CLAIMABLE),  # type: ignore[attr-defined]
            or_(
                Listing.claimed_by_id.is_(None),  # type: ignore[union-attr]
                Listing.claim_expires_at < now,  # type: ignore[operator]
                Listing.claimed_by_id == expert.id,
            ),
        )
        .values(claimed_by_id=expert.id, claim_expires_at=expires, version=Listing.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    listing = _reload(session, listing_id)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if listing.status not in CLAIMABLE:
            raise Conflict(
                _("This listing has already been decided (%(status)s); there is nothing to claim.",
                  status=listing.status),
                code="invalid_transition",
                extra={"status": listing.status},
            )
        raise held_by_other(session, listing, user=expert, now=now) or Conflict(_("This listing could not be claimed; reload and try again."))
    after = {"claimed_by_id": expert.id, "claim_expires_at": expires}
    if listing.status != S.in_review:
        # The UPDATE stored the claim; showing the object its previous values lets the
        # transition audit status and claim together, from what they were to what they are.
        listing.claimed_by_id, listing.claim_expires_at = before["claimed_by_id"], before["claim_expires_at"]
        listing_states.transition(session, listing=listing, to=S.in_review, actor=expert,
                                  action="listing.claimed", changes=after)
    else:
        extended = before["claimed_by_id"] == expert.id
        audit.record(
            session,
            action="listing.claim_extended" if extended else "listing.claimed",
            entity_type="listing",
            entity_id=listing_id,
            actor=expert,
            before={key: before[key] for key in ("claimed_by_id", "claim_expires_at")},
            after=after,
        )
    session.flush()
    return listing


def release(session: Session, *, listing_id: int, expert: User, now: datetime | None = None) -> Listing:
    """Give a listing back to the queue; only its holder may (admins break claims instead)."""
    now = now or utcnow()
    listing = load_listing(session, listing_id)
    if listing.claimed_by_id != expert.id:
        raise held_by_other(session, listing, user=expert, now=now) or Conflict(
            _("You do not hold this listing, so there is nothing to release."), code="not_claimed"
        )
    return _end_claim(session, listing_id=listing_id, holder_id=expert.id, actor=expert,  # type: ignore[arg-type]
                      action="listing.released", reason=None, now=now)


def break_claim(session: Session, *, listing_id: int, admin: User, reason: str | None,
                now: datetime | None = None) -> Listing:
    """An admin ends another expert's claim (someone left for the day with a listing held)."""
    now = now or utcnow()
    reason = (reason or "").strip() or None
    if reason and len(reason) > REASON_MAX:
        raise Invalid(_("The reason must be at most %(n)s characters.", n=REASON_MAX), field="reason")
    listing = load_listing(session, listing_id)
    if listing.claimed_by_id is None:
        raise Conflict(_("Nobody holds this listing; there is no claim to break."), code="not_claimed")
    return _end_claim(session, listing_id=listing_id, holder_id=listing.claimed_by_id, actor=admin,
                      action="listing.claim_broken", reason=reason, now=now)


def release_expired_claims(session: Session, *, now: datetime | None = None) -> int:
    """Put listings whose claim ran out back to the queue; how many. Cheap: few are ever in review."""
    now = now or utcnow()
    expired = session.execute(
        select(Listing.id, Listing.claimed_by_id).where(
            Listing.claimed_by_id.is_not(None), Listing.claim_expires_at <= now  # type: ignore[union-attr,operator]
        ).order_by(Listing.id)  # one order for every sweeper: row locks taken in the same order cannot deadlock
    ).all()
    count = 0
    for listing_id, holder_id in expired:
        try:
            _end_claim(session, listing_id=listing_id, holder_id=holder_id, actor=None,
                       action="listing.claim_expired", reason=None, now=now, only_if_expired=True)
            count += 1
        except Conflict:
            continue  # someone else released or renewed it meanwhile
    return count


def _end_claim(
    session: Session,
    *,
    listing_id: int,
    holder_id: int,
    actor: User | None,
    action: str,
    reason: str | None,
    now: datetime,
    only_if_expired: bool = False,
) -> Listing:
    before = _claim_snapshot(session, listing_id)
    conditions = [Listing.id == listing_id, Listing.claimed_by_id == holder_id]
    if only_if_expired:
        conditions.append(Listing.claim_expires_at <= now)  # type: ignore[operator]
    result = session.execute(
        update(Listing)
        .where(*conditions)
        .values(claimed_by_id=None, claim_expires_at=None, version=Listing.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    listing = _reload(session, listing_id)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("The claim on this listing changed meanwhile; reload and try again."), code="claim_changed")
    after = {"claimed_by_id": None, "claim_expires_at": None}
    if listing.status == S.in_review:
        listing.claimed_by_id, listing.claim_expires_at = before["claimed_by_id"], before["claim_expires_at"]
        listing_states.transition(session, listing=listing, to=S.pending, actor=actor, action=action,
                                  reason=reason, changes=after)
    else:
        audit.record(session, action=action, entity_type="listing", entity_id=listing_id, actor=actor,
                     before={key: before[key] for key in after}, after=after, reason=reason)
    session.flush()
    return listing
