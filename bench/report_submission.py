"""Report submission through the real API, beside a ceiling measured in the same run.

    python bench/report_submission.py                    # SQLite
    python bench/report_submission.py --postgres         # and PostgreSQL
    python bench/report_submission.py --volunteers 32 --seconds 20 --workers 2

The app runs under uvicorn on 127.0.0.1 in a subprocess (bench/server.py, configured like
`cyberspotter serve`, with a fresh database under --workdir or cs_bench_submission).
--volunteers clients (httpx, async), each taking turns with its own certified volunteers'
tokens so that nobody passes the hourly report limit (left on), post reports as fast as
the answers come back: new listings on known platforms with a species, price and
title, and one in five a listing someone else already reported (the duplicate path).

The ceiling: the same clients post to `POST /bench/ceiling`, a bare endpoint of the same
app doing one INSERT in the same per-request transaction (no authentication, no logic).
Throughput is completed 2xx answers per second; latencies are per request. The endpoints
take turns (--rounds, 6 by default, sharing --seconds: 5 s each) so that a slower moment of a shared
machine falls on both; besides the ratio of the totals, the median of the rounds' ratios is
printed. Target: report submission at least half the ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from common import (
    SECRET,
    add_common_arguments,
    engines,
    fresh_database,
    machine,
    percentile,
    table,
)

from app.config import Settings
from app.db import make_database
from app.models import User, utcnow
from app.security import hash_password
from app.services.accounts import start_session

PASSWORD = "benchmark volunteers share this pass phrase"  # noqa: S105 (a benchmark database)
SPECIES = ("psittacus-erithacus", "loxodonta-africana", "manis-javanica", "panthera-tigris", "testudo-graeca")
DOMAINS = ("https://www.ebay.co.uk/itm/Item/{n}", "https://www.etsy.com/listing/{n}/carved-item",
           "https://www.facebook.com/marketplace/item/{n}/")
DUPLICATE_SHARE = 0.2


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    server_cpu: float | None = None  # CPU seconds the server processes spent in the timed part

    @property
    def cpu_ms_per_request(self) -> str:
        if self.server_cpu is None or not self.latencies:
            return "n/a"
        return f"{self.server_cpu / len(self.latencies) * 1000:.1f}"

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def add(self, other: Run) -> None:
        """Fold another round of the same endpoint into this one."""
        self.latencies += other.latencies
        for status, count in other.errors.items():
            self.errors[status] = self.errors.get(status, 0) + count
        self.seconds += other.seconds
        if other.server_cpu is not None:
            self.server_cpu = (self.server_cpu or 0.0) + other.server_cpu


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process and its children so far (Linux /proc; None elsewhere).

    Wall-clock figures move with whatever else the machine runs; CPU per request does not,
    and on one core it is what sets the ratio of two endpoints' throughputs.
    """
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        pending = [pid]
        while pending:
            current = pending.pop()
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending += [int(child) for child in children]
        return total
    except (OSError, ValueError, IndexError):
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, workdir: Path, workers: int) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
    port = free_port()
    env = {**os.environ, "CYBERSPOTTER_DATABASE_URL": url, "CYBERSPOTTER_SECRET_KEY": SECRET,
           "CYBERSPOTTER_DATA_DIR": str(workdir / "data"), "CYBERSPOTTER_ENV": "development",
           "CYBERSPOTTER_RUN_DISPATCHER": "false",
           "CYBERSPOTTER_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, str(Path(__file__).parent / "server.py"), "--port", str(port),
                               "--workers", str(workers)], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the benchmark server did not start")


def make_volunteers(url: str, clients: int, per_client: int) -> list[list[str]]:
    """`per_client` certified volunteers for each client, with a token each (as a login gives).

    Every volunteer stays under the hourly report limit (60), which is left on: each client
    takes turns with its volunteers, as many people on their phones would.
    """
    database = make_database(url)
    password_hash = hash_password(PASSWORD)
    settings = Settings(database_url=url, secret_key=SECRET)
    tokens: list[list[str]] = []
    try:
        with database.transaction() as session:
            for client in range(clients):
                users = [User(email=f"volunteer{client}.{index}@bench.example.org", display_name=f"V{client}.{index}",
                              password_hash=password_hash, certified_until=utcnow() + timedelta(days=365))
                         for index in range(per_client)]
                session.add_all(users)
                session.flush()
                tokens.append([start_session(session, user=user, kind="api", settings=settings).token
                               for user in users])
    finally:
        database.dispose()
    return tokens


