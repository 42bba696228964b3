"""Reports: a volunteer's account of one listing, submitted, and read back by their reporter.

`submit` checks every field, applies the hourly limit, finds or creates the listing of
the canonical URL, attaches the report (a second report by the same volunteer is a
conflict that points to the first), stores the evidence and refreshes the listing's
aggregates and priority, all in the caller's transaction.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select
from sqlmodel import Session

from app.config import Settings
from app.errors import Conflict, Invalid, NotFound, RateLimited
from app.i18n import _, format_datetime
from app.models import Company, Evidence, Listing, Report, User, attach_written, column_values, utcnow
from app.schemas.reports import ReportCreate
from app.services import audit, evidence, first_report, listings, report_fields
from app.services.evidence import Upload
from app.services.urls import CanonicalURL, InvalidListingURL

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
LIMIT_WINDOW = timedelta(hours=1)  # settings.reports_per_hour counts the reports in this window


@dataclass(frozen=True, slots=True)
class ReportView:
    """A report with what its pages and the API show beside it."""

    report: Report
    listing: Listing
    duplicate: bool
    platform_name: str | None
    species_name: str | None
    evidence_count: int

    @property
    def status(self) -> str:
        return self.listing.status


@dataclass(frozen=True, slots=True)
class Submission:
    view: ReportView
    canonical: CanonicalURL
    evidence: list[Evidence]

    @property
    def report(self) -> Report:
        return self.view.report

    @property
    def duplicate(self) -> bool:
        return self.view.duplicate


def report_url(report_id: int) -> str:
    return f"/reports/{report_id}"


# --- Submitting --------------------------------------------------------------------------


def submit(
    session: Session,
    *,
    reporter: User,
    data: ReportCreate,
    uploads: Sequence[Upload] = (),
    content: object | None,
    settings: Settings,
    field_errors: dict[str, str] | None = None,
    now: datetime | None = None,
    standing: listings.ReporterStanding | None = None,
) -> Submission:
    """Record a report (and its pictures). Raises Invalid (all field errors in
    `extra["errors"]`), TooLarge, RateLimited or Conflict (already reported by this volunteer).
    `standing`: the reporter's, if the caller read it already (`reporters.for_token`)."""
    now = now or utcnow()
    errors = dict(field_errors or {})
    canonical = None
    try:
        canonical = listings.recognise(session, url=data.listing_url, content=content)
    except InvalidListingURL as problem:
        errors["listing_url"] = problem.message
    try:
        evidence.check_count(existing=0, adding=len(uploads), settings=settings)
    except Invalid as problem:
        errors.setdefault("evidence", problem.message)
    fields = report_fields.validate(data, content=content, errors=errors)
    assert canonical is not None  # validate raised otherwise

    if standing is None:
        standing = listings.reporter_standing(session, reporter_id=reporter.id, since=now - LIMIT_WINDOW)  # type: ignore[arg-type]
    check_rate_limit(standing, settings=settings, now=now)
    if uploads:
        # Refuse a second report before spending time on its pictures.
        _refuse_second_report(session, _own_report_by_url(session, canonical.canonical_url, reporter))
    images = evidence.prepare(uploads, settings=settings)

    report = Report(
        reporter_id=reporter.id,
        original_url=canonical.original_url,
        created_at=now,
        species_id=fields.species_id,
        species_guess=fields.species_guess,
        confidence=fields.confidence,
        live_animal=fields.live_animal,
        price=fields.price,
        currency=fields.currency,
        country=fields.country,
        seller_handle=fields.seller_handle,
        listing_title=fields.listing_title,
        listing_text=fields.listing_text,
        notes=fields.notes,
    )
    listing = listings.draft(session, canonical=canonical, now=now, first_report=report, content=content,
                             reporter_records=standing.records)
    if first_report.supported(session):
        created = first_report.write(session, listing=listing, report=report, reporter=reporter,
                                     evidence_count=len(images))
    else:
        created = listings.insert_new(session, listing)
        if created:
            _write_report(session, report=report, listing=listing, new_listing=True, reporter=reporter,
                          evidence_count=len(images))
    if not created:
        # From here the listing is locked: concurrent reports of it wait, and their counts add up.
        listing = listings.existing_locked(session, canonical)
        earlier = listings.reports_of(session, listing.id)  # type: ignore[arg-type]
        _refuse_second_report(session, next((r for r in earlier if r.reporter_id == reporter.id), None))
        _write_report(session, report=report, listing=listing, new_listing=False, reporter=reporter,
                      evidence_count=len(images))
        # Its other reports are by others (a second one by this volunteer was refused above).
        listings.refresh_aggregates(session, listing=listing, content=content, now=now, reports=[*earlier, report])
    stored = evidence.store(session, report=report, images=images, settings=settings, now=now)
    view = ReportView(
        report=report,
        listing=listing,
        duplicate=not created,
        platform_name=canonical.platform_name,
        species_name=species_name(content, report.species_id),
        evidence_count=len(stored),
    )
    return Submission(view=view, canonical=canonical, evidence=stored)


def _write_report(session: Session, *, report: Report, listing: Listing, new_listing: bool, reporter: User,
                  evidence_count: int) -> None:
    """The report of a listing written, and its audit line (as `first_report.write` does both)."""
    report.listing_id = listing.id  # type: ignore[assignment]
    # One prebuilt INSERT, not a flush of the unit of work (several times the statement's cost).
    report.id = session.connection().execute(_INSERT_REPORT, column_values(report)).scalar_one()
    attach_written(session, report)
    audit.record(
        session,
        action=first_report.ACTION,
        entity_type="report",
        entity_id=report.id,  # type: ignore[arg-type]
        actor=reporter,
        after={"listing_id": listing.id, "new_listing": new_listing, "evidence": evidence_count},
    )


