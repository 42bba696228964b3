"""The dispatcher's hot statements, built once with bound parameters.

A claim and the recording of a batch of successes run several statements each, many
times a second. Built per call, each statement costs more to assemble (and to compute its
cache key) than the database takes to run it; built once here, with ``bindparam`` for
every value, SQLAlchemy compiles each statement a single time per engine and every later
execution only binds values. They run on a Connection, not through the ORM session.

The statements that take a list are built twice, for PostgreSQL and for SQLite
(`app.db_lists`): on PostgreSQL the list is one array parameter, so that each statement
keeps one text and psycopg prepares it on the server. `STATEMENTS.for_postgres(...)` (or
`.of(connection)`) gives the set for an engine; on PostgreSQL it also reads the candidates
each endpoint's first few at a time (`_pending_per_company`).

Rarer paths (withdrawing a referral, recording a failure with its retry schedule and the
endpoint's health) stay in the dispatcher and ``app.webhooks.delivery`` as ORM code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Update, and_, bindparam, case, func, insert, literal, or_, select, true, update
from sqlalchemy.orm import aliased

from app.db_lists import PerDialect, in_list, not_in_list
from app.models import Company, DeliveryAttempt, Listing, OutboxMessage, Referral
from app.webhooks.delivery import MessageStatus

__all__ = [
    "INSERT_ATTEMPTS",
    "MARK_REFERRALS_DELIVERED",
    "STATEMENTS",
    "OutboxStatements",
    "due_branches",
]

_time = OutboxMessage.__table__.c.next_attempt_at.type  # type: ignore[attr-defined]  # UTCDateTime
_message_id = OutboxMessage.__table__.c.id.type  # type: ignore[attr-defined]
_company_id = Company.__table__.c.id.type  # type: ignore[attr-defined]


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


def _candidates(due: Any, postgres: bool) -> Select[Any]:
    return (
        select(OutboxMessage.id, OutboxMessage.company_id, OutboxMessage.referral_id, Listing.status,
               OutboxMessage.next_attempt_at, Company.webhook_url)
        .join(Company, Company.id == OutboxMessage.company_id)  # type: ignore[arg-type]
        .outerjoin(Referral, Referral.id == OutboxMessage.referral_id)  # type: ignore[arg-type]
        .outerjoin(Listing, Listing.id == Referral.listing_id)  # type: ignore[arg-type]
        .where(due, _sendable_company(),
               not_in_list(OutboxMessage.company_id, "full_companies", _company_id, postgres=postgres))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(bindparam("limit"))
    )


_NOW = bindparam("now", type_=_time)


def _pending_per_company(postgres: bool) -> Select[Any]:
    """PostgreSQL: the pending due messages of each sendable company, at most `per_company`
    of each (a LATERAL read per company, in its index order), then in claim order.

    The global read (`_candidates`) returns the oldest due messages whoever they are for:
    while a few busy endpoints have the oldest backlog, most of its rows go to endpoints
    with no free place, and the claim reads again past them. Reading each endpoint's first
    few gives every endpoint with room its share in one read of a few rows each."""
    message = aliased(OutboxMessage)
    firsts = (
        select(message.id, message.company_id, message.referral_id, message.next_attempt_at)
        .where(message.company_id == Company.id, message.status == MessageStatus.pending,
               message.next_attempt_at <= _NOW)
        .order_by(message.next_attempt_at, message.id)
        .limit(bindparam("per_company"))
        .lateral("firsts")
    )
    return (
        select(firsts.c.id, firsts.c.company_id, firsts.c.referral_id, Listing.status, firsts.c.next_attempt_at,
               Company.webhook_url)
        .select_from(Company)
        .join(firsts, true())
        .outerjoin(Referral, Referral.id == firsts.c.referral_id)  # type: ignore[arg-type]
        .outerjoin(Listing, Listing.id == Referral.listing_id)  # type: ignore[arg-type]
        .where(_sendable_company(), not_in_list(Company.id, "full_companies", _company_id, postgres=postgres))
        .order_by(firsts.c.next_attempt_at, firsts.c.id)
        .limit(bindparam("limit"))
    )


@dataclass(frozen=True, slots=True)
class OutboxStatements:
    """The hot statements that take a list, as built for one kind of engine."""

    # Due messages in claim order, one short index-ordered read per branch (pending; lease
    # ran out); on PostgreSQL the pending ones at most `per_company` per endpoint. Parameters:
    # now, full_companies (endpoints with no free place: left out), per_company, limit. Read
    # without locks: the claim takes only those still due, and locks only those.
    candidates: tuple[Select[Any], Select[Any]]
    # Take the chosen messages that are still due, and return what a send needs of those
    # taken. They were read without locks (and on SQLite before the write transaction):
    # another worker may have taken some since. On PostgreSQL the chosen rows that another
    # worker's claim holds right now are skipped (SKIP LOCKED), not waited for; SQLite's
    # write lock serialises claims. Parameters: ids, now, worker, lease_until.
    claim: Update
    # Delivered, whoever holds the lease now: the receiver has the message. The first
    # delivery time is kept. Parameters: ids, now.
    mark_delivered: Update
    # The endpoint works: written only when that tells something new (first success, first
    # after failures, or the stored one a minute old), so busy endpoints do not rewrite
    # (and, on PostgreSQL, lock) their company's row on every batch. Parameters:
    # company_ids, now, a_while_ago (now minus SUCCESS_GRANULARITY).
    note_company_success: Update


def _build(postgres: bool) -> OutboxStatements:
    chosen = aliased(OutboxMessage)
    still_due = (
        select(chosen.id)
        .where(in_list(chosen.id, "ids", _message_id, postgres=postgres), or_(*due_branches(_NOW, chosen)))
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(still_due), or_(*due_branches(_NOW)))  # type: ignore[attr-defined]
        .values(
            status=MessageStatus.delivering,
            lease_owner=bindparam("worker"),
            lease_expires_at=bindparam("lease_until", type_=_time),
            attempt_count=OutboxMessage.attempt_count + 1,
        )
        .returning(OutboxMessage.id, OutboxMessage.payload)
    )
    mark_delivered = (
        update(OutboxMessage)
        .where(in_list(OutboxMessage.id, "ids", _message_id, postgres=postgres))
        .values(
            delivered_at=case((OutboxMessage.status == MessageStatus.delivered, OutboxMessage.delivered_at),
                              else_=_NOW),
            status=MessageStatus.delivered,
            lease_owner=None,
            lease_expires_at=None,
            last_error=None,
        )
    )
    note_company_success = (
        update(Company)
        .where(
            in_list(Company.id, "company_ids", _company_id, postgres=postgres),
            or_(
                Company.failing_since.is_not(None),  # type: ignore[union-attr]
                Company.last_success_at.is_(None),  # type: ignore[union-attr]
                Company.last_success_at <= bindparam("a_while_ago", type_=_time),  # type: ignore[operator]
                Company.last_success_at > _NOW,  # type: ignore[operator]
            ),
        )
        .values(last_success_at=_NOW, failing_since=None)
    )
    pending, expired = due_branches(_NOW)
    return OutboxStatements(
        candidates=(_pending_per_company(postgres) if postgres else _candidates(pending, postgres),
                    _candidates(expired, postgres)),
        claim=claim,
        mark_delivered=mark_delivered,
        note_company_success=note_company_success,
    )


STATEMENTS = PerDialect(_build)

# --- Recording a batch of successes (no lists: one text on both engines) --------------

# Executed with one parameter set per attempt (the DeliveryAttempt columns but id). Without
# RETURNING, psycopg sends one prepared INSERT per attempt, all in one round trip (pipeline
# mode). A multi-row INSERT (what RETURNING makes SQLAlchemy write) has a new text for each
# size of batch, and psycopg spent over a millisecond parsing each.
INSERT_ATTEMPTS = insert(DeliveryAttempt)

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
