"""The expert review queue: listings to decide, claims, decisions, code-word proposals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session

from app.deps import CurrentExpert, SessionDep, SettingsDep, require_expert
from app.models import Listing
from app.schemas.common import ErrorPublic, Page
from app.schemas.review import (
    BulkRejectCreate,
    BulkRejectPublic,
    BulkSkipPublic,
    ChoicePublic,
    CodeWordProposalCreate,
    CodeWordProposalPublic,
    ReviewChoicesPublic,
    ReviewDecisionCreate,
    ReviewListingPublic,
)
from app.services import claims, code_words, decisions, review, review_queue, review_texts

ERRORS = {401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}}
NOT_FOUND = {404: {"model": ErrorPublic, "description": "No such listing."}}
CONFLICT = {409: {"model": ErrorPublic, "description": "Another expert holds the listing, or its status does "
                                                       "not allow this (the body says which)."}}
INVALID = {422: {"model": ErrorPublic, "description": "A field is missing or wrong; `field` names it."}}

router = APIRouter(prefix="/review", tags=["review"], dependencies=[Depends(require_expert)], responses=ERRORS)


def listing_public(session: Session, request: Request, listing: Listing) -> ReviewListingPublic:
    """A listing with everything an expert needs: reports (with answers), evidence, claim, questions."""
    view = review.describe(session, [listing], content=request.app.state.content, with_answers=True,
                           with_track_records=True)[0]
    return ReviewListingPublic.of(view, questions=review.questions_of(session, listing.id))  # type: ignore[arg-type]


@router.get("/queue", response_model=Page[ReviewListingPublic], responses=INVALID)
def read_queue(
    request: Request,
    session: SessionDep,
    expert: CurrentExpert,
    status: Annotated[str | None, Query(max_length=200, description=(
        "Comma-separated statuses, `open` (the default: pending, in_review, and needs_info once answered) "
        "or `all`."))] = None,
    platform: Annotated[str | None, Query(max_length=64, description="Platform id, e.g. ebay.")] = None,
    species_id: Annotated[str | None, Query(max_length=120)] = None,
    group: Annotated[str | None, Query(max_length=32, description="Species group, e.g. bird.")] = None,
    appendix: Annotated[str | None, Query(max_length=3, description="CITES appendix: 1, 2 or 3 (or I, II, III).")] = None,
    country: Annotated[str | None, Query(max_length=2, description="ISO 3166-1 alpha-2 code.")] = None,
    since: Annotated[datetime | None, Query(description="First reported at or after (UTC when no zone).")] = None,
    until: Annotated[datetime | None, Query(description="First reported before (UTC when no zone).")] = None,
    claimed_by_me: bool = False,
    code_word: Annotated[bool, Query(description="Only listings whose texts contain a known code word.")] = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ReviewListingPublic]:
    """The queue of listings (not reports), most urgent first: priority with age, then the oldest, then id.

    Each listing comes with its reports, priority and the reasons for it, and who holds it.
    Pass `next_cursor` back as `cursor` for the next page."""
    filters = review_queue.build_filters(
        status=status, platform=platform, species_id=species_id, group=group, appendix=appendix,
        country=country, since=since, until=until, claimed_by_me=claimed_by_me, code_word=code_word,
    )
    page = review_queue.queue_page(session, filters=filters, viewer=expert, limit=limit, cursor=cursor)
    views = review.describe(session, page.items, content=request.app.state.content)
    return Page[ReviewListingPublic](items=[ReviewListingPublic.of(view) for view in views],
                                     next_cursor=page.next_cursor)


@router.get("/listings/{listing_id}", response_model=ReviewListingPublic, responses=NOT_FOUND)
def read_listing(listing_id: int, request: Request, session: SessionDep) -> ReviewListingPublic:
    """One listing with all its reports, their evidence and answers, and the questions asked."""
    return listing_public(session, request, review.load_listing(session, listing_id))


@router.post("/listings/{listing_id}/claim", response_model=ReviewListingPublic, responses=NOT_FOUND | CONFLICT)
def claim_listing(listing_id: int, request: Request, session: SessionDep, expert: CurrentExpert,
                  settings: SettingsDep) -> ReviewListingPublic:
    """Claim the listing for `claim_minutes` (30): others see you hold it and get 409. Claiming a listing
    you hold extends the claim. 409 names whoever holds it, or says it has been decided."""
    listing = claims.claim(session, listing_id=listing_id, expert=expert, settings=settings)
    return listing_public(session, request, listing)


@router.post("/listings/{listing_id}/release", response_model=ReviewListingPublic, responses=NOT_FOUND | CONFLICT)
def release_listing(listing_id: int, request: Request, session: SessionDep,
                    expert: CurrentExpert) -> ReviewListingPublic:
    """Give the listing back to the queue without deciding. Only its holder may; 409 otherwise."""
    listing = claims.release(session, listing_id=listing_id, expert=expert)
    return listing_public(session, request, listing)


@router.post("/listings/{listing_id}/decision", response_model=ReviewListingPublic,
             responses=NOT_FOUND | CONFLICT | INVALID)
def decide_listing(listing_id: int, data: ReviewDecisionCreate, request: Request, session: SessionDep,
                   expert: CurrentExpert, settings: SettingsDep) -> ReviewListingPublic:
    """Confirm, reject or ask the reporters for information; answers the listing with its new status.

    Deciding a listing nobody holds claims it; one another expert holds, or one already decided, is 409.
    Confirming refers the listing to its company in the same transaction."""
    listing = decisions.decide(
        session, listing_id=listing_id, expert=expert, settings=settings, content=request.app.state.content,
        data=decisions.DecisionInput(**data.model_dump()),
    )
    return listing_public(session, request, listing)


@router.post("/bulk-reject", response_model=BulkRejectPublic, responses=INVALID)
def bulk_reject(data: BulkRejectCreate, request: Request, session: SessionDep, expert: CurrentExpert,
                settings: SettingsDep) -> BulkRejectPublic:
    """Reject several listings with one reason. Listings that cannot be rejected (decided, held by
    someone else, unknown) are skipped and listed with the reason."""
    result = decisions.bulk_reject(session, listing_ids=data.listing_ids, expert=expert, reason=data.reason,
                                   note=data.note, settings=settings, content=request.app.state.content)
    return BulkRejectPublic(rejected=result.rejected,
                            skipped=[BulkSkipPublic(listing_id=i, detail=detail) for i, detail in result.skipped])


@router.get("/choices", response_model=ReviewChoicesPublic)
def read_choices() -> ReviewChoicesPublic:
    """The kinds of finding and the reasons for rejecting, for the decision's `finding_template` and `reason`."""
    return ReviewChoicesPublic(
        finding_templates=[ChoicePublic(value=v, label=label) for v, label in review_texts.finding_template_choices()],
        reject_reasons=[ChoicePublic(value=v, label=label) for v, label in review_texts.reject_reason_choices()],
    )


@router.get("/code-words", response_model=Page[CodeWordProposalPublic], responses=INVALID)
def read_code_word_proposals(
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(pending|approved|rejected)$")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[CodeWordProposalPublic]:
    """Proposed seller keywords, newest first, with their status."""
    items, next_cursor = code_words.proposals_page(session, status=status, limit=limit, cursor=cursor)
    return Page[CodeWordProposalPublic](items=[CodeWordProposalPublic.of(p) for p in items], next_cursor=next_cursor)


@router.post("/code-words", response_model=CodeWordProposalPublic, status_code=201,
             responses=INVALID | {409: {"model": ErrorPublic, "description": "Already known or proposed."}})
def propose_code_word(data: CodeWordProposalCreate, request: Request, session: SessionDep,
                      expert: CurrentExpert) -> CodeWordProposalPublic:
    """Propose a term traders use in listings; once an admin approves it, listings containing it are flagged."""
    proposal = code_words.propose(session, expert=expert, term=data.term, language=data.language,
                                  meaning=data.meaning, species_group=data.species_group,
                                  content=request.app.state.content)
    return CodeWordProposalPublic.of(proposal)
