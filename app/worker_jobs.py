"""Housekeeping next to the webhook dispatcher (in `cyberspotter worker`, and in `serve`
when it runs the dispatcher): every minute, expired review claims go back to the queue;
once a day, evidence retention and, on SQLite, fresh planner statistics.

Every job is idempotent, so several processes running them, or a restart running them
again, do no harm.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import anyio

from app.config import Settings
from app.db import Database
from app.models import utcnow
from app.services import claims, retention

log = logging.getLogger("cyberspotter.jobs")
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
FIRST_RUN_DELAY_SECONDS = 60.0  # let a freshly started worker settle (and deliver) first


def run_daily_jobs(database: Database, settings: Settings, *, now: datetime | None = None) -> dict[str, int]:
    """One round of the daily jobs; returns what each did."""
    now = now or utcnow()
    with database.transaction() as session:
        purged = retention.purge(session, settings=settings, now=now)
    if database.is_sqlite:
        # SQLite's planner only knows the data's shape after ANALYZE; without it the queue and the
        # figures may pick poor indexes as the tables grow. PostgreSQL's autovacuum does this itself.
        with database.write_engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    results = {"evidence_purged": purged.evidence, "evidence_files_deleted": purged.files_deleted}
    log.info(json.dumps({"event": "daily_jobs", **results}))
    return results


async def daily_jobs_loop(database: Database, settings: Settings, *, every: timedelta = DAY,
                          first_delay: float = FIRST_RUN_DELAY_SECONDS) -> None:
    """Run the daily jobs shortly after start, then every `every`, until cancelled.

    A failing round is logged and tried again at the next one: housekeeping must never stop
    the worker's deliveries.
    """
    await anyio.sleep(first_delay)
    while True:
        try:
            await anyio.to_thread.run_sync(run_daily_jobs, database, settings)
        except Exception:
            log.exception("daily jobs failed; trying again in %s", every)
        await anyio.sleep(every.total_seconds())


def run_frequent_jobs(database: Database) -> int:
    """Expired claims go back to the queue: an expert who left does not hold a listing for long."""
    with database.transaction() as session:
        return claims.release_expired_claims(session)


async def frequent_jobs_loop(database: Database, *, every: timedelta = MINUTE) -> None:
    while True:
        try:
            released = await anyio.to_thread.run_sync(run_frequent_jobs, database)
            if released:
                log.info(json.dumps({"event": "claims_released", "count": released}))
        except Exception:
            log.exception("frequent jobs failed; trying again in %s", every)
        await anyio.sleep(every.total_seconds())


async def housekeeping_loop(database: Database, settings: Settings) -> None:
    """Both loops, until cancelled."""
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(frequent_jobs_loop, database)
        tasks.start_soon(daily_jobs_loop, database, settings)
