"""Evidence pictures, served only to their reporter, experts and admins."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import FileResponse

from app.config import Settings
from app.deps import CurrentUser, SessionDep, SettingsDep
from app.models import Evidence
from app.schemas.common import ErrorPublic
from app.services import evidence

router = APIRouter(prefix="/evidence", tags=["reports"])

# Pictures never change under an id, but access can end (an account deleted): keep caches short and private.
CACHE_SECONDS = 3600


def evidence_response(settings: Settings, row: Evidence, *, size: str = "full") -> FileResponse:
    """The stored file with headers that keep browsers from guessing its type or caching it publicly."""
    thumbnail = size == "thumb"
    path, name = evidence.served_file(settings, row, thumbnail=thumbnail)
    return FileResponse(
        path,
        media_type=row.content_type,
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": f"private, max-age={CACHE_SECONDS}",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cross-Origin-Resource-Policy": "same-origin",
        },
    )


@router.get(
    "/{evidence_id}",
    response_class=FileResponse,
    responses={
        200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}, "description": "The picture."},
        401: {"model": ErrorPublic, "description": "Not logged in."},
        404: {"model": ErrorPublic, "description": "No such picture, or not yours to see."},
    },
)
def read_evidence(
    evidence_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep,
    size: Literal["full", "thumb"] = "full",
) -> FileResponse:
    """A picture of a report, metadata stripped: for its reporter, experts and admins.
    `?size=thumb` gives a version at most 320 pixels on its longer side."""
    row = evidence.for_viewer(session, evidence_id=evidence_id, viewer=user)
    return evidence_response(settings, row, size=size)
