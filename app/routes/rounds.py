"""Round pages: admins create rounds, enrol volunteers and see who met the minimum; volunteers see theirs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import CurrentAdmin, CurrentUser, SessionDep
from app.errors import Invalid
from app.i18n import _
from app.models import Round, utcnow
from app.routes.guards import admin_only, csrf_protected, signed_in
from app.routes.web import redirect
from app.services import rounds
from app.templating import render

admin_router = APIRouter(prefix="/admin/rounds", dependencies=[admin_only, csrf_protected], include_in_schema=False)
volunteer_router = APIRouter(dependencies=[signed_in, csrf_protected], include_in_schema=False)
router = APIRouter()


def load_round(round_id: int, session: SessionDep) -> Round:
    return rounds.get_round(session, round_id)


RoundById = Annotated[Round, Depends(load_round)]


def _int_or_none(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _date_or_none(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _list_page(request: Request, session, *, form: dict, errors: dict, status_code: int = 200) -> HTMLResponse:  # type: ignore[no-untyped-def]
    today = utcnow().date()
    listed = [(round_, count, rounds.round_state(round_, today), rounds.ends_on(round_))
              for round_, count in rounds.list_rounds(session)[0]]
    return render(request, "rounds/admin_list.html", {"rounds": listed, "form": form, "errors": errors},
                  status_code=status_code)


@admin_router.get("", response_class=HTMLResponse)
def rounds_page(request: Request, session: SessionDep) -> HTMLResponse:
    return _list_page(request, session, form={"weeks": "4", "weekly_minimum": "5"}, errors={})


@admin_router.post("", response_class=HTMLResponse)
def create_round(
    request: Request,
    admin: CurrentAdmin,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    starts_on: Annotated[str, Form(max_length=20)] = "",
    weeks: Annotated[str, Form(max_length=10)] = "",
    weekly_minimum: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    form = {"name": name, "starts_on": starts_on, "weeks": weeks, "weekly_minimum": weekly_minimum}
    try:
        round_ = rounds.create_round(session, admin=admin, name=name, starts_on=_date_or_none(starts_on),
                                     weeks=_int_or_none(weeks), weekly_minimum=_int_or_none(weekly_minimum))
    except Invalid as error:
        return _list_page(request, session, form=form, errors={error.field or "__all__": error.message},
                          status_code=422)
    return redirect(f"/admin/rounds/{round_.id}?created=1")


def _round_page(request: Request, session, round_: Round, *, emails: str = "", errors: dict | None = None,  # type: ignore[no-untyped-def]
                message: str | None = None, status_code: int = 200) -> HTMLResponse:
    progress = rounds.progress(session, round_=round_, today=utcnow().date())
    return render(request, "rounds/admin_round.html", {
        "progress": progress,
        "ends_on": rounds.ends_on(round_),
        "candidates": rounds.volunteers_not_enrolled(session, round_=round_),
        "emails": emails,
        "errors": errors or {},
        "message": message,
    }, status_code=status_code)


@admin_router.get("/{round_id}", response_class=HTMLResponse)
def round_page(request: Request, round_: RoundById, session: SessionDep, created: int | None = None,
               enrolled: int | None = None, already: int | None = None, removed: int | None = None) -> HTMLResponse:
    message = None
    if created:
        message = _("The round has been created. Now enrol volunteers.")
    elif enrolled is not None:
        message = _("%(enrolled)s enrolled, %(already)s already in the round.", enrolled=enrolled,
                    already=already or 0)
    elif removed:
        message = _("The volunteer has been taken out of the round.")
    return _round_page(request, session, round_, message=message)


@admin_router.post("/{round_id}/enrol", response_class=HTMLResponse)
def enrol(
    request: Request,
    round_: RoundById,
    admin: CurrentAdmin,
    session: SessionDep,
    emails: Annotated[str, Form(max_length=100_000)] = "",
    user_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    addresses = rounds.parse_emails(emails)
    if not addresses and not user_ids:
        return _round_page(request, session, round_, emails=emails, status_code=422,
                           errors={"emails": _("Type e-mail addresses or tick volunteers in the list.")})
    try:
        users = rounds.find_volunteers(session, emails=addresses, user_ids=user_ids or [])
    except Invalid as error:
        return _round_page(request, session, round_, emails=emails, errors={"emails": error.message},
                           status_code=422)
    result = rounds.enrol(session, round_=round_, users=users, actor=admin)
    return redirect(f"/admin/rounds/{round_.id}?enrolled={len(result.enrolled)}&already={len(result.already)}")


@admin_router.post("/{round_id}/enrolments/{user_id}/delete")
def unenrol(round_: RoundById, user_id: int, admin: CurrentAdmin, session: SessionDep) -> Response:
    rounds.unenrol(session, round_=round_, user_id=user_id, actor=admin)
    return redirect(f"/admin/rounds/{round_.id}?removed=1")


@admin_router.post("/{round_id}/delete")
def delete_round(round_: RoundById, admin: CurrentAdmin, session: SessionDep) -> Response:
    rounds.delete_round(session, round_=round_, actor=admin, today=utcnow().date())
    return redirect("/admin/rounds")


@volunteer_router.get("/rounds/mine", response_class=HTMLResponse)
def my_rounds(request: Request, user: CurrentUser, session: SessionDep) -> HTMLResponse:
    return render(request, "rounds/mine.html",
                  {"my_rounds": rounds.rounds_of(session, user=user, today=utcnow().date())})


router.include_router(admin_router)
router.include_router(volunteer_router)
