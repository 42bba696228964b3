"""The API companies use with their key: read their referrals, report what they did."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.deps import CompanyClient, SessionDep, SettingsDep
from app.schemas.common import ErrorPublic, Page
from app.schemas.referrals import CompanyReferralPublic, OutcomeCreate, OutcomePublic
from app.services import outcomes

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic, "description": "No valid company API key (Authorization: Bearer <key>)"},
    404: {"model": ErrorPublic, "description": "No such referral for your company"},
    422: {"model": ErrorPublic, "description": "Invalid input (the message says which field and why)"},
}

router = APIRouter(prefix="/company", tags=["company"])


@router.post("/referrals/{referral_id}/outcome", response_model=OutcomePublic, responses=ERRORS)
def report_outcome(referral_id: int, data: OutcomeCreate, company: CompanyClient,
                   session: SessionDep) -> OutcomePublic:
    """Tell us what you did with a referral: `removed`, `not_removed` or `not_found`
    (already gone). Idempotent: sending the same outcome again changes nothing
    (`changed: false`); a different outcome later replaces it. The reporters see it."""
    result = outcomes.record_outcome(
        session, company=company, referral_id=referral_id, outcome=data.outcome, note=data.note,
        acted_at=data.acted_at,
    )
    referral = result.referral
    return OutcomePublic(
        referral_id=referral.id,  # type: ignore[arg-type]
        outcome=referral.outcome or data.outcome,
        note=referral.outcome_note,
        acted_at=referral.acted_at,  # type: ignore[arg-type]
        received_at=referral.outcome_received_at,  # type: ignore[arg-type]
        changed=result.changed,
    )


@router.get("/referrals", response_model=Page[CompanyReferralPublic], responses=ERRORS)
def list_referrals(
    request: Request,
    company: CompanyClient,
    session: SessionDep,
    settings: SettingsDep,
    outcome: Annotated[str | None, Query(max_length=16,
                                         description="removed, not_removed, not_found, or none (not answered yet)")] = None,
    since: Annotated[datetime | None, Query(description="Only referrals created at or after this time")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[CompanyReferralPublic]:
    """Your referrals, newest first, with the same data as the webhook (and fresh evidence
    links): for systems that prefer polling to receiving webhooks."""
    items, next_cursor = outcomes.list_for_company(
        session, company=company, settings=settings, content=request.app.state.content,
        outcome=outcome, since=since, limit=limit, cursor=cursor,
    )
    return Page(items=[CompanyReferralPublic.of(item) for item in items], next_cursor=next_cursor)


@router.get("/referrals/{referral_id}", response_model=CompanyReferralPublic, responses=ERRORS)
def read_referral(referral_id: int, request: Request, company: CompanyClient, session: SessionDep,
                  settings: SettingsDep) -> CompanyReferralPublic:
    """One of your referrals, with fresh evidence links and your outcome."""
    return CompanyReferralPublic.of(outcomes.get_for_company(
        session, company=company, referral_id=referral_id, settings=settings, content=request.app.state.content,
    ))
