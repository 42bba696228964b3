"""The opt-in leaderboard, the opt-in switch, and the data behind the account page's figures partial."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import CurrentUser, SessionDep, SettingsDep
from app.models import Role, User, utcnow
from app.routes.guards import csrf_protected, signed_in
from app.routes.web import redirect, safe_next
from app.services import rounds, stats_people
from app.templating import environment, render

router = APIRouter(dependencies=[signed_in, csrf_protected], include_in_schema=False)


@dataclass
class AccountFigures:
    figures: stats_people.VolunteerFigures | None
    rounds: list[rounds.RoundProgress]


def account_figures(request: Request) -> AccountFigures:
    """What `account/_figures.html` shows, read in its own short session.

    The account page belongs to the accounts module; the partial fetches its own data so
    that page needs only the one `include` line.
    """
    user: User | None = getattr(request.state, "user", None)
    if user is None or user.role != Role.volunteer:
        return AccountFigures(figures=None, rounds=[])
    with request.app.state.db.session() as session:
        return AccountFigures(
            figures=stats_people.volunteer_figures(session, user=user),
            rounds=rounds.rounds_of(session, user=user, today=utcnow().date(), include_ended=False),
        )


environment.globals["account_figures"] = account_figures


@router.get("/leaderboard", response_class=HTMLResponse)
def leaderboard_page(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep,
                     period: str | None = None) -> HTMLResponse:
    now = utcnow()
    since = datetime(now.year, 1, 1, tzinfo=UTC) if period == "year" else None
    return render(request, "rounds/leaderboard.html", {
        "rows": stats_people.leaderboard(session, viewer=user, min_count=settings.public_min_count, since=since),
        "programme": stats_people.public_figures(session, min_count=settings.public_min_count),
        "period": "year" if since else "all",
        "year": now.year,
    })


@router.post("/leaderboard/opt-in")
def set_opt_in(
    user: CurrentUser,
    session: SessionDep,
    opt_in: Annotated[str, Form(max_length=5)] = "",
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    stats_people.set_leaderboard_opt_in(session, user=user, opt_in=opt_in in ("1", "true", "on", "yes"))
    return redirect(safe_next(next, "/leaderboard"))
