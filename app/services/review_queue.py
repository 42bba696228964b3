"""The expert queue: listings (not reports) to decide, most urgent first, a page at a time.

Order: `Listing.queue_rank` ascending, then id. The rank is priority with age folded in
(see `app.models.listings.queue_rank`): every waiting listing gains the same point per
day, so the order of two listings never changes with time and can be stored and indexed
instead of being recomputed periodically. It is "priority (age included) first, then
the oldest report first, then id".

Pagination is by keyset: the cursor is the last row's (queue_rank, id), base64-encoded,
and the next page starts strictly after it. Listings reported after a page was read
cannot shift the rows after the cursor, so paging never repeats or skips a listing.

Indexes (migration "review queue rank"): a partial index on (queue_rank, id) over the
open statuses reads the default queue in order; (status, queue_rank, id) serves any one
status. Selective filters (platform, species, country, ...) use their own indexes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, not_, or_, select, text, tuple_
from sqlmodel import Session

from app.errors import Invalid
from app.i18n import _
from app.models import Listing, ListingStatus, ReviewAnswer, ReviewQuestion, User, utcnow

S = ListingStatus
# What an expert may still decide; the partial index `ix_listings_open_queue` covers these.
OPEN_STATUSES: tuple[str, ...] = (S.pending, S.in_review, S.needs_info)
ALL_STATUSES: tuple[str, ...] = tuple(status.value for status in ListingStatus)
OPEN_CONDITION = text("listings.status IN ({})".format(", ".join(f"'{status}'" for status in OPEN_STATUSES)))
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_PREFIX = "q1."
COUNT_CAP = 10_000


@dataclass(frozen=True)
class QueueFilters:
    """What the expert asked to see. `statuses=None` is the default queue: pending, in review,
    and needs-info listings whose reporter has answered the latest question."""

    statuses: tuple[str, ...] | None = None
    platform: str | None = None
    species_id: str | None = None
    group: str | None = None
    appendix: int | None = None
    country: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    claimed_by_me: bool = False
    code_word: bool = False

    @property
    def is_default(self) -> bool:
        return self == QueueFilters()


@dataclass
class QueuePage:
    items: list[Listing]
    next_cursor: str | None
    filters: QueueFilters = field(default_factory=QueueFilters)


def parse_statuses(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """`"pending,in_review"`, a list of them, "open" (the default queue) or "all"; None for the default."""
    if value is None:
        return None
    parts = [value] if isinstance(value, str) else list(value)
    statuses: list[str] = []
    for part in parts:
        for name in part.split(","):
            name = name.strip().lower()
            if not name or name == "open":
                continue
            if name == "all":
                return ALL_STATUSES
            if name not in ALL_STATUSES:
                raise Invalid(
                    _("Unknown status %(status)s; use one of: %(statuses)s.", status=name,
                      statuses=", ".join(ALL_STATUSES)),
                    field="status",
                )
            if name not in statuses:
                statuses.append(name)
    return tuple(statuses) or None


def encode_cursor(listing: Listing) -> str:
    raw = json.dumps([listing.queue_rank, listing.id], separators=(",", ":")).encode()
    return CURSOR_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        if not cursor.startswith(CURSOR_PREFIX):
            raise ValueError(cursor)
        body = cursor[len(CURSOR_PREFIX):]
        rank, listing_id = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if not isinstance(rank, int) or not isinstance(listing_id, int):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise Invalid(_("This page link is not valid any more; start again from the first page."),
                      field="cursor") from None
    return rank, listing_id


def answered_since_asked():  # type: ignore[no-untyped-def]
    """SQL: the reporter answered the listing's latest question (a needs-info listing ready again)."""
    latest_question = (
        select(func.max(ReviewQuestion.id))
        .where(ReviewQuestion.listing_id == Listing.id)
        .correlate(Listing)
        .scalar_subquery()
    )
    return exists().where(ReviewAnswer.question_id == latest_question).correlate(Listing)


def status_condition(statuses: tuple[str, ...] | None):  # type: ignore[no-untyped-def]
    if statuses is None:
        # Literal values, as in the partial index's predicate: SQLite uses a partial index only
        # when the query repeats its condition, and a bound parameter is not a repetition.
        return and_(OPEN_CONDITION, or_(Listing.status != S.needs_info, answered_since_asked()))
    if len(statuses) == 1:
        return Listing.status == statuses[0]
    return Listing.status.in_(statuses)  # type: ignore[attr-defined]


