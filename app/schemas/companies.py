"""Companies, their endpoint and the webhook delivery log, as the admin API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.models import DeliveryAttempt, OutboxMessage
from app.services.companies import CompanySummary
from app.services.deliveries import Delivery
from app.services.endpoints import PingResult


class CompanyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, examples=["eBay"])
    domains: list[str] = Field(default=[], max_length=200, examples=[["ebay.ie"]],
                               description="Registrable domains beyond those of its platforms.")
    platforms: list[str] = Field(default=[], max_length=100, examples=[["ebay"]],
                                 description="Platform ids of platforms.yaml the company answers for.")
    webhook_url: str | None = Field(default=None, max_length=2048, examples=["https://hooks.example.com/cyberspotter"])
    contact_email: str | None = Field(default=None, max_length=320, examples=["takedowns@example.com"])
    active: bool = True


class CompanyUpdate(BaseModel):
    """Only the fields sent change; lists replace the company's lists."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    domains: list[str] | None = Field(default=None, max_length=200)
    platforms: list[str] | None = Field(default=None, max_length=100)
    webhook_url: str | None = Field(default=None, max_length=2048)
    contact_email: str | None = Field(default=None, max_length=320)
    active: bool | None = None


class CompanyPublic(BaseModel):
    id: int
    name: str
    platforms: list[str]
    domains: list[str]
    contact_email: str | None
    webhook_url: str | None
    active: bool
    api_key_prefix: str
    created_at: datetime
    endpoint_state: str = Field(description="inactive, not_configured, disabled, failing, ok or untested")
    endpoint_disabled_at: datetime | None
    endpoint_disabled_reason: str | None
    last_success_at: datetime | None
    failing_since: datetime | None
    unanswered_referrals: int
    waiting_messages: int
    failed_messages: int

    @classmethod
    def of(cls, summary: CompanySummary) -> CompanyPublic:
        c = summary.company
        return cls(
            id=c.id,  # type: ignore[arg-type]
            name=c.name,
            platforms=summary.platforms,
            domains=summary.domains,
            contact_email=c.contact_email,
            webhook_url=c.webhook_url,
            active=c.active,
            api_key_prefix=c.api_key_prefix,
            created_at=c.created_at,
            endpoint_state=summary.endpoint_state,
            endpoint_disabled_at=c.endpoint_disabled_at,
            endpoint_disabled_reason=c.endpoint_disabled_reason,
            last_success_at=c.last_success_at,
            failing_since=c.failing_since,
            unanswered_referrals=summary.unanswered,
            waiting_messages=summary.waiting,
            failed_messages=summary.failed,
        )


class CompanyCreated(CompanyPublic):
    webhook_secret: str = Field(description="Shown this once: the receiver verifies signatures with it.")
    api_key: str = Field(description="Shown this once: the company reports outcomes with it (Bearer).")
    routed_referrals: int = Field(description="Referrals that were waiting for a recipient and are now queued.")


class SecretRotated(BaseModel):
    webhook_secret: str = Field(description="The new secret, shown this once; it signs from now on.")
    previous_secret_signs_until: datetime


class ApiKeyRotated(BaseModel):
    api_key: str = Field(description="The new key, shown this once; the old one no longer works.")
    api_key_prefix: str


class PingPublic(BaseModel):
    message_id: str
    url: str
    ok: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None = Field(description="The start of the answer (at most 16 KiB).")
    truncated: bool
    attempted_at: datetime

    @classmethod
    def of(cls, result: PingResult) -> PingPublic:
        return cls(**result.__dict__)


class RecoverCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: datetime = Field(description="Failed messages created at or after this time are sent again.")


class RecoverPublic(BaseModel):
    requeued: int


class DeliveryAttemptPublic(BaseModel):
    id: int
    attempt_number: int
    attempted_at: datetime
    url: str
    status_code: int | None
    latency_ms: int | None
    success: bool
    error: str | None
    response_body: str | None

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> DeliveryAttemptPublic:
        return cls.model_validate(attempt, from_attributes=True)


class DeliveryPublic(BaseModel):
    id: str = Field(description="The message id: the webhook-id header the receiver saw.")
    company_id: int
    referral_id: int | None
    event_type: str
    status: str = Field(description="pending, delivering, delivered, failed or cancelled")
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    attempts: list[DeliveryAttemptPublic]

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryPublic:
        m: OutboxMessage = delivery.message
        return cls(
            id=m.id, company_id=m.company_id, referral_id=m.referral_id, event_type=m.event_type, status=m.status,
            attempt_count=m.attempt_count, next_attempt_at=m.next_attempt_at, created_at=m.created_at,
            delivered_at=m.delivered_at, last_error=m.last_error,
            attempts=[DeliveryAttemptPublic.of(a) for a in delivery.attempts],
        )