class Listings:
    """New listing URLs, and already-reported ones to report again (by someone else)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.next = 2_000_000_000
        self.reported: list[tuple[str, str]] = []  # (url, the reporter's token)
        self.mine: dict[str, set[str]] = {}  # each volunteer's reported URLs, across rounds

    def pick(self, volunteer: str, mine: set[str]) -> str:
        if self.reported and self.rng.random() < DUPLICATE_SHARE:
            for url, reporter in reversed(self.reported[-50:]):
                if reporter != volunteer and url not in mine:
                    return url
        self.next += 1
        return self.rng.choice(DOMAINS).format(n=self.next)


async def volunteer_loop(client: httpx.AsyncClient, tokens: list[str], kind: str, listings: Listings, run: Run,
                         stop_at: float, rng: random.Random) -> None:
    reported = {token: listings.mine.setdefault(token, set()) for token in tokens}
    turn = 0
    while time.monotonic() < stop_at:
        token = tokens[turn % len(tokens)]
        turn += 1
        if kind == "ceiling":
            request = client.post("/bench/ceiling")
        else:
            url = listings.pick(token, reported[token])
            reported[token].add(url)
            request = client.post("/api/v1/reports", headers={"Authorization": f"Bearer {token}"}, json={
                "listing_url": url, "species_id": rng.choice(SPECIES), "confidence": "high",
                "live_animal": rng.random() < 0.5, "price": f"{rng.randint(20, 4000)}.00", "currency": "GBP",
                "country": "GB", "listing_title": "Carved netsuke, old bone", "notes": "Grain looks like ivory."})
        started = time.monotonic()
        response = await request
        elapsed = time.monotonic() - started
        if response.status_code in (200, 201):
            run.latencies.append(elapsed)
            if kind == "report":
                listings.reported.append((url, token))
        else:
            run.errors[response.status_code] = run.errors.get(response.status_code, 0) + 1


async def drive(base: str, tokens: list[list[str]], kind: str, seconds: float, warmup: float, server_pid: int,
                listings: Listings) -> Run:
    rng = listings.rng
    clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in tokens]
    try:
        if warmup:
            await asyncio.gather(*(volunteer_loop(client, mine, kind, listings, Run(), time.monotonic() + warmup, rng)
                                   for client, mine in zip(clients, tokens, strict=True)))
        run = Run()
        cpu_before = cpu_seconds(server_pid)
        started = time.monotonic()
        await asyncio.gather(*(volunteer_loop(client, mine, kind, listings, run, started + seconds, rng)
                               for client, mine in zip(clients, tokens, strict=True)))
        run.seconds = time.monotonic() - started
        cpu_after = cpu_seconds(server_pid)
        if cpu_before is not None and cpu_after is not None:
            run.server_cpu = cpu_after - cpu_before
    finally:
        for client in clients:
            await client.aclose()
    return run


def row(engine: str, label: str, run: Run) -> list[object]:
    errors = ", ".join(f"{status}: {count}" for status, count in sorted(run.errors.items())) or "none"
    return [engine, label, len(run.latencies), f"{run.throughput:.0f}",
            f"{percentile(run.latencies, 0.5) * 1000:.1f}", f"{percentile(run.latencies, 0.99) * 1000:.1f}",
            run.cpu_ms_per_request, errors]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--volunteers", type=int, default=16, help="concurrent volunteers (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=30, help="timed seconds per endpoint (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=6,
                        help="rounds the endpoints take turns in, sharing --seconds (default %(default)s)")
    parser.add_argument("--identities", type=int, default=25,
                        help="volunteers each client takes turns with, to stay under 60 reports an hour each "
                             "(default %(default)s)")
    parser.add_argument("--warmup", type=float, default=2, help="untimed seconds first (default %(default)s)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (PostgreSQL only; default 1)")
    args = parser.parse_args()
    print(f"Report submission, {args.volunteers} concurrent volunteers, {args.seconds:.0f} s per endpoint. "
          f"{machine()}", flush=True)
    rows, ratios = [], []
    for engine in engines(args):
        workers = args.workers if engine == "postgres" else 1
        url = fresh_database(engine, "submission", args.workdir)
        tokens = make_volunteers(url, args.volunteers, args.identities)
        server, base = start_server(url, args.workdir, workers)
        label = f"{engine} ({workers} worker{'s' if workers > 1 else ''})"
        ceiling, reports, paired = Run(), Run(), []
        listings = Listings(random.Random(7))  # kept across rounds: nobody reports one listing twice
        try:
            # The endpoints take turns, so that a slower moment of the machine falls on both.
            per_round = args.seconds / args.rounds
            for round_number in range(args.rounds):
                warmup = args.warmup if round_number == 0 else 0
                this_ceiling = asyncio.run(drive(base, tokens, "ceiling", per_round, warmup, server.pid, listings))
                this_report = asyncio.run(drive(base, tokens, "report", per_round, warmup, server.pid, listings))
                paired.append(this_report.throughput / this_ceiling.throughput if this_ceiling.throughput else 0.0)
                print(f"  {label} round {round_number + 1}: ceiling {this_ceiling.throughput:.0f}/s, "
                      f"reports {this_report.throughput:.0f}/s: {paired[-1]:.0%}", flush=True)
                ceiling.add(this_ceiling)
                reports.add(this_report)
        finally:
            server.terminate()
            server.wait(timeout=30)
        rows += [row(label, "ceiling: one INSERT", ceiling), row(label, "POST /api/v1/reports", reports)]
        ratios.append((label, reports.throughput / ceiling.throughput if ceiling.throughput else 0.0,
                       statistics.median(paired)))
        for line in rows[-2:]:
            print("  " + " | ".join(str(cell) for cell in line), flush=True)
    print()
    print(table(["engine", "endpoint", "requests", "per second", "p50 ms", "p99 ms", "server CPU ms/request",
                 "non-2xx"], rows))
    print()
    for label, ratio, paired in ratios:
        verdict = "meets" if ratio >= 0.5 else "MISSES"
        print(f"{label}: report submission runs at {ratio:.0%} of the ceiling ({verdict} the target of 50%); "
              f"median of the rounds' ratios {paired:.0%}.")


if __name__ == "__main__":
    main()
