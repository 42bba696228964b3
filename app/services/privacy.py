"""Data protection: a person's own data as JSON (access, portability) and account deletion (erasure).

Deleting an account erases or anonymises the person everywhere, and keeps what the
programme needs that is not about them:

* the user row stays, anonymous: e-mail `deleted-<id>@invalid`, display name "Deleted
  volunteer", an unusable password hash, no language, no certification, `deleted_at` set.
  Keeping the row (rather than deleting it) keeps every foreign key whole;
* their reports stay as anonymous contributions (`reporter_id` NULL), so listings, their
  report counts, referrals and the programme's figures do not change. What a report says
  about the *listing* is kept as evidence: the URL, species guess, price, seller handle,
  listing title and text, and the screenshots (whose metadata was stripped on upload);
* in the texts they wrote to the experts (report notes, answers to questions) their
  e-mail address and display name are replaced by "[removed]"; so are they in what experts
  wrote about their listings (questions, findings, decision notes), where the name must
  match exactly, so that "Robin" goes and the robin of a finding stays;
* audit entries keep the action and keep pointing at the (now anonymous) row as actor, so
  "the same person did these" stays visible while who it was does not; their e-mail and
  display name are removed from the entries' details;
* sessions (so every device is logged out), lesson progress, quiz attempts, round
  enrolments and failed-login records (keyed by e-mail) are deleted.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select, update
from sqlmodel import Session

from app.config import Settings
from app.errors import Conflict, Invalid, InvalidCredentials
from app.i18n import _
from app.models import (
    AuditEntry,
    Evidence,
    LessonProgress,
    Listing,
    LoginFailure,
    QuizAttempt,
    Report,
    ReviewAnswer,
    ReviewQuestion,
    Role,
    Round,
    RoundEnrolment,
    User,
    UserSession,
)
from app.services import accounts, audit

EXPORT_FORMAT = "cyberspotter-personal-data/1"
DELETED_NAME = "Deleted volunteer"
REMOVED = "[removed]"
UNUSABLE_PASSWORD_HASH = "!deleted"  # noqa: S105 (not a hash any hasher accepts: no password ever matches)
MIN_NAME_TO_SCRUB = 3  # a one- or two-letter display name would wreck the texts it is removed from


class WrongPassword(Invalid):
    """The password did not match; committed so the failure counts towards login throttling."""

    commit = True


def deleted_email(user_id: int) -> str:
    return f"deleted-{user_id}@invalid"


# --- Access: everything about one person ----------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: _plain(getattr(obj, field)) for field in fields}


def export_personal_data(session: Session, *, user: User, now: datetime, base_url: str = "") -> dict[str, Any]:
    """All the personal data held about `user`, as JSON-ready values."""
    reports = list(session.execute(
        select(Report, Listing.canonical_url, Listing.status).join(Listing, Listing.id == Report.listing_id)
        .where(Report.reporter_id == user.id).order_by(Report.id)))
    report_ids = [report.id for report, _url, _status in reports]
    evidence = list(session.execute(select(Evidence).where(Evidence.report_id.in_(report_ids))
                                    .order_by(Evidence.id)).scalars()) if report_ids else []
    answers = list(session.execute(
        select(ReviewAnswer, ReviewQuestion.text).join(ReviewQuestion, ReviewQuestion.id == ReviewAnswer.question_id)
        .where(ReviewAnswer.report_id.in_(report_ids)).order_by(ReviewAnswer.id))) if report_ids else []
    rounds = list(session.execute(
        select(Round, RoundEnrolment.enrolled_at).join(RoundEnrolment, RoundEnrolment.round_id == Round.id)
        .where(RoundEnrolment.user_id == user.id).order_by(Round.starts_on)))
    failures = session.execute(select(LoginFailure.at).where(LoginFailure.key == f"account:{user.email}")
                               .order_by(LoginFailure.at)).scalars()
    report_fields = ("id", "listing_id", "original_url", "species_id", "species_guess", "confidence", "live_animal",
                     "price", "currency", "country", "seller_handle", "listing_title", "listing_text", "notes",
                     "created_at")
    return {
        "format": EXPORT_FORMAT,
        "exported_at": now.isoformat(),
        "user": _row(user, ("id", "email", "display_name", "role", "locale", "certified_until", "blur_evidence",
                            "leaderboard_opt_in", "created_at", "password_changed_at")),
        "reports": [{**_row(report, report_fields), "listing_url": url, "listing_status": status}
                    for report, url, status in reports],
        "evidence": [{**_row(item, ("id", "report_id", "sha256", "content_type", "width", "height", "size_bytes",
                                    "created_at", "deleted_at")),
                      "download_url": None if item.deleted_at else f"{base_url}/api/v1/evidence/{item.id}"}
                     for item in evidence],
        "review_answers": [{**_row(answer, ("id", "report_id", "text", "answered_at")), "question": question}
                           for answer, question in answers],
        "quiz_attempts": [_row(attempt, ("id", "content_version", "language", "question_ids", "started_at",
                                         "expires_at", "submitted_at", "answers", "correct_count", "score",
                                         "pass_mark", "passed"))
                          for attempt in session.execute(select(QuizAttempt).where(QuizAttempt.user_id == user.id)
                                                         .order_by(QuizAttempt.id)).scalars()],
        "lesson_progress": [_row(item, ("lesson_slug", "read_at")) for item in session.execute(
            select(LessonProgress).where(LessonProgress.user_id == user.id).order_by(LessonProgress.id)).scalars()],
        "rounds": [{**_row(round_, ("id", "name", "starts_on", "weeks", "weekly_minimum")),
                    "enrolled_at": _plain(enrolled_at)} for round_, enrolled_at in rounds],
        # Session ids are credentials' keys: their times and kinds are the person's data, the ids are not shown.
        "sessions": [_row(item, ("kind", "created_at", "expires_at", "revoked_at")) for item in session.execute(
            select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.created_at)).scalars()],
        "login_failures": [{"at": _plain(at)} for at in failures],
        "audit": [_row(entry, ("at", "action", "entity_type", "entity_id", "before", "after", "reason"))
                  for entry in session.execute(select(AuditEntry).where(AuditEntry.actor_id == user.id)
                                               .order_by(AuditEntry.id)).scalars()],
    }


# --- Erasure -----------------------------------------------------------------------------------


def _needles(user: User, *, exact_case: bool = False) -> list[re.Pattern[str]]:
    """Patterns for the person's e-mail address and display name (as a whole word or words).

    `exact_case` for texts other people wrote: there "Robin" the name is removed, "robin" the bird stays.
    """
    patterns = [re.compile(re.escape(user.email), re.IGNORECASE)]
    name = " ".join(user.display_name.split())
    if len(name) >= MIN_NAME_TO_SCRUB:
        flags = 0 if exact_case else re.IGNORECASE
        patterns.append(re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)", flags))
    return patterns


def scrub_text(text: str | None, needles: list[re.Pattern[str]]) -> str | None:
    if not text:
        return text
    for needle in needles:
        text = needle.sub(REMOVED, text)
    return text


def _scrub_json(value: Any, needles: list[re.Pattern[str]]) -> Any:
    if isinstance(value, str):
        return scrub_text(value, needles)
    if isinstance(value, dict):
        return {key: _scrub_json(item, needles) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_json(item, needles) for item in value]
    return value


def _scrub_expert_texts(session: Session, *, report_ids: list[int], needles: list[re.Pattern[str]]) -> None:
    """Experts may have addressed the reporter by name in a question or a note on the listing."""
    listing_ids = select(Report.listing_id).where(Report.id.in_(report_ids))
    for question in session.execute(select(ReviewQuestion).where(ReviewQuestion.listing_id.in_(listing_ids))).scalars():
        question.text = scrub_text(question.text, needles) or REMOVED
        session.add(question)
    for listing in session.execute(select(Listing).where(Listing.id.in_(listing_ids))).scalars():
        listing.finding = scrub_text(listing.finding, needles)
        listing.decision_note = scrub_text(listing.decision_note, needles)
        session.add(listing)


def check_password(session: Session, *, user: User, password: str, settings: Settings) -> None:
    """The account's password, with the login throttle: a stolen session must not guess it here."""
    try:
        accounts.authenticate(session, email=user.email, password=password, client_address=None, settings=settings)
    except InvalidCredentials:
        raise WrongPassword(_("That is not your password, so your account has not been deleted."),
                            field="password", code="wrong_password") from None


