"""The webhook dispatcher: claims due outbox messages, sends them, records every attempt.

One `Dispatcher.run()` loop per process (inside `cyberspotter serve`, or as
`cyberspotter worker`). Each round it claims the messages that are due and that it has
room for, starts one send per message, and goes back to sleep until a send finishes,
the poll interval passes, or it is asked to stop.

Claiming. A message is due when it is `pending` and `next_attempt_at <= now`, or
`delivering` with an expired lease (its worker died: at least once, it is sent again).
The candidates are read without locks; the claim is then one conditional UPDATE that
takes only the chosen rows still due, and sets `lease_owner` and `lease_expires_at`. On
PostgreSQL it locks the rows it takes `FOR UPDATE SKIP LOCKED`, so several workers never
claim one message nor wait for each other; on SQLite the write transaction (BEGIN
IMMEDIATE) serialises claims.

A referral whose listing an admin re-opened before it went out is not sent: its message
is cancelled and the referral marked "withdrawn" (`create_referral` queues it again if
the listing is confirmed again).

Room. At most `webhook_concurrency` requests at once, and `webhook_per_endpoint` per
company. Room is counted *before* claiming: a claimed message starts sending at once,
so its lease never ticks away while it queues behind a slow endpoint, and the
messages of a slow or dead endpoint never take the places of the others. A place is
free again as soon as the answer is in; the attempt is recorded meanwhile.

Database work runs in threads (with their own small limiter, so a busy dispatcher
never starves the web requests' thread pool), each in a short transaction; the
network I/O never happens inside a transaction.

Stopping. `stop()` ends claiming; sends in flight get `webhook_shutdown_seconds` to
finish and be recorded; whatever is still held after that is released (back to
`pending`, due now) so that another worker takes it over without waiting for the lease.
"""

from __future__ import annotations

import logging
import os
import random
import secrets as _random
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio
import anyio.to_thread
from sqlalchemy import Connection, or_, select, update
from sqlalchemy.orm import defer

from app.config import Settings
from app.db import Database
from app.models import Company, DeliveryAttempt, ListingStatus, OutboxMessage, Referral, utcnow
from app.webhooks import outbox_sql
from app.webhooks.delivery import (
    SUCCESS_GRANULARITY,
    USER_AGENT,
    MessageStatus,
    active_secrets_of,
    attempt_values,
    count_attempts,
    describe_failure,
    encode_body,
    record_attempt,
    signed_headers,
)
from app.webhooks.net import Resolver, SendResult, WebhookTransport

__all__ = ["USER_AGENT", "ClaimedMessage", "Dispatcher", "MessageStatus", "install", "run_worker"]

log = logging.getLogger("cyberspotter.webhooks")

