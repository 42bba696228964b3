"""The expert review queue, decisions, the audit log and code-word proposals, as the JSON API sends and takes them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.models import AuditEntry, CodeWordProposal, ReviewQuestion
from app.schemas.reports import EvidencePublic
from app.services.review import ListingView, ReportView
from app.services.review_history import HistoryEntry

DecisionKind = Literal["confirm", "reject", "needs_info"]


class ClaimPublic(BaseModel):
    user_id: int
    display_name: str
    expires_at: datetime


class ReviewAnswerPublic(BaseModel):
    id: int
    question_id: int
    text: str
    answered_at: datetime


class ReviewReportPublic(BaseModel):
    """One volunteer's report of the listing, as experts see it."""

    id: int
    reporter_id: int | None = Field(description="null once the volunteer deleted their account.")
    reporter_name: str | None
    reporter_decided: int | None = Field(default=None, description="The reporter's reports on decided listings.")
    reporter_confirmed: int | None = Field(default=None, description="How many of those were confirmed.")
    created_at: datetime
    original_url: str
    species_id: str | None
    species_name: str | None
    species_guess: str | None
    confidence: str
    live_animal: bool | None
    price: Decimal | None
    currency: str | None
    country: str | None
    seller_handle: str | None
    listing_title: str | None
    listing_text: str | None
    notes: str | None
    evidence: list[EvidencePublic]
    answers: list[ReviewAnswerPublic] = []

    @classmethod
    def of(cls, view: ReportView) -> ReviewReportPublic:
        report = view.report
        return cls(
            id=report.id,  # type: ignore[arg-type]
            reporter_id=report.reporter_id,
            reporter_name=view.reporter.display_name if view.reporter else None,
            reporter_decided=view.track_record.decided if view.track_record else None,
            reporter_confirmed=view.track_record.confirmed if view.track_record else None,
            created_at=report.created_at,
            original_url=report.original_url,
            species_id=report.species_id,
            species_name=view.species_label if report.species_id else None,
            species_guess=report.species_guess,
            confidence=report.confidence,
            live_animal=report.live_animal,
            price=report.price,
            currency=report.currency,
            country=report.country,
            seller_handle=report.seller_handle,
            listing_title=report.listing_title,
            listing_text=report.listing_text,
            notes=report.notes,
            evidence=[
                EvidencePublic.of(item)
                for item in view.evidence
            ],
            answers=[
                ReviewAnswerPublic(id=a.id, question_id=a.question_id, text=a.text, answered_at=a.answered_at)  # type: ignore[arg-type]
                for a in view.answers
            ],
        )


class SpeciesGuessPublic(BaseModel):
    species_id: str | None
    label: str
    count: int


class ReviewQuestionPublic(BaseModel):
    id: int
    text: str
    asked_at: datetime
    asked_by_id: int | None

    @classmethod
    def of(cls, question: ReviewQuestion) -> ReviewQuestionPublic:
        return cls(id=question.id, text=question.text, asked_at=question.asked_at, asked_by_id=question.asked_by_id)  # type: ignore[arg-type]


class ReviewListingPublic(BaseModel):
    """A listing in the review queue: what reporters said, how urgent it is, who holds it."""

    id: int
    status: str = Field(description="pending, in_review, needs_info, confirmed, rejected or removed.")
    version: int = Field(description="Changes whenever the listing does; send it with a decision to be told "
                                     "(409) when someone changed the listing since you looked.")
    canonical_url: str
    host: str
    platform: str | None = Field(description="Platform id from the catalogue, or null when unknown.")
    platform_name: str
    species_id: str | None = Field(description="The reporters' leading guess; the expert's choice once confirmed.")
    species_name: str | None
    species_group: str | None
    appendix: int | None = Field(description="Strictest CITES appendix of the species: 1, 2, 3, or null.")
    live_animal: bool
    country: str | None
    report_count: int
    code_word_hit: bool = Field(description="A known trader's code word appears in the reports' texts.")
    priority: int = Field(description="Higher first; includes one point per day of waiting.")
    priority_reasons: list[str]
    species_guesses: list[SpeciesGuessPublic]
    agreement: Literal["agree", "disagree"] | None = Field(
        description="Whether the reporters who named a species named the same one (null below two).")
    first_reported_at: datetime
    last_reported_at: datetime
    age_seconds: int
    claim: ClaimPublic | None = Field(description="Who holds the listing now; null when nobody does.")
    decided_at: datetime | None
    decided_by_id: int | None
    finding: str | None = Field(description="The substantiated explanation sent to the company (confirmed).")
    reject_reason: str | None
    decision_note: str | None = Field(description="The expert's note for the reporters (rejected).")
    reports: list[ReviewReportPublic]
    questions: list[ReviewQuestionPublic] = []

    @classmethod
    def of(cls, view: ListingView, *, questions: list[ReviewQuestion] | None = None) -> ReviewListingPublic:
        listing = view.listing
        claim = None
        if view.holder is not None and listing.claim_expires_at is not None:
            claim = ClaimPublic(user_id=view.holder.id, display_name=view.holder.display_name,  # type: ignore[arg-type]
                                expires_at=listing.claim_expires_at)
        return cls(
            id=listing.id,  # type: ignore[arg-type]
            status=listing.status,
            version=listing.version,
            canonical_url=listing.canonical_url,
            host=listing.host,
            platform=listing.platform_id,
            platform_name=view.platform_name,
            species_id=listing.species_id,
            species_name=view.species_label,
            species_group=listing.species_group,
            appendix=listing.appendix_rank,
            live_animal=listing.live_animal,
            country=listing.country,
            report_count=listing.report_count,
            code_word_hit=listing.code_word_hit,
            priority=view.priority,
            priority_reasons=view.reasons,
            species_guesses=[SpeciesGuessPublic(species_id=g.species_id, label=g.label, count=g.count)
                             for g in view.guesses],
            agreement=view.agreement,  # type: ignore[arg-type]
            first_reported_at=listing.first_reported_at,
            last_reported_at=listing.last_reported_at,
            age_seconds=view.age_seconds,
            claim=claim,
            decided_at=listing.decided_at,
            decided_by_id=listing.decided_by_id,
            finding=listing.finding,
            reject_reason=listing.reject_reason,
            decision_note=listing.decision_note,
            reports=[ReviewReportPublic.of(report) for report in view.reports],
            questions=[ReviewQuestionPublic.of(q) for q in questions or []],
        )


