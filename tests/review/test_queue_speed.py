"""The queue with many listings: the query plans use the queue indexes, and pages stay fast.

Prints the figures (run with -s). `REVIEW_BENCH_LISTINGS=1000000` seeds more; the default
(10,000) keeps the suite quick.
"""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta

from sqlalchemy import select, text

from app.models import Listing, ListingStatus, Report, utcnow
from app.models.listings import queue_rank
from app.services import review, review_queue
from app.services.listings import url_hash
from app.services.review_queue import QueueFilters
from tests.factories import auth_headers

COUNT = int(os.environ.get("REVIEW_BENCH_LISTINGS", "10000"))
STATUSES = [ListingStatus.pending] * 50 + [ListingStatus.in_review] * 2 + [ListingStatus.needs_info] * 3 + \
    [ListingStatus.confirmed] * 15 + [ListingStatus.rejected] * 25 + [ListingStatus.removed] * 5
PLATFORMS = ["ebay", "etsy", "facebook", "taobao", "instagram", None]
SPECIES = [("psittacus-erithacus", "bird", 1), ("loxodonta-africana", "mammal", 1),
           ("malayopython-reticulatus", "reptile", 2), ("hippopotamus-amphibius", "mammal", 2), (None, None, None)]


def _seed(db, reporter_id: int) -> None:  # type: ignore[no-untyped-def]
    chooser = random.Random(5)
    now = utcnow()
    with db.transaction() as session:
        for start in range(0, COUNT, 5000):
            rows = []
            for number in range(start, min(COUNT, start + 5000)):
                url = f"https://www.example.com/item/{number}"
                species, group, appendix = chooser.choice(SPECIES)
                priority = chooser.choice([0, 10, 20, 30, 40, 60, 80])
                reported = now - timedelta(minutes=chooser.randrange(0, 60 * 24 * 90))
                rows.append({
                    "url_hash": url_hash(url), "canonical_url": url, "host": "www.example.com",
                    "registrable_domain": "example.com", "platform_id": chooser.choice(PLATFORMS),
                    "status": chooser.choice(STATUSES), "species_id": species, "species_group": group,
                    "appendix_rank": appendix, "live_animal": chooser.random() < .4, "country": chooser.choice(["GB", "CN", "FR", None]),
                    "report_count": 1, "code_word_hit": chooser.random() < .05, "priority": priority,
                    "priority_reasons": "", "queue_rank": queue_rank(priority, reported), "first_reported_at": reported,
                    "last_reported_at": reported, "version": 1, "updated_at": reported,
                })
            session.execute(Listing.__table__.insert(), rows)  # type: ignore[attr-defined]  # Core: one executemany
        ids = list(session.execute(select(Listing.id, Listing.canonical_url, Listing.first_reported_at)))
        for start in range(0, len(ids), 5000):
            session.execute(Report.__table__.insert(), [  # type: ignore[attr-defined]
                {"listing_id": listing_id, "reporter_id": reporter_id if number % 2 else None, "original_url": url,
                 "confidence": "medium", "created_at": reported, "listing_title": f"Listing {listing_id}"}
                for number, (listing_id, url, reported) in enumerate(ids[start:start + 5000])
            ])
    with db.engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def _plan(db, statement) -> str:  # type: ignore[no-untyped-def]
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    with db.engine.connect() as connection:
        rows = connection.execute(text(prefix + str(compiled))).all()
    return "\n".join(str(row[-1]) for row in rows)


def _timed(function, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def test_queue_pages_use_the_indexes_and_stay_fast(client, db, training_content, expert, reporter) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    _seed(db, reporter.id)
    seeded_ms = (time.perf_counter() - started) * 1000
    now = utcnow()

    default = review_queue.queue_statement(QueueFilters(), viewer=expert, now=now).limit(51)
    one_status = review_queue.queue_statement(QueueFilters(statuses=("rejected",)), viewer=expert, now=now).limit(51)
    plans = {"default": _plan(db, default), "one status": _plan(db, one_status)}
    assert "ix_listings_open_queue" in plans["default"] or "ix_listings_status_queue" in plans["default"], plans
    assert "ix_listings_status_queue" in plans["one status"], plans
    if not db.is_sqlite:
        assert "ix_listings_open_queue" in plans["default"], plans  # PostgreSQL reads the partial index in order

    with db.session() as session:
        open_total = review_queue.count_open(session)
        deep_key = session.execute(
            review_queue.queue_statement(QueueFilters(), viewer=expert, now=now).offset(max(0, open_total - 60)).limit(1)
        ).scalars().one()
        deep_cursor = review_queue.encode_cursor(deep_key)

        def first_page() -> None:
            page = review_queue.queue_page(session, filters=QueueFilters(), viewer=expert, now=now)
            review.describe(session, page.items, content=training_content, now=now)

        def deep_page() -> None:
            page = review_queue.queue_page(session, filters=QueueFilters(), viewer=expert, now=now, cursor=deep_cursor)
            assert page.items
            review.describe(session, page.items, content=training_content, now=now)

        def filtered_page() -> None:
            filters = QueueFilters(platform="etsy", appendix=1, code_word=True)
            review_queue.queue_page(session, filters=filters, viewer=expert, now=now)

        service = {"first page": _timed(first_page), "deep page": _timed(deep_page),
                   "filtered page": _timed(filtered_page)}

    headers = auth_headers(client, expert)
    http = {
        "GET /api/v1/review/queue": _timed(lambda: client.get("/api/v1/review/queue", headers=headers), 3),
        "GET ... deep cursor": _timed(lambda: client.get(f"/api/v1/review/queue?cursor={deep_cursor}",
                                                         headers=headers), 3),
    }
    engine = "SQLite" if db.is_sqlite else "PostgreSQL"
    print(f"\nreview queue, {engine}, {COUNT:,} listings ({open_total:,} open), seeded in {seeded_ms:,.0f} ms")
    for name, plan in plans.items():
        print(f"  plan, {name}: {' | '.join(line.strip() for line in plan.splitlines())}")
    for name, ms in {**service, **http}.items():
        print(f"  {name:<28} {ms:8.1f} ms (best of several)")
    # Generous bounds: a failure means a lost index, not a slow machine.
    assert service["first page"] < 500 and service["deep page"] < 500, service
