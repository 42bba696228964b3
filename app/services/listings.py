"""Listings: one per canonical URL, found or created when reported, with the aggregates
of their reports kept up to date for the review queue.

Two volunteers may report a new listing at the same moment. The listing's URL hash is
unique, so the second insert does nothing (`ON CONFLICT DO NOTHING`, waiting for the first
to commit), and the second report attaches to the listing the first one created. Aggregates are recomputed
from all reports of the listing with the listing row locked (FOR UPDATE on PostgreSQL;
SQLite serialises writers anyway), so concurrent reports never lose a count.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session
from unidecode import unidecode

from app.content.platforms import Platform, PlatformCatalogue, bare_platform, normalise_domain
from app.models import (
    CodeWordProposal,
    Company,
    CompanyDomain,
    CompanyPlatform,
    Listing,
    ListingStatus,
    Report,
    attach_written,
    column_values,
)
from app.models.listings import queue_rank
from app.services import priority, reference_cache
from app.services.urls import CanonicalURL, InvalidListingURL, canonicalize, extract_url

# While these hold, the species is the reporters' leading guess; afterwards it is the expert's.
UNDECIDED = frozenset({ListingStatus.pending, ListingStatus.in_review, ListingStatus.needs_info})
CONFIRMED = frozenset({ListingStatus.confirmed, ListingStatus.removed})
DECIDED = CONFIRMED | {ListingStatus.rejected}
# Code words of these kinds describe how a listing looks, not words to search for.
UNSEARCHABLE_CODE_WORD_KINDS = frozenset({"listing pattern"})
MIN_CODE_WORD_LENGTH = 3

_EMPTY_CATALOGUE = PlatformCatalogue(platforms=())


def url_hash(canonical_url: str) -> str:
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()


def catalogue_of(content: object | None) -> PlatformCatalogue:
    catalogue = getattr(content, "platforms", None)
    return catalogue if isinstance(catalogue, PlatformCatalogue) else _EMPTY_CATALOGUE


# Statements run on every report are built once (building one costs about as much as running it).
_first_platform = (
    select(CompanyPlatform.company_id, func.min(CompanyPlatform.platform_id).label("platform_id"))
    .group_by(CompanyPlatform.company_id)
    .subquery()
)
_REGISTERED_DOMAINS = (
    select(CompanyDomain.domain, Company.id, Company.name, _first_platform.c.platform_id)
    .join(Company, Company.id == CompanyDomain.company_id)
    .outerjoin(_first_platform, _first_platform.c.company_id == Company.id)
)
_LOCKED_BY_URL_HASH = (
    select(Listing).where(Listing.url_hash == bindparam("url_hash")).with_for_update()
    .execution_options(populate_existing=True)
)
_TRACK_RECORDS = (
    select(Report.reporter_id, func.count(), func.sum(case((Listing.status.in_(tuple(CONFIRMED)), 1), else_=0)))  # type: ignore[attr-defined]
    .join(Listing, Listing.id == Report.listing_id)
    .where(Report.reporter_id.in_(bindparam("reporter_ids", expanding=True)), Listing.status.in_(tuple(DECIDED)))  # type: ignore[union-attr,attr-defined]
    .group_by(Report.reporter_id)
)
_TRACK_RECORDS_EXCLUDING = _TRACK_RECORDS.where(Report.listing_id != bindparam("exclude_listing_id"))
_RECENT = Report.created_at > bindparam("since")
# A reporter's standing, aggregated over their reports joined with the reports' listings
# (`standing_of` reads a row of these).
STANDING_COLUMNS = (
    func.count(case((_RECENT, 1))),
    func.min(case((_RECENT, Report.created_at))),
    func.count(case((Listing.status.in_(tuple(DECIDED)), 1))),  # type: ignore[attr-defined]
    func.count(case((Listing.status.in_(tuple(CONFIRMED)), 1))),  # type: ignore[attr-defined]
)
_REPORTER_STANDING = (
    select(*STANDING_COLUMNS)
    .join(Listing, Listing.id == Report.listing_id)
    .where(Report.reporter_id == bindparam("reporter_id"))
)
_REPORTS_OF = select(Report).where(Report.listing_id == bindparam("listing_id")).order_by(Report.id)  # type: ignore[arg-type]
_APPROVED_PROPOSAL_TERMS = select(CodeWordProposal.term).where(CodeWordProposal.status == "approved")


def registered_domains(session: Session) -> dict[str, str | Platform]:
    """Domains admins registered for companies, as `canonicalize(extra_domains=...)` takes them.

    A domain belongs to the company's platform from platforms.yaml when it has one, or
    else to a platform known only by the company ("company-<id>", named after it). Kept
    in memory for a short while (`app.services.reference_cache`).
    """
    return _registered_domains.get(session)


def _read_registered_domains(session: Session) -> dict[str, str | Platform]:
    rows = session.execute(_REGISTERED_DOMAINS)
    mapping: dict[str, str | Platform] = {}
    for domain, company_id, name, platform_id in rows:
        try:
            key = normalise_domain(domain)
        except ValueError:
            continue  # an admin typo must not stop volunteers from reporting
        mapping[key] = platform_id or bare_platform(f"company-{company_id}", name)
    return mapping


def recognise(session: Session, *, url: str, content: object | None) -> CanonicalURL:
    """Canonical form and platform of a listing URL; raises urls.InvalidListingURL."""
    return canonicalize(url, catalogue_of(content), extra_domains=registered_domains(session))


def recognise_shared(session: Session, *, text: str, content: object | None) -> CanonicalURL:
    """Like `recognise`, but `text` may also be shared text with the URL somewhere in it."""
    try:
        return recognise(session, url=text, content=content)
    except InvalidListingURL:
        found = extract_url(text or "")
        if not found or found == (text or "").strip():
            raise
        return recognise(session, url=found, content=content)


def find_by_url(session: Session, canonical_url: str) -> Listing | None:
    return session.execute(select(Listing).where(Listing.url_hash == url_hash(canonical_url))).scalars().first()


def locked_by_url(session: Session, canonical_url: str) -> Listing | None:
    """The listing of a canonical URL, read afresh and locked until the transaction ends."""
    return session.execute(_LOCKED_BY_URL_HASH, {"url_hash": url_hash(canonical_url)}).scalars().first()


def draft(
    session: Session,
    *,
    canonical: CanonicalURL,
    now: datetime,
    first_report: Report,
    content: object | None,
    reporter_records: list[priority.TrackRecord] | None = None,
) -> Listing:
    """A new listing of this canonical URL with `first_report` as its only report, its queue
    figures computed; not written."""
    listing = Listing(
        url_hash=url_hash(canonical.canonical_url),
        canonical_url=canonical.canonical_url,
        host=canonical.host,
        registrable_domain=canonical.registrable_domain,
        platform_id=canonical.platform_id,
        external_id=canonical.listing_id[:200] if canonical.listing_id else None,
        status=ListingStatus.pending,
        first_reported_at=now,
        last_reported_at=now,
        updated_at=now,
    )
    refresh_aggregates(session, listing=listing, content=content, now=now, reports=[first_report],
                       records=reporter_records, write=False)
    listing.queue_rank = queue_rank(listing.priority, listing.first_reported_at)
    return listing


def insert_new(session: Session, listing: Listing) -> bool:
    """Write a drafted listing unless its URL has one already (then False, nothing written).

    One INSERT that does nothing if the URL has a listing (or gets one meanwhile: that
    insert makes ours wait; `existing_locked` then reads it). Most reports are of a listing
    nobody reported before: they make one statement instead of a lookup that finds nothing
    and then the INSERT."""
    statement = _INSERT_NEW_LISTING[session.get_bind().dialect.name]
    listing.id = session.connection().execute(statement, column_values(listing)).scalar()
    if listing.id is None:
        return False
    attach_written(session, listing)
    return True


def existing_locked(session: Session, canonical: CanonicalURL) -> Listing:
    """The listing an insert found in place (see `insert_new`), read and locked."""
    existing = locked_by_url(session, canonical.canonical_url)
    if existing is None:
        raise RuntimeError(f"listing {canonical.canonical_url!r} neither inserted nor found")
    return existing


_INSERT_NEW_LISTING = {
    dialect: insert_for(Listing.__table__).on_conflict_do_nothing(index_elements=["url_hash"])  # type: ignore[attr-defined]
    .returning(Listing.__table__.c.id)  # type: ignore[attr-defined]
    for dialect, insert_for in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
}


def lock(session: Session, listing_id: int) -> Listing:
    """The listing, re-read and locked until the transaction ends."""
    statement = select(Listing).where(Listing.id == listing_id).with_for_update().execution_options(
        populate_existing=True
    )
    return session.execute(statement).scalars().one()


def reports_of(session: Session, listing_id: int) -> list[Report]:
    return list(session.execute(_REPORTS_OF, {"listing_id": listing_id}).scalars())


# --- Aggregates ------------------------------------------------------------------------


def refresh_aggregates(
    session: Session,
    *,
    listing: Listing,
    content: object | None,
    now: datetime,
    reports: list[Report] | None = None,
    records: list[priority.TrackRecord] | None = None,
    write: bool = True,
) -> Listing:
    """Recompute what the queue shows of a listing from all its reports, and its priority.

    `reports` may bring the listing's reports when the caller has them (all of them), and
    `records` their reporters' track records (as `track_records` gives them).
    `write=False` only sets the attributes (a listing not written yet).
    """
    # Read everything first: setting attributes between queries would flush the listing twice.
    if reports is None:
        reports = reports_of(session, listing.id)  # type: ignore[arg-type]
    matcher = code_word_matcher(session, content)
    if records is None:
        reporter_ids = {report.reporter_id for report in reports if report.reporter_id is not None}
        records = track_records(session, reporter_ids=reporter_ids, exclude_listing_id=listing.id)

    listing.report_count = len(reports)
    if reports:
        listing.last_reported_at = max(report.created_at for report in reports)
    species_by_id: Mapping[str, object] = getattr(content, "species_by_id", {}) or {}
    if listing.status in UNDECIDED:
        listing.species_id = _leading_species([r.species_id for r in reports], species_by_id)
    species = species_by_id.get(listing.species_id) if listing.species_id else None
    listing.species_group = getattr(species, "group", None)
    listing.appendix_rank = getattr(species, "appendix_rank", None)
    listing.live_animal = any(report.live_animal for report in reports)
    listing.country = _most_common([report.country for report in reports])
    listing.code_word_hit = any(
        matcher.matches(report.listing_title, report.listing_text, report.notes) for report in reports
    )
    score, reasons = priority.compute_priority(listing, reporter_track_records=records, now=now)
    listing.priority = score
    listing.priority_reasons = priority.join_reasons(reasons)
    listing.updated_at = now
    if write:
        session.add(listing)
    return listing


def _leading_species(guesses: Sequence[str | None], species_by_id: Mapping[str, object]) -> str | None:
    """The most reported species; a tie goes to the strictest CITES appendix, then the first reported."""
    counts = Counter(guess for guess in guesses if guess)
    if not counts:
        return None
    first_seen = {guess: index for index, guess in reversed(list(enumerate(guesses))) if guess}

    def rank(species_id: str) -> tuple[int, int, int]:
        appendix = getattr(species_by_id.get(species_id), "appendix_rank", None) or 9
        return (-counts[species_id], appendix, first_seen[species_id])

    return min(counts, key=rank)


def _most_common(values: Iterable[str | None]) -> str | None:
    counts = Counter(value for value in values if value)
    return counts.most_common(1)[0][0] if counts else None


@dataclass(frozen=True)
class ReporterStanding:
    """What a new report needs to know of its reporter: reports since a moment (the hourly
    limit) and the oldest of them, and the reporter's track record."""

    recent: int
    oldest_recent: datetime | None
    record: priority.TrackRecord

    @property
    def records(self) -> list[priority.TrackRecord]:
        """As `track_records` gives them: nothing for a reporter with no decided report."""
        return [self.record] if self.record.decided else []


