"""The trusted-flagger yearly report (EU DSA Art. 22(3)) as a page and as CSV, for experts and admins.

Under /dsa-report: /reports/... belongs to the volunteers' own reports.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import SessionDep
from app.models import utcnow
from app.routes.guards import csrf_protected, expert_only
from app.routes.web import redirect
from app.services import stats_dsa
from app.services.exports import csv_line
from app.services.stats_labels import format_duration, group_names, outcome_names, product_form_names
from app.templating import render

router = APIRouter(prefix="/dsa-report", dependencies=[expert_only, csrf_protected], include_in_schema=False)


@router.get("")
def latest_report() -> RedirectResponse:
    return redirect(f"/dsa-report/{utcnow().year - 1}")


@router.get("/{year:int}.csv")
def report_csv(year: int, session: SessionDep) -> Response:
    report = stats_dsa.trusted_flagger_report(session, year=year, now=utcnow())
    body = "".join(csv_line(line) for line in stats_dsa.report_csv_rows(report))
    return Response(
        "\ufeff" + body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cyberspotter-trusted-flagger-report-{year}.csv"'},
    )


@router.get("/{year:int}", response_class=HTMLResponse)
def report_page(request: Request, year: int, session: SessionDep) -> HTMLResponse:
    now = utcnow()
    report = stats_dsa.trusted_flagger_report(session, year=year, now=now)
    years = sorted(set(stats_dsa.notice_years(session)) | {now.year, now.year - 1, year}, reverse=True)
    return render(request, "dashboard/dsa_report.html", {
        "report": report,
        "years": years,
        "groups": group_names(),
        "forms": product_form_names(),
        "actions": outcome_names(),
        "duration": lambda hours: format_duration(hours * 3600) if hours is not None else "—",
    })
