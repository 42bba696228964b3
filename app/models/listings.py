"""Listings (one canonical URL each), the reports volunteers make of them, and evidence."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Numeric, Text, UniqueConstraint, event, text
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, optional_time_field
from app.models.types import utcnow


class ListingStatus(StrEnum):
    pending = "pending"
    in_review = "in_review"
    needs_info = "needs_info"
    confirmed = "confirmed"
    rejected = "rejected"
    removed = "removed"


class Confidence(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


# Listings an expert still has to decide; the partial queue index covers exactly these.
OPEN_STATUSES_SQL = "status IN ('pending', 'in_review', 'needs_info')"
# Filters of the review queue served by a partial index in queue order (a facet name, its column).
QUEUE_FACETS = (("platform", "platform_id"), ("species", "species_id"), ("group", "species_group"),
                ("appendix", "appendix_rank"), ("country", "country"))
# A waiting listing gains one priority point per day (app/services/priority.py).
AGE_SECONDS_PER_POINT = 86_400


def queue_rank(priority: int, first_reported_at: datetime) -> int:
    """The review queue's sort key, lower first: priority with age, as a number that never goes stale.

    Age adds the same point per day to every waiting listing, so at any moment ordering by
    `priority + days waiting` (higher first) is ordering by `reported second - priority * seconds
    per point` (lower first). Stored and indexed, the queue needs no periodic re-scoring.
    """
    return int(first_reported_at.timestamp()) - priority * AGE_SECONDS_PER_POINT


def _queue_rank_default(context) -> int:  # type: ignore[no-untyped-def]
    row = context.get_current_parameters()
    reported = row.get("first_reported_at")
    return queue_rank(row.get("priority") or 0, reported if isinstance(reported, datetime) else utcnow())


class Listing(SQLModel, table=True):
    __tablename__ = "listings"
    __table_args__ = (
        # The review queue (see `queue_rank`): the open listings in queue order, and any one status in queue order.
        Index(
            "ix_listings_open_queue", "queue_rank", "id",
            sqlite_where=text(OPEN_STATUSES_SQL), postgresql_where=text(OPEN_STATUSES_SQL),
        ),
        Index("ix_listings_status_queue", "status", "queue_rank", "id"),
        # The open queue filtered by one of its facets, still in queue order (migration "queue facet indexes").
        *(Index(f"ix_listings_open_{facet}_queue", column, "queue_rank", "id",
                sqlite_where=text(OPEN_STATUSES_SQL), postgresql_where=text(OPEN_STATUSES_SQL))
          for facet, column in QUEUE_FACETS),
        Index("ix_listings_platform_status", "platform_id", "status"),
        Index("ix_listings_species_status", "species_id", "status"),
        Index("ix_listings_claimed_by", "claimed_by_id", "claim_expires_at"),
        Index("ix_listings_first_reported_at", "first_reported_at"),
        # Programme figures count what happened in a period; retention looks for long-closed listings.
        Index("ix_listings_confirmed_at", "confirmed_at"),
        Index("ix_listings_decided_at", "decided_at"),
        Index("ix_listings_removed_at", "removed_at"),
        Index("ix_listings_closed_at", "closed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 of the canonical URL: a unique key of fixed size, whatever the URL's length.
    url_hash: str = Field(max_length=64, unique=True)
    canonical_url: str = Field(sa_column=Column(Text, nullable=False))
    host: str = Field(max_length=253)
    registrable_domain: str = Field(max_length=253, index=True)
    platform_id: str | None = Field(default=None, max_length=64)
    external_id: str | None = Field(default=None, max_length=200)

    status: str = Field(default=ListingStatus.pending, max_length=16)
    # Aggregates of the reports, kept up to date by the reports service for the queue.
    species_id: str | None = Field(default=None, max_length=120)  # leading guess, final after confirm
    species_group: str | None = Field(default=None, max_length=32, index=True)
    appendix_rank: int | None = Field(default=None, index=True)  # 1 = Appendix I ... 3, None = unknown/not listed
    live_animal: bool = Field(default=False)
    country: str | None = Field(default=None, max_length=2, index=True)
    report_count: int = Field(default=0)
    code_word_hit: bool = Field(default=False)
    priority: int = Field(default=0)
    priority_reasons: str = Field(default="", max_length=400)
    # Kept by `_keep_queue_rank`; a Core insert that leaves it out gets it from its own row's values.
    queue_rank: int = Field(sa_type=BigInteger, sa_column_kwargs={"default": _queue_rank_default})
    first_reported_at: datetime = created_at_field()
    last_reported_at: datetime = created_at_field()

    claimed_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    claim_expires_at: datetime | None = optional_time_field()

    decided_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    decided_at: datetime | None = optional_time_field()
    finding: str | None = Field(default=None, sa_column=Column(Text))
    reject_reason: str | None = Field(default=None, max_length=32)
    decision_note: str | None = Field(default=None, sa_column=Column(Text))
    confirmed_at: datetime | None = optional_time_field()
    removed_at: datetime | None = optional_time_field()
    closed_at: datetime | None = optional_time_field()
    version: int = Field(default=1)
    updated_at: datetime = created_at_field()


@event.listens_for(Listing, "before_insert")
@event.listens_for(Listing, "before_update")
def _keep_queue_rank(_mapper, _connection, listing: Listing) -> None:  # type: ignore[no-untyped-def]
    listing.queue_rank = queue_rank(listing.priority or 0, listing.first_reported_at)


class Report(SQLModel, table=True):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("listing_id", "reporter_id"),
        Index("ix_reports_reporter_created", "reporter_id", "created_at"),
        Index("ix_reports_created_at", "created_at"),  # programme figures by period
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listings.id", index=True, ondelete="CASCADE")
    # NULL once the volunteer has deleted their account: the report stays, anonymous.
    reporter_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    original_url: str = Field(sa_column=Column(Text, nullable=False))
    species_id: str | None = Field(default=None, max_length=120)
    species_guess: str | None = Field(default=None, max_length=200)
    confidence: str = Field(default=Confidence.medium, max_length=8)
    live_animal: bool | None = None
    price: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
    currency: str | None = Field(default=None, max_length=3)
    country: str | None = Field(default=None, max_length=2)
    seller_handle: str | None = Field(default=None, max_length=200, index=True)
    listing_title: str | None = Field(default=None, max_length=500)
    listing_text: str | None = Field(default=None, sa_column=Column(Text))
    notes: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = created_at_field()


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="reports.id", index=True, ondelete="CASCADE")
    sha256: str = Field(max_length=64, index=True)
    content_type: str = Field(max_length=32)
    width: int
    height: int
    size_bytes: int
    storage_key: str = Field(max_length=200)  # path under DATA_DIR/evidence
    created_at: datetime = created_at_field()
    deleted_at: datetime | None = optional_time_field()


class ReviewQuestion(SQLModel, table=True):
    """An expert's "needs info" question, shown to the listing's reporters."""

    __tablename__ = "review_questions"

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listings.id", index=True, ondelete="CASCADE")
    asked_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    text: str = Field(sa_column=Column(Text, nullable=False))
    asked_at: datetime = created_at_field()


class ReviewAnswer(SQLModel, table=True):
    __tablename__ = "review_answers"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="review_questions.id", index=True, ondelete="CASCADE")
    report_id: int = Field(foreign_key="reports.id", index=True, ondelete="CASCADE")
    text: str = Field(sa_column=Column(Text, nullable=False))
    answered_at: datetime = created_at_field()


class CodeWordProposal(SQLModel, table=True):
    """A term an expert found in listings; once an admin approves it, listings containing it are flagged."""

    __tablename__ = "code_word_proposals"

    id: int | None = Field(default=None, primary_key=True)
    term: str = Field(max_length=120)
    language: str = Field(max_length=16)
    meaning: str = Field(max_length=300)
    species_group: str | None = Field(default=None, max_length=64)
    status: str = Field(default="pending", max_length=16, index=True)  # pending, approved, rejected
    proposed_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    reviewed_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
    reviewed_at: datetime | None = optional_time_field()
