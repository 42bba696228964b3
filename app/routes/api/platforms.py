"""Which platform a listing URL belongs to, for the report form and phone clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.deps import CurrentUser, SessionDep
from app.errors import Invalid
from app.schemas.common import ErrorPublic
from app.schemas.reports import PlatformRecognised
from app.services import listings
from app.services.urls import InvalidListingURL

router = APIRouter(prefix="/platforms", tags=["reports"])


@router.get(
    "/recognise",
    response_model=PlatformRecognised,
    responses={
        401: {"model": ErrorPublic, "description": "Not logged in."},
        422: {"model": ErrorPublic, "description": "Not a listing URL; `detail` says why."},
    },
)
def recognise_platform(
    url: Annotated[str, Query(max_length=8192, description="A listing URL, or shared text containing one.")],
    user: CurrentUser, session: SessionDep, request: Request,
) -> PlatformRecognised:
    """The canonical form of a listing URL and its platform (`platform` is null for a site we do
    not know, which may still be reported)."""
    try:
        found = listings.recognise_shared(session, text=url, content=request.app.state.content)
    except InvalidListingURL as problem:
        raise Invalid(problem.message, field="url", code=f"url_{problem.code}") from None
    return PlatformRecognised(
        canonical_url=found.canonical_url,
        host=found.host,
        registrable_domain=found.registrable_domain,
        platform=found.platform_id,
        platform_name=found.platform_name,
        listing_id=found.listing_id,
    )
