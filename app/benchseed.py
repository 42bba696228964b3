"""Fill a database fast with a realistic programme's worth of listings, for benchmarks.

`cyberspotter seed-bench --listings N [--reports-per-listing K]` adds N listings (and about
K reports each, with their reporters) to whatever the database holds. It writes in bulk:
executemany of prepared rows on SQLite, COPY on PostgreSQL, a batch at a time, with ids
assigned here so that reports can point at their listings without a round trip.

The shape follows what the programme sees (seeded, so every run draws the same data):
- age: two years of reports, more of them recent (the programme grows);
- status: a recent listing is mostly still open, an old one mostly decided
  (confirmed, rejected, removed after a confirmation);
- platform: a few big platforms carry most listings, a long tail the rest, and one in
  twelve is on a site the catalogue does not know;
- species: a Zipf-like pick from the catalogue (a few species are most of the trade),
  one in ten reports "unknown";
- reports: mostly one per listing, a geometric tail of several independent reports;
- priority: the real formula (`app.services.priority.compute_priority`), stored with the
  queue's rank like the app does; needs-info listings have their question, half answered.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text

from app.db import Database
from app.models import ListingStatus, Role
from app.models.listings import queue_rank
from app.security import hash_password
from app.services.decisions import REJECT_REASONS
from app.services.priority import compute_priority, join_reasons

S = ListingStatus
BENCH_PASSWORD = "benchmark volunteers share this pass phrase"  # noqa: S105 (a benchmark database's users)
BENCH_EXPERT_EMAIL = "bench-expert@example.org"
BATCH_LISTINGS = 20_000
HISTORY_DAYS = 730
PLATFORM_WEIGHTS = {
    "facebook": 20, "ebay": 14, "taobao": 12, "xianyu": 8, "instagram": 8, "wechat": 6, "etsy": 5,
    "alibaba": 4, "aliexpress": 4, "weibo": 3, "kuaishou": 3, "tiktok": 3, "gumtree": 2, "leboncoin": 2,
    "kleinanzeigen": 2, "offerup": 2,
}
UNKNOWN_SITE_SHARE = 1 / 12
UNKNOWN_SPECIES_SHARE = 0.10
CODE_WORD_SHARE = 0.05
COUNTRIES = {"CN": 22, "US": 14, "VN": 9, "TH": 7, "ID": 7, "GB": 6, "DE": 5, "FR": 5, "NG": 4, "ZA": 3,
             "BR": 4, "MX": 3, "IN": 4, "MY": 3, "PH": 4}
CONFIDENCE = ("low", "medium", "medium", "high", "high")


@dataclass
class SeedResult:
    listings: int = 0
    reports: int = 0
    users: int = 0
    questions: int = 0
    answers: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)


class _Writer:
    """Bulk rows into one table: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, database: Database) -> None:
        self.sqlite = database.is_sqlite
        self.raw = database.engine.raw_connection()
        if self.sqlite:
            self.raw.driver_connection.execute("PRAGMA synchronous=OFF")

    def time(self, moment: datetime | None) -> Any:
        if moment is None or not self.sqlite:
            return moment
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as UTCDateTime stores it

    def flag(self, value: bool) -> Any:
        return int(value) if self.sqlite else value

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cursor = self.raw.cursor()
        try:
            if self.sqlite:
                marks = ", ".join("?" for _ in columns)
                # Table and column names are this module's constants, never input.
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608
            else:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        finally:
            cursor.close()

    def scalar(self, sql: str) -> Any:
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql)
            row = cursor.fetchone()
            return row[0] if row else None
        finally:
            cursor.close()

    def commit(self) -> None:
        self.raw.commit()

    def close(self) -> None:
        self.raw.close()


def _weighted(rng: random.Random, weights: dict[str, float]) -> Callable[[], str]:
    names = list(weights)
    cumulative = []
    total = 0.0
    for name in names:
        total += weights[name]
        cumulative.append(total)
    return lambda: rng.choices(names, cum_weights=cumulative)[0]


def _report_count(rng: random.Random, mean: float) -> int:
    """1 + a geometric tail, with the given mean (at least 1)."""
    if mean <= 1:
        return 1
    p = 1 / mean  # mean of 1 + Geometric(p) counting failures is 1/p
    return 1 + int(math.log(1 - rng.random()) / math.log(1 - p))


def _status(rng: random.Random, age_days: float) -> str:
    open_chance = 0.75 if age_days < 14 else (0.25 if age_days < 90 else 0.05)
    if rng.random() < open_chance:
        return rng.choices((S.pending, S.in_review, S.needs_info), weights=(85, 8, 7))[0]
    return rng.choices((S.confirmed, S.rejected, S.removed), weights=(40, 40, 20))[0]


