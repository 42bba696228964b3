"""CSV exports of listings and referrals, streamed: a million rows never sit in memory.

`stream_csv` opens its own database session *inside* the generator (the request's
transaction has ended by the time a streaming response is sent), reads with `yield_per`
(a server-side cursor on PostgreSQL; SQLite's cursor is lazy anyway) and yields one
encoded chunk per batch of rows.

What is in them: the listing, the experts' decision and the company's answer. Nothing about
the volunteers who reported (no e-mail, name or reporter id) nor about who decided.

CSV injection: a cell a spreadsheet would read as a formula (starting with = + - @, a tab
or a carriage return) is prefixed with a single quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, select, true
from sqlalchemy.sql.elements import ColumnElement

from app.db import Database
from app.errors import Invalid
from app.i18n import _
from app.models import Company, Listing, ListingStatus, Referral
from app.services.review_queue import facet_conditions
from app.services.stats_period import parse_moment, start_of

BATCH_ROWS = 1000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ALL_STATUSES = tuple(status.value for status in ListingStatus)
APPENDIX_BY_NAME = {"I": 1, "II": 2, "III": 3, "1": 1, "2": 2, "3": 3}
APPENDIX_NAMES = {1: "I", 2: "II", 3: "III"}
GROUPS = ("mammal", "bird", "reptile", "amphibian", "fish", "invertebrate", "plant")


@dataclass(frozen=True)
class ExportFilters:
    """The review queue's filters; an empty filter exports everything (every status)."""

    statuses: tuple[str, ...] = ()
    platform: str | None = None
    species_id: str | None = None
    group: str | None = None
    appendix: int | None = None
    country: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def describe(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in (None, ())}


