"""What experts see of a listing: its reports, evidence, species guesses, claim and priority.

The queue, the listing page and the JSON API all read listings through `describe`, which
loads everything a page of listings needs in a fixed number of queries (reports,
evidence, people), whatever the page size. The other review services: `review_queue`
(which listings, in what order), `claims` (who works on one), `decisions` (what becomes
of it), `review_history` (what happened to it) and `code_words`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from app.errors import NotFound
from app.i18n import _
from app.models import Evidence, Listing, ListingStatus, Report, ReviewAnswer, ReviewQuestion, User, utcnow
from app.models.listings import AGE_SECONDS_PER_POINT
from app.services import priority
from app.services import reports as report_service
from app.services.review_priority import track_records_by_reporter

REPEAT_SELLER_LIMIT = 20


@dataclass
class ReportView:
    report: Report
    reporter: User | None
    evidence: list[Evidence]
    species_label: str | None
    track_record: priority.TrackRecord | None = None
    answers: list[ReviewAnswer] = field(default_factory=list)


@dataclass
class Guess:
    species_id: str | None
    label: str
    count: int


@dataclass
class ListingView:
    listing: Listing
    platform_name: str
    species_label: str | None
    reports: list[ReportView]
    guesses: list[Guess]
    agreement: str | None  # "agree", "disagree", or None with fewer than two named guesses
    holder: User | None  # whoever holds an unexpired claim
    claim_expired: bool
    priority: int  # stored priority plus the points of age
    reasons: list[str]
    age_seconds: int
    thumbnail: Evidence | None

    @property
    def id(self) -> int:
        return self.listing.id  # type: ignore[return-value]

    @property
    def evidence(self) -> list[Evidence]:
        return [item for report in self.reports for item in report.evidence]

    @property
    def title(self) -> str | None:
        """The listing's title as the first reporter who gave one copied it."""
        return next((view.report.listing_title for view in self.reports if view.report.listing_title), None)


def evidence_url(evidence_id: int, *, thumbnail: bool = False) -> str:
    """The page-side address of a stored screenshot (served by the reporting routes)."""
    return f"/evidence/{evidence_id}" + ("?size=thumb" if thumbnail else "")