def _next_id(writer: _Writer, table: str) -> int:
    return int(writer.scalar(f"SELECT COALESCE(MAX(id), 0) FROM {table}")) + 1  # noqa: S608 (a constant)


def _ensure_users(writer: _Writer, rng: random.Random, *, volunteers: int, now: datetime) -> tuple[list[int], int, int]:
    """A pool of certified volunteers, and the benchmark expert (created once)."""
    password_hash = hash_password(BENCH_PASSWORD)
    columns = ("id", "email", "display_name", "password_hash", "role", "certified_until", "blur_evidence",
               "leaderboard_opt_in", "created_at")
    first = _next_id(writer, "users")
    expert_id = writer.scalar(f"SELECT id FROM users WHERE email = '{BENCH_EXPERT_EMAIL}'")  # noqa: S608 (a constant)
    rows = []
    if expert_id is None:
        expert_id = first
        rows.append((first, BENCH_EXPERT_EMAIL, "Bench Expert", password_hash, Role.expert.value, None,
                     writer.flag(True), writer.flag(False), writer.time(now - timedelta(days=HISTORY_DAYS))))
        first += 1
    ids = list(range(first, first + volunteers))
    for user_id in ids:
        joined = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
        rows.append((user_id, f"bench-{user_id}@example.org", f"Volunteer {user_id}", password_hash,
                     Role.volunteer.value, writer.time(now + timedelta(days=365)), writer.flag(True),
                     writer.flag(rng.random() < 0.2), writer.time(joined)))
    writer.insert("users", columns, rows)
    return ids, int(expert_id), len(rows)


LISTING_COLUMNS = (
    "id", "url_hash", "canonical_url", "host", "registrable_domain", "platform_id", "external_id", "status",
    "species_id", "species_group", "appendix_rank", "live_animal", "country", "report_count", "code_word_hit",
    "priority", "priority_reasons", "queue_rank", "first_reported_at", "last_reported_at", "claimed_by_id",
    "claim_expires_at", "decided_by_id", "decided_at", "finding", "reject_reason", "confirmed_at", "removed_at",
    "closed_at", "version", "updated_at",
)
REPORT_COLUMNS = ("id", "listing_id", "reporter_id", "original_url", "species_id", "confidence", "live_animal",
                  "country", "listing_title", "created_at")


