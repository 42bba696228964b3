"""The webhook delivery log and referrals, for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.deps import CurrentAdmin, SessionDep, SettingsDep, require_admin
from app.schemas.common import ErrorPublic, Page
from app.schemas.companies import DeliveryPublic
from app.schemas.referrals import ReferralPublic
from app.services import deliveries, referrals

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic, "description": "Not logged in"},
    403: {"model": ErrorPublic, "description": "Not an admin"},
    422: {"model": ErrorPublic, "description": "An unknown filter value or a broken cursor"},
}

router = APIRouter(prefix="/admin", tags=["admin: deliveries"], dependencies=[Depends(require_admin)])

Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=200)]


@router.get("/deliveries", response_model=Page[DeliveryPublic], responses=ERRORS)
def list_deliveries(
    session: SessionDep,
    company_id: int | None = None,
    status: Annotated[str | None, Query(max_length=16, description="pending, delivering, delivered, failed, cancelled")] = None,
    referral_id: int | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DeliveryPublic]:
    """Webhook messages, newest first, each with every attempt to deliver it (time,
    status code, latency, error, the start of the answer)."""
    items, next_cursor = deliveries.list_deliveries(
        session, company_id=company_id, status=status, referral_id=referral_id, limit=limit, cursor=cursor
    )
    return Page(items=[DeliveryPublic.of(item) for item in items], next_cursor=next_cursor)


@router.get("/deliveries/{message_id}", response_model=DeliveryPublic,
            responses={**ERRORS, 404: {"model": ErrorPublic, "description": "No such message"}})
def read_delivery(message_id: str, session: SessionDep) -> DeliveryPublic:
    """One webhook message (its id is the receiver's `webhook-id`) with its attempts."""
    return DeliveryPublic.of(deliveries.get_delivery(session, message_id))


@router.post("/deliveries/{message_id}/retry", status_code=202, response_model=DeliveryPublic, responses={
    **ERRORS,
    404: {"model": ErrorPublic, "description": "No such message"},
    409: {"model": ErrorPublic, "description": "Already delivered, or being sent right now"},
})
def retry_delivery(message_id: str, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep) -> DeliveryPublic:
    """Send a failed (or waiting) message again now, from the start of the retry schedule,
    with the same `webhook-id` and renewed evidence links. The dispatcher sends it."""
    message = deliveries.retry_message(session, message_id=message_id, actor=admin, settings=settings)
    return DeliveryPublic.of(deliveries.get_delivery(session, message.id))


@router.get("/referrals", response_model=Page[ReferralPublic], responses=ERRORS)
def list_referrals(
    session: SessionDep,
    status: Annotated[str | None, Query(max_length=16,
                                        description="no_recipient, pending, delivered, failed, answered, withdrawn")] = None,
    company_id: int | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ReferralPublic]:
    """Confirmed listings referred to companies, newest first, with their delivery state
    and the company's outcome. `no_recipient`: no active company answers for the platform."""
    rows, next_cursor = referrals.list_referrals(
        session, status=status, company_id=company_id, limit=limit, cursor=cursor
    )
    return Page(items=[ReferralPublic.of(*row) for row in rows], next_cursor=next_cursor)


@router.get("/referrals/{referral_id}", response_model=ReferralPublic,
            responses={**ERRORS, 404: {"model": ErrorPublic, "description": "No such referral"}})
def read_referral(referral_id: int, session: SessionDep) -> ReferralPublic:
    """One referral."""
    return ReferralPublic.of(*referrals.get_referral(session, referral_id))