def age_points(first_reported_at: datetime, now: datetime) -> int:
    return max(0, int((now - first_reported_at).total_seconds()) // AGE_SECONDS_PER_POINT)


def current_priority(listing: Listing, now: datetime) -> tuple[int, list[str]]:
    """The priority the queue sorts by at `now` (see `Listing.queue_rank`) and its reasons in words."""
    days = age_points(listing.first_reported_at, now)
    stored = ",".join(code for code in (listing.priority_reasons or "").split(",") if not code.startswith("age_days:"))
    codes = stored + (f",age_days:{days}" if days else "")
    return listing.priority + days, priority.describe_reasons(codes.strip(","))


def load_listing(session: Session, listing_id: int) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound(_("There is no listing %(id)s.", id=listing_id))
    return listing


def active_holder_id(listing: Listing, now: datetime) -> int | None:
    """Who holds the listing's claim now; None when nobody does or the claim ran out."""
    if listing.claimed_by_id is None or listing.claim_expires_at is None or listing.claim_expires_at <= now:
        return None
    return listing.claimed_by_id


def describe(
    session: Session,
    listings: Sequence[Listing],
    *,
    content: object | None,
    now: datetime | None = None,
    with_answers: bool = False,
    with_track_records: bool = False,
) -> list[ListingView]:
    """Views of `listings`, in their order, with a constant number of queries."""
    now = now or utcnow()
    ids = [listing.id for listing in listings]
    if not ids:
        return []
    reports = list(
        session.execute(select(Report).where(Report.listing_id.in_(ids)).order_by(Report.created_at, Report.id))  # type: ignore[attr-defined]
        .scalars()
    )
    report_ids = [report.id for report in reports]
    evidence_by_report: dict[int, list[Evidence]] = defaultdict(list)
    if report_ids:
        for item in session.execute(
            select(Evidence)
            .where(Evidence.report_id.in_(report_ids), Evidence.deleted_at.is_(None))  # type: ignore[attr-defined,union-attr]
            .order_by(Evidence.id)
        ).scalars():
            evidence_by_report[item.report_id].append(item)
    people = _people(
        session,
        [report.reporter_id for report in reports] + [listing.claimed_by_id for listing in listings],
    )
    answers_by_report: dict[int, list[ReviewAnswer]] = defaultdict(list)
    if with_answers and report_ids:
        for answer in session.execute(
            select(ReviewAnswer).where(ReviewAnswer.report_id.in_(report_ids)).order_by(ReviewAnswer.id)  # type: ignore[attr-defined]
        ).scalars():
            answers_by_report[answer.report_id].append(answer)
    records = (track_records_by_reporter(session, sorted({r.reporter_id for r in reports if r.reporter_id}))  # type: ignore[misc]
               if with_track_records else {})

    views_by_listing: dict[int, list[ReportView]] = defaultdict(list)
    for report in reports:
        views_by_listing[report.listing_id].append(
            ReportView(
                report=report,
                reporter=people.get(report.reporter_id) if report.reporter_id else None,
                evidence=evidence_by_report.get(report.id, []),  # type: ignore[arg-type]
                species_label=report_service.species_name(content, report.species_id) or report.species_guess,
                track_record=records.get(report.reporter_id) if report.reporter_id else None,
                answers=answers_by_report.get(report.id, []),  # type: ignore[arg-type]
            )
        )
    return [_view(session, listing, views_by_listing.get(listing.id, []), people, content, now)  # type: ignore[arg-type]
            for listing in listings]


def _view(
    session: Session,
    listing: Listing,
    reports: list[ReportView],
    people: dict[int, User],
    content: object | None,
    now: datetime,
) -> ListingView:
    guesses, agreement = species_guesses(reports, content)
    holder_id = active_holder_id(listing, now)
    score, reasons = current_priority(listing, now)
    thumbnail = next((item for report in reports for item in report.evidence), None)
    return ListingView(
        listing=listing,
        platform_name=report_service.platform_name(session, content, listing.platform_id) or listing.registrable_domain,
        species_label=report_service.species_name(content, listing.species_id),
        reports=reports,
        guesses=guesses,
        agreement=agreement,
        holder=people.get(holder_id) if holder_id else None,
        claim_expired=listing.claimed_by_id is not None and holder_id is None,
        priority=score,
        reasons=reasons,
        age_seconds=max(0, int((now - listing.first_reported_at).total_seconds())),
        thumbnail=thumbnail,
    )


def species_guesses(reports: Sequence[ReportView], content: object | None) -> tuple[list[Guess], str | None]:
    """The reporters' guesses, most frequent first, and whether those who named a species agree."""
    counts: Counter[tuple[str | None, str]] = Counter()
    for view in reports:
        report = view.report
        if report.species_id:
            counts[(report.species_id, view.species_label or report.species_id)] += 1
        elif report.species_guess:
            counts[(None, report.species_guess)] += 1
        else:
            counts[(None, _("not sure"))] += 1
    guesses = [Guess(species_id=key[0], label=key[1], count=n) for key, n in counts.most_common()]
    named = [guess for guess in guesses if guess.species_id]
    named_reports = sum(guess.count for guess in named)
    if named_reports < 2:
        return guesses, None
    return guesses, "agree" if len(named) == 1 else "disagree"


def _people(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = sorted({person_id for person_id in ids if person_id is not None})
    if not wanted:
        return {}
    return {user.id: user for user in session.execute(select(User).where(User.id.in_(wanted))).scalars()}  # type: ignore[union-attr,misc]


def questions_of(session: Session, listing_id: int) -> list[ReviewQuestion]:
    return list(
        session.execute(
            select(ReviewQuestion).where(ReviewQuestion.listing_id == listing_id).order_by(ReviewQuestion.id)
        ).scalars()
    )


def seller_handle_variants(handle: str) -> list[str]:
    """Spellings of one handle that volunteers type ("@Shop", "shop", "Shop"), for an indexed IN."""
    bare = handle.strip().lstrip("@").strip()
    if not bare:
        return []
    variants = {bare, bare.lower(), bare.upper(), bare.capitalize()}
    return sorted(variants | {f"@{variant}" for variant in variants})


def repeat_sellers(session: Session, listing: Listing, *, limit: int = REPEAT_SELLER_LIMIT) -> list[tuple[Listing, str]]:
    """Other listings on the same platform whose reports name one of this listing's seller handles."""
    handles = {
        handle
        for handle in session.execute(
            select(Report.seller_handle).where(Report.listing_id == listing.id, Report.seller_handle.is_not(None))  # type: ignore[union-attr]
        ).scalars()
        if handle
    }
    variants = sorted({variant for handle in handles for variant in seller_handle_variants(handle)})
    if not variants:
        return []
    same_platform = (
        Listing.platform_id == listing.platform_id
        if listing.platform_id
        else Listing.registrable_domain == listing.registrable_domain
    )
    rows = session.execute(
        select(Listing, Report.seller_handle)
        .join(Report, Report.listing_id == Listing.id)
        .where(Report.seller_handle.in_(variants), Listing.id != listing.id, same_platform)  # type: ignore[union-attr]
        .order_by(Listing.id.desc())  # type: ignore[union-attr]
        .limit(limit * 3)
    )
    found: dict[int, tuple[Listing, str]] = {}
    for other, handle in rows:
        found.setdefault(other.id, (other, handle))  # type: ignore[arg-type]
    return list(found.values())[:limit]


def status_names() -> dict[str, str]:
    S = ListingStatus
    return {
        S.pending: _("Waiting"),
        S.in_review: _("In review"),
        S.needs_info: _("Needs information"),
        S.confirmed: _("Confirmed"),
        S.rejected: _("Rejected"),
        S.removed: _("Removed"),
    }
