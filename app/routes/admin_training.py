"""Admin: one person's page with their training status, and granting or revoking certification."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.content import TrainingContent
from app.deps import ContentDep, CurrentAdmin, SessionDep, SettingsDep
from app.errors import Invalid, NotFound
from app.i18n import _, get_locale
from app.models import User
from app.routes.guards import admin_only, csrf_protected
from app.routes.web import redirect
from app.services import quiz, training
from app.templating import render
from app.views import role_names

router = APIRouter(prefix="/admin/users", dependencies=[admin_only, csrf_protected], include_in_schema=False)

SAVED_MESSAGES = {
    "granted": lambda: _("Certification granted."),
    "revoked": lambda: _("Certification revoked."),
}


def _person(session: SessionDep, user_id: int) -> User:
    person = session.get(User, user_id)
    if person is None or person.is_deleted:
        raise NotFound(_("No such user."))
    return person


def _page(request: Request, session: SessionDep, person: User, content: TrainingContent, *,
          form: dict[str, Any] | None = None, errors: dict[str, str] | None = None, message: str | None = None,
          status_code: int = 200) -> HTMLResponse:
    lessons = training.lesson_statuses(session, user=person, content=content, lang=get_locale())
    attempts = quiz.recent_attempts(session, user=person, limit=50)
    return render(request, "admin/user_detail.html", {
        "person": person,
        "role_names": role_names(),
        "certified": training.is_certified(person),
        "lessons": lessons,
        "read_count": sum(1 for status in lessons if status.read),
        "attempts": [(attempt, quiz.attempt_state(attempt, content=content).value) for attempt in attempts],
        "history": training.certification_history(session, user=person),
        "form": form or {},
        "errors": errors or {},
        "message": message,
    }, status_code=status_code)


@router.get("/{user_id}", response_class=HTMLResponse)
def user_detail(user_id: int, request: Request, session: SessionDep, content: ContentDep,
                saved: str | None = None) -> HTMLResponse:
    person = _person(session, user_id)
    message = SAVED_MESSAGES[saved]() if saved in SAVED_MESSAGES else None
    return _page(request, session, person, content, message=message)


def _end_of_day(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(_("The end date must be a date such as 2027-06-30."), field="until") from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


@router.post("/{user_id}/certification", response_class=HTMLResponse)
def change_certification(
    user_id: int,
    request: Request,
    admin: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
    content: ContentDep,
    action: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
    until: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    person = _person(session, user_id)
    form = {"action": action, "reason": reason, "until": until}
    try:
        if action == "grant":
            training.grant_certification(session, admin=admin, user=person, settings=settings, reason=reason,
                                         until=_end_of_day(until))
        elif action == "revoke":
            training.revoke_certification(session, admin=admin, user=person, reason=reason)
        else:
            raise Invalid(_("Choose whether to grant or to revoke the certification."), field="action")
    except Invalid as error:
        key = f"{action}_{error.field or 'reason'}" if action in ("grant", "revoke") else "__all__"
        errors = {key: error.message}
        return _page(request, session, person, content, form=form, errors=errors, status_code=422)
    return redirect(f"/admin/users/{person.id}?saved={'granted' if action == 'grant' else 'revoked'}")
