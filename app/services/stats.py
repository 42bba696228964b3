"""The programme's figures: what was reported, confirmed, referred and removed, where and how fast.

Every figure counts **events in the period**: a listing confirmed on 2 March counts as
confirmed in March even if it was reported in February. So the figures of a period add
up across its weeks and across any breakdown, and two adjacent periods never count an
event twice.

* reports: reports created; listings: listings first reported (new cases);
* confirmed: listings confirmed (`confirmed_at`) that are still confirmed or removed;
* rejected: listings rejected (`decided_at`) that are still rejected;
* referred: referrals created for a company (a confirmed listing whose platform has no
  registered company counts as `no_recipient` instead);
* removed: listings the company reported removed (`removed_at`);
* open: listings first reported in the period that still wait for a decision.

Per company (`by_company`) the figures follow the referrals *sent in the period* and
what became of them, which is what a company is asked about.

Durations: report → decision is measured per listing, from its first report to the
expert's decision (`decided_at - first_reported_at`), over the listings decided in the
period: experts decide listings, not reports, and the first report is when the programme
first knew. Confirmation → removal is `removed_at - confirmed_at` over the listings
removed in the period.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from app.models import Company, Listing, ListingStatus, Referral, Report
from app.services.stats_period import Period
from app.services.stats_sql import (
    DurationSummary,
    as_date,
    duration_percentiles,
    period_start,
    seconds_between,
    unindexed,
)

S = ListingStatus
CONFIRMED_STATUSES = (S.confirmed.value, S.removed.value)
OPEN_STATUSES = (S.pending.value, S.in_review.value, S.needs_info.value)
NO_RECIPIENT = "no_recipient"
METRICS = ("reports", "listings", "confirmed", "rejected", "referred", "removed")
APPENDIX_KEYS = {1: "I", 2: "II", 3: "III", None: "none"}
DIMENSIONS = ("platform", "group", "appendix", "country")
# Status narrows a time range; it must not steer SQLite to the status index (see `unindexed`).
listing_status = unindexed(Listing.status)


@dataclass
class Totals:
    reports: int = 0
    listings: int = 0
    confirmed: int = 0
    rejected: int = 0
    referred: int = 0
    removed: int = 0
    open: int = 0
    no_recipient: int = 0


@dataclass
class SeriesPoint:
    start: date
    reports: int = 0
    listings: int = 0
    confirmed: int = 0
    rejected: int = 0
    referred: int = 0
    removed: int = 0


@dataclass
class BreakdownRow:
    key: str | None  # None: not known (no platform recognised, no country given ...)
    label: str = ""
    reports: int = 0
    listings: int = 0
    confirmed: int = 0
    rejected: int = 0
    referred: int = 0
    removed: int = 0


@dataclass
class CompanyRow:
    company_id: int
    name: str
    referred: int = 0
    removed: int = 0
    not_removed: int = 0
    not_found: int = 0
    unanswered: int = 0


@dataclass
class UnansweredRow:
    company_id: int
    name: str
    count: int
    not_delivered: int
    oldest_sent_at: datetime


@dataclass
class Durations:
    report_to_decision: DurationSummary
    confirmation_to_removal: DurationSummary


@dataclass
class ProgrammeFigures:
    period: Period
    totals: Totals
    series: list[SeriesPoint]
    by_platform: list[BreakdownRow]
    by_company: list[CompanyRow]
    by_group: list[BreakdownRow]
    by_appendix: list[BreakdownRow]
    by_country: list[BreakdownRow]
    durations: Durations
    unanswered_referrals: list[UnansweredRow]
    unanswered_after_days: int
    confirmation_rate: float | None = field(default=None)


def within(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.since, column < period.until)


def programme_figures(session: Session, *, period: Period, now: datetime, unanswered_after_days: int = 7,
                      platform_names: Mapping[str, str] | None = None) -> ProgrammeFigures:
    """All the dashboard's figures for `period` (see the module doc for what each one counts)."""
    facts = _dimension_facts(session, period)
    totals = Totals(**{metric: sum(row[metric] for row in facts.values()) for metric in (*METRICS, "open")})
    totals.no_recipient = _no_recipient_count(session, period)
    breakdowns = {dimension: _breakdown(facts, index) for index, dimension in enumerate(DIMENSIONS)}
    names = platform_names or {}
    for row in breakdowns["platform"]:
        row.label = names.get(row.key, row.key) if row.key else ""
    decided = totals.confirmed + totals.rejected
    return ProgrammeFigures(
        period=period,
        totals=totals,
        series=_series(session, period),
        by_platform=breakdowns["platform"],
        by_company=_by_company(session, period),
        by_group=breakdowns["group"],
        by_appendix=sorted(breakdowns["appendix"], key=lambda row: ("I", "II", "III", "none").index(row.key or "none")),
        by_country=breakdowns["country"],
        durations=durations(session, period),
        unanswered_referrals=unanswered_referrals(session, period=period, now=now, after_days=unanswered_after_days),
        unanswered_after_days=unanswered_after_days,
        confirmation_rate=(totals.confirmed / decided) if decided else None,
    )


