"""A company's webhook endpoint: checking its URL, its state, signing secrets and their
rotation, and the admin's "Send a test event".

A secret rotation keeps the old secret signing beside the new one for a grace period
(`webhook_secret_grace_hours`), so a receiver can switch without dropping a message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.from_thread
from sqlalchemy import delete, select
from sqlmodel import Session

from app.config import Settings
from app.errors import Invalid
from app.i18n import _
from app.models import Company, DeliveryAttempt, OutboxMessage, User, WebhookSecret, utcnow
from app.services import audit
from app.webhooks import net, payloads
from app.webhooks.delivery import (
    MessageStatus,
    active_secrets,
    describe_failure,
    encode_body,
    response_text,
    signed_headers,
)
from app.webhooks.signing import generate_secret, new_message_id

URL_CHECK_SECONDS = 5.0
T = TypeVar("T")


def run_async(fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Run a coroutine function from sync code: on the request's event loop when we are in
    one of its worker threads (FastAPI's sync routes), else in a loop of our own (CLI)."""
    call = partial(fn, *args, **kwargs)
    try:
        return anyio.from_thread.run(call)
    except RuntimeError:  # not in an AnyIO worker thread
        pass
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return anyio.run(call)
    # Sync code called straight from a running event loop: a loop cannot nest, so use a thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, call).result()


def endpoint_state(company: Company) -> str:
    """inactive, not_configured, disabled, failing, ok or untested."""
    if not company.active:
        return "inactive"
    if not company.webhook_url:
        return "not_configured"
    if company.endpoint_disabled_at is not None:
        return "disabled"
    if company.failing_since is not None:
        return "failing"
    return "ok" if company.last_success_at is not None else "untested"


def check_webhook_url(url: str | None, *, settings: Settings, resolver: net.Resolver | None = None) -> str | None:
    """The URL to store, after the full SSRF check (422 saying why); None when left empty."""
    url = (url or "").strip()
    if not url:
        return None
    try:
        run_async(
            net.validate_target,
            url,
            allow_private=settings.webhook_allow_private_targets,
            allow_http=settings.webhook_allow_http or settings.webhook_allow_private_targets,
            resolver=resolver,
            timeout=URL_CHECK_SECONDS,
        )
    except net.UnsafeTargetError as error:
        raise Invalid(error.message, field="webhook_url", code=f"webhook_url_{error.reason}") from None
    return url


@dataclass
class RotatedSecret:
    secret: str
    previous_signs_until: datetime


def rotate_secret(
    session: Session, *, company: Company, actor: User | None, settings: Settings, now: datetime | None = None
) -> RotatedSecret:
    """A new signing secret, used from now on; the current one keeps signing for the grace period."""
    now = now or utcnow()
    grace_ends = now + timedelta(hours=settings.webhook_secret_grace_hours)
    session.execute(
        delete(WebhookSecret).where(
            WebhookSecret.company_id == company.id,
            WebhookSecret.expires_at.is_not(None),
            WebhookSecret.expires_at <= now,
        )
    )
    for old in session.execute(
        select(WebhookSecret).where(WebhookSecret.company_id == company.id, WebhookSecret.expires_at.is_(None))
    ).scalars():
        old.expires_at = grace_ends
        session.add(old)
    secret = generate_secret()
    session.add(WebhookSecret(company_id=company.id, secret=secret, created_at=now))  # type: ignore[arg-type]
    session.flush()
    audit.record(session, action="company.secret_rotated", entity_type="company", entity_id=company.id,  # type: ignore[arg-type]
                 actor=actor, after={"previous_secret_signs_until": grace_ends})
    return RotatedSecret(secret=secret, previous_signs_until=grace_ends)


def enable_endpoint(session: Session, *, company: Company, actor: User | None) -> Company:
    """Re-enable a disabled endpoint: the messages that waited for it are due at once."""
    if company.endpoint_disabled_at is None and company.failing_since is None:
        return company
    before = {"endpoint_disabled_at": company.endpoint_disabled_at, "reason": company.endpoint_disabled_reason}
    company.endpoint_disabled_at = None
    company.endpoint_disabled_reason = None
    company.failing_since = None
    session.add(company)
    audit.record(session, action="company.endpoint_enabled", entity_type="company", entity_id=company.id,  # type: ignore[arg-type]
                 actor=actor, before=before, after={"endpoint_disabled_at": None})
    return company


# --- Test event ------------------------------------------------------------------------------


@dataclass
class PingResult:
    message_id: str
    url: str
    ok: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None
    truncated: bool
    attempted_at: datetime


@dataclass(frozen=True)
class TestEvent:
    """A `ping` ready to go: everything read from the database before the network call."""

    company_id: int
    url: str
    message_id: str
    payload: dict[str, Any]
    secrets: tuple[str, ...]


def prepare_test_event(session: Session, *, company: Company) -> TestEvent:
    """Read what a test event needs. Callers on SQLite then end their write transaction,
    so that nobody waits for the database while the endpoint takes its time (15 s at most)."""
    if not company.webhook_url:
        raise Invalid(_("This company has no webhook URL yet. Add one first."), field="webhook_url")
    now = utcnow()
    return TestEvent(
        company_id=company.id,  # type: ignore[arg-type]
        url=company.webhook_url,
        message_id=new_message_id(),
        payload=payloads.ping(company_id=company.id, now=now),  # type: ignore[arg-type]
        secrets=tuple(active_secrets(session, company.id, now)),  # type: ignore[arg-type]
    )


def send_test_event(
    session: Session,
    *,
    event: TestEvent,
    actor: User | None,
    settings: Settings,
    transport: net.WebhookTransport | None = None,
    resolver: net.Resolver | None = None,
) -> PingResult:
    """Send the signed `ping` now and say what the endpoint answered.

    The attempt is logged like any other (a delivered or failed `ping` message) but
    changes nothing about the endpoint's state.
    """
    now = utcnow()
    body = encode_body(event.payload)
    headers = signed_headers(secrets=list(event.secrets), msg_id=event.message_id, body=body, now=now)
    result = run_async(
        net.send,
        event.url,
        body=body,
        headers=headers,
        allow_private=settings.webhook_allow_private_targets,
        allow_http=settings.webhook_allow_http or settings.webhook_allow_private_targets,
        resolver=resolver,
        transport=transport,
    )
    error = describe_failure(result)
    session.add(
        OutboxMessage(
            id=event.message_id, company_id=event.company_id, event_type=payloads.PING, payload=event.payload,
            status=MessageStatus.delivered if result.ok else MessageStatus.failed, attempt_count=1,
            created_at=now, delivered_at=utcnow() if result.ok else None, last_error=error,
        )
    )
    session.flush()
    session.add(
        DeliveryAttempt(
            message_id=event.message_id, company_id=event.company_id, attempt_number=1, attempted_at=now,
            url=event.url[:2048], status_code=result.status_code, latency_ms=result.elapsed_ms,
            success=result.ok, error=error, response_body=response_text(result),
        )
    )
    audit.record(session, action="company.pinged", entity_type="company", entity_id=event.company_id,
                 actor=actor, after={"message_id": event.message_id, "status_code": result.status_code,
                                     "ok": result.ok})
    return PingResult(
        message_id=event.message_id, url=event.url, ok=result.ok, status_code=result.status_code,
        latency_ms=result.elapsed_ms, error=error, response_body=response_text(result),
        truncated=result.truncated, attempted_at=now,
    )