def seed(
    database: Database,
    content: Any,
    *,
    listings: int,
    reports_per_listing: float = 1.3,
    rng_seed: int = 2026,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Add `listings` listings with about `reports_per_listing` reports each. Returns the counts."""
    started = time.monotonic()
    now = now or datetime.now(UTC)
    rng = random.Random(rng_seed)
    writer = _Writer(database)
    result = SeedResult()
    try:
        max_reports = 12
        volunteers, expert_id, result.users = _ensure_users(
            writer, rng, volunteers=max(max_reports, min(20_000, listings // 50)), now=now)
        writer.commit()
        draw = _Drawer(rng, content, now=now, mean_reports=reports_per_listing, max_reports=max_reports)
        next_listing, next_report = _next_id(writer, "listings"), _next_id(writer, "reports")
        next_question, next_answer = _next_id(writer, "review_questions"), _next_id(writer, "review_answers")
        for done in range(0, listings, BATCH_LISTINGS):
            rows, reports, questions, answers = [], [], [], []
            for listing_id in range(next_listing, next_listing + min(BATCH_LISTINGS, listings - done)):
                row, row_reports = draw.listing(listing_id, volunteers=volunteers, expert_id=expert_id,
                                                first_report_id=next_report, writer=writer)
                next_report += len(row_reports)
                rows.append(row)
                reports += row_reports
                status = row[7]
                result.by_status[status] = result.by_status.get(status, 0) + 1
                if status == S.needs_info:
                    asked = now - timedelta(hours=rng.uniform(1, 72))
                    questions.append((next_question, listing_id, expert_id, "Is there a permit in the photos?",
                                      writer.time(asked)))
                    if rng.random() < 0.5:
                        answers.append((next_answer, next_question, row_reports[0][0], "No permit is shown.",
                                        writer.time(asked + timedelta(hours=1))))
                        next_answer += 1
                    next_question += 1
            next_listing += len(rows)
            writer.insert("listings", LISTING_COLUMNS, rows)
            writer.insert("reports", REPORT_COLUMNS, reports)
            writer.insert("review_questions", ("id", "listing_id", "asked_by_id", "text", "asked_at"), questions)
            writer.insert("review_answers", ("id", "question_id", "report_id", "text", "answered_at"), answers)
            writer.commit()
            result.listings += len(rows)
            result.reports += len(reports)
            result.questions += len(questions)
            result.answers += len(answers)
            if progress:
                progress(f"{result.listings:,} listings, {result.reports:,} reports "
                         f"({time.monotonic() - started:.0f} s)")
    finally:
        writer.close()
    _after_bulk_load(database)
    result.seconds = time.monotonic() - started
    return result


def _after_bulk_load(database: Database) -> None:
    """Sequences past the ids we chose (PostgreSQL), and fresh planner statistics (both)."""
    with database.engine.begin() as connection:
        if not database.is_sqlite:
            for table in ("users", "listings", "reports", "review_questions", "review_answers"):
                sequence = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"  # noqa: S608,E501 (constants)
                connection.execute(text(sequence))
    with database.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text("ANALYZE"))


class _Drawer:
    """Draws one listing and its reports at a time."""

    def __init__(self, rng: random.Random, content: Any, *, now: datetime, mean_reports: float,
                 max_reports: int) -> None:
        self.rng = rng
        self.now = now
        self.mean_reports = mean_reports
        self.max_reports = max_reports
        catalogue = content.platforms.platforms
        by_id = {platform.id: platform for platform in catalogue}
        weights = {platform.id: float(PLATFORM_WEIGHTS.get(platform.id, 0.5)) for platform in catalogue}
        self.platform_id = _weighted(rng, weights)
        self.platforms = by_id
        species = list(content.species)
        rng.shuffle(species)
        self.species = species
        self.species_cumulative = list(_cumulative(1 / (rank + 1) for rank in range(len(species))))
        self.reject_reasons = tuple(code for code in REJECT_REASONS if code != "other")  # "other" needs a note
        self.country = _weighted(rng, {code: float(weight) for code, weight in COUNTRIES.items()})

    def _age_days(self) -> float:
        # More reports recently: the density grows linearly over the two years.
        return HISTORY_DAYS * (1 - math.sqrt(self.rng.random()))

    def listing(self, listing_id: int, *, volunteers: list[int], expert_id: int, first_report_id: int,
                writer: _Writer) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        rng = self.rng
        if rng.random() < UNKNOWN_SITE_SHARE:
            platform_id, domain = None, f"shop{rng.randrange(5000)}.example"
        else:
            platform_id = self.platform_id()
            domains = self.platforms[platform_id].domains
            domain = domains[0] if domains else f"{platform_id}.example"
        url = f"https://{domain}/item/{listing_id}"
        species = None if rng.random() < UNKNOWN_SPECIES_SHARE else rng.choices(
            self.species, cum_weights=self.species_cumulative)[0]
        first = self.now - timedelta(days=self._age_days())
        status = _status(rng, (self.now - first).total_seconds() / 86_400)
        count = min(self.max_reports, _report_count(rng, self.mean_reports))
        live = bool(species and species.live_trade and rng.random() < 0.6)
        code_word = rng.random() < CODE_WORD_SHARE
        country = self.country()
        appendix = species.appendix_rank if species else None
        subject = SimpleNamespace(appendix_rank=appendix, live_animal=live, report_count=count,
                                  code_word_hit=code_word)
        priority, reasons = compute_priority(subject, reporter_track_records=(), now=self.now)

        reporters = rng.sample(volunteers, count)
        times = sorted(first + timedelta(hours=rng.uniform(0, 96)) if index else first for index in range(count))
        last = min(times[-1], self.now)
        reports = [
            (first_report_id + index, listing_id, reporter, url + "?utm_source=share",
             species.id if species else None, rng.choice(CONFIDENCE), writer.flag(live), country,
             f"Listing {listing_id}", writer.time(min(moment, self.now)))
            for index, (reporter, moment) in enumerate(zip(reporters, times, strict=True))
        ]

        decided = status in (S.confirmed, S.rejected, S.removed)
        decided_at = min(self.now, last + timedelta(hours=rng.uniform(2, 240))) if decided else None
        removed_at = min(self.now, decided_at + timedelta(days=rng.uniform(1, 10))) \
            if status == S.removed and decided_at else None
        claimed = status == S.in_review
        row = (
            listing_id, hashlib.sha256(url.encode()).hexdigest(), url, domain, domain, platform_id,
            str(listing_id), status, species.id if species else None, species.group if species else None,
            appendix, writer.flag(live), country, count, writer.flag(code_word), priority, join_reasons(reasons),
            queue_rank(priority, first), writer.time(first), writer.time(last),
            expert_id if claimed else None, writer.time(self.now + timedelta(minutes=20)) if claimed else None,
            expert_id if decided else None, writer.time(decided_at),
            "Offered without CITES permit." if status in (S.confirmed, S.removed) else None,
            rng.choice(self.reject_reasons) if status == S.rejected else None,
            writer.time(decided_at) if status in (S.confirmed, S.removed) else None,
            writer.time(removed_at),
            writer.time(decided_at),  # closed when decided; a removal keeps the first closing
            1, writer.time(removed_at or decided_at or last),
        )
        return row, reports


def _cumulative(values: Iterator[float] | Any) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total
