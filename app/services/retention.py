"""Evidence retention: screenshots are deleted a while after their listing is closed.

A listing is closed when it is confirmed, rejected or removed (`Listing.closed_at`; an admin
re-opening it clears that). `settings.evidence_retention_days` (730 by default) after that,
its evidence files (the picture and its thumbnail) are deleted from disk and the Evidence
row is marked `deleted_at`; the row itself stays (hash, size, dimensions) so the record of
what was submitted is kept without the picture.

Files are deleted before the transaction commits: if the commit then fails, the next run
marks the rows again (a missing file counts as deleted). On PostgreSQL several workers may
run this at once: rows are claimed with `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from app.config import Settings
from app.errors import NotFound
from app.models import Evidence, Listing, Report
from app.services import audit
from app.services.evidence import file_path, thumbnail_key

log = logging.getLogger("cyberspotter.retention")
BATCH_SIZE = 500


@dataclass(frozen=True)
class PurgeResult:
    evidence: int
    files_deleted: int


def _expired(cutoff: datetime):  # type: ignore[no-untyped-def]
    return (
        select(Evidence)
        .join(Report, Report.id == Evidence.report_id)
        .join(Listing, Listing.id == Report.listing_id)
        .where(Evidence.deleted_at.is_(None), Listing.closed_at.is_not(None), Listing.closed_at <= cutoff)
    )


def count_expired_evidence(session: Session, *, settings: Settings, now: datetime) -> int:
    cutoff = now - timedelta(days=settings.evidence_retention_days)
    return int(session.execute(select(func.count()).select_from(_expired(cutoff).subquery())).scalar_one())


def _delete_file(settings: Settings, storage_key: str) -> bool:
    try:
        path = file_path(settings, storage_key)
    except NotFound:  # a key pointing outside the evidence directory: never touch such a path
        log.warning("evidence storage key outside the evidence directory: %r", storage_key)
        return False
    if path.exists():
        path.unlink(missing_ok=True)
        return True
    return False


def purge(session: Session, *, settings: Settings, now: datetime, batch_size: int = BATCH_SIZE) -> PurgeResult:
    """Delete the files of expired evidence and mark the rows; flushed, not committed."""
    cutoff = now - timedelta(days=settings.evidence_retention_days)
    lock = session.get_bind().dialect.name == "postgresql"
    marked = files = 0
    while True:
        statement = _expired(cutoff).order_by(Evidence.id).limit(batch_size)
        if lock:
            statement = statement.with_for_update(of=Evidence, skip_locked=True)
        rows = list(session.execute(statement).scalars())
        for row in rows:
            files += _delete_file(settings, row.storage_key) + _delete_file(settings, thumbnail_key(row.storage_key))
            row.deleted_at = now
            session.add(row)
        session.flush()
        marked += len(rows)
        if len(rows) < batch_size:
            break
    if marked:
        audit.record(session, action="evidence.purged", entity_type="evidence", entity_id="retention",
                     actor_label="system", after={"evidence": marked, "files": files, "closed_before": cutoff,
                                                  "retention_days": settings.evidence_retention_days})
    return PurgeResult(evidence=marked, files_deleted=files)


def purge_expired_evidence(session: Session, *, settings: Settings, now: datetime) -> int:
    """How many evidence items were purged (files deleted, rows marked `deleted_at`)."""
    return purge(session, settings=settings, now=now).evidence