def delete_account(session: Session, *, user: User, password: str, settings: Settings, now: datetime) -> None:
    """Erase or anonymise `user` everywhere (see the module doc). Raises WrongPassword, RateLimited, Conflict."""
    if user.is_deleted:
        raise Conflict(_("This account has already been deleted."), code="already_deleted")
    check_password(session, user=user, password=password, settings=settings)
    if user.role == Role.admin:
        admins = session.execute(select(func.count(User.id)).where(
            User.role == Role.admin, User.deleted_at.is_(None))).scalar_one()
        if admins <= 1:
            raise Conflict(_("You are the only admin. Make someone else an admin before deleting your account."),
                           code="last_admin")
    user_id: int = user.id  # type: ignore[assignment]
    needles = _needles(user)
    old_email = user.email

    report_ids = list(session.execute(select(Report.id).where(Report.reporter_id == user_id)).scalars())
    for report in session.execute(select(Report).where(Report.id.in_(report_ids))).scalars() if report_ids else []:
        report.notes = scrub_text(report.notes, needles)
        session.add(report)
    if report_ids:
        for answer in session.execute(select(ReviewAnswer).where(ReviewAnswer.report_id.in_(report_ids))).scalars():
            answer.text = scrub_text(answer.text, needles) or REMOVED
            session.add(answer)
        _scrub_expert_texts(session, report_ids=report_ids, needles=_needles(user, exact_case=True))
        session.execute(update(Report).where(Report.id.in_(report_ids)).values(reporter_id=None))

    mentions = or_(
        AuditEntry.actor_id == user_id,
        (AuditEntry.entity_type == "user") & (AuditEntry.entity_id == str(user_id)),
        cast(AuditEntry.before, String).contains(old_email, autoescape=True),
        cast(AuditEntry.after, String).contains(old_email, autoescape=True),
        AuditEntry.reason.contains(old_email, autoescape=True),
    )
    for entry in session.execute(select(AuditEntry).where(mentions)).scalars():
        entry.before = _scrub_json(entry.before, needles)
        entry.after = _scrub_json(entry.after, needles)
        entry.reason = scrub_text(entry.reason, needles)
        session.add(entry)

    session.execute(delete(LoginFailure).where(LoginFailure.key == f"account:{old_email}"))
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    session.execute(delete(LessonProgress).where(LessonProgress.user_id == user_id))
    session.execute(delete(QuizAttempt).where(QuizAttempt.user_id == user_id))
    session.execute(delete(RoundEnrolment).where(RoundEnrolment.user_id == user_id))

    user.email = deleted_email(user_id)
    user.display_name = DELETED_NAME
    user.password_hash = UNUSABLE_PASSWORD_HASH
    user.locale = None
    user.certified_until = None
    user.leaderboard_opt_in = False
    user.password_changed_at = None
    user.deleted_at = now
    session.add(user)
    audit.record(session, action="user.deleted", entity_type="user", entity_id=user_id, actor=user,
                 after={"reports_kept_anonymous": len(report_ids)})
    session.flush()
