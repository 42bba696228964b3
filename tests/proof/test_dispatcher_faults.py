"""The dispatcher against receivers that misbehave: it keeps its deadlines and its memory.

Four companies' endpoints on 127.0.0.1 each fail in their own way at once: one accepts the
request and never answers, one resets the connection, one answers one byte a second, one
sends a gzip bomb (256 MB once inflated). A fifth, healthy endpoint must get its messages
meanwhile, every attempt must end within the total timeout, memory must stay small, and
every failed attempt must be logged and retried with the same webhook-id.

The SSRF transport's own fault tests (one send at a time) are in tests/webhooks/test_net.py.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import struct
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
import pytest
from sqlalchemy import select

from app.models import DeliveryAttempt, OutboxMessage, Referral, User
from app.webhooks.dispatcher import Dispatcher
from tests.factories import make_user
from tests.referrals.factories import Clock, Receiver, make_company, make_confirmed_listing

pytestmark = pytest.mark.anyio

TOTAL_TIMEOUT = 1.5  # seconds per attempt (production: 15 s); the faults below outlast it
SLACK = 0.6  # scheduling slack on a busy two-core machine (tracemalloc slows everything too)
GZIP_BOMB = gzip.compress(b"\0" * 1_000_000) * 256  # a valid multi-member stream: 256 MB inflated
MEMORY_CEILING = 16_000_000  # bytes traced at the peak: far below one inflated bomb

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"webhook_allow_http": True, "webhook_poll_seconds": 0.05,
                                       "webhook_per_endpoint": 2, "webhook_concurrency": 8})


@pytest.fixture
def reporters(db) -> list[User]:  # type: ignore[no-untyped-def]
    return [make_user(db, certified=True)]


# --- Misbehaving endpoints --------------------------------------------------------------------


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def one_byte_a_second(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3600\r\n\r\n")
    for _ in range(3600):
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(1.0)


async def gzip_bomb(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(GZIP_BOMB)}\r\n\r\n"
    writer.write(head.encode() + GZIP_BOMB)
    await writer.drain()


async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
    await writer.drain()


class FaultyEndpoint:
    """A raw HTTP/1.1 endpoint on 127.0.0.1 that reads the request, then runs `handler`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[bytes] = []
        self.arrivals: list[float] = []  # time.monotonic(), like Receiver.received[].at
        self._tasks: set[asyncio.Task[Any]] = set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            self.requests.append(head)
            self.arrivals.append(time.monotonic())
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the dispatcher gave up on us (that is the point), or the test is over
        finally:
            writer.close()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def webhook_ids(self) -> list[str]:
        found = []
        for head in self.requests:
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.strip().lower() == "webhook-id":
                    found.append(value.strip())
        return found


@asynccontextmanager
async def endpoint(handler: Handler) -> AsyncIterator[FaultyEndpoint]:
    faulty = FaultyEndpoint(handler)
    server = await asyncio.start_server(faulty._serve, "127.0.0.1", 0)
    faulty.port = server.sockets[0].getsockname()[1]
    try:
        yield faulty
    finally:
        server.close()
        for task in faulty._tasks:
            task.cancel()
        await asyncio.gather(*faulty._tasks, return_exceptions=True)


# --- Helpers ----------------------------------------------------------------------------------

PLATFORMS = {  # one company per platform, so that each endpoint has its own messages
    "hang": ("etsy", "etsy.com"),
    "reset": ("facebook", "facebook.com"),
    "dribble": ("instagram", "instagram.com"),
    "bomb": ("pinterest", "pinterest.com"),
    "healthy": ("ebay", "ebay.co.uk"),
}


async def in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))


async def company_with_referrals(db, settings, content, reporters, *, name: str, url: str, count: int = 1) -> list[int]:  # type: ignore[no-untyped-def]
    platform, domain = PLATFORMS[name]
    await in_thread(make_company, db, settings, content, name=f"{name} market", platforms=(platform,),
                    webhook_url=url)
    referral_ids = []
    for _ in range(count):
        _listing, referral = await in_thread(make_confirmed_listing, db, settings, content, reporters=reporters,
                                             domain=domain, platform_id=platform)
        referral_ids.append(referral.id)
    return referral_ids


def message_for(db, referral_id: int) -> OutboxMessage:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return session.execute(select(OutboxMessage).where(OutboxMessage.referral_id == referral_id)).scalars().one()


def attempts_for(db, referral_id: int) -> list[DeliveryAttempt]:  # type: ignore[no-untyped-def]
    message_id = message_for(db, referral_id).id
    with db.session() as session:
        return list(session.execute(select(DeliveryAttempt).where(DeliveryAttempt.message_id == message_id)
                                    .order_by(DeliveryAttempt.attempt_number)).scalars())


