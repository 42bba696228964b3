"""Companies, referrals of confirmed listings to them, and the webhook outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, optional_time_field


class Company(SQLModel, table=True):
    __tablename__ = "companies"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    contact_email: str | None = Field(default=None, max_length=320)
    webhook_url: str | None = Field(default=None, max_length=2048)
    active: bool = Field(default=True)
    # The outcome API key is shown once; only its SHA-256 is kept (it is long and random).
    api_key_hash: str = Field(max_length=64, unique=True)
    api_key_prefix: str = Field(max_length=16)
    created_at: datetime = created_at_field()
    endpoint_disabled_at: datetime | None = optional_time_field()
    endpoint_disabled_reason: str | None = Field(default=None, max_length=300)
    last_success_at: datetime | None = optional_time_field()
    failing_since: datetime | None = optional_time_field()


class CompanyPlatform(SQLModel, table=True):
    """A platform of platforms.yaml (e.g. "ebay") that a company answers for."""

    __tablename__ = "company_platforms"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="companies.id", index=True, ondelete="CASCADE")
    platform_id: str = Field(max_length=64, unique=True)


class CompanyDomain(SQLModel, table=True):
    """A registrable domain a company answers for, beyond its platforms' known domains."""

    __tablename__ = "company_domains"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="companies.id", index=True, ondelete="CASCADE")
    domain: str = Field(max_length=253, unique=True)


class WebhookSecret(SQLModel, table=True):
    """Signing secrets; during a rotation the old one keeps signing until `expires_at`."""

    __tablename__ = "webhook_secrets"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="companies.id", index=True, ondelete="CASCADE")
    secret: str = Field(max_length=100)
    created_at: datetime = created_at_field()
    expires_at: datetime | None = optional_time_field()


class Referral(SQLModel, table=True):
    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_company_status", "company_id", "status"),
        Index("ix_referrals_created_at", "created_at"),  # programme figures and the yearly report by period
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listings.id", unique=True, ondelete="CASCADE")
    company_id: int | None = Field(default=None, foreign_key="companies.id", ondelete="SET NULL")
    # no_recipient, pending (in the outbox), delivered, failed, answered
    status: str = Field(default="pending", max_length=16)
    created_at: datetime = created_at_field()
    sent_at: datetime | None = optional_time_field()
    delivered_at: datetime | None = optional_time_field()
    outcome: str | None = Field(default=None, max_length=16)  # removed, not_removed, not_found
    outcome_note: str | None = Field(default=None, sa_column=Column(Text))
    acted_at: datetime | None = optional_time_field()
    outcome_received_at: datetime | None = optional_time_field()


LEASED_SQL = "status = 'delivering'"


class OutboxMessage(SQLModel, table=True):
    """A webhook message, written in the same transaction as the change it announces."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at", "id"),  # claim order
        # Each company's messages by status, the due ones in claim order (a claim on PostgreSQL
        # reads each endpoint's first due messages through it).
        Index("ix_outbox_messages_company_due", "company_id", "status", "next_attempt_at", "id"),
        # Leases that ran out (their worker died): the few messages in flight, by lease end.
        Index("ix_outbox_messages_leases", "lease_expires_at",
              sqlite_where=text(LEASED_SQL), postgresql_where=text(LEASED_SQL)),
    )

    id: str = Field(primary_key=True, max_length=40)  # msg_<ulid>: the webhook-id, stable across retries
    company_id: int = Field(foreign_key="companies.id", ondelete="CASCADE")
    referral_id: int | None = Field(default=None, foreign_key="referrals.id", index=True, ondelete="CASCADE")
    event_type: str = Field(max_length=40)
    payload: dict[str, Any] = Field(sa_type=JSON)
    # pending, delivering, delivered, failed, cancelled
    status: str = Field(default="pending", max_length=16)
    attempt_count: int = Field(default=0)
    next_attempt_at: datetime | None = optional_time_field()
    lease_owner: str | None = Field(default=None, max_length=80)
    lease_expires_at: datetime | None = optional_time_field()
    created_at: datetime = created_at_field()
    delivered_at: datetime | None = optional_time_field()
    last_error: str | None = Field(default=None, max_length=500)


class DeliveryAttempt(SQLModel, table=True):
    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_company_at", "company_id", "attempted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(foreign_key="outbox_messages.id", index=True, ondelete="CASCADE")
    company_id: int = Field(foreign_key="companies.id", ondelete="CASCADE")
    attempt_number: int
    attempted_at: datetime = created_at_field()
    url: str = Field(max_length=2048)
    status_code: int | None = None
    latency_ms: int | None = None
    success: bool = Field(default=False)
    error: str | None = Field(default=None, max_length=500)
    response_body: str | None = Field(default=None, sa_column=Column(Text))
