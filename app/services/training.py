"""Onboarding: lessons read, certification, and a volunteer's training status.

The quiz itself (drawing, grading, limits) lives in `app.services.quiz`; passing it calls
`certify` here. Certification is a date on the user (`certified_until`), independent of
the content version: a new question bank never takes away a certification already earned.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.config import Settings
from app.content import Lesson, TrainingContent
from app.errors import Forbidden, Invalid, NotFound
from app.i18n import _
from app.models import AuditEntry, LessonProgress, Role, User, utcnow
from app.services import audit

REASON_MAX = 2000


@dataclass(frozen=True, slots=True)
class LessonStatus:
    """One lesson as a reader sees it: in their language where translated, and whether they read it."""

    lesson: Lesson
    fell_back: bool  # shown in English because there is no translation in the reader's language
    read_at: datetime | None
    number: int  # 1-based position in the course

    @property
    def read(self) -> bool:
        return self.read_at is not None


def add_months(value: datetime, months: int) -> datetime:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def is_certified(user: User, *, now: datetime | None = None) -> bool:
    """Whether the person may report: staff always, a volunteer while the certification runs."""
    if user.role in (Role.expert, Role.admin):
        return True
    return user.certified_until is not None and user.certified_until > (now or utcnow())


# Lessons ------------------------------------------------------------------------------


def read_lessons(session: Session, *, user: User) -> dict[str, datetime]:
    """Slug -> when the person marked the lesson as read."""
    rows = session.execute(
        select(LessonProgress.lesson_slug, LessonProgress.read_at).where(LessonProgress.user_id == user.id)
    ).all()
    return {slug: read_at for slug, read_at in rows}


def lesson_statuses(session: Session, *, user: User, content: TrainingContent, lang: str) -> list[LessonStatus]:
    """Every lesson in course order, in `lang` where translated, with the reader's progress."""
    read = read_lessons(session, user=user)
    return [
        LessonStatus(lesson=lesson, fell_back=fell_back, read_at=read.get(lesson.slug), number=number)
        for number, (lesson, fell_back) in enumerate(content.lessons(lang), start=1)
    ]


def get_lesson(content: TrainingContent, *, slug: str, lang: str) -> tuple[Lesson, bool]:
    """(lesson in `lang` or English, fell_back); NotFound for an unknown slug."""
    try:
        lesson, fell_back = content.lesson(slug, lang)
    except KeyError:
        raise NotFound(_("There is no lesson called “%(slug)s”.", slug=slug)) from None
    return lesson, fell_back


def next_lesson_slug(content: TrainingContent, slug: str) -> str | None:
    slugs = content.lesson_slugs
    position = slugs.index(slug) if slug in slugs else -1
    return slugs[position + 1] if 0 <= position < len(slugs) - 1 else None


def unread_lesson_slugs(session: Session, *, user: User, content: TrainingContent) -> list[str]:
    read = read_lessons(session, user=user)
    return [slug for slug in content.lesson_slugs if slug not in read]


def mark_read(session: Session, *, user: User, content: TrainingContent, slug: str) -> datetime:
    """Record that the person read a lesson (idempotent); when they first did."""
    if slug not in content.lesson_slugs:
        raise NotFound(_("There is no lesson called “%(slug)s”.", slug=slug))
    existing = session.execute(
        select(LessonProgress).where(LessonProgress.user_id == user.id, LessonProgress.lesson_slug == slug)
    ).scalars().first()
    if existing is not None:
        return existing.read_at
    progress = LessonProgress(user_id=user.id, lesson_slug=slug)  # type: ignore[arg-type]
    # A double click sends two requests; the unique constraint keeps one row and the
    # savepoint keeps the request's transaction usable if the other one won.
    try:
        with session.begin_nested():
            session.add(progress)
    except IntegrityError:
        again = session.execute(
            select(LessonProgress).where(LessonProgress.user_id == user.id, LessonProgress.lesson_slug == slug)
        ).scalars().one()
        return again.read_at
    return progress.read_at


