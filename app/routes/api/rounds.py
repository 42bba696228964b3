"""Rounds: admins create them and enrol volunteers; volunteers follow their own progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.deps import CurrentAdmin, CurrentUser, SessionDep, require_admin
from app.models import Round, utcnow
from app.schemas.common import ErrorPublic, Page
from app.schemas.rounds import (
    EnrolmentCreate,
    EnrolmentResultPublic,
    MyRoundPublic,
    RoundCreate,
    RoundProgressPublic,
    RoundPublic,
)
from app.services import rounds

ERRORS = {401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}}
router = APIRouter(prefix="/rounds", tags=["rounds"], responses=ERRORS)
admin_router = APIRouter(prefix="/admin/rounds", tags=["rounds"], dependencies=[Depends(require_admin)],
                         responses={**ERRORS, 404: {"model": ErrorPublic}})


def load_round(round_id: int, session: SessionDep) -> Round:
    return rounds.get_round(session, round_id)


RoundById = Annotated[Round, Depends(load_round)]


Limit = Annotated[int, Query(ge=1, le=200, description="Items per page (default 50, at most 200).")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]


@router.get("/mine", response_model=Page[MyRoundPublic], responses={422: {"model": ErrorPublic}})
def my_rounds(user: CurrentUser, session: SessionDep, limit: Limit = 50, cursor: Cursor = None) -> Page[MyRoundPublic]:
    """The rounds you are enrolled in, the latest start first, with your reports per week and whether
    you met the weekly minimum (`state`: upcoming, running or ended)."""
    items, next_cursor = rounds.rounds_page_of(session, user=user, today=utcnow().date(), limit=limit, cursor=cursor)
    return Page[MyRoundPublic](items=[MyRoundPublic.of(item) for item in items], next_cursor=next_cursor)


@admin_router.get("", response_model=Page[RoundPublic], responses={422: {"model": ErrorPublic}})
def list_rounds(session: SessionDep, limit: Limit = 50, cursor: Cursor = None) -> Page[RoundPublic]:
    """Every round, the latest start first, with how many volunteers are enrolled."""
    today = utcnow().date()
    items, next_cursor = rounds.list_rounds(session, limit=limit, cursor=cursor)
    return Page[RoundPublic](items=[RoundPublic.of(round_, state=rounds.round_state(round_, today), enrolled=count)
                                    for round_, count in items], next_cursor=next_cursor)


@admin_router.post("", response_model=RoundPublic, status_code=201, responses={422: {"model": ErrorPublic}})
def create_round(data: RoundCreate, admin: CurrentAdmin, session: SessionDep) -> RoundPublic:
    """Start a round: a name, the first day, how many weeks, and the weekly minimum of reports."""
    round_ = rounds.create_round(session, admin=admin, name=data.name, starts_on=data.starts_on, weeks=data.weeks,
                                 weekly_minimum=data.weekly_minimum)
    return RoundPublic.of(round_, state=rounds.round_state(round_, utcnow().date()), enrolled=0)


@admin_router.get("/{round_id}", response_model=RoundProgressPublic)
def round_progress(round_: RoundById, session: SessionDep) -> RoundProgressPublic:
    """Each enrolled volunteer's reports per week and whether they met the minimum
    (met, missed, in_progress for the current week, upcoming)."""
    return RoundProgressPublic.of(rounds.progress(session, round_=round_, today=utcnow().date()))


@admin_router.post("/{round_id}/enrolments", response_model=EnrolmentResultPublic,
                   responses={422: {"model": ErrorPublic}})
def enrol(data: EnrolmentCreate, round_: RoundById, admin: CurrentAdmin, session: SessionDep) -> EnrolmentResultPublic:
    """Enrol volunteers by e-mail address and/or user id. If any of them is not a volunteer, nothing is
    changed and the answer (422) lists them in `unknown`."""
    emails = [email.strip().lower() for email in data.emails if email.strip()]
    users = rounds.find_volunteers(session, emails=emails, user_ids=data.user_ids)
    return EnrolmentResultPublic.of(rounds.enrol(session, round_=round_, users=users, actor=admin))


@admin_router.delete("/{round_id}/enrolments/{user_id}", status_code=204, response_class=Response)
def unenrol(user_id: int, round_: RoundById, admin: CurrentAdmin, session: SessionDep) -> Response:
    """Take a volunteer out of a round."""
    rounds.unenrol(session, round_=round_, user_id=user_id, actor=admin)
    return Response(status_code=204)


@admin_router.delete("/{round_id}", status_code=204, response_class=Response, responses={409: {"model": ErrorPublic}})
def delete_round(round_: RoundById, admin: CurrentAdmin, session: SessionDep) -> Response:
    """Delete a round that has not started yet."""
    rounds.delete_round(session, round_=round_, actor=admin, today=utcnow().date())
    return Response(status_code=204)
