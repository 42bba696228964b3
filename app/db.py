"""Database engines and the per-request session.

SQLite is the embedded default: WAL, foreign keys, a busy timeout, and `BEGIN IMMEDIATE`
for write transactions so that concurrent writers queue up instead of failing with
"database is locked" half way through. PostgreSQL (psycopg 3) is the production engine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app import db_ranges

SQLITE_BUSY_TIMEOUT_MS = 30_000
_HOLDS_WRITE_LOCK = "cyberspotter_holds_write_lock"


def normalize_database_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control away from the sqlite3 module so that we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # SQLite lets one writer in at a time. Writers of this process queue on a lock of our own
    # before BEGIN IMMEDIATE: the next one goes the moment the last commits, where SQLite's
    # busy handler would have it sleep and retry (1, 2, 5 ... 100 ms), leaving the database
    # idle while writers wait and giving a report a tail of seconds under load. The busy
    # timeout still arbitrates between processes (a CLI command beside the server).
    write_lock = threading.Lock()

    def _release(record_info: dict) -> None:  # type: ignore[type-arg]
        if record_info.pop(_HOLDS_WRITE_LOCK, False):
            write_lock.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        if not connection.get_execution_options().get("write"):
            connection.exec_driver_sql("BEGIN DEFERRED")
            return
        info = connection.connection.info  # the pooled DBAPI connection's: outlives this Connection
        if not info.get(_HOLDS_WRITE_LOCK):
            if not write_lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
                raise TimeoutError("the database stayed busy with other writes")
            info[_HOLDS_WRITE_LOCK] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(info)
            raise

    # These events come before SQLAlchemy's own COMMIT or ROLLBACK: end the transaction here
    # (the driver's call after ours then finds none open) so the lock goes only once it has.
    @event.listens_for(engine, "commit")
    def _on_commit(connection) -> None:  # type: ignore[no-untyped-def]
        if connection.connection.info.get(_HOLDS_WRITE_LOCK):
            connection.connection.driver_connection.commit()  # on failure the rollback releases
            _release(connection.connection.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection) -> None:  # type: ignore[no-untyped-def]
        if connection.connection.info.get(_HOLDS_WRITE_LOCK):
            try:
                connection.connection.driver_connection.rollback()
            finally:
                _release(connection.connection.info)

    # A connection going back to the pool, or dropped, never keeps the lock.
    event.listen(engine, "checkin", lambda _dbapi, record: _release(record.info))
    event.listen(engine, "invalidate", lambda _dbapi, record, _exc: _release(record.info))


@dataclass(frozen=True)
class Database:
    """One engine, with a write-flavoured twin that starts SQLite transactions IMMEDIATE."""

    engine: Engine
    write_engine: Engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self, *, write: bool = False) -> Session:
        return Session(self.write_engine if write else self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A unit of work outside a request (CLI, worker): commit on success, roll back on error."""
        with self.session(write=write) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def make_database(url: str, *, echo: bool = False) -> Database:
    url = normalize_database_url(url)
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _configure_sqlite(engine)
    else:
        engine = create_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            connect_args={"connect_timeout": 5},
        )
    db_ranges.install(engine)  # an integer past the engine's range is a 422, not a 500
    return Database(engine=engine, write_engine=engine.execution_options(write=True))
