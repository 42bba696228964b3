"""Referrals as admins and companies see them, and the outcome a company reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.models import Company, Listing, Referral
from app.services.outcomes import CompanyReferral


class OutcomeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["removed", "not_removed", "not_found"] = Field(
        description="removed: taken down; not_removed: you decided to keep it; not_found: already gone."
    )
    note: str | None = Field(default=None, max_length=2000, description="Optional, for the experts.")
    acted_at: datetime | None = Field(default=None, description="When you acted (ISO 8601 with time zone); default now.")


class OutcomePublic(BaseModel):
    referral_id: int
    outcome: str
    note: str | None
    acted_at: datetime
    received_at: datetime
    changed: bool = Field(description="False when this outcome had already been recorded (nothing changed).")


class SpeciesPublic(BaseModel):
    scientific_name: str
    common_name: str | None
    cites_appendix: str | None


class EvidenceLinkPublic(BaseModel):
    sha256: str
    content_type: str
    url: str = Field(description="A signed link, valid for 7 days from this answer.")


class CompanyReferralPublic(BaseModel):
    """A referral as its company sees it: the webhook's data, plus what it answered."""

    id: int
    referral_id: str
    status: str
    created_at: datetime
    listing_url: str
    platform: str | None
    species: SpeciesPublic | None
    finding: str | None
    confirmed_at: str | None
    report_count: int
    evidence: list[EvidenceLinkPublic]
    outcome_url: str
    outcome: str | None
    outcome_note: str | None
    acted_at: datetime | None
    outcome_received_at: datetime | None

    @classmethod
    def of(cls, item: CompanyReferral) -> CompanyReferralPublic:
        r = item.referral
        data: dict[str, Any] = item.data
        return cls(
            id=r.id,  # type: ignore[arg-type]
            status=r.status,
            created_at=r.created_at,
            outcome=r.outcome,
            outcome_note=r.outcome_note,
            acted_at=r.acted_at,
            outcome_received_at=r.outcome_received_at,
            **data,
        )


class ReferralPublic(BaseModel):
    """A referral as admins see it."""

    id: int
    listing_id: int
    listing_url: str
    platform: str | None
    listing_status: str
    company_id: int | None
    company_name: str | None
    status: str = Field(description="no_recipient, pending, delivered, failed, answered or withdrawn")
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    outcome: str | None
    outcome_note: str | None
    acted_at: datetime | None
    outcome_received_at: datetime | None

    @classmethod
    def of(cls, referral: Referral, listing: Listing, company: Company | None) -> ReferralPublic:
        return cls(
            id=referral.id,  # type: ignore[arg-type]
            listing_id=listing.id,  # type: ignore[arg-type]
            listing_url=listing.canonical_url,
            platform=listing.platform_id,
            listing_status=listing.status,
            company_id=company.id if company else None,
            company_name=company.name if company else None,
            status=referral.status,
            created_at=referral.created_at,
            sent_at=referral.sent_at,
            delivered_at=referral.delivered_at,
            outcome=referral.outcome,
            outcome_note=referral.outcome_note,
            acted_at=referral.acted_at,
            outcome_received_at=referral.outcome_received_at,
        )