def reporter_standing(session: Session, *, reporter_id: int, since: datetime) -> ReporterStanding:
    """One query (each of these was a round trip of its own, on every report)."""
    return standing_of(*session.execute(_REPORTER_STANDING, {"reporter_id": reporter_id, "since": since}).one())


def standing_of(recent: int, oldest: datetime | None, decided: int, confirmed: int) -> ReporterStanding:
    """The standing in a row of STANDING_COLUMNS."""
    return ReporterStanding(recent=int(recent), oldest_recent=oldest,
                            record=priority.TrackRecord(decided=int(decided), confirmed=int(confirmed)))


def track_records(
    session: Session, *, reporter_ids: Iterable[int], exclude_listing_id: int | None = None
) -> list[priority.TrackRecord]:
    """For each reporter: their reports on listings experts decided, and how many were confirmed."""
    ids = sorted(set(reporter_ids))
    if not ids:
        return []
    if exclude_listing_id is None:
        rows = session.execute(_TRACK_RECORDS, {"reporter_ids": ids})
    else:
        rows = session.execute(_TRACK_RECORDS_EXCLUDING, {"reporter_ids": ids, "exclude_listing_id": exclude_listing_id})
    return [
        priority.TrackRecord(decided=int(decided), confirmed=int(done or 0))
        for _reporter, decided, done in rows
    ]


