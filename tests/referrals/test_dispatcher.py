"""The dispatcher against a real HTTP receiver on 127.0.0.1: signatures, retries, status
handling, leases, concurrency and shutdown. Time moves by a hand-driven clock."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from typing import Any

import anyio
import anyio.to_thread
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from app.models import AuditEntry, Company, DeliveryAttempt, Listing, OutboxMessage, Referral
from app.services import deliveries, endpoints, referrals
from app.webhooks import schedule
from app.webhooks.delivery import USER_AGENT
from app.webhooks.dispatcher import Dispatcher
from app.webhooks.signing import verify
from tests.referrals.factories import Clock, Receiver, make_company, make_confirmed_listing

pytestmark = pytest.mark.anyio


async def in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Services that check URLs run their own event loop work: call them from a thread."""
    return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))


async def refer(db, settings, content, reporters, **options):  # type: ignore[no-untyped-def]
    return await in_thread(make_confirmed_listing, db, settings, content, reporters=reporters, **options)


def message_of(db, referral_id: int) -> OutboxMessage:  # type: ignore[no-untyped-def]
    """The referral's latest message."""
    with db.session() as session:
        return session.execute(select(OutboxMessage).where(OutboxMessage.referral_id == referral_id)
                               .order_by(OutboxMessage.id.desc())).scalars().first()


def attempts_of(db, message_id: str) -> list[DeliveryAttempt]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(session.execute(
            select(DeliveryAttempt).where(DeliveryAttempt.message_id == message_id).order_by(DeliveryAttempt.id)
        ).scalars())


def load(db, model, key):  # type: ignore[no-untyped-def]
    with db.session() as session:
        return session.get(model, key)


def dispatcher(db, settings, clock=None, **options) -> Dispatcher:  # type: ignore[no-untyped-def]
    return Dispatcher(db, settings, clock=clock or Clock(), **options)


async def test_a_referral_is_delivered_signed_as_the_standard_says(
    db, settings, training_content, reporters, receiver
) -> None:
    credentials = await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
    _listing, referral = await refer(db, settings, training_content, reporters)

    assert await dispatcher(db, settings).run_until_idle() == 1

    (request,) = receiver.received
    # An independent implementation of Standard Webhooks accepts the request.
    payload = Webhook(credentials.webhook_secret).verify(request.body, request.headers)
    assert payload["type"] == "referral.created"
    assert payload["data"]["referral_id"] == str(referral.id)
    message = message_of(db, referral.id)
    assert request.headers["webhook-id"] == message.id and message.id.startswith("msg_")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT and USER_AGENT.startswith("CyberSpotter/")
    assert message.status == "delivered" and message.attempt_count == 1 and message.lease_owner is None
    stored = load(db, Referral, referral.id)
    assert stored.status == "delivered" and stored.delivered_at is not None and stored.sent_at is not None
    (attempt,) = attempts_of(db, message.id)
    assert attempt.success and attempt.status_code == 200 and attempt.response_body == "ok"
    assert attempt.latency_ms is not None and attempt.attempt_number == 1
    assert load(db, Company, credentials.company.id).last_success_at is not None


async def test_during_a_rotation_both_secrets_sign(db, settings, training_content, reporters, receiver) -> None:
    credentials = await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
    old_secret = credentials.webhook_secret
    with db.transaction() as session:
        company = session.get(Company, credentials.company.id)
        new_secret = endpoints.rotate_secret(session, company=company, actor=None, settings=settings).secret
    await refer(db, settings, training_content, reporters)

    await dispatcher(db, settings).run_until_idle()

    (request,) = receiver.received
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(new_secret).verify(request.body, request.headers)  # the receiver that switched
    Webhook(old_secret).verify(request.body, request.headers)  # the one that has not yet


async def test_after_the_grace_period_only_the_new_secret_signs(
    db, settings, training_content, reporters, receiver
) -> None:
    credentials = await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
    with db.transaction() as session:
        company = session.get(Company, credentials.company.id)
        new_secret = endpoints.rotate_secret(session, company=company, actor=None, settings=settings).secret
    await refer(db, settings, training_content, reporters)
    clock = Clock()
    clock.advance(hours=settings.webhook_secret_grace_hours, seconds=1)

    await dispatcher(db, settings, clock).run_until_idle()

    (request,) = receiver.received
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    now = int(clock().timestamp())
    assert verify(secret=new_secret, headers=request.headers, body=request.body, now=now)
    assert not verify(secret=credentials.webhook_secret, headers=request.headers, body=request.body, now=now)


