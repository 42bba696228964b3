"""The audit log for admins: every recorded change, filterable, newest first, a page at a time."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from app.deps import SessionDep
from app.errors import Invalid
from app.i18n import _
from app.models import User
from app.routes.guards import admin_only, csrf_protected
from app.services import review_history
from app.services.review_queue import parse_day
from app.templating import render

router = APIRouter(prefix="/admin/audit", dependencies=[admin_only, csrf_protected], include_in_schema=False)

FIELDS = ("action", "entity_type", "entity_id", "actor", "since", "until")


def _actor_id(session: SessionDep, actor: str | None) -> int | None:
    """An actor given as a user id or an e-mail address."""
    if not actor:
        return None
    if actor.isdigit():
        return int(actor)
    user_id = session.execute(select(User.id).where(User.email == actor.strip().lower())).scalar()
    if user_id is None:
        raise Invalid(_("Nobody has the e-mail address %(email)s.", email=actor), field="actor")
    return user_id


@router.get("", response_class=HTMLResponse)
def audit_log(request: Request, session: SessionDep,
              cursor: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    values = {name: request.query_params[name].strip()[:200] for name in FIELDS
              if request.query_params.get(name, "").strip()}
    errors: dict[str, str] = {}
    status_code = 200
    try:
        filters = review_history.AuditFilters(
            action=values.get("action"),
            entity_type=values.get("entity_type"),
            entity_id=values.get("entity_id"),
            actor_id=_actor_id(session, values.get("actor")),
            since=parse_day(values.get("since"), field="since"),
            until=parse_day(values.get("until"), field="until", end_of_day=True),
        )
        page = review_history.audit_page(session, filters=filters, cursor=cursor)
    except Invalid as error:
        errors[error.field or "__all__"] = error.message
        status_code = 422
        page = review_history.AuditPage(items=[], next_cursor=None)
    return render(
        request,
        "admin/audit.html",
        {
            "page": page,
            "values": values,
            "errors": errors,
            "actions": review_history.COMMON_ACTIONS,
            "action_names": review_history.action_names(),
            "next_url": f"/admin/audit?{urlencode({**values, 'cursor': page.next_cursor})}" if page.next_cursor else None,
            "first_url": f"/admin/audit?{urlencode(values)}" if cursor else None,
        },
        status_code=status_code,
    )
