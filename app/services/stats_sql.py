"""SQL pieces the figures need that SQLite and PostgreSQL spell differently, and percentiles.

* `period_start(column, interval)`: the first day (a `date`) of the ISO week (Monday) or
  month a UTC timestamp falls in. PostgreSQL: `date_trunc` on the UTC wall time;
  SQLite (timestamps stored as naive UTC text): `date(..., 'weekday 0', '-6 days')`.
* `seconds_between(later, earlier)`: the difference in seconds, as a float.
* `duration_percentiles(...)`: linear-interpolation percentiles (the same definition as
  PostgreSQL's `percentile_cont`) computed portably: one count, then a window query that
  fetches only the two ranked rows each percentile sits between, never the whole list.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, Float, String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

INTERVALS = ("week", "month")


class week_start(FunctionElement[date]):  # noqa: N801 (reads like the SQL function it stands for)
    """The Monday of the ISO week a UTC timestamp column falls in."""

    type = Date()
    inherit_cache = True
    name = "week_start"


class month_start(FunctionElement[date]):  # noqa: N801
    """The first day of the month a UTC timestamp column falls in."""

    type = Date()
    inherit_cache = True
    name = "month_start"


def period_start(column: ColumnElement[Any], interval: str) -> FunctionElement[date]:
    if interval == "week":
        return week_start(column)
    if interval == "month":
        return month_start(column)
    raise ValueError(f"interval must be one of {INTERVALS}, not {interval!r}")


@compiles(week_start, "postgresql")
@compiles(month_start, "postgresql")
def _period_start_postgresql(element, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    column = compiler.process(element.clauses, **kw)
    unit = "week" if isinstance(element, week_start) else "month"
    return f"CAST(date_trunc('{unit}', timezone('UTC', {column})) AS DATE)"


@compiles(week_start, "sqlite")
def _week_start_sqlite(element: week_start, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    # 'weekday 0' moves forward to the next Sunday (or stays on one); six days back is its Monday.
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


@compiles(month_start, "sqlite")
def _month_start_sqlite(element: month_start, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


class unindexed(FunctionElement[str]):  # noqa: N801
    """A column SQLite must not pick an index for (`+column`): a filter on a time range should read
    the time index, not the status index, whose "status IN (...)" covers most rows. Without
    ANALYZE statistics SQLite prefers the equality; PostgreSQL weighs both and needs no hint."""

    type = String()
    inherit_cache = True
    name = "unindexed"


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    return "+" + compiler.process(element.clauses, **kw)


class seconds_between(FunctionElement[float]):  # noqa: N801
    """`later - earlier` in seconds (a float); NULL when either is NULL."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element: seconds_between, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def as_date(value: object) -> date:
    """A period start as a `date`, whichever engine produced it (SQLite answers text)."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` percentile (0..1) of ascending values, interpolating like percentile_cont."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    low_value, high_value = float(sorted_values[lower]), float(sorted_values[upper])
    return low_value + (high_value - low_value) * (position - lower)


def _ranks_needed(count: int, fractions: Sequence[float]) -> set[int]:
    ranks: set[int] = set()
    for fraction in fractions:
        position = fraction * (count - 1)
        ranks.update({math.floor(position) + 1, math.ceil(position) + 1})  # row_number() is 1-based
    return ranks


@dataclass(frozen=True)
class DurationSummary:
    """How long something took, over `count` cases: median and 90th percentile, in seconds."""

    count: int
    median_seconds: float | None
    p90_seconds: float | None


def duration_percentiles(
    session: Session, *, seconds: ColumnElement[float], where: Sequence[ColumnElement[bool]], from_: Any
) -> DurationSummary:
    """Median and 90th percentile of `seconds` over the rows of `from_` matching `where`."""
    durations = select(seconds.label("d")).select_from(from_).where(*where, seconds.is_not(None)).subquery()
    count = session.execute(select(func.count()).select_from(durations)).scalar_one()
    if not count:
        return DurationSummary(count=0, median_seconds=None, p90_seconds=None)
    ranked = select(durations.c.d, func.row_number().over(order_by=durations.c.d).label("rn")).subquery()
    ranks = _ranks_needed(count, (0.5, 0.9))
    values = dict(session.execute(select(ranked.c.rn, ranked.c.d).where(ranked.c.rn.in_(sorted(ranks)))).all())

    def at(fraction: float) -> float:
        position = fraction * (count - 1)
        lower, upper = math.floor(position), math.ceil(position)
        low_value, high_value = float(values[lower + 1]), float(values[upper + 1])
        return low_value + (high_value - low_value) * (position - lower)

    # julianday() arithmetic on SQLite is off by microseconds: milliseconds are plenty.
    return DurationSummary(count=count, median_seconds=round(at(0.5), 3), p90_seconds=round(at(0.9), 3))
