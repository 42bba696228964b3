"""Signed evidence links: a company opens a referral's screenshots without an account.

The link carries the referral, an expiry and an HMAC over both and the evidence id
(`app.webhooks.payloads.evidence_link`). It opens only evidence of that referral's
listing, and only until it expires (7 days by default); a tampered link is refused.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from sqlalchemy import select

from app.deps import SessionDep, SettingsDep
from app.errors import DomainError, Forbidden, NotFound
from app.i18n import _
from app.models import Evidence, Referral, Report, utcnow
from app.services import evidence as evidence_service
from app.webhooks.payloads import evidence_link_valid

router = APIRouter(prefix="/evidence-links", include_in_schema=False)


class LinkExpired(DomainError):
    status_code = 410
    code = "link_expired"


@router.get("/{evidence_id}")
def open_evidence_link(
    evidence_id: int,
    session: SessionDep,
    settings: SettingsDep,
    referral: Annotated[int, Query()],
    expires: Annotated[int, Query()],
    sig: Annotated[str, Query(max_length=128)],
) -> FileResponse:
    """The stored screenshot, for whoever holds a valid link from a referral."""
    if not evidence_link_valid(settings, evidence_id=evidence_id, referral_id=referral, expires=expires,
                               signature=sig):
        raise Forbidden(
            _("This evidence link is not valid. Use the link exactly as it came in the referral."),
            code="link_invalid",
        )
    if expires < int(utcnow().timestamp()):
        raise LinkExpired(
            _("This evidence link has expired. Fetch the referral again from the API for fresh links."),
        )
    row = session.execute(
        select(Evidence)
        .join(Report, Report.id == Evidence.report_id)
        .join(Referral, Referral.listing_id == Report.listing_id)
        .where(Evidence.id == evidence_id, Referral.id == referral)
    ).scalars().first()
    if row is None:
        raise NotFound(_("This referral has no such picture."))
    if row.deleted_at is not None:
        raise LinkExpired(_("This picture has been deleted (it is kept for a limited time only)."))
    path, name = evidence_service.served_file(settings, row)
    return FileResponse(
        path,
        media_type=row.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "private, max-age=3600",
            "Referrer-Policy": "no-referrer",
        },
    )
