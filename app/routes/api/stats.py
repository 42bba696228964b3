"""Programme figures for experts and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.deps import SessionDep, SettingsDep, require_expert
from app.models import utcnow
from app.schemas.common import ErrorPublic
from app.schemas.stats import StatsPublic
from app.services import stats
from app.services.stats_labels import platform_names
from app.services.stats_period import parse_moment, resolve_period

router = APIRouter(
    prefix="/stats",
    tags=["figures"],
    dependencies=[Depends(require_expert)],
    responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}},
)


@router.get("", response_model=StatsPublic, responses={422: {"model": ErrorPublic}})
def read_stats(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    since: Annotated[str | None, Query(max_length=40, description="Start (ISO date or date-time, UTC); "
                                       "default: 12 weeks or months before `until`.")] = None,
    until: Annotated[str | None, Query(max_length=40, description="End; a plain date includes that day. "
                                       "Default: now.")] = None,
    interval: Annotated[str, Query(pattern="^(week|month)$", description="week or month")] = "week",
) -> StatsPublic:
    """The programme's figures for a period: totals, a series by week or month, breakdowns by
    platform, company, species group, CITES appendix and country, the confirmation rate, the
    median and 90th percentile of report → decision and confirmation → removal, and referrals
    still unanswered after the configured number of days (7 by default).

    Each figure counts events that happened in the period (a listing confirmed in March counts in
    March); `by_company` follows the referrals sent in the period and what became of them."""
    now = utcnow()
    period = resolve_period(since=parse_moment(since, field="since"), until=parse_moment(until, field="until"),
                            interval=interval, now=now)
    figures = stats.programme_figures(session, period=period, now=now,
                                      unanswered_after_days=settings.referral_answer_days,
                                      platform_names=platform_names(request.app.state.content))
    return StatsPublic.of(figures)
