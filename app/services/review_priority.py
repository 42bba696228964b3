"""Keeping waiting listings' priorities right when a decision changes reporters' track records.

A decision does not change the decided listing's priority, and age needs no refresh
(see `app.models.listings.queue_rank`). But confirming or rejecting a listing changes
the track record of everyone who reported it, and the track record is part of the
priority of their other listings still waiting. Those few listings are re-scored here,
in the decision's transaction, with a constant number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import case, func, select
from sqlmodel import Session

from app.models import Listing, Report
from app.services import listings as listing_service
from app.services import priority
from app.services.review_queue import OPEN_STATUSES

# A prolific reporter may have many waiting listings; the newest are re-scored at once and
# the rest on their next report. Bounded so that a decision stays a quick request.
MAX_LISTINGS_REFRESHED = 500


def track_records_by_reporter(session: Session, reporter_ids: list[int]) -> dict[int, priority.TrackRecord]:
    """Each reporter's reports on decided listings and how many were confirmed (one grouped query)."""
    if not reporter_ids:
        return {}
    confirmed = func.sum(case((Listing.status.in_(tuple(listing_service.CONFIRMED)), 1), else_=0))  # type: ignore[attr-defined]
    rows = session.execute(
        select(Report.reporter_id, func.count(), confirmed)
        .join(Listing, Listing.id == Report.listing_id)
        .where(Report.reporter_id.in_(reporter_ids), Listing.status.in_(tuple(listing_service.DECIDED)))  # type: ignore[union-attr,attr-defined]
        .group_by(Report.reporter_id)
    )
    records = {reporter_id: priority.TrackRecord(decided=0, confirmed=0) for reporter_id in reporter_ids}
    for reporter_id, decided, done in rows:
        records[reporter_id] = priority.TrackRecord(decided=int(decided), confirmed=int(done or 0))
    return records


def refresh_reporters_listings(session: Session, *, listing_id: int, now: datetime) -> int:
    """Re-score the waiting listings of everyone who reported `listing_id`; how many changed."""
    reporter_ids = sorted(
        reporter_id
        for reporter_id in session.execute(
            select(Report.reporter_id).where(Report.listing_id == listing_id, Report.reporter_id.is_not(None))  # type: ignore[union-attr]
        ).scalars()
    )
    if not reporter_ids:
        return 0
    waiting_ids = list(
        session.execute(
            select(Listing.id)
            .join(Report, Report.listing_id == Listing.id)
            .where(Report.reporter_id.in_(reporter_ids), Listing.status.in_(OPEN_STATUSES), Listing.id != listing_id)  # type: ignore[union-attr,attr-defined]
            .group_by(Listing.id)
            .order_by(Listing.id.desc())  # type: ignore[union-attr]
            .limit(MAX_LISTINGS_REFRESHED)
        ).scalars()
    )
    if not waiting_ids:
        return 0
    reporters_of: dict[int, list[int]] = defaultdict(list)
    for other_id, reporter_id in session.execute(
        select(Report.listing_id, Report.reporter_id).where(
            Report.listing_id.in_(waiting_ids), Report.reporter_id.is_not(None)  # type: ignore[attr-defined,union-attr]
        )
    ):
        reporters_of[other_id].append(reporter_id)
    records = track_records_by_reporter(session, sorted({r for ids in reporters_of.values() for r in ids}))
    changed = 0
    for listing in session.execute(select(Listing).where(Listing.id.in_(waiting_ids))).scalars():  # type: ignore[union-attr]
        score, reasons = priority.compute_priority(
            listing, reporter_track_records=[records[r] for r in reporters_of.get(listing.id, [])], now=now  # type: ignore[arg-type]
        )
        stored_reasons = priority.join_reasons(reasons)
        if (score, stored_reasons) != (listing.priority, listing.priority_reasons):
            listing.priority, listing.priority_reasons = score, stored_reasons
            session.add(listing)
            changed += 1
    return changed
