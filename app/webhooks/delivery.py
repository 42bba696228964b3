"""One delivery attempt, as both the dispatcher and the admin's test event make it:
the exact body, the signed headers, and what the answer does to the message, its
referral and the company's endpoint (webhooks.md: 2xx delivered, 410 disables the
endpoint, Retry-After honoured, the rest retried on schedule until the last attempt,
an endpoint without a success for days disabled).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select
from sqlmodel import Session

from app import __version__
from app.config import Settings
from app.db_lists import PerDialect, in_list
from app.models import Company, DeliveryAttempt, OutboxMessage, Referral, WebhookSecret
from app.services import audit
from app.webhooks import schedule
from app.webhooks.net import SendResult
from app.webhooks.signing import build_headers

log = logging.getLogger("cyberspotter.webhooks")

USER_AGENT = f"CyberSpotter/{__version__}"
MAX_ERROR_LENGTH = 500
LOOK_UP = object()  # record_attempt(referral=...) not given: read it by the message's referral_id


class MessageStatus:
    pending = "pending"
    delivering = "delivering"
    delivered = "delivered"
    failed = "failed"
    cancelled = "cancelled"


def encode_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes we sign and send: compact UTF-8 JSON, the same on every attempt."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode("utf-8")


def active_secrets(session: Session, company_id: int, now: datetime) -> list[str]:
    """The company's signing secrets, newest first: the current one plus any still in its grace period."""
    return active_secrets_of(session, [company_id], now).get(company_id, [])


# The active signing secrets of some companies, newest first. Parameters: company_ids, now.
_ACTIVE_SECRETS = PerDialect(lambda postgres: (
    select(WebhookSecret.company_id, WebhookSecret.secret)
    .where(
        in_list(WebhookSecret.company_id, "company_ids", Company.__table__.c.id.type, postgres=postgres),  # type: ignore[attr-defined]
        or_(WebhookSecret.expires_at.is_(None),  # type: ignore[union-attr]
            WebhookSecret.expires_at > bindparam("now", type_=WebhookSecret.__table__.c.expires_at.type)),  # type: ignore[attr-defined,operator]
    )
    .order_by(WebhookSecret.company_id, WebhookSecret.created_at.desc(), WebhookSecret.id.desc())  # type: ignore[union-attr]
))


def active_secrets_of(db: Session | Connection, company_ids: Iterable[int], now: datetime) -> dict[int, list[str]]:
    """`active_secrets` of several companies in one query (a company without any is left out).
    `db` is a session, or a connection (the dispatcher's claim)."""
    secrets: dict[int, list[str]] = {}
    rows = db.execute(_ACTIVE_SECRETS.of(db), {"company_ids": sorted(set(company_ids)), "now": now})
    for company_id, secret in rows:
        secrets.setdefault(company_id, []).append(secret)
    return secrets


def signed_headers(*, secrets: list[str], msg_id: str, body: bytes, now: datetime) -> dict[str, str]:
    """Headers of one attempt: `webhook-id` is the message's, the timestamp is new each time."""
    return build_headers(
        secrets=secrets, msg_id=msg_id, timestamp=int(now.timestamp()), body=body, user_agent=USER_AGENT
    )


def describe_failure(result: SendResult) -> str | None:
    """A short sentence for the attempt log: what went wrong, or None for a 2xx."""
    if result.ok:
        return result.error  # a 2xx whose body then broke off: delivered, but worth showing
    if result.status_code is None:
        return (result.error or "no answer")[:MAX_ERROR_LENGTH]
    if 300 <= result.status_code < 400:
        location = result.headers.get("location")
        where = f" to {location}" if location else ""
        return f"HTTP {result.status_code}: redirect{where} not followed"[:MAX_ERROR_LENGTH]
    text = f"HTTP {result.status_code}"
    if result.error:
        text += f" ({result.error})"
    return text[:MAX_ERROR_LENGTH]


def response_text(result: SendResult) -> str | None:
    """The (already size-capped) answer as text for the log; binary garbage shows as U+FFFD."""
    if not result.body:
        return None
    # NUL is valid UTF-8 but PostgreSQL text cannot hold it: a binary answer would make the
    # attempt impossible to record (and the message would be sent again and again).
    text = result.body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    return text + "\n[…truncated]" if result.truncated else text


def attempt_values(
    *, message_id: str, company_id: int, number: int, url: str, result: SendResult, attempted_at: datetime
) -> dict[str, Any]:
    """The log line of one attempt, as the admin's delivery log shows it: the columns of a
    DeliveryAttempt but its id (a batch inserts these as they are)."""
    return {
        "message_id": message_id,
        "company_id": company_id,
        "attempt_number": number,
        "attempted_at": attempted_at,
        "url": url[:2048],
        "status_code": result.status_code,
        "latency_ms": result.elapsed_ms,
        "success": result.ok,
        "error": describe_failure(result),
        "response_body": response_text(result),
    }


def new_attempt(
    *, message_id: str, company_id: int, number: int, url: str, result: SendResult, attempted_at: datetime
) -> DeliveryAttempt:
    return DeliveryAttempt(**attempt_values(message_id=message_id, company_id=company_id, number=number, url=url,
                                            result=result, attempted_at=attempted_at))


