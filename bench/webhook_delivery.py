"""Webhook deliveries per second through the real dispatcher, beside raw httpx POSTs.

    python bench/webhook_delivery.py                     # SQLite, 2000 messages, 5 rounds
    python bench/webhook_delivery.py --postgres --messages 5000 --rounds 3

A fresh database gets listings (`app.benchseed`), eight companies on the busiest platforms
whose endpoints are a fast local receiver (bench/receiver.py, its own process), and a
`referral.created` outbox message for confirmed listings on their platforms, written by
`referrals.create_referral` as an expert's decision would: the same number for each
company, so that the per-endpoint limit (4 requests at once, 8 companies) lets the
dispatcher run the same 32 requests at once as raw httpx's 32 senders. With `--uneven`
the messages fall as the seeded platforms do (the busiest company gets a quarter of
them); the last ones then go to one company, four at a time, as the limit intends. Then:

- dispatcher: `Dispatcher.run_until_idle()` with the default settings (32 sends at once,
  4 per endpoint): claims with leases, signs, sends through the SSRF-safe transport
  (connections kept alive per company, never lent to another's request), records every
  attempt;
- raw httpx: the same bodies POSTed to the same receiver by 32 httpx.AsyncClients at once,
  once with keep-alive (httpx's default) and once with a new connection each time.

Beside each rate: the sender's CPU time per message (this process, all its threads; the
receiver and the database server are other processes).

Target: the dispatcher at least half as fast as raw httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from common import add_common_arguments, bench_settings, engines, fresh_database, machine, table
from sqlalchemy import delete, func, select, text, update

from app.benchseed import seed
from app.db import make_database
from app.main import load_training_content
from app.models import DeliveryAttempt, Listing, ListingStatus, OutboxMessage, Referral, utcnow
from app.services import companies, referrals
from app.webhooks.dispatcher import Dispatcher, encode_body

PLATFORMS = ("facebook", "ebay", "taobao", "xianyu", "instagram", "wechat", "etsy", "alibaba")
CONCURRENCY = 32


def start_receiver() -> tuple[subprocess.Popen, int]:  # type: ignore[type-arg]
    receiver = subprocess.Popen([sys.executable, str(Path(__file__).parent / "receiver.py")],
                                stdout=subprocess.PIPE, text=True)
    assert receiver.stdout is not None
    return receiver, int(receiver.stdout.readline())


def prepare(engine: str, args: argparse.Namespace, content, port: int):  # type: ignore[no-untyped-def]
    url = fresh_database(engine, "webhooks", args.workdir)
    settings = bench_settings(url, args.workdir, webhook_allow_private_targets=True, webhook_allow_http=True)
    database = make_database(url)
    # Seeded listings fall on platforms with a long tail: an even spread needs more of them.
    seed(database, content, listings=args.messages * (4 if args.uneven else 12), reports_per_listing=1.3)
    with database.transaction() as session:
        for platform in PLATFORMS:
            companies.create_company(session, name=f"{platform} takedowns", platforms=[platform],
                                     webhook_url=f"http://127.0.0.1:{port}/hooks/{platform}", actor=None,
                                     settings=settings, content=content)
    confirmed = select(Listing).where(Listing.status == ListingStatus.confirmed).order_by(Listing.id)
    with database.transaction() as session:
        if args.uneven:
            listings = list(session.execute(confirmed.where(Listing.platform_id.in_(PLATFORMS))
                                            .limit(args.messages)).scalars())
        else:
            per_company = args.messages // len(PLATFORMS)
            listings = []
            for platform in PLATFORMS:
                found = list(session.execute(confirmed.where(Listing.platform_id == platform).limit(per_company))
                             .scalars())
                assert len(found) == per_company, f"only {len(found)} confirmed listings on {platform}"
                listings += found
            listings.sort(key=lambda listing: listing.id)  # written in the order experts confirmed them
        for listing in listings:
            referrals.create_referral(session, listing=listing, actor=None, settings=settings, content=content)
    with database.session() as session:
        bodies = [(message.company_id, encode_body(message.payload)) for message in
                  session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]
    return database, settings, bodies


async def raw_httpx(port: int, bodies: list[tuple[int, bytes]], keep_alive: bool) -> tuple[float, float]:
    """Seconds to POST every body with 32 senders, each its own httpx.AsyncClient (one shared
    client's connection pool is the slower way to run 32 requests at once).

    The clients are made before the clock starts: each loads the CA bundle (about 20 ms), a
    cost paid once per process, not per delivery; the dispatcher's own start-up is timed."""
    pending = list(reversed(bodies))
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1 if keep_alive else 0)
    clients = [httpx.AsyncClient(limits=limits, timeout=15) for _ in range(CONCURRENCY)]

    async def sender(client: httpx.AsyncClient) -> None:
        while pending:
            company_id, body = pending.pop()
            response = await client.post(f"http://127.0.0.1:{port}/hooks/{company_id}", content=body,
                                         headers={"content-type": "application/json"})
            assert response.status_code == 204

    try:
        started, cpu = time.monotonic(), time.process_time()
        await asyncio.gather(*(sender(client) for client in clients))
        return time.monotonic() - started, time.process_time() - cpu
    finally:
        for client in clients:
            await client.aclose()