# Certification ------------------------------------------------------------------------


def certification_end(settings: Settings, *, now: datetime | None = None) -> datetime:
    return add_months(now or utcnow(), settings.certification_months)


def certify(session: Session, *, user: User, settings: Settings, attempt_id: int | None = None,
            now: datetime | None = None) -> datetime:
    """Passing the quiz: certified for `certification_months` from now (never shortened)."""
    until = certification_end(settings, now=now)
    before = user.certified_until
    if before is not None and before > until:
        until = before
    user.certified_until = until
    session.add(user)
    audit.record(session, action="user.certified", entity_type="user", entity_id=user.id,  # type: ignore[arg-type]
                 actor=user, before={"certified_until": before},
                 after={"certified_until": until, "attempt_id": attempt_id}, at=now)
    return until


def _clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise Invalid(_("Please give a reason; it is kept in the audit log."), field="reason")
    if len(text) > REASON_MAX:
        raise Invalid(_("The reason must be at most %(n)s characters.", n=REASON_MAX), field="reason")
    return text


def grant_certification(session: Session, *, admin: User, user: User, settings: Settings, reason: str | None,
                        until: datetime | None = None) -> User:
    """An admin certifies someone (e.g. trained in person), by default for `certification_months`."""
    if admin.role != Role.admin:
        raise Forbidden(_("Only admins can grant or revoke certification."))
    if user.is_deleted:
        raise NotFound(_("No such user."))
    text = _clean_reason(reason)
    now = utcnow()
    end = until or certification_end(settings, now=now)
    if end <= now:
        raise Invalid(_("The certification must end in the future."), field="until")
    before = user.certified_until
    user.certified_until = end
    session.add(user)
    audit.record(session, action="user.certification_granted", entity_type="user", entity_id=user.id,  # type: ignore[arg-type]
                 actor=admin, before={"certified_until": before}, after={"certified_until": end}, reason=text)
    return user


def revoke_certification(session: Session, *, admin: User, user: User, reason: str | None) -> User:
    """An admin ends someone's certification now; they can earn it again through the quiz."""
    if admin.role != Role.admin:
        raise Forbidden(_("Only admins can grant or revoke certification."))
    if user.is_deleted:
        raise NotFound(_("No such user."))
    text = _clean_reason(reason)
    before = user.certified_until
    user.certified_until = None
    session.add(user)
    audit.record(session, action="user.certification_revoked", entity_type="user", entity_id=user.id,  # type: ignore[arg-type]
                 actor=admin, before={"certified_until": before}, after={"certified_until": None}, reason=text)
    return user


CERTIFICATION_ACTIONS = ("user.certified", "user.certification_granted", "user.certification_revoked")


@dataclass(frozen=True, slots=True)
class CertificationEvent:
    at: datetime
    action: str
    actor_name: str | None  # None when the actor's account is gone
    certified_until: datetime | None  # after the change
    reason: str | None


def certification_history(session: Session, *, user: User, limit: int = 20) -> list[CertificationEvent]:
    """Who certified, granted or revoked this person's certification, newest first (from the audit log)."""
    rows = session.execute(
        select(AuditEntry, User.display_name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.entity_type == "user", AuditEntry.entity_id == str(user.id),
               AuditEntry.action.in_(CERTIFICATION_ACTIONS))  # type: ignore[attr-defined]
        .order_by(AuditEntry.id.desc())  # type: ignore[union-attr]
        .limit(limit)
    ).all()
    events = []
    for entry, actor_name in rows:
        until = (entry.after or {}).get("certified_until")
        events.append(CertificationEvent(
            at=entry.at,
            action=entry.action,
            actor_name=actor_name,
            certified_until=datetime.fromisoformat(until) if isinstance(until, str) else None,
            reason=entry.reason,
        ))
    return events