class ReviewDecisionCreate(BaseModel):
    """An expert's decision. confirm: `species_id` (from the catalogue) and `finding_template` (see
    `GET /api/v1/review/choices`), `note` adds to the finding. reject: `reason`, with a `note` for the
    reporters (required for "other"). needs_info: the `question` for the reporters."""

    model_config = ConfigDict(extra="forbid")

    decision: DecisionKind
    species_id: str | None = Field(default=None, max_length=120)
    finding_template: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=4000)
    reason: str | None = Field(default=None, max_length=40)
    question: str | None = Field(default=None, max_length=2000)
    version: int | None = Field(default=None, description="The listing's version you saw (optional).")


class BulkRejectCreate(BaseModel):
    """Reject several listings with one reason; those that cannot be rejected are skipped."""

    model_config = ConfigDict(extra="forbid")

    listing_ids: list[int] = Field(min_length=1, max_length=200)
    reason: str = Field(max_length=40)
    note: str | None = Field(default=None, max_length=4000)


class BulkSkipPublic(BaseModel):
    listing_id: int
    detail: str


class BulkRejectPublic(BaseModel):
    rejected: list[int]
    skipped: list[BulkSkipPublic]


class ReopenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="Why; it stays in the listing's history.")


class BreakClaimCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class ChoicePublic(BaseModel):
    value: str
    label: str


class ReviewChoicesPublic(BaseModel):
    """The lists a decision picks from, labelled in the caller's language."""

    finding_templates: list[ChoicePublic]
    reject_reasons: list[ChoicePublic]


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str = Field(description="The person's display name, a company, or 'system'.")
    actor_company_id: int | None
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None

    @classmethod
    def of(cls, item: HistoryEntry) -> AuditEntryPublic:
        entry: AuditEntry = item.entry
        return cls(
            id=entry.id, at=entry.at, actor_id=entry.actor_id, actor_name=item.actor_name,  # type: ignore[arg-type]
            actor_company_id=entry.actor_company_id, action=entry.action, entity_type=entry.entity_type,
            entity_id=entry.entity_id, before=entry.before, after=entry.after, reason=entry.reason,
        )


class CodeWordProposalCreate(BaseModel):
    """A term found in listings, with what it stands for; an admin approves it before it flags listings."""

    model_config = ConfigDict(extra="forbid")

    term: str = Field(max_length=120)
    language: str = Field(max_length=3, description="Two- or three-letter language code, e.g. en, zh.")
    meaning: str = Field(max_length=300)
    species_group: str | None = Field(default=None, max_length=64)


class CodeWordReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class CodeWordProposalPublic(BaseModel):
    id: int
    term: str
    language: str
    meaning: str
    species_group: str | None
    status: Literal["pending", "approved", "rejected"]
    proposed_by_id: int | None
    reviewed_by_id: int | None
    created_at: datetime
    reviewed_at: datetime | None
    flagged_listings: int | None = Field(default=None, description="On approval: waiting listings newly flagged.")

    @classmethod
    def of(cls, proposal: CodeWordProposal, *, flagged: int | None = None) -> CodeWordProposalPublic:
        return cls(
            id=proposal.id, term=proposal.term, language=proposal.language, meaning=proposal.meaning,  # type: ignore[arg-type]
            species_group=proposal.species_group, status=proposal.status,  # type: ignore[arg-type]
            proposed_by_id=proposal.proposed_by_id, reviewed_by_id=proposal.reviewed_by_id,
            created_at=proposal.created_at, reviewed_at=proposal.reviewed_at, flagged_listings=flagged,
        )