async def test_a_500_is_retried_on_schedule_with_the_same_id_and_a_new_timestamp(
    db, settings, training_content, reporters
) -> None:
    with Receiver(answers=[(500, {}, b"database down"), (502, {}, b""), (200, {}, b"thanks")]) as receiver:
        await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
        _listing, referral = await refer(db, settings, training_content, reporters)
        clock = Clock()
        worker = dispatcher(db, settings, clock)

        assert await worker.run_until_idle() == 1
        message = message_of(db, referral.id)
        assert message.status == "pending" and message.attempt_count == 1
        first_wait = message.next_attempt_at - clock()
        assert timedelta(seconds=5) <= first_wait <= timedelta(seconds=5.5)
        assert await worker.run_until_idle() == 0  # not due yet: nothing is sent early

        clock.advance(seconds=6)
        assert await worker.run_until_idle() == 1
        message = message_of(db, referral.id)
        assert timedelta(minutes=5) <= message.next_attempt_at - clock() <= timedelta(minutes=5.5)

        clock.advance(minutes=6)
        assert await worker.run_until_idle() == 1

    ids = receiver.ids()
    assert len(ids) == 3 and len(set(ids)) == 1
    timestamps = [int(item.headers["webhook-timestamp"]) for item in receiver.received]
    assert timestamps[0] < timestamps[1] < timestamps[2]
    assert [item.body for item in receiver.received].count(receiver.received[0].body) == 3
    attempts = attempts_of(db, ids[0])
    assert [(a.status_code, a.success) for a in attempts] == [(500, False), (502, False), (200, True)]
    assert attempts[0].response_body == "database down" and attempts[0].error == "HTTP 500"
    assert message_of(db, referral.id).status == "delivered"


async def test_a_timeout_is_retried(db, settings, training_content, reporters) -> None:
    with Receiver(delay=1.0) as receiver:
        await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
        _listing, referral = await refer(db, settings, training_content, reporters)
        clock = Clock()
        await dispatcher(db, settings, clock, total_timeout=0.3).run_until_idle()
        receiver.delay = 0
        clock.advance(seconds=6)
        await dispatcher(db, settings, clock).run_until_idle()

    first, second = attempts_of(db, message_of(db, referral.id).id)
    assert not first.success and first.status_code is None and "0.3 s" in first.error
    assert second.success
    assert len(set(receiver.ids())) == 1


async def test_a_refused_connection_is_retried_with_the_same_id(
    db, settings, training_content, reporters
) -> None:
    with socket.socket() as probe:  # a port nothing listens on (yet)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await in_thread(make_company, db, settings, training_content, webhook_url=f"http://127.0.0.1:{port}/hook")
    _listing, referral = await refer(db, settings, training_content, reporters)
    clock = Clock()
    await dispatcher(db, settings, clock).run_until_idle()

    (refused,) = attempts_of(db, message_of(db, referral.id).id)
    assert refused.status_code is None and "could not connect" in refused.error
    assert message_of(db, referral.id).status == "pending"

    with Receiver(port=port) as receiver:
        clock.advance(seconds=6)
        await dispatcher(db, settings, clock).run_until_idle()
    assert receiver.ids() == [message_of(db, referral.id).id]
    assert message_of(db, referral.id).status == "delivered"


async def test_a_redirect_is_a_failure_and_never_followed(db, settings, training_content, reporters) -> None:
    with Receiver() as elsewhere, Receiver(answers=[(302, {"Location": elsewhere.url("/stolen")}, b"")]) as receiver:
        await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
        _listing, referral = await refer(db, settings, training_content, reporters)
        await dispatcher(db, settings).run_until_idle()
    assert elsewhere.received == []
    (attempt,) = attempts_of(db, message_of(db, referral.id).id)
    assert attempt.status_code == 302 and not attempt.success and "not followed" in attempt.error
    assert message_of(db, referral.id).status == "pending"


