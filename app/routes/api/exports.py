"""CSV exports of listings and referrals for experts and admins, streamed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from app.deps import CurrentExpert, DatabaseDep, SessionDep, require_expert
from app.routes.exports import ExportFiltersDep, csv_response
from app.schemas.common import ErrorPublic

router = APIRouter(
    prefix="/exports",
    tags=["figures"],
    dependencies=[Depends(require_expert)],
    responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}, 422: {"model": ErrorPublic}},
)
CSV = {200: {"content": {"text/csv": {}}, "description": "A CSV file (UTF-8, a header line, CRLF line ends)."}}


@router.get("/listings.csv", response_class=StreamingResponse, responses=CSV)
def export_listings(request: Request, filters: ExportFiltersDep, user: CurrentExpert, session: SessionDep,
                    database: DatabaseDep) -> StreamingResponse:
    """Every listing matching the review queue's filters (all statuses unless `status` is given), with
    the experts' decision and the company's answer; `since`/`until` apply to the first report.
    No volunteer data. Cells a spreadsheet would take for a formula start with a quote."""
    return csv_response(request, session=session, database=database, user=user, kind="listings",
                        filters=filters, byte_order_mark=False)


@router.get("/referrals.csv", response_class=StreamingResponse, responses=CSV)
def export_referrals(request: Request, filters: ExportFiltersDep, user: CurrentExpert, session: SessionDep,
                     database: DatabaseDep) -> StreamingResponse:
    """Every referral of a listing matching the filters, with its delivery and outcome;
    `since`/`until` apply to when the referral was made. No volunteer data."""
    return csv_response(request, session=session, database=database, user=user, kind="referrals",
                        filters=filters, byte_order_mark=False)
