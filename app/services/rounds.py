"""Rounds: a few weeks in which enrolled volunteers commit to a weekly minimum of reports.

A round starts on a date (any weekday) and lasts `weeks` weeks of seven UTC days; week 1 is
`starts_on` to `starts_on + 7 days`. A volunteer meets a week's minimum with that many
reports made in it. Weeks that have ended are met or missed; the current week is in
progress (or already met); later weeks are still to come.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select, true
from sqlmodel import Session

from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.models import Report, Role, Round, RoundEnrolment, User
from app.services import audit

MAX_WEEKS = 52
MAX_WEEKLY_MINIMUM = 500
NAME_MAX = 120


@dataclass(frozen=True)
class Week:
    number: int  # 1-based
    starts_on: date
    ends_on: date  # exclusive

    @property
    def last_day(self) -> date:
        return self.ends_on - timedelta(days=1)

    def state(self, today: date) -> str:
        if today >= self.ends_on:
            return "ended"
        return "current" if today >= self.starts_on else "upcoming"


@dataclass
class WeekResult:
    week: Week
    reports: int
    state: str  # ended | current | upcoming
    outcome: str  # met | missed | in_progress | upcoming


@dataclass
class VolunteerProgress:
    user_id: int
    display_name: str
    email: str
    weeks: list[WeekResult]

    @property
    def weeks_met(self) -> int:
        return sum(result.outcome == "met" for result in self.weeks)

    @property
    def total_reports(self) -> int:
        return sum(result.reports for result in self.weeks)


@dataclass
class RoundProgress:
    round: Round
    weeks: list[Week]
    state: str  # upcoming | running | ended
    volunteers: list[VolunteerProgress] = field(default_factory=list)


@dataclass
class EnrolmentResult:
    enrolled: list[User]
    already: list[User]


def weeks_of(round_: Round) -> list[Week]:
    return [Week(number=index + 1, starts_on=round_.starts_on + timedelta(days=7 * index),
                 ends_on=round_.starts_on + timedelta(days=7 * (index + 1))) for index in range(round_.weeks)]


def ends_on(round_: Round) -> date:
    return round_.starts_on + timedelta(days=7 * round_.weeks)


def round_state(round_: Round, today: date) -> str:
    if today < round_.starts_on:
        return "upcoming"
    return "ended" if today >= ends_on(round_) else "running"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _outcome(reports: int, minimum: int, state: str) -> str:
    if reports >= minimum:
        return "met"
    return {"ended": "missed", "current": "in_progress"}.get(state, "upcoming")


def clean_round_fields(*, name: str, starts_on: date | None, weeks: int | None, weekly_minimum: int | None) -> dict:
    name = " ".join((name or "").split())
    if not name:
        raise Invalid(_("Please give the round a name."), field="name")
    if len(name) > NAME_MAX:
        raise Invalid(_("The name must be at most %(n)s characters.", n=NAME_MAX), field="name")
    if starts_on is None:
        raise Invalid(_("Please choose the day the round starts."), field="starts_on")
    if weeks is None or not 1 <= weeks <= MAX_WEEKS:
        raise Invalid(_("A round lasts from 1 to %(n)s weeks.", n=MAX_WEEKS), field="weeks")
    if weekly_minimum is None or not 1 <= weekly_minimum <= MAX_WEEKLY_MINIMUM:
        raise Invalid(_("The weekly minimum must be between 1 and %(n)s reports.", n=MAX_WEEKLY_MINIMUM),
                      field="weekly_minimum")
    return {"name": name, "starts_on": starts_on, "weeks": weeks, "weekly_minimum": weekly_minimum}


def create_round(session: Session, *, admin: User, name: str, starts_on: date | None, weeks: int | None,
                 weekly_minimum: int | None) -> Round:
    fields = clean_round_fields(name=name, starts_on=starts_on, weeks=weeks, weekly_minimum=weekly_minimum)
    round_ = Round(created_by_id=admin.id, **fields)
    session.add(round_)
    session.flush()
    audit.record(session, action="round.created", entity_type="round", entity_id=round_.id, actor=admin,
                 after=fields)
    return round_


def get_round(session: Session, round_id: int) -> Round:
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("There is no such round."))
    return round_


CURSOR_PREFIX = "r1."


def encode_cursor(round_: Round) -> str:
    raw = json.dumps([round_.starts_on.isoformat(), round_.id], separators=(",", ":")).encode()
    return CURSOR_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, int]:
    try:
        if not cursor.startswith(CURSOR_PREFIX):
            raise ValueError(cursor)
        body = cursor[len(CURSOR_PREFIX):]
        day, round_id = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if not isinstance(round_id, int):
            raise ValueError(cursor)
        return date.fromisoformat(day), round_id
    except (ValueError, TypeError, binascii.Error):
        raise Invalid(_("This page link is not valid any more; start again from the first page."),
                      field="cursor") from None


def _after(cursor: str | None):  # type: ignore[no-untyped-def]
    """Keyset condition for the order (starts_on desc, id desc)."""
    if not cursor:
        return true()
    day, round_id = decode_cursor(cursor)
    return or_(Round.starts_on < day, and_(Round.starts_on == day, Round.id < round_id))


def list_rounds(session: Session, *, limit: int | None = None,
                cursor: str | None = None) -> tuple[list[tuple[Round, int]], str | None]:
    """Rounds, the latest start first, with how many volunteers are enrolled; and the next page's cursor."""
    enrolled = func.count(RoundEnrolment.id)
    statement = (select(Round, enrolled).outerjoin(RoundEnrolment, RoundEnrolment.round_id == Round.id)
                 .where(_after(cursor)).group_by(Round.id).order_by(Round.starts_on.desc(), Round.id.desc()))
    if limit is not None:
        statement = statement.limit(limit + 1)
    rows = [(round_, int(count)) for round_, count in session.execute(statement)]
    if limit is not None and len(rows) > limit:
        return rows[:limit], encode_cursor(rows[limit - 1][0])
    return rows, None