async def test_410_disables_the_endpoint_until_an_admin_enables_it(
    db, settings, training_content, reporters
) -> None:
    with Receiver(answers=[(410, {}, b"gone"), (200, {}, b"")]) as receiver:
        credentials = await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
        _listing, referral = await refer(db, settings, training_content, reporters)
        clock = Clock()
        await dispatcher(db, settings, clock).run_until_idle()

        company = load(db, Company, credentials.company.id)
        assert company.endpoint_disabled_at is not None and "410" in company.endpoint_disabled_reason
        assert endpoints.endpoint_state(company) == "disabled"
        with db.session() as session:
            (entry,) = session.execute(select(AuditEntry).where(AuditEntry.action == "company.endpoint_disabled")).scalars()
        assert entry.actor_label == "dispatcher" and "410" in entry.after["reason"]
        assert message_of(db, referral.id).status == "pending"
        clock.advance(days=2)
        assert await dispatcher(db, settings, clock).run_until_idle() == 0  # it waits

        with db.transaction() as session:
            endpoints.enable_endpoint(session, company=session.get(Company, company.id), actor=None)
        assert await dispatcher(db, settings, clock).run_until_idle() == 1
    assert message_of(db, referral.id).status == "delivered"
    assert len(receiver.received) == 2


@pytest.mark.parametrize(("status", "retry_after", "expected"), [
    (503, "3600", timedelta(hours=1)),  # longer than the schedule's 5 s: honoured
    (429, "1", timedelta(seconds=5)),  # shorter: the schedule still holds
    (429, "999999", schedule.MAX_DELAY),  # absurd: capped
])
async def test_retry_after_is_honoured_but_never_shortens_the_schedule(
    db, settings, training_content, reporters, status, retry_after, expected
) -> None:
    with Receiver(answers=[(status, {"Retry-After": retry_after}, b"slow down")]) as receiver:
        await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
        _listing, referral = await refer(db, settings, training_content, reporters)
        clock = Clock()
        await dispatcher(db, settings, clock).run_until_idle()
    wait = message_of(db, referral.id).next_attempt_at - clock()
    assert expected <= wait <= expected * 1.1 + timedelta(seconds=1)


async def test_after_the_last_attempt_the_message_fails_and_an_admin_can_retry_it(
    db, settings, training_content, reporters
) -> None:
    attempts = schedule.MAX_ATTEMPTS
    with Receiver(answers=[(500, {}, b"no")] * attempts + [(200, {}, b"")]) as receiver:
        await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
        _listing, referral = await refer(db, settings, training_content, reporters)
        clock = Clock()
        worker = dispatcher(db, settings, clock)
        for _ in range(attempts):
            assert await worker.run_until_idle() == 1
            due = message_of(db, referral.id).next_attempt_at
            if due is not None:
                clock.now = due  # about three and a half days in all: not long enough to disable
        message = message_of(db, referral.id)
        assert message.status == "failed" and message.next_attempt_at is None
        assert load(db, Referral, referral.id).status == "failed"
        assert await worker.run_until_idle() == 0

        with db.transaction() as session:
            deliveries.retry_message(session, message_id=message.id, actor=None, settings=settings)
        assert load(db, Referral, referral.id).status == "pending"
        assert await dispatcher(db, settings).run_until_idle() == 1
    assert message_of(db, referral.id).status == "delivered"
    assert load(db, Referral, referral.id).status == "delivered"
    assert len(set(receiver.ids())) == 1 and len(receiver.received) == attempts + 1


async def test_an_endpoint_without_success_for_days_is_disabled(db, settings, training_content, reporters) -> None:
    with Receiver(answers=[(500, {}, b"")]) as receiver:
        credentials = await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
        await refer(db, settings, training_content, reporters)
        clock = Clock()
        worker = dispatcher(db, settings, clock)
        await worker.run_until_idle()
        assert load(db, Company, credentials.company.id).failing_since is not None
        for _ in range(8):  # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h...
            clock.advance(hours=22)
            await worker.run_until_idle()
            if load(db, Company, credentials.company.id).endpoint_disabled_at:
                break
    company = load(db, Company, credentials.company.id)
    assert company.endpoint_disabled_at is not None
    assert f"{settings.webhook_disable_after_days} days" in company.endpoint_disabled_reason
    assert company.endpoint_disabled_at - company.failing_since >= timedelta(days=settings.webhook_disable_after_days)


