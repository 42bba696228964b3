"""Your own data: download all of it, or delete your account."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from app.deps import CurrentUser, SessionDep, SettingsDep
from app.models import utcnow
from app.schemas.common import ErrorPublic
from app.schemas.privacy import AccountDelete
from app.services import privacy

router = APIRouter(prefix="/me", tags=["accounts"], responses={401: {"model": ErrorPublic}})


def personal_data_response(data: dict, *, user_id: int) -> JSONResponse:
    filename = f"cyberspotter-my-data-{user_id}-{data['exported_at'][:10]}.json"
    return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                       "Cache-Control": "no-store"})


@router.get("/export", responses={200: {"description": "A JSON file: `{user, reports, evidence, review_answers, "
                                                     "quiz_attempts, lesson_progress, rounds, sessions, "
                                                     "login_failures, audit}`."}})
def export_my_data(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    """Everything Cyber Spotter holds about you, as a JSON file to keep or take elsewhere: your account,
    your reports and evidence, answers to experts' questions, quiz attempts, lessons read, rounds,
    sessions, failed logins and the audit entries of what you did."""
    data = privacy.export_personal_data(session, user=user, now=utcnow(), base_url=settings.base_url.rstrip("/"))
    return personal_data_response(data, user_id=user.id)  # type: ignore[arg-type]


@router.delete("", status_code=204, response_class=Response,
               responses={409: {"model": ErrorPublic}, 422: {"model": ErrorPublic}, 429: {"model": ErrorPublic}})
def delete_my_account(data: AccountDelete, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    """Delete your account, confirmed with your password. Your personal data is erased or anonymised and every
    session ends; your reports stay as anonymous contributions, so the listings they helped take down stay
    whole. A wrong password answers 422 and changes nothing (repeated wrong passwords are throttled: 429)."""
    privacy.delete_account(session, user=user, password=data.password, settings=settings, now=utcnow())
    return Response(status_code=204)