_INSERT_REPORT = insert(Report.__table__).returning(Report.__table__.c.id)  # type: ignore[attr-defined]

def check_rate_limit(standing: listings.ReporterStanding, *, settings: Settings, now: datetime) -> None:
    """At most `settings.reports_per_hour` reports in any hour (`standing` counted those of the
    last hour); RateLimited says when to try again."""
    count, oldest = standing.recent, standing.oldest_recent
    if count < settings.reports_per_hour:
        return
    retry_after = int(((oldest or now) + LIMIT_WINDOW - now).total_seconds()) + 1
    raise RateLimited(
        _("You have sent %(n)s reports in the last hour, the most we take. Thank you! Please try again in "
          "%(minutes)s minutes.", n=count, minutes=max(1, round(retry_after / 60))),
        retry_after=retry_after,
    )


def _own_report_by_url(session: Session, canonical_url: str, reporter: User) -> Report | None:
    return session.execute(
        select(Report)
        .join(Listing, Listing.id == Report.listing_id)
        .where(Listing.url_hash == listings.url_hash(canonical_url), Report.reporter_id == reporter.id)
    ).scalars().first()


def _refuse_second_report(session: Session, first: Report | None) -> None:
    if first is None:
        return
    raise Conflict(
        _("You reported this listing already, on %(date)s. Open your first report to add pictures or answer "
          "questions.", date=format_datetime(first.created_at, "short")),
        code="already_reported",
        extra={"report_id": first.id, "report_url": report_url(first.id)},  # type: ignore[arg-type]
    )


# --- Reading back ------------------------------------------------------------------------


def species_name(content: object | None, species_id: str | None) -> str | None:
    """The species' name in the reader's language, with its scientific name."""
    if not species_id:
        return None
    from app.i18n import get_locale

    species = (getattr(content, "species_by_id", {}) or {}).get(species_id)
    if species is None:
        return species_id
    common = species.display_name(get_locale())
    return common if common == species.scientific_name else f"{common} ({species.scientific_name})"


def platform_name(session: Session, content: object | None, platform_id: str | None) -> str | None:
    if not platform_id:
        return None
    platform = listings.catalogue_of(content).get(platform_id)
    if platform is not None:
        return platform.name
    if platform_id.startswith("company-") and platform_id[8:].isdigit():
        company = session.get(Company, int(platform_id[8:]))
        if company is not None:
            return company.name
    return platform_id


def own_report(session: Session, *, report_id: int, reporter: User) -> Report:
    """The reporter's own report; NotFound for anyone else's (whoever asks)."""
    report = session.get(Report, report_id)
    if report is None or report.reporter_id is None or report.reporter_id != reporter.id:
        raise NotFound(_("There is no such report, or it is not yours."))
    return report


def view_of(session: Session, report: Report, *, content: object | None) -> ReportView:
    return _views(session, [report], content=content)[0]


def _views(session: Session, reports: Sequence[Report], *, content: object | None) -> list[ReportView]:
    if not reports:
        return []
    listing_ids = {report.listing_id for report in reports}
    report_ids = [report.id for report in reports]
    by_listing = {
        listing.id: listing
        for listing in session.execute(select(Listing).where(Listing.id.in_(listing_ids))).scalars()  # type: ignore[union-attr]
    }
    first_report = dict(
        session.execute(
            select(Report.listing_id, func.min(Report.id)).where(Report.listing_id.in_(listing_ids))  # type: ignore[attr-defined]
            .group_by(Report.listing_id)
        ).all()
    )
    evidence_counts = dict(
        session.execute(
            select(Evidence.report_id, func.count())
            .where(Evidence.report_id.in_(report_ids), Evidence.deleted_at.is_(None))  # type: ignore[attr-defined,union-attr]
            .group_by(Evidence.report_id)
        ).all()
    )
    names: dict[str | None, str | None] = {}
    views = []
    for report in reports:
        listing = by_listing[report.listing_id]
        if listing.platform_id not in names:
            names[listing.platform_id] = platform_name(session, content, listing.platform_id)
        views.append(
            ReportView(
                report=report,
                listing=listing,
                duplicate=first_report.get(report.listing_id) != report.id,
                platform_name=names[listing.platform_id],
                species_name=species_name(content, report.species_id),
                evidence_count=int(evidence_counts.get(report.id, 0)),
            )
        )
    return views


def encode_cursor(report: Report) -> str:
    raw = f"{report.created_at.isoformat()}|{report.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _sep, ident = raw.partition("|")
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid(_("This page link is not valid any more. Start again from the first page."),
                      field="cursor") from None


def page_size(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise Invalid(_("limit must be between 1 and %(max)s.", max=MAX_PAGE_SIZE), field="limit")
    return limit


def list_own(
    session: Session, *, reporter: User, content: object | None, limit: int = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
) -> tuple[list[ReportView], str | None]:
    """The reporter's reports, newest first, a page at a time (keyset: created_at, id)."""
    statement = select(Report).where(Report.reporter_id == reporter.id)
    if cursor:
        moment, ident = decode_cursor(cursor)
        statement = statement.where(
            or_(Report.created_at < moment, and_(Report.created_at == moment, Report.id < ident))  # type: ignore[arg-type,operator]
        )
    statement = statement.order_by(Report.created_at.desc(), Report.id.desc()).limit(limit + 1)  # type: ignore[attr-defined,union-attr]
    rows = list(session.execute(statement).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]) if more and rows else None
    return _views(session, rows, content=content), next_cursor