# --- Code words ------------------------------------------------------------------------

_CJK = re.compile(r"[\u2e80-\u2fdf\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_PARENTHESES = re.compile(r"\([^)]*\)")
_ALTERNATIVES = re.compile(r"\s*;\s*|\s+/\s+")
_QUOTES = "\"'“”‘’«»「」"


def _fold(text: str) -> str:
    return " " + _NOT_ALNUM.sub(" ", unidecode(text).casefold()).strip() + " "


def term_variants(term: str) -> list[str]:
    """The searchable forms of a catalogue term.

    Catalogue terms may list alternatives ("cow bone ; ox bone", "Bakelite / resin") and
    add notes in brackets ("鹤顶红 (hedinghong)"); each alternative is searched alone.
    """
    variants = []
    for part in _ALTERNATIVES.split(term):
        part = _PARENTHESES.sub(" ", part).strip().strip(_QUOTES).strip()
        if part:
            variants.append(part)
    return variants


class CodeWordMatcher:
    """Finds catalogue code words and approved proposals in listing texts.

    Latin-script terms match whole words, ignoring case and accents ("Bovine-Bone" finds
    "bovine bone"); Chinese and Japanese terms match as written, anywhere in the text.
    """

    def __init__(self, terms: Iterable[str]) -> None:
        latin: dict[str, str] = {}
        cjk: dict[str, str] = {}
        for term in terms:
            for variant in term_variants(term):
                if _CJK.search(variant):
                    cjk.setdefault(re.sub(r"\s+", "", variant), variant)
                else:
                    folded = _fold(variant)
                    if len(folded.strip()) >= MIN_CODE_WORD_LENGTH:
                        latin.setdefault(folded, variant)
        self._latin = latin
        self._cjk = cjk

    def find(self, *texts: str | None) -> list[str]:
        """The terms found in any of `texts`, as the catalogue writes them."""
        found: list[str] = []
        for text in texts:
            if not text:
                continue
            folded = _fold(text)
            compact = re.sub(r"\s+", "", text)
            found.extend(term for key, term in self._latin.items() if key in folded and term not in found)
            found.extend(term for key, term in self._cjk.items() if key in compact and term not in found)
        return found

    def matches(self, *texts: str | None) -> bool:
        return bool(self.find(*texts))


def code_word_matcher(session: Session, content: object | None) -> CodeWordMatcher:
    """Code words of the training content plus the proposals admins approved."""
    terms = [
        word.term
        for word in getattr(content, "code_words", ()) or ()
        if getattr(word, "kind", "") not in UNSEARCHABLE_CODE_WORD_KINDS
    ]
    terms.extend(_approved_proposal_terms.get(session))
    return _matcher_for(tuple(terms))


def _read_approved_proposal_terms(session: Session) -> tuple[str, ...]:
    return tuple(session.execute(_APPROVED_PROPOSAL_TERMS).scalars())


_registered_domains = reference_cache.Cached(_read_registered_domains, (CompanyDomain, CompanyPlatform, Company))
_approved_proposal_terms = reference_cache.Cached(_read_approved_proposal_terms, (CodeWordProposal,))


@lru_cache(maxsize=8)
def _matcher_for(terms: tuple[str, ...]) -> CodeWordMatcher:
    """Building a matcher folds every term; the same terms (the usual case) reuse the last one built."""
    return CodeWordMatcher(terms)
