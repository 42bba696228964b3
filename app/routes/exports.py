"""CSV exports for experts and admins (pages, with the login cookie); the API has the same under /api/v1."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlmodel import Session

from app.db import Database
from app.deps import CurrentExpert, DatabaseDep, SessionDep
from app.models import User, utcnow
from app.routes.guards import csrf_protected, expert_only
from app.services import audit, exports
from app.services.stats_labels import group_names, platform_names, species_names
from app.templating import render

router = APIRouter(dependencies=[expert_only, csrf_protected], include_in_schema=False)


def export_filters(
    status: Annotated[str | None, Query(max_length=200, description="Comma-separated statuses; all by default.")] = None,
    platform: Annotated[str | None, Query(max_length=64, description="Platform id, e.g. ebay.")] = None,
    species: Annotated[str | None, Query(max_length=120, description="Species id of the catalogue.")] = None,
    group: Annotated[str | None, Query(max_length=32, description="mammal, bird, reptile, ...")] = None,
    appendix: Annotated[str | None, Query(max_length=20, description="CITES appendix: I, II or III.")] = None,
    country: Annotated[str | None, Query(max_length=60, description="ISO country code, e.g. FR.")] = None,
    since: Annotated[str | None, Query(max_length=40, description="From this date (ISO 8601, UTC).")] = None,
    until: Annotated[str | None, Query(max_length=40, description="Up to this date, included.")] = None,
) -> exports.ExportFilters:
    return exports.parse_filters(status=status, platform=platform, species=species, group=group,
                                 appendix=appendix, country=country, since=since, until=until)


ExportFiltersDep = Annotated[exports.ExportFilters, Depends(export_filters)]


def csv_response(request: Request, *, session: Session, database: Database, user: User, kind: str,
                 filters: exports.ExportFilters, byte_order_mark: bool) -> StreamingResponse:
    """Audit who exported what, then stream the file (the audit entry commits with the request)."""
    content = request.app.state.content
    build = exports.listings_export if kind == "listings" else exports.referrals_export
    export = build(filters, platform_names=platform_names(content), species_names=species_names(content))
    audit.record(session, action=f"export.{kind}", entity_type="export", entity_id=kind, actor=user,
                 after=filters.describe())
    filename = f"cyberspotter-{kind}-{utcnow().date().isoformat()}.csv"
    return StreamingResponse(
        exports.stream_csv(database, export, byte_order_mark=byte_order_mark),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.get("/exports", response_class=HTMLResponse)
def exports_page(request: Request) -> HTMLResponse:
    content = request.app.state.content
    platforms = sorted(platform_names(content).items(), key=lambda item: item[1].lower())
    return render(request, "dashboard/exports.html", {
        "platforms": platforms,
        "groups": [(key, name) for key, name in group_names().items() if key],
        "statuses": exports.ALL_STATUSES,
        "species": sorted(species_names(content).items(), key=lambda item: item[1]),
    })


@router.get("/exports/listings.csv")
def listings_csv(request: Request, filters: ExportFiltersDep, user: CurrentExpert, session: SessionDep,
                 database: DatabaseDep) -> StreamingResponse:
    return csv_response(request, session=session, database=database, user=user, kind="listings",
                        filters=filters, byte_order_mark=True)


@router.get("/exports/referrals.csv")
def referrals_csv(request: Request, filters: ExportFiltersDep, user: CurrentExpert, session: SessionDep,
                  database: DatabaseDep) -> StreamingResponse:
    return csv_response(request, session=session, database=database, user=user, kind="referrals",
                        filters=filters, byte_order_mark=True)
