"""The review queue's first page and a deep page at 10k, 100k and 1M listings.

    python bench/review_queue.py                          # SQLite, 10k / 100k / 1M
    python bench/review_queue.py --postgres               # and PostgreSQL
    python bench/review_queue.py --sizes 10000 --requests 30

For each engine and size a database is seeded once (`app.benchseed`, the same code as
`cyberspotter seed-bench`) and kept under --workdir (or as cs_bench_queue_<size> on
PostgreSQL) for the next run; `--reseed` starts again. Then, as the benchmark expert:

- endpoint: `GET /api/v1/review/queue` through the whole app in process (auth, SQL, the
  reports of each listing, JSON), 50 listings a page;
- SQL: `review_queue.queue_page` alone (the keyset query the endpoint runs first).

Wall-clock latency moves with whatever else the machine runs; the endpoint's CPU time
(the app runs in this process) does not, and is printed beside it.

Pages: the first page of the default queue (open listings, most urgent first), a deep
page (the keyset cursor 90% of the way down the open queue), and the first page filtered
by a platform, CITES Appendix I and a species group. Target: p95 under 50 ms at 1M listings.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from types import SimpleNamespace

from common import (
    add_common_arguments,
    bench_settings,
    engines,
    existing_database,
    fresh_database,
    machine,
    percentile,
    table,
)
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.benchseed import BENCH_EXPERT_EMAIL, BENCH_PASSWORD, seed
from app.db import make_database
from app.main import create_app, load_training_content
from app.migrate import upgrade
from app.models import Listing, User
from app.services import review_queue

PAGE = 50
TARGET_P95_MS = 50.0


def seeded(engine: str, size: int, args: argparse.Namespace, content) -> str:  # type: ignore[no-untyped-def]
    name = f"queue_{size}"
    url = None if args.reseed else existing_database(engine, name, args.workdir)
    if url is not None:
        upgrade(url)  # a database seeded before the latest migration gets its new indexes
        database = make_database(url)
        try:
            with database.session() as session:
                if session.execute(select(func.count()).select_from(Listing)).scalar_one() == size:
                    return url
        finally:
            database.dispose()
    url = fresh_database(engine, name, args.workdir)
    database = make_database(url)
    try:
        result = seed(database, content, listings=size, reports_per_listing=1.3)
    finally:
        database.dispose()
    print(f"  seeded {engine} with {result.listings:,} listings and {result.reports:,} reports "
          f"in {result.seconds:.0f} s", flush=True)
    return url


def timed(fn: Callable[[], object], requests: int, warmup: int = 5) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each call. The app runs in this process (the test client's
    thread), so CPU time is the work of the request itself, whatever else the machine runs."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return wall, cpu


def deep_cursor(session, viewer: User) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """The keyset cursor 90% of the way down the default queue, and how many listings it has."""
    statement = review_queue.queue_statement(review_queue.QueueFilters(), viewer=viewer, now=review_queue.utcnow())
    total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
    rank, listing_id = session.execute(
        statement.with_only_columns(Listing.queue_rank, Listing.id).offset(int(total * 0.9)).limit(1)
    ).one()
    return review_queue.encode_cursor(SimpleNamespace(queue_rank=rank, id=listing_id)), total  # type: ignore[arg-type]


def measure(engine: str, size: int, url: str, args: argparse.Namespace, content) -> list[list[object]]:  # type: ignore[no-untyped-def]
    app = create_app(bench_settings(url, args.workdir), content=content)
    rows: list[list[object]] = []
    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", data={"username": BENCH_EXPERT_EMAIL, "password": BENCH_PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        with app.state.db.session() as session:
            viewer = session.execute(select(User).where(User.email == BENCH_EXPERT_EMAIL)).scalars().one()
            cursor, open_total = deep_cursor(session, viewer)
            pages = {
                "first page": ({}, review_queue.QueueFilters(), None),
                "deep page (90%)": ({"cursor": cursor}, review_queue.QueueFilters(), cursor),
                "first page, platform=ebay": ({"platform": "ebay"}, review_queue.QueueFilters(platform="ebay"), None),
                "first page, appendix=I": ({"appendix": "1"}, review_queue.QueueFilters(appendix=1), None),
                "first page, group=bird": ({"group": "bird"}, review_queue.QueueFilters(group="bird"), None),
            }
            for label, (params, filters, page_cursor) in pages.items():
                def call_endpoint(params=params):  # type: ignore[no-untyped-def]
                    response = client.get("/api/v1/review/queue", params={"limit": PAGE, **params}, headers=headers)
                    assert response.status_code == 200, response.text
                    assert len(response.json()["items"]) == PAGE

                def call_sql(filters=filters, page_cursor=page_cursor):  # type: ignore[no-untyped-def]
                    review_queue.queue_page(session, filters=filters, viewer=viewer, limit=PAGE, cursor=page_cursor)
                    session.rollback()

                endpoint, endpoint_cpu = timed(call_endpoint, args.requests)
                query, _ = timed(call_sql, args.requests)
                p95 = percentile(endpoint, 0.95) * 1000
                rows.append([engine, f"{size:,}", f"{open_total:,}", label,
                             f"{percentile(endpoint, 0.5) * 1000:.1f}", f"{p95:.1f}",
                             f"{percentile(endpoint_cpu, 0.95) * 1000:.1f}",
                             f"{percentile(query, 0.5) * 1000:.1f}", f"{percentile(query, 0.95) * 1000:.1f}",
                             "yes" if p95 < TARGET_P95_MS else "NO"])
                print("  " + " | ".join(str(cell) for cell in rows[-1]), flush=True)
    app.state.db.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="listing counts, comma-separated")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page (default %(default)s)")
    parser.add_argument("--reseed", action="store_true", help="seed again even if a database of that size exists")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"Review queue pages ({PAGE} listings each), {args.requests} requests per page. {machine()}")
    content = load_training_content(bench_settings("sqlite://", args.workdir))
    rows = []
    for engine in engines(args):
        for size in sizes:
            print(f"{engine}, {size:,} listings:", flush=True)
            url = seeded(engine, size, args, content)
            rows += measure(engine, size, url, args, content)
    print()
    print(table(["engine", "listings", "in the queue", "page", "endpoint p50 ms", "endpoint p95 ms",
                 "endpoint CPU p95 ms", "SQL p50 ms", "SQL p95 ms", "p95 < 50 ms"], rows))


if __name__ == "__main__":
    main()
