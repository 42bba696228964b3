"""A list of values bound as one parameter, for statements that run many times a second.

SQLAlchemy renders `column.in_(bindparam(..., expanding=True))` with one placeholder per
value, so the statement's text changes with the list's length: each execution renders
it again, psycopg parses the new text again, and PostgreSQL plans it again. On
PostgreSQL an array bound as one parameter (`column = ANY(:ids)`) keeps a single text,
which psycopg prepares on the server after a few executions on a connection. SQLite has
no arrays and keeps the expanding IN (it parses and plans in-process, cheaply).

A statement built with these is built once per engine kind: see `PerDialect`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import ARRAY, Connection, all_, any_, bindparam
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

T = TypeVar("T")


def in_list(column: Any, name: str, item_type: TypeEngine[Any], *, postgres: bool) -> Any:
    """`column IN (the values of parameter `name`)`; `item_type` is the values' type."""
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(item_type)))
    return column.in_(bindparam(name, expanding=True))


def not_in_list(column: Any, name: str, item_type: TypeEngine[Any], *, postgres: bool) -> Any:
    """`column NOT IN (the values of parameter `name`)`; true for every row when the list is empty."""
    if postgres:
        return column != all_(bindparam(name, type_=ARRAY(item_type)))
    return column.not_in(bindparam(name, expanding=True))


class PerDialect(Generic[T]):
    """Something built once for PostgreSQL and once for the other engines (SQLite), by
    `build(postgres)`; `of(db)` gives the one for a session's or connection's engine."""

    def __init__(self, build: Callable[[bool], T]) -> None:
        self._postgres = build(True)
        self._other = build(False)

    def of(self, db: Session | Connection) -> T:
        dialect = db.dialect if isinstance(db, Connection) else db.get_bind().dialect
        return self._postgres if dialect.name == "postgresql" else self._other

    def for_postgres(self, postgres: bool) -> T:
        return self._postgres if postgres else self._other