def _count_when(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _dimension_facts(session: Session, period: Period) -> dict[tuple[Any, ...], Counter[str]]:
    """Every metric per (platform, group, appendix, country): one grouped pass over each table.

    The combinations are few (tens of platforms x a few groups x countries), so the
    breakdowns and the totals are summed from these rows instead of scanning once per figure.
    """
    dims = (Listing.platform_id, Listing.species_group, Listing.appendix_rank, Listing.country)
    facts: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    listing_events = {
        "listings": within(Listing.first_reported_at, period),
        "confirmed": and_(within(Listing.confirmed_at, period), listing_status.in_(CONFIRMED_STATUSES)),
        "rejected": and_(within(Listing.decided_at, period), listing_status == S.rejected),
        "removed": and_(within(Listing.removed_at, period), listing_status == S.removed),
        "open": and_(within(Listing.first_reported_at, period), listing_status.in_(OPEN_STATUSES)),
    }
    statement = (
        select(*dims, *(_count_when(condition).label(name) for name, condition in listing_events.items()))
        .where(or_(*(within(column, period) for column in (Listing.first_reported_at, Listing.confirmed_at,
                                                           Listing.decided_at, Listing.removed_at))))
        .group_by(*dims)
    )
    for row in session.execute(statement).mappings():
        key = tuple(row[column.key] for column in dims)
        facts[key].update({name: int(row[name]) for name in listing_events})
    reports = (
        select(*dims, func.count(Report.id).label("n"))
        .join(Listing, Listing.id == Report.listing_id)
        .where(within(Report.created_at, period))
        .group_by(*dims)
    )
    for *key, count in session.execute(reports):
        facts[tuple(key)]["reports"] += int(count)
    referred = (
        select(*dims, func.count(Referral.id).label("n"))
        .join(Listing, Listing.id == Referral.listing_id)
        .where(within(Referral.created_at, period), _is_referred())
        .group_by(*dims)
    )
    for *key, count in session.execute(referred):
        facts[tuple(key)]["referred"] += int(count)
    return facts


def _is_referred() -> ColumnElement[bool]:
    return and_(Referral.company_id.is_not(None), Referral.status != NO_RECIPIENT)


def _no_recipient_count(session: Session, period: Period) -> int:
    statement = select(func.count(Referral.id)).where(
        within(Referral.created_at, period), or_(Referral.company_id.is_(None), Referral.status == NO_RECIPIENT)
    )
    return int(session.execute(statement).scalar_one())


def _breakdown(facts: Mapping[tuple[Any, ...], Counter[str]], index: int) -> list[BreakdownRow]:
    grouped: dict[Any, Counter[str]] = defaultdict(Counter)
    for key, counts in facts.items():
        grouped[key[index]].update(counts)
    rows = []
    for key, counts in grouped.items():
        if not any(counts[metric] for metric in METRICS):
            continue
        text_key = APPENDIX_KEYS.get(key, "none") if index == DIMENSIONS.index("appendix") else key
        rows.append(BreakdownRow(key=text_key, label=text_key or "", **{m: counts[m] for m in METRICS}))
    rows.sort(key=lambda row: (-row.reports, -row.listings, row.key or "~"))
    return rows


def _series(session: Session, period: Period) -> list[SeriesPoint]:
    points = {start: SeriesPoint(start=start) for start in period.buckets}
    events: Iterable[tuple[str, Any, tuple[ColumnElement[bool], ...]]] = (
        ("reports", Report.created_at, ()),
        ("listings", Listing.first_reported_at, ()),
        ("confirmed", Listing.confirmed_at, (listing_status.in_(CONFIRMED_STATUSES),)),
        ("rejected", Listing.decided_at, (listing_status == S.rejected,)),
        ("removed", Listing.removed_at, (listing_status == S.removed,)),
        ("referred", Referral.created_at, (_is_referred(),)),
    )
    for metric, column, conditions in events:
        bucket = period_start(column, period.interval).label("bucket")
        statement = select(bucket, func.count()).where(within(column, period), *conditions).group_by(bucket)
        for start, count in session.execute(statement):
            point = points.get(as_date(start))
            if point is not None:
                setattr(point, metric, int(count))
    return list(points.values())


def _by_company(session: Session, period: Period) -> list[CompanyRow]:
    statement = (
        select(
            Company.id,
            Company.name,
            func.count(Referral.id),
            _count_when(Referral.outcome == "removed"),
            _count_when(Referral.outcome == "not_removed"),
            _count_when(Referral.outcome == "not_found"),
            _count_when(Referral.outcome.is_(None)),
        )
        .join(Company, Company.id == Referral.company_id)
        .where(within(Referral.created_at, period), Referral.status != NO_RECIPIENT)
        .group_by(Company.id, Company.name)
    )
    rows = [
        CompanyRow(company_id=cid, name=name, referred=int(n), removed=int(removed), not_removed=int(kept),
                   not_found=int(gone), unanswered=int(silent))
        for cid, name, n, removed, kept, gone, silent in session.execute(statement)
    ]
    rows.sort(key=lambda row: (-row.referred, row.name.lower()))
    return rows


def durations(session: Session, period: Period) -> Durations:
    return Durations(
        report_to_decision=duration_percentiles(
            session,
            seconds=seconds_between(Listing.decided_at, Listing.first_reported_at),
            from_=Listing,
            where=[within(Listing.decided_at, period),
                   listing_status.in_((*CONFIRMED_STATUSES, S.rejected.value))],
        ),
        confirmation_to_removal=duration_percentiles(
            session,
            seconds=seconds_between(Listing.removed_at, Listing.confirmed_at),
            from_=Listing,
            where=[within(Listing.removed_at, period), listing_status == S.removed],
        ),
    )


def unanswered_referrals(session: Session, *, period: Period, now: datetime, after_days: int = 7) -> list[UnansweredRow]:
    """Referrals sent in the period that a company has still not answered `after_days` days later."""
    cutoff = now - timedelta(days=after_days)
    statement = (
        select(
            Company.id,
            Company.name,
            func.count(Referral.id),
            _count_when(Referral.delivered_at.is_(None)),
            func.min(Referral.created_at),
        )
        .join(Company, Company.id == Referral.company_id)
        .where(
            within(Referral.created_at, period),
            Referral.created_at <= cutoff,
            Referral.outcome.is_(None),
            Referral.status != NO_RECIPIENT,
        )
        .group_by(Company.id, Company.name)
    )
    rows = []
    for cid, name, count, undelivered, oldest in session.execute(statement):
        rows.append(UnansweredRow(company_id=cid, name=name, count=int(count), not_delivered=int(undelivered),
                                  oldest_sent_at=_aware(oldest)))
    rows.sort(key=lambda row: (-row.count, row.name.lower()))
    return rows


def _aware(value: Any) -> datetime:
    # min() keeps the column's UTC type; the fallback covers drivers that answer text.
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