# --- The test ---------------------------------------------------------------------------------


async def test_misbehaving_receivers_cost_one_deadline_and_no_memory_and_are_retried(
    db, settings, training_content, reporters
) -> None:
    async with (endpoint(hang) as hanging, endpoint(reset) as resetting, endpoint(one_byte_a_second) as dribbling,
                endpoint(gzip_bomb) as bombing):
        with Receiver() as healthy:
            referrals = {
                "hang": await company_with_referrals(db, settings, training_content, reporters, name="hang",
                                                     url=hanging.url()),
                "reset": await company_with_referrals(db, settings, training_content, reporters, name="reset",
                                                      url=resetting.url()),
                "dribble": await company_with_referrals(db, settings, training_content, reporters, name="dribble",
                                                        url=dribbling.url()),
                "bomb": await company_with_referrals(db, settings, training_content, reporters, name="bomb",
                                                     url=bombing.url()),
                "healthy": await company_with_referrals(db, settings, training_content, reporters, name="healthy",
                                                        url=healthy.url(), count=4),
            }
            clock = Clock()
            dispatcher = Dispatcher(db, settings, clock=clock, connect_timeout=TOTAL_TIMEOUT,
                                    total_timeout=TOTAL_TIMEOUT)
            tracemalloc.start()
            try:
                started = anyio.current_time()
                made = await dispatcher.run_until_idle()
                took = anyio.current_time() - started
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            healthy_done = max(item.at for item in healthy.received)
            hang_given_up = hanging.arrivals[0] + TOTAL_TIMEOUT

            # Deadlines: the faults ran side by side, each cut at the total timeout (one after the
            # other, the hanging and the dribbling endpoint alone would take two timeouts).
            assert made == 8
            assert took < 2 * TOTAL_TIMEOUT, f"the round took {took:.2f} s"
            # The healthy endpoint was served meanwhile, not after the hanging one gave up.
            assert len(healthy.received) == 4
            assert healthy_done < hang_given_up, f"healthy done {healthy_done - hang_given_up:.2f} s too late"
            # Memory: the bomb was never inflated.
            assert peak < MEMORY_CEILING, f"peak traced memory {peak / 1e6:.1f} MB"

            # Every attempt is logged, within the deadline, with what went wrong.
            for name in ("hang", "reset", "dribble", "bomb"):
                (attempt,) = attempts_for(db, referrals[name][0])
                assert attempt.latency_ms is not None and attempt.latency_ms <= (TOTAL_TIMEOUT + SLACK) * 1000, name
            hung = attempts_for(db, referrals["hang"][0])[0]
            assert not hung.success and hung.status_code is None and "1.5 s" in (hung.error or ""), hung.error
            was_reset = attempts_for(db, referrals["reset"][0])[0]
            assert not was_reset.success and was_reset.status_code is None
            assert "reset" in (was_reset.error or "").lower(), was_reset.error
            # A 2xx status line is the receiver's acknowledgement, even if the rest never came.
            dribbled = attempts_for(db, referrals["dribble"][0])[0]
            assert dribbled.success and dribbled.status_code == 200 and dribbled.error
            assert set((dribbled.response_body or "").split("\n")[0]) <= {"x"}
            bombed = attempts_for(db, referrals["bomb"][0])[0]
            assert bombed.success and bombed.status_code == 200
            assert len(bombed.response_body or "") < 20_000
            assert "\x00" not in (bombed.response_body or "")  # PostgreSQL text cannot hold NUL

            # The failures wait for their retry (5 s later, never early), with the same webhook-id.
            for name in ("hang", "reset"):
                message = message_for(db, referrals[name][0])
                assert message.status == "pending" and message.attempt_count == 1 and message.lease_owner is None
                assert message.next_attempt_at is not None
                assert message.next_attempt_at >= clock.now.replace(microsecond=0)
            hanging.handler = accept
            resetting.handler = accept
            clock.advance(seconds=6)
            assert await Dispatcher(db, settings, clock=clock, total_timeout=TOTAL_TIMEOUT).run_until_idle() == 2

    for name, receiver in (("hang", hanging), ("reset", resetting)):
        first, second = attempts_for(db, referrals[name][0])
        assert not first.success and second.success and second.attempt_number == 2
        assert len(set(receiver.webhook_ids())) == 1 and len(receiver.webhook_ids()) == 2
        assert message_for(db, referrals[name][0]).status == "delivered"
        with db.session() as session:
            assert session.get(Referral, referrals[name][0]).status == "delivered"
