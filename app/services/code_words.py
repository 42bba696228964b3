"""Seller keywords: terms experts find in listings, approved by an admin, then flagged everywhere.

The catalogue's code words (training content) are the starting list. An expert proposes
a new term (`propose`); an admin approves or rejects it (`review`). Approved terms join
the catalogue's in the reports service's matcher (`app.services.listings
.code_word_matcher`, fed by `approved_code_words`), so new reports containing them are
flagged in the queue; approval also re-checks the listings still waiting, so a term
found today flags yesterday's listings too. On the listing page every known term is
highlighted in the reporters' texts (`highlight`), matched the way the flag is: whole
words, ignoring case and accents; Chinese and Japanese terms as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlmodel import Session
from unidecode import unidecode

from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.models import CodeWordProposal, Listing, Report, User, utcnow
from app.services import audit, review_history
from app.services import listings as listing_service
from app.services.review_queue import OPEN_STATUSES

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATUSES = (PENDING, APPROVED, REJECTED)
TERM_MIN, TERM_MAX, MEANING_MAX, GROUP_MAX = 2, 120, 300, 64
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
# Approving a term re-checks at most this many waiting listings at once (newest first).
MAX_RECHECKED = 1000
_CJK = re.compile(r"[\u2e80-\u2fdf\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def approved_code_words(session: Session) -> list[str]:
    """The terms admins approved, oldest first (the reports service adds them to the catalogue's)."""
    return list(
        session.execute(
            select(CodeWordProposal.term).where(CodeWordProposal.status == APPROVED).order_by(CodeWordProposal.id)
        ).scalars()
    )


def known_terms(session: Session, content: object | None) -> list[str]:
    """Every term that flags a listing: the catalogue's searchable code words and the approved ones."""
    catalogue = [
        word.term
        for word in getattr(content, "code_words", ()) or ()
        if getattr(word, "kind", "") not in listing_service.UNSEARCHABLE_CODE_WORD_KINDS
    ]
    return catalogue + approved_code_words(session)


def _folded_key(term: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", unidecode(term).casefold()).split())


def propose(
    session: Session,
    *,
    expert: User,
    term: str | None,
    language: str | None,
    meaning: str | None,
    species_group: str | None = None,
    content: object | None = None,
) -> CodeWordProposal:
    term = " ".join((term or "").split())
    meaning = " ".join((meaning or "").split())
    language = (language or "").strip().lower()
    species_group = " ".join((species_group or "").split()) or None
    if len(term) < TERM_MIN:
        raise Invalid(_("Write the term as it appears in listings (at least %(n)s characters).", n=TERM_MIN),
                      field="term")
    if len(term) > TERM_MAX:
        raise Invalid(_("The term must be at most %(n)s characters.", n=TERM_MAX), field="term")
    if not LANGUAGE_RE.match(language):
        raise Invalid(_("Give the language as a two- or three-letter code, such as en, fr, de or zh."),
                      field="language")
    if not meaning:
        raise Invalid(_("Say what the term stands for."), field="meaning")
    if len(meaning) > MEANING_MAX:
        raise Invalid(_("The meaning must be at most %(n)s characters.", n=MEANING_MAX), field="meaning")
    if species_group and len(species_group) > GROUP_MAX:
        raise Invalid(_("The species group must be at most %(n)s characters.", n=GROUP_MAX), field="species_group")
    key = _folded_key(term) if not _CJK.search(term) else term.replace(" ", "")
    for known in getattr(content, "code_words", ()) or ():
        if (_folded_key(known.term) if not _CJK.search(known.term) else known.term.replace(" ", "")) == key:
            raise Conflict(_("“%(term)s” is already in the code-word list.", term=term), code="known_term")
    for existing in session.execute(
        select(CodeWordProposal).where(CodeWordProposal.status.in_((PENDING, APPROVED)))  # type: ignore[attr-defined]
    ).scalars():
        existing_key = existing.term.replace(" ", "") if _CJK.search(existing.term) else _folded_key(existing.term)
        if existing_key == key:
            raise Conflict(
                _("“%(term)s” has already been proposed (%(status)s).", term=existing.term,
                  status=status_names()[existing.status]),
                code="duplicate_term",
            )
    proposal = CodeWordProposal(term=term, language=language, meaning=meaning, species_group=species_group,
                                status=PENDING, proposed_by_id=expert.id, created_at=utcnow())
    session.add(proposal)
    session.flush()
    audit.record(session, action="code_word.proposed", entity_type="code_word", entity_id=proposal.id,  # type: ignore[arg-type]
                 actor=expert, after={"term": term, "language": language, "meaning": meaning})
    return proposal


@dataclass
class ReviewOutcome:
    proposal: CodeWordProposal
    flagged: int  # waiting listings newly flagged by an approved term


def review(
    session: Session,
    *,
    admin: User,
    proposal_id: int,
    approve: bool,
    reason: str | None = None,
    content: object | None = None,
    now: datetime | None = None,
) -> ReviewOutcome:
    """Approve or reject a proposed term; approving flags the waiting listings that contain it."""
    now = now or utcnow()
    proposal = session.get(CodeWordProposal, proposal_id)
    if proposal is None:
        raise NotFound(_("There is no such proposal."))
    target = APPROVED if approve else REJECTED
    if proposal.status == target:
        return ReviewOutcome(proposal, 0)  # the same click twice changes nothing
    reason = (reason or "").strip() or None
    if reason and len(reason) > 2000:
        raise Invalid(_("The reason must be at most %(n)s characters.", n=2000), field="reason")
    before = {"status": proposal.status}
    proposal.status = target
    proposal.reviewed_by_id = admin.id
    proposal.reviewed_at = now
    session.add(proposal)
    session.flush()
    flagged = recheck_waiting_listings(session, term=proposal.term, content=content, now=now) if approve else 0
    audit.record(session, action=f"code_word.{target}", entity_type="code_word", entity_id=proposal.id,  # type: ignore[arg-type]
                 actor=admin, before=before, after={"status": target, "flagged_listings": flagged}, reason=reason)
    return ReviewOutcome(proposal, flagged)


def recheck_waiting_listings(session: Session, *, term: str, content: object | None, now: datetime) -> int:
    """Flag waiting listings whose reports contain `term` (and re-score them); how many were flagged."""
    matcher = listing_service.CodeWordMatcher([term])
    needles = _needles(term)
    if not needles:
        return 0
    # A coarse SQL filter (any word of the term), then the real match in Python.
    text_columns = (Report.listing_title, Report.listing_text, Report.notes)
    like = [func.lower(column).contains(needle) for needle in needles for column in text_columns]
    candidates = list(
        session.execute(
            select(Listing)
            .join(Report, Report.listing_id == Listing.id)
            .where(Listing.status.in_(OPEN_STATUSES), Listing.code_word_hit.is_(False), or_(*like))  # type: ignore[attr-defined]
            .group_by(Listing.id)
            .order_by(Listing.id.desc())  # type: ignore[union-attr]
            .limit(MAX_RECHECKED)
        ).scalars()
    )
    flagged = 0
    for listing in candidates:
        texts = session.execute(
            select(Report.listing_title, Report.listing_text, Report.notes).where(Report.listing_id == listing.id)
        ).all()
        if any(matcher.matches(*row) for row in texts):
            listing_service.refresh_aggregates(session, listing=listing, content=content, now=now)
            flagged += 1
    return flagged


def _needles(term: str) -> list[str]:
    needles = []
    for variant in listing_service.term_variants(term):
        if _CJK.search(variant):
            needles.append(variant.replace(" ", ""))
        else:
            words = [word for word in re.split(r"[^\w]+", variant.lower()) if len(word) >= 2]
            if words:
                needles.append(max(words, key=len))
    return needles


def list_proposals(session: Session, *, status: str | None = None, limit: int = 200) -> list[CodeWordProposal]:
    statement = select(CodeWordProposal).order_by(CodeWordProposal.id.desc()).limit(limit)  # type: ignore[union-attr]
    if status:
        statement = statement.where(CodeWordProposal.status == status)
    return list(session.execute(statement).scalars())


def proposals_page(session: Session, *, status: str | None = None, limit: int = 50,
                   cursor: str | None = None) -> tuple[list[CodeWordProposal], str | None]:
    """Proposals newest first, a page at a time (the cursor is the last id shown)."""
    statement = select(CodeWordProposal).order_by(CodeWordProposal.id.desc())  # type: ignore[union-attr]
    if status:
        statement = statement.where(CodeWordProposal.status == status)
    if cursor:
        statement = statement.where(CodeWordProposal.id < review_history.decode_cursor(cursor))  # type: ignore[operator]
    rows = list(session.execute(statement.limit(limit + 1)).scalars())
    items = rows[:limit]
    return items, review_history.encode_cursor(items[-1].id) if len(rows) > limit else None  # type: ignore[arg-type]


def status_names() -> dict[str, str]:
    return {PENDING: _("waiting for an admin"), APPROVED: _("approved"), REJECTED: _("rejected")}


# --- Highlighting ----------------------------------------------------------------------


def _fold_with_positions(text: str) -> tuple[str, list[int]]:
    """`text` folded as the matcher folds it (ASCII, lower case, one space between words),
    with, for every folded character, the index of the original character it came from."""
    folded: list[str] = [" "]
    positions: list[int] = [-1]
    for index, char in enumerate(text):
        for piece in unidecode(char).casefold() or " ":
            if piece.isascii() and piece.isalnum():
                folded.append(piece)
                positions.append(index)
            elif folded[-1] != " ":
                folded.append(" ")
                positions.append(index)
    if folded[-1] != " ":
        folded.append(" ")
        positions.append(len(text))
    return "".join(folded), positions


def _spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    folded, positions = _fold_with_positions(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        for variant in listing_service.term_variants(term):
            if _CJK.search(variant):
                for match in re.finditer(re.escape(variant.replace(" ", "")), text):
                    spans.append((match.start(), match.end()))
                continue
            key = " " + _folded_key(variant) + " "
            if len(key.strip()) < listing_service.MIN_CODE_WORD_LENGTH:
                continue
            start = folded.find(key)
            while start != -1:
                first = positions[start + 1]
                last = positions[start + len(key) - 2]
                spans.append((first, last + 1))
                start = folded.find(key, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str | None, terms: Iterable[str]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is_code_word) pairs; templates escape each piece and mark the code words."""
    if not text:
        return []
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in _spans(text, list(terms)):
        if start > cursor:
            pieces.append((text[cursor:start], False))
        pieces.append((text[start:end], True))
        cursor = end
    if cursor < len(text):
        pieces.append((text[cursor:], False))
    return pieces
