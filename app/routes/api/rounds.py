"""Rounds: admins create them and enrol volunteers; volunteers follow their own progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.deps import CurrentAdmin, CurrentUser, SessionDep, require_admin
from app.models import Round, utcnow
from app.schemas.common import ErrorPublic
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


@router.get("/mine", response_model=list[MyRoundPublic])
def my_rounds(user: CurrentUser, session: SessionDep) -> list[MyRoundPublic]:
    """The rounds you are enrolled in (running first, then upcoming, then ended), with your reports per
    week and whether you met the weekly minimum."""
    return [MyRoundPublic.of(item) for item in rounds.rounds_of(session, user=user, today=utcnow().date())]


@admin_router.get("", response_model=list[RoundPublic])
def list_rounds(session: SessionDep) -> list[RoundPublic]:
    """Every round, the latest first, with how many volunteers are enrolled."""
    today = utcnow().date()
    return [RoundPublic.of(round_, state=rounds.round_state(round_, today), enrolled=count)
            for round_, count in rounds.list_rounds(session)]


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
