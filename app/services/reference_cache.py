"""Small tables every report reads, kept in memory for a short while.

Each report looks up the domains admins registered for companies (to recognise the
platform) and the code words admins approved (for the listing's priority). Both change
when an admin edits them, a few times a month; reading them again for every report was
two queries out of a dozen.

A value is kept for `KEEP_SECONDS` and dropped at once when a transaction of this
process that changed one of its tables commits (ORM objects or ORM-enabled statements
on those tables). Another process (a second web worker on PostgreSQL) sees the change
within `KEEP_SECONDS`: until then a report there of a just registered domain is filed
without its platform, as any unknown domain is, and a just approved code word does not
yet raise the priority of new reports.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from itertools import chain
from typing import Any, Generic, TypeVar

from sqlalchemy import Pool, event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

KEEP_SECONDS = 30.0

T = TypeVar("T")

_STALE = "reference_cache_stale"


class Cached(Generic[T]):
    """One value read from the database by `load`, kept for `KEEP_SECONDS` (per database:
    kept against the engine's connection pool, which a session's engine and its write twin share)."""

    def __init__(self, load: Callable[[Session], T], tables: tuple[type, ...]) -> None:
        self._load = load
        self.tables = tables
        self._values: weakref.WeakKeyDictionary[Pool, tuple[float, T]] = weakref.WeakKeyDictionary()
        self._generation = 0  # bumped by every clear: a read that started before it is not kept
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, session: Session) -> T:
        if _pending_changes(session, self):
            return self._load(session)  # this transaction changed the tables: its own view, not for others
        pool = session.get_bind().pool  # type: ignore[union-attr]
        kept = self._values.get(pool)
        if kept is not None and time.monotonic() < kept[0]:
            return kept[1]
        # Read outside the lock (a slow read must not hold up others), kept unless cleared meanwhile.
        generation = self._generation
        value = self._load(session)
        with self._lock:
            if generation == self._generation:
                self._values[pool] = (time.monotonic() + KEEP_SECONDS, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._generation += 1


_ALL: list[Cached[Any]] = []


def _watching(entity: Any) -> list[Cached[Any]]:
    return [cached for cached in _ALL if isinstance(entity, cached.tables)
            or (isinstance(entity, type) and issubclass(entity, cached.tables))]


def _mark(session: Session, caches: list[Cached[Any]]) -> None:
    if caches:
        session.info.setdefault(_STALE, set()).update(caches)


def _pending_changes(session: Session, cached: Cached[Any]) -> bool:
    return cached in session.info.get(_STALE, ()) or any(
        cached in _watching(obj) for obj in chain(session.new, session.dirty, session.deleted)
    )


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context: UOWTransaction) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        _mark(session, _watching(obj))


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        for mapper in state.all_mappers:
            _mark(state.session, _watching(mapper.class_))


@event.listens_for(Session, "after_commit")
def _drop_changed(session: Session) -> None:
    for cached in session.info.pop(_STALE, ()):
        cached.clear()


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_STALE, None)
