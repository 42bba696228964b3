"""SQLite writers of one process queue on the database's own lock, and nobody keeps it.

Each write transaction holds the lock from BEGIN IMMEDIATE until it commits, rolls back,
or its connection goes back to the pool. If any of these forgot to give it back, the next
writer would wait for the 30 s busy timeout (and pytest-timeout would fail the test).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.db import Database
from app.models import AuditEntry

pytestmark = pytest.mark.timeout(20)


@pytest.fixture(autouse=True)
def _sqlite_only(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("the writers' lock is SQLite's")


def _write(db: Database, label: str) -> None:
    with db.transaction() as session:
        session.add(AuditEntry(actor_label=label, action="test.write", entity_type="test", entity_id="1"))


def _count(db: Database) -> int:
    with db.session() as session:
        return session.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "test.write")).scalar_one()


def _in_another_thread(fn, *args) -> None:  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(1) as pool:
        pool.submit(fn, *args).result(timeout=10)


def _write_on_another_connection(db: Database, label: str) -> None:
    """A write in another thread, on another connection than the one just used: the pooled
    connection is held by a read meanwhile, so the writer must take the lock afresh."""
    with db.session() as reader:
        reader.execute(select(1)).all()  # checks out the idle connection and keeps it
        _in_another_thread(_write, db, label)


def test_a_failed_write_gives_the_lock_back(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.add(AuditEntry(actor_label="a", action="test.write", entity_type="test", entity_id="1"))
        session.flush()
        raise RuntimeError("something went wrong half way")
    _write_on_another_connection(db, "b")
    assert _count(db) == 1  # the first one was rolled back


def test_a_session_closed_without_commit_gives_the_lock_back(db: Database) -> None:
    session = db.session(write=True)
    session.add(AuditEntry(actor_label="a", action="test.write", entity_type="test", entity_id="1"))
    session.flush()  # BEGIN IMMEDIATE: the lock is taken
    session.close()  # neither commit nor an explicit rollback
    _write_on_another_connection(db, "b")
    assert _count(db) == 1


def test_a_session_writes_again_after_its_commit(db: Database) -> None:
    with Session(db.write_engine) as session:
        for label in ("a", "b"):
            session.add(AuditEntry(actor_label=label, action="test.write", entity_type="test", entity_id="1"))
            session.commit()
        _in_another_thread(_write, db, "c")  # the session stays open (its connection too), in no transaction
    assert _count(db) == 3


def test_concurrent_writers_all_get_their_turn(db: Database) -> None:
    start = threading.Barrier(8)

    def writer(index: int) -> None:
        start.wait()
        for round_ in range(10):
            _write(db, f"{index}.{round_}")

    with ThreadPoolExecutor(8) as pool:
        for future in [pool.submit(writer, index) for index in range(8)]:
            future.result(timeout=15)
    assert _count(db) == 80


def test_reads_do_not_wait_for_a_writer(db: Database) -> None:
    _write(db, "a")
    with db.transaction() as session:
        session.add(AuditEntry(actor_label="b", action="test.write", entity_type="test", entity_id="1"))
        session.flush()
        # A writer holds the lock; a read in another thread still sees the last commit at once.
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(_count, db).result(timeout=5) == 1
    assert _count(db) == 2
