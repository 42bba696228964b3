"""The webhook delivery log for admins: messages, their attempts, retrying and recovering.

A "delivery" is one outbox message (its id is the `webhook-id` the receiver sees) with
every attempt made to send it. Retrying puts a message back at the start of the
schedule; its evidence links are renewed, since the old ones may have expired.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.config import Settings
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.models import Company, DeliveryAttempt, OutboxMessage, Referral, User, utcnow
from app.services import audit
from app.webhooks import payloads
from app.webhooks.delivery import MessageStatus

MESSAGE_STATUSES = (
    MessageStatus.pending,
    MessageStatus.delivering,
    MessageStatus.delivered,
    MessageStatus.failed,
    MessageStatus.cancelled,
)


# --- Cursors -------------------------------------------------------------------------------


def encode_cursor(value: str | int) -> str:
    """An opaque `?cursor=`: the last key of the page, wrapped so nobody builds one by hand."""
    return base64.urlsafe_b64encode(json.dumps([value]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: type) -> Any:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        (value,) = json.loads(raw)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError
        return value
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid(
            _("This cursor is not valid. Start again without it (use next_cursor from the last page)."),
            field="cursor",
        ) from None


# --- Reading ---------------------------------------------------------------------------------


@dataclass
class Delivery:
    message: OutboxMessage
    attempts: list[DeliveryAttempt] = field(default_factory=list)


def attempts_by_message(session: Session, message_ids: list[str]) -> dict[str, list[DeliveryAttempt]]:
    found: dict[str, list[DeliveryAttempt]] = {message_id: [] for message_id in message_ids}
    if message_ids:
        for attempt in session.execute(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.message_id.in_(message_ids))
            .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
        ).scalars():
            found[attempt.message_id].append(attempt)
    return found


def check_status(status: str | None) -> str | None:
    if status and status not in MESSAGE_STATUSES:
        raise Invalid(
            _("Unknown delivery status %(status)s (use one of: %(statuses)s).",
              status=status[:40], statuses=", ".join(MESSAGE_STATUSES)),
            field="status",
        )
    return status or None


def list_deliveries(
    session: Session,
    *,
    company_id: int | None = None,
    status: str | None = None,
    referral_id: int | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Delivery], str | None]:
    """Messages newest first (their ULID ids sort by time), each with its attempts."""
    status = check_status(status)
    query = select(OutboxMessage)
    if company_id is not None:
        query = query.where(OutboxMessage.company_id == company_id)
    if status:
        query = query.where(OutboxMessage.status == status)
    if referral_id is not None:
        query = query.where(OutboxMessage.referral_id == referral_id)
    after = decode_cursor(cursor, str)
    if after is not None:
        query = query.where(OutboxMessage.id < after)
    messages = list(session.execute(query.order_by(OutboxMessage.id.desc()).limit(limit + 1)).scalars())
    next_cursor = encode_cursor(messages[limit - 1].id) if len(messages) > limit else None
    messages = messages[:limit]
    attempts = attempts_by_message(session, [m.id for m in messages])
    return [Delivery(message=m, attempts=attempts[m.id]) for m in messages], next_cursor


def list_attempts(
    session: Session,
    *,
    company_id: int,
    success: bool | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[tuple[DeliveryAttempt, OutboxMessage]], str | None]:
    """A company's attempts, newest first, with their messages (the per-company log)."""
    query = (
        select(DeliveryAttempt, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == DeliveryAttempt.message_id)
        .where(DeliveryAttempt.company_id == company_id)
    )
    if success is not None:
        query = query.where(DeliveryAttempt.success.is_(success))
    after = decode_cursor(cursor, int)
    if after is not None:
        query = query.where(DeliveryAttempt.id < after)
    rows = list(session.execute(query.order_by(DeliveryAttempt.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1][0].id) if len(rows) > limit else None  # type: ignore[arg-type]
    return rows[:limit], next_cursor


def get_delivery(session: Session, message_id: str) -> Delivery:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(_("No such webhook message."))
    return Delivery(message=message, attempts=attempts_by_message(session, [message.id])[message.id])


# --- Retrying ----------------------------------------------------------------------------------


def _renew_evidence_links(message: OutboxMessage, settings: Settings, now: datetime) -> None:
    """Give a referral message fresh evidence links (the old ones may have expired)."""
    if message.event_type != payloads.REFERRAL_CREATED or message.referral_id is None:
        return
    payload = json.loads(json.dumps(message.payload))  # a new object, so the JSON column sees the change
    for item in payload.get("data", {}).get("evidence", []):
        evidence_id = payloads.evidence_id_from_link(item.get("url", ""))
        if evidence_id is not None:
            item["url"] = payloads.evidence_link(
                settings, evidence_id=evidence_id, referral_id=message.referral_id, now=now
            )
    message.payload = payload


def _requeue(session: Session, message: OutboxMessage, *, settings: Settings, now: datetime) -> None:
    message.status = MessageStatus.pending
    message.next_attempt_at = now
    message.attempt_count = 0
    message.lease_owner = None
    message.lease_expires_at = None
    _renew_evidence_links(message, settings, now)
    session.add(message)
    if message.referral_id is not None:
        referral = session.get(Referral, message.referral_id)
        if referral is not None and referral.status == "failed":
            referral.status = "pending"
            session.add(referral)


def retry_message(session: Session, *, message_id: str, actor: User | None, settings: Settings) -> OutboxMessage:
    """Send a failed (or waiting) message again now, from the start of the schedule."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(_("No such webhook message."))
    if message.status == MessageStatus.delivered:
        raise Conflict(_("This message was already delivered; there is nothing to retry."))
    if message.status == MessageStatus.delivering:
        raise Conflict(_("This message is being sent right now. Look again in a minute."))
    before = {"status": message.status, "attempt_count": message.attempt_count}
    _requeue(session, message, settings=settings, now=utcnow())
    audit.record(session, action="delivery.retried", entity_type="outbox_message", entity_id=message.id,
                 actor=actor, before=before, after={"status": message.status})
    return message


def recover_failed(
    session: Session, *, company: Company, since: datetime, actor: User | None, settings: Settings
) -> int:
    """Queue again every failed message of the company created since `since`; the count."""
    if since.tzinfo is None:
        raise Invalid(_("The date needs a time zone (for example 2026-11-24T00:00:00Z)."), field="since")
    now = utcnow()
    messages = list(
        session.execute(
            select(OutboxMessage).where(
                OutboxMessage.company_id == company.id,
                OutboxMessage.status == MessageStatus.failed,
                OutboxMessage.created_at >= since,
            )
        ).scalars()
    )
    for message in messages:
        _requeue(session, message, settings=settings, now=now)
    if messages:
        audit.record(session, action="delivery.recovered", entity_type="company", entity_id=company.id,  # type: ignore[arg-type]
                     actor=actor, after={"since": since, "messages": len(messages)})
    return len(messages)

