"""Admin powers over the review: re-open a decided listing, break a claim, read the audit log, approve code words."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request

from app.deps import CurrentAdmin, SessionDep, require_admin
from app.routes.api.review import CONFLICT, ERRORS, INVALID, NOT_FOUND, listing_public
from app.schemas.common import ErrorPublic, Page
from app.schemas.review import (
    AuditEntryPublic,
    BreakClaimCreate,
    CodeWordProposalPublic,
    CodeWordReviewCreate,
    ReopenCreate,
    ReviewListingPublic,
)
from app.services import claims, code_words, decisions, review_history
from app.services.review_queue import as_utc

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)], responses=ERRORS)


@router.post("/listings/{listing_id}/reopen", response_model=ReviewListingPublic,
             responses=NOT_FOUND | CONFLICT | INVALID)
def reopen_listing(listing_id: int, data: ReopenCreate, request: Request, session: SessionDep,
                   admin: CurrentAdmin) -> ReviewListingPublic:
    """Send a decided listing (or one waiting for information) back to the queue, with the reason why."""
    listing = decisions.reopen(session, listing_id=listing_id, admin=admin, reason=data.reason)
    return listing_public(session, request, listing)


@router.post("/listings/{listing_id}/break-claim", response_model=ReviewListingPublic,
             responses=NOT_FOUND | CONFLICT | INVALID)
def break_claim(listing_id: int, request: Request, session: SessionDep, admin: CurrentAdmin,
                data: Annotated[BreakClaimCreate | None, Body()] = None) -> ReviewListingPublic:
    """End another expert's claim on a listing (audited, with an optional reason); 409 when nobody holds it."""
    listing = claims.break_claim(session, listing_id=listing_id, admin=admin, reason=data.reason if data else None)
    return listing_public(session, request, listing)


@router.get("/audit", response_model=Page[AuditEntryPublic], responses=INVALID)
def read_audit_log(
    session: SessionDep,
    action: Annotated[str | None, Query(max_length=64, description="Exact, or a prefix ending in * (listing.*).")] = None,
    entity_type: Annotated[str | None, Query(max_length=32, description="listing, report, user, ...")] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: int | None = None,
    since: Annotated[datetime | None, Query(description="At or after (UTC when no zone).")] = None,
    until: Annotated[datetime | None, Query(description="Before (UTC when no zone).")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[AuditEntryPublic]:
    """The audit log, newest first: every state change, claim, decision, role and certification change,
    with who, when, what, before and after."""
    filters = review_history.AuditFilters(action=action, entity_type=entity_type, entity_id=entity_id,
                                          actor_id=actor_id, since=as_utc(since), until=as_utc(until))
    page = review_history.audit_page(session, filters=filters, limit=limit, cursor=cursor)
    return Page[AuditEntryPublic](items=[AuditEntryPublic.of(item) for item in page.items],
                                  next_cursor=page.next_cursor)


@router.post("/code-words/{proposal_id}/approve", response_model=CodeWordProposalPublic,
             responses={404: {"model": ErrorPublic}} | INVALID)
def approve_code_word(proposal_id: int, request: Request, session: SessionDep, admin: CurrentAdmin,
                      data: Annotated[CodeWordReviewCreate | None, Body()] = None) -> CodeWordProposalPublic:
    """Approve a proposed term: from now on it flags listings, including those already waiting."""
    outcome = code_words.review(session, admin=admin, proposal_id=proposal_id, approve=True,
                                reason=data.reason if data else None, content=request.app.state.content)
    return CodeWordProposalPublic.of(outcome.proposal, flagged=outcome.flagged)


@router.post("/code-words/{proposal_id}/reject", response_model=CodeWordProposalPublic,
             responses={404: {"model": ErrorPublic}} | INVALID)
def reject_code_word(proposal_id: int, request: Request, session: SessionDep, admin: CurrentAdmin,
                     data: Annotated[CodeWordReviewCreate | None, Body()] = None) -> CodeWordProposalPublic:
    """Reject a proposed term (or withdraw an approved one): it no longer flags new listings."""
    outcome = code_words.review(session, admin=admin, proposal_id=proposal_id, approve=False,
                                reason=data.reason if data else None, content=request.app.state.content)
    return CodeWordProposalPublic.of(outcome.proposal)
