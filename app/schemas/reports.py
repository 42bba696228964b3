"""Reports, their evidence, questions and platforms as the JSON API sends and takes them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.models import Evidence

# Field lengths, shared by the API schema and the service (which also checks the web form).
MAX_LENGTHS = {
    "listing_url": 2048,
    "species_id": 120,
    "species_guess": 200,
    "seller_handle": 200,
    "listing_title": 500,
    "listing_text": 20_000,
    "notes": 5_000,
}
MAX_ANSWER_LENGTH = 5_000
ConfidenceLevel = Literal["low", "medium", "high"]


class ReportCreate(BaseModel):
    """A volunteer's report of one listing. Give `species_id` from `GET /api/v1/species`, or
    leave it out and describe the animal or product in `species_guess`."""

    model_config = ConfigDict(extra="forbid")

    # The URL's own rules (http/https, a host, no credentials) are checked by the service,
    # with a message that says which one failed; this cap only keeps absurd input out.
    listing_url: str = Field(max_length=8192, description="The listing's address, at most 2048 characters.")
    species_id: str | None = Field(default=None, max_length=MAX_LENGTHS["species_id"])
    species_guess: str | None = Field(default=None, max_length=MAX_LENGTHS["species_guess"],
                                      description="Free text when the species is not known.")
    confidence: ConfidenceLevel = "medium"
    live_animal: bool | None = Field(default=None, description="true: a live animal; false: a product.")
    price: Decimal | None = Field(default=None, allow_inf_nan=False, description="At least 0, at most 2 decimals.")
    currency: str | None = Field(default=None, max_length=3, description="ISO 4217 code, e.g. EUR.")
    country: str | None = Field(default=None, max_length=2, description="ISO 3166-1 alpha-2 code, e.g. GB.")
    seller_handle: str | None = Field(default=None, max_length=MAX_LENGTHS["seller_handle"])
    listing_title: str | None = Field(default=None, max_length=MAX_LENGTHS["listing_title"])
    listing_text: str | None = Field(default=None, max_length=MAX_LENGTHS["listing_text"])
    notes: str | None = Field(default=None, max_length=MAX_LENGTHS["notes"])


class AnswerCreate(BaseModel):
    """The reporter's answer to an expert's question about the listing."""

    model_config = ConfigDict(extra="forbid")

    question_id: int
    text: str = Field(min_length=1, max_length=MAX_ANSWER_LENGTH)


class EvidencePublic(BaseModel):
    id: int
    sha256: str
    content_type: str
    width: int
    height: int
    size_bytes: int
    created_at: datetime
    url: str = Field(description="The stored picture (metadata stripped).")
    thumbnail_url: str = Field(description="The same picture, at most 320 pixels on its longer side.")

    @classmethod
    def of(cls, row: Evidence) -> EvidencePublic:
        url = f"/api/v1/evidence/{row.id}"
        return cls(
            id=row.id,  # type: ignore[arg-type]
            sha256=row.sha256,
            content_type=row.content_type,
            width=row.width,
            height=row.height,
            size_bytes=row.size_bytes,
            created_at=row.created_at,
            url=url,
            thumbnail_url=f"{url}?size=thumb",
        )


class ReportPublic(BaseModel):
    """A report, with the status of its listing (a report shows the status of its listing)."""

    id: int
    status: str = Field(description="pending, in_review, needs_info, confirmed, rejected or removed.")
    listing_id: int
    canonical_url: str
    original_url: str
    platform: str | None = Field(description="Platform id from the catalogue, or null when unknown.")
    platform_name: str | None
    duplicate: bool = Field(description="true when someone else had reported the listing before.")
    created_at: datetime
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
    evidence_count: int
    page_url: str = Field(description="The report's page on the website.")


class AnswerPublic(BaseModel):
    id: int
    text: str
    answered_at: datetime


class QuestionPublic(BaseModel):
    """An expert's question about the listing, with this reporter's answers only."""

    id: int
    text: str
    asked_at: datetime
    answers: list[AnswerPublic]


class OutcomePublic(BaseModel):
    """What became of a confirmed listing: sent to the company, and what the company did."""

    sent_at: datetime | None
    delivered_at: datetime | None
    outcome: str | None = Field(description="removed, not_removed, not_found, or null while waiting.")
    acted_at: datetime | None


class HistoryEventPublic(BaseModel):
    event: str = Field(description="submitted, pending, in_review, needs_info, confirmed, rejected, removed, "
                                   "reopened, sent, delivered, or outcome:<outcome>.")
    at: datetime
    label: str


class ReportDetailPublic(ReportPublic):
    evidence: list[EvidencePublic]
    questions: list[QuestionPublic]
    outcome: OutcomePublic | None
    reject_reason: str | None = Field(description="Why an expert did not confirm the listing (a code).")
    message: str | None = Field(description="What the experts say to reporters about their decision.")
    history: list[HistoryEventPublic]


class PlatformRecognised(BaseModel):
    """What a listing URL becomes: its canonical form and platform (null when unknown)."""

    canonical_url: str
    host: str
    registrable_domain: str
    platform: str | None
    platform_name: str | None
    listing_id: str | None
