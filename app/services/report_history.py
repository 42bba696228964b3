"""What a reporter may see of what became of their report: the listing's history, the
experts' questions (and a way to answer them), what the company did, their own figures.

Only the listing's statuses, the questions, this reporter's own answers and the
referral's dates and outcome are shown: never other reporters, their answers or notes,
nor which expert did what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.models import (
    AuditEntry,
    Listing,
    ListingStatus,
    Referral,
    Report,
    ReviewAnswer,
    ReviewQuestion,
    User,
    utcnow,
)
from app.schemas.reports import MAX_ANSWER_LENGTH
from app.services import audit, listing_states, listings, review_texts
from app.services.report_fields import clean_text

S = ListingStatus


def status_labels() -> dict[str, str]:
    """Listing statuses as a reporter reads them."""
    return {
        S.pending: _("Waiting for review"),
        S.in_review: _("In review"),
        S.needs_info: _("Question for you"),
        S.confirmed: _("Confirmed"),
        S.rejected: _("Not confirmed"),
        S.removed: _("Removed"),
    }


STATUS_BADGES = {
    S.pending: "badge",
    S.in_review: "badge badge-info",
    S.needs_info: "badge badge-warn",
    S.confirmed: "badge badge-ok",
    S.rejected: "badge badge-error",
    S.removed: "badge badge-ok",
}


def reject_reason_label(code: str | None) -> str | None:
    """The short name of the reason an expert gave for not confirming (see `review_texts`)."""
    if not code:
        return None
    return review_texts.reject_reason_label(code) or code.replace("_", " ")


def reporter_message(listing: Listing) -> str | None:
    """What the experts say to the listing's reporters about their decision, in the reader's language."""
    return review_texts.reporter_message(listing)


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    event: str
    at: datetime
    label: str


@dataclass(frozen=True, slots=True)
class QuestionView:
    question: ReviewQuestion
    answers: list[ReviewAnswer]


def _event_label(event: str, listing: Listing) -> str:
    labels = {
        "submitted": _("You reported it"),
        S.in_review: _("An expert started reviewing it"),
        S.needs_info: _("The expert asked reporters a question"),
        "info_answered": _("Back in the queue with the answers"),
        "reopened": _("Reopened for another review"),
        S.confirmed: _("Confirmed by an expert"),
        S.rejected: _("Not confirmed by an expert"),
        S.removed: _("Removed from the platform"),
        "no_recipient": _("No company is registered for this platform yet; the Coalition follows it up"),
        "sent": _("Sent to the company that hosts it"),
        "delivered": _("Received by the company"),
        "outcome:removed": _("The company removed it"),
        "outcome:not_removed": _("The company did not remove it"),
        "outcome:not_found": _("The company found it already gone"),
    }
    label = labels.get(event, event)
    if event == S.rejected and listing.reject_reason:
        label = _("Not confirmed: %(reason)s", reason=reject_reason_label(listing.reject_reason))
    return label


def history(session: Session, *, report: Report, listing: Listing, referral: Referral | None) -> list[HistoryEvent]:
    """The events a reporter may see, oldest first."""
    raw: list[tuple[datetime, str]] = [(report.created_at, "submitted")]
    entries = session.execute(
        select(AuditEntry.at, AuditEntry.after)
        .where(AuditEntry.entity_type == "listing", AuditEntry.entity_id == str(listing.id))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    previous = S.pending
    for at, after in entries:
        status = (after or {}).get("status")
        if not status or status == previous:
            continue
        if status == S.pending:
            # A released claim is not news; an answer or a re-opening is.
            event = "info_answered" if previous == S.needs_info else ("reopened" if previous in listing_states.CLOSED
                                                                       else None)
        else:
            event = status
        previous = status
        if event:
            raw.append((at, event))
    if referral is not None:
        if referral.status == "no_recipient":
            raw.append((referral.created_at, "no_recipient"))
        if referral.sent_at:
            raw.append((referral.sent_at, "sent"))
        if referral.delivered_at:
            raw.append((referral.delivered_at, "delivered"))
        if referral.outcome:
            already = referral.outcome == "removed" and any(event == S.removed for _at, event in raw)
            if not already:
                raw.append((referral.acted_at or referral.outcome_received_at or utcnow(), f"outcome:{referral.outcome}"))
    raw.sort(key=lambda item: item[0])
    return [HistoryEvent(event=event, at=at, label=_event_label(event, listing)) for at, event in raw]


def referral_of(session: Session, listing_id: int) -> Referral | None:
    return session.execute(select(Referral).where(Referral.listing_id == listing_id)).scalars().first()


def questions(session: Session, *, report: Report) -> list[QuestionView]:
    """The experts' questions about the listing, each with this report's answers."""
    asked = list(
        session.execute(
            select(ReviewQuestion).where(ReviewQuestion.listing_id == report.listing_id)
            .order_by(ReviewQuestion.asked_at, ReviewQuestion.id)
        ).scalars()
    )
    if not asked:
        return []
    answers: dict[int, list[ReviewAnswer]] = {}
    for answer in session.execute(
        select(ReviewAnswer).where(ReviewAnswer.report_id == report.id).order_by(ReviewAnswer.answered_at, ReviewAnswer.id)
    ).scalars():
        answers.setdefault(answer.question_id, []).append(answer)
    return [QuestionView(question=q, answers=answers.get(q.id, [])) for q in asked]  # type: ignore[arg-type]


def can_answer(listing: Listing) -> bool:
    return listing.status not in listing_states.CLOSED


def answer(session: Session, *, report: Report, reporter: User, question_id: int, text: str | None,
           now: datetime | None = None) -> ReviewAnswer:
    """The reporter answers a question about their listing; a listing waiting for answers goes back to the queue."""
    if report.reporter_id != reporter.id:
        raise NotFound(_("There is no such report, or it is not yours."))
    question = session.get(ReviewQuestion, question_id)
    if question is None or question.listing_id != report.listing_id:
        raise NotFound(_("There is no such question about this listing."))
    cleaned = clean_text(text, multiline=True)
    if cleaned is None:
        raise Invalid(_("Write your answer first."), field="text")
    if len(cleaned) > MAX_ANSWER_LENGTH:
        raise Invalid(_("This is too long: at most %(max)s characters.", max=MAX_ANSWER_LENGTH), field="text")
    listing = listings.lock(session, report.listing_id)
    if not can_answer(listing):
        raise Conflict(_("An expert has already decided about this listing, so it takes no more answers."),
                       code="listing_closed", extra={"status": listing.status})
    now = now or utcnow()
    row = ReviewAnswer(question_id=question.id, report_id=report.id, text=cleaned, answered_at=now)  # type: ignore[arg-type]
    session.add(row)
    session.flush()
    audit.record(session, action="report.answered", entity_type="report", entity_id=report.id,  # type: ignore[arg-type]
                 actor=reporter, after={"question_id": question.id, "answer_id": row.id})
    if listing.status == S.needs_info:
        listing_states.transition(session, listing=listing, to=S.pending, actor=reporter,
                                  action="listing.info_answered")
    return row


@dataclass(frozen=True, slots=True)
class Figures:
    reports: int
    confirmed: int
    removed: int
    waiting: int


def figures(session: Session, *, reporter: User) -> Figures:
    """How many reports the volunteer sent, and what became of them."""
    counts = dict(
        session.execute(
            select(Listing.status, func.count())
            .join(Report, Report.listing_id == Listing.id)
            .where(Report.reporter_id == reporter.id)
            .group_by(Listing.status)
        ).all()
    )
    total = sum(counts.values())
    return Figures(
        reports=total,
        confirmed=counts.get(S.confirmed, 0) + counts.get(S.removed, 0),
        removed=counts.get(S.removed, 0),
        waiting=counts.get(S.pending, 0) + counts.get(S.in_review, 0) + counts.get(S.needs_info, 0),
    )