def record_attempt(
    session: Session,
    *,
    message: OutboxMessage,
    company: Company,
    url: str,
    result: SendResult,
    attempted_at: datetime,
    now: datetime,
    settings: Settings,
    owned: bool,
    rng: random.Random | None = None,
    previous_attempts: int | None = None,
    referral: Referral | None | object = LOOK_UP,
    add_attempt: bool = True,
) -> DeliveryAttempt:
    """Log one attempt and move the message (and its referral and endpoint) on.

    `owned` is False when our lease was lost meanwhile (another worker holds the
    message): a success still counts (the receiver has it), a failure is only logged.
    With `add_attempt=False` the caller writes the returned attempt itself (a batch inserts
    all of its attempts in one statement).
    """
    # The caller may have counted them and loaded the referral already (the dispatcher does,
    # for a batch at once).
    previous = previous_attempts
    if previous is None:
        previous = count_attempts(session, [message.id])[message.id]
    attempt = new_attempt(message_id=message.id, company_id=company.id, number=previous + 1,  # type: ignore[arg-type]
                          url=url, result=result, attempted_at=attempted_at)
    if add_attempt:
        session.add(attempt)
    if referral is LOOK_UP:
        referral = session.get(Referral, message.referral_id) if message.referral_id is not None else None
    assert referral is None or isinstance(referral, Referral)
    if referral is not None and referral.sent_at is None:
        referral.sent_at = attempted_at

    if result.ok:
        if message.status != MessageStatus.delivered:
            message.status = MessageStatus.delivered
            message.delivered_at = now
        _clear_lease(message)
        message.last_error = None
        if _success_worth_writing(company, now):
            company.last_success_at = now
        company.failing_since = None
        if referral is not None:
            referral.delivered_at = referral.delivered_at or now
            if referral.status in ("pending", "failed"):
                referral.status = "delivered"
    else:
        message.last_error = attempt.error
        if company.failing_since is None:
            company.failing_since = attempted_at
        if result.status_code == 410:
            _disable_endpoint(session, company, now, "The endpoint answered 410 Gone.")
            if owned:
                # Not the message's fault: it waits, due, until an admin re-enables the endpoint.
                message.status = MessageStatus.pending
                message.next_attempt_at = now
                _clear_lease(message)
        elif owned:
            retry_at = schedule.next_attempt_at(
                now, attempts_made=message.attempt_count, retry_after=result.retry_after, rng=rng
            )
            _clear_lease(message)
            if retry_at is None:
                message.status = MessageStatus.failed
                message.next_attempt_at = None
                if referral is not None and referral.status == "pending":
                    referral.status = "failed"
            else:
                message.status = MessageStatus.pending
                message.next_attempt_at = retry_at
        _disable_if_failing_too_long(session, company, now, settings)
    session.add_all([message, company, *([referral] if referral is not None else [])])
    return attempt


# `last_success_at` is rewritten at most this often while an endpoint keeps succeeding:
# every write takes the company's row lock (PostgreSQL) for the rest of the transaction.
SUCCESS_GRANULARITY = timedelta(minutes=1)


def _success_worth_writing(company: Company, now: datetime) -> bool:
    """Whether a success changes what `last_success_at` tells: first success, the first
    after failures, or the stored one is a minute old (or from the future: a clock step)."""
    last = company.last_success_at
    if last is None or company.failing_since is not None:
        return True
    if last.tzinfo is None and now.tzinfo is not None:
        last = last.replace(tzinfo=now.tzinfo)
    return not (now - SUCCESS_GRANULARITY < last <= now)


_COUNT_ATTEMPTS = PerDialect(lambda postgres: (
    select(DeliveryAttempt.message_id, func.count())
    .where(in_list(DeliveryAttempt.message_id, "ids", OutboxMessage.__table__.c.id.type, postgres=postgres))  # type: ignore[attr-defined]
    .group_by(DeliveryAttempt.message_id)
))


def count_attempts(db: Session | Connection, message_ids: list[str]) -> dict[str, int]:
    """How many attempts each message has logged (one query for them all)."""
    counts = dict.fromkeys(message_ids, 0)
    if message_ids:
        for message_id, count in db.execute(_COUNT_ATTEMPTS.of(db), {"ids": message_ids}):
            counts[message_id] = count
    return counts


def _clear_lease(message: OutboxMessage) -> None:
    message.lease_owner = None
    message.lease_expires_at = None


def _disable_endpoint(session: Session, company: Company, now: datetime, reason: str) -> None:
    if company.endpoint_disabled_at is None:
        company.endpoint_disabled_at = now
        company.endpoint_disabled_reason = reason[:300]
        audit.record(session, action="company.endpoint_disabled", entity_type="company",
                     entity_id=company.id, actor_label="dispatcher", after={"reason": reason})  # type: ignore[arg-type]
        log.warning("webhook endpoint of company %s disabled: %s", company.id, reason)


def _disable_if_failing_too_long(session: Session, company: Company, now: datetime, settings: Settings) -> None:
    if company.failing_since is None:
        return
    if now - company.failing_since >= timedelta(days=settings.webhook_disable_after_days):
        _disable_endpoint(
            session,
            company,
            now,
            f"No successful delivery for {settings.webhook_disable_after_days} days "
            f"(failing since {company.failing_since:%Y-%m-%d %H:%M} UTC).",
        )
