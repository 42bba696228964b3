"""Seller keywords for admins: approve or reject the terms experts proposed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import CurrentAdmin, SessionDep
from app.i18n import _, ngettext
from app.routes.guards import admin_only, csrf_protected
from app.routes.web import redirect
from app.services import code_words
from app.templating import render

router = APIRouter(prefix="/admin/code-words", dependencies=[admin_only, csrf_protected], include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def code_word_proposals(request: Request, session: SessionDep) -> HTMLResponse:
    params = request.query_params
    message = None
    if params.get("approved", "").isdigit():
        flagged = int(params.get("flagged", "0") or 0) if params.get("flagged", "").isdigit() else 0
        message = _("The term is approved.") + " " + ngettext(
            "%(num)s waiting listing is now flagged.", "%(num)s waiting listings are now flagged.", flagged)
    elif "rejected" in params:
        message = _("The term is rejected; it flags no new listing.")
    return render(request, "admin/code_words.html", {
        "pending": code_words.list_proposals(session, status=code_words.PENDING),
        "reviewed": [p for p in code_words.list_proposals(session, limit=100) if p.status != code_words.PENDING],
        "status_names": code_words.status_names(),
        "message": message,
    })


@router.post("/{proposal_id}/approve")
def approve(proposal_id: int, request: Request, session: SessionDep, admin: CurrentAdmin,
            reason: Annotated[str | None, Form(max_length=2000)] = None) -> Response:
    outcome = code_words.review(session, admin=admin, proposal_id=proposal_id, approve=True, reason=reason,
                                content=request.app.state.content)
    return redirect(f"/admin/code-words?approved={proposal_id}&flagged={outcome.flagged}")


@router.post("/{proposal_id}/reject")
def reject(proposal_id: int, request: Request, session: SessionDep, admin: CurrentAdmin,
           reason: Annotated[str | None, Form(max_length=2000)] = None) -> Response:
    code_words.review(session, admin=admin, proposal_id=proposal_id, approve=False, reason=reason,
                      content=request.app.state.content)
    return redirect(f"/admin/code-words?rejected={proposal_id}")
