"""The period figures are asked for: parsing `since`/`until`, defaults, and its weeks or months.

Periods are half-open, `[since, until)`, in UTC. A plain date given as `until` includes
that whole day (a form's "to 31 March" means up to midnight after it); a date given as
`since` starts at its midnight. Without `since`, a period covers the last 12 weeks or
12 months (by `interval`) up to `until`, which defaults to now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.errors import Invalid
from app.i18n import _

DEFAULT_BUCKETS = 12
MAX_BUCKETS = 520


@dataclass(frozen=True)
class Period:
    since: datetime  # inclusive
    until: datetime  # exclusive
    interval: str  # week | month

    @property
    def buckets(self) -> list[date]:
        """The first day of every week (Monday) or month that overlaps the period, in order."""
        found: list[date] = []
        current = bucket_start(self.since.date(), self.interval)
        while datetime.combine(current, time(), UTC) < self.until:
            found.append(current)
            current = next_bucket(current, self.interval)
        return found


def bucket_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(start: date, interval: str) -> date:
    if interval == "week":
        return start + timedelta(days=7)
    return date(start.year + (start.month == 12), start.month % 12 + 1, 1)


def _previous_bucket(start: date, interval: str, count: int) -> date:
    if interval == "week":
        return start - timedelta(days=7 * count)
    month_index = start.year * 12 + start.month - 1 - count
    return date(month_index // 12, month_index % 12 + 1, 1)


def parse_moment(text: str | None, *, field: str) -> date | datetime | None:
    """An ISO 8601 date ("2026-03-31") or date-time ("2026-03-31T12:00:00Z"); naive means UTC."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        raise Invalid(
            _("“%(value)s” is not a date. Use the form 2026-03-31 (or 2026-03-31T12:00:00Z).", value=value[:40]),
            field=field,
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def start_of(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time(), UTC)


def resolve_period(
    *, since: date | datetime | None, until: date | datetime | None, interval: str | None, now: datetime
) -> Period:
    """The half-open UTC period for these inputs; Invalid (naming the field) when they make no sense."""
    interval = interval or "week"
    if interval not in ("week", "month"):
        raise Invalid(_("The interval must be “week” or “month”."), field="interval")
    if until is None:
        end = now
    elif isinstance(until, datetime):
        end = until
    else:
        end = start_of(until + timedelta(days=1))
    if since is None:
        last = bucket_start((end - timedelta(microseconds=1)).date(), interval)
        start = start_of(_previous_bucket(last, interval, DEFAULT_BUCKETS - 1))
    elif isinstance(since, datetime):
        start = since
    else:
        start = start_of(since)
    if start >= end:
        raise Invalid(_("The start of the period must be before its end."), field="since")
    period = Period(since=start, until=end, interval=interval)
    if len(period.buckets) > MAX_BUCKETS:
        message = (_("This period has too many weeks to draw; choose a shorter period, or months.")
                   if interval == "week" else _("This period has too many months to draw; choose a shorter period."))
        raise Invalid(message, field="interval")
    return period


def year_period(year: int) -> Period:
    if not 2000 <= year <= 9999:
        raise Invalid(_("There is no report for the year %(year)s.", year=year), field="year")
    return Period(since=start_of(date(year, 1, 1)), until=start_of(date(year + 1, 1, 1)), interval="month")
