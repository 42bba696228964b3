"""Percentiles: hand-computed values, the same in Python, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import Listing
from app.services.stats_sql import duration_percentiles, percentile, seconds_between
from tests.stats.factories import at, make_listing


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([1, 2, 3, 4, 10], 0.5, 3.0),  # odd count: the middle value
        ([1, 2, 3, 4, 10], 0.9, 7.6),  # position 3.6: 4 + 0.6 * (10 - 4)
        ([6, 24, 48, 408], 0.5, 36.0),  # even count: halfway between 24 and 48
        ([6, 24, 48, 408], 0.9, 300.0),  # position 2.7: 48 + 0.7 * 360
        ([5], 0.9, 5.0),
        ([], 0.5, None),
    ],
)
def test_percentile_by_hand(values, fraction, expected) -> None:  # type: ignore[no-untyped-def]
    result = percentile(values, fraction)
    assert result == (pytest.approx(expected) if expected is not None else None)


def _seed_durations(db, hours: list[float]) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        for index, value in enumerate(hours):
            start = at("2026-01-05 00:00") + timedelta(days=index)
            make_listing(session, first_reported_at=start, status="rejected",
                         decided_at=start + timedelta(hours=value))


def test_sql_percentiles_match_hand_values(db) -> None:  # type: ignore[no-untyped-def]
    hours = [10, 1, 4, 2, 3]  # inserted out of order on purpose
    _seed_durations(db, hours)
    seconds = seconds_between(Listing.decided_at, Listing.first_reported_at)
    with db.session() as session:
        summary = duration_percentiles(session, seconds=seconds, from_=Listing, where=[])
    assert summary.count == 5
    assert summary.median_seconds == pytest.approx(3 * 3600)
    assert summary.p90_seconds == pytest.approx(7.6 * 3600)


def test_sql_percentiles_with_ties_and_sub_second_durations(db) -> None:  # type: ignore[no-untyped-def]
    hours = [0.5, 0.5, 0.5, 2.25, 100 / 3600]  # 30 min three times, 2 h 15, 100 s
    _seed_durations(db, hours)
    seconds = seconds_between(Listing.decided_at, Listing.first_reported_at)
    with db.session() as session:
        summary = duration_percentiles(session, seconds=seconds, from_=Listing, where=[])
        expected = sorted(h * 3600 for h in hours)
        assert summary.median_seconds == pytest.approx(percentile(expected, 0.5))
        assert summary.p90_seconds == pytest.approx(percentile(expected, 0.9))
        if not db.is_sqlite:  # PostgreSQL's own percentile_cont agrees
            native = session.execute(select(
                func.percentile_cont(0.5).within_group(seconds), func.percentile_cont(0.9).within_group(seconds),
            ).select_from(Listing)).one()
            assert (summary.median_seconds, summary.p90_seconds) == (pytest.approx(native[0]), pytest.approx(native[1]))


def test_no_durations(db) -> None:  # type: ignore[no-untyped-def]
    seconds = seconds_between(Listing.decided_at, Listing.first_reported_at)
    with db.session() as session:
        summary = duration_percentiles(session, seconds=seconds, from_=Listing, where=[])
    assert (summary.count, summary.median_seconds, summary.p90_seconds) == (0, None, None)
