"""Decisions on a listing: confirm, reject, ask for information; an admin re-opens.

Each decision is one transition of the listing state machine (`listing_states`), taken
with the listing row locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises
writers), so that of two experts deciding at once the second sees the first's decision
and gets 409. Deciding a listing someone else holds is 409 too; deciding one nobody
holds claims it implicitly. The claim ends with the decision.

A confirmation writes the finding the company receives: the substantiated explanation a
notice under the EU Digital Services Act, Art. 16(2)(a), needs. It is composed from a
template for the kind of case plus the expert's own words, always in English (the
language of the referral, whatever the expert's screen shows), and the referral and its
webhook message are written in the same transaction (`referrals.create_referral`).

Reporters see their listing's status on their reports; a rejection also stores the
reason meant for them (`reject_reason`, with `decision_note` in the expert's words).
`reporter_message` (in `review_texts`, with the templates and reasons) turns both into
the sentence a reporter reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.config import Settings
from app.errors import Conflict, DomainError, Invalid
from app.i18n import _
from app.models import Listing, ListingStatus, ReviewQuestion, User, utcnow
from app.services import listing_states, referrals
from app.services import listings as listing_service
from app.services.claims import held_by_other, release_expired_claims
from app.services.review import load_listing
from app.services.review_priority import refresh_reporters_listings
from app.services.review_texts import FINDING_TEMPLATES, REJECT_REASONS, compose_finding

S = ListingStatus
DECISIONS = ("confirm", "reject", "needs_info")
NOTE_MAX = 4000
QUESTION_MAX = 2000
REASON_MAX = 2000
BULK_MAX = 200


@dataclass(frozen=True)
class DecisionInput:
    decision: str
    species_id: str | None = None
    finding_template: str | None = None
    note: str | None = None
    reason: str | None = None
    question: str | None = None
    version: int | None = None  # the version the expert saw; a different one means someone changed it


@dataclass
class BulkResult:
    rejected: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _clean(value: str | None, *, limit: int, field_name: str) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise Invalid(_("This is too long (at most %(n)s characters).", n=limit), field=field_name)
    return text or None


def validate(data: DecisionInput, *, content: object | None) -> dict[str, Any]:
    """The decision's fields, checked; Invalid names the field to correct.

    The API contract's minimal bodies keep working: a confirmation or rejection with only a
    `note` takes the note as its whole explanation (kind "other"), and a needs-info decision
    with only a `note` asks it as the question.
    """
    if data.decision not in DECISIONS:
        raise Invalid(_("Choose confirm, reject or ask for information."), field="decision")
    note = _clean(data.note, limit=NOTE_MAX, field_name="note")
    if data.decision == "confirm":
        species = (getattr(content, "species_by_id", {}) or {}).get(data.species_id or "")
        if species is None:
            raise Invalid(
                _("Choose the species from the catalogue.") if not data.species_id
                else _("%(species)s is not in the species catalogue.", species=data.species_id),
                field="species_id",
            )
        template = data.finding_template or ("other" if note else None)
        if not template:
            raise Invalid(_("Choose the kind of finding, or explain it in your own words."), field="finding_template")
        if template not in FINDING_TEMPLATES:
            raise Invalid(_("Unknown kind of finding."), field="finding_template")
        if template == "other" and not note:
            raise Invalid(_("Explain the finding in the note: the company needs the reasons."), field="note")
        return {"species": species, "template": template, "note": note}
    if data.decision == "reject":
        reason = data.reason or ("other" if note else None)
        if not reason:
            raise Invalid(_("Choose a reason."), field="reason")
        if reason not in REJECT_REASONS:
            raise Invalid(_("Unknown reason."), field="reason")
        if reason == "other" and not note:
            raise Invalid(_("Say in the note why the listing is rejected."), field="note")
        return {"reason": reason, "note": note}
    question = _clean(data.question, limit=QUESTION_MAX, field_name="question") or (
        _clean(data.note, limit=QUESTION_MAX, field_name="note") if data.note else None)
    if not question:
        raise Invalid(_("Write the question for the reporters."), field="question")
    return {"question": question}


def lock_for_decision(session: Session, *, listing_id: int, expert: User, version: int | None,
                      now: datetime) -> Listing:
    """The listing, locked, after the checks every decision shares; Conflict when it cannot be decided."""
    load_listing(session, listing_id)  # NotFound before locking
    listing = listing_service.lock(session, listing_id)
    if listing.status in listing_states.CLOSED:
        raise Conflict(
            _("This listing has already been decided (%(status)s). Only an admin can re-open it.",
              status=listing.status),
            code="invalid_transition",
            extra={"status": listing.status},
        )
    conflict = held_by_other(session, listing, user=expert, now=now)
    if conflict is not None:
        raise conflict
    if version is not None and version != listing.version:
        raise Conflict(
            _("This listing changed since you opened it (new reports, a claim or a decision). "
              "Reload it and decide again."),
            code="stale_version",
            extra={"version": listing.version},
        )
    return listing


def decide(
    session: Session,
    *,
    listing_id: int,
    expert: User,
    data: DecisionInput,
    settings: Settings,
    content: object | None,
    now: datetime | None = None,
) -> Listing:
    """Confirm, reject or ask; returns the listing with its new status."""
    now = now or utcnow()
    release_expired_claims(session, now=now)
    listing = lock_for_decision(session, listing_id=listing_id, expert=expert, version=data.version, now=now)
    values = validate(data, content=content)
    released = {"claimed_by_id": None, "claim_expires_at": None}
    if data.decision == "confirm":
        species = values["species"]
        changes = {
            **released,
            "species_id": species.id,
            "species_group": species.group,
            "appendix_rank": species.appendix_rank,
            "finding": compose_finding(template=values["template"], species=species, note=values["note"]),
            "reject_reason": None,
            "decision_note": None,
            "decided_by_id": expert.id,
            "decided_at": now,
            "confirmed_at": now,
        }
        listing_states.transition(session, listing=listing, to=S.confirmed, actor=expert,
                                  action="listing.confirmed", changes=changes)
        session.flush()
        referrals.create_referral(session, listing=listing, actor=expert, settings=settings, content=content)
    elif data.decision == "reject":
        changes = {
            **released,
            "reject_reason": values["reason"],
            "decision_note": values["note"],
            "finding": None,
            "decided_by_id": expert.id,
            "decided_at": now,
        }
        listing_states.transition(session, listing=listing, to=S.rejected, actor=expert,
                                  action="listing.rejected", changes=changes)
    else:
        question = ReviewQuestion(listing_id=listing.id, asked_by_id=expert.id, text=values["question"],  # type: ignore[arg-type]
                                  asked_at=now)
        session.add(question)
        session.flush()
        # The question is referred to by id, not copied: it may name a reporter, and the privacy
        # service erases names from review questions, which an audit copy would escape.
        listing_states.transition(session, listing=listing, to=S.needs_info, actor=expert,
                                  action="listing.needs_info", changes=released,
                                  audit_details={"question_id": question.id})
    session.flush()
    if data.decision != "needs_info":
        # The reporters' track records changed: so does the priority of their other waiting listings.
        refresh_reporters_listings(session, listing_id=listing.id, now=now)  # type: ignore[arg-type]
    return listing


def reopen(session: Session, *, listing_id: int, admin: User, reason: str | None,
           now: datetime | None = None) -> Listing:
    """Send a decided (or waiting-for-information) listing back to the queue; admins only, with a reason."""
    now = now or utcnow()
    reason = _clean(reason, limit=REASON_MAX, field_name="reason")
    if not reason:
        raise Invalid(_("Say why the listing is re-opened: it stays in the history."), field="reason")
    load_listing(session, listing_id)
    listing = listing_service.lock(session, listing_id)
    if listing.status not in (*listing_states.CLOSED, S.needs_info):
        raise Conflict(
            _("Only a decided listing, or one waiting for information, can be re-opened; this one is %(status)s.",
              status=listing.status),
            code="invalid_transition",
            extra={"status": listing.status},
        )
    changes = {
        "claimed_by_id": None,
        "claim_expires_at": None,
        "decided_by_id": None,
        "decided_at": None,
        "finding": None,
        "reject_reason": None,
        "decision_note": None,
        "confirmed_at": None,
        "removed_at": None,
    }
    listing_states.transition(session, listing=listing, to=S.pending, actor=admin, action="listing.reopened",
                              reason=reason, changes={k: v for k, v in changes.items() if getattr(listing, k) != v})
    session.flush()
    refresh_reporters_listings(session, listing_id=listing.id, now=now)  # type: ignore[arg-type]
    return listing


def bulk_reject(
    session: Session,
    *,
    listing_ids: Sequence[int],
    expert: User,
    reason: str | None,
    note: str | None,
    settings: Settings,
    content: object | None,
    now: datetime | None = None,
) -> BulkResult:
    """Reject several listings with one reason; those that cannot be rejected are skipped, with why."""
    now = now or utcnow()
    ids = list(dict.fromkeys(int(listing_id) for listing_id in listing_ids))
    if not ids:
        raise Invalid(_("Select at least one listing."), field="listing_ids")
    if len(ids) > BULK_MAX:
        raise Invalid(_("Select at most %(n)s listings at once.", n=BULK_MAX), field="listing_ids")
    data = DecisionInput(decision="reject", reason=reason, note=note)
    validate(data, content=content)  # a bad reason fails the whole request, before anything changes
    result = BulkResult()
    for listing_id in ids:
        try:
            with session.begin_nested():
                decide(session, listing_id=listing_id, expert=expert, data=data, settings=settings,
                       content=content, now=now)
            result.rejected.append(listing_id)
        except DomainError as error:
            result.skipped.append((listing_id, error.message))
    return result
