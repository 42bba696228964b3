"""The programme dashboard for experts and admins: figures for a period, as charts and tables."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.deps import SessionDep, SettingsDep
from app.errors import Invalid
from app.i18n import _, babel_locale
from app.models import utcnow
from app.routes.guards import csrf_protected, expert_only
from app.services import stats
from app.services.stats_labels import appendix_names, format_duration, group_names, platform_names
from app.services.stats_period import Period, parse_moment, resolve_period
from app.templating import render_page_or_block

router = APIRouter(dependencies=[expert_only, csrf_protected], include_in_schema=False)

TEMPLATE = "dashboard/dashboard.html"


def country_names(codes: list[str | None]) -> dict[str | None, str]:
    territories = babel_locale().territories
    names: dict[str | None, str] = {code: territories.get(code, code) for code in codes if code}
    names[None] = _("Country not given")
    return names


def form_values(period: Period) -> dict[str, str]:
    """The period as the form shows it: inclusive dates."""
    last_day = (period.until - timedelta(microseconds=1)).date()
    return {"since": period.since.date().isoformat(), "until": last_day.isoformat(), "interval": period.interval}


def labels(figures: stats.ProgrammeFigures) -> dict[str, Any]:
    return {
        "platform": {None: _("Platform not recognised"),
                     **{row.key: row.label for row in figures.by_platform if row.key}},
        "group": group_names(),
        "appendix": appendix_names(),
        "country": country_names([row.key for row in figures.by_country]),
    }


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    interval: Annotated[str | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    now = utcnow()
    try:
        period = resolve_period(since=parse_moment(since, field="since"), until=parse_moment(until, field="until"),
                                interval=interval, now=now)
    except Invalid as error:
        form = {"since": since or "", "until": until or "", "interval": interval or "week"}
        return render_page_or_block(request, TEMPLATE, "figures",
                                    {"form": form, "errors": {error.field or "__all__": error.message},
                                     "figures": None, "this_year": now.year}, status_code=422)
    figures = stats.programme_figures(session, period=period, now=now,
                                      unanswered_after_days=settings.referral_answer_days,
                                      platform_names=platform_names(request.app.state.content))
    return render_page_or_block(request, TEMPLATE, "figures", {
        "form": form_values(period),
        "errors": {},
        "figures": figures,
        "labels": labels(figures),
        "this_year": now.year,
        "duration": format_duration,
    })