async def test_a_crash_after_sending_and_before_recording_sends_again(
    db, settings, training_content, reporters, receiver, monkeypatch
) -> None:
    await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
    _listing, referral = await refer(db, settings, training_content, reporters)
    clock = Clock()
    crashing = dispatcher(db, settings, clock, worker_id="crashing")

    def crash(*args: Any) -> None:
        raise RuntimeError("the worker died here")

    monkeypatch.setattr(crashing, "record", crash)
    monkeypatch.setattr(crashing, "record_batch", crash)
    await crashing.run_until_idle()
    assert len(receiver.received) == 1
    message = message_of(db, referral.id)
    assert message.status == "delivering" and message.lease_owner == "crashing"

    survivor = dispatcher(db, settings, clock, worker_id="survivor")
    assert await survivor.run_until_idle() == 0  # the lease still holds
    clock.advance(seconds=settings.webhook_lease_seconds + 1)
    assert await survivor.run_until_idle() == 1

    assert receiver.ids() == [message.id, message.id]  # at least once: the receiver deduplicates
    assert message_of(db, referral.id).status == "delivered"


async def test_a_success_recorded_late_keeps_the_first_delivery(
    db, settings, training_content, reporters, receiver, monkeypatch
) -> None:
    """Worker A sends, then stalls before recording; its lease runs out and worker B sends
    and records. When A finally records, its attempt is logged but the times B wrote stay."""
    await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
    _listing, referral = await refer(db, settings, training_content, reporters)
    clock = Clock()
    stalled = dispatcher(db, settings, clock, worker_id="stalled")
    late: list[Any] = []

    def stall(outcomes: list[Any]) -> None:
        late.extend(outcomes)
        raise RuntimeError("stalled before recording")

    monkeypatch.setattr(stalled, "record_batch", stall)
    monkeypatch.setattr(stalled, "record", lambda *args: None)
    await stalled.run_until_idle()
    clock.advance(seconds=settings.webhook_lease_seconds + 1)
    assert await dispatcher(db, settings, clock, worker_id="other").run_until_idle() == 1
    first = message_of(db, referral.id)
    first_referral = load(db, Referral, referral.id)
    assert first.status == "delivered" and first_referral.status == "delivered"

    clock.advance(minutes=5)
    Dispatcher.record_batch(stalled, late)

    message = message_of(db, referral.id)
    assert message.status == "delivered" and message.delivered_at == first.delivered_at
    stored = load(db, Referral, referral.id)
    assert (stored.sent_at, stored.delivered_at) == (first_referral.sent_at, first_referral.delivered_at)
    assert [(a.attempt_number, a.success) for a in attempts_of(db, message.id)] == [(1, True), (2, True)]


async def test_a_busy_endpoint_notes_its_success_once_a_minute_and_at_once_after_failures(
    db, settings, training_content, reporters
) -> None:
    with Receiver(answers=[(200, {}, b""), (200, {}, b""), (500, {}, b""), (200, {}, b"")]) as receiver:
        credentials = await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
        company_id = credentials.company.id
        clock = Clock()
        worker = dispatcher(db, settings, clock)
        await refer(db, settings, training_content, reporters)
        await worker.run_until_idle()
        first_success = clock.now
        assert load(db, Company, company_id).last_success_at == first_success

        clock.advance(seconds=20)
        await refer(db, settings, training_content, reporters)
        await worker.run_until_idle()
        assert load(db, Company, company_id).last_success_at == first_success  # not rewritten within a minute

        clock.advance(seconds=50)
        await refer(db, settings, training_content, reporters)
        await worker.run_until_idle()  # the 500
        failing = load(db, Company, company_id)
        assert failing.failing_since == clock.now and failing.last_success_at == first_success

        clock.advance(seconds=10)
        await worker.run_until_idle()  # its retry, 5 s later, succeeds
        recovered = load(db, Company, company_id)
        assert recovered.failing_since is None and recovered.last_success_at == clock.now


async def test_one_claim_fills_the_room_past_the_busiest_endpoints_messages(
    db, settings, training_content, reporters
) -> None:
    """The first 32 due messages are all for one endpoint, which has 2 places: the claim
    reads on past them and fills the others' places in the same transaction."""
    settings = settings.model_copy(update={"webhook_per_endpoint": 2, "webhook_concurrency": 8})
    with Receiver() as busy, Receiver() as quiet:
        await in_thread(make_company, db, settings, training_content, webhook_url=busy.url(), platforms=("etsy",))
        await in_thread(make_company, db, settings, training_content, webhook_url=quiet.url(), platforms=("ebay",))
        for _ in range(34):
            await refer(db, settings, training_content, reporters, domain="etsy.com", platform_id="etsy",
                        evidence_per_report=0)
        for _ in range(3):
            await refer(db, settings, training_content, reporters, evidence_per_report=0)
        claimed = await in_thread(dispatcher(db, settings).claim, 8, [])
    by_endpoint = sorted(message.url.rsplit("/", 1)[0] for message in claimed)
    assert by_endpoint == sorted([busy.url().rsplit("/", 1)[0]] * 2 + [quiet.url().rsplit("/", 1)[0]] * 2)


