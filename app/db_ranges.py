"""A number too large for the database is the caller's mistake (422), not our crash (500).

Python integers have no limit; the database's do. An id like 9223372036854775808 in a URL,
a cursor or a form reaches SQL and fails there: SQLite refuses to bind anything past 64
bits (OverflowError), PostgreSQL past 32 bits for INTEGER columns (SQLSTATE 22003,
"integer out of range"). Every route, page, cursor and form field would need its own bound
to catch it first; this engine hook catches the whole class once.

It only translates the failure when a bound parameter really is out of the engine's
range: an overflow of our own arithmetic inside SQL (with ordinary parameters) stays a
500 and is logged as the bug it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

from app.errors import Invalid
from app.i18n import _

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
NUMERIC_VALUE_OUT_OF_RANGE = "22003"


class NumberOutOfRange(Invalid):
    code = "number_out_of_range"


def _integers(parameters: Any) -> Iterable[int]:
    if isinstance(parameters, Mapping):
        values: Iterable[Any] = parameters.values()
    elif isinstance(parameters, list | tuple):
        values = parameters
    else:
        return
    for value in values:
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            yield value
        elif isinstance(value, Mapping | list | tuple):
            yield from _integers(value)


def _has_oversized(parameters: Any, limit: int) -> bool:
    return any(value > limit or value < -limit - 1 for value in _integers(parameters))


def _out_of_range(context: ExceptionContext) -> bool:
    error = context.original_exception
    if isinstance(error, OverflowError):  # sqlite3 binding a Python int past 64 bits
        return _has_oversized(context.parameters, INT64_MAX)
    if getattr(error, "sqlstate", None) == NUMERIC_VALUE_OUT_OF_RANGE:  # psycopg
        return _has_oversized(context.parameters, INT32_MAX)
    return False


def install(engine: Engine) -> None:
    @event.listens_for(engine, "handle_error")
    def _number_out_of_range(context: ExceptionContext) -> None:
        if _out_of_range(context):
            raise NumberOutOfRange(
                _("A number in this request is too large: identifiers and counts go up to %(max)s.",
                  max=f"{INT32_MAX}")
            ) from context.original_exception
