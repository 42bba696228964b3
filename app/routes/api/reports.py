"""Reports: submit one, add pictures, read your own back, answer the experts' questions."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from app.deps import CertifiedReporter, CurrentUser, SessionDep, SettingsDep
from app.routes.uploads import UploadLimitedRoute, max_upload_files
from app.schemas.common import ErrorPublic, Page
from app.schemas.reports import (
    AnswerCreate,
    AnswerPublic,
    EvidencePublic,
    HistoryEventPublic,
    OutcomePublic,
    QuestionPublic,
    ReportCreate,
    ReportDetailPublic,
    ReportPublic,
)
from app.services import evidence, report_history, reports
from app.services.evidence import Upload
from app.services.reports import ReportView

router = APIRouter(prefix="/reports", tags=["reports"], route_class=UploadLimitedRoute)

ERRORS = {
    401: {"model": ErrorPublic, "description": "Not logged in."},
    404: {"model": ErrorPublic, "description": "No such report, or not yours."},
}


def report_public(view: ReportView) -> ReportPublic:
    report, listing = view.report, view.listing
    return ReportPublic(
        id=report.id,  # type: ignore[arg-type]
        status=listing.status,
        listing_id=listing.id,  # type: ignore[arg-type]
        canonical_url=listing.canonical_url,
        original_url=report.original_url,
        platform=listing.platform_id,
        platform_name=view.platform_name,
        duplicate=view.duplicate,
        created_at=report.created_at,
        species_id=report.species_id,
        species_name=view.species_name,
        species_guess=report.species_guess,
        confidence=report.confidence,
        live_animal=report.live_animal,
        price=report.price,
        currency=report.currency,
        country=report.country,
        seller_handle=report.seller_handle,
        listing_title=report.listing_title,
        listing_text=report.listing_text,
        notes=report.notes,
        evidence_count=view.evidence_count,
        page_url=reports.report_url(report.id),  # type: ignore[arg-type]
    )


def report_detail(request: Request, session: SessionDep, view: ReportView) -> ReportDetailPublic:
    report, listing = view.report, view.listing
    referral = report_history.referral_of(session, listing.id)  # type: ignore[arg-type]
    events = report_history.history(session, report=report, listing=listing, referral=referral)
    asked = report_history.questions(session, report=report)
    outcome = None
    if referral is not None:
        outcome = OutcomePublic(sent_at=referral.sent_at, delivered_at=referral.delivered_at,
                                outcome=referral.outcome, acted_at=referral.acted_at)
    return ReportDetailPublic(
        **report_public(view).model_dump(),
        evidence=[EvidencePublic.of(row) for row in evidence.list_for(session, report.id)],  # type: ignore[arg-type]
        questions=[
            QuestionPublic(
                id=item.question.id,  # type: ignore[arg-type]
                text=item.question.text,
                asked_at=item.question.asked_at,
                answers=[AnswerPublic(id=a.id, text=a.text, answered_at=a.answered_at) for a in item.answers],  # type: ignore[arg-type]
            )
            for item in asked
        ],
        outcome=outcome,
        reject_reason=listing.reject_reason if listing.status == "rejected" else None,
        message=report_history.reporter_message(listing),
        history=[HistoryEventPublic(event=e.event, at=e.at, label=e.label) for e in events],
    )


@router.post(
    "",
    status_code=201,
    response_model=ReportPublic,
    responses={
        **ERRORS,
        403: {"model": ErrorPublic, "description": "Not certified yet: pass the training quiz first."},
        409: {"model": ErrorPublic, "description": "You reported this listing already (`report_id`, `report_url`)."},
        422: {"description": "A field is not valid: `detail` says which, `errors` lists every field's problem."},
        429: {"model": ErrorPublic, "description": "Too many reports this hour; see Retry-After."},
    },
)
async def create_report(
    data: ReportCreate, reporter: CertifiedReporter, session: SessionDep, settings: SettingsDep,
    request: Request, response: Response,
) -> ReportPublic:
    """Report a listing. The URL is canonicalised and its platform recognised; a listing someone
    else reported already gets this report attached (`duplicate: true`). Add pictures afterwards
    with `POST /api/v1/reports/{id}/evidence`."""
    # The database work in a worker thread; the answer built here. (A plain `def` endpoint
    # costs one more hand-off: FastAPI then validates its answer in the thread pool too.)
    submission = await run_in_threadpool(partial(
        reports.submit, session, reporter=reporter.user, standing=reporter.standing, data=data,
        content=request.app.state.content, settings=settings))
    response.headers["Location"] = f"/api/v1/reports/{submission.report.id}"
    return report_public(submission.view)


@router.get("", response_model=Page[ReportPublic], responses={401: ERRORS[401]})
def list_reports(
    user: CurrentUser, session: SessionDep, request: Request,
    limit: Annotated[int, Query(ge=1, le=reports.MAX_PAGE_SIZE)] = reports.DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[ReportPublic]:
    """Your own reports, newest first, each with the current status of its listing."""
    views, next_cursor = reports.list_own(session, reporter=user, content=request.app.state.content,
                                          limit=limit, cursor=cursor)
    return Page[ReportPublic](items=[report_public(view) for view in views], next_cursor=next_cursor)


@router.get("/{report_id}", response_model=ReportDetailPublic, responses=ERRORS)
def read_report(report_id: int, user: CurrentUser, session: SessionDep, request: Request) -> ReportDetailPublic:
    """One of your reports: status and history, the experts' questions with your answers, your
    pictures, and what the company did."""
    report = reports.own_report(session, report_id=report_id, reporter=user)
    return report_detail(request, session, reports.view_of(session, report, content=request.app.state.content))


@router.post(
    "/{report_id}/evidence",
    status_code=201,
    response_model=EvidencePublic,
    responses={
        **ERRORS,
        413: {"model": ErrorPublic, "description": "The file is larger than allowed, or has too many pixels."},
        422: {"model": ErrorPublic, "description": "Not a JPEG, PNG or WebP picture, or too many pictures."},
    },
)
@max_upload_files(1)
def add_evidence(
    report_id: int, file: Annotated[UploadFile, File(description="A JPEG, PNG or WebP picture.")],
    user: CurrentUser, session: SessionDep, settings: SettingsDep,
) -> EvidencePublic:
    """Add a picture (a screenshot of the listing) to your report. It is re-encoded from its
    pixels: EXIF, GPS, comments and anything else in the file are dropped."""
    report = reports.own_report(session, report_id=report_id, reporter=user)
    rows = evidence.add_to_report(session, report=report, uploads=[Upload(file.filename, file.file)],
                                  actor=user, settings=settings)
    return EvidencePublic.of(rows[0])


@router.post(
    "/{report_id}/answers",
    status_code=201,
    response_model=AnswerPublic,
    responses={**ERRORS, 409: {"model": ErrorPublic, "description": "The listing has been decided already."}},
)
def answer_question(report_id: int, data: AnswerCreate, user: CurrentUser, session: SessionDep) -> AnswerPublic:
    """Answer an expert's question about the listing of your report. A listing waiting for answers
    goes back to the review queue."""
    report = reports.own_report(session, report_id=report_id, reporter=user)
    row = report_history.answer(session, report=report, reporter=user, question_id=data.question_id, text=data.text)
    return AnswerPublic(id=row.id, text=row.text, answered_at=row.answered_at)  # type: ignore[arg-type]