def parse_emails(text: str) -> list[str]:
    """E-mail addresses separated by commas, semicolons, spaces or new lines, lower-cased, in order."""
    seen: list[str] = []
    for part in text.replace(",", " ").replace(";", " ").split():
        address = part.strip().strip("<>").lower()
        if address and address not in seen:
            seen.append(address)
    return seen


def find_volunteers(session: Session, *, emails: Sequence[str] = (), user_ids: Sequence[int] = ()) -> list[User]:
    """The volunteers for these addresses and ids; Invalid naming every one that is not a volunteer."""
    found: dict[int, User] = {}
    unknown: list[str] = []
    if emails:
        by_email = {user.email: user for user in session.execute(
            select(User).where(User.email.in_(list(emails)), User.deleted_at.is_(None))).scalars()}
        for email in emails:
            user = by_email.get(email)
            if user is None or user.role != Role.volunteer:
                unknown.append(email)
            else:
                found[user.id] = user  # type: ignore[index]
    if user_ids:
        by_id = {user.id: user for user in session.execute(
            select(User).where(User.id.in_(list(user_ids)), User.deleted_at.is_(None))).scalars()}
        for user_id in user_ids:
            user = by_id.get(user_id)
            if user is None or user.role != Role.volunteer:
                unknown.append(f"#{user_id}")
            else:
                found[user.id] = user  # type: ignore[index]
    if unknown:
        raise Invalid(
            _("Nothing was changed: no volunteer has the address or number %(unknown)s. Check for typos; "
              "people must register before they can be enrolled.", unknown=", ".join(unknown)),
            field="emails", code="unknown_volunteers", extra={"unknown": unknown},
        )
    return list(found.values())


def enrol(session: Session, *, round_: Round, users: Iterable[User], actor: User) -> EnrolmentResult:
    users = list(users)
    current = set(session.execute(select(RoundEnrolment.user_id).where(
        RoundEnrolment.round_id == round_.id)).scalars())
    result = EnrolmentResult(enrolled=[], already=[])
    for user in users:
        if user.id in current:
            result.already.append(user)
            continue
        session.add(RoundEnrolment(round_id=round_.id, user_id=user.id))  # type: ignore[arg-type]
        current.add(user.id)  # type: ignore[arg-type]
        result.enrolled.append(user)
    if result.enrolled:
        audit.record(session, action="round.enrolled", entity_type="round", entity_id=round_.id, actor=actor,
                     after={"user_ids": [user.id for user in result.enrolled]})
    session.flush()
    return result


def unenrol(session: Session, *, round_: Round, user_id: int, actor: User) -> None:
    enrolment = session.execute(select(RoundEnrolment).where(
        RoundEnrolment.round_id == round_.id, RoundEnrolment.user_id == user_id)).scalars().first()
    if enrolment is None:
        raise NotFound(_("This person is not enrolled in this round."))
    session.delete(enrolment)
    audit.record(session, action="round.unenrolled", entity_type="round", entity_id=round_.id, actor=actor,
                 before={"user_id": user_id})


