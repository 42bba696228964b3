"""My reports: the volunteer's list and each report's page, where they follow what became of
it, answer the experts' questions and add pictures; and evidence pictures for the pages."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response

from app.deps import ContentDep, CurrentUser, SessionDep, SettingsDep
from app.errors import Conflict, Invalid, TooLarge
from app.i18n import _
from app.models import Report, User
from app.routes.api.evidence import evidence_response
from app.routes.guards import csrf_protected, signed_in
from app.routes.uploads import UploadLimitedRoute
from app.routes.web import redirect
from app.schemas.reports import MAX_ANSWER_LENGTH
from app.services import evidence, priority, report_fields, report_history, reports
from app.services.evidence import Upload
from app.templating import render

router = APIRouter(dependencies=[signed_in, csrf_protected], include_in_schema=False, route_class=UploadLimitedRoute)

PAGE_SIZE = 20


@router.get("/reports", response_class=HTMLResponse)
def my_reports(request: Request, user: CurrentUser, session: SessionDep, content: ContentDep,
               cursor: str | None = None) -> HTMLResponse:
    """The volunteer's reports, newest first, with their figures."""
    try:
        views, next_cursor = reports.list_own(session, reporter=user, content=content, limit=PAGE_SIZE, cursor=cursor)
    except Invalid:
        return redirect("/reports")
    context = {
        "views": views,
        "next_cursor": next_cursor,
        "first_page": not cursor,
        "figures": report_history.figures(session, reporter=user),
        "status_labels": report_history.status_labels(),
        "status_badges": report_history.STATUS_BADGES,
    }
    return render(request, "reporting/my_reports.html", context)


def _detail_page(
    request: Request, session: SessionDep, content: ContentDep, settings: SettingsDep, user: User, report: Report,
    *, errors: dict[str, str] | None = None, answers: dict[str, str] | None = None, status_code: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    view = reports.view_of(session, report, content=content)
    listing = view.listing
    referral = report_history.referral_of(session, listing.id)  # type: ignore[arg-type]
    pictures = evidence.list_for(session, report.id)  # type: ignore[arg-type]
    context = {
        "view": view,
        "report": report,
        "listing": listing,
        "new": request.query_params.get("new") == "1",
        "notice": notice,
        "history": report_history.history(session, report=report, listing=listing, referral=referral),
        "questions": report_history.questions(session, report=report),
        "can_answer": report_history.can_answer(listing),
        "referral": referral,
        "experts_say": report_history.reporter_message(listing),
        "pictures": [(row, *evidence.thumbnail_dimensions(row.width, row.height)) for row in pictures],
        "room_for_pictures": max(0, settings.evidence_per_report - len(pictures)),
        "accept": evidence.ACCEPT,
        "max_megabytes": f"{settings.evidence_max_bytes / 2**20:g}",
        "status_labels": report_history.status_labels(),
        "status_badges": report_history.STATUS_BADGES,
        "country_name": report_fields.country_name(report.country),
        "priority_reasons": priority.describe_reasons(listing.priority_reasons) if user.is_staff else [],
        "errors": errors or {},
        "answers": answers or {},
        "max_answer_length": MAX_ANSWER_LENGTH,
    }
    return render(request, "reporting/report_detail.html", context, status_code=status_code)


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(report_id: int, request: Request, user: CurrentUser, session: SessionDep, content: ContentDep,
                settings: SettingsDep, added: int | None = None, answered: int | None = None) -> HTMLResponse:
    """One report: the listing, what was sent, its history, questions, pictures."""
    report = reports.own_report(session, report_id=report_id, reporter=user)
    notice = None
    if added:
        notice = _("Thank you: the pictures were added.")
    elif answered:
        notice = _("Thank you: your answer was sent to the experts.")
    return _detail_page(request, session, content, settings, user, report, notice=notice)


@router.post("/reports/{report_id}/evidence", response_class=HTMLResponse)
def add_pictures(
    report_id: int, request: Request, user: CurrentUser, session: SessionDep, content: ContentDep,
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File(alias="evidence")] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    """Add screenshots to one's own report."""
    report = reports.own_report(session, report_id=report_id, reporter=user)
    uploads = [Upload(f.filename, f.file) for f in files if f.filename or (f.size or 0) > 0]
    try:
        evidence.add_to_report(session, report=report, uploads=uploads, actor=user, settings=settings)
    except (Invalid, TooLarge) as problem:
        return _detail_page(request, session, content, settings, user, report,
                            errors={"evidence": problem.message}, status_code=problem.status_code)
    return redirect(f"{reports.report_url(report_id)}?added={len(uploads)}#pictures")


@router.post("/reports/{report_id}/answers", response_class=HTMLResponse)
def answer_question(
    report_id: int, request: Request, user: CurrentUser, session: SessionDep, content: ContentDep,
    settings: SettingsDep,
    question_id: Annotated[int, Form()],
    text: Annotated[str, Form()] = "",
) -> Response:
    """Answer an expert's question about the listing."""
    report = reports.own_report(session, report_id=report_id, reporter=user)
    try:
        report_history.answer(session, report=report, reporter=user, question_id=question_id, text=text)
    except (Invalid, Conflict) as problem:
        key = f"answer-{question_id}"
        return _detail_page(request, session, content, settings, user, report, errors={key: problem.message},
                            answers={key: text}, status_code=problem.status_code)
    return redirect(f"{reports.report_url(report_id)}?answered=1#questions")


@router.get("/evidence/{evidence_id}")
def evidence_picture(evidence_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep,
                     size: Literal["full", "thumb"] = "full") -> FileResponse:
    """A picture of a report, for its reporter, experts and admins (others: 404)."""
    row = evidence.for_viewer(session, evidence_id=evidence_id, viewer=user)
    return evidence_response(settings, row, size=size)
