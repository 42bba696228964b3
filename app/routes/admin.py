"""Admin pages: people and roles (other admin screens register their links in ADMIN_LINKS)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import CurrentAdmin, SessionDep
from app.errors import Invalid, NotFound
from app.i18n import _, lazy_gettext
from app.models import Role, User
from app.routes.guards import admin_only, csrf_protected
from app.routes.web import redirect
from app.services import accounts
from app.templating import render
from app.views import role_names

router = APIRouter(prefix="/admin", dependencies=[admin_only, csrf_protected], include_in_schema=False)

# (url, title, description): the admin home lists these.
ADMIN_LINKS: list[tuple[str, object, object]] = [
    ("/admin/users", lazy_gettext("People"), lazy_gettext("Find people, change roles, see training status.")),
    ("/admin/rounds", lazy_gettext("Rounds"), lazy_gettext("Weekly reporting rounds: enrol volunteers, see who met the minimum.")),
    ("/dsa-report", lazy_gettext("Trusted-flagger report"), lazy_gettext("The yearly report of notices sent to hosting providers (EU DSA).")),
    ("/admin/audit", lazy_gettext("Audit log"), lazy_gettext("Who changed what and when: claims, decisions, roles, certifications.")),
    ("/admin/code-words", lazy_gettext("Code words"), lazy_gettext("Approve the seller keywords experts propose; approved terms flag listings.")),
    ("/admin/companies", lazy_gettext("Companies and webhooks"), lazy_gettext("Who receives confirmed listings: endpoints, secrets, test events, the delivery log.")),
    ("/admin/referrals", lazy_gettext("Referrals"), lazy_gettext("Every confirmed listing sent (or waiting to be sent) to a company, and what it answered.")),
]


@router.get("", response_class=HTMLResponse)
def admin_home(request: Request) -> HTMLResponse:
    links = [{"url": url, "title": str(title), "description": str(text)} for url, title, text in ADMIN_LINKS]
    return render(request, "admin/index.html", {"admin_links": links})


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, q: str | None = None, role: str | None = None,
               saved: int | None = None) -> HTMLResponse:
    role = role if role in {r.value for r in Role} else None
    users = accounts.list_users(session, query=q, role=role, limit=200)
    message = _("The role has been changed.") if saved else None
    return render(request, "admin/users.html",
                  {"users": users, "q": q, "role": role, "role_names": role_names(), "message": message})


@router.post("/users/{user_id}/role")
def change_role(
    user_id: int,
    admin: CurrentAdmin,
    session: SessionDep,
    role: Annotated[str, Form(max_length=16)],
    reason: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    if role not in {r.value for r in Role}:
        raise Invalid(_("Unknown role."), field="role")
    accounts.change_role(session, admin=admin, user=user, role=Role(role), reason=reason)
    return redirect("/admin/users?saved=1")