# Candidates read per claim round beyond the room we have: some belong to full endpoints.
CLAIM_OVERSHOOT = 4
# Reads a claim makes at most, each leaving out the endpoints the previous ones filled.
MAX_CANDIDATE_READS = 4
# Claims in a row when other workers took some of the messages chosen (read without locks).
MAX_CLAIM_ATTEMPTS = 3
# How often claims also look for messages whose worker's lease ran out.
LEASE_CHECK_INTERVAL = timedelta(seconds=1)
# While sends are in flight, a claim waits until this share of the places is free: one
# transaction then claims several messages instead of one each time a send finishes.
CLAIM_BATCH_SHARE = 4
# How long the first finished send waits for others to finish before recording them all at once.
RECORD_GATHER_SECONDS = 0.002
# A referral goes out only while its listing stands confirmed (or the company already removed it).
REFERABLE = frozenset({ListingStatus.confirmed, ListingStatus.removed})


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{_random.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """Everything a send needs, read in the claim's transaction."""

    id: str
    company_id: int
    url: str
    body: bytes
    secrets: tuple[str, ...]
    referral_id: int | None = None


@dataclass(slots=True, eq=False)
class _Outcome:
    """One finished send, waiting for its batch to be recorded."""

    message: ClaimedMessage
    result: SendResult
    attempted_at: datetime
    done: anyio.Event = field(default_factory=anyio.Event)
    error: BaseException | None = None


@dataclass(slots=True)
class _Picked:
    """What a claim chose: the messages to take in claim order, with the endpoint (company,
    URL) and referral of each, and the (message, referral) pairs to withdraw."""

    ids: list[str] = field(default_factory=list)
    target: dict[str, tuple[int, str, int | None]] = field(default_factory=dict)
    withdraw: list[tuple[str, int]] = field(default_factory=list)


def _due(now: datetime) -> Any:
    return or_(*outbox_sql.due_branches(now))


class Dispatcher:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        transport: WebhookTransport | None = None,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        resolver: Resolver | None = None,
        rng: random.Random | None = None,
        db_threads: int = 4,
        connect_timeout: float = 5.0,
        total_timeout: float = 15.0,
    ) -> None:
        """Create it inside the event loop that will run it. `clock`, `resolver`, `rng` and
        the timeouts are for tests; `transport` defaults to a WebhookTransport of its own."""
        self.database = database
        self.settings = settings
        self.worker_id = worker_id or new_worker_id()
        self.clock = clock
        self.resolver = resolver
        self.rng = rng
        self.connect_timeout = connect_timeout
        self.total_timeout = total_timeout
        # A lease shorter than a send would let a second worker take a message still in flight.
        self.lease = timedelta(seconds=max(settings.webhook_lease_seconds, 2 * total_timeout))
        self._transport = transport
        self._own_transport = transport is None
        self._db_limiter = anyio.CapacityLimiter(db_threads)
        self._total_room = max(1, settings.webhook_concurrency)
        self._endpoint_room = max(1, settings.webhook_per_endpoint)
        self._in_flight: dict[int, int] = {}
        self._stopping = anyio.Event()
        self._wake = anyio.Event()
        self._idle = anyio.Event()
        self._idle.set()
        self.sent = 0  # attempts made by this dispatcher (for logs and tests)
        # Results waiting to be recorded, and whether a send is recording a batch of them now.
        self._to_record: list[_Outcome] = []
        self._recording = False
        self._next_lease_check: datetime | None = None
        self._sql = outbox_sql.STATEMENTS.for_postgres(not database.is_sqlite)

    # --- Room (the semaphores) -----------------------------------------------------

    @property
    def in_flight(self) -> int:
        return sum(self._in_flight.values())

    def _room(self) -> int:
        return self._total_room - self.in_flight

    def _full_companies(self) -> list[int]:
        return [cid for cid, count in self._in_flight.items() if count >= self._endpoint_room]

    def _take(self, company_id: int) -> None:
        self._in_flight[company_id] = self._in_flight.get(company_id, 0) + 1
        self._idle = anyio.Event() if self._idle.is_set() else self._idle

    def _give_back(self, company_id: int) -> None:
        count = self._in_flight.get(company_id, 0) - 1
        if count > 0:
            self._in_flight[company_id] = count
        else:
            self._in_flight.pop(company_id, None)
        if not self._in_flight:
            self._idle.set()
        self.wake()

    # --- Control ---------------------------------------------------------------------

    def wake(self) -> None:
        """Look for due messages now (a send finished, or a message was just written)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming; `run()` returns once the sends in flight are done or released."""
        self._stopping.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _new_transport(self) -> WebhookTransport:
        return WebhookTransport(max_connections=self._total_room, per_endpoint=self._endpoint_room)

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._db_limiter)

    # --- The loop --------------------------------------------------------------------

    async def run(self) -> None:
        """Deliver until `stop()`: claim, send, record, sleep until there is more to do."""
        if self._transport is None:
            self._transport = self._new_transport()
        log.info("webhook dispatcher %s started", self.worker_id)
        try:
            async with anyio.create_task_group() as tasks:
                try:
                    while not self._stopping.is_set():
                        try:
                            claimed = await self.claim_round()
                        except Exception:
                            # The database may be restarting: keep the loop alive and try again.
                            log.exception("webhook dispatcher %s: claiming failed", self.worker_id)
                            claimed = []
                        for message in claimed:
                            tasks.start_soon(self._deliver, message)
                        if claimed and self._room() > 0:
                            continue  # more may be due, for endpoints that still have room
                        await self._sleep()
                finally:
                    with anyio.move_on_after(self.settings.webhook_shutdown_seconds, shield=True):
                        await self._idle.wait()
                    tasks.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                released = await self._in_thread(self.release_leases)
                if released:
                    log.info("webhook dispatcher %s released %s message(s)", self.worker_id, released)
                if self._own_transport and self._transport is not None:
                    await self._transport.aclose()
                    self._transport = None
            log.info("webhook dispatcher %s stopped", self.worker_id)

    async def _sleep(self) -> None:
        # A wake-up that came while we were claiming counts: then there is no sleep at all.
        if not self._wake.is_set():
            with anyio.move_on_after(self.settings.webhook_poll_seconds):
                await self._wake.wait()
        self._wake = anyio.Event()

    async def run_until_idle(self, *, max_rounds: int = 1000) -> int:
        """Send everything that is due now and wait for the results (tests, CLI `--once`).

        Returns the number of attempts made.
        """
        if self._transport is None:
            self._transport = self._new_transport()
        before = self.sent
        try:
            async with anyio.create_task_group() as tasks:
                for _ in range(max_rounds):
                    # Sends in flight when the claim starts keep their endpoints out of it; if
                    # they finish meanwhile, an empty claim does not mean nothing is due.
                    busy = bool(self._in_flight)
                    claimed = await self.claim_round()
                    if not claimed and not busy and not self._in_flight:
                        break
                    for message in claimed:
                        tasks.start_soon(self._deliver, message)
                    if not claimed:
                        # Wait for a send to finish (room, or a message due again), unless one did already.
                        if not self._wake.is_set():
                            await self._wake.wait()
                        self._wake = anyio.Event()
        finally:
            if self._own_transport and self._transport is not None:
                await self._transport.aclose()
                self._transport = None
        return self.sent - before

    async def claim_round(self) -> list[ClaimedMessage]:
        room = self._room()
        if room <= 0 or (self._in_flight and room < self._total_room // CLAIM_BATCH_SHARE):
            return []
        claimed: list[ClaimedMessage] = await self._in_thread(self.claim, room, self._full_companies())
        for message in claimed:
            self._take(message.company_id)
        return claimed

    async def _deliver(self, message: ClaimedMessage) -> None:
        holding = True

        def request_over() -> None:
            # The limits count requests in flight: the place is free once the answer is in,
            # while the attempt is still being recorded.
            nonlocal holding
            if holding:
                holding = False
                self._give_back(message.company_id)

        try:
            await self.send_and_record(message, sent=request_over)
        except Exception:
            # The lease expires and the message is sent again: nothing is lost.
            log.exception("webhook message %s: the attempt could not be completed", message.id)
        finally:
            request_over()

    async def send_and_record(self, message: ClaimedMessage, *, sent: Callable[[], None] | None = None) -> SendResult:
        assert self._transport is not None
        attempted_at = self.clock()
        headers = signed_headers(secrets=list(message.secrets), msg_id=message.id, body=message.body, now=attempted_at)
        result = await self._transport.send(
            message.url,
            body=message.body,
            headers=headers,
            allow_private=self.settings.webhook_allow_private_targets,
            allow_http=self.settings.webhook_allow_http or self.settings.webhook_allow_private_targets,
            resolver=self.resolver,
            connect_timeout=self.connect_timeout,
            total_timeout=self.total_timeout,
            endpoint=message.company_id,  # connections are kept per company, never shared
        )
        self.sent += 1
        if sent is not None:
            sent()
        with anyio.CancelScope(shield=True):
            await self._record_soon(message, result, attempted_at)
        if not result.ok:
            log.info("webhook message %s to company %s failed: %s", message.id, message.company_id,
                     describe_failure(result))
        return result

    async def _record_soon(self, message: ClaimedMessage, result: SendResult, attempted_at: datetime) -> None:
        """Record the attempt, together with those of the sends that finished meanwhile:
        one transaction for all the results waiting, and returns once this one is written.

        The first send to finish records; whatever finishes while its transaction runs
        waits for the next batch, which the same send records right after.
        """
        outcome = _Outcome(message, result, attempted_at)
        self._to_record.append(outcome)
        if not self._recording:
            self._recording = True
            try:
                if self.in_flight > len(self._to_record):
                    # Other sends are finishing too: a moment's wait records them in the same transaction.
                    await anyio.sleep(RECORD_GATHER_SECONDS)
                while self._to_record:
                    batch, self._to_record = self._to_record, []
                    if len(batch) == 1 and not batch[0].result.ok:
                        item = batch[0]
                        try:
                            await self._in_thread(self.record, item.message, item.result, item.attempted_at)
                        except Exception as single:
                            item.error = single
                        item.done.set()
                        continue
                    try:
                        await self._in_thread(self.record_batch, batch)
                    except Exception as exc:
                        # One bad result must not lose the others: record them one by one.
                        log.warning("webhook dispatcher %s: recording %s attempt(s) at once failed (%s); "
                                    "recording them one by one", self.worker_id, len(batch), exc)
                        for item in batch:
                            try:
                                await self._in_thread(self.record, item.message, item.result, item.attempted_at)
                            except Exception as single:
                                item.error = single
                    for item in batch:
                        item.done.set()
            finally:
                self._recording = False
                for item in self._to_record:  # only left if the recorder itself died
                    item.error = item.error or RuntimeError("the attempt was not recorded")
                    item.done.set()
                self._to_record = []
        await outcome.done.wait()
        if outcome.error is not None:
            raise outcome.error

    # --- Database work (in threads) ----------------------------------------------------

    def _pick(
        self, connection: Connection, *, now: datetime, room: int, full_companies: list[int], in_flight: Counter[int]
    ) -> _Picked:
        """Read the due messages in claim order and pick up to `room` of them, at most the
        free places of each endpoint (see `_Picked`).

        The first read often holds little but the busiest endpoint's messages, which fill
        its few places at once; then the next read leaves out the endpoints that are full
        now, until the room is filled, nothing new fills up, or the due messages run out.
        Messages whose lease ran out are rare: the first read looks for them (once every
        LEASE_CHECK_INTERVAL), the next ones only read on among the pending.
        """
        pending, expired = self._sql.candidates
        # A lease runs for half a minute and more: looking for expired ones once a second is soon enough.
        look_for_expired = self._next_lease_check is None or now >= self._next_lease_check
        if look_for_expired:
            self._next_lease_check = now + LEASE_CHECK_INTERVAL
        picked = _Picked()
        per_company = dict(in_flight)
        excluded = set(full_companies) | {
            company_id for company_id, count in in_flight.items() if count >= self._endpoint_room}
        seen: set[str] = set()
        for read in range(MAX_CANDIDATE_READS):
            limit = (room - len(picked.ids)) * CLAIM_OVERSHOOT
            params = {"now": now, "full_companies": sorted(excluded), "per_company": self._endpoint_room,
                      "limit": limit}
            batches = [connection.execute(statement, params).all()
                       for statement in ((pending, expired) if read == 0 and look_for_expired else (pending,))]
            rows = sorted((row for batch in batches for row in batch),
                          key=lambda row: (row.next_attempt_at is None, row.next_attempt_at, row.id))
            for message_id, company_id, referral_id, listing_status, _due_at, url in rows:
                if message_id in seen:
                    continue
                seen.add(message_id)
                if referral_id is not None and listing_status not in REFERABLE:
                    picked.withdraw.append((message_id, referral_id))
                    continue
                if len(picked.ids) >= room:
                    break
                if per_company.get(company_id, 0) >= self._endpoint_room:
                    continue
                picked.ids.append(message_id)
                picked.target[message_id] = (company_id, url or "", referral_id)
                per_company[company_id] = per_company.get(company_id, 0) + 1
            full_now = {company_id for company_id, count in per_company.items() if count >= self._endpoint_room}
            ran_out = all(len(batch) < limit for batch in batches)
            if len(picked.ids) >= room or ran_out or full_now <= excluded:
                break
            excluded |= full_now
        return picked

    def claim(self, room: int, full_companies: list[int]) -> list[ClaimedMessage]:
        """Claim up to `room` due messages, at most the free places of each endpoint.

        The candidates are read without locks: another worker may take some of them first.
        Then the claim reads again for the places left (a few times at most), so that a
        worker never takes "all mine were taken" for "nothing is due"."""
        claimed: list[ClaimedMessage] = []
        for _attempt in range(MAX_CLAIM_ATTEMPTS):
            taken, lost = self._claim_once(room - len(claimed), full_companies, claimed)
            claimed += taken
            if not lost or len(claimed) >= room:
                break
        return claimed

    def _claim_once(
        self, room: int, full_companies: list[int], claimed: list[ClaimedMessage]
    ) -> tuple[list[ClaimedMessage], int]:
        """One read and one conditional UPDATE; returns what it took, and how many of the
        messages it chose another worker took meanwhile."""
        now = self.clock()
        in_flight = Counter(self._in_flight) + Counter(message.company_id for message in claimed)
        sqlite = self.database.is_sqlite
        if sqlite:
            # Read outside the write transaction (WAL readers never wait): an idle poll then
            # never takes SQLite's write lock, and a busy one holds it only for the UPDATE.
            with self.database.engine.connect() as connection:
                picked = self._pick(connection, now=now, room=room, full_companies=full_companies,
                                    in_flight=in_flight)
            if not picked.ids and not picked.withdraw:
                return [], 0

        with self.database.write_engine.begin() as connection:
            if not sqlite:
                # In the claim's transaction (one connection, fewer round trips), still without
                # locks: the UPDATE below locks only the rows it takes.
                picked = self._pick(connection, now=now, room=room, full_companies=full_companies,
                                    in_flight=in_flight)
            for message_id, referral_id in picked.withdraw:
                self._withdraw(connection, message_id, referral_id, now)
            if not picked.ids:
                return [], 0
            # One conditional UPDATE for the lot: it takes the rows still due and returns those.
            taken = dict(connection.execute(
                self._sql.claim, {"ids": picked.ids, "now": now, "worker": self.worker_id,
                                   "lease_until": now + self.lease}
            ).all())
            if not taken:
                return [], len(picked.ids)
            secrets = active_secrets_of(connection, {picked.target[message_id][0] for message_id in taken}, now)
        messages = []
        for message_id in picked.ids:  # in claim order
            if message_id in taken:
                company_id, url, referral_id = picked.target[message_id]
                messages.append(ClaimedMessage(id=message_id, company_id=company_id, url=url,
                                               body=encode_body(taken[message_id]),
                                               secrets=tuple(secrets.get(company_id, ())), referral_id=referral_id))
        return messages, len(picked.ids) - len(taken)

    def _withdraw(self, connection: Connection, message_id: str, referral_id: int, now: datetime) -> None:
        """An admin re-opened the listing before its referral went out: do not send it.
        (`create_referral` queues it again if the listing is confirmed again.)"""
        cancelled = connection.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, _due(now))
            .values(status=MessageStatus.cancelled, next_attempt_at=None, lease_owner=None, lease_expires_at=None,
                    last_error="Not sent: the listing is no longer confirmed.")
        ).rowcount
        if cancelled:
            connection.execute(
                update(Referral)
                .where(Referral.id == referral_id, Referral.status.in_(["pending", "failed"]))
                .values(status="withdrawn")
            )
            log.info("webhook message %s withdrawn: its listing is no longer confirmed", message_id)

    def record(self, claimed: ClaimedMessage, result: SendResult, attempted_at: datetime) -> None:
        now = self.clock()
        with self.database.transaction() as session:
            query = select(OutboxMessage).where(OutboxMessage.id == claimed.id)
            if not self.database.is_sqlite:
                query = query.with_for_update()
            message = session.execute(query).scalars().one()
            company = session.get(Company, claimed.company_id)
            assert company is not None
            owned = message.status == MessageStatus.delivering and message.lease_owner == self.worker_id
            record_attempt(
                session,
                message=message,
                company=company,
                url=claimed.url,
                result=result,
                attempted_at=attempted_at,
                now=now,
                settings=self.settings,
                owned=owned,
                rng=self.rng,
            )

    def record_batch(self, outcomes: list[_Outcome]) -> None:
        """Record several attempts in one transaction (see `_record_soon`)."""
        now = self.clock()
        # One order for every worker (companies, then messages), so two batches never deadlock.
        outcomes = sorted(outcomes, key=lambda item: (item.message.company_id, item.message.id))
        if all(item.result.ok for item in outcomes):
            with self.database.write_engine.begin() as connection:
                self._record_successes(connection, outcomes, now)
            return
        ids = [item.message.id for item in outcomes]
        with self.database.transaction() as session:
            # Recording never reads a payload: leave it unloaded.
            query = (select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
                     .options(defer(OutboxMessage.payload)))
            if not self.database.is_sqlite:
                query = query.with_for_update()
            messages = {message.id: message for message in session.execute(query).scalars()}
            previous = count_attempts(session, ids)
            # The referrals and companies in one query each. (Kept in dicts: the session's identity
            # map holds objects weakly, so a query whose results nobody keeps preloads nothing.)
            referral_ids = {m.referral_id for m in messages.values() if m.referral_id is not None}
            referrals: dict[int, Referral] = {}
            if referral_ids:
                referrals = {
                    referral.id: referral  # type: ignore[misc]
                    for referral in session.execute(select(Referral).where(Referral.id.in_(referral_ids))).scalars()
                }
            companies: dict[int, Company] = {
                company.id: company  # type: ignore[misc]
                for company in session.execute(
                    select(Company).where(Company.id.in_({item.message.company_id for item in outcomes}))
                ).scalars()
            }
            attempts: list[DeliveryAttempt] = []
            for item in outcomes:
                claimed = item.message
                message = messages[claimed.id]
                company = companies.get(claimed.company_id)
                if company is None:
                    company = session.get(Company, claimed.company_id)
                    assert company is not None
                    companies[claimed.company_id] = company
                owned = message.status == MessageStatus.delivering and message.lease_owner == self.worker_id
                attempts.append(record_attempt(
                    session,
                    message=message,
                    company=company,
                    url=claimed.url,
                    result=item.result,
                    attempted_at=item.attempted_at,
                    now=now,
                    settings=self.settings,
                    owned=owned,
                    rng=self.rng,
                    previous_attempts=previous[claimed.id],
                    referral=referrals.get(message.referral_id) if message.referral_id is not None else None,
                    add_attempt=False,
                ))
            # One multi-row INSERT for the attempts (the unit of work would insert them one by one
            # to read back each id, which nobody needs here).
            session.execute(outbox_sql.INSERT_ATTEMPTS, [attempt.model_dump(exclude={"id"}) for attempt in attempts])

    def _record_successes(self, connection: Connection, outcomes: list[_Outcome], now: datetime) -> None:
        """The common case, in five prebuilt statements whatever the batch's size: every
        message delivered (whoever holds its lease now: the receiver has it), its attempt
        logged, its referral marked delivered, each company's success noted."""
        ids = [item.message.id for item in outcomes]
        previous = count_attempts(connection, ids)
        connection.execute(outbox_sql.INSERT_ATTEMPTS, [
            attempt_values(message_id=item.message.id, company_id=item.message.company_id,
                           number=previous[item.message.id] + 1, url=item.message.url, result=item.result,
                           attempted_at=item.attempted_at)
            for item in outcomes
        ])
        connection.execute(self._sql.mark_delivered, {"ids": ids, "now": now})
        referrals = [{"referral_id": item.message.referral_id, "sent_at": item.attempted_at, "now": now}
                     for item in outcomes if item.message.referral_id is not None]
        if referrals:
            connection.execute(outbox_sql.MARK_REFERRALS_DELIVERED, referrals)
        connection.execute(self._sql.note_company_success, {
            "company_ids": sorted({item.message.company_id for item in outcomes}),
            "now": now,
            "a_while_ago": now - SUCCESS_GRANULARITY,
        })

    def release_leases(self) -> int:
        """Give back every message this worker still holds: due again now, for anyone."""
        now = self.clock()
        with self.database.transaction() as session:
            return session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == MessageStatus.delivering, OutboxMessage.lease_owner == self.worker_id)
                .values(status=MessageStatus.pending, next_attempt_at=now, lease_owner=None, lease_expires_at=None)
                .execution_options(synchronize_session=False)
            ).rowcount


