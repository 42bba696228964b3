"""Figures about volunteers: a volunteer's own record, and the opt-in leaderboard.

A volunteer's own figures are shown to them exactly: they are theirs. Figures about other
people shown to volunteers (the leaderboard) suppress small counts: a count below
`min_count` (5 by default) is shown as "fewer than 5", so nobody's activity can be pinned
down from a small number. Display names appear only for volunteers who opted in
(`User.leaderboard_opt_in`); everyone else is an "Anonymous spotter".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select, true
from sqlmodel import Session

from app.models import Listing, ListingStatus, Report, Role, User
from app.services import audit

S = ListingStatus
CONFIRMED = (S.confirmed.value, S.removed.value)
DECIDED = (S.confirmed.value, S.removed.value, S.rejected.value)


@dataclass(frozen=True)
class VolunteerFigures:
    reports: int
    decided: int  # reports whose listing an expert has decided
    confirmed: int  # ... confirmed (including those since removed)
    removed: int  # ... that the company took down

    @property
    def accuracy(self) -> float | None:
        """confirmed / decided: how often the experts agreed; None until something is decided."""
        return self.confirmed / self.decided if self.decided else None

    @property
    def waiting(self) -> int:
        return self.reports - self.decided


def _sum_when(condition) -> object:  # type: ignore[no-untyped-def]
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def volunteer_figures(session: Session, *, user: User) -> VolunteerFigures:
    statement = (
        select(
            func.count(Report.id),
            _sum_when(Listing.status.in_(DECIDED)),
            _sum_when(Listing.status.in_(CONFIRMED)),
            _sum_when(Listing.status == S.removed),
        )
        .join(Listing, Listing.id == Report.listing_id)
        .where(Report.reporter_id == user.id)
    )
    reports, decided, confirmed, removed = session.execute(statement).one()
    return VolunteerFigures(reports=int(reports), decided=int(decided), confirmed=int(confirmed),
                            removed=int(removed))


@dataclass(frozen=True)
class SuppressedCount:
    """A count shown to volunteers: `value` is None when it is below the threshold."""

    value: int | None
    threshold: int

    @property
    def suppressed(self) -> bool:
        return self.value is None


def suppress(count: int, *, min_count: int) -> SuppressedCount:
    return SuppressedCount(value=count if count >= min_count else None, threshold=min_count)


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    name: str | None  # None: an anonymous spotter
    is_viewer: bool
    confirmed: SuppressedCount
    reports: SuppressedCount


def leaderboard(session: Session, *, viewer: User | None, min_count: int = 5, since: datetime | None = None,
                limit: int = 20) -> list[LeaderboardRow]:
    """The volunteers with the most confirmed reports (at least one), then the most reports.

    Counts below `min_count` are suppressed; names only for those who opted in."""
    confirmed = _sum_when(Listing.status.in_(CONFIRMED))
    conditions = [User.role == Role.volunteer, User.deleted_at.is_(None)]
    if since is not None:
        conditions.append(Report.created_at >= since)
    statement = (
        select(User.id, User.display_name, User.leaderboard_opt_in, confirmed.label("confirmed"),
               func.count(Report.id).label("reports"))
        .join(Report, Report.reporter_id == User.id)
        .join(Listing, Listing.id == Report.listing_id)
        .where(and_(true(), *conditions))
        .group_by(User.id, User.display_name, User.leaderboard_opt_in)
        .having(confirmed >= 1)
        .order_by(confirmed.desc(), func.count(Report.id).desc(), User.id)
        .limit(limit)
    )
    rows = []
    for rank, (user_id, name, opted_in, confirmed_count, report_count) in enumerate(session.execute(statement), 1):
        rows.append(LeaderboardRow(
            rank=rank,
            name=name if opted_in else None,
            is_viewer=viewer is not None and viewer.id == user_id,
            confirmed=suppress(int(confirmed_count), min_count=min_count),
            reports=suppress(int(report_count), min_count=min_count),
        ))
    return rows


def set_leaderboard_opt_in(session: Session, *, user: User, opt_in: bool) -> None:
    if user.leaderboard_opt_in == opt_in:
        return
    audit.record(session, action="user.leaderboard_opt_in", entity_type="user", entity_id=user.id, actor=user,
                 before={"leaderboard_opt_in": user.leaderboard_opt_in}, after={"leaderboard_opt_in": opt_in})
    user.leaderboard_opt_in = opt_in
    session.add(user)


@dataclass(frozen=True)
class PublicFigures:
    """The programme's headline figures as volunteers may see them (small counts suppressed)."""

    reports: SuppressedCount
    confirmed: SuppressedCount
    removed: SuppressedCount
    volunteers: SuppressedCount


def public_figures(session: Session, *, min_count: int = 5) -> PublicFigures:
    listings = session.execute(select(_sum_when(Listing.status.in_(CONFIRMED)), _sum_when(Listing.status == S.removed))).one()
    reports, reporters = session.execute(select(func.count(Report.id), func.count(func.distinct(Report.reporter_id)))).one()
    return PublicFigures(
        reports=suppress(int(reports), min_count=min_count),
        confirmed=suppress(int(listings[0]), min_count=min_count),
        removed=suppress(int(listings[1]), min_count=min_count),
        volunteers=suppress(int(reporters), min_count=min_count),
    )