async def test_a_hanging_endpoint_never_delays_the_others(db, settings, training_content, reporters) -> None:
    settings = settings.model_copy(update={"webhook_per_endpoint": 2, "webhook_concurrency": 8})
    gate = threading.Event()
    with Receiver(gate=gate) as hanging, Receiver() as fast:
        await in_thread(make_company, db, settings, training_content, webhook_url=hanging.url(), platforms=("etsy",))
        await in_thread(make_company, db, settings, training_content, webhook_url=fast.url(), platforms=("ebay",))
        for _ in range(4):
            await refer(db, settings, training_content, reporters, domain="etsy.com", platform_id="etsy")
        for _ in range(6):
            await refer(db, settings, training_content, reporters)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(dispatcher(db, settings).run_until_idle)
            # Everything for the working endpoint goes out while the other one hangs...
            with anyio.fail_after(20):
                while len(fast.received) < 6 or len(hanging.received) < 2:
                    await anyio.sleep(0.02)
            await anyio.sleep(0.2)
            assert len(hanging.received) == 2  # ...and only two of its messages are held up (per endpoint)
            gate.set()
    assert len(hanging.received) == 4 and hanging.max_concurrent == 2
    assert fast.max_concurrent <= 2


async def test_graceful_shutdown_finishes_the_send_in_flight(
    db, settings, training_content, reporters
) -> None:
    with Receiver(delay=0.5) as receiver:
        await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
        _listing, referral = await refer(db, settings, training_content, reporters)
        worker = Dispatcher(db, settings)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(worker.run)
            while not receiver.received:
                await anyio.sleep(0.02)
            worker.stop()
    assert message_of(db, referral.id).status == "delivered"
    assert len(receiver.received) == 1


async def test_shutdown_releases_what_it_could_not_finish(db, settings, training_content, reporters) -> None:
    settings = settings.model_copy(update={"webhook_shutdown_seconds": 0.1})
    with Receiver(delay=1.0) as receiver:
        await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
        _listing, referral = await refer(db, settings, training_content, reporters)
        worker = Dispatcher(db, settings)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(worker.run)
            while not receiver.received:
                await anyio.sleep(0.02)
            worker.stop()
    message = message_of(db, referral.id)
    assert message.status == "pending" and message.lease_owner is None  # another worker takes it at once


async def test_the_background_loop_delivers_what_is_written_meanwhile(
    db, settings, training_content, reporters, receiver
) -> None:
    await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
    worker = Dispatcher(db, settings)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(worker.run)
        _listing, referral = await refer(db, settings, training_content, reporters)
        with anyio.fail_after(15):
            while message_of(db, referral.id).status != "delivered":
                await anyio.sleep(0.05)
        worker.stop()
    assert len(receiver.received) == 1


async def test_a_listing_reopened_before_delivery_is_not_sent_until_confirmed_again(
    db, settings, training_content, reporters, receiver
) -> None:
    await in_thread(make_company, db, settings, training_content, webhook_url=receiver.url())
    listing, referral = await refer(db, settings, training_content, reporters)
    with db.transaction() as session:
        session.get(Listing, listing.id).status = "pending"  # an admin re-opened it

    assert await dispatcher(db, settings).run_until_idle() == 0
    assert receiver.received == []
    first = message_of(db, referral.id)
    assert first.status == "cancelled" and load(db, Referral, referral.id).status == "withdrawn"

    with db.transaction() as session:
        again = session.get(Listing, listing.id)
        again.status = "confirmed"
        referrals.create_referral(session, listing=again, actor=None, settings=settings, content=training_content)
    assert await dispatcher(db, settings).run_until_idle() == 1
    assert load(db, Referral, referral.id).status == "delivered"
    assert receiver.ids() != [first.id] and len(receiver.received) == 1
