"""Several workers on one PostgreSQL database never send one message at the same time."""

from __future__ import annotations

from collections import Counter

import anyio
import pytest

from app.db import make_database
from app.webhooks.dispatcher import Dispatcher
from tests.databases import ENGINE
from tests.referrals.factories import Receiver, make_company, make_confirmed_listing

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(ENGINE != "postgres", reason="SKIP LOCKED claiming needs PostgreSQL (one dispatcher on SQLite)"),
]


async def test_three_workers_share_the_work_and_never_send_one_message_twice_at_once(
    db, settings, training_content, reporters
) -> None:
    settings = settings.model_copy(update={"webhook_concurrency": 4, "webhook_per_endpoint": 4})
    with Receiver(delay=0.03) as receiver:
        await anyio.to_thread.run_sync(
            lambda: make_company(db, settings, training_content, webhook_url=receiver.url())
        )
        for _ in range(30):
            await anyio.to_thread.run_sync(
                lambda: make_confirmed_listing(db, settings, training_content, reporters=reporters,
                                               evidence_per_report=0)
            )
        # One engine per worker, as separate processes would have.
        databases = [make_database(settings.database_url) for _ in range(3)]
        workers = [Dispatcher(database, settings, worker_id=f"worker-{n}") for n, database in enumerate(databases)]
        try:
            async with anyio.create_task_group() as tasks:
                for worker in workers:
                    tasks.start_soon(worker.run_until_idle)
        finally:
            for database in databases:
                database.dispose()

    sent = Counter(receiver.ids())
    assert len(sent) == 30
    assert set(sent.values()) == {1}  # each message exactly once
    assert receiver.overlapping_ids == set()
    assert sum(worker.sent for worker in workers) == 30
    assert sum(1 for worker in workers if worker.sent) >= 2  # the work was shared