def received(port: int) -> int:
    return int(httpx.get(f"http://127.0.0.1:{port}/count").text)


def reset(database) -> None:  # type: ignore[no-untyped-def]
    """Every message due again, as if just written: the next round delivers the same set.

    On PostgreSQL the tables are then vacuumed. Each reset leaves a dead version of every
    message and referral behind (and the rounds before it theirs), which new messages never
    have: without the vacuum, each round's claims would read past more dead rows than the
    last, and the first round past those the seeding left."""
    with database.transaction() as session:
        session.execute(delete(DeliveryAttempt))
        session.execute(update(OutboxMessage).values(status="pending", attempt_count=0, next_attempt_at=utcnow(),
                                                     lease_owner=None, lease_expires_at=None, delivered_at=None))
        session.execute(update(Referral).values(status="pending", sent_at=None, delivered_at=None))
    if not database.is_sqlite:
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE outbox_messages, referrals, delivery_attempts, companies"))


def deliver(database, settings, port: int, count: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """One dispatcher round: seconds and CPU seconds to deliver (and log) every message."""
    reset(database)
    before = received(port)
    started, cpu = time.monotonic(), time.process_time()
    attempts = asyncio.run(Dispatcher(database, settings).run_until_idle(max_rounds=100_000))
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    assert received(port) - before == count == attempts, (received(port) - before, count, attempts)
    with database.session() as session:
        delivered = session.execute(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.status == "delivered")).scalar_one()
        logged = session.execute(select(func.count()).select_from(DeliveryAttempt)).scalar_one()
    assert delivered == logged == count, (delivered, logged, count)
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--messages", type=int, default=2000, help="messages to deliver (default %(default)s)")
    parser.add_argument("--uneven", action="store_true",
                        help="messages spread over the companies as the seeded platforms fall (the busiest gets a "
                             "quarter), instead of evenly")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds of the three senders, taking turns; medians are reported (default %(default)s)")
    args = parser.parse_args()
    content = load_training_content(bench_settings("sqlite://", args.workdir))
    print(f"Webhook deliveries to a local receiver, {CONCURRENCY} at a time, median of {args.rounds} rounds. "
          f"{machine()}", flush=True)
    senders = ("dispatcher (signed, logged, kept alive per company)", "raw httpx, new connection each",
               "raw httpx, keep-alive")
    rows, ratios = [], []
    for engine in engines(args):
        receiver, port = start_receiver()
        runs: dict[str, list[tuple[float, float]]] = {label: [] for label in senders}
        try:
            database, settings, bodies = prepare(engine, args, content, port)
            count = len(bodies)
            # The senders take turns, so that a slower moment of a shared machine falls on all of them.
            for _round in range(args.rounds):
                runs[senders[0]].append(deliver(database, settings, port, count))
                runs[senders[1]].append(asyncio.run(raw_httpx(port, bodies, keep_alive=False)))
                runs[senders[2]].append(asyncio.run(raw_httpx(port, bodies, keep_alive=True)))
            database.dispose()
        finally:
            receiver.terminate()
            receiver.wait(timeout=10)
        rates = {}
        for label in senders:
            seconds = statistics.median(run[0] for run in runs[label])
            cpu = statistics.median(run[1] for run in runs[label])
            spread = sorted(count / run[0] for run in runs[label])
            rates[label] = count / seconds
            rows.append([engine, label, count, f"{seconds:.2f}", f"{count / seconds:.0f}",
                         f"{spread[0]:.0f}-{spread[-1]:.0f}", f"{cpu / count * 1000:.2f}"])
            print("  " + " | ".join(str(cell) for cell in rows[-1]), flush=True)
        # Each round's dispatcher against the raw keep-alive run right after it.
        paired = statistics.median(raw[0] / mine[0] for mine, raw in zip(runs[senders[0]], runs[senders[2]], strict=True))
        ratios.append((engine, rates[senders[0]] / rates[senders[1]], rates[senders[0]] / rates[senders[2]], paired))
    print()
    print(table(["engine", "sender", "messages", "median seconds", "per second", "range per second",
                 "sender CPU ms/message"], rows))
    print()
    for engine, fresh, kept, paired in ratios:
        verdict = "meets" if kept >= 0.5 else "MISSES"
        print(f"{engine}: the dispatcher delivers at {kept:.0%} of raw httpx with keep-alive ({verdict} the target "
              f"of 50%), {fresh:.0%} of raw httpx opening a connection per request (medians); median of the "
              f"rounds' own ratios to keep-alive {paired:.0%}.")


if __name__ == "__main__":
    main()
