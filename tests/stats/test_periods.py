"""Periods and their weeks/months: defaults, inclusive end dates, bucket edges on both engines."""

from __future__ import annotations

from datetime import date

import pytest

from app.errors import Invalid
from app.services import stats
from app.services.stats_period import parse_moment, resolve_period
from tests.stats.factories import at, make_listing


def test_a_date_as_until_includes_that_day() -> None:
    period = resolve_period(since=date(2026, 3, 2), until=date(2026, 3, 15), interval="week", now=at("2026-11-01 00:00"))
    assert (period.since, period.until) == (at("2026-03-02 00:00"), at("2026-03-16 00:00"))
    assert period.buckets == [date(2026, 3, 2), date(2026, 3, 9)]


def test_default_period_is_twelve_buckets_up_to_now() -> None:
    weekly = resolve_period(since=None, until=None, interval="week", now=at("2026-11-25 15:00"))  # a Wednesday
    assert weekly.until == at("2026-11-25 15:00") and len(weekly.buckets) == 12
    assert weekly.buckets[-1] == date(2026, 11, 23) and weekly.since == at("2026-09-07 00:00")
    monthly = resolve_period(since=None, until=None, interval="month", now=at("2026-01-10 00:00"))
    assert monthly.buckets[0] == date(2025, 2, 1) and monthly.buckets[-1] == date(2026, 1, 1)


def test_moments_parse_or_explain() -> None:
    assert parse_moment("2026-03-02T10:00:00Z", field="since") == at("2026-03-02 10:00")
    assert parse_moment("2026-03-02T12:00:00+02:00", field="since") == at("2026-03-02 10:00")
    assert parse_moment("", field="since") is None
    with pytest.raises(Invalid) as error:
        parse_moment("31/03/2026", field="until")
    assert error.value.field == "until" and "2026-03-31" in error.value.message


def test_week_and_month_edges_in_sql(db) -> None:  # type: ignore[no-untyped-def]
    # Sunday just before midnight belongs to the week before; Monday 00:00 starts a new one.
    with db.transaction() as session:
        for moment in ("2026-03-08 23:59:59", "2026-03-09 00:00:00", "2026-03-31 23:59:59", "2026-04-01 00:00:00"):
            make_listing(session, first_reported_at=at(moment))
    weekly = resolve_period(since=date(2026, 3, 2), until=date(2026, 4, 5), interval="week", now=at("2026-11-01 00:00"))
    monthly = resolve_period(since=date(2026, 3, 1), until=date(2026, 4, 30), interval="month",
                             now=at("2026-11-01 00:00"))
    with db.session() as session:
        weeks = {p.start: p.listings for p in stats.programme_figures(session, period=weekly, now=weekly.until).series}
        months = {p.start: p.listings for p in stats.programme_figures(session, period=monthly, now=monthly.until).series}
    assert weeks == {date(2026, 3, 2): 1, date(2026, 3, 9): 1, date(2026, 3, 16): 0, date(2026, 3, 23): 0,
                     date(2026, 3, 30): 2}
    assert months == {date(2026, 3, 1): 3, date(2026, 4, 1): 1}