def parse_filters(
    *,
    status: str | None = None,
    platform: str | None = None,
    species: str | None = None,
    group: str | None = None,
    appendix: str | None = None,
    country: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> ExportFilters:
    """Filters from query-string values; Invalid (naming the field) for a value that cannot be one."""
    statuses: list[str] = []
    for name in (status or "").split(","):
        name = name.strip().lower()
        if not name or name == "all":
            continue
        if name not in ALL_STATUSES:
            raise Invalid(_("Unknown status “%(status)s”; use one of: %(statuses)s.", status=name[:40],
                            statuses=", ".join(ALL_STATUSES)), field="status")
        if name not in statuses:
            statuses.append(name)
    group = (group or "").strip().lower() or None
    if group and group not in GROUPS:
        raise Invalid(_("Unknown species group “%(group)s”; use one of: %(groups)s.", group=group[:40],
                        groups=", ".join(GROUPS)), field="group")
    appendix_rank = None
    if appendix and appendix.strip():
        appendix_rank = APPENDIX_BY_NAME.get(appendix.strip().upper())
        if appendix_rank is None:
            raise Invalid(_("The CITES appendix must be I, II or III."), field="appendix")
    country = (country or "").strip().upper() or None
    if country and (len(country) != 2 or not country.isalpha()):
        raise Invalid(_("The country must be a two-letter code such as FR or CN."), field="country")
    start, end = parse_moment(since, field="since"), parse_moment(until, field="until")
    return ExportFilters(
        statuses=tuple(statuses),
        platform=(platform or "").strip().lower() or None,
        species_id=(species or "").strip().lower() or None,
        group=group,
        appendix=appendix_rank,
        country=country,
        since=_start(start),
        until=_end(end),
    )


def _start(value: date | datetime | None) -> datetime | None:
    return start_of(value) if isinstance(value, date) and not isinstance(value, datetime) else value


def _end(value: date | datetime | None) -> datetime | None:
    # A plain date as the end includes that whole day.
    return start_of(value + timedelta(days=1)) if isinstance(value, date) and not isinstance(value, datetime) else value


def listing_conditions(filters: ExportFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.statuses:
        conditions.append(Listing.status.in_(filters.statuses))
    conditions += facet_conditions(platform=filters.platform, species_id=filters.species_id, group=filters.group,
                                   appendix=filters.appendix, country=filters.country)
    return conditions


def _period(column: Any, filters: ExportFilters) -> list[ColumnElement[bool]]:
    conditions = []
    if filters.since:
        conditions.append(column >= filters.since)
    if filters.until:
        conditions.append(column < filters.until)
    return conditions


@dataclass(frozen=True)
class CsvExport:
    """What to select and how each selected row becomes a CSV line."""

    name: str
    header: Sequence[str]
    statement: Select  # type: ignore[type-arg]
    to_row: Callable[[Mapping[str, Any]], Sequence[Any]]


LISTING_HEADER = (
    "listing_id", "canonical_url", "platform_id", "platform", "status", "species_id", "species_scientific_name",
    "species_group", "cites_appendix", "live_animal", "country", "report_count", "priority", "code_word_hit",
    "first_reported_at", "last_reported_at", "decided_at", "confirmed_at", "removed_at", "closed_at",
    "reject_reason", "finding", "referral_id", "company", "referral_status", "referral_sent_at", "outcome",
    "acted_at",
)
REFERRAL_HEADER = (
    "referral_id", "listing_id", "listing_url", "platform_id", "platform", "company", "referral_status",
    "created_at", "sent_at", "delivered_at", "outcome", "outcome_note", "acted_at", "outcome_received_at",
    "hours_to_outcome", "listing_status", "species_id", "species_scientific_name", "species_group",
    "cites_appendix", "live_animal", "country", "confirmed_at", "removed_at",
)


def listings_export(filters: ExportFilters, *, platform_names: Mapping[str, str],
                    species_names: Mapping[str, str]) -> CsvExport:
    statement = (
        select(
            Listing.id, Listing.canonical_url, Listing.platform_id, Listing.status, Listing.species_id,
            Listing.species_group, Listing.appendix_rank, Listing.live_animal, Listing.country,
            Listing.report_count, Listing.priority, Listing.code_word_hit, Listing.first_reported_at,
            Listing.last_reported_at, Listing.decided_at, Listing.confirmed_at, Listing.removed_at,
            Listing.closed_at, Listing.reject_reason, Listing.finding,
            Referral.id.label("referral_id"), Company.name.label("company"), Referral.status.label("referral_status"),
            Referral.sent_at, Referral.outcome, Referral.acted_at,
        )
        .outerjoin(Referral, Referral.listing_id == Listing.id)
        .outerjoin(Company, Company.id == Referral.company_id)
        .where(*listing_conditions(filters), *_period(Listing.first_reported_at, filters))
        .order_by(Listing.id)
    )

    def to_row(row: Mapping[str, Any]) -> Sequence[Any]:
        return (
            row["id"], row["canonical_url"], row["platform_id"], platform_names.get(row["platform_id"] or "", ""),
            row["status"], row["species_id"], species_names.get(row["species_id"] or "", ""), row["species_group"],
            APPENDIX_NAMES.get(row["appendix_rank"], ""), row["live_animal"], row["country"], row["report_count"],
            row["priority"], row["code_word_hit"], row["first_reported_at"], row["last_reported_at"],
            row["decided_at"], row["confirmed_at"], row["removed_at"], row["closed_at"], row["reject_reason"],
            row["finding"], row["referral_id"], row["company"], row["referral_status"], row["sent_at"],
            row["outcome"], row["acted_at"],
        )

    return CsvExport(name="listings", header=LISTING_HEADER, statement=statement, to_row=to_row)


def referrals_export(filters: ExportFilters, *, platform_names: Mapping[str, str],
                     species_names: Mapping[str, str]) -> CsvExport:
    statement = (
        select(
            Referral.id, Referral.listing_id, Listing.canonical_url, Listing.platform_id,
            Company.name.label("company"), Referral.status, Referral.created_at, Referral.sent_at,
            Referral.delivered_at, Referral.outcome, Referral.outcome_note, Referral.acted_at,
            Referral.outcome_received_at, Listing.status.label("listing_status"), Listing.species_id,
            Listing.species_group, Listing.appendix_rank, Listing.live_animal, Listing.country,
            Listing.confirmed_at, Listing.removed_at,
        )
        .join(Listing, Listing.id == Referral.listing_id)
        .outerjoin(Company, Company.id == Referral.company_id)
        .where(and_(true(), *listing_conditions(filters), *_period(Referral.created_at, filters)))
        .order_by(Referral.id)
    )

    def to_row(row: Mapping[str, Any]) -> Sequence[Any]:
        answered = row["outcome_received_at"]
        hours = round((answered - row["created_at"]).total_seconds() / 3600, 1) if answered else None
        return (
            row["id"], row["listing_id"], row["canonical_url"], row["platform_id"],
            platform_names.get(row["platform_id"] or "", ""), row["company"], row["status"], row["created_at"],
            row["sent_at"], row["delivered_at"], row["outcome"], row["outcome_note"], row["acted_at"], answered,
            hours, row["listing_status"], row["species_id"], species_names.get(row["species_id"] or "", ""),
            row["species_group"], APPENDIX_NAMES.get(row["appendix_rank"], ""), row["live_animal"],
            row["country"], row["confirmed_at"], row["removed_at"],
        )

    return CsvExport(name="referrals", header=REFERRAL_HEADER, statement=statement, to_row=to_row)


def cell(value: Any) -> str | int | float:
    """One CSV cell: ISO 8601 UTC times, true/false, empty for none, and no formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_line(values: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([cell(value) for value in values])
    return buffer.getvalue()


def stream_csv(database: Database, export: CsvExport, *, batch_rows: int = BATCH_ROWS,
               byte_order_mark: bool = False) -> Iterator[bytes]:
    """The export as CSV chunks of `batch_rows` rows, read through its own session."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if byte_order_mark:  # lets spreadsheet programs recognise UTF-8 (species names in Chinese ...)
        buffer.write("\ufeff")
    writer.writerow(export.header)
    yield buffer.getvalue().encode("utf-8")
    with database.session() as session:
        result = session.execute(export.statement.execution_options(yield_per=batch_rows))
        for partition in result.mappings().partitions():
            buffer.seek(0)
            buffer.truncate()
            writer.writerows([cell(value) for value in export.to_row(row)] for row in partition)
            yield buffer.getvalue().encode("utf-8")
