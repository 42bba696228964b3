"""The dispatcher's hot statements, built once with bound parameters.

A claim and the recording of a batch of successes run several statements each, many
times a second. Built per call, each statement costs more to assemble (and to compute its
cache key) than the database takes to run it; built once here, with ``bindparam`` for
every value, SQLAlchemy compiles each statement a single time per engine and every later
execution only binds values. They run on a Connection, not through the ORM session.

Rarer paths (withdrawing a referral, recording a failure with its retry schedule and the
endpoint's health) stay in the dispatcher and ``app.webhooks.delivery`` as ORM code.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, insert, literal, or_, select, update
from sqlalchemy.orm import aliased

from app.models import Company, DeliveryAttempt, Listing, OutboxMessage, Referral
from app.webhooks.delivery import MessageStatus

__all__ = [
    "CLAIM",
    "INSERT_ATTEMPTS",
    "MARK_DELIVERED",
    "MARK_REFERRALS_DELIVERED",
    "NOTE_COMPANY_SUCCESS",
    "CANDIDATES",
    "due_branches",
]

_time = OutboxMessage.__table__.c.next_attempt_at.type  # type: ignore[attr-defined]  # UTCDateTime


def due_branches(now: Any, message: Any = OutboxMessage) -> tuple[Any, Any]:
    """Pending messages whose time has come; messages whose worker's lease ran out.
    `now` is a datetime or a bound parameter; `message` the entity or an alias of it."""
    return (
        and_(message.status == MessageStatus.pending, message.next_attempt_at <= now),
        and_(message.status == MessageStatus.delivering, message.lease_expires_at <= now),
    )


def _sendable_company() -> Any:
    return and_(
        Company.active.is_(True),  # type: ignore[attr-defined]
        Company.endpoint_disabled_at.is_(None),  # type: ignore[union-attr]
        Company.webhook_url.is_not(None),  # type: ignore[union-attr]
        Company.webhook_url != "",
    )


def _candidates(due: Any) -> Select[Any]:
    return (
        select(OutboxMessage.id, OutboxMessage.company_id, OutboxMessage.referral_id, Listing.status,
               OutboxMessage.next_attempt_at, Company.webhook_url)
        .join(Company, Company.id == OutboxMessage.company_id)  # type: ignore[arg-type]
        .outerjoin(Referral, Referral.id == OutboxMessage.referral_id)  # type: ignore[arg-type]
        .outerjoin(Listing, Listing.id == Referral.listing_id)  # type: ignore[arg-type]
        .where(due, _sendable_company(),
               OutboxMessage.company_id.not_in(bindparam("full_companies", expanding=True)))  # type: ignore[attr-defined]
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(bindparam("limit"))
    )


_NOW = bindparam("now", type_=_time)
# Due messages in claim order, one short index-ordered read per branch (pending; lease ran
# out). Parameters: now, full_companies (endpoints with no free place: left out), limit.
# Read without locks: the claim below takes only those still due, and locks only those.
CANDIDATES = tuple(_candidates(due) for due in due_branches(_NOW))

# Take the chosen messages that are still due, and return what a send needs of those taken.
# They were read without locks (and on SQLite before the write transaction): another worker
# may have taken some since. On PostgreSQL the chosen rows that another worker's claim holds
# right now are skipped (SKIP LOCKED), not waited for; SQLite's write lock serialises claims.
# Parameters: ids, now, worker, lease_until.
_chosen = aliased(OutboxMessage)
_STILL_DUE = (
    select(_chosen.id)
    .where(_chosen.id.in_(bindparam("ids", expanding=True)), or_(*due_branches(_NOW, _chosen)))  # type: ignore[attr-defined]
    .with_for_update(skip_locked=True)
)
CLAIM = (
    update(OutboxMessage)
    .where(OutboxMessage.id.in_(_STILL_DUE), or_(*due_branches(_NOW)))  # type: ignore[attr-defined]
    .values(
        status=MessageStatus.delivering,
        lease_owner=bindparam("worker"),
        lease_expires_at=bindparam("lease_until", type_=_time),
        attempt_count=OutboxMessage.attempt_count + 1,
    )
    .returning(OutboxMessage.id, OutboxMessage.payload)
)

# --- Recording a batch of successes ---------------------------------------------------

# Executed with one parameter set per attempt (the DeliveryAttempt columns but id). Returning
# the ids nobody reads makes SQLAlchemy write one multi-row INSERT on PostgreSQL as on SQLite
# ("insertmanyvalues") instead of one statement per attempt.
INSERT_ATTEMPTS = insert(DeliveryAttempt).returning(DeliveryAttempt.id)

# Delivered, whoever holds the lease now: the receiver has the message. The first delivery
# time is kept. Parameters: ids, now.
MARK_DELIVERED = (
    update(OutboxMessage)
    .where(OutboxMessage.id.in_(bindparam("ids", expanding=True)))  # type: ignore[attr-defined]
    .values(
        delivered_at=case((OutboxMessage.status == MessageStatus.delivered, OutboxMessage.delivered_at),
                          else_=_NOW),
        status=MessageStatus.delivered,
        lease_owner=None,
        lease_expires_at=None,
        last_error=None,
    )
)

# One parameter set per referral: referral_id, sent_at (the attempt's time), now. (One
# statement for all, with each referral's first attempt looked up in SQL, let PostgreSQL's
# planner scan the whole attempt log for every referral.)
MARK_REFERRALS_DELIVERED = (
    update(Referral)
    .where(Referral.id == bindparam("referral_id"))
    .values(
        sent_at=func.coalesce(Referral.sent_at, bindparam("sent_at", type_=_time)),
        delivered_at=func.coalesce(Referral.delivered_at, _NOW),
        # (Not IN: a list would be an expanding parameter, which executemany cannot take.)
        status=case((or_(Referral.status == "pending", Referral.status == "failed"), literal("delivered")),
                    else_=Referral.status),
    )
)

# The endpoint works: written only when that tells something new (first success, first
# after failures, or the stored one a minute old), so busy endpoints do not rewrite (and,
# on PostgreSQL, lock) their company's row on every batch. Parameters: company_ids, now,
# a_while_ago (now minus SUCCESS_GRANULARITY).
NOTE_COMPANY_SUCCESS = (
    update(Company)
    .where(
        Company.id.in_(bindparam("company_ids", expanding=True)),  # type: ignore[union-attr]
        or_(
            Company.failing_since.is_not(None),  # type: ignore[union-attr]
            Company.last_success_at.is_(None),  # type: ignore[union-attr]
            Company.last_success_at <= bindparam("a_while_ago", type_=_time),  # type: ignore[operator]
            Company.last_success_at > _NOW,  # type: ignore[operator]
        ),
    )
    .values(last_success_at=_NOW, failing_since=None)
)
