"""The one state machine of a listing. Every status change goes through `transition`.

    pending ──claim──▶ in_review ──confirm──▶ confirmed ──company: removed──▶ removed
       ▲                  │  │
       │                  │  └──reject──▶ rejected
       │◀──release/expiry─┘  └──needs_info──▶ needs_info ──reporter answers──▶ pending
       └──────────────── admin re-opens (with a reason) ◀── confirmed / rejected / removed / needs_info

Experts may also decide straight from `pending` (claiming implicitly). An impossible
transition raises Conflict (409): deciding a decided listing, deciding while someone else
holds the claim.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.errors import Conflict
from app.i18n import _
from app.models import Listing, ListingStatus, User, utcnow
from app.services import audit

S = ListingStatus
ALLOWED: dict[str, set[str]] = {
    S.pending: {S.in_review, S.confirmed, S.rejected, S.needs_info},
    S.in_review: {S.pending, S.confirmed, S.rejected, S.needs_info},
    S.needs_info: {S.pending, S.in_review, S.confirmed, S.rejected},
    S.confirmed: {S.removed, S.pending},
    S.rejected: {S.pending},
    S.removed: {S.pending},
}
# Statuses whose listing is closed (nothing more to decide) unless an admin re-opens it.
CLOSED = frozenset({S.confirmed, S.rejected, S.removed})


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, set())


def transition(
    session: Session,
    *,
    listing: Listing,
    to: ListingStatus,
    actor: User | None = None,
    actor_company_id: int | None = None,
    actor_label: str | None = None,
    action: str,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
    audit_details: dict[str, Any] | None = None,
) -> Listing:
    """Move `listing` to `to`, apply `changes` to its fields, and audit before and after
    (`audit_details`: more for the audit line's "after", such as the question asked)."""
    current = listing.status
    if not can_transition(current, to):
        raise Conflict(
            _("This listing is %(current)s; it cannot become %(target)s.", current=current, target=to),
            code="invalid_transition",
            extra={"status": current},
        )
    changes = dict(changes or {})
    before = {"status": current, **{key: getattr(listing, key) for key in changes}}
    listing.status = to
    for key, value in changes.items():
        setattr(listing, key, value)
    now = utcnow()
    if to in CLOSED and listing.closed_at is None:
        listing.closed_at = now
    if to not in CLOSED:
        listing.closed_at = None
    listing.updated_at = now
    listing.version += 1
    session.add(listing)
    audit.record(
        session,
        action=action,
        entity_type="listing",
        entity_id=listing.id,  # type: ignore[arg-type]
        actor=actor,
        actor_company_id=actor_company_id,
        actor_label=actor_label,
        before=before,
        after={"status": to, **changes, **(audit_details or {})},
        reason=reason,
    )
    return listing
