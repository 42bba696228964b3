"""When to try a webhook message again (webhooks.md, after the Standard Webhooks advice).

Attempt 1 goes immediately; after each failure the next waits 5 s, 5 min, 30 min, 2 h,
5 h, 10 h, 14 h, 20 h and 24 h: ten attempts over about three and a half days. Each
wait gets a little jitter so that a receiver coming back from an outage is not hit by
every delayed message in the same second. Jitter is only ever added, never subtracted:
no retry is early. A `Retry-After` (429, 503) can make the wait longer, never shorter,
and is capped at the longest wait of the schedule.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS)
MAX_DELAY = max(RETRY_DELAYS)
# Up to this share of a wait is added at random (10 % of 24 h is 2.4 h at most).
JITTER_SHARE = 0.10


def delay_after(attempts_made: int) -> timedelta | None:
    """The scheduled wait before the next attempt, or None when none is left."""
    if attempts_made < 0:
        raise ValueError("attempts_made cannot be negative")
    if attempts_made >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[attempts_made]


def jitter(delay: timedelta, rng: random.Random | None = None) -> timedelta:
    """A random addition between zero and JITTER_SHARE of `delay` (never negative)."""
    if delay <= timedelta(0):
        return timedelta(0)
    share = (rng or random).uniform(0.0, JITTER_SHARE)
    return timedelta(seconds=delay.total_seconds() * share)


def next_attempt_at(
    now: datetime,
    *,
    attempts_made: int,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to try again after `attempts_made` attempts, or None when the message has failed.

    The result is never earlier than `now + delay_after(attempts_made)`, nor earlier
    than the receiver's `Retry-After` (capped at MAX_DELAY).
    """
    delay = delay_after(attempts_made)
    if delay is None:
        return None
    wait = delay + jitter(delay, rng)
    if retry_after is not None and retry_after > 0:
        asked = min(timedelta(seconds=retry_after), MAX_DELAY)
        wait = max(wait, asked)
    return now + wait