# --- Running inside the web app ----------------------------------------------------------


def install(app: Any) -> None:
    """Start one dispatcher with the app (lifespan hooks) when `settings.run_dispatcher` is on."""
    settings: Settings = app.state.settings
    if not settings.run_dispatcher:
        return

    async def start(app: Any) -> None:
        import asyncio

        from app.worker_jobs import housekeeping_loop

        dispatcher = Dispatcher(app.state.db, settings)
        app.state.dispatcher = dispatcher
        app.state.dispatcher_task = asyncio.create_task(dispatcher.run(), name="webhook-dispatcher")
        # `make run` has no separate worker: the app keeps its own house too.
        app.state.housekeeping_task = asyncio.create_task(housekeeping_loop(app.state.db, settings),
                                                          name="housekeeping")

    async def stop(app: Any) -> None:
        import asyncio

        housekeeping = getattr(app.state, "housekeeping_task", None)
        if housekeeping is not None:
            housekeeping.cancel()
        dispatcher: Dispatcher | None = getattr(app.state, "dispatcher", None)
        task = getattr(app.state, "dispatcher_task", None)
        if dispatcher is None or task is None:
            return
        dispatcher.stop()
        try:
            await asyncio.wait_for(task, timeout=settings.webhook_shutdown_seconds + 10)
        except (TimeoutError, asyncio.CancelledError):
            log.warning("webhook dispatcher did not stop in time; its leases will expire")
        except Exception:
            log.exception("webhook dispatcher stopped with an error")

    app.state.startup_hooks.append(start)
    app.state.shutdown_hooks.append(stop)


async def run_worker(database: Database, settings: Settings, *, once: bool = False) -> int:
    """`cyberspotter worker`: deliver until SIGTERM or SIGINT (or, with `once`, until
    nothing is due). Returns the number of attempts made."""
    import signal

    from app.worker_jobs import housekeeping_loop

    dispatcher = Dispatcher(database, settings)
    if once:
        return await dispatcher.run_until_idle()

    async def stop_on_signal() -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for signum in signals:
                log.info("received %s: finishing the sends in flight", signal.Signals(signum).name)
                dispatcher.stop()
                return

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(stop_on_signal)
        tasks.start_soon(housekeeping_loop, database, settings)  # expired claims, retention
        await dispatcher.run()
        tasks.cancel_scope.cancel()
    return dispatcher.sent
