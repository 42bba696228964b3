"""The bodies of our webhook messages, and the signed evidence links they carry.

The `referral.created` body follows `webhooks.md` field for field. It is built only from
the listing, the experts' decision and the evidence files: nothing in it may identify a
volunteer (no reporter ids, names, e-mails, notes or listing text typed by volunteers).
`tests/referrals/test_payloads.py` scans real payloads for reporter data.

Evidence links are plain URLs with an expiry and an HMAC (`security.sign_value`) over
the evidence id, the referral id and the expiry: no login, one referral's evidence only,
and nothing to store.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from app.config import Settings
from app.models import Evidence, Listing, Referral
from app.security import sign_value

REFERRAL_CREATED = "referral.created"
PING = "ping"


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a "Z", to the second: "2026-11-24T10:00:00Z"."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- Evidence links --------------------------------------------------------------------


def _evidence_link_value(*, evidence_id: int, referral_id: int, expires: int) -> str:
    return f"evidence-link:{evidence_id}:{referral_id}:{expires}"


def evidence_link_signature(settings: Settings, *, evidence_id: int, referral_id: int, expires: int) -> str:
    return sign_value(
        key=settings.signing_key,
        value=_evidence_link_value(evidence_id=evidence_id, referral_id=referral_id, expires=expires),
    )


def evidence_link(settings: Settings, *, evidence_id: int, referral_id: int, now: datetime) -> str:
    """An absolute URL that opens one evidence file of one referral until it expires."""
    expires = int((now + timedelta(days=settings.evidence_link_days)).timestamp())
    signature = evidence_link_signature(settings, evidence_id=evidence_id, referral_id=referral_id, expires=expires)
    query = urlencode({"referral": referral_id, "expires": expires, "sig": signature})
    return f"{settings.base_url.rstrip('/')}/evidence-links/{evidence_id}?{query}"


def evidence_id_from_link(url: str) -> int | None:
    """The evidence id in one of our links (to renew it), or None."""
    _before, found, tail = urlsplit(url).path.rpartition("/evidence-links/")
    return int(tail) if found and tail.isascii() and tail.isdigit() else None


def evidence_link_valid(
    settings: Settings, *, evidence_id: int, referral_id: int, expires: int, signature: str
) -> bool:
    """True when `signature` is ours for these values (the expiry is checked separately)."""
    expected = evidence_link_signature(settings, evidence_id=evidence_id, referral_id=referral_id, expires=expires)
    return hmac.compare_digest(expected.encode(), signature.encode())


# --- Bodies ----------------------------------------------------------------------------


def species_block(listing: Listing, species_by_id: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Scientific name, English common name and CITES appendix of the confirmed species."""
    if not listing.species_id:
        return None
    species = (species_by_id or {}).get(listing.species_id)
    if species is None:
        return {"scientific_name": listing.species_id, "common_name": None, "cites_appendix": None}
    names = species.names("en")
    return {
        "scientific_name": species.scientific_name,
        "common_name": names[0] if names else None,
        "cites_appendix": species.appendix_label or None,
    }


def outcome_url(settings: Settings, referral_id: int) -> str:
    return f"{settings.base_url.rstrip('/')}/api/v1/company/referrals/{referral_id}/outcome"


def referral_created(
    *,
    referral: Referral,
    listing: Listing,
    evidence: Iterable[Evidence],
    settings: Settings,
    species_by_id: Mapping[str, Any] | None,
    now: datetime,
) -> dict[str, Any]:
    """The `referral.created` body (webhooks.md). `now` dates the event and starts the links' validity."""
    assert referral.id is not None
    return {
        "type": REFERRAL_CREATED,
        "timestamp": iso_utc(now),
        "data": {
            "referral_id": str(referral.id),
            "listing_url": listing.canonical_url,
            "platform": listing.platform_id,
            "species": species_block(listing, species_by_id),
            "finding": listing.finding,
            "confirmed_at": iso_utc(listing.confirmed_at or listing.decided_at),
            "report_count": listing.report_count,
            "evidence": [
                {
                    "sha256": item.sha256,
                    "content_type": item.content_type,
                    "url": evidence_link(settings, evidence_id=item.id, referral_id=referral.id, now=now),  # type: ignore[arg-type]
                }
                for item in evidence
            ],
            "outcome_url": outcome_url(settings, referral.id),
        },
    }


def ping(*, company_id: int, now: datetime) -> dict[str, Any]:
    """The test event of the admin's "Send a test event" button."""
    return {
        "type": PING,
        "timestamp": iso_utc(now),
        "data": {"company_id": str(company_id), "message": "Test event from Cyber Spotter"},
    }