def delete_round(session: Session, *, round_: Round, actor: User, today: date) -> None:
    if round_state(round_, today) != "upcoming":
        raise Conflict(_("Only a round that has not started yet can be deleted."), code="round_started")
    audit.record(session, action="round.deleted", entity_type="round", entity_id=round_.id, actor=actor,
                 before={"name": round_.name, "starts_on": round_.starts_on})
    session.delete(round_)


def _weekly_counts(session: Session, *, round_: Round, user_ids: Sequence[int]) -> dict[int, list[int]]:
    """Reports per volunteer per week, in one pass: one conditional count per week."""
    weeks = weeks_of(round_)
    if not user_ids:
        return {}
    columns = [
        func.coalesce(func.sum(case((and_(Report.created_at >= _midnight(week.starts_on),
                                          Report.created_at < _midnight(week.ends_on)), 1), else_=0)), 0)
        for week in weeks
    ]
    statement = (
        select(Report.reporter_id, *columns)
        .where(Report.reporter_id.in_(list(user_ids)),
               Report.created_at >= _midnight(round_.starts_on), Report.created_at < _midnight(ends_on(round_)))
        .group_by(Report.reporter_id)
    )
    counts = {user_id: [0] * len(weeks) for user_id in user_ids}
    for reporter_id, *per_week in session.execute(statement):
        counts[reporter_id] = [int(value) for value in per_week]
    return counts


def _progress_rows(round_: Round, users: Sequence[User], counts: dict[int, list[int]],
                   today: date) -> list[VolunteerProgress]:
    weeks = weeks_of(round_)
    rows = []
    for user in users:
        per_week = counts.get(user.id, [0] * len(weeks))  # type: ignore[arg-type]
        results = [WeekResult(week=week, reports=per_week[index], state=week.state(today),
                              outcome=_outcome(per_week[index], round_.weekly_minimum, week.state(today)))
                   for index, week in enumerate(weeks)]
        rows.append(VolunteerProgress(user_id=user.id, display_name=user.display_name,  # type: ignore[arg-type]
                                      email=user.email, weeks=results))
    return rows


def progress(session: Session, *, round_: Round, today: date) -> RoundProgress:
    """Every enrolled volunteer's reports per week and whether they met the minimum."""
    users = list(session.execute(
        select(User).join(RoundEnrolment, RoundEnrolment.user_id == User.id)
        .where(RoundEnrolment.round_id == round_.id).order_by(func.lower(User.display_name), User.id)).scalars())
    counts = _weekly_counts(session, round_=round_, user_ids=[user.id for user in users])  # type: ignore[misc]
    return RoundProgress(round=round_, weeks=weeks_of(round_), state=round_state(round_, today),
                         volunteers=_progress_rows(round_, users, counts, today))


def rounds_of(session: Session, *, user: User, today: date, include_ended: bool = True) -> list[RoundProgress]:
    """The rounds a volunteer is enrolled in, with only their own progress: running first, then upcoming."""
    found, _next = rounds_page_of(session, user=user, today=today)
    order = {"running": 0, "upcoming": 1, "ended": 2}
    found = [item for item in found if include_ended or item.state != "ended"]
    found.sort(key=lambda item: order[item.state])
    return found


def rounds_page_of(session: Session, *, user: User, today: date, limit: int | None = None,
                   cursor: str | None = None) -> tuple[list[RoundProgress], str | None]:
    """A volunteer's rounds with their own progress, the latest start first, a page at a time."""
    statement = (select(Round).join(RoundEnrolment, RoundEnrolment.round_id == Round.id)
                 .where(RoundEnrolment.user_id == user.id, _after(cursor))
                 .order_by(Round.starts_on.desc(), Round.id.desc()))
    if limit is not None:
        statement = statement.limit(limit + 1)
    rounds = list(session.execute(statement).scalars())
    next_cursor = None
    if limit is not None and len(rounds) > limit:
        rounds, next_cursor = rounds[:limit], encode_cursor(rounds[limit - 1])
    found = []
    for round_ in rounds:
        counts = _weekly_counts(session, round_=round_, user_ids=[user.id])  # type: ignore[list-item]
        found.append(RoundProgress(round=round_, weeks=weeks_of(round_), state=round_state(round_, today),
                                   volunteers=_progress_rows(round_, [user], counts, today)))
    return found, next_cursor


def volunteers_not_enrolled(session: Session, *, round_: Round, limit: int = 200) -> list[User]:
    enrolled = select(RoundEnrolment.user_id).where(RoundEnrolment.round_id == round_.id)
    statement = (select(User).where(User.role == Role.volunteer, User.deleted_at.is_(None), User.id.not_in(enrolled))
                 .order_by(func.lower(User.display_name), User.id).limit(limit))
    return list(session.execute(statement).scalars())
