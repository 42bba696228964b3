"""A volunteer sending a report: who the token says they are, and their standing, in one statement.

Every report needs both: the session and user behind the token (as for any request), and
the reporter's standing (reports in the last hour for the limit, and the track record the
new listing's priority starts from). Read apart, they are two round trips on the busiest
write the service has; here the standing is aggregated beside the session's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlmodel import Session

from app.config import Settings
from app.models import Listing, Report, User, UserSession
from app.services import accounts, listings


@dataclass(frozen=True)
class Reporter:
    user: User
    user_session: UserSession
    standing: listings.ReporterStanding


# Grouped by the two primary keys, the session's and the user's columns may be selected as they are.
_SESSION_USER_AND_STANDING = (
    select(UserSession, User, *listings.STANDING_COLUMNS)
    .join(User, User.id == UserSession.user_id)
    .outerjoin(Report, Report.reporter_id == User.id)
    .outerjoin(Listing, Listing.id == Report.listing_id)
    .where(UserSession.id == bindparam("session_id"))
    .group_by(UserSession.id, User.id)
)


def for_token(session: Session, *, token: str, kind: str, settings: Settings, since: datetime) -> Reporter | None:
    """Like `accounts.user_for_token`, with the standing counting reports made after `since`."""
    row = accounts.session_row_for_token(session, _SESSION_USER_AND_STANDING, token=token, kind=kind,
                                         settings=settings, since=since)
    if row is None:
        return None
    record, user, *standing = row
    return Reporter(user=user, user_session=record, standing=listings.standing_of(*standing))
