"""The retry schedule: the spec's waits, jitter that never makes a retry early, Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from app.webhooks import schedule

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
EXPECTED = [timedelta(0), timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
            timedelta(hours=5), timedelta(hours=10), timedelta(hours=14), timedelta(hours=20), timedelta(hours=24)]


def test_the_waits_are_those_of_webhooks_md() -> None:
    assert [schedule.delay_after(n) for n in range(10)] == EXPECTED
    assert schedule.delay_after(10) is None
    assert schedule.next_attempt_at(NOW, attempts_made=10) is None
    with pytest.raises(ValueError):
        schedule.delay_after(-1)


@pytest.mark.parametrize("attempts_made", range(10))
def test_jitter_never_makes_a_retry_early_and_stays_small(attempts_made: int) -> None:
    rng = random.Random(attempts_made)
    base = EXPECTED[attempts_made]
    waits = [schedule.next_attempt_at(NOW, attempts_made=attempts_made, rng=rng) - NOW for _ in range(2000)]
    assert min(waits) >= base
    assert max(waits) <= base * (1 + schedule.JITTER_SHARE)
    if base:
        assert len(set(waits)) > 1000  # it does spread


def test_the_extremes_of_the_random_draw() -> None:
    class Fixed(random.Random):
        def __init__(self, value: float) -> None:
            super().__init__()
            self.value = value

        def uniform(self, a: float, b: float) -> float:
            return a + (b - a) * self.value

    assert schedule.next_attempt_at(NOW, attempts_made=1, rng=Fixed(0.0)) == NOW + timedelta(seconds=5)
    assert schedule.next_attempt_at(NOW, attempts_made=9, rng=Fixed(1.0)) == NOW + timedelta(hours=24 * 1.1)


def test_retry_after_lengthens_never_shortens_and_is_capped() -> None:
    rng = random.Random(1)
    assert schedule.next_attempt_at(NOW, attempts_made=1, retry_after=3600, rng=rng) == NOW + timedelta(hours=1)
    assert schedule.next_attempt_at(NOW, attempts_made=4, retry_after=1, rng=rng) >= NOW + timedelta(hours=2)
    assert schedule.next_attempt_at(NOW, attempts_made=1, retry_after=10**9, rng=rng) == NOW + schedule.MAX_DELAY
    assert schedule.next_attempt_at(NOW, attempts_made=1, retry_after=0, rng=rng) >= NOW + timedelta(seconds=5)