def facet_conditions(
    *, platform: str | None, species_id: str | None, group: str | None, appendix: int | None, country: str | None
) -> list[Any]:
    """The queue's facet filters; the CSV exports filter with the same ones."""
    conditions: list[Any] = []
    if platform:
        conditions.append(Listing.platform_id == platform)
    if species_id:
        conditions.append(Listing.species_id == species_id)
    if group:
        conditions.append(Listing.species_group == group)
    if appendix:
        conditions.append(Listing.appendix_rank == appendix)
    if country:
        conditions.append(Listing.country == country.upper())
    return conditions


def queue_statement(filters: QueueFilters, *, viewer: User, now: datetime) -> Select:  # type: ignore[type-arg]
    conditions = [
        status_condition(filters.statuses),
        *facet_conditions(platform=filters.platform, species_id=filters.species_id, group=filters.group,
                          appendix=filters.appendix, country=filters.country),
    ]
    if filters.since:
        conditions.append(Listing.first_reported_at >= filters.since)
    if filters.until:
        conditions.append(Listing.first_reported_at < filters.until)
    if filters.claimed_by_me:
        conditions.append(Listing.claimed_by_id == viewer.id)
        conditions.append(Listing.claim_expires_at > now)  # type: ignore[operator]
    if filters.code_word:
        conditions.append(Listing.code_word_hit.is_(True))  # type: ignore[attr-defined]
    return select(Listing).where(*conditions).order_by(Listing.queue_rank, Listing.id)


def queue_page(
    session: Session,
    *,
    filters: QueueFilters,
    viewer: User,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the queue after `cursor` (None: the first page)."""
    now = now or utcnow()
    limit = max(1, min(MAX_LIMIT, limit))
    statement = queue_statement(filters, viewer=viewer, now=now)
    if cursor:
        rank, listing_id = decode_cursor(cursor)
        statement = statement.where(tuple_(Listing.queue_rank, Listing.id) > tuple_(rank, listing_id))
    rows = list(session.execute(statement.limit(limit + 1)).scalars())
    has_more = len(rows) > limit
    items = rows[:limit]
    return QueuePage(items=items, next_cursor=encode_cursor(items[-1]) if has_more else None, filters=filters)


def count_open(session: Session, *, cap: int = COUNT_CAP) -> int:
    """How many listings wait for a decision, counted up to `cap` (the headline figure of the queue;
    counting a million rows on every page view would cost more than the page itself)."""
    waiting = select(Listing.id).where(status_condition(None)).limit(cap).subquery()
    return int(session.execute(select(func.count()).select_from(waiting)).scalar_one())


def unclaimed_condition(now: datetime):  # type: ignore[no-untyped-def]
    return or_(Listing.claimed_by_id.is_(None), not_(Listing.claim_expires_at > now))  # type: ignore[union-attr,operator]


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def as_utc(value: datetime | None) -> datetime | None:
    """Times without a zone are taken as UTC (a date picker's midnight, an API client's bare time)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_day(value: str | None, *, field: str, end_of_day: bool = False) -> datetime | None:
    """A date picker's "YYYY-MM-DD" (or an ISO time) as UTC; `end_of_day` gives the next midnight,
    so that a period's last day is included."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise Invalid(_("Give the date as YYYY-MM-DD."), field=field) from None


def build_filters(
    *,
    status: str | Sequence[str] | None = None,
    platform: str | None = None,
    species_id: str | None = None,
    group: str | None = None,
    appendix: int | str | None = None,
    country: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    claimed_by_me: bool = False,
    code_word: bool = False,
) -> QueueFilters:
    """Filters from a query string or a form, checked; empty values mean "any"."""
    appendix_rank: int | None = None
    if appendix not in (None, ""):
        text_value = str(appendix).strip().upper()
        appendix_rank = {"1": 1, "2": 2, "3": 3, "I": 1, "II": 2, "III": 3}.get(text_value)
        if appendix_rank is None:
            raise Invalid(_("The CITES appendix is I, II or III (1, 2 or 3)."), field="appendix")
    country_code = _clean(country)
    if country_code is not None:
        country_code = country_code.upper()
        if len(country_code) != 2 or not country_code.isalpha():
            raise Invalid(_("The country is a two-letter code, such as GB or CN."), field="country")
    since, until = as_utc(since), as_utc(until)
    if since and until and until <= since:
        raise Invalid(_("The end of the period must come after its start."), field="until")
    return QueueFilters(
        statuses=parse_statuses(status if not isinstance(status, str) else (status or None)),
        platform=_clean(platform),
        species_id=_clean(species_id),
        group=_clean(group),
        appendix=appendix_rank,
        country=country_code,
        since=since,
        until=until,
        claimed_by_me=claimed_by_me,
        code_word=code_word,
    )
